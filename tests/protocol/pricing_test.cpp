// The shared pricing rules: options on a line, the delivery fee, and quote_cart (the kiosk's
// offline estimate and the store-independent half of the hub's quote).

#include "kh/protocol/pricing.hpp"

#include <gtest/gtest.h>

#include "kh/protocol/codec.hpp"

namespace kp = kh::protocol;
using json = nlohmann::json;

namespace {

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

kp::catalog cafe() {
  kp::catalog c;
  c.business_id = "cafe";
  c.currency = "EUR";
  kp::product fw;
  fw.id = "flat-white";
  fw.name = "Flat white";
  fw.price = {350, "EUR"};
  fw.option_groups = coffee_groups();
  kp::product cr;
  cr.id = "croissant";
  cr.name = "Croissant";
  cr.price = {220, "EUR"};
  cr.stock = 2;
  kp::product old;
  old.id = "old";
  old.name = "Old";
  old.price = {100, "EUR"};
  old.available = false;
  c.products = {fw, cr, old};
  kp::store_profile p;
  p.tax = kp::tax_mode::inclusive;
  p.tax_rate_bp = 1000;
  kp::order_type_offer takeaway;
  takeaway.type = kp::order_type::takeaway;
  kp::order_type_offer delivery;
  delivery.type = kp::order_type::delivery;
  delivery.fee = {250, "EUR"};
  delivery.minimum = {1000, "EUR"};
  p.order_types = {takeaway, delivery};
  p.payment_methods = {kp::payment_method::cash};
  p.languages = {"en"};
  c.profile = p;
  return c;
}

kp::order_line line(const char* product, int qty, std::vector<kp::line_option> opts = {}) {
  kp::order_line l;
  l.product_id = product;
  l.qty = qty;
  l.options = std::move(opts);
  return l;
}

}  // namespace

TEST(price_options, adds_the_deltas_of_the_chosen_options) {
  const auto g = coffee_groups();
  EXPECT_EQ(*kp::price_options(350, g, {{"size", "s"}}), 350);
  EXPECT_EQ(*kp::price_options(350, g, {{"size", "l"}, {"extras", "shot"}, {"extras", "cream"}}), 480);
}

TEST(price_options, names_each_rule_that_is_broken) {
  const auto g = coffee_groups();
  auto code_of = [&](std::vector<kp::line_option> picked) {
    auto r = kp::price_options(350, g, picked);
    return r ? kp::code::internal : r.error().code;
  };
  EXPECT_EQ(code_of({}), kp::code::missing_choice);  // size is required
  EXPECT_EQ(code_of({{"size", "xl"}}), kp::code::unknown_option);
  EXPECT_EQ(code_of({{"size", "s"}, {"milk", "oat"}}), kp::code::unknown_option);
  EXPECT_EQ(code_of({{"size", "s"}, {"extras", "syrup"}}), kp::code::option_unavailable);
  EXPECT_EQ(code_of({{"size", "s"}, {"size", "l"}}), kp::code::too_many_choices);
  EXPECT_EQ(code_of({{"size", "s"}, {"extras", "shot"}, {"extras", "shot"}}), kp::code::too_many_choices);
  EXPECT_EQ(code_of({{"size", "s"}, {"extras", "shot"}, {"extras", "cream"}, {"extras", "syrup"}}),
            kp::code::option_unavailable);
  auto r = kp::price_options(350, g, {{"size", "s"}, {"size", "l"}});
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().details.value("group_id", ""), "size");
}

TEST(price_order, the_delivery_fee_is_added_outside_the_tax_base) {
  auto t = kp::price_order({{1800, 1}}, {1000, true}, std::nullopt, 250);
  ASSERT_TRUE(t.ok());
  EXPECT_EQ(t->tax, 164);  // round(1800 × 1000 / 11000)
  EXPECT_EQ(t->delivery_fee, 250);
  EXPECT_EQ(t->total, 2050);
  auto ex = kp::price_order({{1000, 1}}, {1000, false}, std::nullopt, 300);
  EXPECT_EQ(ex->total, 1000 + 100 + 300);
  EXPECT_FALSE(kp::price_order({{1000, 1}}, {1000, false}, std::nullopt, -1).ok());
}

