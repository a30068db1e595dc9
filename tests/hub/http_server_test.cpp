// The HTTP server on a real loopback socket, driven by a raw POSIX client so malformed and partial
// requests can be sent byte for byte. Every client read has a 10 s safety timeout so a broken server
// fails the test instead of hanging it; no assertion depends on timing.
#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <unistd.h>

#include <atomic>
#include <cerrno>
#include <chrono>
#include <future>
#include <map>
#include <memory>
#include <optional>
#include <stdexcept>
#include <string>
#include <system_error>
#include <thread>
#include <vector>

#include <gtest/gtest.h>

#include "kh/hub/http/http_server.hpp"
#include "kh/hub/metrics/metrics.hpp"

namespace {

using namespace std::chrono_literals;
using kh::hub::http_request;
using kh::hub::http_response;
using kh::hub::http_router;
using kh::hub::http_server;
using kh::hub::http_server_options;

struct response {
  int status = 0;
  std::map<std::string, std::string> headers;  // lower-case names
  std::string body;
};

class raw_client {
 public:
  explicit raw_client(std::uint16_t port) {
    fd_ = ::socket(AF_INET, SOCK_STREAM, 0);
    if (fd_ < 0) throw std::system_error(errno, std::generic_category(), "socket");
    timeval tv{10, 0};  // safety net only
    ::setsockopt(fd_, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
    ::setsockopt(fd_, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof tv);
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    addr.sin_port = htons(port);
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    if (::connect(fd_, reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0)
      throw std::system_error(errno, std::generic_category(), "connect");
  }
  ~raw_client() { ::close(fd_); }
  raw_client(const raw_client&) = delete;
  raw_client& operator=(const raw_client&) = delete;

  bool send(std::string_view data) {
    while (!data.empty()) {
      const auto n = ::send(fd_, data.data(), data.size(), MSG_NOSIGNAL);
      if (n <= 0) return false;
      data.remove_prefix(static_cast<std::size_t>(n));
    }
    return true;
  }

  // One response; nullopt if the connection ends (or the safety timeout hits) first.
  std::optional<response> read_response(bool head = false) {
    std::size_t end;
    while ((end = buf_.find("\r\n\r\n")) == std::string::npos)
      if (!fill()) return std::nullopt;
    response r;
    const std::string header = buf_.substr(0, end);
    buf_.erase(0, end + 4);
    std::size_t pos = header.find("\r\n");
    const std::string status_line = header.substr(0, pos);
    if (!status_line.starts_with("HTTP/1.")) return std::nullopt;
    r.status = std::stoi(status_line.substr(9, 3));
    while (pos != std::string::npos) {
      const std::size_t next = header.find("\r\n", pos + 2);
      const std::string line = header.substr(pos + 2, next == std::string::npos ? std::string::npos : next - pos - 2);
      const auto colon = line.find(':');
      if (colon != std::string::npos) {
        std::string name = line.substr(0, colon);
        for (auto& c : name) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
        r.headers[name] = line.substr(line.find_first_not_of(' ', colon + 1));
      }
      pos = next;
    }
    std::size_t length = 0;
    if (r.headers.contains("content-length") && !head) length = std::stoul(r.headers["content-length"]);
    while (buf_.size() < length)
      if (!fill()) return std::nullopt;
    r.body = buf_.substr(0, length);
    buf_.erase(0, length);
    return r;
  }

  // True when the server closes the connection (EOF or reset), false on the safety timeout.
  bool wait_closed() {
    for (int i = 0; i < 1000; ++i) {
      char tmp[4096];
      const auto n = ::recv(fd_, tmp, sizeof tmp, 0);
      if (n == 0) return true;
      if (n < 0) return errno == ECONNRESET || errno == EPIPE;
    }
    return false;
  }

  std::string_view unread() const { return buf_; }

 private:
  bool fill() {
    char tmp[4096];
    const auto n = ::recv(fd_, tmp, sizeof tmp, 0);
    if (n <= 0) return false;
    buf_.append(tmp, static_cast<std::size_t>(n));
    return true;
  }

  int fd_ = -1;
  std::string buf_;
};

http_response text(std::string body) {
  http_response r;
  r.body = std::move(body);
  return r;
}

// A server with a few routes, its io_context run on a background thread.
struct running_server {
  explicit running_server(http_server_options o = {}) : server(io, router, "127.0.0.1", 0, std::move(o)) {
    router.add("GET", "/hello", [](const http_request&) {
      auto r = text("hello world");
      r.headers.emplace_back("X-Test", "1");
      return r;
    });
    router.add("POST", "/echo", [](const http_request& r) {
      std::string out = "body=" + r.body + ";path=" + r.path + ";target=" + r.target;
      for (const auto& [k, v] : r.query) out += ";q:" + k + "=" + v;
      if (auto it = r.headers.find("x-custom"); it != r.headers.end()) out += ";x-custom=" + it->second;
      out += ";remote_ok=" + std::to_string(r.remote.starts_with("127.0.0.1:"));
      return text(out);
    });
    router.add("GET", "/boom", [](const http_request&) -> http_response { throw std::runtime_error("handler failed"); });
  }

  // Runs the io_context on `threads` threads; `finished_future` is ready once all have returned.
  void start(int threads = 1) {
    server.start();
    for (int i = 0; i < threads; ++i) io_threads.emplace_back([this] { io.run(); });
    waiter = std::thread([this] {
      for (auto& t : io_threads) t.join();
      done.set_value();
    });
  }

  // stop(), then wait (bounded) for io.run() to return, which it does only once every
  // connection is closed and nothing of the server is left in the io_context.
  bool stop_and_join() {
    server.stop();
    const bool finished = finished_future.wait_for(10s) == std::future_status::ready;
    if (!finished) io.stop();
    waiter.join();
    return finished;
  }

  ~running_server() {
    if (waiter.joinable()) {
      server.stop();
      io.stop();
      waiter.join();
    }
  }

  std::uint16_t port() const { return server.port(); }

  boost::asio::io_context io;
  http_router router;
  http_server server;
  std::promise<void> done;
  std::future<void> finished_future = done.get_future();
  std::vector<std::thread> io_threads;
  std::thread waiter;
};

http_server_options fast_timeouts() {
  http_server_options o;
  o.idle_timeout = 200ms;
  o.header_timeout = 200ms;
  o.body_timeout = 200ms;
  return o;
}

TEST(http_server, get_returns_body_and_headers) {
  running_server s;
  s.start();
  ASSERT_NE(s.port(), 0);
  raw_client c(s.port());
  ASSERT_TRUE(c.send("GET /hello HTTP/1.1\r\nHost: x\r\n\r\n"));
  auto r = c.read_response();
  ASSERT_TRUE(r);
  EXPECT_EQ(r->status, 200);
  EXPECT_EQ(r->body, "hello world");
  EXPECT_EQ(r->headers["content-length"], "11");
  EXPECT_EQ(r->headers["content-type"], "text/plain; charset=utf-8");
  EXPECT_EQ(r->headers["x-test"], "1");
  EXPECT_EQ(r->headers["server"], "kioskhub");
  EXPECT_TRUE(s.stop_and_join());
}

TEST(http_server, keep_alive_serves_several_requests_on_one_connection) {
  running_server s;
  s.start();
  raw_client c(s.port());
  ASSERT_TRUE(c.send("GET /hello HTTP/1.1\r\nHost: x\r\n\r\n"));
  auto first = c.read_response();
  ASSERT_TRUE(first);
  EXPECT_EQ(first->status, 200);
  ASSERT_TRUE(c.send("POST /echo HTTP/1.1\r\nHost: x\r\nContent-Length: 3\r\n\r\nabc"));
  auto second = c.read_response();
  ASSERT_TRUE(second);
  EXPECT_EQ(second->status, 200);
  EXPECT_TRUE(second->body.starts_with("body=abc;")) << second->body;
  // Two pipelined requests in one write are answered in order.
  ASSERT_TRUE(c.send("GET /hello HTTP/1.1\r\nHost: x\r\n\r\nGET /nope HTTP/1.1\r\nHost: x\r\n\r\n"));
  auto third = c.read_response();
  auto fourth = c.read_response();
  ASSERT_TRUE(third && fourth);
  EXPECT_EQ(third->status, 200);
  EXPECT_EQ(fourth->status, 404);
  // Connection: close is honoured.
  ASSERT_TRUE(c.send("GET /hello HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n"));
  auto last = c.read_response();
  ASSERT_TRUE(last);
  EXPECT_EQ(last->headers["connection"], "close");
  EXPECT_TRUE(c.wait_closed());
}

TEST(http_server, head_sends_get_headers_without_body) {
  running_server s;
  s.start();
  raw_client c(s.port());
  ASSERT_TRUE(c.send("HEAD /hello HTTP/1.1\r\nHost: x\r\n\r\n"));
  auto r = c.read_response(/*head=*/true);
  ASSERT_TRUE(r);
  EXPECT_EQ(r->status, 200);
  EXPECT_EQ(r->headers["content-length"], "11");
  // No body bytes follow: the next response starts right away on the same connection.
  ASSERT_TRUE(c.send("GET /hello HTTP/1.1\r\nHost: x\r\n\r\n"));
  auto next = c.read_response();
  ASSERT_TRUE(next);
  EXPECT_EQ(next->status, 200);
  EXPECT_EQ(next->body, "hello world");
}

TEST(http_server, unknown_path_is_404_and_wrong_method_405_with_allow) {
  running_server s;
  s.start();
  raw_client c(s.port());
  ASSERT_TRUE(c.send("GET /missing HTTP/1.1\r\nHost: x\r\n\r\n"));
  auto r = c.read_response();
  ASSERT_TRUE(r);
  EXPECT_EQ(r->status, 404);
  ASSERT_TRUE(c.send("DELETE /hello HTTP/1.1\r\nHost: x\r\n\r\n"));
  r = c.read_response();
  ASSERT_TRUE(r);
  EXPECT_EQ(r->status, 405);
  EXPECT_EQ(r->headers["allow"], "GET, HEAD");
}

TEST(http_server, request_fields_reach_the_handler) {
  running_server s;
  s.start();
  raw_client c(s.port());
  ASSERT_TRUE(c.send("POST /echo?name=a%20b&x=1+2&flag HTTP/1.1\r\nHost: x\r\nX-Custom: One\r\nx-custom: Two\r\n"
                     "Content-Length: 2\r\n\r\nhi"));
  auto r = c.read_response();
  ASSERT_TRUE(r);
  EXPECT_EQ(r->body,
            "body=hi;path=/echo;target=/echo?name=a%20b&x=1+2&flag;q:flag=;q:name=a b;q:x=1 2;x-custom=One, Two;remote_ok=1");
  // A broken percent escape in the target is a 400, and the connection stays usable.
  ASSERT_TRUE(c.send("POST /echo?x=%zz HTTP/1.1\r\nHost: x\r\nContent-Length: 0\r\n\r\n"));
  r = c.read_response();
  ASSERT_TRUE(r);
  EXPECT_EQ(r->status, 400);
  ASSERT_TRUE(c.send("GET /hello HTTP/1.1\r\nHost: x\r\n\r\n"));
  r = c.read_response();
  ASSERT_TRUE(r);
  EXPECT_EQ(r->status, 200);
}

TEST(http_server, oversized_body_is_413_and_limit_itself_is_fine) {
  http_server_options o;
  o.max_body_bytes = 1024;
  running_server s(o);
  s.start();
  {
    raw_client c(s.port());
    ASSERT_TRUE(c.send("POST /echo HTTP/1.1\r\nHost: x\r\nContent-Length: 1024\r\n\r\n" + std::string(1024, 'a')));
    auto r = c.read_response();
    ASSERT_TRUE(r);
    EXPECT_EQ(r->status, 200);
  }
  {
    raw_client c(s.port());
    ASSERT_TRUE(c.send("POST /echo HTTP/1.1\r\nHost: x\r\nContent-Length: 1025\r\n\r\n" + std::string(1025, 'a')));
    auto r = c.read_response();
    ASSERT_TRUE(r);
    EXPECT_EQ(r->status, 413);
    EXPECT_TRUE(c.wait_closed());
  }
  {
    // Chunked: no length up front, so the limit trips while reading the body.
    raw_client c(s.port());
    std::string req = "POST /echo HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n";
    for (int i = 0; i < 3; ++i) req += "200\r\n" + std::string(512, 'b') + "\r\n";
    req += "0\r\n\r\n";
    ASSERT_TRUE(c.send(req));
    auto r = c.read_response();
    ASSERT_TRUE(r);
    EXPECT_EQ(r->status, 413);
  }
}

TEST(http_server, oversized_header_is_431) {
  http_server_options o;
  o.max_header_bytes = 1024;
  running_server s(o);
  s.start();
  raw_client c(s.port());
  ASSERT_TRUE(c.send("GET /hello HTTP/1.1\r\nHost: x\r\nX-Big: " + std::string(2000, 'h') + "\r\n\r\n"));
  auto r = c.read_response();
  ASSERT_TRUE(r);
  EXPECT_EQ(r->status, 431);
}

TEST(http_server, malformed_request_line_is_400_and_server_keeps_serving) {
  running_server s;
  s.start();
  for (const char* bad : {"GARBAGE\r\n\r\n", "GET /hello HTTP/9\r\n\r\n", "GET /hello HTTP/1.1\r\nNo colon here\r\n\r\n",
                          "GET hello HTTP/1.1\r\nHost: x\r\n\r\n"}) {
    raw_client c(s.port());
    ASSERT_TRUE(c.send(bad));
    auto r = c.read_response();
    ASSERT_TRUE(r) << bad;
    EXPECT_EQ(r->status, 400) << bad;
  }
  raw_client good(s.port());
  ASSERT_TRUE(good.send("GET /hello HTTP/1.1\r\nHost: x\r\n\r\n"));
  auto r = good.read_response();
  ASSERT_TRUE(r);
  EXPECT_EQ(r->status, 200);
}

TEST(http_server, slow_header_is_dropped_without_blocking_others) {
  running_server s(fast_timeouts());
  s.start();
  raw_client slow(s.port());
  ASSERT_TRUE(slow.send("GET /hello HTTP/1.1\r\nHost: x\r\n"));  // header never finished
  raw_client other(s.port());
  ASSERT_TRUE(other.send("GET /hello HTTP/1.1\r\nHost: x\r\n\r\n"));
  auto r = other.read_response();
  ASSERT_TRUE(r);
  EXPECT_EQ(r->status, 200);
  EXPECT_TRUE(slow.wait_closed());
  EXPECT_EQ(slow.unread(), "");  // dropped without an answer
  // A connection that never sends anything is dropped after the idle timeout too.
  raw_client silent(s.port());
  EXPECT_TRUE(silent.wait_closed());
}

TEST(http_server, throwing_handler_gives_500_and_connection_stays_usable) {
  running_server s;
  s.start();
  raw_client c(s.port());
  ASSERT_TRUE(c.send("GET /boom HTTP/1.1\r\nHost: x\r\n\r\n"));
  auto r = c.read_response();
  ASSERT_TRUE(r);
  EXPECT_EQ(r->status, 500);
  ASSERT_TRUE(c.send("GET /hello HTTP/1.1\r\nHost: x\r\n\r\n"));
  r = c.read_response();
  ASSERT_TRUE(r);
  EXPECT_EQ(r->status, 200);
}

TEST(http_server, handler_with_invalid_status_gives_500) {
  running_server s;
  s.router.add("GET", "/bad-status", [](const http_request&) {
    http_response r;
    r.status = 1234;
    return r;
  });
  s.start();
  raw_client c(s.port());
  ASSERT_TRUE(c.send("GET /bad-status HTTP/1.1\r\nHost: x\r\n\r\n"));
  auto r = c.read_response();
  ASSERT_TRUE(r);
  EXPECT_EQ(r->status, 500);
}

TEST(http_server, handler_cannot_inject_header_fields) {
  running_server s;
  s.router.add("GET", "/inject", [](const http_request& req) {
    http_response r;
    r.headers.emplace_back("X-Echo", req.query.at("v"));  // client-controlled value
    return r;
  });
  s.start();
  raw_client c(s.port());
  ASSERT_TRUE(c.send("GET /inject?v=a%0d%0aSet-Cookie:%20evil=1 HTTP/1.1\r\nHost: x\r\n\r\n"));
  auto r = c.read_response();
  ASSERT_TRUE(r);
  EXPECT_EQ(r->status, 500);
  EXPECT_FALSE(r->headers.contains("set-cookie"));
  ASSERT_TRUE(c.send("GET /inject?v=fine HTTP/1.1\r\nHost: x\r\n\r\n"));
  r = c.read_response();
  ASSERT_TRUE(r);
  EXPECT_EQ(r->status, 200);
  EXPECT_EQ(r->headers["x-echo"], "fine");
}

TEST(http_server, expect_100_continue_is_answered) {
  running_server s;
  s.start();
  raw_client c(s.port());
  ASSERT_TRUE(c.send("POST /echo HTTP/1.1\r\nHost: x\r\nExpect: 100-continue\r\nContent-Length: 4\r\n\r\n"));
  auto interim = c.read_response();
  ASSERT_TRUE(interim);
  EXPECT_EQ(interim->status, 100);
  ASSERT_TRUE(c.send("data"));
  auto r = c.read_response();
  ASSERT_TRUE(r);
  EXPECT_EQ(r->status, 200);
  EXPECT_TRUE(r->body.starts_with("body=data;")) << r->body;
}

TEST(http_server, connections_beyond_the_limit_get_503) {
  http_server_options o;
  o.max_connections = 2;
  running_server s(o);
  s.start();
  raw_client a(s.port());
  raw_client b(s.port());
  for (auto* c : {&a, &b}) {  // both are surely accepted once they have been answered
    ASSERT_TRUE(c->send("GET /hello HTTP/1.1\r\nHost: x\r\n\r\n"));
    auto r = c->read_response();
    ASSERT_TRUE(r);
    EXPECT_EQ(r->status, 200);
  }
  raw_client over(s.port());
  auto r = over.read_response();
  ASSERT_TRUE(r);
  EXPECT_EQ(r->status, 503);
  EXPECT_TRUE(over.wait_closed());
  // The connections within the limit are unaffected.
  ASSERT_TRUE(a.send("GET /hello HTTP/1.1\r\nHost: x\r\n\r\n"));
  r = a.read_response();
  ASSERT_TRUE(r);
  EXPECT_EQ(r->status, 200);
}

TEST(http_server, stop_closes_open_connections_and_returns) {
  running_server s;  // default 30 s idle timeout: only stop() can end these connections
  s.start();
  raw_client idle(s.port());
  raw_client half(s.port());
  raw_client kept(s.port());
  ASSERT_TRUE(half.send("GET /hello HTTP/1.1\r\nHo"));
  ASSERT_TRUE(kept.send("GET /hello HTTP/1.1\r\nHost: x\r\n\r\n"));
  ASSERT_TRUE(kept.read_response());
  EXPECT_TRUE(s.stop_and_join());
  EXPECT_TRUE(idle.wait_closed());
  EXPECT_TRUE(half.wait_closed());
  EXPECT_TRUE(kept.wait_closed());
}

TEST(http_server, records_request_metrics_when_given_a_registry) {
  kh::hub::metrics_registry metrics;
  http_server_options o;
  o.metrics = &metrics;
  running_server s(o);
  s.start();
  raw_client c(s.port());
  ASSERT_TRUE(c.send("GET /hello HTTP/1.1\r\nHost: x\r\n\r\nGET /missing HTTP/1.1\r\nHost: x\r\n\r\n"));
  ASSERT_TRUE(c.read_response());
  ASSERT_TRUE(c.read_response());
  EXPECT_EQ(metrics.value("kh_http_requests_total", {{"method", "GET"}, {"status", "200"}}), 1);
  EXPECT_EQ(metrics.value("kh_http_requests_total", {{"method", "GET"}, {"status", "404"}}), 1);
  EXPECT_EQ(metrics.value("kh_http_request_duration_seconds"), 2);
  EXPECT_EQ(metrics.value("kh_http_open_connections"), 1);
  raw_client bad(s.port());  // rejected requests are counted too
  ASSERT_TRUE(bad.send("GARBAGE\r\n\r\n"));
  ASSERT_TRUE(bad.read_response());
  ASSERT_TRUE(bad.wait_closed());
  EXPECT_EQ(metrics.value("kh_http_requests_total", {{"method", "other"}, {"status", "400"}}), 1);
  EXPECT_TRUE(s.stop_and_join());
  EXPECT_EQ(metrics.value("kh_http_open_connections"), 0);
}

TEST(http_server, serves_concurrent_clients_on_a_multithreaded_io_context) {
  kh::hub::metrics_registry metrics;
  http_server_options o;
  o.metrics = &metrics;
  running_server s(o);
  s.start(/*threads=*/2);
  constexpr int k_clients = 8;
  constexpr int k_requests = 25;
  std::vector<std::thread> clients;
  std::atomic<int> ok{0};
  for (int i = 0; i < k_clients; ++i) {
    clients.emplace_back([&s, &ok, i] {
      raw_client c(s.port());
      for (int j = 0; j < k_requests; ++j) {
        const std::string body = std::to_string(i) + "-" + std::to_string(j);
        if (!c.send("POST /echo HTTP/1.1\r\nHost: x\r\nContent-Length: " + std::to_string(body.size()) + "\r\n\r\n" + body))
          return;
        auto r = c.read_response();
        if (r && r->status == 200 && r->body.starts_with("body=" + body + ";")) ++ok;
      }
    });
  }
  for (auto& t : clients) t.join();
  EXPECT_EQ(ok.load(), k_clients * k_requests);
  EXPECT_EQ(metrics.value("kh_http_requests_total", {{"method", "POST"}, {"status", "200"}}), k_clients * k_requests);
  EXPECT_TRUE(s.stop_and_join());
}

TEST(http_server, metrics_registry_may_go_before_the_io_context) {
  // As in a hub that declares io_context, then registry, then server: the server and the registry
  // are destroyed while a session still sits in the io_context. (ASan catches a regression.)
  boost::asio::io_context io;
  http_router router;
  router.add("GET", "/x", [](const http_request&) { return text("x"); });
  auto metrics = std::make_unique<kh::hub::metrics_registry>();
  http_server_options o;
  o.metrics = metrics.get();
  auto server = std::make_unique<http_server>(io, router, "127.0.0.1", 0, o);
  server->start();
  raw_client c(server->port());
  for (int i = 0; i < 10 && metrics->value("kh_http_open_connections") < 1; ++i) io.run_one();
  ASSERT_EQ(metrics->value("kh_http_open_connections"), 1);
  server.reset();
  metrics.reset();
  io.run();  // the closes queued by the destructor run now, with the registry gone
  EXPECT_TRUE(c.wait_closed());
}

TEST(http_server, start_throws_when_the_port_is_taken) {
  running_server first;
  first.start();
  boost::asio::io_context io;
  http_router router;
  http_server second(io, router, "127.0.0.1", first.port());
  EXPECT_THROW(second.start(), std::system_error);
  http_server unresolvable(io, router, "no-such-host.invalid", 0);
  EXPECT_THROW(unresolvable.start(), std::system_error);
}

}  // namespace
