// Every bad input gets a clear error with its machine code, changes nothing, and the hub keeps
// serving.
#include <gtest/gtest.h>

#include "hub_fixture.hpp"

using namespace std::chrono_literals;
using kh::test::json;

namespace {

struct bad_input : ::testing::Test {
  static void SetUpTestSuite() {
    broker = new kh::test::mosquitto();
    hub = new kh::test::hub(*broker);
    hub->serve();
    catalog = new json(hub->catalog());
  }
  static void TearDownTestSuite() {
    delete catalog;
    delete hub;
    delete broker;
  }
  static inline kh::test::mosquitto* broker = nullptr;
  static inline kh::test::hub* hub = nullptr;
  static inline json* catalog = nullptr;

  std::int64_t orders() {
    kh::test::db db(hub->db_file());
    return db.count("SELECT COUNT(*) FROM orders");
  }
  std::string product(bool available) {
    for (auto& p : (*catalog)["body"]["products"])
      if (p["available"].get<bool>() == available && (!available || p["stock"].is_null() || p["stock"] > 10))
        return p["id"];
    return {};
  }
  // Sends a payload and returns the code of the first reply (error or order.rejected).
  std::string code_for(kh::test::raw_device& dev, const std::string& type, const std::string& payload,
                       const std::string& want_type = "error") {
    dev.send_raw(type, payload);
    auto r = dev.next(10s);
    if (!r) return "<no reply>";
    EXPECT_EQ(r->type, want_type) << r->envelope.dump();
    if (!r->envelope.is_object() || !r->envelope.contains("body")) return "<bad reply>";
    EXPECT_FALSE(r->body().value("message", "").empty()) << "every error says what is wrong";
    return r->body().value("code", "<no code>");
  }
  static std::string envelope(const std::string& type, const json& body) {
    kh::protocol::envelope e;
    e.type = type;
    e.id = kh::protocol::new_uuid();
    e.ts = kh::protocol::format_rfc3339(kh::protocol::clock::now());
    e.body = body;
    return kh::protocol::encode_envelope(e);
  }
};

}  // namespace

TEST_F(bad_input, malformed_payloads_get_error_malformed) {
  kh::test::raw_device dev(*broker, "kiosk-1");
  auto before = orders();
  EXPECT_EQ(code_for(dev, "order.submit", "not json at all"), "malformed");
  EXPECT_EQ(code_for(dev, "order.submit", "[1,2,3]"), "malformed");
  EXPECT_EQ(code_for(dev, "order.submit", "{\"v\":1,\"type\":\"order.submit\"}"), "malformed");
  EXPECT_EQ(code_for(dev, "order.submit", std::string("{\"v\":1,\"type\":\"order.submit\",\"x\":\"\xff\xfe\"}")),
            "malformed");
  // Envelope type that does not match the topic.
  EXPECT_EQ(code_for(dev, "order.submit", envelope("hello", json{{"firmware", "x"}, {"mode", "shop"}})), "malformed");
  // Wrong field types and unknown enum values.
  // A body whose order_id is readable is answered order.rejected, so the kiosk's outbox can settle.
  auto body = kh::test::order_body({{product(true), 1}});
  body["order_type"] = "drive_through";
  EXPECT_EQ(code_for(dev, "order.submit", envelope("order.submit", body), "order.rejected"), "malformed");
  body = kh::test::order_body({{product(true), 1}});
  body["order_id"] = "not-a-uuid";
  EXPECT_EQ(code_for(dev, "order.submit", envelope("order.submit", body)), "malformed");
  body = kh::test::order_body({{product(true), 1}});
  body["lines"][0]["qty"] = "2";
  EXPECT_EQ(code_for(dev, "order.submit", envelope("order.submit", body), "order.rejected"), "malformed");
  body["lines"][0]["qty"] = 1.5;
  EXPECT_EQ(code_for(dev, "order.submit", envelope("order.submit", body), "order.rejected"), "invalid_quantity");
  EXPECT_EQ(orders(), before);
}

TEST_F(bad_input, oversized_version_and_type_errors) {
  kh::test::raw_device dev(*broker, "kiosk-1");
  auto before = orders();
  std::string huge = envelope("order.submit", kh::test::order_body({{product(true), 1}}));
  huge.insert(huge.size() - 1, ",\"pad\":\"" + std::string(70 * 1024, 'x') + "\"");
  EXPECT_EQ(code_for(dev, "order.submit", huge), "too_large");
  auto v2 = json::parse(envelope("order.submit", kh::test::order_body({{product(true), 1}})));
  v2["v"] = 2;
  EXPECT_EQ(code_for(dev, "order.submit", v2.dump()), "unsupported_version");
  EXPECT_EQ(code_for(dev, "order.teleport", envelope("order.teleport", json::object())), "unknown_type");
  // A hub → device type sent upstream is not accepted either.
  EXPECT_EQ(code_for(dev, "order.accepted", envelope("order.accepted", json::object())), "unknown_type");
  EXPECT_EQ(orders(), before);
}

