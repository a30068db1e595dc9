// The link against a real Mosquitto, with a tiny fake hub made of a plain kh::mqtt client.

#include "kh/kiosk/link/link.hpp"

#include <gtest/gtest.h>

#include <mutex>

#include "kh/mqtt/client.hpp"
#include "kh/protocol/codec.hpp"
#include "kh/protocol/topics.hpp"
#include "kh/test/support.hpp"
#include "test_support.hpp"

namespace k = kh::kiosk;
namespace p = kh::protocol;
using namespace std::chrono_literals;

namespace {

// Answers every order.submit with order.accepted (when `answering`), remembers presence payloads.
class fake_hub {
 public:
  explicit fake_hub(const std::string& url) {
    kh::mqtt::options o;
    o.uri = url;
    o.client_id = "fake-hub";
    o.clean_session = true;
    client_ = std::make_unique<kh::mqtt::client>(o);
    client_->subscribe_on_connect(
        {{std::string(p::topics::all_device_up), 1}, {std::string(p::topics::all_presence), 1}});
    client_->on_message([this](kh::mqtt::message m) { handle(std::move(m)); });
    if (!client_->start(true)) throw std::runtime_error("fake hub cannot connect");
  }

  void publish_catalog(std::int64_t version) {
    client_->publish_and_wait(
        p::topics::business_catalog("cafe"),
        p::make_message("catalog", p::to_json(kh::kiosk::test::make_catalog(version))), 1, true);
  }

  void publish_down_catalog(const std::string& device, std::int64_t version) {
    client_->publish_and_wait(
        p::topics::device_down(device, "catalog"),
        p::make_message("catalog", p::to_json(kh::kiosk::test::make_catalog(version))), 1, false);
  }

  std::atomic<bool> answering{true};

  std::string presence() {
    std::lock_guard lk(mu_);
    return presence_;
  }
  int submits() {
    std::lock_guard lk(mu_);
    return submits_;
  }
  int hellos() {
    std::lock_guard lk(mu_);
    return hellos_;
  }

 private:
  void handle(kh::mqtt::message m) {
    auto t = p::topics::parse(m.topic);
    if (!t) return;
    std::lock_guard lk(mu_);
    if (t->kind == p::topics::kind::presence) {
      presence_ = m.payload;
      return;
    }
    if (t->type == "hello") ++hellos_;
    if (t->type != "order.submit") return;
    ++submits_;
    if (!answering) return;
    auto env = p::decode_envelope(m.payload);
    auto s = p::decode_order_submit(env->body);
    p::order_accepted a;
    a.order_id = s->order_id;
    a.number = "A-" + std::to_string(100 + submits_);
    a.subtotal = a.total = p::money{500, "EUR"};
    a.tax = p::money{45, "EUR"};
    a.discount = p::money{0, "EUR"};
    a.eta = "2026-11-22T10:15:00Z";
    // Non-blocking publish: allowed on Paho's thread.
    client_->publish(p::topics::device_down(t->id, "order.accepted"),
                     p::make_message("order.accepted", p::to_json(a)));
  }

  std::mutex mu_;
  std::string presence_;
  int submits_ = 0;
  int hellos_ = 0;
  std::unique_ptr<kh::mqtt::client> client_;
};

class recorder {
 public:
  k::link::event_fn fn() {
    return [this](const k::link_event& ev) {
      std::lock_guard lk(mu_);
      events_.push_back(ev);
    };
  }
  template <class E>
  std::vector<E> of() {
    std::lock_guard lk(mu_);
    std::vector<E> r;
    for (const auto& e : events_) {
      if (auto* x = std::get_if<E>(&e)) r.push_back(*x);
    }
    return r;
  }

 private:
  std::mutex mu_;
  std::vector<k::link_event> events_;
};

k::link_options options(const std::filesystem::path& dir, const std::string& url) {
  k::link_options o;
  o.data_dir = dir;
  o.mqtt_uri = url;
  o.engine.device_id = "kiosk-1";
  o.engine.business_id = "cafe";
  return o;
}

k::cart one_espresso(const k::catalog_view& v) {
  k::cart c;
  EXPECT_TRUE(c.add_sku(v, "ESP", 1));
  return c;
}

}  // namespace

