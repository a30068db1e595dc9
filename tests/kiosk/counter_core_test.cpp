// The counter's core: lanes, one touch per step, cash with the hub's change, cancel behind the
// staff PIN with a reason, ticket scans (collected / already collected / not ready / other
// business), routing and the "all day" counts, the new-order tone, age colours, resync.

#include <gtest/gtest.h>

#include <optional>

#include "kh/kiosk/core/counter.hpp"
#include "modes_fixture.hpp"

using namespace kh::kiosk;
using namespace kh::kiosk::counter;
using st = kh::protocol::order_state;
using kind = action::kind;

namespace {

// A copy (effects usually come from a temporary vector).
template <class E>
std::optional<E> find(const std::vector<effect>& fx) {
  for (const auto& f : fx)
    if (const auto* e = std::get_if<E>(&f)) return *e;
  return std::nullopt;
}

std::vector<std::string> lane_numbers(const state& s, lane l) {
  std::vector<std::string> v;
  for (const auto* o : lane_orders(s, l)) v.push_back(o->number);
  return v;
}

state synced(std::vector<feed_order> orders) {
  state s;
  s.cfg.business_id = "b-cafe";
  step(s, events::connection{true}, 0);
  step(s, events::snapshot{10, std::move(orders)}, 0);
  return s;
}

}  // namespace

TEST(counter_core, orders_sit_in_their_lanes_and_card_payments_awaiting_the_terminal_do_not_show) {
  auto card_pending = test::make_order(5, st::pending_payment);
  card_pending.payment = kh::protocol::payment_method::card_present;
  auto cash_pending = test::make_order(1, st::pending_payment);
  cash_pending.payment = kh::protocol::payment_method::cash;
  auto s = synced({cash_pending, test::make_order(2, st::paid), test::make_order(3, st::preparing),
                   test::make_order(4, st::ready), card_pending});
  EXPECT_EQ(lane_numbers(s, lane::to_pay), (std::vector<std::string>{"A-001"}));
  EXPECT_EQ(lane_numbers(s, lane::paid), (std::vector<std::string>{"A-002"}));
  EXPECT_EQ(lane_numbers(s, lane::preparing), (std::vector<std::string>{"A-003"}));
  EXPECT_EQ(lane_numbers(s, lane::ready), (std::vector<std::string>{"A-004"}));
}

TEST(counter_core, one_touch_advances_an_order_and_the_button_waits_for_the_hub) {
  auto s = synced({test::make_order(2, st::paid)});
  const auto id = test::uuid_for(2);
  auto fx = step(s, events::tap{{kind::advance, id, st::preparing}}, 0);
  const auto adv = find<effects::advance>(fx);
  ASSERT_TRUE(adv);
  EXPECT_EQ(adv->order_id, id);
  EXPECT_EQ(adv->to, st::preparing);
  EXPECT_TRUE(s.pending.count(id));
  EXPECT_TRUE(step(s, events::tap{{kind::advance, id, st::preparing}}, 0).empty()) << "no double send";
  step(s, events::status{11, test::make_order(2, st::preparing)}, 0);
  EXPECT_FALSE(s.pending.count(id));
  EXPECT_EQ(lane_numbers(s, lane::preparing), (std::vector<std::string>{"A-002"}));
  // Offline: nothing is sent, staff are told.
  step(s, events::connection{false}, 0);
  EXPECT_TRUE(step(s, events::tap{{kind::advance, id, st::ready}}, 0).empty());
  EXPECT_EQ(s.note.key, "counter.offline");
}

TEST(counter_core, cash_shows_tendered_and_the_hubs_change_and_refuses_less_than_the_total) {
  auto o = test::make_order(1, st::pending_payment);
  o.payment = kh::protocol::payment_method::cash;
  o.total = {360, "EUR"};
  auto s = synced({o});
  step(s, events::tap{{kind::take_cash, o.order_id}}, 0);
  EXPECT_EQ(s.open, dialog::cash);
  step(s, events::tap{{kind::digit, {}, st::paid, "3"}}, 0);
  step(s, events::tap{{kind::digit, {}, st::paid, "0"}}, 0);
  step(s, events::tap{{kind::digit, {}, st::paid, "0"}}, 0);
  EXPECT_EQ(find<effects::take_cash>(step(s, events::tap{{kind::confirm}}, 0)), std::nullopt);
  EXPECT_EQ(s.note.key, "counter.cash_short");
  step(s, events::tap{{kind::quick_cash, {}, st::paid, {}, 2000}}, 0);
  const auto fx = step(s, events::tap{{kind::confirm}}, 0);
  const auto tc = find<effects::take_cash>(fx);
  ASSERT_TRUE(tc);
  EXPECT_EQ(tc->tendered.amount, 2000);
  answer a{answer::kind::cash, o.order_id, "A-001", true};
  a.state = st::paid;
  a.tendered = {2000, "EUR"};
  a.change = {1640, "EUR"};
  step(s, events::answered{a}, 0);
  EXPECT_EQ(s.open, dialog::cash_done);
  EXPECT_EQ(s.change.amount, 1640);
  EXPECT_EQ(s.tendered.amount, 2000);
  EXPECT_EQ(quick_amounts(360), (std::vector<std::int64_t>{360, 500, 1000, 2000, 5000}));
  EXPECT_EQ(quick_amounts(1000), (std::vector<std::int64_t>{1000, 2000, 5000}));
}