TEST_F(bad_input, order_content_errors_are_rejections_with_codes) {
  kh::test::raw_device dev(*broker, "kiosk-1");
  auto before = orders();
  auto stock_before = kh::test::db(hub->db_file()).scalar("SELECT SUM(COALESCE(stock,0)) FROM products");
  auto send = [&](json body, const std::string& want_type = "order.rejected") {
    return code_for(dev, "order.submit", envelope("order.submit", body), want_type);
  };
  auto good = product(true);
  EXPECT_EQ(send(kh::test::order_body({{good, 0}})), "invalid_quantity");
  EXPECT_EQ(send(kh::test::order_body({{good, 100}})), "invalid_quantity");
  EXPECT_EQ(send(kh::test::order_body({{good, -1}})), "invalid_quantity");
  std::vector<std::pair<std::string, int>> many(101, {good, 1});
  EXPECT_EQ(send(kh::test::order_body(many)), "too_many_lines");
  EXPECT_EQ(send(kh::test::order_body({{"no-such-product", 1}})), "unknown_product");
  auto inactive = product(false);
  ASSERT_FALSE(inactive.empty()) << "the demo has an inactive product";
  EXPECT_EQ(send(kh::test::order_body({{good, 1}, {inactive, 1}})), "product_unavailable");
  // More than there is: the demo has one product with stock 5.
  std::string low;
  for (auto& p : (*catalog)["body"]["products"])
    if (p["stock"].is_number() && p["stock"].get<int>() == 5) low = p["id"];
  ASSERT_FALSE(low.empty());
  EXPECT_EQ(send(kh::test::order_body({{low, 6}})), "out_of_stock");
  EXPECT_EQ(send(kh::test::order_body({{low, 3}, {low, 3}})), "out_of_stock") << "lines are summed";
  EXPECT_EQ(orders(), before);
  EXPECT_EQ(kh::test::db(hub->db_file()).scalar("SELECT SUM(COALESCE(stock,0)) FROM products"), stock_before);
}

TEST_F(bad_input, tampered_totals_are_ignored) {
  kh::test::raw_device dev(*broker, "kiosk-1");
  auto p = (*catalog)["body"]["products"][0];
  for (auto& c : (*catalog)["body"]["products"])
    if (c["available"] == true) p = c;
  auto body = kh::test::order_body({{p["id"], 1}});
  body["total"] = {{"amount", 1}, {"currency", "EUR"}};
  body["lines"][0]["price"] = {{"amount", 1}, {"currency", "EUR"}};
  dev.send("order.submit", body);
  auto r = dev.next_for(body["order_id"]);
  ASSERT_TRUE(r);
  ASSERT_EQ(r->type, "order.accepted") << r->envelope.dump();
  EXPECT_EQ(r->body()["subtotal"]["amount"], p["price"]["amount"]);
}

// An unknown device id in the topic. This is not a forgery test: another client publishing on a
// registered device's topic (say kiosk-1's) is indistinguishable from kiosk-1 over MQTT 3.1.1;
// only per-device broker credentials and ACLs stop that (see docs/protocol.md, Transport).
TEST_F(bad_input, unknown_device_id_is_forbidden) {
  kh::test::raw_device ghost(*broker, "ghost-9");
  auto before = orders();
  EXPECT_EQ(code_for(ghost, "order.submit", envelope("order.submit", kh::test::order_body({{product(true), 1}})),
                     "order.rejected"),
            "forbidden");
  EXPECT_EQ(orders(), before);
}

TEST_F(bad_input, hub_keeps_serving_after_a_burst_of_garbage) {
  kh::test::raw_device dev(*broker, "kiosk-1");
  for (int i = 0; i < 200; ++i) dev.send_raw("order.submit", std::string(static_cast<std::size_t>(i % 7) + 1, '{'));
  for (int i = 0; i < 200; ++i) ASSERT_TRUE(dev.next(10s)) << i;
  auto body = kh::test::order_body({{product(true), 1}});
  dev.send("order.submit", body);
  auto r = dev.next_for(body["order_id"]);
  ASSERT_TRUE(r);
  EXPECT_EQ(r->type, "order.accepted");
  EXPECT_EQ(kh::test::http_get(hub->http_port(), "/healthz").status, 200);
}

// Input quirks over the real path: each is refused with `malformed` and places nothing.
TEST_F(bad_input, duplicate_keys_bom_absurd_timestamps_and_control_characters_are_malformed) {
  kh::test::raw_device dev(*broker, "kiosk-1");
  const auto before = orders();
  const auto good = kh::test::order_body({{product(true), 1}});
  // {"v":2,"v":1}: the last one would win in nlohmann, the first in other parsers.
  std::string dup = envelope("order.submit", good);
  dup.replace(dup.find("\"v\":1"), 5, "\"v\":2,\"v\":1");
  EXPECT_EQ(code_for(dev, "order.submit", dup), "malformed");
  EXPECT_EQ(code_for(dev, "order.submit", "\xEF\xBB\xBF" + envelope("order.submit", good)), "malformed");
  auto old = json::parse(envelope("order.submit", good));
  old["ts"] = "0000-01-01T00:00:00Z";
  EXPECT_EQ(code_for(dev, "order.submit", old.dump()), "malformed");
  for (const std::string& bad : {std::string("A\0B", 3), std::string("Ana\nFAKE LOG LINE"), std::string("\x1b[2J"),
                                std::string("\xe2\x80\xae" "evil")}) {
    auto body = kh::test::order_body({{product(true), 1}});
    body["customer"] = {{"name", bad}};
    EXPECT_EQ(code_for(dev, "order.submit", envelope("order.submit", body), "order.rejected"), "malformed");
  }
  EXPECT_EQ(orders(), before);
}
