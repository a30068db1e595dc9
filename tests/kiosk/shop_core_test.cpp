// The shop's pure state machine: transitions, option rules, idle, offline, exactly-once printing
// effects; and the print journal on a real SQLite file.

#include <gtest/gtest.h>

#include "kh/kiosk/core/shop.hpp"
#include "kh/kiosk/print/journal.hpp"
#include "kh/test/support.hpp"
#include "shop_fixture.hpp"

using namespace kh::kiosk;
using namespace kh::kiosk::shop;

namespace {
std::vector<effect> tap(state& s, action_kind k, std::string arg = {}, std::int64_t now = 1000) {
  return step(s, events::tap{{k, std::move(arg)}}, now);
}
state fresh(bool online = true) {
  state s;
  s.catalog = std::make_shared<catalog_view>(shop_testing::cafe_catalog());
  s.online = online;
  s.pickup_slots = {"12:15", "12:30"};
  return s;
}
template <class T>
const T* find_effect(const std::vector<effect>& fx) {
  for (const auto& f : fx)
    if (const auto* p = std::get_if<T>(&f)) return p;
  return nullptr;
}
}  // namespace

TEST(shop_core, the_whole_journey_from_attract_to_rating_and_back) {
  auto s = fresh();
  tap(s, action_kind::start);
  EXPECT_EQ(s.current, screen::menu);
  tap(s, action_kind::open_product, "p-latte");
  ASSERT_EQ(s.current, screen::product);
  // The size group's preselected "medium" is chosen already; the latte costs 3.60 + 0.40.
  EXPECT_EQ(draft_unit_price(s).amount, 400);
  tap(s, action_kind::option, "milk/oat");
  tap(s, action_kind::qty_plus);
  EXPECT_EQ(draft_unit_price(s).amount, 440);
  tap(s, action_kind::add_to_cart);
  EXPECT_EQ(s.current, screen::menu);
  ASSERT_EQ(s.cart.lines().size(), 1u);
  EXPECT_EQ(s.cart.lines()[0].qty, 2);
  EXPECT_EQ(s.cart.lines()[0].unit_price.amount, 440);
  EXPECT_EQ(s.cart.order_lines()[0].options.size(), 2u);
  tap(s, action_kind::open_cart);
  EXPECT_EQ(s.current, screen::cart);
  tap(s, action_kind::checkout);
  EXPECT_EQ(s.current, screen::order_type);
  tap(s, action_kind::order_type, "pickup");
  tap(s, action_kind::continue_);
  EXPECT_EQ(s.current, screen::order_type) << "a pickup needs a slot";
  EXPECT_EQ(s.notice, "notice.need_slot");
  tap(s, action_kind::pickup_slot, "12:30");
  tap(s, action_kind::continue_);
  EXPECT_EQ(s.current, screen::payment);
  EXPECT_TRUE(tap(s, action_kind::pay, "card_present").empty()) << "card is not offered";
  auto fx = tap(s, action_kind::pay, "cash");
  ASSERT_NE(find_effect<effects::submit>(fx), nullptr);
  EXPECT_EQ(find_effect<effects::submit>(fx)->pickup_slot, "12:30");
  EXPECT_EQ(s.current, screen::processing);
  step(s, events::queued{"o-1"}, 1100);
  fx = step(s, events::accepted{"o-1", "A-042", "12:40", "https://x/o/o-1", {880, "EUR"}}, 1200);
  EXPECT_EQ(s.current, screen::confirmation);
  EXPECT_EQ(s.number, "A-042");
  ASSERT_NE(find_effect<effects::print_order>(fx), nullptr);
  // The same answer again (the hub re-sends) prints nothing more.
  EXPECT_EQ(find_effect<effects::print_order>(step(s, events::accepted{"o-1", "A-042", "", "", {}}, 1300)), nullptr);
  tap(s, action_kind::new_order);
  EXPECT_EQ(s.current, screen::rating);
  fx = tap(s, action_kind::rate, "5");
  ASSERT_NE(find_effect<effects::feedback>(fx), nullptr);
  EXPECT_EQ(find_effect<effects::feedback>(fx)->order_id, "o-1");
  EXPECT_EQ(s.current, screen::attract);
  EXPECT_TRUE(s.cart.empty());
}

