#include "kh/protocol/result.hpp"

#include <array>
#include <string_view>

namespace kh::protocol {

namespace {
// Index = enum value; the order must match `enum class code`.
constexpr std::array<const char*, 35> code_words = {
    "malformed",           "unsupported_version", "too_large",       "unknown_type",
    "invalid_quantity",    "too_many_lines",      "empty_order",     "unknown_product",
    "product_unavailable", "out_of_stock",        "business_closed", "invalid_discount",
    "forbidden",           "order_conflict",      "internal",        "busy",
    "rate_limited",        "hold_limit",
    "order_type_unavailable", "payment_unavailable", "invalid_slot", "below_minimum",
    "missing_detail",      "unknown_option",      "option_unavailable", "too_many_choices",
    "missing_choice",      "unknown_order",
    "not_paid",            "not_ready",       "already_collected",
    "invalid_transition",  "insufficient_cash",   "invalid_ticket",
    "not_available_now",
};
static_assert(static_cast<std::size_t>(last_code) + 1 == code_words.size());
}  // namespace

const char* to_string(code c) noexcept {
  const auto i = static_cast<std::size_t>(c);
  return i < code_words.size() ? code_words[i] : "internal";
}

bool from_string(std::string_view s, code& out) noexcept {
  for (std::size_t i = 0; i < code_words.size(); ++i) {
    if (s == code_words[i]) {
      out = static_cast<code>(i);
      return true;
    }
  }
  return false;
}

}  // namespace kh::protocol
