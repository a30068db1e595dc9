#pragma once
// Money for customers, per language and currency ("€3.60", "3,60 €"): the one formatter the hub's
// pages and the kiosk share. (kh/protocol/money.hpp keeps the "3.60 EUR" form for logs.)

#include <string>
#include <string_view>

#include "kh/protocol/money.hpp"

namespace kh::protocol {

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

}  // namespace kh::protocol
