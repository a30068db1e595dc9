#pragma once
// HTTPS for the hub: a TLS terminator on the hub's io_context that accepts TLS connections on its
// own address and relays the decrypted bytes to the hub's plain HTTP server on loopback. The HTTP
// server itself stays transport-agnostic (one code path for http and https, all its limits and
// timeouts apply unchanged); bind --http to 127.0.0.1 when only HTTPS should be reachable.

#include <cstdint>
#include <memory>
#include <string>

#include <boost/asio/io_context.hpp>

namespace kh::hub {

struct tls_front_options {
  std::string host = "0.0.0.0";
  std::uint16_t port = 8443;     ///< 0: ephemeral
  std::string cert_file;         ///< PEM certificate chain (e.g. from kioskctl ca issue)
  std::string key_file;          ///< PEM private key
  std::string backend_host = "127.0.0.1";
  std::uint16_t backend_port = 0;
  std::size_t max_connections = 512;
};

class tls_front {
 public:
  /// Throws std::runtime_error when the certificate or key cannot be loaded.
  tls_front(boost::asio::io_context& io, tls_front_options opts);
  ~tls_front();
  tls_front(const tls_front&) = delete;
  tls_front& operator=(const tls_front&) = delete;
  /// Binds and starts accepting; throws std::system_error when the address cannot be bound.
  void start();
  /// Stops accepting and closes every relay. Idempotent.
  void stop();
  std::uint16_t port() const;

 private:
  struct state;
  std::shared_ptr<state> state_;
};

}  // namespace kh::hub
