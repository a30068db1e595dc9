#pragma once
// The hub server. Threads: the writer (one boost::asio::io_context) owns the SQLite writer
// connection, the MQTT ingress and the timers, and drains the intake queue that Paho's thread
// fills; the HTTP server runs on its own io_context and thread, so /healthz and /metrics answer
// whatever the writer is doing (handlers reach the writer only through a `writer_gateway`).

#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <utility>

#include "kh/hub/ingress/ingress.hpp"
#include "kh/hub/ingress/intake_queue.hpp"
#include "kh/hub/storage/sqlite.hpp"

namespace kh::hub {

struct hub_options {
  std::string data_dir;                     ///< holds kioskhub.db and hub.json (created if missing)
  std::string mqtt_uri;                     ///< "tcp://127.0.0.1:1883"
  std::string mqtt_username;                ///< empty: anonymous
  std::string mqtt_password;
  std::string mqtt_client_id = "kioskhub";  ///< fixed: the broker keeps the session (QoS 1 backlog) under it
  std::string mqtt_ca_file;                 ///< CA (PEM) for an ssl:// broker; also handed to enrolled devices
  /// Manage one broker account per device through Mosquitto dynamic security (the hub's account
  /// must be the broker's dynsec admin: `kioskctl broker-config`). Default off (anonymous broker).
  bool manage_broker = false;
  std::string device_mqtt_uri;              ///< broker URL handed to devices at enrollment (default: mqtt_uri)
  /// HTTPS (a TLS front relaying to the HTTP server) when both files are set; default off.
  std::string tls_cert_file, tls_key_file;
  std::string https_host = "0.0.0.0";
  std::uint16_t https_port = 8443;          ///< 0: ephemeral (logged as "https listening on HOST:PORT")
  std::string signing_key_file;             ///< Ed25519 seed (default: DIR/signing.key, made 0600 when missing)
  std::string http_host = "127.0.0.1";
  std::uint16_t http_port = 8080;           ///< 0: ephemeral (the log line and hub.json tell which)
  /// Public base URL customers and kiosks reach the hub at ("https://shop.example"): QR codes,
  /// links, enrollment URIs, order tracking URLs (`{url}/o/{order}`) and product image URLs start
  /// with it. Empty (default): links from the request's Host, no tracking URL in order.accepted,
  /// images at "http://HTTP_HOST:PORT".
  std::string public_url;
  /// Default full: an answered order survives a power cut (docs/operations.md).
  sqlite::durability sync = sqlite::durability::full;
  std::chrono::minutes order_expiry{15};    ///< unpaid orders older than this are cancelled
  std::chrono::seconds expiry_interval{30};  ///< how often the expiry runs
  std::chrono::milliseconds catalog_coalesce{200};  ///< at most one catalog publish per business per this
  /// Create the database when `data_dir` exists but holds no (or a 0-byte) kioskhub.db. Without it
  /// the hub refuses to start there: an empty store would answer every device `forbidden`. A data
  /// dir that does not exist yet is created and initialised either way.
  bool init = false;
  intake_limits intake;        ///< intake queue bounds (bytes, messages, per-device share)
  ingress_options ingress;     ///< per-device placement rate limit
  std::int64_t unpaid_hold_limit = 100;  ///< units of tracked stock one device may hold unpaid (0: no cap)
  int live_coalesce_ms = 100;  ///< dashboard live streams: events within this of a fan-out go out together (0: each at once)
  /// How often the writer, when it has written nothing else meanwhile, proves it can write (one
  /// row rewritten and committed); /healthz reports the last result (default 2 s).
  std::chrono::milliseconds write_probe_interval{2000};
  /// Called on the hub's thread once hub.json is written (tests, embedding); default none.
  std::function<void(std::uint16_t http_port)> on_ready;
};

/// Throws std::runtime_error when `data_dir` exists but its kioskhub.db is missing or empty and
/// `init` is false (the message says how to initialise). Used by `serve` and the maintenance
/// commands before they open the store.
void check_data_dir(const std::string& data_dir, bool init);

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
