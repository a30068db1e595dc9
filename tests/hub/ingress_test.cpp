#include "kh/hub/ingress/ingress.hpp"

#include <gtest/gtest.h>

#include "kh/protocol/codec.hpp"
#include "kh/protocol/ids.hpp"
#include "test_support.hpp"

namespace kh::hub {
namespace {

using test::biz;

struct sent {
  std::string topic;
  std::string payload;
  bool retained = false;
  nlohmann::json json() const { return nlohmann::json::parse(payload); }
};

class ingress_test : public ::testing::Test {
 protected:
  void SetUp() override {
    store_ = open_sqlite_store(database_path(dir_.str()));
    test::seed_small(*store_);
    orders_ = std::make_unique<order_service>(*store_, clock_.fn());
    ingress::describe_metrics(metrics_);
    in_ = std::make_unique<ingress>(
        *store_, *orders_, metrics_,
        [this](const std::string& t, std::string p, bool r) {
          out_.push_back({t, std::move(p), r});
          return true;
        },
        [this](const std::string& b) { dirty_.push_back(b); });
  }

  static std::string envelope(const std::string& type, const nlohmann::json& body) {
    return nlohmann::json{{"v", 1}, {"type", type}, {"id", protocol::new_uuid()}, {"ts", "2026-11-22T10:00:00Z"},
                          {"body", body}}
        .dump();
  }
  static nlohmann::json order_body(const std::string& order_id, const std::string& product = "bun", int qty = 1) {
    return {{"order_id", order_id},
            {"order_type", "takeaway"},
            {"lines", {{{"product_id", product}, {"qty", qty}}}},
            {"payment_method", "cash"},
            {"customer", nlohmann::json::object()}};
  }
  void submit(const std::string& device, const nlohmann::json& body) {
    in_->handle("kh/v1/d/" + device + "/up/order.submit", envelope("order.submit", body));
  }
  /// The one reply on `topic`, or fails.
  sent only(const std::string& topic) {
    std::vector<sent> hits;
    for (const auto& s : out_) {
      if (s.topic == topic) hits.push_back(s);
    }
    EXPECT_EQ(hits.size(), 1u) << topic;
    return hits.empty() ? sent{} : hits.front();
  }
  std::string error_code(const std::string& device) {
    return only("kh/v1/d/" + device + "/down/error").json()["body"]["code"];
  }

