#pragma once
// The hub server: one boost::asio::io_context on one thread owns the SQLite writer, the MQTT
// ingress (Paho's thread only posts onto it), the ops HTTP server and the timers.

#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <utility>

#include "kh/hub/storage/sqlite.hpp"

namespace kh::hub {

struct hub_options {
  std::string data_dir;                     ///< holds kioskhub.db and hub.json (created if missing)
  std::string mqtt_uri;                     ///< "tcp://127.0.0.1:1883"
  std::string mqtt_username;                ///< empty: anonymous
  std::string mqtt_password;
  std::string mqtt_client_id = "kioskhub";  ///< fixed: the broker keeps the session (QoS 1 backlog) under it
  std::string http_host = "127.0.0.1";
  std::uint16_t http_port = 8080;           ///< 0: ephemeral (the log line and hub.json tell which)
  sqlite::durability sync = sqlite::durability::normal;
  std::chrono::minutes order_expiry{15};    ///< unpaid orders older than this are cancelled
  std::chrono::seconds expiry_interval{30};  ///< how often the expiry runs
  std::chrono::milliseconds catalog_coalesce{200};  ///< at most one catalog publish per business per this
  /// Public base URL customers and kiosks reach the hub at ("https://cafe.example"); order
  /// tracking URLs and product image URLs start with it. Default empty: no tracking URL, images
  /// at "http://HTTP_HOST:PORT".
  std::string public_url;
  /// Called on the hub's thread once hub.json is written (tests, embedding); default none.
  std::function<void(std::uint16_t http_port)> on_ready;
};

/// Parses "HOST:PORT" ("127.0.0.1:8080", "[::1]:0"); nullopt when malformed.
std::optional<std::pair<std::string, std::uint16_t>> parse_host_port(const std::string& s);

class hub {
 public:
  /// Opens (and migrates) the database and prepares everything. Throws std::runtime_error (or
  /// sqlite::error) for start-up configuration errors: bad data dir, bad MQTT URI, …
  explicit hub(hub_options opts);
  ~hub();
  hub(const hub&) = delete;
  hub& operator=(const hub&) = delete;

  /// Binds HTTP (logs "http listening on HOST:PORT"), connects MQTT, writes DIR/hub.json once
  /// ready, then serves until SIGINT/SIGTERM or stop(). Shuts down cleanly: stops intake, lets the
  /// running transaction finish, disconnects MQTT, closes SQLite, removes hub.json. Returns the
  /// process exit code (0 after a clean shutdown). Throws std::system_error if HTTP cannot bind.
  int run();

  /// Asks run() to shut down; callable from any thread.
  void stop();

 private:
  struct impl;
  std::unique_ptr<impl> impl_;
};

}  // namespace kh::hub
