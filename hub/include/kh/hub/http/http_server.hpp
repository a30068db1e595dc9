#pragma once

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include <boost/asio/io_context.hpp>

namespace kh::hub {

class metrics_registry;
namespace detail {
struct http_server_state;
}

/// One HTTP request, fully read (header and body) before the handler runs.
struct http_request {
  std::string method;  ///< As sent, e.g. "GET" (methods are case-sensitive in HTTP).
  std::string target;  ///< Request target as sent, e.g. "/orders?day=2026-11-22".
  std::string path;    ///< Target up to '?', NOT percent-decoded (so "%2F" never splits a segment).
  std::map<std::string, std::string> query;    ///< Percent- and '+'-decoded; a repeated key keeps the last value.
  std::map<std::string, std::string> headers;  ///< Lower-case names; repeated fields joined with ", ".
  std::string body;
  std::string remote;  ///< Peer address, "127.0.0.1:51234" or "[::1]:51234".
};

/// A response body that goes on after the handler returned (server-sent events). The handler
/// keeps a reference and pushes chunks from any thread; the server writes them in order as the
/// client takes them. Bounded: a client more than `max_queued_bytes` behind is cut off (an
/// EventSource reconnects and resumes with Last-Event-ID). The server ends the response when the
/// stream is closed, the client goes away, or the server stops.
class http_stream {
 public:
  /// Default: 1 MiB queued at most; a heartbeat comment (": ping") every 15 s keeps proxies from
  /// timing out and finds dead clients.
  explicit http_stream(std::size_t max_queued_bytes = 1024 * 1024,
                       std::chrono::milliseconds heartbeat = std::chrono::seconds(15));
  /// Queues a chunk (any thread). False when the stream is closed (client gone, too far behind).
  bool push(std::shared_ptr<const std::string> chunk);
  bool push(std::string chunk) { return push(std::make_shared<const std::string>(std::move(chunk))); }
  /// Ends the response after what is queued (any thread). Idempotent.
  void close();
  bool closed() const;
  std::chrono::milliseconds heartbeat() const noexcept { return heartbeat_; }

  // Server side.
  /// Called by the connection when it starts writing: `wake` is posted whenever chunks arrive.
  void attach(std::function<void()> wake);
  /// Moves the queued chunks into `out`; false once closed and empty.
  bool take(std::vector<std::shared_ptr<const std::string>>& out);

 private:
  mutable std::mutex mu_;
  std::vector<std::shared_ptr<const std::string>> queue_;
  std::size_t queued_bytes_ = 0;
  std::size_t max_queued_bytes_;
  std::chrono::milliseconds heartbeat_;
  bool closed_ = false;
  std::function<void()> wake_;
};

/// What a handler answers. Content-Length, Connection and Server are set by the server; a
/// `headers` entry replaces a field of the same name, except `set-cookie`, which may repeat.
struct http_response {
  int status = 200;  ///< 100…599; anything else is answered 500 and logged.
  std::string content_type = "text/plain; charset=utf-8";
  std::string body;
  std::vector<std::pair<std::string, std::string>> headers;
  /// Set: a streamed answer. The header goes out without Content-Length and with
  /// `Connection: close`, then `body`, then whatever is pushed into the stream until it closes.
  std::shared_ptr<http_stream> stream;
};

/// Handlers run on the io_context thread(s): they must not block for long. An exception escaping a
/// handler is caught, logged, and answered 500; the server keeps serving.
using http_handler = std::function<http_response(const http_request&)>;

/// Maps method + path to a handler. Set it up before `http_server::start()`; it is read-only (and
/// so safe to share between threads) while serving.
class http_router {
 public:
  /// Exact path match. Throws std::invalid_argument for an empty method, a path not starting with
  /// '/', an empty handler, or a (method, path) pair already registered.
  void add(std::string method, std::string path, http_handler h);
  /// Prefix match ("/static/" matches "/static/app.js"), used when no exact path matches; the
  /// longest matching prefix wins. Same preconditions as `add`.
  void add_prefix(std::string method, std::string prefix, http_handler h);