  test::temp_dir dir_;
  test::manual_clock clock_;
  std::unique_ptr<store> store_;
  std::unique_ptr<order_service> orders_;
  metrics_registry metrics_;
  std::unique_ptr<ingress> in_;
  std::vector<sent> out_;
  std::vector<std::string> dirty_;
};

TEST_F(ingress_test, an_order_is_answered_on_the_device_topic_and_announced_to_the_business) {
  const auto id = protocol::new_uuid();
  submit("kiosk-1", order_body(id, "bun", 2));
  const auto raw = only("kh/v1/d/kiosk-1/down/order.accepted");
  // What devices receive passes their strict decoders.
  auto env = protocol::decode_envelope(raw.payload);
  ASSERT_TRUE(env.ok()) << raw.payload;
  EXPECT_TRUE(protocol::decode_order_accepted(env->body).ok());
  const auto ans = raw.json();
  EXPECT_EQ(ans["v"], 1);
  EXPECT_EQ(ans["type"], "order.accepted");
  EXPECT_EQ(ans["body"]["order_id"], id);
  EXPECT_EQ(ans["body"]["total"]["amount"], 400);
  const auto status = only(std::string("kh/v1/b/") + biz + "/orders").json();
  EXPECT_EQ(status["type"], "order.status");
  EXPECT_EQ(status["body"]["number"], ans["body"]["number"]);
  EXPECT_EQ(status["body"]["state"], "pending_payment");
  EXPECT_EQ(dirty_, std::vector<std::string>{biz});  // stock of a tracked product changed
  EXPECT_EQ(metrics_.value(metric::orders_accepted), 1);
  EXPECT_EQ(metrics_.value(metric::order_latency), 1);  // one observation
}

TEST_F(ingress_test, three_identical_submits_give_three_identical_bodies_and_one_order) {
  const auto msg = envelope("order.submit", order_body(protocol::new_uuid()));
  for (int i = 0; i < 3; ++i) in_->handle("kh/v1/d/kiosk-1/up/order.submit", msg);
  std::vector<std::string> bodies;
  for (const auto& s : out_) {
    if (s.topic == "kh/v1/d/kiosk-1/down/order.accepted") bodies.push_back(s.json()["body"].dump());
  }
  ASSERT_EQ(bodies.size(), 3u);
  EXPECT_EQ(bodies[0], bodies[1]);
  EXPECT_EQ(bodies[1], bodies[2]);
  EXPECT_EQ(store_->orders().count(biz), 1);
  EXPECT_EQ(metrics_.value(metric::orders_accepted), 1);
  EXPECT_EQ(metrics_.value(metric::orders_duplicate), 2);
  only(std::string("kh/v1/b/") + biz + "/orders");  // announced once
}

TEST_F(ingress_test, a_rejection_carries_its_code_and_is_counted_by_code) {
  submit("kiosk-1", order_body(protocol::new_uuid(), "cake", 2));
  const auto r = only("kh/v1/d/kiosk-1/down/order.rejected").json();
  EXPECT_EQ(r["body"]["code"], "out_of_stock");
  EXPECT_EQ(metrics_.value(metric::orders_rejected, {{"code", "out_of_stock"}}), 1);
  EXPECT_TRUE(dirty_.empty());
}

TEST_F(ingress_test, bad_input_gets_an_error_with_its_code_and_changes_nothing) {
  in_->handle("kh/v1/d/kiosk-1/up/order.submit", "not json");
  EXPECT_EQ(error_code("kiosk-1"), "malformed");
  out_.clear();
  in_->handle("kh/v1/d/kiosk-1/up/order.submit", std::string(70 * 1024, ' '));
  EXPECT_EQ(error_code("kiosk-1"), "too_large");
  out_.clear();
  auto v2 = nlohmann::json::parse(envelope("order.submit", order_body(protocol::new_uuid())));
  v2["v"] = 2;
  in_->handle("kh/v1/d/kiosk-1/up/order.submit", v2.dump());
  EXPECT_EQ(error_code("kiosk-1"), "unsupported_version");
  out_.clear();
  in_->handle("kh/v1/d/kiosk-1/up/hello", envelope("order.submit", order_body(protocol::new_uuid())));
  EXPECT_EQ(error_code("kiosk-1"), "malformed");  // envelope type ≠ topic type
  out_.clear();
  in_->handle("kh/v1/d/kiosk-1/up/order.accepted", envelope("order.accepted", nlohmann::json::object()));
  EXPECT_EQ(error_code("kiosk-1"), "unknown_type");
  out_.clear();
  in_->handle("kh/v1/d/kiosk-1/up/teleport", envelope("teleport", nlohmann::json::object()));
  EXPECT_EQ(error_code("kiosk-1"), "unknown_type");
  out_.clear();
  auto no_id = order_body("not-a-uuid");
  submit("kiosk-1", no_id);
  EXPECT_EQ(error_code("kiosk-1"), "malformed");
  EXPECT_EQ(store_->orders().count(biz), 0);
  EXPECT_EQ(test::stock_of(*store_, "bun"), 5);
  EXPECT_TRUE(dirty_.empty());
}

TEST_F(ingress_test, an_invalid_order_with_a_readable_id_is_rejected_for_that_order) {
  const auto id = protocol::new_uuid();
  submit("kiosk-1", order_body(id, "bun", 0));
  const auto r = only("kh/v1/d/kiosk-1/down/order.rejected").json();
  EXPECT_EQ(r["body"]["code"], "invalid_quantity");
  EXPECT_EQ(r["body"]["order_id"], id);
  // Not stored: the same id with a valid body is a fresh order.
  out_.clear();
  submit("kiosk-1", order_body(id, "bun", 1));
  only("kh/v1/d/kiosk-1/down/order.accepted");
}

// A device id nobody registered: the hub can check that the topic's device exists, not who
// published there (that is the broker's ACL, see docs/protocol.md).
TEST_F(ingress_test, an_unknown_device_id_in_the_topic_is_forbidden) {
  submit("kiosk-x", order_body(protocol::new_uuid()));
  EXPECT_EQ(only("kh/v1/d/kiosk-x/down/order.rejected").json()["body"]["code"], "forbidden");
  EXPECT_EQ(store_->orders().count(biz), 0);
}

TEST_F(ingress_test, presence_and_hello_update_the_device_and_the_gauge) {
  in_->handle("kh/v1/d/kiosk-1/presence", "online");
  in_->handle("kh/v1/d/board-1/presence", "online");
  EXPECT_EQ(metrics_.value(metric::devices_connected), 2);
  in_->handle("kh/v1/d/board-1/presence", "offline");
  EXPECT_EQ(metrics_.value(metric::devices_connected), 1);
  in_->handle("kh/v1/d/ghost/presence", "online");  // unknown: ignored
  in_->handle("kh/v1/d/kiosk-1/presence", "maybe");  // not a presence word: ignored
  EXPECT_EQ(metrics_.value(metric::devices_connected), 1);
  EXPECT_TRUE(out_.empty());

  in_->handle("kh/v1/d/kiosk-2/up/hello",
              envelope("hello", {{"firmware", "kiosk 0.1.0"}, {"mode", "shop"}, {"catalog_version", 3}}));
  const auto d = store_->devices().find("kiosk-2");
  ASSERT_TRUE(d.has_value());
  EXPECT_TRUE(d->online);
  EXPECT_EQ(d->firmware, "kiosk 0.1.0");
  EXPECT_EQ(d->last_seen_ms, to_ms(clock_.now));
  EXPECT_EQ(metrics_.value(metric::devices_connected), 2);

  in_->handle("kh/v1/d/ghost/up/hello", envelope("hello", {{"firmware", "x"}, {"mode", "shop"}}));
  EXPECT_EQ(error_code("ghost"), "forbidden");
}

TEST_F(ingress_test, messages_on_foreign_topics_are_ignored) {
  in_->handle("something/else", "x");
  in_->handle("kh/v1/b/b-test/orders", "x");
  EXPECT_TRUE(out_.empty());
  EXPECT_EQ(metrics_.value(metric::messages_in), 2);
}

TEST(log_limiter, logs_the_first_and_counts_the_rest_per_window) {
  log_limiter l(std::chrono::seconds(60));
  const auto t0 = std::chrono::steady_clock::time_point{} + std::chrono::hours(1);
  EXPECT_EQ(l.admit("a", t0), 0u);
  EXPECT_FALSE(l.admit("a", t0 + std::chrono::seconds(1)).has_value());
  EXPECT_FALSE(l.admit("a", t0 + std::chrono::seconds(2)).has_value());
  EXPECT_EQ(l.admit("b", t0 + std::chrono::seconds(2)), 0u);
  EXPECT_EQ(l.admit("a", t0 + std::chrono::seconds(61)), 2u);
}

// 10,000 made-up device ids used to give 10,000 warnings (the table was cleared at 4,096 keys).
TEST(log_limiter, limits_globally_however_many_keys_there_are) {
  log_limiter l(std::chrono::seconds(60), 100, 4096);
  const auto t0 = std::chrono::steady_clock::time_point{} + std::chrono::hours(1);
  int admitted = 0;
  for (int i = 0; i < 10'000; ++i) admitted += l.admit("ghost-" + std::to_string(i), t0).has_value() ? 1 : 0;
  EXPECT_EQ(admitted, 100);
  EXPECT_EQ(l.suppressed_total(), 9'900u);
  // The next window admits again and reports what was held back.
  const auto n = l.admit("ghost-1", t0 + std::chrono::seconds(61));
  ASSERT_TRUE(n.has_value());
  EXPECT_GE(*n, 9'800u);
}

TEST(device_rate_limiter, allows_a_burst_then_the_sustained_rate_per_device) {
  device_rate_limiter r(2.0, 5.0);
  const auto t0 = std::chrono::steady_clock::time_point{} + std::chrono::hours(1);
  std::chrono::milliseconds wait{0};
  for (int i = 0; i < 5; ++i) EXPECT_TRUE(r.admit("k", t0, wait)) << i;
  EXPECT_FALSE(r.admit("k", t0, wait));
  EXPECT_EQ(wait.count(), 501);
  EXPECT_TRUE(r.admit("other", t0, wait)) << "buckets are per device";
  EXPECT_TRUE(r.admit("k", t0 + std::chrono::milliseconds(500), wait));
  EXPECT_FALSE(r.admit("k", t0 + std::chrono::milliseconds(600), wait));
}

TEST_F(ingress_test, placements_past_the_device_rate_are_answered_rate_limited_and_not_stored) {
  in_ = std::make_unique<ingress>(
      *store_, *orders_, metrics_,
      [this](const std::string& t, std::string p, bool r) {
        out_.push_back({t, std::move(p), r});
        return true;
      },
      [](const std::string&) {}, ingress_options{.order_rate_per_second = 0.001, .order_burst = 3});
  std::vector<std::string> ids;
  for (int i = 0; i < 5; ++i) {
    ids.push_back(protocol::new_uuid());
    submit("kiosk-1", order_body(ids.back(), "coffee"));
  }
  int accepted = 0, limited = 0;
  for (const auto& m : out_) {
    if (m.topic == "kh/v1/d/kiosk-1/down/order.accepted") ++accepted;
    if (m.topic == "kh/v1/d/kiosk-1/down/order.rejected") {
      const auto b = m.json()["body"];
      EXPECT_EQ(b["code"], "rate_limited");
      EXPECT_GT(b["details"]["retry_after_ms"].get<int>(), 0);
      ++limited;
    }
  }
  EXPECT_EQ(accepted, 3);
  EXPECT_EQ(limited, 2);
  EXPECT_EQ(store_->orders().count(biz), 3);
  EXPECT_FALSE(store_->answers().find(ids[4]).has_value()) << "retryable: nothing stored";
  // Another device is not held back.
  out_.clear();
  submit("kiosk-2", order_body(protocol::new_uuid(), "coffee"));
  only("kh/v1/d/kiosk-2/down/order.accepted");
}

TEST_F(ingress_test, retained_messages_on_up_topics_are_ignored_and_counted) {
  const auto id = protocol::new_uuid();
  in_->handle("kh/v1/d/kiosk-1/up/order.submit", envelope("order.submit", order_body(id)), std::chrono::steady_clock::now(),
              /*retained=*/true);
  EXPECT_TRUE(out_.empty());
  EXPECT_EQ(store_->orders().count(biz), 0);
  EXPECT_EQ(metrics_.value(metric::retained_ignored), 1);
  // Presence is retained by design and still counts.
  in_->handle("kh/v1/d/kiosk-1/presence", "online", std::chrono::steady_clock::now(), true);
  EXPECT_EQ(metrics_.value(metric::devices_connected), 1);
}

TEST_F(ingress_test, hello_is_answered_with_the_business_catalog_and_the_device_config) {
  in_->handle("kh/v1/d/kiosk-2/up/hello", envelope("hello", {{"firmware", "kiosk 0.1.0"}, {"mode", "shop"}}));
  const auto cat = only("kh/v1/d/kiosk-2/down/catalog");
  auto env = protocol::decode_envelope(cat.payload);
  ASSERT_TRUE(env.ok());
  auto c = protocol::decode_catalog(env->body);
  ASSERT_TRUE(c.ok()) << c.error().message;
  EXPECT_EQ(c->business_id, biz);
  EXPECT_FALSE(c->products.empty());
  EXPECT_FALSE(cat.retained);
  const auto cfg = protocol::decode_envelope(only("kh/v1/d/kiosk-2/down/device.config").payload);
  ASSERT_TRUE(cfg.ok());
  auto dc = protocol::decode_device_config(cfg->body);
  ASSERT_TRUE(dc.ok()) << dc.error().message;
  EXPECT_EQ(dc->device_id, "kiosk-2");
  EXPECT_EQ(dc->business_id, biz);
  EXPECT_TRUE(dirty_.empty()) << "a hello changes no catalog version";
}

TEST_F(ingress_test, the_same_order_id_in_upper_case_is_the_same_order) {
  const auto id = protocol::new_uuid();
  std::string upper = id;
  for (auto& ch : upper) ch = static_cast<char>(std::toupper(static_cast<unsigned char>(ch)));
  submit("kiosk-1", order_body(id, "bun", 1));
  submit("kiosk-1", order_body(upper, "bun", 1));
  EXPECT_EQ(store_->orders().count(biz), 1);
  EXPECT_EQ(test::stock_of(*store_, "bun"), 4) << "stock taken once";
  std::vector<std::string> bodies;
  for (const auto& m : out_) {
    if (m.topic == "kh/v1/d/kiosk-1/down/order.accepted") bodies.push_back(m.json()["body"].dump());
  }
  ASSERT_EQ(bodies.size(), 2u);
  EXPECT_EQ(bodies[0], bodies[1]) << "the repeat gets the original answer";
}

TEST(ingress_busy, a_refused_order_gets_a_retryable_busy_answer_for_its_order_id) {
  const auto id = protocol::new_uuid();
  const std::string payload = nlohmann::json{{"v", 1}, {"type", "order.submit"}, {"id", protocol::new_uuid()},
                                             {"ts", "2026-11-22T10:00:00Z"}, {"body", {{"order_id", id}}}}
                                  .dump();
  auto a = ingress::busy_answer("kh/v1/d/kiosk-1/up/order.submit", payload, payload.size());
  ASSERT_TRUE(a);
  EXPECT_EQ(a->first, "kh/v1/d/kiosk-1/down/order.rejected");
  const auto j = nlohmann::json::parse(a->second);
  EXPECT_EQ(j["body"]["code"], "busy");
  EXPECT_EQ(j["body"]["order_id"], id);
  auto e = ingress::busy_answer("kh/v1/d/kiosk-1/up/hello", "{}", 2);
  ASSERT_TRUE(e);
  EXPECT_EQ(e->first, "kh/v1/d/kiosk-1/down/error");
  EXPECT_FALSE(ingress::busy_answer("not/a/device/topic", "{}", 2));
}

}  // namespace
}  // namespace kh::hub
