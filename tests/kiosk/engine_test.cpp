#include "kh/kiosk/link/engine.hpp"

#include <gtest/gtest.h>

#include "kh/protocol/codec.hpp"
#include "kh/protocol/ids.hpp"
#include "kh/protocol/topics.hpp"
#include "kh/provisioning/signing.hpp"
#include "test_support.hpp"

namespace k = kh::kiosk;
namespace p = kh::protocol;
using kh::kiosk::test::make_catalog;
using kh::kiosk::test::temp_dir;
using std::chrono::milliseconds;

namespace {

struct sent {
  std::string topic;
  std::string payload;
};

// An engine on a real SQLite file with a fake clock and a recording publisher.
class engine_fixture : public ::testing::Test {
 protected:
  void SetUp() override { reopen(); }

  void reopen() {
    eng.reset();
    db.reset();
    auto s = k::store::open(dir.path() / "kiosk.db");
    ASSERT_TRUE(s) << s.error().message;
    db = std::move(s).value();
    eng = std::make_unique<k::engine>(
        *db, cfg,
        [this](const std::string& t, const std::string& pl) {
          if (!accept_publish) return false;
          out.push_back({t, pl});
          return true;
        },
        [this](const k::link_event& ev) { events.push_back(ev); }, [this] { return now; },
        [] { return 0.0; });
  }

  k::outcome<std::string> submit_one(
      const std::function<void(const std::string&)>& on_queued = {}) {
    p::order_submit o;
    o.order_id = p::new_uuid();
    o.type = p::order_type::takeaway;
    o.payment = p::payment_method::cash;
    o.lines.push_back(p::order_line{"espresso", 2, ""});
    return eng->submit(o, on_queued);
  }

  std::vector<sent> submits() const {
    std::vector<sent> r;
    for (const auto& s : out) {
      if (s.topic == p::topics::device_up("kiosk-1", "order.submit")) r.push_back(s);
    }
    return r;
  }

  static std::string order_id_of(const std::string& payload) {
    auto e = p::decode_envelope(payload);
    return e ? e->body.value("order_id", "") : "";
  }

  void deliver_down(const std::string& type, const nlohmann::json& body) {
    eng->on_message(p::topics::device_down("kiosk-1", type), p::make_message(type, body));
  }

  void accept(const std::string& id, const std::string& number = "A-001") {
    p::order_accepted a;
    a.order_id = id;
    a.number = number;
    a.subtotal = a.total = p::money{500, "EUR"};
    a.tax = p::money{45, "EUR"};
    a.discount = p::money{0, "EUR"};
    a.eta = "2026-11-22T10:15:00Z";
    deliver_down(p::types::order_accepted, p::to_json(a));
  }

  void reject(const std::string& id, p::code c, const char* type = p::types::order_rejected) {
    p::rejection r;
    r.order_id = id;
    r.code = c;
    r.message = "nope";
    deliver_down(type, p::to_json(r));
  }

  template <class E>
  std::vector<E> events_of() const {
    std::vector<E> r;
    for (const auto& e : events) {
      if (auto* x = std::get_if<E>(&e)) r.push_back(*x);
    }
    return r;
  }

  temp_dir dir;
  k::engine_config cfg = [] {
    k::engine_config c;
    c.device_id = "kiosk-1";
    c.business_id = "cafe";
    return c;
  }();
  k::engine::clock::time_point now =
      k::engine::clock::time_point{} + std::chrono::hours{24 * 365 * 56};
  bool accept_publish = true;
  std::vector<sent> out;
  std::vector<k::link_event> events;
  std::unique_ptr<k::store> db;
  std::unique_ptr<k::engine> eng;
};

}  // namespace

TEST_F(engine_fixture, order_is_committed_to_the_outbox_before_it_is_published) {
  eng->on_connected();
  std::vector<std::string> seen;  // what the outbox held at each step
  eng = std::make_unique<k::engine>(
      *db, cfg,
      [&](const std::string& t, const std::string& pl) {
        if (t.ends_with("/order.submit")) {
          auto e = db->find(order_id_of(pl));
          seen.push_back(e ? "publish:committed" : "publish:missing");
        }
        return true;
      },
      nullptr, [this] { return now; }, [] { return 0.0; });
  eng->on_connected();
  auto id = submit_one([&](const std::string& oid) {
    seen.push_back(db->find(oid) ? "queued:committed" : "queued:missing");
  });
  ASSERT_TRUE(id) << id.error().message;
  EXPECT_EQ(seen, (std::vector<std::string>{"queued:committed", "publish:committed"}));
}

