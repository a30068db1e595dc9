#pragma once
// Money is an integer count of minor units plus an ISO 4217 code. It never passes through a float.

#include <cstdint>
#include <string>
#include <string_view>

namespace kh::protocol {

struct money {
  std::int64_t amount = 0;   ///< minor units (cents for EUR)
  std::string currency = "EUR";  ///< ISO 4217, three upper-case letters

  friend bool operator==(const money&, const money&) = default;
};

/// True for three ASCII upper-case letters.
bool is_currency_code(std::string_view s) noexcept;

/// "12.30 EUR"-style text for logs and receipts (2 decimals; the currencies used here all have 2).
std::string format_money(const money& m);

/// Rounds num/den to the nearest integer, halves away from zero (commercial rounding).
/// Precondition: den > 0.
std::int64_t div_round_half_away(std::int64_t num, std::int64_t den) noexcept;

}  // namespace kh::protocol
