// Staff actions and the snapshot: strict decoding, the ticket payload, and round trips.

#include <gtest/gtest.h>

#include "kh/protocol/codec.hpp"
#include "kh/protocol/staff.hpp"

namespace kp = kh::protocol;
using json = nlohmann::json;

namespace {
const char* k_id = "0b6f3c52-6a43-4c1f-9d51-2a7e8f9b1c20";
const char* k_action = "9f8e7d6c-5b4a-4392-8170-6f5e4d3c2b1a";

std::string field_of(const kp::problem& p) { return p.details.value("field", std::string{}); }
}  // namespace

TEST(ticket_payload, the_bare_order_id_and_the_tracking_url_name_the_order) {
  EXPECT_EQ(kp::parse_ticket(k_id).value(), k_id);
  EXPECT_EQ(kp::parse_ticket("0B6F3C52-6A43-4C1F-9D51-2A7E8F9B1C20\n").value(), k_id);
  EXPECT_EQ(kp::parse_ticket(std::string("https://shop.example/o/") + k_id).value(), k_id);
  EXPECT_EQ(kp::parse_ticket(std::string("http://127.0.0.1:8080/o/") + k_id + "/?r=1").value(), k_id);
  EXPECT_EQ(kp::ticket_payload("0B6F3C52-6A43-4C1F-9D51-2A7E8F9B1C20"), k_id);
}

TEST(ticket_payload, anything_else_is_not_a_ticket) {
  for (const char* t : {"", "A-042", "hello", "https://shop.example/x/0b6f3c52-6a43-4c1f-9d51-2a7e8f9b1c20",
                        "ftp://h/o/0b6f3c52-6a43-4c1f-9d51-2a7e8f9b1c20", "0b6f3c52-6a43-4c1f-9d51-2a7e8f9b1c2",
                        "00000000-0000-0000-0000-000000000000"}) {
    EXPECT_FALSE(kp::parse_ticket(t).has_value()) << t;
  }
  EXPECT_FALSE(kp::parse_ticket(std::string(600, 'a')).has_value());
}

TEST(order_action_codec, every_action_round_trips) {
  kp::order_action a;
  a.action_id = k_action;
  a.order_id = k_id;
  for (auto act : {kp::staff_action::preparing, kp::staff_action::ready, kp::staff_action::out_for_delivery,
                   kp::staff_action::delivered, kp::staff_action::collect, kp::staff_action::take_cash,
                   kp::staff_action::cancel}) {
    a.action = act;
    a.tendered.reset();
    a.reason.clear();
    if (act == kp::staff_action::take_cash) a.tendered = kp::money{1000, "EUR"};
    if (act == kp::staff_action::cancel) a.reason = "customer left";
    const auto back = kp::decode_order_action(kp::to_json(a));
    ASSERT_TRUE(back.ok()) << kp::to_string(act) << ": " << back.error().message;
    EXPECT_EQ(*back, a);
  }
}

TEST(order_action_codec, refuses_what_an_action_needs_but_lacks) {
  const auto bad = [](json body) { return kp::decode_order_action(body); };
  auto r = bad({{"action_id", k_action}, {"action", "cancel"}, {"order_id", k_id}});
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(field_of(r.error()), "reason");
  r = bad({{"action_id", k_action}, {"action", "cancel"}, {"order_id", k_id}, {"reason", ""}});
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(field_of(r.error()), "reason");
  r = bad({{"action_id", k_action}, {"action", "take_cash"}, {"order_id", k_id}});
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(field_of(r.error()), "tendered");
  r = bad({{"action_id", k_action}, {"action", "take_cash"}, {"order_id", k_id},
           {"tendered", {{"amount", 10.5}, {"currency", "EUR"}}}});
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(field_of(r.error()), "tendered.amount");
  r = bad({{"action_id", k_action}, {"action", "collect"}});
  ASSERT_FALSE(r.ok());
  r = bad({{"action_id", k_action}, {"action", "ready"}});
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(field_of(r.error()), "order_id");
  r = bad({{"action_id", k_action}, {"action", "fly"}, {"order_id", k_id}});
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(field_of(r.error()), "action");
  r = bad({{"action", "ready"}, {"order_id", k_id}});
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(field_of(r.error()), "action_id");
  r = bad({{"action_id", k_action}, {"action", "collect"}, {"ticket", "a\u001b[2Jb"}});
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(field_of(r.error()), "ticket");
  r = bad({{"action_id", k_action}, {"action", "cancel"}, {"order_id", k_id}, {"reason", "x"}, {"restock", 1}});
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(field_of(r.error()), "restock");
  // collect by ticket alone is fine; the order id is then optional.
  EXPECT_TRUE(bad({{"action_id", k_action}, {"action", "collect"}, {"ticket", k_id}}).ok());
}

