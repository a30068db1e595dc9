#include "mqtt_lite.hpp"

#include <algorithm>
#include <cstring>

#include <boost/asio/connect.hpp>
#include <boost/asio/write.hpp>

namespace kh::bench {

namespace asio = boost::asio;
using tcp = asio::ip::tcp;

namespace mqtt_lite {
namespace {
void put_u16(std::string& s, std::size_t v) {
  s += static_cast<char>((v >> 8) & 0xFF);
  s += static_cast<char>(v & 0xFF);
}
void put_str(std::string& s, const std::string& v) {
  put_u16(s, v.size());
  s += v;
}
// Fixed header: type/flags byte, then the remaining length as a base-128 varint.
std::string packet(std::uint8_t first, const std::string& rest) {
  std::string out;
  out += static_cast<char>(first);
  std::size_t n = rest.size();
  do {
    std::uint8_t b = n % 128;
    n /= 128;
    if (n > 0) b |= 0x80;
    out += static_cast<char>(b);
  } while (n > 0);
  out += rest;
  return out;
}
}  // namespace

std::string connect_packet(const std::string& client_id, std::uint16_t keepalive_s, const std::string& will_topic,
                           const std::string& will_payload, bool will_retain) {
  std::string v;
  put_str(v, "MQTT");
  v += '\x04';  // protocol level 4: MQTT 3.1.1
  std::uint8_t flags = 0x02;  // clean session: the bench subscribes again on every connect
  if (!will_topic.empty()) flags |= 0x04 | 0x08 | (will_retain ? 0x20 : 0);  // will, QoS 1, retain
  v += static_cast<char>(flags);
  put_u16(v, keepalive_s);
  put_str(v, client_id);
  if (!will_topic.empty()) {
    put_str(v, will_topic);
    put_str(v, will_payload);
  }
  return packet(0x10, v);
}

std::string publish_packet(const std::string& topic, const std::string& payload, std::uint16_t packet_id,
                           bool retain) {
  std::string v;
  put_str(v, topic);
  put_u16(v, packet_id);
  v += payload;
  return packet(static_cast<std::uint8_t>(0x32 | (retain ? 1 : 0)), v);  // PUBLISH, QoS 1
}

std::string subscribe_packet(std::uint16_t packet_id, const std::vector<std::string>& filters) {
  std::string v;
  put_u16(v, packet_id);
  for (const auto& f : filters) {
    put_str(v, f);
    v += '\x01';
  }
  return packet(0x82, v);
}

std::string puback_packet(std::uint16_t packet_id) {
  std::string v;
  put_u16(v, packet_id);
  return packet(0x40, v);
}

}  // namespace mqtt_lite

lite_client::lite_client(asio::io_context& io, tcp::endpoint broker, config cfg)
    : io_(io), broker_(broker), cfg_(std::move(cfg)), sock_(io), timer_(io) {}

lite_client::~lite_client() { close(); }

void lite_client::connect(std::chrono::milliseconds timeout) {
  if (state_ != state::idle) return;
  state_ = state::connecting;
  const auto gen = ++gen_;
  in_len_ = 0;
  out_.clear();
  writing_ = false;
  unacked_ = 0;
  timer_.expires_after(timeout);
  timer_.async_wait([this, gen](const boost::system::error_code& ec) {
    if (!ec && gen == gen_ && state_ != state::ready) fail();
  });
  sock_.async_connect(broker_, [this, gen](const boost::system::error_code& ec) {
    if (gen != gen_) return;
    if (ec) return fail();
    sock_.set_option(tcp::no_delay(true));
    state_ = state::handshake;
    send(mqtt_lite::connect_packet(cfg_.client_id, cfg_.keepalive_s, cfg_.will_topic, cfg_.will_payload,
                                   cfg_.will_retain));
    start_read();
  });
}

bool lite_client::publish(const std::string& topic, const std::string& payload, bool retain) {
  if (state_ != state::ready) return false;
  if (++next_id_ == 0) next_id_ = 1;
  ++unacked_;
  send(mqtt_lite::publish_packet(topic, payload, next_id_, retain));
  return true;
}

void lite_client::close() {
  if (state_ == state::idle) return;
  state_ = state::idle;
  ++gen_;
  boost::system::error_code ec;
  timer_.cancel();
  sock_.close(ec);
}

void lite_client::fail() {
  const bool was_open = state_ != state::idle;
  close();
  if (was_open && on_closed) on_closed();
}

void lite_client::send(std::string bytes) {
  out_.push_back(std::move(bytes));
  if (!writing_) write_next();
}

void lite_client::write_next() {
  if (out_.empty()) {
    writing_ = false;
    return;
  }
  writing_ = true;
  writing_buf_.clear();
  for (auto& b : out_) writing_buf_ += b;  // coalesce what queued up into one write
  out_.clear();
  const auto gen = gen_;
  asio::async_write(sock_, asio::buffer(writing_buf_), [this, gen](const boost::system::error_code& ec, std::size_t) {
    if (gen != gen_) return;
    if (ec) return fail();
    write_next();
  });
}

void lite_client::start_read() {
  if (in_.size() - in_len_ < 4096) in_.resize(std::max<std::size_t>(in_.size() * 2, 8192));
  const auto gen = gen_;
  sock_.async_read_some(asio::buffer(in_.data() + in_len_, in_.size() - in_len_),
                        [this, gen](const boost::system::error_code& ec, std::size_t n) {
                          if (gen != gen_) return;
                          if (ec) return fail();
                          on_bytes(n);
                          if (gen == gen_) start_read();
                        });
}

void lite_client::on_bytes(std::size_t n) {
  in_len_ += n;
  std::size_t at = 0;
  const auto gen = gen_;
  while (gen == gen_) {
    // Fixed header: 1 byte, then 1–4 bytes of remaining length.
    if (in_len_ - at < 2) break;
    std::size_t len = 0, mult = 1, i = at + 1;
    bool complete = false;
    for (int k = 0; k < 4 && i < in_len_; ++k, ++i) {
      const auto b = static_cast<std::uint8_t>(in_[i]);
      len += (b & 0x7F) * mult;
      mult *= 128;
      if (!(b & 0x80)) {
        complete = true;
        ++i;
        break;
      }
    }
    if (!complete || in_len_ - i < len) break;
    handle_packet(static_cast<std::uint8_t>(in_[at]), in_.data() + i, len);
    at = i + len;
  }
  if (gen != gen_) return;
  if (at > 0) {
    std::memmove(in_.data(), in_.data() + at, in_len_ - at);
    in_len_ -= at;
  }
}

void lite_client::handle_packet(std::uint8_t header, const char* body, std::size_t len) {
  auto u16 = [&](std::size_t off) {
    return static_cast<std::uint16_t>((static_cast<std::uint8_t>(body[off]) << 8) | static_cast<std::uint8_t>(body[off + 1]));
  };
  switch (header >> 4) {
    case 2:  // CONNACK
      if (len < 2 || body[1] != 0) return fail();
      if (cfg_.subscriptions.empty()) {
        state_ = state::ready;
        timer_.cancel();
        arm_ping();
        if (on_ready) on_ready();
      } else {
        send(mqtt_lite::subscribe_packet(next_id_++, cfg_.subscriptions));
      }
      return;
    case 9:  // SUBACK
      if (state_ == state::handshake) {
        state_ = state::ready;
        timer_.cancel();
        arm_ping();
        if (on_ready) on_ready();
      }
      return;
    case 4:  // PUBACK
      if (unacked_ > 0) --unacked_;
      return;
    case 3: {  // PUBLISH
      if (len < 2) return fail();
      const std::size_t tlen = u16(0);
      const int qos = (header >> 1) & 3;
      std::size_t at = 2 + tlen;
      if (at + (qos ? 2 : 0) > len) return fail();
      std::string topic(body + 2, tlen);
      if (qos) {
        send(mqtt_lite::puback_packet(u16(at)));
        at += 2;
      }
      if (on_message) on_message(topic, std::string(body + at, len - at));
      return;
    }
    case 13:  // PINGRESP
      return;
    default:
      return;
  }
}

void lite_client::arm_ping() {
  const auto gen = gen_;
  timer_.expires_after(std::chrono::seconds(cfg_.keepalive_s) * 3 / 4);
  timer_.async_wait([this, gen](const boost::system::error_code& ec) {
    if (ec || gen != gen_ || state_ != state::ready) return;
    send(mqtt_lite::pingreq_packet());
    arm_ping();
  });
}

}  // namespace kh::bench