TEST(counter_core, cancel_needs_the_staff_pin_then_a_reason) {
  auto s = synced({test::make_order(2, st::paid)});
  const auto id = test::uuid_for(2);
  step(s, events::tap{{kind::open_detail, id}}, 0);
  EXPECT_EQ(s.open, dialog::detail);
  step(s, events::tap{{kind::cancel_order}}, 0);
  EXPECT_EQ(s.open, dialog::cancel_pin);
  step(s, events::tap{{kind::reason, id, st::cancelled, "mistake"}}, 0);
  EXPECT_EQ(s.open, dialog::cancel_pin) << "no reason before the PIN";
  for (const char* d : {"1", "2", "3", "4"}) step(s, events::tap{{kind::digit, {}, st::paid, d}}, 0);
  const auto v = find<effects::verify_pin>(step(s, events::tap{{kind::confirm}}, 0));
  ASSERT_TRUE(v);
  EXPECT_EQ(v->pin, "1234");
  step(s, events::pin_result{false}, 0);
  EXPECT_EQ(s.open, dialog::cancel_pin);
  EXPECT_EQ(s.note.key, "counter.wrong_pin");
  step(s, events::pin_result{true}, 0);
  EXPECT_EQ(s.open, dialog::cancel_reason);
  EXPECT_TRUE(step(s, events::tap{{kind::reason, id, st::cancelled, "because"}}, 0).empty()) << "unknown reason";
  const auto c = find<effects::cancel>(step(s, events::tap{{kind::reason, id, st::cancelled, "out_of_stock"}}, 0));
  ASSERT_TRUE(c);
  EXPECT_EQ(c->order_id, id);
  EXPECT_EQ(c->reason, "out_of_stock");
  EXPECT_EQ(s.open, dialog::none);
}

TEST(counter_core, scanning_a_ready_ticket_collects_once_and_a_second_scan_says_when_and_where) {
  auto s = synced({test::make_order(4, st::ready), test::make_order(3, st::preparing)});
  const auto id = test::uuid_for(4);
  const std::string payload = id;
  const auto c = find<effects::collect>(step(s, events::scan{payload}, 0));
  ASSERT_TRUE(c);
  EXPECT_EQ(c->order_id, id);
  EXPECT_EQ(c->payload, payload);
  EXPECT_TRUE(step(s, events::scan{payload}, 10).empty()) << "the same ticket held in view: one request";
  answer ok{answer::kind::collect, id, "A-004", true};
  ok.state = st::collected;
  step(s, events::answered{ok}, 100);
  EXPECT_EQ(s.note.how, notice::kind::ok);
  EXPECT_EQ(s.note.key, "counter.collected");
  step(s, events::status{11, [&] { auto o = test::make_order(4, st::collected); return o; }()}, 100);
  EXPECT_TRUE(lane_numbers(s, lane::ready).empty());
  // Second scan: this counter no longer has the order; the hub says who collected it and when.
  ASSERT_NE(find<effects::collect>(step(s, events::scan{payload}, 200)), std::nullopt);
  answer again{answer::kind::collect, id, "A-004", false, "already_collected"};
  again.at_hhmm = "12:41";
  again.by_device = "counter-1";
  step(s, events::answered{again}, 300);
  EXPECT_EQ(s.note.how, notice::kind::error);
  EXPECT_EQ(s.note.key, "counter.already_collected");
  EXPECT_EQ(s.note.args, (std::vector<std::string>{"A-004", "12:41", "counter-1"}));
  // The notice goes after a while.
  step(s, events::tick{}, 300 + s.cfg.notice_ms);
  EXPECT_TRUE(s.note.key.empty());
}

TEST(counter_core, not_ready_other_business_and_non_ticket_scans_are_refused_without_a_collect) {
  auto s = synced({test::make_order(3, st::preparing)});
  auto fx = step(s, events::scan{test::uuid_for(3)}, 0);
  EXPECT_EQ(find<effects::collect>(fx), std::nullopt);
  EXPECT_EQ(s.note.key, "counter.not_ready");
  EXPECT_EQ(s.note.args, (std::vector<std::string>{"A-003"}));
  EXPECT_EQ(find<effects::collect>(step(s, events::scan{"http://127.0.0.1:8080/o/" + test::uuid_for(3)}, 0)), std::nullopt)
      << "the receipt's tracking QR names the same order";
  EXPECT_EQ(s.note.key, "counter.not_ready");
  fx = step(s, events::scan{"4006381333931"}, 0);
  EXPECT_EQ(find<effects::collect>(fx), std::nullopt);
  EXPECT_EQ(s.note.key, "counter.not_a_ticket");
  // An order this counter does not know goes to the hub, which refuses another business' order.
  ASSERT_NE(find<effects::collect>(step(s, events::scan{test::uuid_for(77)}, 0)), std::nullopt);
  step(s, events::answered{{answer::kind::collect, test::uuid_for(77), "", false, "forbidden"}}, 0);
  EXPECT_EQ(s.note.key, "counter.other_business");
  EXPECT_EQ(parse_ticket("  " + test::uuid_for(1) + "\n").order_id, test::uuid_for(1));
  EXPECT_EQ(parse_ticket("00000000-0000-4000-8000-00000000000A").order_id, "00000000-0000-4000-8000-00000000000a");
  EXPECT_EQ(parse_ticket("http://x/p/" + test::uuid_for(1)).order_id, "");
  EXPECT_EQ(parse_ticket("not-a-uuid").order_id, "");
}