TEST(order_action_codec, a_refusal_needs_its_code_and_details) {
  kp::order_action_result r;
  r.action_id = k_action;
  r.ok = false;
  r.code = kp::code::already_collected;
  r.message = "collected before";
  r.details = {{"at", "2026-11-22T10:24:29Z"}, {"by", "counter-1"}};
  r.order_id = k_id;
  r.state = kp::order_state::collected;
  const auto back = kp::decode_order_action_result(kp::to_json(r));
  ASSERT_TRUE(back.ok()) << back.error().message;
  EXPECT_EQ(*back, r);
  json j = kp::to_json(r);
  j.erase("code");
  EXPECT_FALSE(kp::decode_order_action_result(j).ok());
  EXPECT_FALSE(kp::is_retryable(kp::code::already_collected));
  EXPECT_FALSE(kp::is_retryable(kp::code::not_ready));
}

TEST(order_status_codec, seq_and_the_whole_order_round_trip_and_old_events_still_decode) {
  kp::order_status s;
  s.order_id = k_id;
  s.number = "A-042";
  s.state = kp::order_state::ready;
  s.seq = 7;
  s.previous = kp::order_state::preparing;
  s.at = "2026-11-22T10:24:29.870Z";
  s.by = "device:counter-1";
  kp::open_order o;
  o.order_id = k_id;
  o.number = "A-042";
  o.state = kp::order_state::ready;
  o.lines = {{"latte", "Latte", 2, "hot", {{"milk", "oat", "Oat milk"}}}};
  o.created_at = "2026-11-22T10:20:00Z";
  o.subtotal = o.total = {700, "EUR"};
  o.tax = o.discount = {0, "EUR"};
  o.ticket = k_id;
  s.order = o;
  const auto back = kp::decode_order_status(kp::to_json(s));
  ASSERT_TRUE(back.ok()) << back.error().message;
  EXPECT_EQ(*back, s);
  // An event from a hub before seq existed.
  EXPECT_TRUE(kp::decode_order_status({{"order_id", k_id}, {"number", "A-1"}, {"state", "paid"}}).ok());
  json bad = kp::to_json(s);
  bad["seq"] = 0;
  EXPECT_FALSE(kp::decode_order_status(bad).ok());
  bad = kp::to_json(s);
  bad["order"]["lines"][0]["qty"] = 0;
  const auto r = kp::decode_order_status(bad);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(field_of(r.error()), "order.lines[0].qty");
}

TEST(orders_snapshot_codec, round_trips_and_names_the_bad_order) {
  kp::orders_snapshot snap;
  snap.business_id = "cafe-central";
  snap.seq = 12;
  snap.at = "2026-11-22T10:30:00Z";
  kp::open_order o;
  o.order_id = k_id;
  o.number = "A-042";
  o.created_at = "2026-11-22T10:20:00Z";
  o.subtotal = o.total = o.tax = o.discount = {0, "EUR"};
  o.ticket = k_id;
  snap.orders = {o, o};
  const auto back = kp::decode_orders_snapshot(kp::to_json(snap));
  ASSERT_TRUE(back.ok()) << back.error().message;
  EXPECT_EQ(*back, snap);
  json bad = kp::to_json(snap);
  bad["orders"][1]["state"] = "lost";
  const auto r = kp::decode_orders_snapshot(bad);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(field_of(r.error()), "orders[1].state");
  EXPECT_TRUE(kp::decode_orders_sync(json::object()).ok());
  EXPECT_FALSE(kp::decode_orders_sync({{"known_seq", -1}}).ok());
}
