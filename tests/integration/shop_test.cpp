// The kiosk shop's hub work end to end over a real Mosquitto and a real kioskhub: a quote with
// options, the order with the same options priced by the hub, feedback stored once, device.status
// in /metrics, an offline order keeping its local number despite a stock conflict, and the
// product pictures served with ETags.
#include <gtest/gtest.h>

#include <algorithm>
#include <cctype>

#include "hub_fixture.hpp"
#include "kh/protocol/codec.hpp"
#include "kh/protocol/ids.hpp"

using namespace std::chrono_literals;
using kh::test::json;

TEST(shop, quote_options_feedback_status_and_offline_number_over_real_mqtt) {
  kh::test::mosquitto broker;
  kh::test::hub hub(broker);
  hub.serve_args = {"--public-url", "https://cafe.example"};
  hub.serve();
  const json catalog = hub.catalog();
  ASSERT_TRUE(kh::protocol::decode_catalog(catalog["body"]).ok());
  ASSERT_TRUE(catalog["body"].contains("profile"));
  EXPECT_EQ(catalog["body"]["profile"]["time_zone"], "Europe/Paris");
  kh::test::raw_device dev(broker, "kiosk-1");

  // 1. Quote: a large latte with oat milk (3.60 + 0.80 + 0.40) and a latte without its size.
  const auto quote_id = kh::protocol::new_uuid();
  json lines = json::array({
      {{"product_id", "latte"}, {"qty", 2}, {"options", json::array({{{"group", "size"}, {"option", "l"}}, {{"group", "milk"}, {"option", "oat"}}})}},
      {{"product_id", "latte"}, {"qty", 1}},
  });
  dev.send("order.quote", {{"quote_id", quote_id}, {"order_type", "takeaway"}, {"lines", lines}});
  auto q = dev.next(10s);
  ASSERT_TRUE(q) << hub.log();
  ASSERT_EQ(q->type, "order.quoted") << q->envelope.dump();
  const auto quoted = kh::protocol::decode_order_quoted(q->body());
  ASSERT_TRUE(quoted.ok()) << quoted.error().message;
  EXPECT_EQ(quoted->quote_id, quote_id);
  EXPECT_TRUE(quoted->ok);
  EXPECT_EQ(quoted->lines[0].unit_price.amount, 480);
  EXPECT_TRUE(quoted->lines[1].problems.empty()) << "the size is optional: the menu's default applies";
  EXPECT_EQ(quoted->total.amount, 960 + 360);

  // 2. The order with the good line: priced the same, options stored with their names.
  json order = kh::test::order_body({{"latte", 2}});
  order["lines"][0]["options"] = lines[0]["options"];
  dev.send("order.submit", order);
  auto acc = dev.next_for(order["order_id"]);
  ASSERT_TRUE(acc);
  ASSERT_EQ(acc->type, "order.accepted") << acc->envelope.dump();
  EXPECT_EQ(acc->body()["total"]["amount"], 960);
  EXPECT_EQ(acc->body()["tracking_url"], "https://cafe.example/o/" + order["order_id"].get<std::string>());
  kh::test::db db(hub.db_file());
  const std::string oid = order["order_id"];
  EXPECT_EQ(db.scalar("SELECT unit_price FROM order_lines WHERE order_id = '" + oid + "'"), "480");
  const auto opts = json::parse(db.scalar("SELECT line_options FROM order_details WHERE order_id = '" + oid + "'").value_or("{}"));
  ASSERT_EQ(opts["1"].size(), 2u) << opts.dump();
  EXPECT_EQ(opts["1"][1]["option_name"], "Oat milk");

  // 3. Feedback: stored once, the first one wins; another device cannot rate it.
  dev.send("feedback", {{"order_id", oid}, {"rating", 5}, {"comment", "Lovely"}});
  dev.send("feedback", {{"order_id", oid}, {"rating", 1}});
  hub.add_device("kiosk-9");
  // (kiosk-9 is added to the database directly: the running hub sees it on its next read.)
  kh::test::raw_device other(broker, "kiosk-9");
  other.send("feedback", {{"order_id", oid}, {"rating", 1}});
  auto err = other.next(10s);
  ASSERT_TRUE(err);
  EXPECT_EQ(err->body()["code"], "unknown_order");
  ASSERT_TRUE(kh::test::eventually([&] { return db.count("SELECT COUNT(*) FROM order_feedback") == 1; }, 10s));
  EXPECT_EQ(db.scalar("SELECT rating FROM order_feedback WHERE order_id = '" + oid + "'"), "5");

  // 4. device.status: stored per device and visible in /metrics.
  dev.send("device.status", {{"printer", "paper_out"}, {"camera", "ok"}, {"outbox", 0}, {"firmware", "kiosk test"}});
  ASSERT_TRUE(kh::test::eventually(
      [&] {
        return kh::test::http_get(hub.http_port(), "/metrics")
                   .body.find("kh_device_printer_state{device=\"kiosk-1\",state=\"paper_out\"} 1") != std::string::npos;
      },
      10s))
      << kh::test::http_get(hub.http_port(), "/metrics").body;
  EXPECT_EQ(db.scalar("SELECT printer FROM device_status WHERE device_id = 'kiosk-1'"), "paper_out");

  // 5. Offline order: croissant has 5 on hand, the kiosk sold 6 while the hub was away.
  json offline = kh::test::order_body({{"croissant", 6}});
  offline["local_number"] = "K1-007";
  offline["placed_at"] = kh::protocol::format_rfc3339(kh::protocol::clock::now() - 10min);
  dev.send("order.submit", offline);
  auto off = dev.next_for(offline["order_id"]);
  ASSERT_TRUE(off);
  ASSERT_EQ(off->type, "order.accepted") << off->envelope.dump();
  EXPECT_EQ(off->body()["number"], "K1-007");
  const std::string off_id = offline["order_id"];
  EXPECT_EQ(db.scalar("SELECT number FROM orders WHERE id = '" + off_id + "'"), "K1-007");
  EXPECT_EQ(db.scalar("SELECT stock FROM products WHERE id = 'croissant'"), "0") << "never below zero";
  EXPECT_EQ(db.scalar("SELECT stock_conflict FROM order_details WHERE order_id = '" + off_id + "'"), "1");
  // The same order sent again (the kiosk's outbox resends) is the same answer, stock untouched.
  dev.send("order.submit", offline);
  auto again = dev.next_for(offline["order_id"]);
  ASSERT_TRUE(again);
  EXPECT_EQ(again->body(), off->body());
  EXPECT_EQ(db.count("SELECT COUNT(*) FROM orders WHERE number = 'K1-007'"), 1);
  // An online order for croissants is refused now.
  json online = kh::test::order_body({{"croissant", 1}});
  dev.send("order.submit", online);
  auto rej = dev.next_for(online["order_id"]);
  ASSERT_TRUE(rej);
  EXPECT_EQ(rej->body()["code"], "out_of_stock");
  EXPECT_NE(kh::test::http_get(hub.http_port(), "/metrics").body.find("kh_orders_stock_conflict_total 1"),
            std::string::npos);

  // 6. The catalog's image URLs are under the public URL and served by this hub.
  const std::string url = hub.catalog()["body"]["products"][0]["image_url"];
  const std::string prefix = "https://cafe.example";
  ASSERT_EQ(url.rfind(prefix, 0), 0u) << url;
  const auto img = kh::test::http_get(hub.http_port(), url.substr(prefix.size()));
  EXPECT_EQ(img.status, 200);
  std::string headers = img.headers;
  std::transform(headers.begin(), headers.end(), headers.begin(), [](unsigned char c) { return std::tolower(c); });
  EXPECT_NE(headers.find("content-type: image/png"), std::string::npos) << img.headers;
  EXPECT_NE(headers.find("etag: \""), std::string::npos) << img.headers;
  EXPECT_NE(headers.find("cache-control: public, max-age=3600"), std::string::npos) << img.headers;
  EXPECT_EQ(img.body.substr(1, 3), "PNG");
}
