// Transports against real loopback sockets and files; status answers; fault injection.
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <atomic>
#include <condition_variable>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <map>
#include <mutex>
#include <thread>

#include "kh/hardware/printer/layout.hpp"
#include "kh/hardware/printer/receipt_printer.hpp"
#include "kh/hardware/printer/sim_printer.hpp"
#include "kh/hardware/printer/transport.hpp"

using namespace kh::hardware::printer;
using namespace std::chrono_literals;
using bytes = std::vector<std::uint8_t>;

namespace {

// A loopback TCP "printer". Each accepted connection follows the next behaviour in the plan.
class loopback_peer {
 public:
  enum class behaviour { receive, stall, close_early };

  explicit loopback_peer(std::vector<behaviour> plan, std::map<int, std::uint8_t> answers = {}, int rcvbuf = 0)
      : plan_(std::move(plan)), answers_(std::move(answers)) {
    listen_fd_ = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (rcvbuf > 0) ::setsockopt(listen_fd_, SOL_SOCKET, SO_RCVBUF, &rcvbuf, sizeof rcvbuf);
    sockaddr_in a{};
    a.sin_family = AF_INET;
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    a.sin_port = 0;
    if (::bind(listen_fd_, reinterpret_cast<sockaddr*>(&a), sizeof a) != 0 || ::listen(listen_fd_, 4) != 0)
      throw std::runtime_error("listen failed");
    socklen_t len = sizeof a;
    ::getsockname(listen_fd_, reinterpret_cast<sockaddr*>(&a), &len);
    port_ = ntohs(a.sin_port);
    thread_ = std::thread([this] { run(); });
  }
  ~loopback_peer() {
    stop_ = true;
    thread_.join();
    if (listen_fd_ >= 0) ::close(listen_fd_);
  }
  std::uint16_t port() const { return port_; }

  /// Waits (condition variable, bounded) until `n` bytes arrived on connection `conn`.
  bytes wait_for(std::size_t conn, std::size_t n, std::chrono::milliseconds limit = 5s) {
    std::unique_lock lk(mu_);
    cv_.wait_for(lk, limit, [&] { return received_.size() > conn && received_[conn].size() >= n; });
    return received_.size() > conn ? received_[conn] : bytes{};
  }
  std::size_t connections() {
    std::lock_guard lk(mu_);
    return received_.size();
  }

 private:
  void run() {
    const auto deadline = std::chrono::steady_clock::now() + 20s;  // hard bound for the thread
    for (const auto b : plan_) {
      int fd = -1;
      while (!stop_ && std::chrono::steady_clock::now() < deadline && fd < 0) {
        pollfd p{listen_fd_, POLLIN, 0};
        if (::poll(&p, 1, 20) > 0) fd = ::accept4(listen_fd_, nullptr, nullptr, SOCK_CLOEXEC);
      }
      if (fd < 0) return;
      {
        std::lock_guard lk(mu_);
        received_.emplace_back();
      }
      cv_.notify_all();
      if (b == behaviour::close_early) {
        // Listener first: once the client sees its connection drop, nobody is home any more.
        ::close(listen_fd_);
        listen_fd_ = -1;
        ::close(fd);
        continue;
      }
      serve(fd, b, deadline);
      ::close(fd);
    }
  }

  void serve(int fd, behaviour b, std::chrono::steady_clock::time_point deadline) {
    std::size_t scanned = 0;
    while (!stop_ && std::chrono::steady_clock::now() < deadline) {
      pollfd p{fd, static_cast<short>(POLLIN | POLLRDHUP), 0};
      if (::poll(&p, 1, 20) <= 0) continue;
      if (b == behaviour::stall) {
        if (p.revents & (POLLRDHUP | POLLHUP | POLLERR)) return;  // client gave up: next connection
        continue;                                                 // never read, never answer
      }
      std::uint8_t buf[65536];
      const auto n = ::recv(fd, buf, sizeof buf, 0);
      if (n <= 0) return;
      std::vector<std::uint8_t> replies;
      {
        std::lock_guard lk(mu_);
        auto& r = received_.back();
        r.insert(r.end(), buf, buf + n);
        for (; scanned + 3 <= r.size(); ++scanned)
          if (r[scanned] == 0x10 && r[scanned + 1] == 0x04) {
            const auto it = answers_.find(r[scanned + 2]);
            replies.push_back(it == answers_.end() ? 0x12 : it->second);
            scanned += 2;
          }
      }
      cv_.notify_all();
      if (!replies.empty()) ::send(fd, replies.data(), replies.size(), MSG_NOSIGNAL);
    }
  }