TEST(shop_core, option_rules_required_single_and_max_choices) {
  auto s = fresh();
  tap(s, action_kind::start);
  tap(s, action_kind::open_product, "p-latte");
  tap(s, action_kind::option, "size/m");  // tapping the chosen required single choice keeps it
  EXPECT_TRUE(draft_complete(s));
  tap(s, action_kind::option, "size/l");  // single choice: replaces medium
  EXPECT_EQ(std::count_if(s.draft.options.begin(), s.draft.options.end(), [](auto& o) { return o.group_id == "size"; }), 1);
  tap(s, action_kind::option, "milk/soy");  // unavailable: ignored
  EXPECT_EQ(std::count_if(s.draft.options.begin(), s.draft.options.end(), [](auto& o) { return o.group_id == "milk"; }), 0);
  for (const char* e : {"extras/shot", "extras/vanilla", "extras/cream"}) tap(s, action_kind::option, e);
  tap(s, action_kind::option, "extras/cinnamon");  // a fourth extra: max is 3
  EXPECT_EQ(s.notice, "notice.max_choices");
  EXPECT_EQ(std::count_if(s.draft.options.begin(), s.draft.options.end(), [](auto& o) { return o.group_id == "extras"; }), 3);
  tap(s, action_kind::option, "nope/x");  // unknown group: ignored
  tap(s, action_kind::option, "extras/shot");  // an optional choice toggles off
  EXPECT_EQ(std::count_if(s.draft.options.begin(), s.draft.options.end(), [](auto& o) { return o.group_id == "extras"; }), 2);
}

TEST(shop_core, sold_out_products_cannot_be_opened_and_a_product_that_sells_out_closes) {
  auto s = fresh();
  tap(s, action_kind::start);
  tap(s, action_kind::open_product, "p-tea");  // sold out in the fixture
  EXPECT_EQ(s.current, screen::menu);
  tap(s, action_kind::open_product, "p-croissant");
  ASSERT_EQ(s.current, screen::product);
  auto c = shop_testing::cafe_catalog();
  for (auto& p : c.products) if (p.id == "p-croissant") p.available = false;
  step(s, events::catalog{std::make_shared<catalog_view>(c)}, 2000);
  EXPECT_EQ(s.current, screen::menu);
  EXPECT_EQ(s.notice, "notice.sold_out");
}