TEST_F(engine_fixture, offline_orders_wait_and_go_out_right_after_connect_with_hello) {
  auto id = submit_one();
  ASSERT_TRUE(id);
  EXPECT_TRUE(out.empty());
  EXPECT_EQ(eng->tick(), std::nullopt);  // nothing to time while offline
  eng->on_connected();
  ASSERT_GE(out.size(), 2u);
  EXPECT_EQ(out[0].topic, "kh/v1/d/kiosk-1/up/hello");
  auto hello = p::decode_envelope(out[0].payload);
  ASSERT_TRUE(hello);
  auto h = p::decode_hello(hello->body);
  ASSERT_TRUE(h);
  EXPECT_EQ(h->mode, p::device_mode::shop);
  EXPECT_FALSE(h->catalog_version);
  EXPECT_EQ(h->firmware, k::default_firmware());
  ASSERT_EQ(submits().size(), 1u);
  EXPECT_EQ(order_id_of(submits()[0].payload), *id);
  auto body = p::decode_envelope(submits()[0].payload);
  ASSERT_TRUE(body);
  EXPECT_EQ(body->type, "order.submit");
  EXPECT_TRUE(p::decode_order_submit(body->body));
}

TEST_F(engine_fixture, unanswered_order_is_resent_on_the_backoff_schedule) {
  eng->on_connected();
  ASSERT_TRUE(submit_one());
  const auto t0 = now;
  ASSERT_EQ(submits().size(), 1u);
  // Sends at 0, +1 s, +3 s, +7 s, +15 s, +31 s, +61 s, +91 s (1, 2, 4, 8, 16, 30, 30 s apart).
  const long offsets_ms[] = {1000, 3000, 7000, 15000, 31000, 61000, 91000};
  std::size_t expected_sends = 1;
  for (long off : offsets_ms) {
    now = t0 + milliseconds{off - 1};
    auto next = eng->tick();
    EXPECT_EQ(submits().size(), expected_sends) << "too early at " << off - 1 << " ms";
    ASSERT_TRUE(next);
    EXPECT_EQ(*next, t0 + milliseconds{off}) << off;
    now = t0 + milliseconds{off};
    eng->tick();
    ++expected_sends;
    EXPECT_EQ(submits().size(), expected_sends) << "not resent at " << off << " ms";
  }
  // Every re-send is byte for byte the same message.
  for (const auto& s : submits()) EXPECT_EQ(s.payload, submits()[0].payload);
  EXPECT_EQ(db->pending().at(0).attempts, 8);
}

TEST_F(engine_fixture, reconnect_resends_at_once_whatever_the_schedule) {
  eng->on_connected();
  ASSERT_TRUE(submit_one());
  ASSERT_TRUE(submit_one());
  EXPECT_EQ(submits().size(), 2u);
  eng->on_disconnected();
  now += milliseconds{100};
  eng->on_connected();
  EXPECT_EQ(submits().size(), 4u);
  auto c = events_of<k::events::connection>();
  ASSERT_EQ(c.size(), 3u);
  EXPECT_TRUE(c[0].connected);
  EXPECT_FALSE(c[1].connected);
  EXPECT_TRUE(c[2].connected);
}

TEST_F(engine_fixture, refused_publish_is_retried_soon_without_counting_a_send) {
  eng->on_connected();
  accept_publish = false;
  ASSERT_TRUE(submit_one());
  EXPECT_TRUE(submits().empty());
  auto next = eng->tick();
  ASSERT_TRUE(next);
  EXPECT_EQ(*next, now + milliseconds{100});
  accept_publish = true;
  now += milliseconds{100};
  eng->tick();
  EXPECT_EQ(submits().size(), 1u);
  EXPECT_EQ(db->pending().at(0).attempts, 1);
}