  std::vector<behaviour> plan_;
  std::map<int, std::uint8_t> answers_;
  int listen_fd_ = -1;
  std::uint16_t port_ = 0;
  std::atomic<bool> stop_{false};
  std::thread thread_;
  std::mutex mu_;
  std::condition_variable cv_;
  std::vector<bytes> received_;
};

const bytes k_queries = {0x10, 0x04, 1, 0x10, 0x04, 2, 0x10, 0x04, 4};

bytes sample_job() { return layout_receipt(sample_receipt(), printer_profile::mm80()); }

bytes concat(bytes a, const bytes& b) {
  a.insert(a.end(), b.begin(), b.end());
  return a;
}

// Fails every operation after the first `ok_ops` writes/reads (until close()).
class failing_transport final : public printer_transport {
 public:
  failing_transport(printer_transport& inner, int ok_ops) : inner_(inner), left_(ok_ops) {}
  std::error_code write(std::span<const std::uint8_t> b) override {
    if (left_-- <= 0) return errc::io_error;
    return inner_.write(b);
  }
  std::error_code read(std::span<std::uint8_t> out, std::chrono::milliseconds t) override {
    if (left_-- <= 0) return errc::io_error;
    return inner_.read(out, t);
  }
  bool two_way() const noexcept override { return inner_.two_way(); }
  void close() noexcept override { ++closes; }
  std::string describe() const override { return "failing:" + inner_.describe(); }
  int closes = 0;

 private:
  printer_transport& inner_;
  int left_;
};

}  // namespace

TEST(printer_tcp, loopback_printer_receives_the_exact_bytes) {
  loopback_peer peer({loopback_peer::behaviour::receive});
  auto t = make_tcp_transport("127.0.0.1", peer.port());
  const auto job = sample_job();
  const auto r = print_job(*t, job);
  ASSERT_FALSE(r.error) << r.error.message();
  EXPECT_EQ(r.bytes_written, job.size());
  EXPECT_EQ(peer.wait_for(0, k_queries.size() + job.size()), concat(k_queries, job));
}

TEST(printer_tcp, stalled_peer_gives_write_timeout_not_a_hang) {
  loopback_peer peer({loopback_peer::behaviour::stall}, {}, 4096);
  tcp_options o;
  o.write_timeout = 300ms;
  o.send_buffer_bytes = 4096;
  auto t = make_tcp_transport("127.0.0.1", peer.port(), o);
  const bytes big(8 << 20, 'x');
  const auto r = print_job(*t, big, {.check_status = false});
  EXPECT_EQ(r.error, errc::timeout);
  EXPECT_LT(r.bytes_written, big.size());
}

TEST(printer_tcp, silent_peer_gives_status_timeout) {
  loopback_peer peer({loopback_peer::behaviour::stall});
  auto t = make_tcp_transport("127.0.0.1", peer.port());
  const auto r = print_job(*t, sample_job(), {.status_timeout = 200ms});
  EXPECT_EQ(r.error, errc::timeout);
  EXPECT_EQ(r.bytes_written, 0u);
}

TEST(printer_tcp, peer_closing_early_is_reported_and_next_job_reconnects) {
  loopback_peer peer({loopback_peer::behaviour::close_early});
  auto t = make_tcp_transport("127.0.0.1", peer.port());
  auto r = print_job(*t, sample_job());
  EXPECT_EQ(r.error, errc::connection_closed) << r.error.message();
  // The listener is gone too: the next job tries to reconnect and says so.
  r = print_job(*t, sample_job());
  EXPECT_EQ(r.error, errc::connect_failed) << r.error.message();
}

TEST(printer_tcp, reconnects_on_the_next_job_after_a_failure) {
  loopback_peer peer({loopback_peer::behaviour::stall, loopback_peer::behaviour::receive});
  auto t = make_tcp_transport("127.0.0.1", peer.port());
  const auto job = sample_job();
  auto r = print_job(*t, job, {.status_timeout = 150ms});
  ASSERT_EQ(r.error, errc::timeout);
  r = print_job(*t, job);
  ASSERT_FALSE(r.error) << r.error.message();
  EXPECT_EQ(peer.wait_for(1, k_queries.size() + job.size()), concat(k_queries, job));
  EXPECT_EQ(peer.connections(), 2u);
}

TEST(printer_tcp, paper_out_answer_refuses_the_job_with_a_typed_error) {
  // DLE EOT 1: offline; 2: stopped by paper end; 4: paper end.
  loopback_peer peer({loopback_peer::behaviour::receive}, {{1, 0x1A}, {2, 0x32}, {4, 0x7E}});
  auto t = make_tcp_transport("127.0.0.1", peer.port());
  printer_status s;
  ASSERT_FALSE(query_status(*t, s));
  EXPECT_TRUE(s.paper_out);
  EXPECT_TRUE(s.offline);
  EXPECT_FALSE(s.cover_open);
  const auto r = print_job(*t, sample_job());
  EXPECT_EQ(r.error, errc::paper_out);
  EXPECT_EQ(r.error.message(), "printer is out of paper");
  EXPECT_EQ(r.bytes_written, 0u);
  // Only status queries reached the printer (two rounds), no job bytes.
  EXPECT_EQ(peer.wait_for(0, 2 * k_queries.size()), concat(k_queries, k_queries));
}

