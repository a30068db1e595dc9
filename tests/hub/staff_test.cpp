// The state rules of staff actions (every action from every state), the order event stream
// (seq in the same transaction, stored, snapshot) and staff_service's answers.

#include <gtest/gtest.h>

#include <map>
#include <set>

#include "kh/hub/orders/order_transitions.hpp"
#include "kh/hub/orders/staff_service.hpp"
#include "kh/protocol/codec.hpp"
#include "test_support.hpp"

namespace kh::hub {
namespace {

using protocol::code;
using protocol::order_state;
using protocol::order_type;
using protocol::staff_action;
using S = order_state;
using A = staff_action;

// The expected outcome of every action from every state, written out independently of the code.
// "ok:<state>" or the refusal code.
std::string expected(A a, S from, order_type type) {
  const bool delivery = type == order_type::delivery;
  if (from == S::collected) return "already_collected";
  switch (a) {
    case A::take_cash: return from == S::pending_payment ? "ok:paid" : "invalid_transition";
    case A::cancel:
      if (from == S::pending_payment) return "ok:cancelled";
      if (from == S::paid || from == S::preparing || from == S::ready) return "ok:refunded";
      return "invalid_transition";
    default: break;
  }
  if (from == S::pending_payment) return "not_paid";
  switch (a) {
    case A::preparing: return from == S::paid ? "ok:preparing" : "invalid_transition";
    case A::ready: return from == S::preparing ? "ok:ready" : "invalid_transition";
    case A::collect:
      if (delivery) return "invalid_transition";
      if (from == S::paid || from == S::preparing) return "not_ready";
      return from == S::ready ? "ok:collected" : "invalid_transition";
    case A::out_for_delivery: return (delivery && from == S::ready) ? "ok:out_for_delivery" : "invalid_transition";
    case A::delivered: return from == S::out_for_delivery ? "ok:delivered" : "invalid_transition";
    default: return "?";
  }
}

TEST(order_transitions, every_action_from_every_state_gives_the_documented_outcome) {
  int ok = 0, refused = 0;
  for (auto type : {order_type::takeaway, order_type::eat_in, order_type::pickup, order_type::delivery}) {
    for (int f = 0; f <= static_cast<int>(S::refunded); ++f) {
      for (int a = 0; a <= static_cast<int>(A::cancel); ++a) {
        const auto from = static_cast<S>(f);
        const auto act = static_cast<A>(a);
        const auto r = action_target(act, from, type);
        const std::string got = r ? std::string("ok:") + protocol::to_string(*r) : protocol::to_string(r.error().code);
        EXPECT_EQ(got, expected(act, from, type))
            << protocol::to_string(act) << " from " << protocol::to_string(from) << " (" << protocol::to_string(type) << ")";
        if (r) {
          ++ok;
          // Whatever an action allows, the state table allows.
          EXPECT_TRUE(can_transition(from, *r, type));
        } else {
          ++refused;
        }
      }
    }
  }
  EXPECT_GT(ok, 20);
  EXPECT_GT(refused, 150);
}

TEST(order_transitions, buttons_are_exactly_the_allowed_actions) {
  EXPECT_EQ(allowed_actions(S::pending_payment, order_type::takeaway), (std::vector<A>{A::take_cash, A::cancel}));
  EXPECT_EQ(allowed_actions(S::paid, order_type::takeaway), (std::vector<A>{A::preparing, A::cancel}));
  EXPECT_EQ(allowed_actions(S::ready, order_type::takeaway), (std::vector<A>{A::collect, A::cancel}));
  EXPECT_EQ(allowed_actions(S::ready, order_type::delivery), (std::vector<A>{A::out_for_delivery, A::cancel}));
  EXPECT_TRUE(allowed_actions(S::collected, order_type::takeaway).empty());
  EXPECT_TRUE(allowed_actions(S::cancelled, order_type::takeaway).empty());
  EXPECT_EQ(actor_display("device:counter-1"), "counter-1");
  EXPECT_EQ(order_actor::web("staff:7").label(), "web:staff:7");
}

class staff_test : public ::testing::Test {
 protected:
  void SetUp() override {
    store_ = open_sqlite_store(database_path(dir_.str()));
    test::seed_small(*store_);
    auto tx = store_->begin();
    store_->devices().insert({"counter-1", test::biz, "Counter", protocol::device_mode::counter, true, false, std::nullopt, ""}, 0);
    store_->devices().insert({"counter-2", test::biz, "Counter 2", protocol::device_mode::counter, true, false, std::nullopt, ""}, 0);
    store_->devices().insert({"counter-off", test::biz, "Old", protocol::device_mode::counter, false, false, std::nullopt, ""}, 0);
    business_record other;
    other.id = "b-other";
    other.slug = "other";
    other.name = "Other";
    other.always_open = true;
    store_->businesses().insert(other, 0);
    store_->devices().insert({"counter-x", "b-other", "Their counter", protocol::device_mode::counter, true, false, std::nullopt, ""}, 0);
    tx->commit();
    orders_ = std::make_unique<order_service>(*store_, clock_.fn());
    staff_ = std::make_unique<staff_service>(*orders_);
  }
  std::string place(protocol::payment_method pm = protocol::payment_method::cash) {
    auto req = test::make_order({{"bun", 2}, {"coffee", 1}});
    req.payment = pm;
    clock_.now += std::chrono::seconds(1);  // distinct creation times: the snapshot lists oldest first
    auto p = orders_->place("kiosk-1", req);
    EXPECT_TRUE(p.accepted) << p.body;
    return req.order_id;
  }
  staff_outcome act(const std::string& device, A a, const std::string& order_id, std::optional<std::int64_t> tendered = {},
                    std::string ticket = {}) {
    protocol::order_action x;
    x.action_id = protocol::new_uuid();
    x.action = a;
    x.order_id = ticket.empty() ? order_id : std::string();
    x.ticket = ticket;
    if (tendered) x.tendered = protocol::money{*tendered, "EUR"};
    if (a == A::cancel) x.reason = "test";
    clock_.now += std::chrono::seconds(30);
    return staff_->device_action(device, x);
  }
  std::int64_t events() {
    auto q = sqlite_connection(*store_).prepare("SELECT COUNT(*) FROM order_events WHERE business_id = ?");
    q.bind(1, test::biz);
    q.step();
    return q.int64(0);
  }

