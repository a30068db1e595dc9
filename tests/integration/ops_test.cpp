// Operations: health, metrics, clean shutdown.
#include <gtest/gtest.h>

#include <signal.h>

#include "hub_fixture.hpp"

using namespace std::chrono_literals;
using kh::test::json;

TEST(ops, healthz_and_metrics_reflect_the_running_hub) {
  kh::test::mosquitto broker;
  kh::test::hub hub(broker);
  hub.serve();
  auto h = kh::test::http_get(hub.http_port(), "/healthz");
  EXPECT_EQ(h.status, 200);
  const auto health = json::parse(h.body, nullptr, false);
  ASSERT_TRUE(health.is_object()) << h.body;
  EXPECT_EQ(health.value("status", ""), "ok") << h.body;
  EXPECT_EQ(health.value("database", ""), "ok") << h.body;
  EXPECT_EQ(health.value("mqtt", ""), "connected") << h.body;
  EXPECT_FALSE(health.contains("reason")) << h.body;

  auto product = hub.product_with_stock(10);
  kh::test::raw_device dev(broker, "kiosk-1");
  auto ok = kh::test::order_body({{product["id"], 1}});
  dev.send("order.submit", ok);
  ASSERT_TRUE(dev.next_for(ok["order_id"]));
  auto bad = kh::test::order_body({{"no-such-product", 1}});
  dev.send("order.submit", bad);
  ASSERT_TRUE(dev.next_for(bad["order_id"]));

  auto m = kh::test::http_get(hub.http_port(), "/metrics");
  EXPECT_EQ(m.status, 200);
  EXPECT_NE(m.headers.find("text/plain"), std::string::npos);
  EXPECT_NE(m.body.find("kh_orders_accepted_total 1"), std::string::npos) << m.body;
  EXPECT_NE(m.body.find("kh_orders_rejected_total{code=\"unknown_product\"} 1"), std::string::npos) << m.body;
  EXPECT_NE(m.body.find("kh_order_latency_seconds_count"), std::string::npos);
  EXPECT_NE(m.body.find("kh_mqtt_messages_in_total"), std::string::npos);
  EXPECT_NE(m.body.find("kh_devices_connected"), std::string::npos);
  EXPECT_EQ(kh::test::http_get(hub.http_port(), "/no-such-page").status, 404);
}

TEST(ops, healthz_is_503_while_the_broker_is_gone) {
  auto broker = std::make_unique<kh::test::mosquitto>();
  kh::test::hub hub(*broker);
  hub.serve();
  broker.reset();
  bool down = kh::test::eventually([&] { return kh::test::http_get(hub.http_port(), "/healthz").status == 503; }, 15s);
  EXPECT_TRUE(down);
  auto h = kh::test::http_get(hub.http_port(), "/healthz");
  const auto health = json::parse(h.body, nullptr, false);
  ASSERT_TRUE(health.is_object()) << h.body;
  EXPECT_EQ(health.value("status", ""), "unavailable") << h.body;
  EXPECT_EQ(health.value("mqtt", ""), "disconnected") << h.body;
  EXPECT_EQ(health.value("database", ""), "ok") << "the database is fine: " << h.body;
  EXPECT_NE(health.value("reason", "").find("broker"), std::string::npos) << "the reason names the broker: " << h.body;
}

TEST(ops, sigterm_shuts_down_cleanly_and_data_survives_restart) {
  kh::test::mosquitto broker;
  kh::test::hub hub(broker);
  hub.serve();
  auto product = hub.product_with_stock(10);
  kh::test::raw_device dev(broker, "kiosk-1");
  auto body = kh::test::order_body({{product["id"], 1}});
  dev.send("order.submit", body);
  auto first = dev.next_for(body["order_id"]);
  ASSERT_TRUE(first);
  EXPECT_EQ(hub.stop(10s).value_or(-1), 0) << hub.log();
  hub.serve();
  // The same order sent again after the restart gets the original answer.
  dev.send("order.submit", body);
  auto again = dev.next_for(body["order_id"]);
  ASSERT_TRUE(again);
  EXPECT_EQ(again->body().dump(), first->body().dump());
}