TEST_F(engine_fixture, answers_are_matched_by_order_id) {
  eng->on_connected();
  auto a = submit_one();
  auto b = submit_one();
  ASSERT_TRUE(a && b);
  accept(*b, "A-002");
  auto answers = events_of<k::events::order_answer>();
  ASSERT_EQ(answers.size(), 1u);
  EXPECT_EQ(answers[0].order_id, *b);
  EXPECT_EQ(answers[0].outcome, k::events::order_answer::kind::accepted);
  ASSERT_TRUE(answers[0].accepted);
  EXPECT_EQ(answers[0].accepted->number, "A-002");
  EXPECT_EQ(answers[0].accepted->total.amount, 500);
  EXPECT_EQ(eng->pending(), 1u);
  EXPECT_EQ(db->find(*a)->status, k::outbox_status::pending);
  auto done = db->find(*b);
  EXPECT_EQ(done->status, k::outbox_status::done);
  EXPECT_EQ(done->number, "A-002");
  EXPECT_EQ(done->state, "pending_payment");
  EXPECT_EQ(done->answer_type, "order.accepted");
  EXPECT_TRUE(p::decode_order_accepted(nlohmann::json::parse(done->answer)));
  // Only the unanswered one keeps being re-sent.
  out.clear();
  now += std::chrono::minutes{5};
  eng->tick();
  ASSERT_EQ(submits().size(), 1u);
  EXPECT_EQ(order_id_of(submits()[0].payload), *a);
}

TEST_F(engine_fixture, a_duplicate_answer_is_handled_once) {
  eng->on_connected();
  auto a = submit_one();
  ASSERT_TRUE(a);
  accept(*a);
  accept(*a);
  reject(*a, p::code::out_of_stock);
  EXPECT_EQ(events_of<k::events::order_answer>().size(), 1u);
  EXPECT_EQ(db->find(*a)->answer_type, "order.accepted");
  // Also after a restart, when the entry is no longer in memory.
  reopen();
  accept(*a);
  EXPECT_EQ(events_of<k::events::order_answer>().size(), 1u);
}

TEST_F(engine_fixture, answers_for_orders_that_are_not_ours_are_ignored) {
  eng->on_connected();
  ASSERT_TRUE(submit_one());
  accept(p::new_uuid());
  EXPECT_TRUE(events_of<k::events::order_answer>().empty());
  EXPECT_EQ(eng->pending(), 1u);
}

TEST_F(engine_fixture, rejection_is_final_and_recorded) {
  eng->on_connected();
  auto a = submit_one();
  ASSERT_TRUE(a);
  reject(*a, p::code::out_of_stock);
  auto ans = events_of<k::events::order_answer>();
  ASSERT_EQ(ans.size(), 1u);
  EXPECT_EQ(ans[0].outcome, k::events::order_answer::kind::rejected);
  EXPECT_EQ(ans[0].rejection->code, p::code::out_of_stock);
  auto e = db->find(*a);
  EXPECT_EQ(e->status, k::outbox_status::done);
  EXPECT_EQ(e->state, "rejected");
  EXPECT_EQ(eng->pending(), 0u);
}

TEST_F(engine_fixture, internal_error_keeps_retrying_but_malformed_fails_the_entry) {
  eng->on_connected();
  auto a = submit_one();
  auto b = submit_one();
  ASSERT_TRUE(a && b);
  reject(*a, p::code::internal, p::types::error);
  reject(*b, p::code::malformed, p::types::error);
  auto ans = events_of<k::events::order_answer>();
  ASSERT_EQ(ans.size(), 1u);
  EXPECT_EQ(ans[0].order_id, *b);
  EXPECT_EQ(ans[0].outcome, k::events::order_answer::kind::failed);
  EXPECT_EQ(db->find(*b)->status, k::outbox_status::failed);
  EXPECT_EQ(db->find(*b)->state, "failed");
  EXPECT_EQ(db->find(*a)->status, k::outbox_status::pending);
  out.clear();
  now += std::chrono::minutes{1};
  eng->tick();
  ASSERT_EQ(submits().size(), 1u);
  EXPECT_EQ(order_id_of(submits()[0].payload), *a);
}

// The hub answers a database failure (disk full, I/O error) as order.rejected `internal`: the
// order must stay in the outbox, whichever answer type carries a retryable code.
TEST_F(engine_fixture, retryable_codes_keep_the_order_whatever_the_answer_type) {
  eng->on_connected();
  std::vector<std::string> ids;
  for (auto c : {p::code::internal, p::code::busy, p::code::rate_limited, p::code::hold_limit}) {
    for (const char* type : {p::types::order_rejected, p::types::error}) {
      auto id = submit_one();
      ASSERT_TRUE(id);
      reject(*id, c, type);
      ids.push_back(*id);
    }
  }
  EXPECT_TRUE(events_of<k::events::order_answer>().empty()) << "no retryable answer settles an order";
  EXPECT_EQ(eng->pending(), ids.size());
  for (const auto& id : ids) EXPECT_EQ(db->find(id)->status, k::outbox_status::pending) << id;
  out.clear();
  now += std::chrono::minutes{1};
  eng->tick();
  EXPECT_EQ(submits().size(), ids.size()) << "every one is re-sent";
  // A final code settles it, also as order.rejected.
  reject(ids[0], p::code::forbidden);
  EXPECT_EQ(db->find(ids[0])->status, k::outbox_status::done);
  EXPECT_EQ(eng->pending(), ids.size() - 1);
}