TEST(printer_tcp, cover_open_and_near_end_are_told_apart) {
  {
    loopback_peer peer({loopback_peer::behaviour::receive}, {{1, 0x1A}, {2, 0x16}});
    auto t = make_tcp_transport("127.0.0.1", peer.port());
    EXPECT_EQ(print_job(*t, sample_job()).error, errc::cover_open);
  }
  {
    loopback_peer peer({loopback_peer::behaviour::receive}, {{4, 0x1E}});
    auto t = make_tcp_transport("127.0.0.1", peer.port());
    const auto job = sample_job();
    const auto r = print_job(*t, job);
    EXPECT_FALSE(r.error);
    EXPECT_TRUE(r.paper_near_end);
    EXPECT_EQ(peer.wait_for(0, k_queries.size() + job.size()).size(), k_queries.size() + job.size());
  }
  {
    loopback_peer peer({loopback_peer::behaviour::receive}, {{1, 0xFF}});
    auto t = make_tcp_transport("127.0.0.1", peer.port());
    EXPECT_EQ(print_job(*t, sample_job()).error, errc::bad_status);
  }
}

TEST(printer_tcp, refused_connection_is_connect_failed) {
  // Bind a port, then close it so nothing listens there.
  int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in a{};
  a.sin_family = AF_INET;
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  ASSERT_EQ(::bind(fd, reinterpret_cast<sockaddr*>(&a), sizeof a), 0);
  socklen_t len = sizeof a;
  ::getsockname(fd, reinterpret_cast<sockaddr*>(&a), &len);
  ::close(fd);
  auto t = make_tcp_transport("127.0.0.1", ntohs(a.sin_port));
  EXPECT_EQ(print_job(*t, bytes{1, 2, 3}).error, errc::connect_failed);
}

TEST(printer_tcp, unanswered_connect_times_out) {
  // A listener with a full accept queue drops new SYNs, so connect() never completes.
  int lfd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  sockaddr_in a{};
  a.sin_family = AF_INET;
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  ASSERT_EQ(::bind(lfd, reinterpret_cast<sockaddr*>(&a), sizeof a), 0);
  ASSERT_EQ(::listen(lfd, 0), 0);
  socklen_t len = sizeof a;
  ::getsockname(lfd, reinterpret_cast<sockaddr*>(&a), &len);
  std::vector<std::unique_ptr<printer_transport>> fillers;
  tcp_options o;
  o.connect_timeout = 200ms;
  std::error_code last;
  // Fill the queue (bounded number of tries), then the next connect must time out.
  for (int i = 0; i < 8 && last != errc::timeout; ++i) {
    fillers.push_back(make_tcp_transport("127.0.0.1", ntohs(a.sin_port), o));
    last = fillers.back()->write(bytes{0});
  }
  EXPECT_EQ(last, errc::timeout);
  ::close(lfd);
}

TEST(printer_file, writes_exactly_the_bytes_and_appends_jobs) {
  const auto path = std::filesystem::path(testing::TempDir()) / ("kh_printer_file_" + std::to_string(::getpid()) + ".bin");
  std::filesystem::remove(path);
  std::error_code ec;
  auto t = make_transport("file:" + path.string(), ec);
  ASSERT_FALSE(ec);
  EXPECT_FALSE(t->two_way());
  const auto job = sample_job();
  const auto r = print_job(*t, job, {.chunk_size = 100});
  ASSERT_FALSE(r.error);
  ASSERT_FALSE(print_job(*t, bytes{'z'}).error);
  t->close();
  std::ifstream f(path, std::ios::binary);
  const bytes got{std::istreambuf_iterator<char>(f), {}};
  EXPECT_EQ(got, concat(job, {'z'}));
  printer_status s;
  EXPECT_EQ(query_status(*t, s), errc::not_supported);
  std::filesystem::remove(path);
}

TEST(printer_file, missing_device_is_open_failed) {
  auto t = make_file_transport("/nonexistent-dir/lp0");
  EXPECT_EQ(print_job(*t, bytes{1}).error, errc::open_failed);
}

