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

/// How one language writes an amount: the decimal mark and where the symbol goes.
struct money_style {
  std::string decimal = ".";  ///< "." (en) or "," (fr, de, …)
  bool symbol_after = false;  ///< true: "3,60 €"; false: "€3.60"
};

/// The style of a two-letter language code: "en" (and unknown codes) `€3.60`; "fr", "de", "es",
/// "it", "nl", "pt" `3,60 €`. The one table the hub's pages and the kiosk share.
money_style money_style_for(std::string_view language) noexcept;

/// Digits after the decimal mark for a currency: 0 for JPY and KRW, else 2.
int minor_digits(std::string_view currency) noexcept;

/// "€", "$", "£" for EUR, USD, GBP; otherwise the code itself ("CHF").
std::string currency_symbol(std::string_view currency);

/// An amount for customers: `€3.60` / `3,60 €`; a code for a symbol keeps a no-break space
/// (`CHF 3.60`, `3,60 CHF`), and a symbol after the number always has one (U+00A0), so a total
/// never wraps between the two. Negative amounts start with "-".
std::string format_money(const money& m, const money_style& style);
/// Same, in the style of `language` (money_style_for).
std::string format_money(const money& m, std::string_view language);

/// Rounds num/den to the nearest integer, halves away from zero (commercial rounding).
/// Precondition: den > 0.
std::int64_t div_round_half_away(std::int64_t num, std::int64_t den) noexcept;

}  // namespace kh::protocol
