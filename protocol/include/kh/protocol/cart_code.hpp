#pragma once
// The cart QR code: a cart shown as text that a kiosk scans to take it over and pay there
// (docs/protocol.md, "Codes the kiosk scans"). Made by the hub's phone shop, read by the kiosk.
//
//   khc:1:PRODUCT*QTY[,PRODUCT*QTY…]                      version 1 (no options)
//   khc:2:PRODUCT*QTY[/GROUP=OPTION[+OPTION…]…][,…]        version 2 (options per line)
//
// Ids are 1–64 of [A-Za-z0-9_.-], quantities 1–99, 1–100 lines, at most 2000 characters.

#include <string>
#include <string_view>
#include <vector>

#include "kh/protocol/messages.hpp"
#include "kh/protocol/result.hpp"

namespace kh::protocol {

struct cart_code_line {
  std::string product_id;
  int qty = 1;
  std::vector<line_option> options;  ///< in the order given; empty for version 1

  friend bool operator==(const cart_code_line&, const cart_code_line&) = default;
};

/// Longest cart code text (fits a QR code at ECC level M with room to spare).
inline constexpr std::size_t max_cart_code = 2000;

/// The code for `lines`: version 1 when no line has options (every kiosk reads it), else 2.
/// `malformed` for an empty cart, more than 100 lines, a quantity outside 1–99, an id outside
/// the character set, or a text longer than max_cart_code.
result<std::string> encode_cart_code(const std::vector<cart_code_line>& lines);

/// The lines of a `khc:1:` or `khc:2:` text; `malformed` (with a message saying where) for
/// anything else, including an unknown version. Options of one group are listed as given.
result<std::vector<cart_code_line>> decode_cart_code(std::string_view text);

}  // namespace kh::protocol
