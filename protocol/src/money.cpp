#include "kh/protocol/money_format.hpp"

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

money_style money_style_for(std::string_view language) noexcept {
  for (std::string_view comma : {"fr", "de", "es", "it", "nl", "pt"}) {
    if (language == comma) return money_style{",", true};
  }
  return money_style{".", false};
}

int minor_digits(std::string_view currency) noexcept {
  return currency == "JPY" || currency == "KRW" ? 0 : 2;
}

std::string currency_symbol(std::string_view currency) {
  if (currency == "EUR") return "\u20ac";
  if (currency == "USD") return "$";
  if (currency == "GBP") return "\u00a3";
  return std::string(currency);
}

std::string format_money(const money& m, const money_style& style) {
  const int exp = minor_digits(m.currency);
  const std::string sym = currency_symbol(m.currency);
  const bool negative = m.amount < 0;
  const std::uint64_t mag = negative ? static_cast<std::uint64_t>(-(m.amount + 1)) + 1u
                                     : static_cast<std::uint64_t>(m.amount);
  std::uint64_t div = 1;
  for (int i = 0; i < exp; ++i) div *= 10;
  std::string num = std::to_string(mag / div);
  if (exp > 0) {
    std::string frac = std::to_string(mag % div);
    frac.insert(0, static_cast<std::size_t>(exp) - frac.size(), '0');
    num += style.decimal + frac;
  }
  const bool word = sym == m.currency;  // "CHF 3.60" / "3,60 CHF"
  std::string out = negative ? "-" : "";
  if (style.symbol_after) out += num + "\u00a0" + sym;
  else out += sym + (word ? "\u00a0" : "") + num;
  return out;
}

std::string format_money(const money& m, std::string_view language) {
  return format_money(m, money_style_for(language));
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
