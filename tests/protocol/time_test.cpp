#include <gtest/gtest.h>

#include <chrono>

#include "kh/protocol/time.hpp"

namespace kp = kh::protocol;
using namespace std::chrono;

namespace {
kp::clock::time_point at(year_month_day d, hours h, minutes m, seconds s = seconds{0}) {
  return kp::clock::time_point{sys_days{d} + h + m + s};
}
}  // namespace

TEST(rfc3339_format, utc_with_z_and_no_fraction_on_whole_seconds) {
  EXPECT_EQ(kp::format_rfc3339(kp::clock::time_point{}), "1970-01-01T00:00:00Z");
  EXPECT_EQ(kp::format_rfc3339(at(2026y / 11 / 22, 10h, 15min)), "2026-11-22T10:15:00Z");
}

TEST(rfc3339_format, milliseconds_when_non_zero_and_finer_digits_dropped) {
  const auto t = at(2026y / 11 / 22, 10h, 15min);
  EXPECT_EQ(kp::format_rfc3339(t + 250ms), "2026-11-22T10:15:00.250Z");
  EXPECT_EQ(kp::format_rfc3339(t + 1ms), "2026-11-22T10:15:00.001Z");
  EXPECT_EQ(kp::format_rfc3339(t + 999us), "2026-11-22T10:15:00Z");
  EXPECT_EQ(kp::format_rfc3339(t + 1999us), "2026-11-22T10:15:00.001Z");
}

TEST(rfc3339_format, before_1970_and_leap_day) {
  EXPECT_EQ(kp::format_rfc3339(kp::clock::time_point{} - 1s), "1969-12-31T23:59:59Z");
  EXPECT_EQ(kp::format_rfc3339(at(2024y / 2 / 29, 23h, 59min, 59s)), "2024-02-29T23:59:59Z");
}

TEST(rfc3339_parse, utc_and_offsets_give_the_same_instant) {
  const auto expect = at(2026y / 11 / 22, 10h, 15min);
  EXPECT_EQ(kp::parse_rfc3339("2026-11-22T10:15:00Z"), expect);
  EXPECT_EQ(kp::parse_rfc3339("2026-11-22t10:15:00z"), expect);
  EXPECT_EQ(kp::parse_rfc3339("2026-11-22T12:15:00+02:00"), expect);
  EXPECT_EQ(kp::parse_rfc3339("2026-11-22T04:45:00-05:30"), expect);
  EXPECT_EQ(kp::parse_rfc3339("2026-11-22T10:15:00+00:00"), expect);
  EXPECT_EQ(kp::parse_rfc3339("2026-11-23T00:15:00+14:00"), expect);  // across midnight
}

TEST(rfc3339_parse, fractions_of_one_to_nine_digits) {
  const auto base = at(2026y / 11 / 22, 10h, 15min);
  EXPECT_EQ(kp::parse_rfc3339("2026-11-22T10:15:00.5Z"), base + 500ms);
  EXPECT_EQ(kp::parse_rfc3339("2026-11-22T10:15:00.250Z"), base + 250ms);
  EXPECT_EQ(kp::parse_rfc3339("2026-11-22T10:15:00.123456789Z"), base + 123456789ns);
  EXPECT_FALSE(kp::parse_rfc3339("2026-11-22T10:15:00.1234567891Z")) << "finer than a nanosecond is no clock";
  EXPECT_FALSE(kp::parse_rfc3339("2026-11-22T10:15:00." + std::string(1000, '1') + "Z"));
}

// Absurd but well-shaped timestamps from a hostile or broken device are refused, not folded
// into some instant.
TEST(rfc3339_parse, rejects_absurd_years_and_offsets) {
  for (const char* bad : {"0000-01-01T00:00:00Z", "0001-01-01T00:00:00Z", "1969-12-31T23:59:59Z",
                          "2026-11-22T10:15:00+23:59", "2026-11-22T10:15:00-23:59",
                          "2026-11-22T10:15:00+14:01", "2026-11-22T10:15:00+15:00"}) {
    EXPECT_FALSE(kp::parse_rfc3339(bad)) << bad;
  }
  EXPECT_TRUE(kp::parse_rfc3339("1970-01-01T00:00:00Z")) << "a device without a real-time clock";
  EXPECT_TRUE(kp::parse_rfc3339("2026-11-22T10:15:00-12:00"));
  EXPECT_TRUE(kp::parse_rfc3339("2026-11-22T10:15:00+14:00"));
  EXPECT_TRUE(kp::parse_rfc3339("9999-12-31T23:59:59Z"));
}

TEST(rfc3339_parse, format_then_parse_is_identity_at_millisecond_precision) {
  const auto t = at(2031y / 1 / 2, 3h, 4min, 5s) + 678ms;
  EXPECT_EQ(kp::parse_rfc3339(kp::format_rfc3339(t)), t);
}

TEST(rfc3339_parse, leap_years_follow_the_gregorian_rules) {
  EXPECT_TRUE(kp::parse_rfc3339("2024-02-29T00:00:00Z"));
  EXPECT_TRUE(kp::parse_rfc3339("2000-02-29T00:00:00Z"));
  EXPECT_FALSE(kp::parse_rfc3339("2025-02-29T00:00:00Z"));
  EXPECT_FALSE(kp::parse_rfc3339("1900-02-29T00:00:00Z"));
}

TEST(rfc3339_parse, rejects_impossible_dates_and_times) {
  for (const char* bad : {"2026-02-30T10:15:00Z", "2026-04-31T10:15:00Z", "2026-13-01T10:15:00Z",
                          "2026-00-10T10:15:00Z", "2026-11-00T10:15:00Z", "2026-11-22T24:00:00Z",
                          "2026-11-22T10:60:00Z", "2026-11-22T10:15:60Z",
                          "2026-11-22T10:15:00+24:00", "2026-11-22T10:15:00+02:60"}) {
    EXPECT_FALSE(kp::parse_rfc3339(bad)) << bad;
  }
}

TEST(rfc3339_parse, rejects_other_shapes) {
  for (const char* bad :
       {"", "2026-11-22", "2026-11-22T10:15Z", "2026-11-22 10:15:00Z", "2026-11-22T10:15:00",
        "2026-11-22T10:15:00+0200", "2026-11-22T10:15:00+02", "2026-11-22T10:15:00.Z",
        "2026-11-22T10:15:00Zjunk", "2026-11-22T10:15:00Z ", " 2026-11-22T10:15:00Z",
        "20261-11-22T10:15:00Z", "2026-1-22T10:15:00Z", "2026/11/22T10:15:00Z",
        "2026-11-22T10:15:00UTC", "+2026-11-22T10:15:00Z", "2026-11-22T1a:15:00Z"}) {
    EXPECT_FALSE(kp::parse_rfc3339(bad)) << bad;
  }
}
