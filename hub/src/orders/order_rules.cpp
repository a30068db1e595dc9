#include "kh/hub/orders/order_rules.hpp"

#include <cstdio>

namespace kh::hub {

// can_transition lives in order_transitions.cpp with the rest of the state rules.

bool is_queued(order_state s) noexcept {
  return s == order_state::pending_payment || s == order_state::paid || s == order_state::preparing;
}

bool is_final(order_state s) noexcept { return s == order_state::cancelled || s == order_state::refunded; }

std::string format_order_number(std::int64_t seq) {
  if (seq < 1) seq = 1;
  const std::int64_t zero_based = seq - 1;
  // Bijective base 26 of the block number: 1 → A, 26 → Z, 27 → AA, … (never wraps).
  std::string letters;
  for (std::int64_t block = zero_based / 999 + 1; block > 0; block = (block - 1) / 26) {
    letters.insert(letters.begin(), static_cast<char>('A' + (block - 1) % 26));
  }
  const int digits = static_cast<int>(zero_based % 999) + 1;
  char buf[8];
  std::snprintf(buf, sizeof buf, "-%03d", digits);
  return letters + buf;
}

namespace {
std::chrono::sys_seconds local_seconds(std::chrono::system_clock::time_point t, int offset_min) {
  return std::chrono::floor<std::chrono::seconds>(t) + std::chrono::minutes(offset_min);
}
}  // namespace

std::string local_day(std::chrono::system_clock::time_point t, int utc_offset_minutes) {
  using namespace std::chrono;
  const auto day = floor<days>(local_seconds(t, utc_offset_minutes));
  const year_month_day ymd{day};
  char buf[16];
  std::snprintf(buf, sizeof buf, "%04d-%02u-%02u", static_cast<int>(ymd.year()),
                static_cast<unsigned>(ymd.month()), static_cast<unsigned>(ymd.day()));
  return buf;
}

bool is_open_at(std::chrono::system_clock::time_point t, int utc_offset_minutes,
                const std::vector<opening_span>& spans) {
  using namespace std::chrono;
  const auto local = local_seconds(t, utc_offset_minutes);
  const auto day = floor<days>(local);
  const int wd = static_cast<int>(std::chrono::weekday{day}.iso_encoding()) - 1;  // Monday = 0
  const int minute = static_cast<int>(duration_cast<minutes>(local - day).count());
  for (const auto& s : spans) {
    if (s.weekday == wd && minute >= s.opens_minute && minute < s.closes_minute) return true;
  }
  return false;
}

std::int64_t to_ms(std::chrono::system_clock::time_point t) noexcept {
  return std::chrono::duration_cast<std::chrono::milliseconds>(t.time_since_epoch()).count();
}

std::chrono::system_clock::time_point from_ms(std::int64_t ms) noexcept {
  return std::chrono::system_clock::time_point(
      std::chrono::duration_cast<std::chrono::system_clock::duration>(std::chrono::milliseconds(ms)));
}

}  // namespace kh::hub
