#include <gtest/gtest.h>

#include <algorithm>
#include <atomic>
#include <condition_variable>
#include <mutex>
#include <vector>

#include "kh/mqtt/client.hpp"
#include "kh/test/support.hpp"

using namespace std::chrono_literals;
using kh::test::eventually;

namespace {

// Collects messages delivered on Paho's thread.
struct inbox {
  std::mutex mu;
  std::vector<kh::mqtt::message> msgs;
  void push(kh::mqtt::message m) {
    std::lock_guard lk(mu);
    msgs.push_back(std::move(m));
  }
  std::size_t size() {
    std::lock_guard lk(mu);
    return msgs.size();
  }
  std::vector<kh::mqtt::message> copy() {
    std::lock_guard lk(mu);
    return msgs;
  }
};

kh::mqtt::options opts(const kh::test::mosquitto& b, std::string id) {
  kh::mqtt::options o;
  o.uri = b.url();
  o.client_id = std::move(id);
  return o;
}

}  // namespace

TEST(mqtt_uri, parses_host_and_port) {
  auto e = kh::mqtt::parse_uri("tcp://127.0.0.1:1884");
  ASSERT_TRUE(e);
  EXPECT_EQ(e->host, "127.0.0.1");
  EXPECT_EQ(e->port, 1884);
  auto d = kh::mqtt::parse_uri("mqtt://localhost");
  ASSERT_TRUE(d);
  EXPECT_EQ(d->port, 1883);
  auto v6 = kh::mqtt::parse_uri("tcp://[::1]:1885");
  ASSERT_TRUE(v6);
  EXPECT_EQ(v6->host, "[::1]");
  EXPECT_EQ(v6->port, 1885);
  EXPECT_FALSE(v6->tls);
  // TLS: ssl:// and mqtts://, port 8883 unless given (the fleet test connects through them).
  auto s = kh::mqtt::parse_uri("ssl://localhost");
  ASSERT_TRUE(s);
  EXPECT_TRUE(s->tls);
  EXPECT_EQ(s->port, 8883);
  auto m = kh::mqtt::parse_uri("mqtts://127.0.0.1:9883");
  ASSERT_TRUE(m);
  EXPECT_TRUE(m->tls);
  EXPECT_EQ(m->port, 9883);
}

TEST(mqtt_uri, rejects_malformed) {
  for (auto bad : {"", "127.0.0.1:1883", "http://x:1", "tcp://", "tcp://h:0", "tcp://h:65536",
                   "tcp://h:12a", "tcp://[::1", "tcp://a/b:1"}) {
    EXPECT_FALSE(kh::mqtt::parse_uri(bad)) << bad;
  }
  EXPECT_THROW(kh::mqtt::client(kh::mqtt::options{.uri = "nonsense", .client_id = "x"}),
               std::invalid_argument);
}

// Paho never sets TCP_NODELAY; without it every QoS 1 round trip waits ~40 ms for a delayed ACK.
// If this fails, latency of every order goes up twenty-fold.
TEST(mqtt_client, sets_tcp_nodelay_on_its_broker_socket) {
  kh::test::mosquitto broker;
  kh::mqtt::client c(opts(broker, "nodelay-test"));
  ASSERT_TRUE(c.start()) << c.last_error();
  auto report = kh::mqtt::tcp_nodelay_status("127.0.0.1", broker.port());
  EXPECT_GE(report.sockets, 1);
  EXPECT_EQ(report.nodelay, report.sockets);
  c.stop();
}

TEST(mqtt_client, qos1_round_trip_and_resubscribe_topics) {
  kh::test::mosquitto broker;
  inbox got;
  kh::mqtt::client sub(opts(broker, "sub"));
  sub.subscribe_on_connect({{"t/#", 1}});
  sub.on_message([&](kh::mqtt::message m) { got.push(std::move(m)); });
  ASSERT_TRUE(sub.start());
  kh::mqtt::client pub(opts(broker, "pub"));
  ASSERT_TRUE(pub.start());
  for (int i = 0; i < 50; ++i) ASSERT_TRUE(pub.publish("t/" + std::to_string(i), "payload " + std::to_string(i)));
  ASSERT_TRUE(eventually([&] { return got.size() == 50; }, 10s)) << got.size();
  auto msgs = got.copy();
  EXPECT_EQ(msgs[7].topic, "t/7");
  EXPECT_EQ(msgs[7].payload, "payload 7");
  EXPECT_EQ(msgs[7].qos, 1);
  EXPECT_GE(sub.messages_in(), 50u);
  EXPECT_GE(pub.messages_out(), 50u);
}

TEST(mqtt_client, publishes_retained_presence_on_every_connect) {
  kh::test::mosquitto broker;
  auto o = opts(broker, "dev-1");
  o.last_will = kh::mqtt::will{"p/dev-1", "offline", 1, true};
  kh::mqtt::client dev(o);
  dev.publish_on_connect({{"p/dev-1", "online", 1, true}});
  ASSERT_TRUE(dev.start());
  inbox got;
  kh::mqtt::client watcher(opts(broker, "watcher"));
  watcher.subscribe_on_connect({{"p/#", 1}});
  watcher.on_message([&](kh::mqtt::message m) { got.push(std::move(m)); });
  ASSERT_TRUE(watcher.start());
  ASSERT_TRUE(eventually([&] { return got.size() >= 1; }));
  auto m = got.copy().front();
  EXPECT_EQ(m.payload, "online");
  EXPECT_TRUE(m.retained);
}

TEST(mqtt_client, start_without_broker_reports_an_error_and_stops_promptly) {
  auto port = kh::test::free_port();
  kh::mqtt::options o;
  o.uri = "tcp://127.0.0.1:" + std::to_string(port);
  o.client_id = "late";
  o.connect_timeout = 1000ms;
  kh::mqtt::client c(o);
  bool up = c.start(true);
  EXPECT_FALSE(up);
  EXPECT_FALSE(c.last_error().empty());
  c.stop();  // must return promptly while the supervisor is backing off
  EXPECT_FALSE(c.connected());
  EXPECT_FALSE(c.publish("t", "after stop")) << "a stopped client refuses instead of buffering forever";
}