TEST(quote_cart, prices_good_lines_and_flags_the_others) {
  kp::order_quote q;
  q.quote_id = "9f8e7d6c-5b4a-4392-8170-6f5e4d3c2b1a";
  q.lines = {line("flat-white", 2, {{"size", "l"}}), line("croissant", 3), line("nope", 1),
             line("old", 1), line("flat-white", 1, {{"size", "s"}, {"extras", "syrup"}})};
  const auto r = kp::quote_cart(cafe(), q, kp::discount_rule{kp::discount_kind::percent, 1000});
  EXPECT_FALSE(r.ok);
  ASSERT_EQ(r.lines.size(), 5u);
  EXPECT_TRUE(r.lines[0].problems.empty());
  EXPECT_EQ(r.lines[0].unit_price.amount, 410);
  EXPECT_EQ(r.lines[0].line_total.amount, 820);
  ASSERT_EQ(r.lines[1].problems.size(), 1u);
  EXPECT_EQ(r.lines[1].problems[0].code, kp::code::out_of_stock);
  EXPECT_EQ(r.lines[1].problems[0].details["available"], 2);
  EXPECT_EQ(r.lines[2].problems[0].code, kp::code::unknown_product);
  EXPECT_EQ(r.lines[3].problems[0].code, kp::code::product_unavailable);
  EXPECT_EQ(r.lines[4].problems[0].code, kp::code::option_unavailable);
  // Only line 0 counts: 8.20, 10 % off 0.82, tax included round(738 × 1000 / 11000) = 67.
  EXPECT_EQ(r.subtotal.amount, 820);
  EXPECT_EQ(r.discount.amount, 82);
  EXPECT_EQ(r.tax.amount, 67);
  EXPECT_EQ(r.total.amount, 738);
  EXPECT_TRUE(r.problems.empty());
  // The encoded answer is a valid order.quoted.
  EXPECT_TRUE(kp::decode_order_quoted(kp::to_json(r)).ok());
}

TEST(quote_cart, checks_order_type_and_delivery_minimum_from_the_profile) {
  kp::order_quote q;
  q.quote_id = "9f8e7d6c-5b4a-4392-8170-6f5e4d3c2b1a";
  q.type = kp::order_type::eat_in;
  q.lines = {line("croissant", 1)};
  auto r = kp::quote_cart(cafe(), q);
  EXPECT_FALSE(r.ok);
  ASSERT_EQ(r.problems.size(), 1u);
  EXPECT_EQ(r.problems[0].code, kp::code::order_type_unavailable);

  q.type = kp::order_type::delivery;
  r = kp::quote_cart(cafe(), q);
  ASSERT_EQ(r.problems.size(), 1u);
  EXPECT_EQ(r.problems[0].code, kp::code::below_minimum);
  EXPECT_EQ(r.delivery_fee.amount, 250);
  EXPECT_EQ(r.total.amount, 220 + 250);

  q.lines = {line("flat-white", 3, {{"size", "s"}})};  // 10.50 ≥ 10.00
  r = kp::quote_cart(cafe(), q);
  EXPECT_TRUE(r.ok) << (r.problems.empty() ? "" : r.problems[0].message);
  EXPECT_EQ(r.total.amount, 1050 + 250);
}

TEST(quote_cart, a_catalog_without_profile_offers_everything_tax_free) {
  auto c = cafe();
  c.profile.reset();
  kp::order_quote q;
  q.quote_id = "9f8e7d6c-5b4a-4392-8170-6f5e4d3c2b1a";
  q.type = kp::order_type::eat_in;
  q.lines = {line("croissant", 2)};
  const auto r = kp::quote_cart(c, q);
  EXPECT_TRUE(r.ok);
  EXPECT_EQ(r.tax.amount, 0);
  EXPECT_EQ(r.total.amount, 440);
}
