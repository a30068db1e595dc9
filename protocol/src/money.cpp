#include "kh/protocol/money.hpp"

namespace kh::protocol {

bool is_currency_code(std::string_view s) noexcept {
  if (s.size() != 3) return false;
  for (char c : s) {
    if (c < 'A' || c > 'Z') return false;
  }
  return true;
}

std::string format_money(const money& m) {
  // Work on the magnitude as unsigned so INT64_MIN does not overflow.
  const bool negative = m.amount < 0;
  const std::uint64_t mag = negative ? static_cast<std::uint64_t>(-(m.amount + 1)) + 1u
                                     : static_cast<std::uint64_t>(m.amount);
  const std::uint64_t units = mag / 100;
  const std::uint64_t cents = mag % 100;
  std::string out;
  if (negative) out.push_back('-');
  out += std::to_string(units);
  out.push_back('.');
  out.push_back(static_cast<char>('0' + cents / 10));
  out.push_back(static_cast<char>('0' + cents % 10));
  out.push_back(' ');
  out += m.currency;
  return out;
}

std::int64_t div_round_half_away(std::int64_t num, std::int64_t den) noexcept {
  std::int64_t q = num / den;        // truncates toward zero
  const std::int64_t r = num % den;  // same sign as num, |r| < den
  const std::int64_t abs_r = r < 0 ? -r : r;
  // |r| >= den - |r| is 2|r| >= den without the overflow.
  if (abs_r >= den - abs_r) q += (num < 0) ? -1 : 1;
  return q;
}

}  // namespace kh::protocol
