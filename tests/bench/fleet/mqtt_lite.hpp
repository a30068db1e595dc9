#pragma once
// A light MQTT 3.1.1 client for simulating a large fleet from one process: many connections on
// one boost::asio::io_context thread, a few hundred bytes of state each (one Paho client per
// device would be a thread and a socket loop each). Only what a device does: CONNECT with a Last
// Will, SUBSCRIBE, PUBLISH at QoS 1 (and PUBACK for what it receives), PINGREQ. Not a general
// client: no QoS 2, no persistence of unacknowledged messages across reconnects (the bench
// republishes what a device sends on each connect).

#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/steady_timer.hpp>

namespace kh::bench {

namespace mqtt_lite {

/// Packet encoders (exposed for the bench's self-check).
std::string connect_packet(const std::string& client_id, std::uint16_t keepalive_s, const std::string& will_topic,
                           const std::string& will_payload, bool will_retain);
std::string publish_packet(const std::string& topic, const std::string& payload, std::uint16_t packet_id,
                           bool retain);
std::string subscribe_packet(std::uint16_t packet_id, const std::vector<std::string>& filters);
std::string puback_packet(std::uint16_t packet_id);
inline std::string pingreq_packet() { return std::string("\xC0\x00", 2); }

}  // namespace mqtt_lite

/// One simulated connection. Owned by the caller; all calls on the io_context's thread.
class lite_client {
 public:
  struct config {
    std::string client_id;
    std::string will_topic;
    std::string will_payload;
    bool will_retain = true;
    std::uint16_t keepalive_s = 60;
    std::vector<std::string> subscriptions;  ///< QoS 1 each
  };
  /// Called after CONNACK (accepted) and SUBACK: publish presence and hello from here.
  std::function<void()> on_ready;
  /// A PUBLISH from the broker (already acknowledged if QoS 1).
  std::function<void(const std::string& topic, const std::string& payload)> on_message;
  /// The connection ended (refused, reset, timed out, closed by the broker).
  std::function<void()> on_closed;

  lite_client(boost::asio::io_context& io, boost::asio::ip::tcp::endpoint broker, config cfg);
  ~lite_client();
  lite_client(const lite_client&) = delete;
  lite_client& operator=(const lite_client&) = delete;

  /// Starts connecting (no-op while connecting or connected). Gives up after `timeout` (closed).
  void connect(std::chrono::milliseconds timeout = std::chrono::seconds(10));
  /// QoS 1 publish (queued while the socket is busy); false when not connected.
  bool publish(const std::string& topic, const std::string& payload, bool retain = false);
  void close();
  bool ready() const { return state_ == state::ready; }
  /// PUBLISHes sent whose PUBACK has not arrived yet.
  int unacked() const { return unacked_; }

 private:
  enum class state { idle, connecting, handshake, ready };
  void start_read();
  void on_bytes(std::size_t n);
  void handle_packet(std::uint8_t header, const char* body, std::size_t len);
  void send(std::string bytes);
  void write_next();
  void arm_ping();
  void fail();

  boost::asio::io_context& io_;
  boost::asio::ip::tcp::endpoint broker_;
  config cfg_;
  boost::asio::ip::tcp::socket sock_;
  boost::asio::steady_timer timer_;
  state state_ = state::idle;
  std::uint64_t gen_ = 0;  // bumped on close: completions of an old connection are ignored
  std::vector<char> in_;
  std::size_t in_len_ = 0;
  std::vector<std::string> out_;
  bool writing_ = false;
  std::string writing_buf_;
  std::uint16_t next_id_ = 1;
  int unacked_ = 0;
};

}  // namespace kh::bench
