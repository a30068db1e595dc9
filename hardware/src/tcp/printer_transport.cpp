// Raw TCP transport (port 9100). Non-blocking socket + poll so that connect, write and read each
// have a deadline; any failure closes the socket and the next write reconnects.
#include <fcntl.h>
#include <netdb.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>

#include "kh/hardware/printer/transport.hpp"

namespace kh::hardware::printer {
namespace {

using clock = std::chrono::steady_clock;

int remaining_ms(clock::time_point deadline) {
  const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - clock::now()).count();
  return left <= 0 ? 0 : static_cast<int>(std::min<long long>(left, 1 << 30));
}

// Waits for `events` on fd until the deadline: 1 ready, 0 timeout, -1 error/hang-up.
int wait_for(int fd, short events, clock::time_point deadline) {
  for (;;) {
    pollfd p{fd, events, 0};
    const int ms = remaining_ms(deadline);
    const int r = ::poll(&p, 1, ms);
    if (r > 0) return (p.revents & events) ? 1 : -1;
    if (r == 0) return 0;
    if (errno != EINTR) return -1;
    if (ms == 0) return 0;
  }
}

class tcp_transport final : public printer_transport {
 public:
  tcp_transport(std::string host, std::uint16_t port, tcp_options o) : host_(std::move(host)), port_(port), opt_(o) {}
  ~tcp_transport() override { close(); }

  std::error_code write(std::span<const std::uint8_t> bytes) override {
    if (fd_ >= 0 && peer_gone()) close();
    if (fd_ < 0)
      if (auto ec = connect()) return ec;
    const auto deadline = clock::now() + opt_.write_timeout;
    std::size_t done = 0;
    while (done < bytes.size()) {
      const auto n = ::send(fd_, bytes.data() + done, bytes.size() - done, MSG_NOSIGNAL);
      if (n > 0) {
        done += static_cast<std::size_t>(n);
        continue;
      }
      if (n < 0 && errno == EINTR) continue;
      if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) {
        const int w = wait_for(fd_, POLLOUT, deadline);
        if (w == 1) continue;
        close();
        return w == 0 ? errc::timeout : errc::connection_closed;
      }
      const bool closed = n < 0 && (errno == EPIPE || errno == ECONNRESET);
      close();
      return closed ? errc::connection_closed : errc::io_error;
    }
    return {};
  }

  std::error_code read(std::span<std::uint8_t> out, std::chrono::milliseconds timeout) override {
    if (fd_ < 0) return errc::connection_closed;
    const auto deadline = clock::now() + timeout;
    std::size_t done = 0;
    while (done < out.size()) {
      const auto n = ::recv(fd_, out.data() + done, out.size() - done, 0);
      if (n > 0) {
        done += static_cast<std::size_t>(n);
        continue;
      }
      if (n == 0) {
        close();
        return errc::connection_closed;
      }
      if (errno == EINTR) continue;
      if (errno == EAGAIN || errno == EWOULDBLOCK) {
        const int w = wait_for(fd_, POLLIN, deadline);
        if (w == 1) continue;
        if (w == -1) {
          // Hang-up with no data: let recv report it (0 → closed) on the next turn, once.
          pollfd p{fd_, POLLIN, 0};
          if (::poll(&p, 1, 0) > 0) {
            char c;
            if (::recv(fd_, &c, 1, MSG_PEEK) > 0) continue;
          }
          close();
          return errc::connection_closed;
        }
        close();
        return errc::timeout;
      }
      close();
      return errno == ECONNRESET ? errc::connection_closed : errc::io_error;
    }
    return {};
  }

  bool two_way() const noexcept override { return true; }
  void close() noexcept override {
    if (fd_ >= 0) ::close(fd_);
    fd_ = -1;
  }
  std::string describe() const override {
    const bool v6 = host_.find(':') != std::string::npos;
    return "tcp://" + (v6 ? "[" + host_ + "]" : host_) + ":" + std::to_string(port_);
  }

 private:
  // A printer that restarted closes our idle connection; notice that before writing a new job.
  bool peer_gone() const {
    pollfd p{fd_, POLLIN, 0};
    if (::poll(&p, 1, 0) <= 0) return false;
    if (p.revents & (POLLERR | POLLHUP)) return true;
    char c;
    const auto n = ::recv(fd_, &c, 1, MSG_PEEK | MSG_DONTWAIT);
    return n == 0;
  }

  std::error_code connect() {
    addrinfo hints{};
    hints.ai_family = AF_UNSPEC;
    hints.ai_socktype = SOCK_STREAM;
    addrinfo* res = nullptr;
    const auto port = std::to_string(port_);
    if (::getaddrinfo(host_.c_str(), port.c_str(), &hints, &res) != 0 || !res) return errc::connect_failed;
    std::error_code last = errc::connect_failed;
    const auto deadline = clock::now() + opt_.connect_timeout;
    for (auto* ai = res; ai; ai = ai->ai_next) {
      const int fd = ::socket(ai->ai_family, ai->ai_socktype | SOCK_NONBLOCK | SOCK_CLOEXEC, ai->ai_protocol);
      if (fd < 0) continue;
      const int one = 1;
      ::setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
      if (opt_.send_buffer_bytes > 0)
        ::setsockopt(fd, SOL_SOCKET, SO_SNDBUF, &opt_.send_buffer_bytes, sizeof opt_.send_buffer_bytes);
      int r = ::connect(fd, ai->ai_addr, ai->ai_addrlen);
      if (r < 0 && errno == EINPROGRESS) {
        const int w = wait_for(fd, POLLOUT, deadline);
        if (w == 0) {
          ::close(fd);
          last = errc::timeout;
          break;
        }
        int err = 0;
        socklen_t len = sizeof err;
        ::getsockopt(fd, SOL_SOCKET, SO_ERROR, &err, &len);
        r = err == 0 ? 0 : -1;
      }
      if (r == 0) {
        fd_ = fd;
        last = {};
        break;
      }
      ::close(fd);
    }
    ::freeaddrinfo(res);
    return last;
  }

  std::string host_;
  std::uint16_t port_;
  tcp_options opt_;
  int fd_ = -1;
};

}  // namespace

std::unique_ptr<printer_transport> make_tcp_transport(std::string host, std::uint16_t port, tcp_options o) {
  return std::make_unique<tcp_transport>(std::move(host), port, o);
}

}  // namespace kh::hardware::printer
