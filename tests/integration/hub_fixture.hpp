#pragma once
// A running Kioskhub for integration tests: a real Mosquitto, `kioskhub seed-demo` + `kioskhub
// serve` as child processes on a temp data dir, and helpers to act as devices over real MQTT.

#include <sqlite3.h>

#include <condition_variable>
#include <deque>
#include <map>
#include <memory>
#include <mutex>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <vector>

#include "kh/mqtt/client.hpp"
#include "kh/protocol/codec.hpp"
#include "kh/protocol/ids.hpp"
#include "kh/protocol/time.hpp"
#include "kh/protocol/topics.hpp"
#include "kh/test/support.hpp"

namespace kh::test {

using nlohmann::json;

/// Read-only (or setup-time) SQL access to a data dir's kioskhub.db.
class db {
 public:
  explicit db(const std::filesystem::path& file);
  ~db();
  db(const db&) = delete;
  db& operator=(const db&) = delete;
  /// First column of the first row as text; nullopt for no row or NULL.
  std::optional<std::string> scalar(const std::string& sql);
  std::int64_t count(const std::string& sql);
  void exec(const std::string& sql);

 private:
  sqlite3* h_ = nullptr;
};

class hub {
 public:
  /// Seeds the demo into a fresh data dir; `serve()` starts the hub.
  explicit hub(mosquitto& broker);
  ~hub();
  const std::filesystem::path& data() const { return data_.path(); }
  std::filesystem::path db_file() const { return data() / "kioskhub.db"; }
  const json& seed() const { return seed_; }
  std::string business_id() const { return seed_["business"]["id"]; }
  /// Starts `kioskhub serve` (with `serve_args`, then `extra_args` appended, e.g. {"--sync",
  /// "normal"}); waits until hub.json appears and /healthz is 200.
  void serve(const std::vector<std::string>& extra_args = {});
  /// Same with other broker flags: `mqtt_args` replaces `--mqtt URL` (e.g. an ssl:// URL with
  /// --mqtt-ca, --mqtt-username, --manage-broker), `env` adds NAME=value entries.
  void serve_with(std::vector<std::string> mqtt_args, std::vector<std::string> env = {},
                  const std::vector<std::string>& extra_args = {});
  /// Extra `serve` flags, e.g. {"--device-order-rate", "0"} for a test that floods on purpose.
  std::vector<std::string> serve_args;
  /// Stops with SIGTERM and returns the exit code.
  std::optional<int> stop(std::chrono::milliseconds timeout = 10s);
  void kill9();
  std::uint16_t http_port() const { return http_port_; }
  process& proc() { return *proc_; }
  std::string log() const;

  /// Setup-time database edits (before serve()).
  void set_stock(const std::string& product_id, std::optional<std::int64_t> stock);
  void add_device(const std::string& device_id, const std::string& mode = "shop");
  /// The retained catalog envelope as a device would get it now (after serve()).
  json catalog();
  /// Its products array (by value, so `for (auto& p : hub.products())` is safe).
  json products() { return catalog()["body"]["products"]; }
  /// An available product with no stock tracking or at least min_stock units.
  json product_with_stock(std::int64_t min_stock);

 private:
  mosquitto& broker_;
  temp_dir data_;
  json seed_;
  std::unique_ptr<process> proc_;
  std::uint16_t http_port_ = 0;
};

/// A raw MQTT device: publishes envelopes on its up/ topics and collects everything on its down/.
class raw_device {
 public:
  raw_device(mosquitto& broker, std::string device_id, std::string client_id = {});
  ~raw_device();
  /// Publishes a raw payload on kh/v1/d/{device}/up/{type}.
  void send_raw(const std::string& type, const std::string& payload);
  /// Wraps body in a fresh envelope and sends it; returns the envelope id.
  std::string send(const std::string& type, json body);
  /// Next down/ message (topic type, decoded envelope) within timeout.
  struct reply {
    std::string type;
    json envelope;
    json body() const { return envelope.at("body"); }
  };
  std::optional<reply> next(std::chrono::milliseconds timeout = 10s);
  /// Next reply whose body.order_id == id (other replies are kept for later).
  std::optional<reply> next_for(const std::string& order_id, std::chrono::milliseconds timeout = 10s);
  const std::string& id() const { return device_; }

 private:
  std::string device_;
  std::unique_ptr<mqtt::client> client_;
  std::mutex mu_;
  std::condition_variable cv_;
  std::deque<reply> inbox_;
};

/// `kiosk --headless` as a child process on its own temp data dir, talking JSON lines.
class headless_kiosk {
 public:
  /// `with_business` false: only the device id is given (the kiosk learns its business from the hub).
  headless_kiosk(mosquitto& broker, hub& h, const std::string& device = "kiosk-1", bool with_business = true);
  bool send(const std::string& line) { return proc_->write_line(line); }
  /// Next output line, parsed (a discarded json on timeout or non-JSON).
  json next(std::chrono::milliseconds timeout);
  /// Reads lines until one has `key` == `value`; a null json on timeout.
  json until(const std::string& key, const std::string& value, std::chrono::milliseconds timeout);
  process& proc() { return *proc_; }
  std::string log() const;

 private:
  temp_dir dir_;
  std::unique_ptr<process> proc_;
};

/// A valid order.submit body for the given lines [(product_id, qty)].
json order_body(const std::vector<std::pair<std::string, int>>& lines, const std::string& order_id = {},
                const std::string& type = "takeaway", const std::string& payment = "cash");

}  // namespace kh::test