TEST_F(engine_fixture, pending_orders_survive_a_restart_and_are_resent_unchanged) {
  eng->on_connected();
  auto a = submit_one();
  auto b = submit_one();
  ASSERT_TRUE(a && b);
  accept(*a);
  const auto original = submits().at(1).payload;
  reopen();  // the kiosk process restarts
  EXPECT_EQ(eng->pending(), 1u);
  out.clear();
  eng->on_connected();
  ASSERT_EQ(submits().size(), 1u);
  EXPECT_EQ(submits()[0].payload, original);
  accept(*b);
  EXPECT_EQ(eng->pending(), 0u);
}

TEST_F(engine_fixture, full_outbox_refuses_orders_and_sends_nothing) {
  cfg.max_pending = 3;
  reopen();
  eng->on_connected();
  for (int i = 0; i < 3; ++i) ASSERT_TRUE(submit_one());
  out.clear();
  bool queued = false;
  auto r = submit_one([&](const std::string&) { queued = true; });
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().code, k::errc::outbox_full);
  EXPECT_FALSE(queued);
  EXPECT_TRUE(submits().empty());
  EXPECT_EQ(eng->pending(), 3u);
}

TEST_F(engine_fixture, catalog_keeps_the_newest_version_and_survives_restart) {
  const auto topic = p::topics::business_catalog("cafe");
  eng->on_message(topic, p::make_message("catalog", p::to_json(make_catalog(2))));
  eng->on_message(topic, p::make_message("catalog", p::to_json(make_catalog(1))));
  eng->on_message(topic, p::make_message("catalog", p::to_json(make_catalog(2))));
  auto cats = events_of<k::events::catalog>();
  ASSERT_EQ(cats.size(), 1u);
  EXPECT_EQ(cats[0].version, 2);
  ASSERT_TRUE(eng->catalog());
  EXPECT_EQ(eng->catalog()->version(), 2);
  ASSERT_NE(eng->catalog()->find_sku("LAT"), nullptr);

  reopen();
  events.clear();
  ASSERT_TRUE(eng->catalog());  // browsing works offline from the cache
  EXPECT_EQ(eng->catalog()->version(), 2);
  EXPECT_EQ(eng->status().catalog_version, 2);
  eng->on_connected();
  auto h = p::decode_hello(p::decode_envelope(out.at(0).payload)->body);
  ASSERT_TRUE(h);
  EXPECT_EQ(h->catalog_version, 2);
  // The retained copy of the same version confirms the cache once per run.
  eng->on_message(topic, p::make_message("catalog", p::to_json(make_catalog(2))));
  eng->on_message(topic, p::make_message("catalog", p::to_json(make_catalog(2))));
  EXPECT_EQ(events_of<k::events::catalog>().size(), 1u);
  eng->on_message(topic, p::make_message("catalog", p::to_json(make_catalog(3))));
  EXPECT_EQ(events_of<k::events::catalog>().size(), 2u);
  EXPECT_EQ(eng->catalog()->version(), 3);
}

TEST_F(engine_fixture, catalog_of_another_business_is_ignored) {
  eng->on_message(p::topics::device_down("kiosk-1", "catalog"),
                  p::make_message("catalog", p::to_json(make_catalog(9, "bakery"))));
  eng->on_message(p::topics::business_catalog("bakery"),
                  p::make_message("catalog", p::to_json(make_catalog(9, "bakery"))));
  EXPECT_FALSE(eng->catalog());
  EXPECT_TRUE(events.empty());
}

