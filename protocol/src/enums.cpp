#include <array>
#include <string_view>

#include "kh/protocol/messages.hpp"

namespace kh::protocol {

namespace {
// Wire words, indexed by enum value; the order must match the enums in messages.hpp.
constexpr std::array<const char*, 4> order_type_words = {"eat_in", "takeaway", "pickup",
                                                         "delivery"};
constexpr std::array<const char*, 3> payment_method_words = {"card_present", "cash", "wallet"};
constexpr std::array<const char*, 3> device_mode_words = {"shop", "counter", "board"};
constexpr std::array<const char*, 9> order_state_words = {
    "pending_payment",  "paid",      "preparing", "ready",    "collected",
    "out_for_delivery", "delivered", "cancelled", "refunded",
};
constexpr std::array<const char*, 2> tax_mode_words = {"inclusive", "exclusive"};
constexpr std::array<const char*, 6> printer_state_words = {"ok",         "paper_low", "paper_out",
                                                            "cover_open", "offline",   "absent"};
constexpr std::array<const char*, 3> camera_state_words = {"ok", "error", "absent"};
static_assert(static_cast<std::size_t>(tax_mode::exclusive) + 1 == tax_mode_words.size());
static_assert(static_cast<std::size_t>(printer_state::absent) + 1 == printer_state_words.size());
static_assert(static_cast<std::size_t>(camera_state::absent) + 1 == camera_state_words.size());
constexpr std::array<const char*, 7> staff_action_words = {
    "preparing", "ready", "out_for_delivery", "delivered", "collect", "take_cash", "cancel"};
constexpr std::array<const char*, 2> order_channel_words = {"kiosk", "phone"};
static_assert(static_cast<std::size_t>(staff_action::cancel) + 1 == staff_action_words.size());
static_assert(static_cast<std::size_t>(order_channel::phone) + 1 == order_channel_words.size());
static_assert(static_cast<std::size_t>(order_type::delivery) + 1 == order_type_words.size());
static_assert(static_cast<std::size_t>(payment_method::wallet) + 1 == payment_method_words.size());
static_assert(static_cast<std::size_t>(device_mode::board) + 1 == device_mode_words.size());
static_assert(static_cast<std::size_t>(order_state::refunded) + 1 == order_state_words.size());

template <class E, std::size_t N>
const char* word_of(const std::array<const char*, N>& words, E v) noexcept {
  const auto i = static_cast<std::size_t>(v);
  return i < N ? words[i] : "unknown";
}

template <class E, std::size_t N>
bool parse_word(const std::array<const char*, N>& words, std::string_view s, E& out) noexcept {
  for (std::size_t i = 0; i < N; ++i) {
    if (s == words[i]) {
      out = static_cast<E>(i);
      return true;
    }
  }
  return false;
}
}  // namespace

const char* to_string(order_type v) noexcept {
  return word_of(order_type_words, v);
}
const char* to_string(payment_method v) noexcept {
  return word_of(payment_method_words, v);
}
const char* to_string(device_mode v) noexcept {
  return word_of(device_mode_words, v);
}
const char* to_string(order_state v) noexcept {
  return word_of(order_state_words, v);
}

const char* to_string(tax_mode v) noexcept { return word_of(tax_mode_words, v); }
const char* to_string(printer_state v) noexcept { return word_of(printer_state_words, v); }
const char* to_string(camera_state v) noexcept { return word_of(camera_state_words, v); }
bool from_string(std::string_view s, tax_mode& out) noexcept {
  return parse_word(tax_mode_words, s, out);
}
bool from_string(std::string_view s, printer_state& out) noexcept {
  return parse_word(printer_state_words, s, out);
}
bool from_string(std::string_view s, camera_state& out) noexcept {
  return parse_word(camera_state_words, s, out);
}
const char* to_string(staff_action v) noexcept {
  return word_of(staff_action_words, v);
}
const char* to_string(order_channel v) noexcept {
  return word_of(order_channel_words, v);
}
bool from_string(std::string_view s, staff_action& out) noexcept {
  return parse_word(staff_action_words, s, out);
}
bool from_string(std::string_view s, order_channel& out) noexcept {
  return parse_word(order_channel_words, s, out);
}

bool from_string(std::string_view s, order_type& out) noexcept {
  return parse_word(order_type_words, s, out);
}
bool from_string(std::string_view s, payment_method& out) noexcept {
  return parse_word(payment_method_words, s, out);
}
bool from_string(std::string_view s, device_mode& out) noexcept {
  return parse_word(device_mode_words, s, out);
}
bool from_string(std::string_view s, order_state& out) noexcept {
  return parse_word(order_state_words, s, out);
}

bool is_known_type(std::string_view type) noexcept {
  for (const char* t : types::all) {
    if (type == t) return true;
  }
  return false;
}

const order_type_offer* store_profile::offer(order_type t) const noexcept {
  for (const auto& o : order_types) {
    if (o.type == t) return &o;
  }
  return nullptr;
}

bool store_profile::accepts(payment_method m) const noexcept {
  for (auto p : payment_methods) {
    if (p == m) return true;
  }
  return false;
}

const product* catalog::find_product(std::string_view id) const noexcept {
  for (const auto& p : products) {
    if (p.id == id) return &p;
  }
  return nullptr;
}

bool is_local_number(std::string_view s) noexcept {
  const auto dash = s.find('-');
  if (dash == std::string_view::npos || dash == 0 || dash > 8) return false;
  for (std::size_t i = 0; i < dash; ++i) {
    const char c = s[i];
    if (!((c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9'))) return false;
  }
  const auto digits = s.substr(dash + 1);
  if (digits.empty() || digits.size() > 4) return false;
  for (char c : digits) {
    if (c < '0' || c > '9') return false;
  }
  return true;
}

bool is_type_word(std::string_view s) noexcept {
  if (s.empty() || s.size() > 64) return false;
  for (char c : s) {
    const bool ok =
        (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '.' || c == '_' || c == '-';
    if (!ok) return false;
  }
  return s.front() != '.' && s.back() != '.';
}

}  // namespace kh::protocol