TEST(shop_core, idle_asks_still_there_then_clears_the_cart) {
  auto s = fresh();
  timings t;
  t.idle_ms = 10'000;
  t.still_there_ms = 5'000;
  step(s, events::tap{{action_kind::start, ""}}, 0, t);
  step(s, events::tap{{action_kind::open_product, "p-croissant"}}, 0, t);
  step(s, events::tap{{action_kind::add_to_cart, ""}}, 0, t);
  step(s, events::tick{}, 9'999, t);
  EXPECT_EQ(s.current, screen::menu);
  step(s, events::tick{}, 10'000, t);
  EXPECT_EQ(s.current, screen::still_there);
  step(s, events::tap{{action_kind::still_here, ""}}, 12'000, t);
  EXPECT_EQ(s.current, screen::menu) << "back where the customer was";
  EXPECT_FALSE(s.cart.empty());
  step(s, events::tick{}, 22'000, t);
  EXPECT_EQ(s.current, screen::still_there);
  step(s, events::tick{}, 27'000, t);
  EXPECT_EQ(s.current, screen::attract);
  EXPECT_TRUE(s.cart.empty());
}

TEST(shop_core, offline_only_counter_payment_and_a_local_number_prints_the_ticket) {
  auto s = fresh(false);
  tap(s, action_kind::start);
  tap(s, action_kind::open_product, "p-croissant");
  tap(s, action_kind::add_to_cart);
  tap(s, action_kind::open_cart);
  tap(s, action_kind::checkout);
  tap(s, action_kind::order_type, "takeaway");
  tap(s, action_kind::continue_);
  s.payments_offered = {kh::protocol::payment_method::card_present, kh::protocol::payment_method::cash};
  EXPECT_TRUE(tap(s, action_kind::pay, "card_present").empty()) << "no card while offline";
  ASSERT_NE(find_effect<effects::submit>(tap(s, action_kind::pay, "cash")), nullptr);
  step(s, events::queued{"o-9"}, 1100);
  auto fx = step(s, events::local_number{"o-9", "K1-007"}, 1200);
  EXPECT_EQ(s.current, screen::confirmation);
  EXPECT_TRUE(s.local_number);
  ASSERT_NE(find_effect<effects::print_order>(fx), nullptr);
  // The hub's later answer keeps the screen, prints nothing twice.
  fx = step(s, events::accepted{"o-9", "K1-007", "", "", {}}, 5000);
  EXPECT_EQ(find_effect<effects::print_order>(fx), nullptr);
  step(s, events::printed{"o-9", kh::protocol::printer_state::paper_out, false}, 5100);
  EXPECT_TRUE(s.ticket_failed);
}

TEST(shop_core, scans_add_products_apply_codes_and_load_carts_all_or_nothing) {
  auto s = fresh();
  step(s, events::scan{"4006381333931"}, 1000);  // the espresso's EAN
  EXPECT_EQ(s.current, screen::menu);
  ASSERT_EQ(s.cart.lines().size(), 1u);
  step(s, events::scan{"khd:WELCOME10"}, 1100);
  EXPECT_EQ(s.discount_code, "WELCOME10");
  step(s, events::scan{"khc:1:p-croissant*2,p-nothere*1"}, 1200);
  EXPECT_EQ(s.notice, "notice.bad_code");
  EXPECT_EQ(s.cart.lines().size(), 1u) << "a bad cart code changes nothing";
  step(s, events::scan{"khc:1:p-croissant*2,p-painchoc*1"}, 1300);
  EXPECT_EQ(s.current, screen::cart);
  EXPECT_EQ(s.cart.lines().size(), 2u);
  step(s, events::scan{"unknown-thing"}, 1400);
  EXPECT_EQ(s.notice, "notice.unknown_code");
}

TEST(shop_core, a_version_2_cart_code_loads_lines_with_their_options) {
  auto s = fresh();
  step(s, events::scan{"khc:2:p-latte*2/size=zz,p-croissant*1"}, 1000);  // no such size
  EXPECT_EQ(s.notice, "notice.bad_code");
  EXPECT_TRUE(s.cart.empty()) << "a bad cart code changes nothing";
  step(s, events::scan{"khc:2:p-latte*2/size=m/milk=oat,p-croissant*1"}, 1100);
  EXPECT_EQ(s.current, screen::cart);
  ASSERT_EQ(s.cart.lines().size(), 2u);
  EXPECT_EQ(s.cart.lines()[0].qty, 2);
  EXPECT_EQ(s.cart.lines()[0].unit_price.amount, 440);  // 3.60 + medium 0.40 + oat 0.40, as a tap prices it
  EXPECT_EQ(s.cart.order_lines()[0].options.size(), 2u);
}

TEST(shop_core, staff_gesture_then_pin_opens_maintenance_and_a_wrong_pin_does_not) {
  auto s = fresh();
  for (int i = 0; i < 4; ++i) tap(s, action_kind::staff_corner, "", 100 * i);
  EXPECT_EQ(s.current, screen::attract);
  tap(s, action_kind::staff_corner, "", 400);
  ASSERT_EQ(s.current, screen::staff_pin);
  tap(s, action_kind::pin_digit, "1");
  tap(s, action_kind::pin_digit, "2");
  auto fx = tap(s, action_kind::key_done);
  ASSERT_NE(find_effect<effects::verify_pin>(fx), nullptr);
  EXPECT_EQ(find_effect<effects::verify_pin>(fx)->pin, "12");
  step(s, events::pin_result{false}, 600);
  EXPECT_EQ(s.current, screen::staff_pin);
  EXPECT_EQ(s.notice, "notice.wrong_pin");
  tap(s, action_kind::pin_digit, "3");
  tap(s, action_kind::key_done);
  step(s, events::pin_result{true}, 800);
  EXPECT_EQ(s.current, screen::maintenance);
  // Slow taps (more than 3 s apart) never open it.
  auto t = fresh();
  for (int i = 0; i < 10; ++i) tap(t, action_kind::staff_corner, "", 4000 * i);
  EXPECT_EQ(t.current, screen::attract);
}

TEST(shop_core, a_refused_order_shows_why_and_goes_back_to_the_kept_cart) {
  auto s = fresh();
  tap(s, action_kind::start);
  tap(s, action_kind::open_product, "p-croissant");
  tap(s, action_kind::add_to_cart);
  tap(s, action_kind::open_cart);
  tap(s, action_kind::checkout);
  tap(s, action_kind::continue_);
  tap(s, action_kind::pay, "cash");
  step(s, events::queued{"o-2"}, 1100);
  step(s, events::rejected{"o-3", "closed"}, 1150);  // someone else's answer: ignored
  EXPECT_TRUE(s.reject_code.empty());
  step(s, events::rejected{"o-2", "closed"}, 1200);
  EXPECT_EQ(s.reject_code, "closed");
  tap(s, action_kind::back);
  EXPECT_EQ(s.current, screen::cart);
  EXPECT_FALSE(s.cart.empty());
}

TEST(print_journal, each_document_prints_once_even_after_a_restart_and_a_cut_job_is_not_repeated) {
  kh::test::temp_dir dir;
  const auto file = dir.path() / "kiosk.db";
  std::error_code ec;
  {
    auto j = print_journal::open(file, ec);
    ASSERT_TRUE(j) << ec.message();
    EXPECT_EQ(j->begin("o-1", "receipt"), print_journal::claim::print);
    j->finish("o-1", "receipt", true);
    EXPECT_EQ(j->begin("o-1", "receipt"), print_journal::claim::already_printed);
    EXPECT_EQ(j->begin("o-1", "ticket"), print_journal::claim::print);
    j->finish("o-1", "ticket", false);  // paper out: may be tried again
    EXPECT_EQ(j->begin("o-1", "ticket"), print_journal::claim::print);
    // Crash here: the ticket's job is "printing".
  }
  auto j = print_journal::open(file, ec);
  ASSERT_TRUE(j);
  EXPECT_EQ(j->begin("o-1", "receipt"), print_journal::claim::already_printed);
  EXPECT_EQ(j->begin("o-1", "ticket"), print_journal::claim::uncertain);
  EXPECT_EQ(j->status("o-1", "ticket"), "uncertain");
  EXPECT_EQ(local_prefix("kiosk-1"), "K1");
  EXPECT_EQ(local_prefix("front-door"), "FRONTDOO");
  EXPECT_TRUE(kh::protocol::is_local_number(local_prefix("kiosk-12") + "-007"));
}

// ---- Quotes: the cart shows the estimate at once, the hub's order.quoted when it comes.

namespace {
// Runs a tick at `now` and answers a send_quote effect with quote_sent (as the app does); returns
// the quote sent, if any.
std::optional<kh::protocol::order_quote> tick_quote(state& s, std::int64_t now, const std::string& id) {
  for (const auto& f : step(s, events::tick{}, now)) {
    if (const auto* q = std::get_if<effects::send_quote>(&f)) {
      step(s, events::quote_sent{id, s.quote_in_flight_rev}, now);
      return q->q;
    }
  }
  return std::nullopt;
}
kh::protocol::order_quoted hub_answer(const state& s, const std::string& id, std::int64_t total) {
  auto q = kh::protocol::quote_cart(s.catalog->catalog(), quote_request(s));
  q.quote_id = id;
  q.total = {total, "EUR"};
  return q;
}
}  // namespace

TEST(shop_quote, a_cart_change_shows_the_estimate_at_once_and_one_coalesced_quote_goes_out) {
  auto s = fresh();
  tap(s, action_kind::start);
  EXPECT_EQ(s.quote.from, cart_quote::source::none) << "an empty cart has no prices";
  step(s, events::scan{"CROI"}, 1000);
  step(s, events::scan{"PCHOC"}, 1050);
  ASSERT_EQ(s.cart.lines().size(), 2u);
  EXPECT_EQ(s.quote.from, cart_quote::source::estimate);
  EXPECT_EQ(s.quote.q.total.amount, 380);
  EXPECT_EQ(s.quote.q.lines.size(), 2u);
  // Not yet: changes within the coalescing delay send one quote, after the last one.
  EXPECT_FALSE(tick_quote(s, 1100, "q-1"));
  const auto sent = tick_quote(s, 1300, "q-1");
  ASSERT_TRUE(sent);
  EXPECT_EQ(sent->lines.size(), 2u) << "the quote carries the cart as it is after both scans";
  EXPECT_EQ(sent->type, s.type);
  EXPECT_FALSE(tick_quote(s, 1400, "q-2")) << "nothing changed: no second quote";
  // The hub's answer replaces the estimate.
  step(s, events::quoted{hub_answer(s, "q-1", 370)}, 1500);
  EXPECT_EQ(s.quote.from, cart_quote::source::hub);
  EXPECT_EQ(s.quote.q.total.amount, 370);
  EXPECT_FALSE(tick_quote(s, 2000, "q-2"));
}

TEST(shop_quote, an_answer_for_an_older_cart_is_dropped_and_the_new_cart_is_quoted) {
  auto s = fresh();
  tap(s, action_kind::start);
  step(s, events::scan{"CROI"}, 1000);
  ASSERT_TRUE(tick_quote(s, 1300, "q-1"));
  step(s, events::scan{"CROI"}, 1350);  // now 2 croissants
  EXPECT_EQ(s.quote.q.total.amount, 360) << "estimate for the new cart at once";
  step(s, events::quoted{hub_answer(s, "q-1", 180)}, 1400);
  EXPECT_EQ(s.quote.from, cart_quote::source::estimate) << "q-1 priced the old cart";
  EXPECT_EQ(s.quote.q.total.amount, 360);
  const auto again = tick_quote(s, 1700, "q-2");
  ASSERT_TRUE(again);
  EXPECT_EQ(again->lines[0].qty, 2);
  step(s, events::quoted{hub_answer(s, "other", 1)}, 1750);
  EXPECT_EQ(s.quote.from, cart_quote::source::estimate) << "an unknown quote id changes nothing";
  step(s, events::quoted{hub_answer(s, "q-2", 360)}, 1800);
  EXPECT_EQ(s.quote.from, cart_quote::source::hub);
}

TEST(shop_quote, the_order_type_is_part_of_the_quote) {
  auto s = fresh();
  tap(s, action_kind::start);
  step(s, events::scan{"CROI"}, 1000);
  ASSERT_TRUE(tick_quote(s, 1300, "q-1"));
  step(s, events::quoted{hub_answer(s, "q-1", 180)}, 1400);
  tap(s, action_kind::open_cart, {}, 1500);
  tap(s, action_kind::checkout, {}, 1600);
  ASSERT_EQ(s.current, screen::order_type);
  tap(s, action_kind::order_type, "eat_in", 1700);
  EXPECT_EQ(s.quote.from, cart_quote::source::estimate) << "another order type: re-priced";
  const auto q = tick_quote(s, 2000, "q-2");
  ASSERT_TRUE(q);
  EXPECT_EQ(q->type, kh::protocol::order_type::eat_in);
}

TEST(shop_quote, offline_shows_the_estimate_and_quotes_when_back) {
  auto s = fresh(false);
  tap(s, action_kind::start);
  step(s, events::scan{"CROI"}, 1000);
  EXPECT_EQ(s.quote.from, cart_quote::source::estimate);
  EXPECT_FALSE(tick_quote(s, 2000, "q-1")) << "no quote while offline";
  const auto fx = step(s, events::connection{true}, 3000);
  ASSERT_NE(find_effect<effects::send_quote>(fx), nullptr) << "back online: the hub prices the cart at once";
  step(s, events::quote_sent{"q-1", s.quote_in_flight_rev}, 3000);
  step(s, events::quoted{hub_answer(s, "q-1", 170)}, 3100);
  EXPECT_EQ(s.quote.from, cart_quote::source::hub);
  step(s, events::connection{false}, 4000);
  EXPECT_EQ(s.quote.from, cart_quote::source::estimate) << "offline again: the estimate is shown";
  EXPECT_EQ(s.quote.q.total.amount, 180);
}

TEST(shop_quote, a_quote_lost_on_the_way_is_asked_again_after_the_timeout) {
  auto s = fresh();
  tap(s, action_kind::start);
  step(s, events::scan{"CROI"}, 1000);
  ASSERT_TRUE(tick_quote(s, 1300, "q-1"));
  EXPECT_FALSE(tick_quote(s, 3000, "q-2")) << "one quote in flight at a time";
  EXPECT_TRUE(tick_quote(s, 6400, "q-2"));
}

TEST(shop_quote, a_line_the_hub_reports_sold_out_holds_checkout_until_it_is_removed) {
  auto s = fresh();
  tap(s, action_kind::start);
  step(s, events::scan{"CROI"}, 1000);
  step(s, events::scan{"PCHOC"}, 1000);
  ASSERT_TRUE(tick_quote(s, 1300, "q-1"));
  auto answer = hub_answer(s, "q-1", 180);
  answer.ok = false;
  answer.lines[1].problems.push_back({kh::protocol::code::out_of_stock, "Pain au chocolat is sold out", {}});
  step(s, events::quoted{answer}, 1400);
  tap(s, action_kind::open_cart, {}, 1500);
  EXPECT_TRUE(cart_has_problems(s));
  tap(s, action_kind::checkout, {}, 1600);
  EXPECT_EQ(s.current, screen::cart);
  EXPECT_EQ(s.notice, "notice.fix_cart");
  tap(s, action_kind::line_remove, "1", 1700);
  EXPECT_FALSE(cart_has_problems(s));
  tap(s, action_kind::checkout, {}, 1800);
  EXPECT_EQ(s.current, screen::order_type);
}

TEST(shop_quote, the_estimate_flags_a_product_the_cached_catalog_has_sold_out) {
  auto s = fresh();
  tap(s, action_kind::start);
  step(s, events::scan{"CROI"}, 1000);
  auto c = shop_testing::cafe_catalog();
  c.version = 4;
  c.products[8].stock = 0;
  c.products[8].available = false;
  step(s, events::catalog{std::make_shared<catalog_view>(c)}, 1100);
  ASSERT_EQ(s.quote.q.lines.size(), 1u);
  ASSERT_EQ(s.quote.q.lines[0].problems.size(), 1u);
  EXPECT_EQ(s.quote.q.lines[0].problems[0].code, kh::protocol::code::out_of_stock);
  EXPECT_TRUE(tick_quote(s, 1400, "q-1")) << "a new catalog is quoted again";
}

// The café of shop_fixture in Paris, its croissant a breakfast product (daily 07:00–11:00).
static kh::protocol::catalog breakfast_cafe() {
  auto c = shop_testing::cafe_catalog();
  c.profile = kh::protocol::store_profile{};
  c.profile->time_zone = "Europe/Paris";
  for (auto& p : c.products)
    if (p.id == "p-croissant") p.availability = {{0x7Fu, 7 * 60, 11 * 60}};
  return c;
}

// Availability windows (issue 11): outside its window a product is unavailable in the kiosk's
// catalog view (the hub's rule, kh::protocol::available_at, in the store's zone): it cannot be
// opened, scanned or loaded from a cart code; inside, it can.
TEST(shop_core, a_product_outside_its_availability_window_cannot_be_opened_scanned_or_loaded) {
  const auto c = breakfast_cafe();
  // 2026-11-23 10:30 UTC = 11:30 in Paris: breakfast is over. 09:30 UTC = 10:30: still on.
  const auto after = std::chrono::sys_days{std::chrono::year{2026} / 11 / 23} + std::chrono::minutes(10 * 60 + 30);
  const auto during = after - std::chrono::hours(1);
  auto view_at = [&](std::chrono::system_clock::time_point t) {
    return std::make_shared<catalog_view>(c, [t] { return t; });
  };
  state s;
  s.online = true;
  s.catalog = view_at(after);
  const auto* croissant = s.catalog->find_id("p-croissant");
  ASSERT_NE(croissant, nullptr);
  EXPECT_TRUE(croissant->available);  // the hub's flag is about stock; the window is the view's
  EXPECT_FALSE(s.catalog->orderable(*croissant));
  EXPECT_TRUE(s.catalog->orderable(*s.catalog->find_id("p-painchoc")));

  tap(s, action_kind::start);
  tap(s, action_kind::open_product, "p-croissant");
  EXPECT_EQ(s.current, screen::menu);
  step(s, events::scan{"CROI"}, 1100);
  EXPECT_TRUE(s.cart.empty());
  step(s, events::scan{"khc:1:p-croissant*2,p-painchoc*1"}, 1200);
  EXPECT_TRUE(s.cart.empty()) << "a cart code with a product out of its window loads nothing";

  s.catalog = view_at(during);
  EXPECT_TRUE(s.catalog->orderable(*s.catalog->find_id("p-croissant")));
  tap(s, action_kind::open_product, "p-croissant", 1300);
  ASSERT_EQ(s.current, screen::product);
  // The window closes while it is open on screen: the next catalog sends the screen back.
  step(s, events::catalog{view_at(after)}, 1400);
  EXPECT_EQ(s.current, screen::menu);
}

// Offline, the kiosk's own estimate is the only check before an order is printed with a local
// number: a croissant put in the cart at 10:50 must not be ordered at 11:05 (the hub would refuse
// it, not_available_now, after the customer has the ticket).
TEST(shop_core, offline_a_line_whose_window_closed_is_flagged_and_checkout_is_held) {
  const auto c = breakfast_cafe();
  auto clock = std::make_shared<std::chrono::system_clock::time_point>(
      std::chrono::sys_days{std::chrono::year{2026} / 11 / 23} + std::chrono::minutes(9 * 60 + 50));  // 10:50 Paris
  state s;
  s.online = false;
  s.catalog = std::make_shared<catalog_view>(c, [clock] { return *clock; });
  tap(s, action_kind::start);
  step(s, events::scan{"CROI"}, 1100);
  ASSERT_FALSE(s.cart.empty());
  tap(s, action_kind::open_cart, {}, 1200);
  ASSERT_EQ(s.current, screen::cart);
  EXPECT_FALSE(cart_has_problems(s));

  *clock += std::chrono::minutes(15);  // 11:05: breakfast is over
  tap(s, action_kind::checkout, {}, 1300);
  EXPECT_EQ(s.current, screen::cart) << "held on the cart";
  EXPECT_EQ(s.notice, "notice.fix_cart");
  ASSERT_EQ(s.quote.q.lines.size(), 1u);
  ASSERT_EQ(s.quote.q.lines[0].problems.size(), 1u);
  EXPECT_EQ(s.quote.q.lines[0].problems[0].code, kh::protocol::code::not_available_now);
}