TEST(kiosk_link, orders_round_trip_through_a_real_broker_and_presence_follows_the_link) {
  kh::test::mosquitto broker;
  fake_hub hub(broker.url());
  hub.publish_catalog(3);
  kh::kiosk::test::temp_dir dir;
  recorder rec;
  auto opened = k::link::open(options(dir.path(), broker.url()), rec.fn());
  ASSERT_TRUE(opened) << opened.error().message;
  auto& lk = **opened;
  lk.start();
  ASSERT_TRUE(kh::test::eventually([&] { return !rec.of<k::events::catalog>().empty(); }))
      << broker.log();
  EXPECT_EQ(rec.of<k::events::catalog>().at(0).version, 3);
  ASSERT_TRUE(
      kh::test::eventually([&] { return hub.presence() == "online" && hub.hellos() >= 1; }));

  auto view = lk.catalog();
  ASSERT_TRUE(view);
  std::string queued;
  auto id = lk.submit(one_espresso(*view), p::order_type::takeaway, p::payment_method::cash,
                      [&](const std::string& oid) { queued = oid; });
  ASSERT_TRUE(id) << id.error().message;
  EXPECT_EQ(queued, *id);
  EXPECT_EQ(lk.wait_idle(10s), 0u);
  auto answers = rec.of<k::events::order_answer>();
  ASSERT_EQ(answers.size(), 1u);
  EXPECT_EQ(answers[0].order_id, *id);
  EXPECT_EQ(answers[0].accepted->number, "A-101");
  auto st = lk.status();
  EXPECT_TRUE(st.connected);
  EXPECT_EQ(st.catalog_version, 3);
  ASSERT_EQ(st.orders.size(), 1u);
  EXPECT_EQ(st.orders[0].number, "A-101");

  lk.stop();
  EXPECT_TRUE(kh::test::eventually([&] { return hub.presence() == "offline"; }));
  EXPECT_FALSE(lk.submit(one_espresso(*view), p::order_type::takeaway, p::payment_method::cash));
}

TEST(kiosk_link, an_unanswered_order_survives_a_kiosk_restart_and_is_answered_once) {
  kh::test::mosquitto broker;
  fake_hub hub(broker.url());
  hub.publish_catalog(1);
  kh::kiosk::test::temp_dir dir;
  std::string id;
  {
    recorder rec;
    auto lk = std::move(k::link::open(options(dir.path(), broker.url()), rec.fn())).value();
    hub.answering = false;  // the hub is "down": orders are received but never answered
    lk->start();
    ASSERT_TRUE(kh::test::eventually([&] { return lk->catalog() != nullptr; }));
    auto r = lk->submit(one_espresso(*lk->catalog()), p::order_type::eat_in,
                        p::payment_method::card_present);
    ASSERT_TRUE(r);
    id = *r;
    ASSERT_TRUE(kh::test::eventually([&] { return hub.submits() >= 1; }));
    EXPECT_EQ(lk->wait_idle(50ms), 1u);
  }  // destructor stops the link with the order still pending
  hub.answering = true;
  recorder rec;
  auto lk = std::move(k::link::open(options(dir.path(), broker.url()), rec.fn())).value();
  EXPECT_EQ(lk->status().outbox_pending, 1u);
  ASSERT_TRUE(lk->catalog());  // browsing works from the cache before any connection
  lk->start();
  EXPECT_EQ(lk->wait_idle(10s), 0u);
  auto answers = rec.of<k::events::order_answer>();
  ASSERT_EQ(answers.size(), 1u);
  EXPECT_EQ(answers[0].order_id, id);
}

TEST(kiosk_link, without_a_business_it_learns_one_from_its_down_topic_and_follows_its_topics) {
  kh::test::mosquitto broker;
  fake_hub hub(broker.url());
  hub.publish_catalog(5);  // retained on the business topic: not seen until the business is known
  kh::kiosk::test::temp_dir dir;
  recorder rec;
  auto opts = options(dir.path(), broker.url());
  opts.engine.business_id.clear();
  auto lk = std::move(k::link::open(opts, rec.fn())).value();
  lk->start();
  ASSERT_TRUE(kh::test::eventually([&] { return hub.hellos() >= 1; }));
  EXPECT_EQ(lk->status().business_id, "");
  hub.publish_down_catalog("kiosk-1", 4);
  ASSERT_TRUE(kh::test::eventually([&] { return !rec.of<k::events::business>().empty(); }));
  EXPECT_EQ(rec.of<k::events::business>().at(0).business_id, "cafe");
  // Once it follows the business topics (same session, no reconnect), the retained v5 arrives.
  ASSERT_TRUE(kh::test::eventually([&] {
    auto c = rec.of<k::events::catalog>();
    return !c.empty() && c.back().version == 5;
  }));
  EXPECT_EQ(lk->status().catalog_version, 5);
  EXPECT_EQ(lk->status().business_id, "cafe");
  // One connection throughout: a reconnect would have said hello again.
  EXPECT_EQ(hub.hellos(), 1);
}
