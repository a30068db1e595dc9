// Staff actions over real Mosquitto and kioskhub (issue 10): counter codes, the double-collect
// race between two real counter clients, forbidden devices, and a screen that misses events and
// resyncs from orders.sync / seq.

#include <gtest/gtest.h>

#include <thread>

#include "hub_fixture.hpp"
#include "kh/protocol/staff.hpp"

namespace {

using kh::test::json;
using namespace std::chrono_literals;

struct watcher {  // a screen on the business' orders topic
  explicit watcher(kh::test::mosquitto& broker, const std::string& business)
      : c(kh::mqtt::options{.uri = broker.url(), .client_id = "watch-" + kh::protocol::new_uuid().substr(0, 8), .clean_session = true}) {
    c.subscribe_on_connect({{kh::protocol::topics::business_orders(business), 1}});
    c.on_message([this](kh::mqtt::message m) {
      std::lock_guard lk(mu);
      events.push_back(json::parse(m.payload, nullptr, false));
    });
    if (!c.start()) throw std::runtime_error("watcher cannot connect");
    std::this_thread::sleep_for(300ms);  // let the SUBSCRIBE land before events flow
  }
  ~watcher() { c.stop(); }
  std::vector<json> all() {
    std::lock_guard lk(mu);
    return events;
  }
  kh::mqtt::client c;
  std::mutex mu;
  std::vector<json> events;
};

json action(const std::string& what, const std::string& order_id, json extra = json::object()) {
  json b{{"action_id", kh::protocol::new_uuid()}, {"action", what}};
  if (!order_id.empty()) b["order_id"] = order_id;
  for (auto& [k, v] : extra.items()) b[k] = v;
  return b;
}

// Sends and waits for the order.action.result of that action_id.
json act(kh::test::raw_device& dev, const json& body) {
  dev.send("order.action", body);
  for (int i = 0; i < 20; ++i) {
    auto r = dev.next(10s);
    if (!r) break;
    if (r->type == "order.action.result" && r->body()["action_id"] == body["action_id"]) return r->body();
    if (r->type == "error") return r->body();
  }
  return json();
}

std::string place_cash(kh::test::hub& hub, kh::test::raw_device& kiosk, int qty = 1) {
  auto p = hub.product_with_stock(qty);
  auto body = kh::test::order_body({{p["id"], qty}});
  kiosk.send("order.submit", body);
  auto r = kiosk.next_for(body["order_id"]);
  EXPECT_TRUE(r && r->type == "order.accepted");
  return body["order_id"];
}

TEST(staff_actions, counter_runs_an_order_to_collected_and_two_counters_collect_it_exactly_once) {
  kh::test::mosquitto broker;
  kh::test::hub hub(broker);
  hub.add_device("counter-2", "counter");
  hub.serve();
  watcher board(broker, hub.business_id());
  kh::test::raw_device kiosk(broker, "kiosk-1"), c1(broker, "counter-1"), c2(broker, "counter-2");
  const auto id = place_cash(hub, kiosk);
  const auto total = json::parse(*kh::test::db(hub.db_file()).scalar("SELECT total FROM orders WHERE id = '" + id + "'")).get<int>();

  auto r = act(c1, action("collect", id));
  EXPECT_EQ(r["code"], "not_paid") << r.dump();
  r = act(c1, action("take_cash", id, {{"tendered", {{"amount", total - 1}, {"currency", "EUR"}}}}));
  EXPECT_EQ(r["code"], "insufficient_cash") << r.dump();
  r = act(c1, action("take_cash", id, {{"tendered", {{"amount", total + 250}, {"currency", "EUR"}}}}));
  ASSERT_EQ(r["ok"], true) << r.dump();
  EXPECT_EQ(r["state"], "paid");
  EXPECT_EQ(r["change"]["amount"], 250);
  r = act(c1, action("collect", "", {{"ticket", id}}));
  EXPECT_EQ(r["code"], "not_ready") << r.dump();
  ASSERT_EQ(act(c1, action("preparing", id))["ok"], true);
  ASSERT_EQ(act(c2, action("ready", id))["ok"], true);

  // The race: both counters scan the ticket at the same instant.
  auto a = action("collect", "", {{"ticket", id}}), b = action("collect", "", {{"ticket", id}});
  std::thread t1([&] { c1.send("order.action", a); });
  std::thread t2([&] { c2.send("order.action", b); });
  t1.join();
  t2.join();
  auto wait_result = [](kh::test::raw_device& d, const json& sent) {
    for (int i = 0; i < 20; ++i) {
      auto m = d.next(10s);
      if (!m) return json();
      if (m->type == "order.action.result" && m->body()["action_id"] == sent["action_id"]) return m->body();
    }
    return json();
  };
  const auto ra = wait_result(c1, a), rb = wait_result(c2, b);
  ASSERT_FALSE(ra.is_null());
  ASSERT_FALSE(rb.is_null());
  const bool a_won = ra["ok"] == true;
  const auto& won = a_won ? ra : rb;
  const auto& lost = a_won ? rb : ra;
  EXPECT_EQ(won["ok"], true) << won.dump();
  EXPECT_EQ(won["state"], "collected");
  EXPECT_EQ(lost["ok"], false) << lost.dump();
  EXPECT_EQ(lost["code"], "already_collected");
  EXPECT_EQ(lost["details"]["by"], a_won ? "counter-1" : "counter-2");
  EXPECT_TRUE(kh::protocol::parse_rfc3339(lost["details"]["at"].get<std::string>()).has_value());
  // Another process reads the file: the hub's commit reaches it soon after its answer.
  EXPECT_TRUE(kh::test::eventually([&] {
    kh::test::db d(hub.db_file());
    return d.count("SELECT COUNT(*) FROM order_state_history WHERE order_id = '" + id + "' AND to_state = 'collected'") == 1;
  }));

  // The board saw every change once, numbered 1, 2, … without a gap, after each commit.
  ASSERT_TRUE(kh::test::eventually([&] { return board.all().size() >= 5; }));
  const auto evs = board.all();
  std::vector<std::string> states;
  for (std::size_t i = 0; i < evs.size(); ++i) {
    auto st = kh::protocol::decode_order_status(evs[i]["body"]);
    ASSERT_TRUE(st.ok()) << evs[i].dump();
    EXPECT_EQ(st->seq, static_cast<std::int64_t>(i + 1));
    states.push_back(kh::protocol::to_string(st->state));
  }
  EXPECT_EQ(states, (std::vector<std::string>{"pending_payment", "paid", "preparing", "ready", "collected"}));
}

TEST(staff_actions, shop_kiosks_boards_and_other_business_counters_are_forbidden) {
  kh::test::mosquitto broker;
  kh::test::hub hub(broker);
  {
    kh::test::db d(hub.db_file());
    d.exec("INSERT INTO businesses(id, slug, name, currency, tax_rate_bp, tax_inclusive, base_prep_seconds, "
           "queue_seconds_per_order, utc_offset_minutes, always_open, catalog_version, active_orders, created_at_ms) "
           "VALUES ('other', 'other', 'Other', 'EUR', 0, 1, 300, 60, 0, 1, 0, 0, 0)");
    d.exec("INSERT INTO devices(id, business_id, name, mode, enabled, online, created_at_ms) VALUES "
           "('counter-x', 'other', 'X', 'counter', 1, 0, 0)");
  }
  hub.serve();
  kh::test::raw_device kiosk(broker, "kiosk-1"), board(broker, "board-1"), other(broker, "counter-x");
  const auto id = place_cash(hub, kiosk);
  for (auto* dev : {&kiosk, &board, &other}) {
    auto r = act(*dev, action("take_cash", id, {{"tendered", {{"amount", 10000}, {"currency", "EUR"}}}}));
    EXPECT_EQ(r["code"], "forbidden") << dev->id() << " " << r.dump();
    EXPECT_FALSE(r.contains("number")) << dev->id();
  }
  EXPECT_EQ(kh::test::db(hub.db_file()).scalar("SELECT state FROM orders WHERE id = '" + id + "'"), "pending_payment");
  // A shop kiosk gets no snapshot either.
  kiosk.send("orders.sync", json::object());
  bool forbidden = false;
  for (int i = 0; i < 5 && !forbidden; ++i) {
    auto m = kiosk.next(5s);
    if (!m) break;
    forbidden = m->type == "error" && m->body()["code"] == "forbidden";
  }
  EXPECT_TRUE(forbidden);
}

TEST(staff_actions, a_screen_that_missed_events_sees_the_gap_and_resyncs_with_a_snapshot) {
  kh::test::mosquitto broker;
  kh::test::hub hub(broker);
  hub.serve();
  kh::test::raw_device kiosk(broker, "kiosk-1"), counter(broker, "counter-1"), board(broker, "board-1");
  std::vector<std::string> ids;
  for (int i = 0; i < 3; ++i) ids.push_back(place_cash(hub, kiosk));
  // The board was not listening for these: it starts now and asks.
  watcher live(broker, hub.business_id());
  board.send("orders.sync", {{"known_seq", 0}});
  auto snap_msg = board.next(10s);
  ASSERT_TRUE(snap_msg);
  ASSERT_EQ(snap_msg->type, "orders.snapshot") << snap_msg->envelope.dump();
  auto snap = kh::protocol::decode_orders_snapshot(snap_msg->body());
  ASSERT_TRUE(snap.ok()) << snap.error().message;
  EXPECT_EQ(snap->seq, 3);
  ASSERT_EQ(snap->orders.size(), 3u);
  for (std::size_t i = 0; i < 3; ++i) {
    EXPECT_EQ(snap->orders[i].order_id, ids[i]);
    EXPECT_EQ(snap->orders[i].ticket, ids[i]);
    EXPECT_FALSE(snap->orders[i].lines.empty());
  }
  // Two changes; a screen that got only the second sees seq jump from 3 to 5 and asks again.
  ASSERT_EQ(act(counter, action("take_cash", ids[0], {{"tendered", {{"amount", 100000}, {"currency", "EUR"}}}}))["ok"], true);
  ASSERT_EQ(act(counter, action("cancel", ids[1], {{"reason", "left"}}))["ok"], true);
  ASSERT_TRUE(kh::test::eventually([&] { return live.all().size() >= 2; }));
  auto last = kh::protocol::decode_order_status(live.all().back()["body"]);
  ASSERT_TRUE(last.ok());
  EXPECT_EQ(last->seq, 5);
  ASSERT_TRUE(last->order);
  EXPECT_EQ(last->state, kh::protocol::order_state::cancelled);
  board.send("orders.sync", {{"known_seq", 3}});
  auto again = board.next(10s);
  ASSERT_TRUE(again);
  auto s2 = kh::protocol::decode_orders_snapshot(again->body());
  ASSERT_TRUE(s2.ok());
  EXPECT_EQ(s2->seq, 5);
  ASSERT_EQ(s2->orders.size(), 2u);  // the cancelled one left
  EXPECT_EQ(s2->orders[0].state, kh::protocol::order_state::paid);
  EXPECT_FALSE(s2->orders[0].paid_at.empty());
  EXPECT_EQ(s2->orders[0].payment, kh::protocol::payment_method::cash);
}

}  // namespace