  /// Finds the route and calls it. No path → 404. Path known but not for this method → 405 with an
  /// `Allow` header. HEAD falls back to the GET handler (the server then sends headers only).
  /// Never throws: a throwing handler gives 500 and a log line.
  http_response dispatch(const http_request& req) const;

 private:
  using method_map = std::map<std::string, http_handler, std::less<>>;
  static void add_to(std::map<std::string, method_map, std::less<>>& table, std::string method,
                     std::string path, http_handler h);
  std::map<std::string, method_map, std::less<>> exact_;
  std::map<std::string, method_map, std::less<>> prefixes_;
};

/// Limits and timeouts of an `http_server`. The defaults suit a server on the open network.
struct http_server_options {
  /// Wait for the first byte of a request on a new or kept-alive connection (default: 30 s).
  std::chrono::milliseconds idle_timeout{30'000};
  /// From the first byte of a request to the end of its header (default: 10 s). Slow clients are dropped.
  std::chrono::milliseconds header_timeout{10'000};
  /// Reading the body once the header is in (default: 30 s).
  std::chrono::milliseconds body_timeout{30'000};
  /// Writing one response (default: 30 s).
  std::chrono::milliseconds write_timeout{30'000};
  /// Largest request body; beyond it the answer is 413 and the connection closes (default: 1 MiB).
  std::size_t max_body_bytes = 1024 * 1024;
  /// Largest request header (request line + fields); beyond it 431 and close (default: 16 KiB).
  std::size_t max_header_bytes = 16 * 1024;
  /// Open connections at most; one more gets a best-effort 503 and is closed (default: 512).
  std::size_t max_connections = 512;
  /// Value of the `Server` response field (default: "kioskhub").
  std::string server_name = "kioskhub";
  /// If set, the server records `kh_http_requests_total{method,status}`,
  /// `kh_http_request_duration_seconds` and `kh_http_open_connections` there (default: none). The
  /// registry must outlive the server's handlers.
  metrics_registry* metrics = nullptr;
};

/// HTTP/1.1 server (Boost.Beast) with keep-alive, on a caller-owned io_context. Each connection
/// runs on its own strand, so the io_context may be run by one thread or several.
///
/// Lifetime: `router` (and `options.metrics`) must stay alive until the io_context has finished
/// running the server's handlers (i.e. until `io.run()` returns or the io_context is destroyed).
/// Destroying the server calls `stop()`.
class http_server {
 public:
  /// `host` is an IP address or a name resolved at `start()` ("0.0.0.0", "::", "127.0.0.1",
  /// "localhost"); port 0 picks an ephemeral port. Uses default `http_server_options`.
  http_server(boost::asio::io_context& io, http_router& router, std::string host, std::uint16_t port);
  http_server(boost::asio::io_context& io, http_router& router, std::string host, std::uint16_t port,
              http_server_options options);
  ~http_server();
  http_server(const http_server&) = delete;
  http_server& operator=(const http_server&) = delete;

  /// Binds, listens and starts accepting (the accepting happens as the io_context runs).
  /// Throws std::system_error if the address cannot be resolved or bound (a start-up config error).
  /// Call once.
  void start();
  /// Stops accepting and closes every connection: idle ones (and ones mid-read) at once, one that
  /// is writing a response right after that write. Returns at once and may be called from any
  /// thread; idempotent. Once the closes have run, the server leaves no work in the io_context.
  void stop();
  /// The bound port (useful with port 0); 0 before `start()`.
  std::uint16_t port() const;

 private:
  std::shared_ptr<detail::http_server_state> state_;
};

/// The `/metrics` answer: `registry.render_prometheus()` with content type
/// `text/plain; version=0.0.4; charset=utf-8`.
http_response prometheus_response(const metrics_registry& registry);

}  // namespace kh::hub
