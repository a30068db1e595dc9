#include "kh/hub/http/tls_front.hpp"

#include <array>
#include <set>
#include <stdexcept>

#include <boost/asio/connect.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/ssl.hpp>
#include <boost/asio/steady_timer.hpp>
#include <spdlog/spdlog.h>

namespace kh::hub {

namespace asio = boost::asio;
namespace ssl = boost::asio::ssl;
using tcp = asio::ip::tcp;

namespace {
constexpr auto k_handshake_timeout = std::chrono::seconds(10);
constexpr std::size_t k_chunk = 16 * 1024;
}  // namespace

struct tls_front::state : std::enable_shared_from_this<tls_front::state> {
  asio::io_context& io;
  tls_front_options opts;
  ssl::context ctx{ssl::context::tls_server};
  tcp::acceptor acceptor;
  bool stopped = false;

  struct relay : std::enable_shared_from_this<relay> {
    std::shared_ptr<state> owner;
    ssl::stream<tcp::socket> tls;
    tcp::socket plain;
    asio::steady_timer deadline;
    std::array<char, k_chunk> up{}, down{};
    bool closed = false;

    relay(std::shared_ptr<state> o, tcp::socket s)
        : owner(std::move(o)), tls(std::move(s), owner->ctx), plain(owner->io), deadline(owner->io) {}

    void start() {
      auto self = shared_from_this();
      deadline.expires_after(k_handshake_timeout);
      deadline.async_wait([self](const boost::system::error_code& ec) {
        if (!ec) self->close();
      });
      tls.async_handshake(ssl::stream_base::server, [self](const boost::system::error_code& ec) {
        if (ec) return self->close();
        self->deadline.cancel();
        const auto addr = asio::ip::make_address(self->owner->opts.backend_host);
        self->plain.async_connect(tcp::endpoint(addr, self->owner->opts.backend_port),
                                  [self](const boost::system::error_code& ec2) {
                                    if (ec2) return self->close();
                                    self->pump_up();
                                    self->pump_down();
                                  });
      });
    }
    // client → hub
    void pump_up() {
      auto self = shared_from_this();
      tls.async_read_some(asio::buffer(up), [self](const boost::system::error_code& ec, std::size_t n) {
        if (ec) return self->close();
        asio::async_write(self->plain, asio::buffer(self->up.data(), n),
                          [self](const boost::system::error_code& ec2, std::size_t) {
                            if (ec2) return self->close();
                            self->pump_up();
                          });
      });
    }
    // hub → client
    void pump_down() {
      auto self = shared_from_this();
      plain.async_read_some(asio::buffer(down), [self](const boost::system::error_code& ec, std::size_t n) {
        if (ec) return self->close();
        asio::async_write(self->tls, asio::buffer(self->down.data(), n),
                          [self](const boost::system::error_code& ec2, std::size_t) {
                            if (ec2) return self->close();
                            self->pump_down();
                          });
      });
    }
    void close() {
      if (closed) return;
      closed = true;
      boost::system::error_code ignored;
      deadline.cancel();
      plain.shutdown(tcp::socket::shutdown_both, ignored);
      plain.close(ignored);
      tls.lowest_layer().shutdown(tcp::socket::shutdown_both, ignored);
      tls.lowest_layer().close(ignored);
      owner->relays.erase(this);
    }
  };
  std::set<relay*> relays;  // raw: each relay removes itself; stop() closes them

  state(asio::io_context& i, tls_front_options o) : io(i), opts(std::move(o)), acceptor(i) {
    boost::system::error_code ec;
    ctx.set_options(ssl::context::default_workarounds | ssl::context::no_sslv2 | ssl::context::no_sslv3 |
                    ssl::context::no_tlsv1 | ssl::context::no_tlsv1_1);
    ctx.use_certificate_chain_file(opts.cert_file, ec);
    if (ec) throw std::runtime_error("cannot load TLS certificate " + opts.cert_file + ": " + ec.message());
    ctx.use_private_key_file(opts.key_file, ssl::context::pem, ec);
    if (ec) throw std::runtime_error("cannot load TLS key " + opts.key_file + ": " + ec.message());
  }

  void accept() {
    auto self = shared_from_this();
    acceptor.async_accept([self](const boost::system::error_code& ec, tcp::socket s) {
      if (self->stopped) return;
      if (!ec) {
        if (self->relays.size() >= self->opts.max_connections) {
          boost::system::error_code ignored;
          s.close(ignored);
        } else {
          auto r = std::make_shared<relay>(self, std::move(s));
          self->relays.insert(r.get());
          r->start();
        }
      }
      self->accept();
    });
  }
};

tls_front::tls_front(asio::io_context& io, tls_front_options opts)
    : state_(std::make_shared<state>(io, std::move(opts))) {}

tls_front::~tls_front() { stop(); }

void tls_front::start() {
  auto& s = *state_;
  tcp::resolver resolver(s.io);
  const auto results = resolver.resolve(s.opts.host, std::to_string(s.opts.port));
  const tcp::endpoint ep = *results.begin();
  s.acceptor.open(ep.protocol());
  s.acceptor.set_option(tcp::acceptor::reuse_address(true));
  s.acceptor.bind(ep);
  s.acceptor.listen();
  state_->accept();
}

void tls_front::stop() {
  auto s = state_;
  asio::post(s->io, [s] {
    if (s->stopped) return;
    s->stopped = true;
    boost::system::error_code ignored;
    s->acceptor.close(ignored);
    // close() erases from the set: iterate over a copy.
    const auto open = s->relays;
    for (auto* r : open) r->close();
  });
}

std::uint16_t tls_front::port() const {
  boost::system::error_code ec;
  const auto ep = state_->acceptor.local_endpoint(ec);
  return ec ? 0 : ep.port();
}

}  // namespace kh::hub