TEST(counter_core, routing_shows_only_its_categories_and_all_day_counts_what_is_to_make) {
  auto s = synced({test::make_order(2, st::paid), test::make_order(3, st::preparing),
                   test::make_order(6, st::preparing), test::make_order(4, st::ready)});
  // All: lattes 1 (A-002) + 2 (A-003) + 1 (A-006) = 4; croissants A-002, A-006 = 2.
  EXPECT_EQ(all_day(s), (std::vector<std::pair<std::string, int>>{{"Latte", 4}, {"Croissant", 2}}));
  s.cfg.categories = {"c-bakery"};
  EXPECT_EQ(all_day(s), (std::vector<std::pair<std::string, int>>{{"Croissant", 2}}));
  EXPECT_EQ(lane_numbers(s, lane::preparing), (std::vector<std::string>{"A-006"})) << "A-003 has no bakery line";
  const auto* o = s.feed.find(test::uuid_for(2));
  ASSERT_NE(o, nullptr);
  const auto lines = routed_lines(s.cfg, *o);
  ASSERT_EQ(lines.size(), 1u);
  EXPECT_EQ(lines[0]->name, "Croissant");
}

TEST(counter_core, a_new_order_plays_one_tone_but_the_start_snapshot_and_other_stations_do_not) {
  state s;
  step(s, events::connection{true}, 0);
  EXPECT_EQ(find<effects::tone>(step(s, events::snapshot{1, {test::make_order(2, st::paid)}}, 0)), std::nullopt);
  EXPECT_NE(find<effects::tone>(step(s, events::status{2, test::make_order(8, st::paid)}, 0)), std::nullopt);
  EXPECT_EQ(find<effects::tone>(step(s, events::status{3, test::make_order(8, st::preparing)}, 0)), std::nullopt)
      << "same order moving on";
  s.cfg.categories = {"c-bakery"};
  EXPECT_EQ(find<effects::tone>(step(s, events::status{4, test::make_order(9, st::paid)}, 0)), std::nullopt)
      << "A-009 has no bakery line";
  EXPECT_EQ(s.tones, 1);
}

TEST(counter_core, age_turns_amber_then_red_at_the_thresholds_and_a_gap_resyncs) {
  auto s = synced({test::make_order(2, st::paid, 1'000)});
  s.cfg.amber_ms = 300'000;
  s.cfg.red_ms = 600'000;
  const auto* o = s.feed.find(test::uuid_for(2));
  EXPECT_EQ(age_of(s, *o, 1'000 + 299'999), age_level::fresh);
  EXPECT_EQ(age_of(s, *o, 1'000 + 300'000), age_level::amber);
  EXPECT_EQ(age_of(s, *o, 1'000 + 600'000), age_level::red);
  EXPECT_NE(find<effects::request_snapshot>(step(s, events::status{13, test::make_order(5, st::paid)}, 0)), std::nullopt);
}

TEST(counter_core, age_thresholds_come_from_the_store_profile_and_the_flags_override_them) {
  settings c;
  apply_age_thresholds(c, {});
  EXPECT_EQ(c.amber_ms, 300'000) << "no profile, no flags: 5 min";
  EXPECT_EQ(c.red_ms, 600'000);
  apply_age_thresholds(c, {.profile_amber_s = 120, .profile_red_s = 240});
  EXPECT_EQ(c.amber_ms, 120'000) << "the business' own thresholds";
  EXPECT_EQ(c.red_ms, 240'000);
  apply_age_thresholds(c, {.flag_amber_s = 60, .profile_amber_s = 120, .profile_red_s = 240});
  EXPECT_EQ(c.amber_ms, 60'000) << "a flag overrides the profile";
  EXPECT_EQ(c.red_ms, 240'000) << "… only for its own threshold";
  apply_age_thresholds(c, {.flag_amber_s = 900, .profile_amber_s = 120, .profile_red_s = 240});
  EXPECT_EQ(c.red_ms, 900'000) << "red never below amber";

  auto s = synced({test::make_order(2, st::paid, 1'000)});
  apply_age_thresholds(s.cfg, {.profile_amber_s = 120, .profile_red_s = 240});
  const auto* o = s.feed.find(test::uuid_for(2));
  EXPECT_EQ(age_of(s, *o, 1'000 + 119'999), age_level::fresh);
  EXPECT_EQ(age_of(s, *o, 1'000 + 120'000), age_level::amber);
  EXPECT_EQ(age_of(s, *o, 1'000 + 240'000), age_level::red);
}