  test::temp_dir dir_;
  test::manual_clock clock_;
  std::unique_ptr<store> store_;
  std::unique_ptr<order_service> orders_;
  std::unique_ptr<staff_service> staff_;
};

TEST_F(staff_test, cash_then_every_step_to_collected_with_change_seq_and_history) {
  const auto id = place();  // 2 × 2.00 + 3.00 = 7.00
  EXPECT_EQ(events(), 1);   // the new order's event
  auto short_cash = act("counter-1", A::take_cash, id, 500);
  ASSERT_FALSE(short_cash.result.ok);
  EXPECT_EQ(short_cash.result.code, code::insufficient_cash);
  EXPECT_EQ(short_cash.result.details["due"]["amount"], 700);
  EXPECT_EQ(orders_->db().orders().find(id)->state, S::pending_payment);

  auto early = act("counter-1", A::preparing, id);
  EXPECT_EQ(early.result.code, code::not_paid);

  auto cash = act("counter-1", A::take_cash, id, 1000);
  ASSERT_TRUE(cash.result.ok) << cash.body;
  EXPECT_EQ(cash.result.state, S::paid);
  ASSERT_TRUE(cash.result.change);
  EXPECT_EQ(cash.result.change->amount, 300);
  EXPECT_EQ(cash.result.seq, 2);
  ASSERT_TRUE(cash.change);
  EXPECT_EQ(cash.change->status.seq, 2);
  EXPECT_EQ(cash.change->status.by, "device:counter-1");
  ASSERT_TRUE(cash.change->status.order);
  EXPECT_FALSE(cash.change->status.order->paid_at.empty());

  EXPECT_EQ(act("counter-1", A::collect, id).result.code, code::not_ready);
  EXPECT_TRUE(act("counter-1", A::preparing, id).result.ok);
  EXPECT_TRUE(act("counter-2", A::ready, id).result.ok);
  auto got = act("counter-1", A::collect, {}, {}, id);  // by the ticket's payload
  ASSERT_TRUE(got.result.ok) << got.body;
  EXPECT_EQ(got.result.state, S::collected);
  EXPECT_EQ(got.result.seq, 5);
  auto again = act("counter-2", A::collect, {}, {}, id);
  ASSERT_FALSE(again.result.ok);
  EXPECT_EQ(again.result.code, code::already_collected);
  EXPECT_EQ(again.result.details["by"], "counter-1");
  EXPECT_TRUE(again.result.details.contains("at"));
  EXPECT_NE(again.result.message.find("counter-1"), std::string::npos);
  EXPECT_EQ(events(), 5);

  const auto h = orders_->db().orders().history(id);
  ASSERT_EQ(h.size(), 5u);
  EXPECT_EQ(h[1].actor, "device:counter-1");
  EXPECT_NE(h[1].reason.find("change \u20ac3.00"), std::string::npos) << h[1].reason;  // the store's style
  EXPECT_EQ(h[3].actor, "device:counter-2");
  EXPECT_EQ(orders_->db().orders().find(id)->payment, protocol::payment_method::cash);
}

TEST_F(staff_test, only_an_enabled_counter_of_the_orders_business_may_act_and_nothing_changes_otherwise) {
  const auto id = place();
  for (const char* dev : {"kiosk-1", "board-1", "counter-off", "nobody", "counter-x"}) {
    auto r = act(dev, A::take_cash, id, 1000);
    ASSERT_FALSE(r.result.ok) << dev;
    EXPECT_EQ(r.result.code, code::forbidden) << dev;
    EXPECT_TRUE(r.result.number.empty()) << dev << ": nothing about the order is told";
  }
  EXPECT_EQ(act("counter-x", A::take_cash, id, 1000).result.details["reason"], "other_business");
  EXPECT_EQ(act("kiosk-1", A::take_cash, id, 1000).result.details["reason"], "not_counter");
  EXPECT_EQ(orders_->db().orders().find(id)->state, S::pending_payment);
  EXPECT_EQ(events(), 1);
}

TEST_F(staff_test, unknown_orders_bad_tickets_and_repeats) {
  EXPECT_EQ(act("counter-1", A::ready, protocol::new_uuid()).result.code, code::unknown_order);
  EXPECT_EQ(act("counter-1", A::collect, {}, {}, "hello there").result.code, code::invalid_ticket);
  const auto id = place();
  protocol::order_action x;
  x.action_id = protocol::new_uuid();
  x.action = A::take_cash;
  x.order_id = id;
  x.tendered = protocol::money{700, "EUR"};
  auto first = staff_->device_action("counter-1", x);
  ASSERT_TRUE(first.result.ok);
  auto repeat = staff_->device_action("counter-1", x);  // QoS 1 duplicate
  EXPECT_TRUE(repeat.duplicate);
  EXPECT_EQ(repeat.body, first.body);
  EXPECT_FALSE(repeat.change);
  EXPECT_EQ(events(), 2);
  auto stolen = staff_->device_action("counter-2", x);  // same action_id from another device
  EXPECT_FALSE(stolen.result.ok);
  EXPECT_EQ(stolen.result.code, code::malformed);
  x.action_id = protocol::new_uuid();
  x.tendered = protocol::money{700, "USD"};
  x.order_id = place();
  EXPECT_EQ(staff_->device_action("counter-1", x).result.details["field"], "tendered.currency");
}

TEST_F(staff_test, cancel_restocks_where_the_goods_never_left) {
  const auto pending = place();
  EXPECT_EQ(test::stock_of(*store_, "bun"), 3);
  auto c = act("counter-1", A::cancel, pending);
  ASSERT_TRUE(c.result.ok);
  EXPECT_EQ(c.result.state, S::cancelled);
  EXPECT_EQ(test::stock_of(*store_, "bun"), 5);

  const auto paid = place();
  ASSERT_TRUE(act("counter-1", A::take_cash, paid, 700).result.ok);
  protocol::order_action x;
  x.action_id = protocol::new_uuid();
  x.action = A::cancel;
  x.order_id = paid;
  x.reason = "wrong order";
  x.restock = true;
  auto r = staff_->device_action("counter-1", x);
  ASSERT_TRUE(r.result.ok);
  EXPECT_EQ(r.result.state, S::refunded);
  EXPECT_EQ(test::stock_of(*store_, "bun"), 5);
  EXPECT_EQ(act("counter-1", A::cancel, paid).result.code, code::invalid_transition);
}

TEST_F(staff_test, snapshot_has_every_open_order_with_the_seq_and_only_for_screens) {
  {
    auto tx = store_->begin();
    store_->catalog().set_stock(test::biz, "bun", 50, 0);
    tx->commit();
  }
  const auto a = place();
  const auto b = place(protocol::payment_method::card_present);
  const auto c = place();
  ASSERT_TRUE(act("counter-1", A::cancel, c).result.ok);
  ASSERT_TRUE(act("counter-1", A::take_cash, a, 700).result.ok);
  auto snap = staff_->snapshot_for("board-1");
  ASSERT_TRUE(snap.ok());
  EXPECT_EQ(snap->seq, 5);
  ASSERT_EQ(snap->orders.size(), 2u);
  EXPECT_EQ(snap->orders[0].order_id, a);
  EXPECT_EQ(snap->orders[0].state, S::paid);
  EXPECT_EQ(snap->orders[0].ticket, a);
  EXPECT_EQ(snap->orders[1].order_id, b);
  EXPECT_EQ(snap->orders[1].lines.size(), 2u);
  EXPECT_TRUE(staff_->snapshot_for("counter-1").ok());
  EXPECT_EQ(staff_->snapshot_for("kiosk-1").error().code, code::forbidden);
  EXPECT_EQ(staff_->snapshot_for("nobody").error().code, code::forbidden);
  // The snapshot decodes as the protocol says.
  EXPECT_TRUE(protocol::decode_orders_snapshot(protocol::to_json(*snap)).ok());
  // The stored events replay in seq order with the bodies published.
  auto evs = orders_->events().since(test::biz, 3, 10);
  ASSERT_EQ(evs.size(), 2u);
  EXPECT_EQ(evs[0].seq, 4);
  auto body = protocol::decode_order_status(nlohmann::json::parse(evs[1].body));
  ASSERT_TRUE(body.ok());
  EXPECT_EQ(body->seq, 5);
  EXPECT_EQ(body->state, S::paid);
  EXPECT_EQ(body->previous, S::pending_payment);
}

TEST_F(staff_test, the_expiry_uses_the_same_rules_and_stream) {
  const auto id = place();
  clock_.now += std::chrono::minutes(20);
  const auto gone = orders_->expire_unpaid();
  ASSERT_EQ(gone.size(), 1u);
  EXPECT_EQ(gone[0].status.state, S::cancelled);
  EXPECT_EQ(gone[0].status.seq, 2);
  EXPECT_EQ(gone[0].status.by, "system:expiry");
  EXPECT_EQ(act("counter-1", A::take_cash, id, 700).result.code, code::invalid_transition);
}

}  // namespace
}  // namespace kh::hub
