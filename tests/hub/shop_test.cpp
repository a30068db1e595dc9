// Issue 9 on the hub: store profile (time zone with DST, order types, payment methods, pickup
// slots, delivery fee and minimum), option groups priced and validated at placement, quotes,
// offline local numbers with stock conflicts, tracking URLs, feedback, device.status, images.

#include <gtest/gtest.h>

#include "kh/hub/catalog/catalog_service.hpp"
#include "kh/hub/catalog/product_images.hpp"
#include "kh/hub/catalog/seed.hpp"
#include "kh/hub/catalog/store_profile.hpp"
#include "kh/hub/http/images.hpp"
#include "kh/hub/ingress/ingress.hpp"
#include "kh/protocol/codec.hpp"
#include "kh/protocol/ids.hpp"
#include "kh/protocol/time.hpp"
#include "test_support.hpp"

namespace kh::hub {
namespace {

using json = nlohmann::json;
using namespace std::chrono;
using test::biz;
namespace kp = protocol;

sys_seconds at(const char* rfc3339) { return floor<seconds>(*kp::parse_rfc3339(rfc3339)); }

// Paris café: Mon–Sat 07:00–19:00, pickup every 15 min with 20 min lead, delivery 2.50 from
// 15.00, eat-in with table numbers, card and cash (no wallet). Tax as seed_small (10 % incl.).
kp::store_profile paris_profile() {
  return kp::decode_store_profile(json::parse(R"({
    "time_zone": "Europe/Paris",
    "tax": {"mode": "inclusive", "rate_bp": 1000},
    "order_types": [
      {"type": "eat_in", "table_numbers": true},
      {"type": "takeaway"},
      {"type": "pickup", "slot_minutes": 15, "lead_minutes": 20},
      {"type": "delivery", "fee": {"amount": 250, "currency": "EUR"},
       "minimum": {"amount": 1500, "currency": "EUR"}, "area": "3 km"}
    ],
    "always_open": false,
    "opening_hours": [
      {"day": "mon", "opens": "07:00", "closes": "19:00"}, {"day": "tue", "opens": "07:00", "closes": "19:00"},
      {"day": "wed", "opens": "07:00", "closes": "19:00"}, {"day": "thu", "opens": "07:00", "closes": "19:00"},
      {"day": "fri", "opens": "07:00", "closes": "19:00"}, {"day": "sat", "opens": "07:00", "closes": "19:00"}
    ],
    "languages": ["fr", "en"],
    "banner": "",
    "payment_methods": ["card_present", "cash"]
  })"), "EUR").value();
}

std::vector<kp::option_group> coffee_groups() {
  return kp::decode_option_groups(json::parse(R"([
    {"id": "size", "name": "Size", "min": 1, "max": 1, "options": [
      {"id": "s", "name": "Small", "price_delta": {"amount": 0, "currency": "EUR"}, "available": true},
      {"id": "l", "name": "Large", "price_delta": {"amount": 60, "currency": "EUR"}, "available": true}]},
    {"id": "extras", "name": "Extras", "min": 0, "max": 2, "options": [
      {"id": "shot", "name": "Extra shot", "price_delta": {"amount": 50, "currency": "EUR"}, "available": true},
      {"id": "syrup", "name": "Vanilla", "price_delta": {"amount": 30, "currency": "EUR"}, "available": false},
      {"id": "cream", "name": "Cream", "price_delta": {"amount": 20, "currency": "EUR"}, "available": true}]}
  ])"), "EUR").value();
}

class shop_test : public ::testing::Test {
 protected:
  void SetUp() override {
    store_ = open_sqlite_store(database_path(dir_.str()));
    test::seed_small(*store_);
    auto tx = store_->begin();
    ASSERT_TRUE(store_->shop().set_profile(biz, paris_profile()));
    store_->shop().set_option_groups(biz, "coffee", coffee_groups());
    tx->commit();
    // Monday 2026-11-23 10:00 in Paris (CET, UTC+1).
    clock_.now = at("2026-11-23T09:00:00Z");
    svc_ = std::make_unique<order_service>(*store_, clock_.fn());
  }

  kp::order_submit order(std::vector<std::pair<std::string, int>> lines) { return test::make_order(std::move(lines)); }

  placement place(const kp::order_submit& o) { return svc_->place("kiosk-1", o); }

  static json body(const placement& p) { return json::parse(p.body); }

