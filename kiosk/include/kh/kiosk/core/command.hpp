#pragma once
// Line commands of the headless front-end (and of any scripted operator console). Parsing is pure
// and strict: a line either parses completely or gives a failure and no command.
//
//   catalog
//   order SKU:QTY[,SKU:QTY…] TYPE METHOD     TYPE eat_in|takeaway|pickup|delivery,
//                                           METHOD card_present|cash|wallet
//   status
//   wait
//   quit

#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <variant>
#include <vector>

#include "kh/kiosk/core/error.hpp"
#include "kh/protocol/messages.hpp"

namespace kh::kiosk {

namespace commands {
struct catalog {};
struct status {};
struct wait {};
struct quit {};
struct order_item {
  std::string sku;
  int qty = 0;
  friend bool operator==(const order_item&, const order_item&) = default;
};
struct order {
  std::vector<order_item> items;
  protocol::order_type type = protocol::order_type::takeaway;
  protocol::payment_method payment = protocol::payment_method::card_present;
};
}  // namespace commands

using command = std::variant<commands::catalog, commands::order, commands::status, commands::wait,
                             commands::quit>;

/// A parse failure remembers which command word it was for (empty when the word was unknown).
struct command_error {
  std::string cmd;
  failure why;
};

/// Longest accepted command line in bytes (default: 8 KiB; 100 lines of long SKUs fit).
inline constexpr std::size_t max_command_line = 8 * 1024;

/// Parses one line (without its newline; a trailing '\r' and surrounding blanks are ignored).
/// Errors: bad_command (syntax, unknown word, unknown TYPE/METHOD, non-numeric QTY),
/// invalid_quantity (QTY outside 1..99), too_many_lines (> 100 items).
std::variant<command, command_error> parse_command(std::string_view line);

/// The command word of a parsed command ("catalog", "order", …).
const char* command_name(const command& c) noexcept;

}  // namespace kh::kiosk