TEST(printer_uri, parses_file_and_tcp_and_rejects_the_rest) {
  std::error_code ec;
  EXPECT_EQ(make_transport("file:/dev/usb/lp0", ec)->describe(), "file:/dev/usb/lp0");
  EXPECT_EQ(make_transport("file:///dev/usb/lp0", ec)->describe(), "file:/dev/usb/lp0");
  EXPECT_EQ(make_transport("tcp://printer.local", ec)->describe(), "tcp://printer.local:9100");
  EXPECT_EQ(make_transport("tcp://10.0.0.5:9101/", ec)->describe(), "tcp://10.0.0.5:9101");
  EXPECT_EQ(make_transport("tcp://[::1]:9100", ec)->describe(), "tcp://[::1]:9100");
  for (const char* bad : {"", "lp0", "file:", "file:relative", "tcp://", "tcp://h:0", "tcp://h:70000", "tcp://h:9x",
                          "tcp://[::1", "tcp://u@h:1", "http://h"}) {
    EXPECT_EQ(make_transport(bad, ec), nullptr) << bad;
    EXPECT_EQ(ec, errc::bad_uri) << bad;
  }
}

TEST(printer_sim, keeps_job_bytes_and_answers_status) {
  sim_printer sim;
  const auto job = sample_job();
  auto r = print_job(sim, job);
  ASSERT_FALSE(r.error);
  EXPECT_EQ(sim.printed(), job);  // status queries are not part of the print
  sim.clear();
  sim.set_paper_near_end(true);
  r = print_job(sim, job);
  EXPECT_FALSE(r.error);
  EXPECT_TRUE(r.paper_near_end);
}

TEST(printer_sim, faults_refuse_jobs_and_print_nothing) {
  const auto job = sample_job();
  struct fault {
    void (sim_printer::*set)(bool);
    errc expected;
  };
  for (const auto& f : {fault{&sim_printer::set_paper_out, errc::paper_out}, fault{&sim_printer::set_cover_open, errc::cover_open},
                        fault{&sim_printer::set_offline, errc::offline}}) {
    sim_printer sim;
    (sim.*f.set)(true);
    EXPECT_EQ(print_job(sim, job).error, f.expected);
    EXPECT_TRUE(sim.printed().empty());
    // Without the status check the write itself fails the same way.
    EXPECT_EQ(print_job(sim, job, {.check_status = false}).error, f.expected);
    (sim.*f.set)(false);
    EXPECT_FALSE(print_job(sim, job).error);
    EXPECT_EQ(sim.printed(), job);
  }
}

TEST(printer_fault_injection, every_failure_point_is_an_error_until_the_job_succeeds) {
  const auto job = sample_job();
  const job_options o{.check_status = true, .chunk_size = 256};
  const int ops = 6 + static_cast<int>((job.size() + 255) / 256);  // 3 x (query write + read) + chunks
  int failures = 0;
  bool succeeded = false;
  for (int n = 0; n < 10000 && !succeeded; ++n) {
    sim_printer sim;
    failing_transport t(sim, n);
    const auto r = print_job(t, job, o);
    if (r.error) {
      ++failures;
      EXPECT_EQ(r.error, errc::io_error) << "n=" << n;
      EXPECT_EQ(t.closes, 1) << "failed job must close the transport, n=" << n;
      // What reached the printer is a prefix of the job, and the count says how much.
      ASSERT_LE(sim.printed().size(), job.size());
      EXPECT_TRUE(std::equal(sim.printed().begin(), sim.printed().end(), job.begin()));
      EXPECT_EQ(r.bytes_written, sim.printed().size());
    } else {
      succeeded = true;
      EXPECT_EQ(sim.printed(), job);
      EXPECT_EQ(n, ops);
    }
  }
  EXPECT_TRUE(succeeded);
  EXPECT_EQ(failures, ops);
}

TEST(receipt_printer, prints_documents_through_its_transport) {
  std::error_code ec;
  auto p = receipt_printer::open("sim:", printer_profile::mm58(), ec);
  ASSERT_TRUE(p) << ec.message();
  auto& sim = dynamic_cast<sim_printer&>(p->transport());
  ASSERT_FALSE(p->print(sample_receipt()).error);
  EXPECT_EQ(sim.printed(), layout_receipt(sample_receipt(), printer_profile::mm58()));
  sim.clear();
  ASSERT_FALSE(p->open_drawer().error);
  EXPECT_EQ(sim.printed(), (bytes{0x1B, 'p', 0, 50, 50}));
  sim.set_cover_open(true);
  printer_status s;
  ASSERT_FALSE(p->status(s));
  EXPECT_TRUE(s.cover_open);
  EXPECT_EQ(p->print(sample_pickup_ticket()).error, errc::cover_open);
  EXPECT_EQ(p->preview(sample_receipt()).image.width, 384);
  EXPECT_EQ(receipt_printer::open("lp0", printer_profile::mm58(), ec), nullptr);
  EXPECT_EQ(ec, errc::bad_uri);
  EXPECT_THROW(receipt_printer(nullptr, printer_profile::mm80()), std::invalid_argument);
}