  kh::test::temp_dir dir_;
  std::unique_ptr<store> store_;
  test::manual_clock clock_;
  std::unique_ptr<order_service> svc_;
};

TEST_F(shop_test, the_profile_round_trips_through_storage_and_the_catalog) {
  const auto p = store_->shop().profile(biz);
  ASSERT_TRUE(p.has_value());
  EXPECT_EQ(*p, paris_profile());
  const auto cat = load_catalog(*store_, biz);
  ASSERT_TRUE(cat->profile.has_value());
  EXPECT_EQ(*cat->profile, paris_profile());
  EXPECT_EQ(cat->find_product("coffee")->option_groups, coffee_groups());
  EXPECT_TRUE(cat->find_product("bun")->option_groups.empty());
  // What devices receive decodes again (strict codec, exact shape).
  EXPECT_EQ(kp::decode_catalog(kp::to_json(*cat)).value(), *cat);
}

TEST_F(shop_test, unknown_time_zones_are_refused_before_storing) {
  auto p = paris_profile();
  EXPECT_FALSE(check_profile(p).has_value());
  p.time_zone = "Europe/Atlantis";
  const auto problem = check_profile(p);
  ASSERT_TRUE(problem.has_value());
  EXPECT_EQ(problem->details["field"], "time_zone");
  EXPECT_FALSE(is_known_time_zone("Europe/Atlantis"));
  EXPECT_TRUE(is_known_time_zone("America/Argentina/Buenos_Aires"));
}

TEST_F(shop_test, opening_hours_follow_daylight_saving_time) {
  const auto p = paris_profile();
  // 05:30Z is 06:30 in Paris before the change (CET) and 07:30 after it (CEST, 2026-03-29).
  EXPECT_FALSE(is_open(p, at("2026-03-23T05:30:00Z")));  // Monday, 06:30 CET
  EXPECT_TRUE(is_open(p, at("2026-03-30T05:30:00Z")));   // Monday, 07:30 CEST
  // Closing: 18:30Z is 19:30 CEST in summer (closed) but 18:30... in winter 19:30 CET too.
  EXPECT_TRUE(is_open(p, at("2026-07-06T16:59:00Z")));    // 18:59 CEST
  EXPECT_FALSE(is_open(p, at("2026-07-06T17:00:00Z")));   // 19:00 CEST
  EXPECT_TRUE(is_open(p, at("2026-11-23T17:59:00Z")));    // 18:59 CET
  EXPECT_FALSE(is_open(p, at("2026-11-22T10:00:00Z")));   // Sunday
  // The daily numbering uses the local day: 23:30Z on the 23rd is already the 24th in Paris.
  business_record b;
  EXPECT_EQ(business_day(b, "Europe/Paris", at("2026-11-23T23:30:00Z")), "2026-11-24");
  EXPECT_EQ(business_day(b, "", at("2026-11-23T23:30:00Z")), "2026-11-23");  // legacy offset 0
}

TEST_F(shop_test, wall_time_is_right_on_both_sides_of_a_transition_asked_back_and_forth) {
  // wall_time_in keeps each zone's current offset until its next transition: the answers must
  // be what the tz database says whichever instant was asked before, across the change, in
  // both directions, with several zones taking turns (more than the eight it keeps).
  const std::vector<std::string> zones = {"Europe/Paris",     "America/New_York", "Asia/Tokyo",
                                          "Australia/Sydney", "Europe/London",    "Asia/Kolkata",
                                          "America/Sao_Paulo", "Africa/Cairo",    "Pacific/Auckland",
                                          "Europe/Helsinki"};
  // Paris: 2026-03-29 01:00Z CET → CEST; 2026-10-25 01:00Z CEST → CET.
  const std::vector<std::pair<const char*, const char*>> paris = {
      {"2026-03-29T00:59:59Z", "2026-03-29 01:59"}, {"2026-03-29T01:00:00Z", "2026-03-29 03:00"},
      {"2026-03-28T23:30:00Z", "2026-03-29 00:30"}, {"2026-10-25T00:59:00Z", "2026-10-25 02:59"},
      {"2026-10-25T01:00:00Z", "2026-10-25 02:00"}, {"2026-03-29T01:00:00Z", "2026-03-29 03:00"},
      {"2026-10-24T22:00:00Z", "2026-10-25 00:00"}, {"2026-10-24T21:59:00Z", "2026-10-24 23:59"}};
  for (int round = 0; round < 2; ++round) {
    for (const auto& [utc, want] : paris) {
      const auto w = wall_time_in("Europe/Paris", at(utc));
      ASSERT_TRUE(w.has_value()) << utc;
      char got[32];
      std::snprintf(got, sizeof got, "%s %02d:%02d", w->day.c_str(), w->minute / 60, w->minute % 60);
      EXPECT_EQ(std::string(got), want) << utc << " (round " << round << ")";
      for (const auto& z : zones) ASSERT_TRUE(wall_time_in(z, at(utc)).has_value()) << z;
    }
  }
  // New York on the same instants agrees with its own offsets (EST -5, EDT -4 from 2026-03-08).
  EXPECT_EQ(wall_time_in("America/New_York", at("2026-03-08T06:59:00Z"))->minute, 1 * 60 + 59);
  EXPECT_EQ(wall_time_in("America/New_York", at("2026-03-08T07:00:00Z"))->minute, 3 * 60);
  EXPECT_EQ(wall_time_in("America/New_York", at("2026-03-08T06:59:00Z"))->minute, 1 * 60 + 59);
  EXPECT_EQ(wall_time_in("America/New_York", at("2026-03-08T07:00:00Z"))->weekday, 6);  // Sunday
  EXPECT_FALSE(wall_time_in("Europe/Atlantis", at("2026-03-08T07:00:00Z")).has_value());
  EXPECT_FALSE(wall_time_in("", at("2026-03-08T07:00:00Z")).has_value());
}

TEST_F(shop_test, placement_enforces_order_types_payment_and_hours) {
  auto o = order({{"bun", 1}});
  o.payment = kp::payment_method::wallet;
  auto p = place(o);
  EXPECT_EQ(p.code, kp::code::payment_unavailable);

  auto tx = store_->begin();
  auto prof = paris_profile();
  prof.order_types.erase(prof.order_types.begin() + 1);  // no takeaway
  store_->shop().set_profile(biz, prof);
  tx->commit();
  p = place(order({{"bun", 1}}));
  EXPECT_EQ(p.code, kp::code::order_type_unavailable);
  EXPECT_EQ(body(p)["details"]["order_type"], "takeaway");

  o = order({{"bun", 1}});
  o.type = kp::order_type::eat_in;
  EXPECT_EQ(place(o).code, kp::code::missing_detail);
  o = order({{"bun", 1}});
  o.type = kp::order_type::eat_in;
  o.table = "12";
  EXPECT_TRUE(place(o).accepted);

  clock_.now = at("2026-11-23T18:30:00Z");  // 19:30 in Paris
  o = order({{"bun", 1}});
  o.type = kp::order_type::eat_in;
  o.table = "12";
  EXPECT_EQ(place(o).code, kp::code::business_closed);
  EXPECT_EQ(test::stock_of(*store_, "bun"), 4) << "rejections take no stock";
}

TEST_F(shop_test, pickup_slots_must_be_ahead_aligned_and_inside_opening_hours) {
  auto slot = [&](const char* when) {
    auto o = order({{"bun", 1}});
    o.type = kp::order_type::pickup;
    o.pickup_at = when;
    return place(o);
  };
  // now = 10:00 Paris; lead 20 min; slots every 15 min.
  EXPECT_EQ(slot("").code, kp::code::invalid_slot);
  EXPECT_EQ(slot("2026-11-23T09:15:00Z").code, kp::code::invalid_slot);  // 10:15, too soon
  EXPECT_EQ(slot("2026-11-23T09:40:00Z").code, kp::code::invalid_slot);  // 10:40, not on a slot
  EXPECT_EQ(slot("2026-11-23T17:50:00Z").code, kp::code::invalid_slot);  // 18:50 slot ends after 19:00
  EXPECT_EQ(slot("2026-11-22T09:30:00Z").code, kp::code::invalid_slot);  // in the past
  EXPECT_EQ(slot("2026-12-03T09:30:00Z").code, kp::code::invalid_slot);  // > 7 days ahead
  const auto ok = slot("2026-11-23T10:30:00+01:00");  // 10:30 Paris
  ASSERT_TRUE(ok.accepted) << ok.body;
  EXPECT_EQ(body(ok)["eta"], "2026-11-23T09:30:00Z") << "the ETA is the chosen slot";
  // A pickup can be ordered for tomorrow morning while the store is closed now.
  clock_.now = at("2026-11-23T20:00:00Z");  // 21:00 Paris, closed
  EXPECT_TRUE(slot("2026-11-24T07:00:00Z").accepted);  // 08:00 Tuesday
  const auto id = svc_->place("kiosk-1", [] {
    auto o = test::make_order({{"bun", 1}});
    o.type = kp::order_type::pickup;
    o.pickup_at = "2026-11-24T07:15:00Z";
    return o;
  }());
  const auto det = store_->shop().order_details_of(json::parse(id.body)["order_id"]);
  EXPECT_EQ(det.pickup_at_ms, to_ms(at("2026-11-24T07:15:00Z")));
}

TEST_F(shop_test, delivery_is_priced_with_the_fee_and_held_to_the_minimum) {
  auto o = order({{"coffee", 2}, {"bun", 1}});  // 2 × (3.00 + size) …
  o.lines[0].options = {{"size", "s"}};
  o.type = kp::order_type::delivery;
  o.delivery_address = "3 rue Oberkampf";
  auto p = place(o);
  EXPECT_EQ(p.code, kp::code::below_minimum);  // 8.00 < 15.00
  EXPECT_EQ(body(p)["details"]["minimum"], 1500);

  o = order({{"coffee", 5}});
  o.lines[0].options = {{"size", "s"}};
  o.type = kp::order_type::delivery;
  EXPECT_EQ(place(o).code, kp::code::missing_detail);
  o.order_id = kp::new_uuid();
  o.delivery_address = "3 rue Oberkampf";
  p = place(o);
  ASSERT_TRUE(p.accepted) << p.body;
  const auto b = body(p);
  EXPECT_EQ(b["subtotal"]["amount"], 1500);
  EXPECT_EQ(b["delivery_fee"]["amount"], 250);
  EXPECT_EQ(b["total"]["amount"], 1750);
  EXPECT_EQ(b["tax"]["amount"], 136);  // round(1500 × 1000 / 11000): the fee is outside the tax base
  const auto stored = store_->orders().find(o.order_id);
  EXPECT_EQ(stored->totals.delivery_fee, 250);
  EXPECT_EQ(store_->shop().order_details_of(o.order_id).delivery_address, "3 rue Oberkampf");
}

TEST_F(shop_test, options_are_priced_and_stored_with_their_names) {
  auto o = order({{"coffee", 2}, {"bun", 1}});
  o.lines[0].options = {{"size", "l"}, {"extras", "shot"}};
  const auto p = place(o);
  ASSERT_TRUE(p.accepted) << p.body;
  EXPECT_EQ(body(p)["subtotal"]["amount"], 2 * (300 + 60 + 50) + 200);
  const auto stored = store_->orders().find_with_lines(o.order_id);
  EXPECT_EQ(stored->lines[0].unit_price, 410);
  EXPECT_EQ(stored->lines[0].line_total, 820);
  const auto det = store_->shop().order_details_of(o.order_id);
  ASSERT_EQ(det.line_options.at(1).size(), 2u);
  EXPECT_EQ(det.line_options.at(1)[0], (ordered_option{"size", "l", "Size", "Large", 60}));
  EXPECT_EQ(det.line_options.count(2), 0u);
}

TEST_F(shop_test, placement_sees_every_change_to_what_it_keeps_of_a_business) {
  // The order writer keeps a business' profile, option groups and availability between orders
  // (keyed on businesses.shop_generation, moved by migration 13's triggers). Each change below
  // comes after an order that loaded them, and the next order must see it.
  auto large = [&] {
    auto o = order({{"coffee", 1}});
    o.lines[0].options = {{"size", "l"}};
    return o;
  };
  auto p = place(large());
  ASSERT_TRUE(p.accepted) << p.body;
  EXPECT_EQ(body(p)["subtotal"]["amount"], 300 + 60);

  // An option's price.
  auto groups = coffee_groups();
  groups[0].options[1].price_delta.amount = 90;
  {
    auto tx = store_->begin();
    store_->shop().set_option_groups(biz, "coffee", groups);
    tx->commit();
  }
  p = place(large());
  ASSERT_TRUE(p.accepted) << p.body;
  EXPECT_EQ(body(p)["subtotal"]["amount"], 300 + 90);

  // A change rolled back changes nothing (the generation goes back with it).
  groups[0].options[1].price_delta.amount = 500;
  {
    auto tx = store_->begin();
    store_->shop().set_option_groups(biz, "coffee", groups);
  }
  p = place(large());
  EXPECT_EQ(body(p)["subtotal"]["amount"], 300 + 90);

  // An availability window: coffee only in the afternoon (it is 10:00 in Paris).
  {
    auto tx = store_->begin();
    store_->shop().set_availability(biz, "coffee", {{127, 14 * 60, 18 * 60}});
    tx->commit();
  }
  EXPECT_EQ(place(large()).code, kp::code::not_available_now);
  {
    auto tx = store_->begin();
    store_->shop().set_availability(biz, "coffee", {});
    tx->commit();
  }
  EXPECT_TRUE(place(large()).accepted);

  // The hours, changed by another connection (another process, kioskhub's admin commands).
  {
    auto other = open_sqlite_store(database_path(dir_.str()));
    auto prof = paris_profile();
    for (auto& h : prof.opening_hours) h.opens_minute = 11 * 60;  // opens at 11:00 from now on
    auto tx = other->begin();
    ASSERT_TRUE(other->shop().set_profile(biz, prof));
    tx->commit();
  }
  EXPECT_EQ(place(large()).code, kp::code::business_closed);

  // A column of the businesses row: the payment methods.
  {
    auto tx = store_->begin();
    auto prof = paris_profile();
    prof.payment_methods = {kp::payment_method::card_present};
    ASSERT_TRUE(store_->shop().set_profile(biz, prof));
    tx->commit();
  }
  auto cash = large();
  cash.payment = kp::payment_method::cash;
  EXPECT_EQ(place(cash).code, kp::code::payment_unavailable);
}

TEST_F(shop_test, bad_options_are_rejected_with_clear_codes_and_change_nothing) {
  auto with = [&](std::vector<kp::line_option> opts) {
    auto o = order({{"bun", 1}, {"coffee", 1}});
    o.lines[1].options = std::move(opts);
    return place(o);
  };
  EXPECT_EQ(with({}).code, kp::code::missing_choice);
  EXPECT_EQ(with({{"size", "xl"}}).code, kp::code::unknown_option);
  EXPECT_EQ(with({{"size", "s"}, {"size", "l"}}).code, kp::code::too_many_choices);
  EXPECT_EQ(with({{"size", "s"}, {"extras", "syrup"}}).code, kp::code::option_unavailable);
  const auto p = with({{"size", "s"}, {"extras", "shot"}, {"extras", "cream"}, {"extras", "shot"}});
  EXPECT_EQ(p.code, kp::code::too_many_choices);
  EXPECT_EQ(body(p)["details"]["product_id"], "coffee");
  EXPECT_EQ(body(p)["details"]["line"], 1);
  // Options on a product without groups.
  auto o = order({{"bun", 1}});
  o.lines[0].options = {{"size", "s"}};
  EXPECT_EQ(place(o).code, kp::code::unknown_option);
  EXPECT_EQ(test::stock_of(*store_, "bun"), 5);
  EXPECT_EQ(store_->orders().count(biz), 0);
}

TEST_F(shop_test, an_offline_order_keeps_its_local_number_and_flags_a_stock_conflict) {
  auto o = order({{"cake", 3}});  // cake: 1 on hand
  o.local_number = "K1-007";
  o.placed_at = "2026-11-23T08:40:00Z";
  auto online = order({{"cake", 3}});
  EXPECT_EQ(place(online).code, kp::code::out_of_stock) << "online orders never oversell";
  const auto p = place(o);
  ASSERT_TRUE(p.accepted) << p.body;
  EXPECT_TRUE(p.stock_conflict);
  EXPECT_EQ(body(p)["number"], "K1-007");
  EXPECT_EQ(p.status->number, "K1-007");
  EXPECT_EQ(test::stock_of(*store_, "cake"), 0) << "never below zero";
  const auto det = store_->shop().order_details_of(o.order_id);
  EXPECT_TRUE(det.offline);
  EXPECT_TRUE(det.stock_conflict);
  EXPECT_EQ(det.placed_at_ms, to_ms(at("2026-11-23T08:40:00Z")));
  EXPECT_EQ(store_->shop().count_stock_conflicts(biz), 1);
  // The next online order still gets the daily counter's number.
  EXPECT_EQ(body(place(order({{"bun", 1}})))["number"], "A-001");
  // A repeat is the same answer, and takes nothing again.
  EXPECT_EQ(place(o).body, p.body);
}

TEST_F(shop_test, an_offline_order_is_checked_against_the_hours_when_it_was_placed) {
  clock_.now = at("2026-11-23T19:00:00Z");  // 20:00 Paris: closed now
  auto o = order({{"bun", 1}});
  o.local_number = "K1-008";
  o.placed_at = "2026-11-23T17:30:00Z";  // 18:30 Paris: open then
  EXPECT_TRUE(place(o).accepted);
  auto late = order({{"bun", 1}});
  late.local_number = "K1-009";
  late.placed_at = "2026-11-23T18:30:00Z";  // 19:30: closed then too
  EXPECT_EQ(place(late).code, kp::code::business_closed);
}

TEST_F(shop_test, accepted_orders_carry_the_tracking_url) {
  svc_->set_public_url("https://cafe.example/");
  const auto o = order({{"bun", 1}});
  const auto p = place(o);
  EXPECT_EQ(body(p)["tracking_url"], "https://cafe.example/o/" + o.order_id);
}

TEST_F(shop_test, a_quote_prices_the_cart_and_names_each_problem_without_changing_anything) {
  kp::order_quote q;
  q.quote_id = kp::new_uuid();
  q.lines = {{"coffee", 2, "", {{"size", "l"}}}, {"cake", 2, "", {}}, {"coffee", 1, "", {}}, {"ghost", 1, "", {}}};
  q.discount_code = "TENOFF";
  auto r = quote_order(*store_, "kiosk-1", q, clock_.now);
  ASSERT_TRUE(r.ok()) << r.error().message;
  EXPECT_FALSE(r->ok);
  EXPECT_TRUE(r->lines[0].problems.empty());
  EXPECT_EQ(r->lines[1].problems[0].code, kp::code::out_of_stock);
  EXPECT_EQ(r->lines[2].problems[0].code, kp::code::missing_choice);
  EXPECT_EQ(r->lines[3].problems[0].code, kp::code::unknown_product);
  EXPECT_EQ(r->subtotal.amount, 720);
  EXPECT_EQ(r->discount.amount, 72);
  EXPECT_EQ(r->total.amount, 648);
  EXPECT_TRUE(r->problems.empty());

  q.lines = {{"bun", 1, "", {}}};
  q.discount_code = "NOPE";
  q.type = kp::order_type::pickup;
  q.pickup_at = "2026-11-23T09:05:00Z";
  r = quote_order(*store_, "kiosk-1", q, clock_.now);
  ASSERT_EQ(r->problems.size(), 2u);
  EXPECT_EQ(r->problems[0].code, kp::code::invalid_discount);
  EXPECT_EQ(r->problems[1].code, kp::code::invalid_slot);
  EXPECT_EQ(r->total.amount, 200) << "priced without the unknown code";

  clock_.now = at("2026-11-22T10:00:00Z");  // Sunday: closed
  q.type = kp::order_type::takeaway;
  q.discount_code.clear();
  r = quote_order(*store_, "kiosk-1", q, clock_.now);
  ASSERT_EQ(r->problems.size(), 1u);
  EXPECT_EQ(r->problems[0].code, kp::code::business_closed);

  EXPECT_EQ(quote_order(*store_, "board-1", q, clock_.now).error().code, kp::code::forbidden);
  EXPECT_EQ(test::stock_of(*store_, "cake"), 1);
  EXPECT_EQ(store_->orders().count(biz), 0);
}

TEST(shop_legacy, a_business_without_profile_rows_still_takes_every_type_and_method) {
  kh::test::temp_dir dir;
  auto s = open_sqlite_store(database_path(dir.str()));
  test::seed_small(*s);
  order_service svc(*s);
  auto o = test::make_order({{"bun", 1}});
  o.type = kp::order_type::delivery;
  o.payment = kp::payment_method::wallet;
  o.delivery_address = "here";
  const auto p = svc.place("kiosk-1", o);
  EXPECT_TRUE(p.accepted) << p.body;
  EXPECT_EQ(s->shop().profile(biz)->time_zone, "UTC");
}

// ---------------------------------------------------------------------------------------------
// Ingress: quote, feedback, device.status.

class shop_ingress_test : public shop_test {
 protected:
  void SetUp() override {
    shop_test::SetUp();
    ingress::describe_metrics(metrics_);
    in_ = std::make_unique<ingress>(
        *store_, *svc_, metrics_,
        [this](const std::string& t, std::string p, bool) {
          out_.push_back({t, json::parse(p)});
          return true;
        },
        [](const std::string&) {});
  }
  void send(const std::string& device, const std::string& type, const json& body) {
    in_->handle("kh/v1/d/" + device + "/up/" + type,
                json{{"v", 1}, {"type", type}, {"id", kp::new_uuid()}, {"ts", "2026-11-23T09:00:00Z"}, {"body", body}}
                    .dump());
  }
  std::string place_one() {
    const auto o = order({{"bun", 1}});
    send("kiosk-1", "order.submit", kp::to_json(o));
    out_.clear();
    return o.order_id;
  }
  metrics_registry metrics_;
  std::unique_ptr<ingress> in_;
  std::vector<std::pair<std::string, json>> out_;
};

TEST_F(shop_ingress_test, a_quote_is_answered_on_the_devices_down_topic) {
  send("kiosk-1", "order.quote",
       {{"quote_id", "9f8e7d6c-5b4a-4392-8170-6f5e4d3c2b1a"}, {"order_type", "takeaway"},
        {"lines", json::array({{{"product_id", "coffee"}, {"qty", 1}, {"options", json::array({{{"group", "size"}, {"option", "l"}}})}}})}});
  ASSERT_EQ(out_.size(), 1u);
  EXPECT_EQ(out_[0].first, "kh/v1/d/kiosk-1/down/order.quoted");
  const auto q = kp::decode_order_quoted(out_[0].second["body"]);
  ASSERT_TRUE(q.ok()) << q.error().message;
  EXPECT_TRUE(q->ok);
  EXPECT_EQ(q->total.amount, 360);
  EXPECT_EQ(metrics_.value(metric::quotes, {{"ok", "true"}}), 1);
  out_.clear();
  send("kiosk-1", "order.quote", {{"quote_id", "x"}});
  ASSERT_EQ(out_.size(), 1u);
  EXPECT_EQ(out_[0].first, "kh/v1/d/kiosk-1/down/error");
}

TEST_F(shop_ingress_test, feedback_is_stored_once_per_order_and_only_from_its_device) {
  const auto id = place_one();
  send("kiosk-1", "feedback", {{"order_id", id}, {"rating", 4}, {"comment", "nice"}});
  send("kiosk-1", "feedback", {{"order_id", id}, {"rating", 1}});  // a second tap: ignored
  EXPECT_TRUE(out_.empty());
  const auto f = store_->shop().feedback(id);
  ASSERT_TRUE(f.has_value());
  EXPECT_EQ(f->rating, 4);
  EXPECT_EQ(f->comment, "nice");
  EXPECT_EQ(metrics_.value(metric::feedback, {{"rating", "4"}}), 1);
  EXPECT_EQ(metrics_.value(metric::feedback_repeats), 1);

  send("kiosk-2", "feedback", {{"order_id", id}, {"rating", 1}});
  ASSERT_EQ(out_.size(), 1u);
  EXPECT_EQ(out_[0].first, "kh/v1/d/kiosk-2/down/error");
  EXPECT_EQ(out_[0].second["body"]["code"], "unknown_order");
  out_.clear();
  send("kiosk-1", "feedback", {{"order_id", kp::new_uuid()}, {"rating", 5}});
  EXPECT_EQ(out_.at(0).second["body"]["code"], "unknown_order");
  out_.clear();
  send("kiosk-1", "feedback", {{"order_id", id}, {"rating", 6}});
  EXPECT_EQ(out_.at(0).second["body"]["code"], "malformed");
  EXPECT_EQ(store_->shop().feedback(id)->rating, 4);
}

TEST_F(shop_ingress_test, device_status_is_kept_per_device_and_exposed_as_metrics) {
  send("kiosk-1", "device.status", {{"printer", "paper_out"}, {"camera", "ok"}, {"outbox", 2}, {"firmware", "kiosk 0.2.0"}});
  send("kiosk-1", "device.status", {{"printer", "ok"}, {"camera", "ok"}, {"outbox", 0}, {"firmware", "kiosk 0.2.0"}});
  send("kiosk-2", "device.status", {{"printer", "cover_open"}, {"camera", "absent"}, {"outbox", 7}, {"firmware", "k"}});
  EXPECT_TRUE(out_.empty());
  const auto s1 = store_->shop().device_status("kiosk-1");
  ASSERT_TRUE(s1.has_value());
  EXPECT_EQ(s1->status.printer, kp::printer_state::ok);
  EXPECT_EQ(store_->shop().all_device_statuses().size(), 2u);
  EXPECT_EQ(metrics_.value(metric::device_printer, {{"device", "kiosk-1"}, {"state", "ok"}}), 1);
  EXPECT_EQ(metrics_.value(metric::device_printer, {{"device", "kiosk-1"}, {"state", "paper_out"}}), 0);
  EXPECT_EQ(metrics_.value(metric::device_printer, {{"device", "kiosk-2"}, {"state", "cover_open"}}), 1);
  EXPECT_EQ(metrics_.value(metric::device_outbox, {{"device", "kiosk-2"}}), 7);
  // Unknown devices are refused and leave no series behind.
  send("ghost", "device.status", {{"printer", "ok"}, {"camera", "ok"}, {"outbox", 0}, {"firmware", "k"}});
  EXPECT_EQ(out_.at(0).second["body"]["code"], "forbidden");
  EXPECT_EQ(store_->shop().all_device_statuses().size(), 2u);
  // A restarted hub shows them again from the database.
  metrics_registry fresh;
  ingress::describe_metrics(fresh);
  ingress again(*store_, *svc_, fresh, [](const std::string&, std::string, bool) { return true; }, {});
  again.restore_device_metrics();
  EXPECT_EQ(fresh.value(metric::device_outbox, {{"device", "kiosk-2"}}), 7);
}

// ---------------------------------------------------------------------------------------------
// Images.

TEST(product_images, the_seed_serves_a_picture_per_product_with_etag_and_cache_headers) {
  kh::test::temp_dir dir;
  auto s = open_sqlite_store(database_path(dir.str()));
  const std::string bid = seed_demo(*s)["business"]["id"];
  const auto cat = load_catalog(*s, bid, "http://127.0.0.1:8080");
  ASSERT_TRUE(cat.has_value());
  for (const auto& p : cat->products) {
    EXPECT_EQ(p.image_url, "http://127.0.0.1:8080/img/" + bid + "/" + p.id + ".png");
  }
  http_request r;
  r.method = "GET";
  r.path = "/img/" + bid + "/croissant.png";
  const auto res = image_response(*s, r);
  ASSERT_EQ(res.status, 200);
  EXPECT_EQ(res.content_type, "image/png");
  ASSERT_GT(res.body.size(), 1000u);
  EXPECT_EQ(res.body.substr(0, 8), std::string("\x89PNG\r\n\x1a\n", 8));
  std::string etag, cache;
  for (const auto& [k, v] : res.headers) {
    if (k == "etag") etag = v;
    if (k == "cache-control") cache = v;
  }
  EXPECT_EQ(etag, "\"" + content_etag(res.body) + "\"");
  EXPECT_EQ(cache, image_cache_control);
  r.headers["if-none-match"] = etag;
  const auto again = image_response(*s, r);
  EXPECT_EQ(again.status, 304);
  EXPECT_TRUE(again.body.empty());
  r.headers["if-none-match"] = "\"0000\"";
  EXPECT_EQ(image_response(*s, r).status, 200);
  for (const char* bad : {"/img/", "/img/nope/croissant.png", "/img/x/../secret", "/img/B/croissant.png"}) {
    r.path = bad;
    EXPECT_EQ(image_response(*s, r).status, 404) << bad;
  }
  r.path = "/img/" + bid + "/unknown.png";
  EXPECT_EQ(image_response(*s, r).status, 404);
}

TEST(product_images, the_picture_is_the_emoji_glyph_when_the_font_is_there) {
  const auto plate = draw_product_card("\U0001F950", {}, "/nonexistent/font.ttf");
  ASSERT_GT(plate.size(), 100u) << "falls back to a drawn card";
  if (!emoji_font_available()) GTEST_SKIP() << "fonts-noto-color-emoji not installed";
  const auto croissant = draw_product_card("\U0001F950");
  const auto cookie = draw_product_card("\U0001F36A");
  EXPECT_NE(croissant, plate);
  EXPECT_NE(croissant, cookie);
}

TEST(seed_profile, the_demo_cafe_has_a_realistic_profile_and_options) {
  kh::test::temp_dir dir;
  auto s = open_sqlite_store(database_path(dir.str()));
  const std::string bid = seed_demo(*s)["business"]["id"];
  const auto cat = load_catalog(*s, bid);
  ASSERT_TRUE(cat->profile.has_value());
  const auto& p = *cat->profile;
  EXPECT_EQ(p.time_zone, "Europe/Paris");
  EXPECT_TRUE(is_known_time_zone(p.time_zone));
  EXPECT_EQ(p.order_types.size(), 4u);
  EXPECT_EQ(p.offer(kp::order_type::delivery)->fee.amount, 250);
  EXPECT_EQ(p.languages, (std::vector<std::string>{"en", "fr"}));
  EXPECT_FALSE(p.banner.empty());
  EXPECT_FALSE(p.opening_hours.empty());
  const auto* latte = cat->find_product("latte");
  ASSERT_EQ(latte->option_groups.size(), 3u);
  EXPECT_EQ(latte->option_groups[0].id, "size");
  // The first product (what the demo smoke orders) needs no option.
  for (const auto& g : cat->products[0].option_groups) EXPECT_FALSE(g.required());
  // A latte with options is accepted and priced.
  order_service svc(*s);
  auto o = test::make_order({{"latte", 1}});
  o.lines[0].options = {{"size", "l"}, {"milk", "oat"}};
  const auto r = svc.place("kiosk-1", o);
  ASSERT_TRUE(r.accepted) << r.body;
  EXPECT_EQ(json::parse(r.body)["total"]["amount"], 360 + 80 + 40);
}

}  // namespace
}  // namespace kh::hub
