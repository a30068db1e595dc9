#include <thread>

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "kh/hub/catalog/catalog_service.hpp"
#include "kh/hub/catalog/seed.hpp"
#include "kh/hub/orders/order_service.hpp"
#include "kh/hub/storage/sqlite.hpp"
#include "kh/protocol/codec.hpp"
#include "kh/protocol/ids.hpp"
#include "kh/protocol/time.hpp"
#include "test_support.hpp"

namespace kh::hub {
namespace {

using protocol::code;
using test::biz;
using test::make_order;
using test::stock_of;

class placement_test : public ::testing::Test {
 protected:
  void SetUp() override {
    store_ = open_sqlite_store(database_path(dir_.str()));
    test::seed_small(*store_);
    svc_ = std::make_unique<order_service>(*store_, clock_.fn());
  }
  nlohmann::json body(const placement& p) { return nlohmann::json::parse(p.body); }
  std::int64_t count(const char* sql) {
    sqlite::connection db(database_path(dir_.str()));
    auto s = db.prepare(sql);
    EXPECT_TRUE(s.step());
    return s.int64(0);
  }
  std::int64_t orders() { return count("SELECT COUNT(*) FROM orders"); }

  test::temp_dir dir_;
  test::manual_clock clock_;
  std::unique_ptr<store> store_;
  std::unique_ptr<order_service> svc_;
};

TEST_F(placement_test, accepted_order_is_priced_numbered_and_stored) {
  // 2 buns (2.00) + 1 coffee (3.00) = 7.00, 10 % VAT included: 7.00 × 10/110 = 0.636… → 0.64.
  const auto req = make_order({{"bun", 2}, {"coffee", 1}});
  const auto p = svc_->place("kiosk-1", req);
  ASSERT_TRUE(p.accepted) << p.body;
  EXPECT_EQ(p.type, "order.accepted");
  auto acc = protocol::decode_order_accepted(body(p));
  ASSERT_TRUE(acc.ok()) << p.body;
  EXPECT_EQ(acc->order_id, req.order_id);
  EXPECT_EQ(acc->number, "A-001");
  EXPECT_EQ(acc->state, protocol::order_state::pending_payment);
  EXPECT_EQ(acc->subtotal.amount, 700);
  EXPECT_EQ(acc->tax.amount, 64);
  EXPECT_EQ(acc->discount.amount, 0);
  EXPECT_EQ(acc->total.amount, 700);
  EXPECT_EQ(acc->total.currency, "EUR");
  // ETA: now + 300 s base, empty queue.
  EXPECT_EQ(protocol::parse_rfc3339(acc->eta), clock_.now + std::chrono::seconds(300));
  EXPECT_EQ(stock_of(*store_, "bun"), 3);
  ASSERT_TRUE(p.status.has_value());
  EXPECT_EQ(p.status->number, "A-001");
  EXPECT_EQ(p.business_id, biz);
  EXPECT_TRUE(p.stock_changed);

  auto o = store_->orders().find_with_lines(req.order_id);
  ASSERT_TRUE(o.has_value());
  EXPECT_EQ(o->device_id, "kiosk-1");
  ASSERT_EQ(o->lines.size(), 2u);
  EXPECT_EQ(o->lines[0].unit_price, 200);
  EXPECT_EQ(o->lines[0].line_total, 400);
  const auto h = store_->orders().history(req.order_id);
  ASSERT_EQ(h.size(), 1u);
  EXPECT_FALSE(h[0].from.has_value());
  EXPECT_EQ(h[0].to, protocol::order_state::pending_payment);
  EXPECT_EQ(h[0].actor, "device:kiosk-1");
  EXPECT_EQ(count("SELECT COUNT(*) FROM notification_outbox WHERE kind = 'new_order'"), 1);
}

TEST_F(placement_test, client_totals_and_exclusive_tax) {
  test::temp_dir dir;
  auto s = open_sqlite_store(database_path(dir.str()));
  test::seed_small(*s, 2000, false);
  order_service svc(*s, clock_.fn());
  const auto p = svc.place("kiosk-1", make_order({{"cake", 1}}));
  ASSERT_TRUE(p.accepted) << p.body;
  const auto j = body(p);
  EXPECT_EQ(j["subtotal"]["amount"], 450);
  EXPECT_EQ(j["tax"]["amount"], 90);
  EXPECT_EQ(j["total"]["amount"], 540);
}

TEST_F(placement_test, discount_codes_apply_before_tax) {
  auto req = make_order({{"coffee", 2}});  // 6.00
  req.discount_code = "tenoff";           // case-insensitive
  const auto p = svc_->place("kiosk-1", req);
  ASSERT_TRUE(p.accepted) << p.body;
  const auto j = body(p);
  EXPECT_EQ(j["subtotal"]["amount"], 600);
  EXPECT_EQ(j["discount"]["amount"], 60);
  EXPECT_EQ(j["tax"]["amount"], 49);  // 5.40 × 10/110 = 0.4909… → 0.49
  EXPECT_EQ(j["total"]["amount"], 540);

  auto fixed = make_order({{"coffee", 1}});
  fixed.discount_code = "ONEEURO";
  EXPECT_EQ(body(svc_->place("kiosk-1", fixed))["total"]["amount"], 200);
}

TEST_F(placement_test, unknown_or_inactive_discount_is_rejected_and_changes_nothing) {
  for (const char* c : {"NOPE", "EXPIRED"}) {
    auto req = make_order({{"bun", 1}});
    req.discount_code = c;
    const auto p = svc_->place("kiosk-1", req);
    EXPECT_FALSE(p.accepted);
    EXPECT_EQ(p.code, code::invalid_discount);
  }
  EXPECT_EQ(stock_of(*store_, "bun"), 5);
  EXPECT_EQ(orders(), 0);
}

TEST_F(placement_test, a_repeat_returns_the_identical_body_and_changes_nothing) {
  const auto req = make_order({{"bun", 1}});
  const auto first = svc_->place("kiosk-1", req);
  ASSERT_TRUE(first.accepted);
  clock_.now += std::chrono::minutes(3);  // a later resend must not get a new ETA or number
  for (int i = 0; i < 3; ++i) {
    const auto again = svc_->place("kiosk-1", req);
    EXPECT_TRUE(again.accepted);
    EXPECT_TRUE(again.duplicate);
    EXPECT_EQ(again.body, first.body);  // byte for byte
    EXPECT_FALSE(again.status.has_value());
    EXPECT_FALSE(again.stock_changed);
  }
  EXPECT_EQ(orders(), 1);
  EXPECT_EQ(stock_of(*store_, "bun"), 4);
}

TEST_F(placement_test, the_same_order_id_from_another_device_is_a_conflict) {
  const auto req = make_order({{"bun", 1}});
  ASSERT_TRUE(svc_->place("kiosk-1", req).accepted);
  const auto other = svc_->place("kiosk-2", req);
  EXPECT_FALSE(other.accepted);
  EXPECT_EQ(other.code, code::order_conflict);
  EXPECT_FALSE(other.stored);
  EXPECT_EQ(orders(), 1);
  EXPECT_EQ(stock_of(*store_, "bun"), 4);
  // The owner still gets its answer.
  EXPECT_TRUE(svc_->place("kiosk-1", req).duplicate);
}

TEST_F(placement_test, the_same_order_id_with_other_content_is_a_conflict) {
  const auto req = make_order({{"bun", 1}});
  ASSERT_TRUE(svc_->place("kiosk-1", req).accepted);
  auto changed = req;
  changed.lines[0].qty = 2;
  const auto p = svc_->place("kiosk-1", changed);
  EXPECT_EQ(p.code, code::order_conflict);
  EXPECT_EQ(stock_of(*store_, "bun"), 4);
}

TEST_F(placement_test, unknown_and_inactive_products_are_rejected) {
  auto p = svc_->place("kiosk-1", make_order({{"coffee", 1}, {"caviar", 1}}));
  EXPECT_EQ(p.code, code::unknown_product);
  EXPECT_EQ(body(p)["details"]["product_id"], "caviar");
  p = svc_->place("kiosk-1", make_order({{"old", 1}}));
  EXPECT_EQ(p.code, code::product_unavailable);
  EXPECT_EQ(stock_of(*store_, "old"), 3);
  EXPECT_EQ(orders(), 0);
}

TEST_F(placement_test, repeated_lines_of_one_product_are_summed_against_stock) {
  // 3 + 3 buns > 5 on hand: no partial take.
  const auto p = svc_->place("kiosk-1", make_order({{"bun", 3}, {"coffee", 1}, {"bun", 3}}));
  EXPECT_FALSE(p.accepted);
  EXPECT_EQ(p.code, code::out_of_stock);
  EXPECT_EQ(body(p)["details"]["requested"], 6);
  EXPECT_EQ(body(p)["details"]["available"], 5);
  EXPECT_EQ(stock_of(*store_, "bun"), 5);
  EXPECT_EQ(orders(), 0);
  EXPECT_TRUE(svc_->place("kiosk-1", make_order({{"bun", 2}, {"bun", 3}})).accepted);
  EXPECT_EQ(stock_of(*store_, "bun"), 0);
}

TEST_F(placement_test, a_rejection_is_stored_and_a_resend_gets_the_same_rejection) {
  const auto req = make_order({{"cake", 2}});  // only 1 on hand
  const auto first = svc_->place("kiosk-1", req);
  ASSERT_EQ(first.code, code::out_of_stock);
  EXPECT_TRUE(first.stored);
  // Even after a restock the outcome the customer saw does not flip.
  {
    auto tx = store_->begin();
    store_->catalog().set_stock(biz, "cake", 10, 0);
    tx->commit();
  }
  const auto again = svc_->place("kiosk-1", req);
  EXPECT_TRUE(again.duplicate);
  EXPECT_EQ(again.type, "order.rejected");
  EXPECT_EQ(again.code, code::out_of_stock);
  EXPECT_EQ(again.body, first.body);
  EXPECT_EQ(stock_of(*store_, "cake"), 10);
  EXPECT_EQ(orders(), 0);
}

TEST_F(placement_test, sequential_orders_never_oversell) {
  int accepted = 0;
  int out_of_stock = 0;
  for (int i = 0; i < 8; ++i) {
    const auto p = svc_->place("kiosk-1", make_order({{"bun", 1}}));
    accepted += p.accepted ? 1 : 0;
    out_of_stock += p.code == code::out_of_stock ? 1 : 0;
  }
  EXPECT_EQ(accepted, 5);
  EXPECT_EQ(out_of_stock, 3);
  EXPECT_EQ(stock_of(*store_, "bun"), 0);
}

TEST_F(placement_test, two_writers_on_one_file_never_oversell) {
  {
    auto tx = store_->begin();
    store_->catalog().set_stock(biz, "cake", 50, 0);
    tx->commit();
  }
  std::atomic<int> accepted{0}, rejected{0}, other{0};
  auto worker = [&](const char* device) {
    auto s = open_sqlite_store(database_path(dir_.str()));  // its own connection
    order_service svc(*s, clock_.fn());
    for (int i = 0; i < 40; ++i) {
      const auto p = svc.place(device, make_order({{"cake", 1}}));
      if (p.accepted) {
        ++accepted;
      } else if (p.code == code::out_of_stock) {
        ++rejected;
      } else {
        ++other;
      }
    }
  };
  std::thread a(worker, "kiosk-1"), b(worker, "kiosk-2");
  a.join();
  b.join();
  EXPECT_EQ(accepted.load(), 50);
  EXPECT_EQ(rejected.load(), 30);
  EXPECT_EQ(other.load(), 0);
  EXPECT_EQ(stock_of(*store_, "cake"), 0);
  EXPECT_EQ(orders(), 50);
  // Numbers are unique within the day.
  EXPECT_EQ(count("SELECT COUNT(DISTINCT number) FROM orders"), 50);
}

TEST_F(placement_test, unknown_disabled_and_board_devices_are_forbidden_and_nothing_is_stored) {
  for (const char* dev : {"kiosk-9", "kiosk-off", "board-1"}) {
    const auto req = make_order({{"bun", 1}});
    const auto p = svc_->place(dev, req);
    EXPECT_FALSE(p.accepted) << dev;
    EXPECT_EQ(p.code, code::forbidden) << dev;
    EXPECT_FALSE(p.stored);
    EXPECT_FALSE(store_->answers().find(req.order_id).has_value());
  }
  EXPECT_EQ(stock_of(*store_, "bun"), 5);
  EXPECT_EQ(orders(), 0);
}

TEST_F(placement_test, a_closed_business_rejects_and_changes_nothing) {
  test::temp_dir dir;
  auto s = open_sqlite_store(database_path(dir.str()));
  test::seed_small(*s, 1000, true, /*always_open=*/false);
  {
    auto tx = s->begin();
    // Sunday (weekday 6) 08:00–09:00 only; the clock says Sunday 10:00.
    s->businesses().add_opening_span(biz, {6, 8 * 60, 9 * 60});
    tx->commit();
  }
  order_service svc(*s, clock_.fn());
  const auto p = svc.place("kiosk-1", make_order({{"bun", 1}}));
  EXPECT_EQ(p.code, code::business_closed);
  EXPECT_EQ(test::stock_of(*s, "bun"), 5);
  clock_.now -= std::chrono::minutes(90);  // 08:30: open
  EXPECT_TRUE(svc.place("kiosk-1", make_order({{"bun", 1}})).accepted);
}

TEST_F(placement_test, numbers_count_per_day_and_restart_after_local_midnight) {
  clock_.now = std::chrono::sys_days{std::chrono::year{2026} / 11 / 22} + std::chrono::hours(23) +
               std::chrono::minutes(59);
  auto num = [&] { return body(svc_->place("kiosk-1", make_order({{"coffee", 1}})))["number"].get<std::string>(); };
  EXPECT_EQ(num(), "A-001");
  EXPECT_EQ(num(), "A-002");
  clock_.now += std::chrono::minutes(2);  // 00:01 next day
  EXPECT_EQ(num(), "A-001");
  EXPECT_EQ(num(), "A-002");
}

TEST_F(placement_test, a_resend_after_the_order_moved_on_gets_the_answer_it_got_then) {
  // The acceptance is rebuilt from the order's row (schema v14): it must be what was sent, not
  // the order as it is now.
  const auto req = make_order({{"bun", 2}});
  const auto first = svc_->place("kiosk-1", req);
  ASSERT_TRUE(first.accepted) << first.body;
  ASSERT_TRUE(svc_->transition(req.order_id, protocol::order_state::paid, "staff:test").ok());
  clock_.now += std::chrono::minutes(20);
  const auto again = svc_->place("kiosk-1", req);
  EXPECT_TRUE(again.duplicate);
  EXPECT_EQ(again.body, first.body);
  EXPECT_EQ(body(again)["state"], "pending_payment");
  EXPECT_EQ(count("SELECT COUNT(*) FROM order_answers"), 0);  // nothing stored twice
  const auto stored = svc_->answer_for(req.order_id);
  ASSERT_TRUE(stored);
  EXPECT_EQ(stored->body, first.body);
  EXPECT_EQ(stored->device_id, "kiosk-1");
  EXPECT_FALSE(svc_->answer_for("00000000-0000-4000-8000-0000000000ff"));
  // Its history: the creation (from the orders row, schema v15), then the payment, once each.
  auto h = store_->orders().history(req.order_id);
  ASSERT_EQ(h.size(), 2u);
  EXPECT_FALSE(h[0].from.has_value());
  EXPECT_EQ(h[0].actor, "device:kiosk-1");
  EXPECT_EQ(h[1].to, protocol::order_state::paid);
  EXPECT_EQ(count("SELECT COUNT(*) FROM order_state_history"), 1);  // only the payment is a row
  {
    // A creation row stored by a build between migrations 14 and 15 is not shown twice.
    sqlite::connection db(database_path(dir_.str()));
    db.prepare("INSERT INTO order_state_history(order_id, step, from_state, to_state, actor, at_ms) "
               "VALUES (?, 0, NULL, 'pending_payment', 'device:kiosk-1', 0)")
        .bind(1, req.order_id)
        .run();
  }
  EXPECT_EQ(store_->orders().history(req.order_id).size(), 2u);
}

TEST_F(placement_test, what_a_hub_before_schema_14_stored_is_replayed_and_its_numbers_continue) {
  clock_.now = std::chrono::sys_days{std::chrono::year{2026} / 11 / 22} + std::chrono::hours(12);
  auto num = [&](const placement& p) { return body(p)["number"].get<std::string>(); };
  const auto old_req = make_order({{"coffee", 1}});
  const auto old = svc_->place("kiosk-1", old_req);
  ASSERT_TRUE(old.accepted);
  {
    // As migration 14 finds an older hub's database: the acceptance in order_answers, the
    // order without request_fp, today's counter in order_counters (at 5), none in the row.
    sqlite::connection db(database_path(dir_.str()));
    db.prepare("INSERT INTO order_answers(order_id, device_id, type, body, fingerprint, created_at_ms) "
               "VALUES (?, 'kiosk-1', 'order.accepted', ?, ?, 0)")
        .bind(1, old_req.order_id)
        .bind(2, old.body)
        .bind(3, request_fingerprint(old_req))
        .run();
    db.exec("UPDATE orders SET request_fp = NULL");
    db.exec("UPDATE businesses SET counter_day = '', counter_seq = 0");
    db.exec("INSERT INTO order_counters(business_id, day, last_seq) VALUES ('" + std::string(test::biz) +
            "', '2026-11-22', 5) ON CONFLICT DO UPDATE SET last_seq = 5");
  }
  const auto again = svc_->place("kiosk-1", old_req);
  EXPECT_TRUE(again.duplicate);
  EXPECT_EQ(again.body, old.body);
  EXPECT_EQ(num(svc_->place("kiosk-1", make_order({{"coffee", 1}}))), "A-006");
  EXPECT_EQ(num(svc_->place("kiosk-1", make_order({{"coffee", 1}}))), "A-007");
  clock_.now += std::chrono::hours(24);  // the next day starts at 1; the finished day is kept
  EXPECT_EQ(num(svc_->place("kiosk-1", make_order({{"coffee", 1}}))), "A-001");
  EXPECT_EQ(count("SELECT last_seq FROM order_counters WHERE day = '2026-11-22'"), 7);
  clock_.now -= std::chrono::hours(24);  // the clock (or the store's time zone) goes back a day
  EXPECT_EQ(num(svc_->place("kiosk-1", make_order({{"coffee", 1}}))), "A-008");
  clock_.now += std::chrono::hours(24);
  EXPECT_EQ(num(svc_->place("kiosk-1", make_order({{"coffee", 1}}))), "A-002");
}

TEST_F(placement_test, eta_grows_with_the_queue) {
  auto eta = [&] {
    auto p = svc_->place("kiosk-1", make_order({{"coffee", 1}}));
    return *protocol::parse_rfc3339(body(p)["eta"].get<std::string>()) - clock_.now;
  };
  EXPECT_EQ(eta(), std::chrono::seconds(300));
  EXPECT_EQ(eta(), std::chrono::seconds(360));
  EXPECT_EQ(eta(), std::chrono::seconds(420));
}


namespace kh::hub {
namespace {

// One device could hold tracked stock in unpaid orders until they expire; past the cap its next
// order is answered hold_limit (retryable, not stored) and the shelf stays for the others.
TEST(placement_hold, a_device_cannot_hold_more_than_the_cap_in_unpaid_orders) {
  test::temp_dir dir;
  auto s = open_sqlite_store(database_path(dir.str()));
  test::seed_small(*s);
  {
    auto tx = s->begin();
    s->catalog().set_stock(biz, "bun", 100, 0);
    tx->commit();
  }
  test::manual_clock clock;
  order_service svc(*s, clock.fn());
  svc.set_unpaid_hold_limit(10);
  ASSERT_TRUE(svc.place("kiosk-1", make_order({{"bun", 6}})).accepted);
  ASSERT_TRUE(svc.place("kiosk-1", make_order({{"bun", 3}, {"coffee", 50}})).accepted) << "untracked items do not count";
  const auto req = make_order({{"bun", 2}});
  const auto p = svc.place("kiosk-1", req);
  EXPECT_FALSE(p.accepted);
  EXPECT_EQ(p.code, code::hold_limit);
  EXPECT_FALSE(p.stored);
  EXPECT_FALSE(s->answers().find(req.order_id).has_value());
  const auto b = nlohmann::json::parse(p.body);
  EXPECT_EQ(b["details"]["held"], 9);
  EXPECT_EQ(b["details"]["limit"], 10);
  EXPECT_EQ(stock_of(*s, "bun"), 91);
  EXPECT_TRUE(svc.place("kiosk-2", make_order({{"bun", 2}})).accepted) << "another device is not held back";
  // Paying (or expiry) frees the hold: the same order_id, resent, now goes through.
  auto pending = s->orders().in_state_before(protocol::order_state::pending_payment, to_ms(clock.now) + 1, 10);
  for (const auto& id : pending) ASSERT_TRUE(svc.transition(id, protocol::order_state::paid, "test"));
  EXPECT_TRUE(svc.place("kiosk-1", req).accepted);
}

}  // namespace
}  // namespace kh::hub

// A new order's order.status is built from what placement holds, not read back from the database
// (five statements fewer per order): it must be exactly what a reader of the database builds
// (screens' orders.sync, the dashboard), and what is stored in order_events must be the bytes
// published.
TEST(placement_event, the_new_order_event_is_what_a_reader_of_the_database_builds) {
  test::temp_dir dir;
  auto s = open_sqlite_store(database_path(dir.str()));
  seed_demo(*s);
  const auto bid = s->businesses().all().at(0).id;
  {
    auto tx = s->begin();
    s->devices().insert({"web-" + bid, bid, "Phone shop", protocol::device_mode::shop, true, false, std::nullopt, ""},
                        0);
    tx->commit();
  }
  test::manual_clock clock;
  order_service svc(*s, clock.fn());
  std::vector<std::pair<std::string, protocol::order_submit>> reqs;
  auto add = [&](std::string device, auto fill) {
    protocol::order_submit o = make_order({});
    o.payment = protocol::payment_method::cash;
    fill(o);
    reqs.emplace_back(std::move(device), std::move(o));
  };
  add("kiosk-1", [](auto& o) { o.lines.push_back({"espresso", 1, ""}); });
  add("kiosk-1", [](auto& o) {
    o.lines.push_back({"latte", 2, "extra hot", {{"size", "l"}, {"milk", "oat"}}});
    o.lines.push_back({"espresso", 1, ""});
    o.lines.push_back({"cappuccino", 1, "", {{"milk", "soy"}}});
    o.cust.name = "Ana";
  });
  add("kiosk-1", [](auto& o) {
    o.type = protocol::order_type::eat_in;
    o.lines.push_back({"espresso", 1, "Table 12"});
  });
  add("web-" + bid, [](auto& o) {
    o.type = protocol::order_type::eat_in;
    o.lines.push_back({"latte", 1, "", {{"size", "m"}}});
  });
  std::int64_t last_seq = svc.events().last_seq(bid);
  std::int64_t queue = s->businesses().find(bid)->active_orders;
  for (const auto& [device, req] : reqs) {
    const auto p = svc.place(device, req);
    ASSERT_TRUE(p.accepted) << p.body;
    ASSERT_TRUE(p.status.has_value());
    const auto read_back = svc.events().open_order(req.order_id);
    ASSERT_TRUE(read_back.has_value());
    EXPECT_EQ(p.status->order, *read_back) << req.order_id;
    EXPECT_EQ(p.status->seq, last_seq + 1);
    last_seq = *p.status->seq;
    EXPECT_EQ(svc.events().last_seq(bid), last_seq);
    EXPECT_EQ(s->businesses().find(bid)->active_orders, ++queue);  // counted in the seq's UPDATE
    const auto stored = svc.events().since(bid, last_seq - 1, 1);
    ASSERT_EQ(stored.size(), 1u);
    EXPECT_EQ(stored[0].body, p.status_body);
    EXPECT_EQ(p.status_body, protocol::to_json(*p.status).dump());
  }
  // The cases above did cover options, a note's table, a customer name and the phone channel.
  const auto second = svc.events().open_order(reqs[1].second.order_id);
  EXPECT_EQ(second->lines.at(0).options.size(), 2u);
  EXPECT_EQ(second->customer_name, "Ana");
  EXPECT_EQ(svc.events().open_order(reqs[2].second.order_id)->table, "12");
  EXPECT_EQ(svc.events().open_order(reqs[3].second.order_id)->channel, protocol::order_channel::phone);
}

}  // namespace
}  // namespace kh::hub

