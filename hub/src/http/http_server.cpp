// HTTP/1.1 server on Boost.Beast, callback style (as Beast's advanced_server example): one
// `session` per connection on its own strand, each read and write under a deadline.
#include "kh/hub/http/http_server.hpp"

#include <algorithm>
#include <array>
#include <atomic>
#include <cctype>
#include <exception>
#include <mutex>
#include <optional>
#include <system_error>
#include <unordered_map>

#include <boost/asio/dispatch.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/strand.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <spdlog/spdlog.h>

#include "http/request_target.hpp"
#include "kh/hub/metrics/metrics.hpp"

namespace kh::hub {
namespace {

namespace beast = boost::beast;
namespace http = beast::http;
namespace net = boost::asio;
using tcp = net::ip::tcp;

// After an error answer we stop sending, then read and discard what the client still sends for a
// short while, so our answer is not destroyed by a TCP reset from closing with unread input.
constexpr auto k_linger_time = std::chrono::seconds(2);
constexpr std::size_t k_linger_bytes = 1024 * 1024;

constexpr std::string_view k_overload_response =
    "HTTP/1.1 503 Service Unavailable\r\nContent-Type: text/plain; charset=utf-8\r\nContent-Length: 20\r\n"
    "Retry-After: 1\r\nConnection: close\r\n\r\nserver at capacity.\n";

std::string_view sv(beast::string_view s) { return {s.data(), s.size()}; }

std::string lower(std::string_view s) {
  std::string out(s);
  std::transform(out.begin(), out.end(), out.begin(), [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  return out;
}

bool iequals(std::string_view a, std::string_view b) {
  return a.size() == b.size() &&
         std::equal(a.begin(), a.end(), b.begin(), [](unsigned char x, unsigned char y) { return std::tolower(x) == std::tolower(y); });
}

std::string format_endpoint(const tcp::endpoint& ep) {
  const auto addr = ep.address();
  if (addr.is_v6()) return "[" + addr.to_string() + "]:" + std::to_string(ep.port());
  return addr.to_string() + ":" + std::to_string(ep.port());
}

// Field names must be tokens and values must not carry CR, LF or NUL, or a handler echoing client
// data into a header could inject fields or split the response.
bool is_safe_field(std::string_view name, std::string_view value) {
  if (name.empty()) return false;
  for (const unsigned char c : name)
    if (c <= 32 || c >= 127 || std::string_view("\"(),/:;<=>?@[\\]{}").find(static_cast<char>(c)) != std::string_view::npos)
      return false;
  return value.find_first_of(std::string_view("\r\n\0", 3)) == std::string_view::npos;
}

bool is_parse_error(const beast::error_code& ec) { return &ec.category() == &http::make_error_code(http::error::bad_method).category(); }

}  // namespace

namespace detail {

class http_session;

// Shared by the acceptor and all sessions, so it outlives the `http_server` object if handlers are
// still queued in the io_context when the server is destroyed.
struct http_server_state : std::enable_shared_from_this<http_server_state> {
  http_server_state(net::io_context& io_, http_router& router_, std::string host_, std::uint16_t port_, http_server_options o)
      : io(io_),
        router(router_),
        host(std::move(host_)),
        requested_port(port_),
        opts(std::move(o)),
        metrics(opts.metrics),
        strand(net::make_strand(io_)),
        acceptor(strand),
        retry_timer(strand) {}

  net::io_context& io;
  http_router& router;
  std::string host;
  std::uint16_t requested_port;
  http_server_options opts;
  // Read by handlers; nulled by ~http_server so sessions that die later (say, while the
  // io_context is destroyed) do not touch a registry that may already be gone.
  std::atomic<metrics_registry*> metrics;
  net::strand<net::io_context::executor_type> strand;  // acceptor and retry timer live here
  tcp::acceptor acceptor;
  net::steady_timer retry_timer;
  std::atomic<std::uint16_t> bound_port{0};
  std::atomic<bool> stopped{false};
  bool started = false;

  std::mutex sessions_mutex;  // sessions register/unregister from their own strands
  std::unordered_map<const http_session*, std::weak_ptr<http_session>> sessions;
  std::size_t open_connections = 0;  // guarded by sessions_mutex

  void do_accept();
  void on_accept(const beast::error_code& ec, tcp::socket socket);
  void unregister(const http_session* s);
  void close_all();
  void record_connections(std::size_t n) {
    if (auto* m = metrics.load()) m->set("kh_http_open_connections", static_cast<double>(n));
  }
};

class http_session : public std::enable_shared_from_this<http_session> {
 public:
  http_session(tcp::socket&& socket, std::shared_ptr<detail::http_server_state> st)
      : stream_(std::move(socket)), state_(std::move(st)) {
    beast::error_code ec;
    const auto ep = stream_.socket().remote_endpoint(ec);
    if (!ec) remote_ = format_endpoint(ep);
  }

  ~http_session() { state_->unregister(this); }

  void run() {
    net::dispatch(stream_.get_executor(), [self = shared_from_this()] { self->read_request(); });
  }

  // From any thread: close now if reading, or right after the response being written.
  void close_for_stop() {
    net::dispatch(stream_.get_executor(), [self = shared_from_this()] {
      self->stopping_ = true;
      if (!self->writing_) self->close_now();
    });
  }

 private:
  const http_server_options& opts() const { return state_->opts; }

  void read_request() {
    if (stopping_) return close_now();
    parser_.emplace();
    parser_->header_limit(static_cast<std::uint32_t>(std::min<std::size_t>(opts().max_header_bytes, UINT32_MAX)));
    parser_->body_limit(static_cast<std::uint64_t>(opts().max_body_bytes));
    if (buffer_.size() > 0) return read_header();  // a pipelined request is already here
    // Idle phase: wait (idle_timeout) for the first byte; the header deadline starts after it.
    stream_.expires_after(opts().idle_timeout);
    stream_.async_read_some(buffer_.prepare(4096), [self = shared_from_this()](beast::error_code ec, std::size_t n) {
      self->buffer_.commit(n);
      if (ec) return self->on_read_error(ec, false);
      self->read_header();
    });
  }

  void read_header() {
    stream_.expires_after(opts().header_timeout);
    http::async_read_header(stream_, buffer_, *parser_, [self = shared_from_this()](beast::error_code ec, std::size_t) {
      if (ec) return self->on_read_error(ec, true);
      self->on_header();
    });
  }

  void on_header() {
    if (parser_->is_done()) return handle_request();
    auto& req = parser_->get();
    const auto expect = req[http::field::expect];
    if (iequals(sv(expect), "100-continue")) {
      // Clients (curl) wait for this before sending a body; the size was checked with the header.
      continue_.emplace(http::status::continue_, req.version());
      stream_.expires_after(opts().write_timeout);
      http::async_write(stream_, *continue_, [self = shared_from_this()](beast::error_code ec, std::size_t) {
        self->continue_.reset();
        if (ec) return self->close_now();
        self->read_body();
      });
      return;
    }
    read_body();
  }

  void read_body() {
    stream_.expires_after(opts().body_timeout);
    http::async_read(stream_, buffer_, *parser_, [self = shared_from_this()](beast::error_code ec, std::size_t) {
      if (ec) return self->on_read_error(ec, true);
      self->handle_request();
    });
  }

  void on_read_error(const beast::error_code& ec, bool request_started) {
    if (stopping_ || !request_started) return close_now();
    if (ec == http::error::body_limit) return send_error(413, "request body too large\n");
    if (ec == http::error::header_limit) return send_error(431, "request header too large\n");
    // A cut-off request (timeout, EOF, reset) gets no answer; a malformed one gets 400.
    if (ec == http::error::partial_message || ec == http::error::end_of_stream || !is_parse_error(ec))
      return close_now();
    spdlog::debug("http: {} sent a malformed request: {}", remote_, ec.message());
    send_error(400, "malformed request\n");
  }

  void count_request(const std::string& method, int status) {
    auto* m = state_->metrics.load();
    if (!m) return;
    // Only standard methods become label values, so clients cannot grow the series set.
    const bool known = !method.empty() && http::string_to_verb(method) != http::verb::unknown;
    m->inc("kh_http_requests_total", {{"method", known ? method : "other"}, {"status", std::to_string(status)}});
  }

  void send_error(int status, std::string body) {
    const bool header_done = parser_ && parser_->is_header_done();
    count_request(header_done ? std::string(sv(parser_->get().method_string())) : std::string(), status);
    http_response r;
    r.status = status;
    r.body = std::move(body);
    const unsigned version = parser_ && parser_->is_header_done() ? parser_->get().version() : 11;
    send(std::move(r), version, false, false);
  }

  void handle_request() {
    const auto started = std::chrono::steady_clock::now();
    auto msg = parser_->release();
    parser_.reset();
    const bool head = msg.method() == http::verb::head;
    const bool keep_alive = msg.keep_alive();
    const unsigned version = msg.version();
    std::string method(msg.method_string());
    http_response res;
    try {
      res = call_router(msg);
    } catch (const std::exception& e) {  // building the request (e.g. out of memory)
      spdlog::error("http: {} {} failed: {}", method, sv(msg.target()), e.what());
      res = http_response{500, "text/plain; charset=utf-8", "internal server error\n", {}};
    }
    if (res.status < 100 || res.status > 599) {
      spdlog::error("http: handler for {} answered invalid status {}", method, res.status);
      res = http_response{500, "text/plain; charset=utf-8", "internal server error\n", {}};
    }
    const bool fields_ok = is_safe_field("content-type", res.content_type) &&
                           std::all_of(res.headers.begin(), res.headers.end(), [](const auto& f) { return is_safe_field(f.first, f.second); });
    if (!fields_ok) {
      spdlog::error("http: handler for {} answered an invalid header field (bad name, or CR/LF in a value)", method);
      res = http_response{500, "text/plain; charset=utf-8", "internal server error\n", {}};
    }
    if (auto* m = state_->metrics.load()) {
      const std::chrono::duration<double> took = std::chrono::steady_clock::now() - started;
      m->observe("kh_http_request_duration_seconds", took.count());
    }
    count_request(method, res.status);
    if (res.stream && !head) return send_stream(std::move(res));
    send(std::move(res), version, keep_alive, head);
  }

  // ---- streamed answers (server-sent events) ----------------------------------------------
  void send_stream(http_response r) {
    stream_out_ = std::move(r.stream);
    std::string h = "HTTP/1.1 " + std::to_string(r.status) + " " +
                    std::string(sv(http::obsolete_reason(http::int_to_status(static_cast<unsigned>(r.status))))) + "\r\n";
    h += "Server: " + opts().server_name + "\r\nContent-Type: " + r.content_type + "\r\n";
    for (const auto& [name, value] : r.headers) {
      const std::string n = lower(name);
      if (n == "content-length" || n == "transfer-encoding" || n == "connection") continue;
      h += name + ": " + value + "\r\n";
    }
    h += "Connection: close\r\n\r\n";
    h += r.body;
    pending_.clear();
    pending_.push_back(std::make_shared<const std::string>(std::move(h)));
    std::weak_ptr<http_session> weak = shared_from_this();
    auto ex = stream_.get_executor();
    stream_out_->attach([weak, ex] {
      net::post(ex, [weak] {
        if (auto self = weak.lock()) self->stream_flush();
      });
    });
    if (stream_out_->heartbeat().count() > 0) {
      heartbeat_.emplace(stream_.get_executor());
      schedule_heartbeat();
    }
    write_pending();
  }

  void schedule_heartbeat() {
    heartbeat_->expires_after(stream_out_->heartbeat());
    heartbeat_->async_wait([self = shared_from_this()](beast::error_code ec) {
      if (ec || self->closed_) return;
      if (!self->stream_out_->push(std::string(": ping\n\n"))) return;
      self->schedule_heartbeat();
    });
  }

  void stream_flush() {
    if (writing_ || closed_ || !stream_out_) return;
    const bool open = stream_out_->take(pending_);
    if (pending_.empty()) {
      if (!open || stopping_) close_now();
      return;
    }
    write_pending();
  }

  void write_pending() {
    std::vector<net::const_buffer> bufs;
    bufs.reserve(pending_.size());
    for (const auto& c : pending_) bufs.emplace_back(c->data(), c->size());
    writing_ = true;
    stream_.expires_after(opts().write_timeout);
    net::async_write(stream_, bufs, [self = shared_from_this()](beast::error_code ec, std::size_t) {
      self->writing_ = false;
      self->pending_.clear();
      if (ec || self->stopping_) return self->close_now();
      self->stream_.expires_never();
      self->stream_flush();
    });
  }

  http_response call_router(http::request<http::string_body>& msg) {
    http_request req;
    req.method = std::string(sv(msg.method_string()));
    req.target = std::string(sv(msg.target()));
    auto target = detail::parse_request_target(req.target);
    if (!target) {
      http_response r;
      r.status = 400;
      r.body = "malformed request target\n";
      return r;
    }
    req.path = std::move(target->path);
    req.query = std::move(target->query);
    for (const auto& f : msg) {
      auto [it, inserted] = req.headers.try_emplace(lower(sv(f.name_string())), std::string(sv(f.value())));
      if (!inserted) {
        it->second += ", ";
        it->second += sv(f.value());
      }
    }
    req.body = std::move(msg.body());
    req.remote = remote_;
    return state_->router.dispatch(req);
  }

  void send(http_response r, unsigned version, bool keep_alive, bool head) {
    res_ = {};
    res_.version(version);
    res_.result(static_cast<unsigned>(r.status));
    res_.set(http::field::server, opts().server_name);
    res_.set(http::field::content_type, r.content_type);
    for (auto& [name, value] : r.headers) {
      const std::string n = lower(name);
      if (n == "content-length" || n == "transfer-encoding" || n == "connection") continue;  // ours to set
      if (n == "set-cookie") res_.insert(name, value);
      else res_.set(name, value);
    }
    const bool no_body = r.status < 200 || r.status == 204 || r.status == 304;
    if (!no_body) res_.content_length(r.body.size());
    // HEAD: same header as GET (Content-Length included), no body bytes.
    if (!head && !no_body) res_.body() = std::move(r.body);
    close_after_write_ = !keep_alive || stopping_;
    res_.keep_alive(!close_after_write_);
    writing_ = true;
    stream_.expires_after(opts().write_timeout);
    http::async_write(stream_, res_, [self = shared_from_this()](beast::error_code ec, std::size_t) {
      self->writing_ = false;
      if (ec || self->stopping_) return self->close_now();
      if (self->close_after_write_) return self->linger_close();
      self->read_request();
    });
  }

  // Half-close, then drain the peer's remaining input for a bounded time before closing.
  void linger_close() {
    beast::error_code ec;
    stream_.socket().shutdown(tcp::socket::shutdown_send, ec);
    if (ec) return close_now();
    buffer_.clear();
    stream_.expires_after(std::min<std::chrono::steady_clock::duration>(k_linger_time, opts().header_timeout));
    drain();
  }

  void drain() {
    stream_.async_read_some(net::buffer(drain_buf_), [self = shared_from_this()](beast::error_code ec, std::size_t n) {
      self->drained_ += n;
      if (ec || self->stopping_ || self->drained_ > k_linger_bytes) return self->close_now();
      self->drain();
    });
  }

  void close_now() {
    if (closed_) return;
    closed_ = true;
    if (stream_out_) stream_out_->close();
    if (heartbeat_) heartbeat_->cancel();
    beast::error_code ec;
    stream_.socket().shutdown(tcp::socket::shutdown_both, ec);
    stream_.close();  // cancels the pending operation; its handler drops the last reference
  }

  beast::tcp_stream stream_;
  std::shared_ptr<detail::http_server_state> state_;
  beast::flat_buffer buffer_;
  std::optional<http::request_parser<http::string_body>> parser_;
  std::optional<http::response<http::empty_body>> continue_;
  http::response<http::string_body> res_;
  std::array<char, 4096> drain_buf_{};
  std::size_t drained_ = 0;
  std::string remote_;
  bool writing_ = false;
  bool stopping_ = false;
  bool close_after_write_ = false;
  bool closed_ = false;
  std::shared_ptr<http_stream> stream_out_;  // a streamed answer in progress
  std::vector<std::shared_ptr<const std::string>> pending_;
  std::optional<net::steady_timer> heartbeat_;
};

void http_server_state::do_accept() {
  acceptor.async_accept(net::make_strand(io), [self = shared_from_this()](beast::error_code ec, tcp::socket socket) {
    self->on_accept(ec, std::move(socket));
  });
}

void http_server_state::on_accept(const beast::error_code& ec, tcp::socket socket) {
  if (stopped.load() || ec == net::error::operation_aborted) return;
  if (ec) {
    // Typically out of file descriptors: back off instead of spinning on the error.
    spdlog::warn("http: accept failed: {}", ec.message());
    retry_timer.expires_after(std::chrono::milliseconds(100));
    retry_timer.async_wait([self = shared_from_this()](beast::error_code wec) {
      if (!wec && !self->stopped.load()) self->do_accept();
    });
    return;
  }
  std::shared_ptr<http_session> s;
  {
    std::lock_guard lock(sessions_mutex);
    // Checked under the lock: stop() sets `stopped` before close_all() takes it, so no session can
    // register after close_all()'s snapshot and be missed.
    if (stopped.load()) return;
    if (open_connections < opts.max_connections) {
      s = std::make_shared<http_session>(std::move(socket), shared_from_this());
      sessions.emplace(s.get(), s);
      ++open_connections;
      record_connections(open_connections);
    }
  }
  if (s) {
    s->run();
  } else {
    // Over the limit: a best-effort 503 that cannot block (a fresh socket's send buffer is empty).
    beast::error_code ignored;
    socket.non_blocking(true, ignored);
    socket.write_some(net::buffer(k_overload_response.data(), k_overload_response.size()), ignored);
    socket.shutdown(tcp::socket::shutdown_both, ignored);
    socket.close(ignored);
    if (auto* m = metrics.load()) m->inc("kh_http_rejected_connections_total");
  }
  do_accept();
}

void http_server_state::unregister(const http_session* s) {
  std::lock_guard lock(sessions_mutex);
  if (sessions.erase(s) > 0) {
    --open_connections;
    record_connections(open_connections);
  }
}

void http_server_state::close_all() {
  std::vector<std::shared_ptr<http_session>> live;
  {
    std::lock_guard lock(sessions_mutex);
    for (auto& [_, w] : sessions)
      if (auto s = w.lock()) live.push_back(std::move(s));
  }
  for (auto& s : live) s->close_for_stop();
}

}  // namespace detail

http_stream::http_stream(std::size_t max_queued_bytes, std::chrono::milliseconds heartbeat)
    : max_queued_bytes_(max_queued_bytes), heartbeat_(heartbeat) {}

bool http_stream::push(std::shared_ptr<const std::string> chunk) {
  std::function<void()> wake;
  {
    std::lock_guard lk(mu_);
    if (closed_) return false;
    if (queued_bytes_ + chunk->size() > max_queued_bytes_) {
      // Too far behind: cut it off (the client resumes from its last event id).
      closed_ = true;
      wake = wake_;
    } else {
      queued_bytes_ += chunk->size();
      const bool was_empty = queue_.empty();
      queue_.push_back(std::move(chunk));
      if (was_empty) wake = wake_;
    }
  }
  if (wake) wake();
  std::lock_guard lk(mu_);
  return !closed_;
}

void http_stream::close() {
  std::function<void()> wake;
  {
    std::lock_guard lk(mu_);
    if (closed_) return;
    closed_ = true;
    wake = wake_;
  }
  if (wake) wake();
}

bool http_stream::closed() const {
  std::lock_guard lk(mu_);
  return closed_;
}

void http_stream::attach(std::function<void()> wake) {
  bool pending = false;
  {
    std::lock_guard lk(mu_);
    wake_ = std::move(wake);
    pending = !queue_.empty() || closed_;
  }
  if (pending) wake_();
}

bool http_stream::take(std::vector<std::shared_ptr<const std::string>>& out) {
  std::lock_guard lk(mu_);
  for (auto& c : queue_) out.push_back(std::move(c));
  queue_.clear();
  queued_bytes_ = 0;
  return !closed_ || !out.empty();
}

http_server::http_server(net::io_context& io, http_router& router, std::string host, std::uint16_t port)
    : http_server(io, router, std::move(host), port, http_server_options{}) {}

http_server::http_server(net::io_context& io, http_router& router, std::string host, std::uint16_t port,
                         http_server_options options)
    : state_(std::make_shared<detail::http_server_state>(io, router, std::move(host), port, std::move(options))) {}

http_server::~http_server() {
  stop();
  state_->metrics.store(nullptr);
}

void http_server::start() {
  auto& s = *state_;
  if (s.started) throw std::logic_error("http_server: start() called twice");
  s.started = true;
  if (auto* m = s.metrics.load()) {
    m->describe_counter("kh_http_requests_total", "HTTP requests answered, by method and status code.");
    m->describe_histogram("kh_http_request_duration_seconds", "Time from a complete request to its answer being queued.",
                          {0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1});
    m->describe_gauge("kh_http_open_connections", "HTTP connections currently open.");
    m->describe_counter("kh_http_rejected_connections_total", "Connections refused because max_connections was reached.");
    m->set("kh_http_open_connections", 0);
    m->inc("kh_http_rejected_connections_total", {}, 0);
  }
  tcp::resolver resolver(s.io);
  beast::error_code ec;
  const std::string host = s.host.empty() ? std::string("0.0.0.0") : s.host;
  auto results = resolver.resolve(host, std::to_string(s.requested_port),
                                  tcp::resolver::passive | tcp::resolver::numeric_service, ec);
  if (ec || results.empty())
    throw std::system_error(ec ? ec : std::make_error_code(std::errc::address_not_available),
                            "http: cannot resolve '" + host + "'");
  const tcp::endpoint ep = results.begin()->endpoint();
  const std::string where = format_endpoint(ep);
  auto fail = [&](const char* what) {
    beast::error_code ignored;
    s.acceptor.close(ignored);
    throw std::system_error(ec, std::string("http: cannot ") + what + " " + where);
  };
  s.acceptor.open(ep.protocol(), ec);
  if (ec) fail("open a socket for");
  s.acceptor.set_option(net::socket_base::reuse_address(true), ec);
  if (ec) fail("set SO_REUSEADDR on");
  s.acceptor.bind(ep, ec);
  if (ec) fail("bind");
  s.acceptor.listen(net::socket_base::max_listen_connections, ec);
  if (ec) fail("listen on");
  s.bound_port = s.acceptor.local_endpoint().port();
  spdlog::debug("http: listening on {}", format_endpoint(s.acceptor.local_endpoint()));
  s.do_accept();
}

void http_server::stop() {
  if (state_->stopped.exchange(true)) return;
  net::dispatch(state_->strand, [st = state_] {
    beast::error_code ignored;
    st->acceptor.close(ignored);
    st->retry_timer.cancel();
  });
  state_->close_all();
}

std::uint16_t http_server::port() const { return state_->bound_port.load(); }

}  // namespace kh::hub
