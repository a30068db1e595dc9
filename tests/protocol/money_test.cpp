#include <gtest/gtest.h>

#include <cstdint>
#include <limits>

#include "kh/protocol/money_format.hpp"

namespace kp = kh::protocol;

TEST(money_rounding, halves_go_away_from_zero_in_both_directions) {
  EXPECT_EQ(kp::div_round_half_away(5, 2), 3);
  EXPECT_EQ(kp::div_round_half_away(-5, 2), -3);
  EXPECT_EQ(kp::div_round_half_away(1, 2), 1);
  EXPECT_EQ(kp::div_round_half_away(-1, 2), -1);
  EXPECT_EQ(kp::div_round_half_away(4, 2), 2);
  EXPECT_EQ(kp::div_round_half_away(-4, 2), -2);
  EXPECT_EQ(kp::div_round_half_away(0, 7), 0);
}

TEST(money_rounding, below_half_truncates_above_half_rounds_up_in_magnitude) {
  EXPECT_EQ(kp::div_round_half_away(7, 3), 2);
  EXPECT_EQ(kp::div_round_half_away(-7, 3), -2);
  EXPECT_EQ(kp::div_round_half_away(8, 3), 3);
  EXPECT_EQ(kp::div_round_half_away(-8, 3), -3);
  EXPECT_EQ(kp::div_round_half_away(1, 3), 0);
  EXPECT_EQ(kp::div_round_half_away(-1, 3), 0);
  EXPECT_EQ(kp::div_round_half_away(149, 100), 1);
  EXPECT_EQ(kp::div_round_half_away(150, 100), 2);
  EXPECT_EQ(kp::div_round_half_away(-150, 100), -2);
}

TEST(money_rounding, tax_examples_in_basis_points) {
  // 10% of 12.35 = 1.235 -> 1.24; 19% of 3.50 = 0.665 -> 0.67; exact stays exact.
  EXPECT_EQ(kp::div_round_half_away(1235 * 1000, 10000), 124);
  EXPECT_EQ(kp::div_round_half_away(350 * 1900, 10000), 67);
  EXPECT_EQ(kp::div_round_half_away(1000 * 2000, 10000), 200);
  // Tax-inclusive: tax = gross * rate / (1 + rate): 11.00 gross at 10% -> 1.00.
  EXPECT_EQ(kp::div_round_half_away(1100 * 1000, 10000 + 1000), 100);
  // A refund (negative) rounds the same magnitude as the sale.
  EXPECT_EQ(kp::div_round_half_away(-1235 * 1000, 10000), -124);
}

TEST(money_rounding, extreme_values_do_not_overflow) {
  constexpr auto max = std::numeric_limits<std::int64_t>::max();
  constexpr auto min = std::numeric_limits<std::int64_t>::min();
  EXPECT_EQ(kp::div_round_half_away(max, 1), max);
  EXPECT_EQ(kp::div_round_half_away(min, 1), min);
  EXPECT_EQ(kp::div_round_half_away(max, 2), 4611686018427387904);   // x.5 rounds up
  EXPECT_EQ(kp::div_round_half_away(min, 2), -4611686018427387904);  // exact
  EXPECT_EQ(kp::div_round_half_away(max, max), 1);
  EXPECT_EQ(kp::div_round_half_away(max - 1, max), 1);
  EXPECT_EQ(kp::div_round_half_away(max / 2, max), 0);
  EXPECT_EQ(kp::div_round_half_away(min + 1, max), -1);
}

TEST(money_format, two_decimals_and_the_currency_code) {
  EXPECT_EQ(kp::format_money({1230, "EUR"}), "12.30 EUR");
  EXPECT_EQ(kp::format_money({5, "EUR"}), "0.05 EUR");
  EXPECT_EQ(kp::format_money({0, "GBP"}), "0.00 GBP");
  EXPECT_EQ(kp::format_money({-5, "EUR"}), "-0.05 EUR");
  EXPECT_EQ(kp::format_money({-1999, "USD"}), "-19.99 USD");
  EXPECT_EQ(kp::format_money({100000, "EUR"}), "1000.00 EUR");
  EXPECT_EQ(kp::format_money({std::numeric_limits<std::int64_t>::min(), "EUR"}),
            "-92233720368547758.08 EUR");
  EXPECT_EQ(kp::format_money({std::numeric_limits<std::int64_t>::max(), "EUR"}),
            "92233720368547758.07 EUR");
}

TEST(money_currency, exactly_three_upper_case_ascii_letters) {
  EXPECT_TRUE(kp::is_currency_code("EUR"));
  EXPECT_TRUE(kp::is_currency_code("USD"));
  EXPECT_FALSE(kp::is_currency_code("eur"));
  EXPECT_FALSE(kp::is_currency_code("EU"));
  EXPECT_FALSE(kp::is_currency_code("EURO"));
  EXPECT_FALSE(kp::is_currency_code("E1R"));
  EXPECT_FALSE(kp::is_currency_code(""));
}

TEST(money_format, per_language_and_currency_in_one_place) {
  using kh::protocol::format_money;
  const std::string nb = "\u00a0";
  EXPECT_EQ(format_money({360, "EUR"}, "fr"), "3,60" + nb + "\u20ac");
  EXPECT_EQ(format_money({360, "EUR"}, "en"), "\u20ac3.60");
  EXPECT_EQ(format_money({360, "EUR"}, "de"), "3,60" + nb + "\u20ac");
  EXPECT_EQ(format_money({1205, "USD"}, "en"), "$12.05");
  EXPECT_EQ(format_money({99, "GBP"}, "en"), "\u00a30.99");
  EXPECT_EQ(format_money({360, "CHF"}, "en"), "CHF" + nb + "3.60");
  EXPECT_EQ(format_money({360, "CHF"}, "fr"), "3,60" + nb + "CHF");
  EXPECT_EQ(format_money({500, "JPY"}, "en"), "JPY" + nb + "500");  // no minor digits
  EXPECT_EQ(format_money({-5, "EUR"}, "en"), "-\u20ac0.05");
  EXPECT_EQ(format_money({INT64_MIN, "EUR"}, "en"), "-\u20ac92233720368547758.08");
  EXPECT_EQ(format_money({360, "EUR"}, "xx"), "\u20ac3.60");  // unknown language: English style
  // The kiosk's language files carry a style; the same function applies it.
  EXPECT_EQ(format_money({360, "EUR"}, kh::protocol::money_style{",", true}), "3,60" + nb + "\u20ac");
}
