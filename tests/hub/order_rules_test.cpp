#include "kh/hub/orders/order_rules.hpp"

#include <gtest/gtest.h>

#include <set>

namespace kh::hub {
namespace {

using namespace std::chrono;
using S = protocol::order_state;
using T = protocol::order_type;

sys_seconds at(int y, unsigned m, unsigned d, int hh, int mm) {
  return sys_days{year{y} / month{m} / day{d}} + hours(hh) + minutes(mm);
}

TEST(order_numbering, formats_letter_and_three_digits) {
  EXPECT_EQ(format_order_number(1), "A-001");
  EXPECT_EQ(format_order_number(42), "A-042");
  EXPECT_EQ(format_order_number(999), "A-999");
  EXPECT_EQ(format_order_number(1000), "B-001");
  EXPECT_EQ(format_order_number(26 * 999), "Z-999");
  // One device produced 26,107 orders in a day: numbers must not wrap to A-001.
  EXPECT_EQ(format_order_number(26 * 999 + 1), "AA-001");
  EXPECT_EQ(format_order_number(27 * 999), "AA-999");
  EXPECT_EQ(format_order_number(27 * 999 + 1), "AB-001");
  EXPECT_EQ(format_order_number((26 + 26 * 26) * 999), "ZZ-999");
  EXPECT_EQ(format_order_number((26 + 26 * 26) * 999 + 1), "AAA-001");
  std::set<std::string> seen;
  for (std::int64_t n = 1; n <= 60'000; ++n) ASSERT_TRUE(seen.insert(format_order_number(n)).second) << n;
}

TEST(order_numbering, local_day_follows_the_business_offset) {
  // 23:30 UTC on the 22nd is already the 23rd at UTC+1 and still the 22nd at UTC−5.
  EXPECT_EQ(local_day(at(2026, 11, 22, 23, 30), 0), "2026-11-22");
  EXPECT_EQ(local_day(at(2026, 11, 22, 23, 30), 60), "2026-11-23");
  EXPECT_EQ(local_day(at(2026, 11, 23, 2, 0), -300), "2026-11-22");
  EXPECT_EQ(local_day(at(2026, 12, 31, 23, 59), 1), "2027-01-01");
}

TEST(opening_hours, open_only_inside_a_span_of_the_local_weekday) {
  // 2026-11-23 is a Monday (weekday 0). Open Mon 08:00–18:00.
  const std::vector<opening_span> spans{{0, 8 * 60, 18 * 60}};
  EXPECT_TRUE(is_open_at(at(2026, 11, 23, 8, 0), 0, spans));
  EXPECT_TRUE(is_open_at(at(2026, 11, 23, 17, 59), 0, spans));
  EXPECT_FALSE(is_open_at(at(2026, 11, 23, 18, 0), 0, spans));  // closing minute is exclusive
  EXPECT_FALSE(is_open_at(at(2026, 11, 23, 7, 59), 0, spans));
  EXPECT_FALSE(is_open_at(at(2026, 11, 24, 9, 0), 0, spans));  // Tuesday
  // 07:30 UTC is 08:30 at UTC+1: open.
  EXPECT_TRUE(is_open_at(at(2026, 11, 23, 7, 30), 60, spans));
  EXPECT_FALSE(is_open_at(at(2026, 11, 23, 9, 0), 0, {}));
}

TEST(order_states, every_allowed_transition_is_allowed) {
  const std::vector<std::tuple<S, S, T>> allowed = {
      {S::pending_payment, S::paid, T::takeaway},   {S::pending_payment, S::cancelled, T::takeaway},
      {S::paid, S::preparing, T::takeaway},         {S::paid, S::refunded, T::takeaway},
      {S::preparing, S::ready, T::eat_in},          {S::preparing, S::refunded, T::eat_in},
      {S::ready, S::collected, T::pickup},          {S::ready, S::refunded, T::pickup},
      {S::ready, S::out_for_delivery, T::delivery}, {S::out_for_delivery, S::delivered, T::delivery},
      {S::out_for_delivery, S::refunded, T::delivery}, {S::collected, S::refunded, T::takeaway},
      {S::delivered, S::refunded, T::delivery},
  };
  for (const auto& [from, to, type] : allowed) {
    EXPECT_TRUE(can_transition(from, to, type)) << protocol::to_string(from) << " → " << protocol::to_string(to);
  }
}

TEST(order_states, everything_else_is_forbidden) {
  const S all[] = {S::pending_payment, S::paid,      S::preparing, S::ready,   S::collected,
                   S::out_for_delivery, S::delivered, S::cancelled, S::refunded};
  int allowed = 0;
  for (S from : all) {
    for (S to : all) {
      for (T type : {T::takeaway, T::delivery}) allowed += can_transition(from, to, type) ? 1 : 0;
    }
  }
  // 13 distinct rules; those not tied to the order type count twice (takeaway + delivery):
  // 11 type-free rules × 2 + ready→collected (takeaway) + ready→out_for_delivery (delivery).
  EXPECT_EQ(allowed, 11 * 2 + 2);
  EXPECT_FALSE(can_transition(S::pending_payment, S::ready, T::takeaway));  // must be paid first
  EXPECT_FALSE(can_transition(S::paid, S::cancelled, T::takeaway));        // paid orders are refunded
  EXPECT_FALSE(can_transition(S::ready, S::collected, T::delivery));
  EXPECT_FALSE(can_transition(S::ready, S::out_for_delivery, T::takeaway));
  EXPECT_FALSE(can_transition(S::cancelled, S::paid, T::takeaway));
  EXPECT_FALSE(can_transition(S::refunded, S::refunded, T::takeaway));
  EXPECT_FALSE(can_transition(S::paid, S::paid, T::takeaway));
}

TEST(order_states, queue_and_final_states) {
  EXPECT_TRUE(is_queued(S::pending_payment));
  EXPECT_TRUE(is_queued(S::paid));
  EXPECT_TRUE(is_queued(S::preparing));
  EXPECT_FALSE(is_queued(S::ready));
  EXPECT_TRUE(is_final(S::cancelled));
  EXPECT_TRUE(is_final(S::refunded));
  EXPECT_FALSE(is_final(S::delivered));
}

}  // namespace
}  // namespace kh::hub
