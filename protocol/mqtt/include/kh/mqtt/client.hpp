#pragma once
// The one MQTT client hub and kiosk share: Paho MQTT C++ behind a small interface, with
// TCP_NODELAY set on every (re)connect, automatic reconnect, resubscription, and a bounded
// in-flight window. Callbacks run on Paho's thread: they must only hand the message on (post it to
// an executor or a queue), never block and never wait on a token.

#include <atomic>
#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace kh::mqtt {

struct will {
  std::string topic;
  std::string payload;
  int qos = 1;
  bool retained = true;
};

struct options {
  std::string uri;        ///< "tcp://127.0.0.1:1883" ("mqtt://host:port"), TLS: "ssl://host:8883" ("mqtts://")
  /// CA certificate file (PEM) the broker's certificate must chain to, for ssl:// (default: the
  /// system's trust store). The broker's host name (or IP) must match the certificate either way.
  std::string ca_file;
  std::string client_id;  ///< stable per device/hub: the persistent session is keyed by it
  std::string username;   ///< empty: none
  std::string password;
  bool clean_session = false;  ///< false: persistent session (QoS 1 messages kept while away)
  std::optional<mqtt::will> last_will;
  std::chrono::seconds keep_alive{20};
  std::chrono::milliseconds connect_timeout{5000};
  std::chrono::milliseconds min_retry{250};   ///< reconnect backoff start
  std::chrono::milliseconds max_retry{8000};  ///< reconnect backoff cap
  int max_inflight = 256;  ///< Paho's in-flight window
  /// Received payloads larger than this are handed to the message handler without their bytes
  /// (`message::size` still tells how large), so an oversized one is never copied (default 0:
  /// no cap).
  std::size_t max_payload_bytes = 0;
};

struct message {
  std::string topic;
  std::string payload;
  int qos = 0;
  bool retained = false;
  std::size_t size = 0;  ///< payload size on the wire (payload is empty when over max_payload_bytes)
};

struct subscription {
  std::string filter;
  int qos = 1;
};

/// Note (Paho C 1.3.12): its receive thread select()s with a 1 s timeout and adds a new socket only
/// after that, so in one process every further client's first connect takes up to ~1 s. Start many
/// clients with start(false) and then wait for connected(), so they share that second.
///
/// Thread-safe. Publishing while disconnected queues in Paho (offline buffering, bounded) or fails.
class client {
 public:
  using message_handler = std::function<void(message)>;
  /// connected=true after every (re)connect (subscriptions already re-sent), false on loss.
  using connection_handler = std::function<void(bool connected, const std::string& reason)>;

  explicit client(options opts);
  ~client();
  client(const client&) = delete;
  client& operator=(const client&) = delete;

  /// Set before start(). Called on Paho's thread.
  void on_message(message_handler h);
  void on_connection(connection_handler h);
  /// Subscriptions (re)made on every connect. Set before start().
  void subscribe_on_connect(std::vector<subscription> subs);
  /// Adds subscriptions at any time (thread-safe, non-blocking; not from a Paho callback): made at
  /// once when connected, and on every reconnect from then on. Filters already held are skipped.
  /// A kiosk that learns its business follows the business' topics this way, without reconnecting.
  void subscribe(std::vector<subscription> subs);
  /// Messages published (retained, QoS 1) on every connect, e.g. presence "online".
  void publish_on_connect(std::vector<message> msgs);

  /// Starts connecting; returns at once. With wait, blocks up to connect_timeout for the first
  /// connection and returns whether it is up. Reconnects automatically afterwards.
  bool start(bool wait = true);
  /// Credentials for the next (re)connect, e.g. after a rotation. Thread-safe.
  void set_credentials(std::string username, std::string password);
  /// Disconnects cleanly (no Last Will) and stops reconnecting. Idempotent.
  void stop();

  bool connected() const noexcept;
  /// Last connection error text (empty when connected).
  std::string last_error() const;

  /// Non-blocking publish. Returns false when the message could not be queued (not connected and
  /// buffer full, or stopped). Delivery of QoS 1 messages is Paho's job once queued.
  bool publish(std::string topic, std::string payload, int qos = 1, bool retained = false);
  /// Blocking publish that waits for the broker's PUBACK (or the timeout). Never call from a
  /// Paho callback.
  bool publish_and_wait(std::string topic, std::string payload, int qos = 1, bool retained = false,
                        std::chrono::milliseconds timeout = std::chrono::milliseconds{5000});

  /// Counters for /metrics.
  std::uint64_t messages_in() const noexcept;
  std::uint64_t messages_out() const noexcept;

 private:
  struct impl;
  std::unique_ptr<impl> impl_;
};

/// Sets TCP_NODELAY on every TCP socket of this process whose peer is host:port (IPv4 or IPv6,
/// host as a numeric address or "localhost"). Returns how many sockets were changed or already
/// had it. Paho sets no TCP_NODELAY and exposes no socket, so this finds them via /proc/self/fd.
int set_tcp_nodelay_to_peer(std::string_view host, std::uint16_t port);

/// Counts this process's TCP sockets to host:port and how many of them have TCP_NODELAY on.
struct nodelay_report {
  int sockets = 0;
  int nodelay = 0;
};
nodelay_report tcp_nodelay_status(std::string_view host, std::uint16_t port);

/// Splits "tcp://host:port" / "mqtt://host:port" (port default 1883) and "ssl://host:port" /
/// "mqtts://host:port" (TLS, port default 8883); nullopt when malformed.
struct endpoint {
  std::string host;
  std::uint16_t port = 1883;
  bool tls = false;
};
std::optional<endpoint> parse_uri(std::string_view uri);

}  // namespace kh::mqtt