TEST_F(engine_fixture, business_is_learned_from_a_catalog_on_the_own_down_topic) {
  cfg.business_id.clear();
  eng.reset();
  db.reset();
  std::filesystem::remove_all(dir.path());
  std::filesystem::create_directories(dir.path());
  reopen();
  EXPECT_EQ(eng->subscriptions(), (std::vector<std::string>{"kh/v1/d/kiosk-1/down/+"}));
  EXPECT_EQ(eng->status().business_id, "");
  eng->on_message(p::topics::device_down("kiosk-1", "catalog"),
                  p::make_message("catalog", p::to_json(make_catalog(4))));
  EXPECT_EQ(eng->business_id(), "cafe");
  ASSERT_EQ(events_of<k::events::business>().size(), 1u);
  EXPECT_EQ(events_of<k::events::catalog>().size(), 1u);
  EXPECT_EQ(eng->subscriptions(),
            (std::vector<std::string>{"kh/v1/d/kiosk-1/down/+", "kh/v1/b/cafe/catalog",
                                      "kh/v1/b/cafe/orders"}));
  reopen();  // remembered without --business
  EXPECT_EQ(eng->business_id(), "cafe");
  EXPECT_EQ(eng->catalog()->version(), 4);
}

TEST_F(engine_fixture, order_status_is_tracked_for_own_orders_only) {
  eng->on_connected();
  auto a = submit_one();
  ASSERT_TRUE(a);
  accept(*a, "A-003");
  p::order_status s;
  s.order_id = *a;
  s.number = "A-003";
  s.state = p::order_state::ready;
  eng->on_message(p::topics::business_orders("cafe"),
                  p::make_message("order.status", p::to_json(s)));
  p::order_status other = s;
  other.order_id = p::new_uuid();
  eng->on_message(p::topics::business_orders("cafe"),
                  p::make_message("order.status", p::to_json(other)));
  auto st = events_of<k::events::order_status>();
  ASSERT_EQ(st.size(), 2u);  // boards want every order of the business; only ours is tracked
  EXPECT_EQ(st[0].status.order_id, *a);
  EXPECT_TRUE(st[0].own);
  EXPECT_EQ(st[1].status.order_id, other.order_id);
  EXPECT_FALSE(st[1].own);
  auto status = eng->status();
  ASSERT_EQ(status.orders.size(), 1u);
  EXPECT_EQ(status.orders[0].state, "ready");
  EXPECT_EQ(status.orders[0].number, "A-003");
}

TEST_F(engine_fixture, garbage_and_foreign_messages_change_nothing) {
  eng->on_connected();
  auto a = submit_one();
  ASSERT_TRUE(a);
  events.clear();
  const std::string down = "kh/v1/d/kiosk-1/down/order.accepted";
  eng->on_message(down, "not json");
  eng->on_message(down, "");
  eng->on_message(down, std::string(70 * 1024, '{'));
  eng->on_message(down, R"({"v":2,"type":"order.accepted","id":"x","ts":"x","body":{}})");
  eng->on_message(
      down, p::make_message("order.accepted", nlohmann::json{{"order_id", *a}}));  // missing fields
  eng->on_message(
      down, p::make_message("order.rejected", nlohmann::json::object()));  // wrong type for topic
  eng->on_message("kh/v1/d/kiosk-2/down/order.accepted",
                  p::make_message("order.accepted", nlohmann::json::object()));
  eng->on_message("some/other/topic", "x");
  eng->on_message("kh/v1/b/other/catalog",
                  p::make_message("catalog", p::to_json(make_catalog(7, "other"))));
  EXPECT_TRUE(events.empty());
  EXPECT_EQ(eng->pending(), 1u);
  EXPECT_FALSE(eng->catalog());
}

TEST_F(engine_fixture, invalid_ids_are_configuration_errors) {
  cfg.device_id = "Kiosk/1";
  EXPECT_THROW(k::engine(*db, cfg, nullptr, nullptr), std::invalid_argument);
  cfg.device_id = "kiosk-1";
  cfg.business_id = "#";
  EXPECT_THROW(k::engine(*db, cfg, nullptr, nullptr), std::invalid_argument);
}

TEST_F(engine_fixture, a_catalog_from_a_restarted_hub_triggers_an_immediate_resend) {
  eng->on_connected();
  eng->on_message(p::topics::business_catalog("cafe"),
                  p::make_message("catalog", p::to_json(make_catalog(2))));
  ASSERT_TRUE(submit_one());
  now += milliseconds{1000};
  eng->tick();
  now += milliseconds{2000};
  eng->tick();
  ASSERT_EQ(submits().size(), 3u);  // next regular re-send would be 4 s away
  now += milliseconds{10};
  eng->on_message(p::topics::business_catalog("cafe"),
                  p::make_message("catalog", p::to_json(make_catalog(2))));
  EXPECT_EQ(submits().size(), 4u);
  // A catalog of another business is no sign of our hub.
  eng->on_message(p::topics::business_catalog("bakery"),
                  p::make_message("catalog", p::to_json(make_catalog(2, "bakery"))));
  EXPECT_EQ(submits().size(), 4u);
}

