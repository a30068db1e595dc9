#include "kh/kiosk/control/control_socket.hpp"

#include <fcntl.h>
#include <poll.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

#include <spdlog/spdlog.h>

namespace kh::kiosk {

std::unique_ptr<control_socket> control_socket::open(const std::filesystem::path& path, handler h,
                                                     std::error_code& ec) {
  ec.clear();
  sockaddr_un addr{};
  if (path.native().size() >= sizeof(addr.sun_path)) {
    ec = std::make_error_code(std::errc::filename_too_long);
    return nullptr;
  }
  struct stat st {};
  if (::lstat(path.c_str(), &st) == 0) {
    if (!S_ISSOCK(st.st_mode)) {  // never delete a file that is not a socket
      ec = std::make_error_code(std::errc::file_exists);
      return nullptr;
    }
    ::unlink(path.c_str());
  }
  std::unique_ptr<control_socket> s(new control_socket());
  s->path_ = path;
  s->handler_ = std::move(h);
  s->listen_fd_ = ::socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (s->listen_fd_ < 0 || ::pipe2(s->stop_pipe_, O_CLOEXEC) != 0) {
    ec = std::error_code(errno, std::generic_category());
    return nullptr;
  }
  addr.sun_family = AF_UNIX;
  std::memcpy(addr.sun_path, path.c_str(), path.native().size());
  // Created 0600 from the start (umask), not chmod'ed after: no window where others can connect.
  const mode_t old = ::umask(0177);
  const int rc = ::bind(s->listen_fd_, reinterpret_cast<sockaddr*>(&addr), sizeof(addr));
  ::umask(old);
  if (rc != 0 || ::listen(s->listen_fd_, 4) != 0) {
    ec = std::error_code(errno, std::generic_category());
    return nullptr;
  }
  s->thread_ = std::thread([p = s.get()] { p->run(); });
  return s;
}

control_socket::~control_socket() {
  if (stop_pipe_[1] >= 0) {
    const char c = 'x';
    [[maybe_unused]] auto n = ::write(stop_pipe_[1], &c, 1);
  }
  if (thread_.joinable()) thread_.join();
  for (int fd : {listen_fd_, stop_pipe_[0], stop_pipe_[1]})
    if (fd >= 0) ::close(fd);
  if (!path_.empty()) ::unlink(path_.c_str());
}

namespace {
bool write_all(int fd, const std::string& s) {
  std::size_t off = 0;
  while (off < s.size()) {
    const ssize_t n = ::send(fd, s.data() + off, s.size() - off, MSG_NOSIGNAL);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) return false;
    off += static_cast<std::size_t>(n);
  }
  return true;
}
}  // namespace

void control_socket::run() {
  while (true) {
    pollfd fds[2] = {{listen_fd_, POLLIN, 0}, {stop_pipe_[0], POLLIN, 0}};
    if (::poll(fds, 2, -1) < 0) {
      if (errno == EINTR) continue;
      return;
    }
    if (fds[1].revents) return;
    if (!(fds[0].revents & POLLIN)) continue;
    const int c = ::accept4(listen_fd_, nullptr, nullptr, SOCK_CLOEXEC);
    if (c < 0) continue;
    std::string buf;
    bool too_long = false;
    bool open = true;
    while (open) {
      pollfd cf[2] = {{c, POLLIN, 0}, {stop_pipe_[0], POLLIN, 0}};
      if (::poll(cf, 2, -1) < 0) {
        if (errno == EINTR) continue;
        break;
      }
      if (cf[1].revents) {
        ::close(c);
        return;
      }
      char tmp[1024];
      const ssize_t n = ::recv(c, tmp, sizeof tmp, 0);
      if (n <= 0) break;
      buf.append(tmp, static_cast<std::size_t>(n));
      for (auto nl = buf.find('\n'); nl != std::string::npos; nl = buf.find('\n')) {
        std::string line = buf.substr(0, nl);
        buf.erase(0, nl + 1);
        if (!line.empty() && line.back() == '\r') line.pop_back();
        std::string answer;
        if (too_long) {
          too_long = false;
          answer = R"({"ok":false,"error":"line_too_long","message":"a command line is at most 4096 bytes"})";
        } else if (line.empty()) {
          continue;
        } else {
          try {
            answer = handler_(line);
          } catch (const std::exception& e) {  // nothing escapes into the socket thread
            spdlog::error("control: {}", e.what());
            answer = R"({"ok":false,"error":"internal","message":"the command failed"})";
          }
        }
        if (!write_all(c, answer + "\n")) { open = false; break; }
      }
      if (buf.size() > max_line) {  // drop the rest of an overlong line
        buf.clear();
        too_long = true;
      }
    }
    ::close(c);
  }
}

}  // namespace kh::kiosk