namespace kh::hub {
namespace {

// Availability windows (migration 12): breakfast on Sundays 07:00–11:00 in Paris. The test clock
// is Sunday 2026-11-22 10:00 UTC = 11:00 in Paris: just outside.
class availability_placement_test : public placement_test {
 protected:
  void SetUp() override {
    placement_test::SetUp();
    auto prof = store_->shop().profile(biz);
    ASSERT_TRUE(prof);
    prof->time_zone = "Europe/Paris";
    prof->always_open = true;
    ASSERT_TRUE(store_->shop().set_profile(biz, *prof));
    store_->shop().set_availability(biz, "bun", {{1u << 6, 7 * 60, 11 * 60}, {1u << 6, 17 * 60, 19 * 60}});
  }
};

TEST_F(availability_placement_test, a_line_outside_its_window_is_refused_and_nothing_is_written) {
  const auto p = svc_->place("kiosk-1", make_order({{"coffee", 1}, {"bun", 2}}));
  EXPECT_FALSE(p.accepted);
  EXPECT_EQ(p.code, code::not_available_now);
  EXPECT_EQ(body(p)["code"], "not_available_now");
  EXPECT_EQ(body(p)["details"]["product_id"], "bun");
  EXPECT_EQ(body(p)["details"]["from"], "17:00");  // the evening window starts later that day
  EXPECT_EQ(orders(), 0);
  EXPECT_EQ(count("SELECT COUNT(*) FROM order_lines"), 0);
  EXPECT_EQ(stock_of(*store_, "bun"), 5);
  EXPECT_FALSE(p.stock_changed);
  // Products without windows are unaffected.
  EXPECT_TRUE(svc_->place("kiosk-1", make_order({{"coffee", 1}})).accepted);
}

TEST_F(availability_placement_test, inside_the_window_in_local_time_the_order_is_accepted) {
  clock_.now -= std::chrono::minutes(1);  // 10:59 in Paris (09:59 UTC)
  const auto p = svc_->place("kiosk-1", make_order({{"bun", 2}}));
  ASSERT_TRUE(p.accepted) << p.body;
  EXPECT_EQ(stock_of(*store_, "bun"), 3);
}

TEST_F(availability_placement_test, the_quote_reports_it_on_the_line_and_leaves_the_line_out_of_the_total) {
  protocol::order_quote q;
  q.quote_id = protocol::new_uuid();
  q.lines = {{"coffee", 1, "", {}}, {"bun", 1, "", {}}};
  auto r = quote_order(*store_, "kiosk-1", q, clock_.now);
  ASSERT_TRUE(r.ok()) << r.error().message;
  EXPECT_FALSE(r->ok);
  EXPECT_TRUE(r->lines[0].problems.empty());
  ASSERT_EQ(r->lines[1].problems.size(), 1u);
  EXPECT_EQ(r->lines[1].problems[0].code, code::not_available_now);
  EXPECT_EQ(r->lines[1].problems[0].details["from"], "17:00");
  EXPECT_EQ(r->subtotal.amount, 300);
  r = quote_order(*store_, "kiosk-1", q, clock_.now - std::chrono::minutes(1));
  ASSERT_TRUE(r.ok());
  EXPECT_TRUE(r->ok);
  EXPECT_EQ(r->subtotal.amount, 500);
}

TEST_F(availability_placement_test, the_catalog_carries_the_windows) {
  const auto c = load_catalog(*store_, biz);
  ASSERT_TRUE(c);
  const auto* bun = c->find_product("bun");
  ASSERT_NE(bun, nullptr);
  ASSERT_EQ(bun->availability.size(), 2u);
  EXPECT_EQ(bun->availability[0].until_minute, 660);
  EXPECT_TRUE(c->find_product("coffee")->availability.empty());
}

}  // namespace
}  // namespace kh::hub