// ---- fleet security: an enrolled kiosk takes hub-only messages only with the hub's signature ----

namespace {
namespace prov = kh::provisioning;

class signed_engine : public engine_fixture {
 protected:
  void SetUp() override {
    cfg.verify = [this](std::string_view payload) -> std::string {
      const auto r = prov::verify_payload(payload, hub.public_half());
      return r == prov::verify_error::ok ? std::string() : prov::to_string(r);
    };
    cfg.on_credentials = [this](const nlohmann::json& body) {
      stored.push_back(body);
      return store_ok;
    };
    engine_fixture::SetUp();
  }
  std::string signed_by(const prov::signing_key& k, const std::string& type, const nlohmann::json& body) {
    return k.sign_payload(p::make_message(type, body));
  }
  void deliver_catalog(const std::string& payload) {
    eng->on_message(p::topics::business_catalog("cafe"), payload);
  }
  prov::signing_key hub = prov::signing_key::generate();
  prov::signing_key other = prov::signing_key::generate();
  std::vector<nlohmann::json> stored;
  bool store_ok = true;
};
}  // namespace

TEST_F(signed_engine, only_catalogs_signed_by_the_hub_are_taken_whatever_their_version) {
  deliver_catalog(signed_by(hub, p::types::catalog, p::to_json(make_catalog(3))));
  ASSERT_TRUE(eng->catalog());
  EXPECT_EQ(eng->catalog()->version(), 3);
  deliver_catalog(p::make_message(p::types::catalog, p::to_json(make_catalog(999999))));  // unsigned
  deliver_catalog(signed_by(other, p::types::catalog, p::to_json(make_catalog(999998))));  // another key
  auto tampered = nlohmann::json::parse(signed_by(hub, p::types::catalog, p::to_json(make_catalog(4))));
  tampered["body"]["version"] = 999997;
  deliver_catalog(tampered.dump());
  EXPECT_EQ(eng->catalog()->version(), 3);
  EXPECT_EQ(eng->status().rejected_unsigned, 3u);
  // Also on the device's own down/ topic.
  deliver_down(p::types::catalog, p::to_json(make_catalog(999999)));
  EXPECT_EQ(eng->catalog()->version(), 3);
  deliver_catalog(signed_by(hub, p::types::catalog, p::to_json(make_catalog(5))));
  EXPECT_EQ(eng->catalog()->version(), 5);
}

TEST_F(signed_engine, credentials_are_stored_before_they_are_acknowledged_and_forged_ones_ignored) {
  eng->on_connected();
  out.clear();
  const nlohmann::json body{{"username", "kiosk-1"}, {"password", "new-password-0123456789abcdefgh"}, {"generation", 2}};
  eng->on_message(p::topics::device_down("kiosk-1", "credentials"),
                  signed_by(other, "credentials", body));  // not the hub's
  EXPECT_TRUE(stored.empty());
  store_ok = false;  // storing fails: no acknowledgement (the hub keeps the old password)
  eng->on_message(p::topics::device_down("kiosk-1", "credentials"), signed_by(hub, "credentials", body));
  ASSERT_EQ(stored.size(), 1u);
  EXPECT_TRUE(out.empty());
  store_ok = true;
  eng->on_message(p::topics::device_down("kiosk-1", "credentials"), signed_by(hub, "credentials", body));
  ASSERT_EQ(out.size(), 1u);
  EXPECT_EQ(out[0].topic, p::topics::device_up("kiosk-1", "credentials.ack"));
  EXPECT_EQ(p::decode_envelope(out[0].payload)->body, (nlohmann::json{{"generation", 2}}));
}

TEST_F(engine_fixture, a_kiosk_without_identity_checks_nothing_and_ignores_credentials) {
  eng->on_message(p::topics::business_catalog("cafe"), p::make_message(p::types::catalog, p::to_json(make_catalog(7))));
  ASSERT_TRUE(eng->catalog());
  EXPECT_EQ(eng->catalog()->version(), 7);
  eng->on_connected();
  out.clear();
  deliver_down("credentials", {{"username", "kiosk-1"}, {"password", "x"}, {"generation", 2}});
  EXPECT_TRUE(out.empty());
}
