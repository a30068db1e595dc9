#include "kh/kiosk/core/command.hpp"

#include <charconv>
#include <string>

namespace kh::kiosk {

namespace {

bool is_blank(char c) {
  return c == ' ' || c == '\t' || c == '\r' || c == '\n' || c == '\v' || c == '\f';
}

std::vector<std::string_view> words(std::string_view s) {
  std::vector<std::string_view> out;
  std::size_t i = 0;
  while (i < s.size()) {
    while (i < s.size() && is_blank(s[i])) ++i;
    const auto start = i;
    while (i < s.size() && !is_blank(s[i])) ++i;
    if (i > start) out.push_back(s.substr(start, i - start));
  }
  return out;
}

command_error err(std::string cmd, errc c, std::string message) {
  return command_error{std::move(cmd), fail(c, std::move(message))};
}

const char* order_usage() {
  return "usage: order SKU:QTY[,SKU:QTY...] eat_in|takeaway|pickup|delivery "
         "card_present|cash|wallet";
}

std::variant<command, command_error> parse_order(const std::vector<std::string_view>& w) {
  if (w.size() != 4) return err("order", errc::bad_command, order_usage());
  commands::order o;
  if (!protocol::from_string(w[2], o.type)) {
    return err("order", errc::bad_command,
               "unknown order type '" + std::string(w[2]) + "'; " + order_usage());
  }
  if (!protocol::from_string(w[3], o.payment)) {
    return err("order", errc::bad_command,
               "unknown payment method '" + std::string(w[3]) + "'; " + order_usage());
  }
  std::string_view items = w[1];
  std::size_t start = 0;
  while (true) {
    const auto comma = items.find(',', start);
    const auto item = items.substr(
        start, comma == std::string_view::npos ? std::string_view::npos : comma - start);
    const auto colon = item.rfind(':');
    if (item.empty() || colon == std::string_view::npos || colon == 0 || colon + 1 == item.size()) {
      return err("order", errc::bad_command,
                 "item '" + std::string(item) + "' is not SKU:QTY; " + order_usage());
    }
    const auto sku = item.substr(0, colon);
    const auto qty_text = item.substr(colon + 1);
    // Accept a sign and digits so "-1" and "0" get the protocol's invalid_quantity, not a syntax
    // error.
    std::size_t digits_from = (qty_text[0] == '-' || qty_text[0] == '+') ? 1 : 0;
    if (digits_from == qty_text.size())
      return err("order", errc::bad_command,
                 "quantity '" + std::string(qty_text) + "' is not a number");
    for (std::size_t i = digits_from; i < qty_text.size(); ++i) {
      if (qty_text[i] < '0' || qty_text[i] > '9') {
        return err("order", errc::bad_command,
                   "quantity '" + std::string(qty_text) + "' is not a number");
      }
    }
    long long qty = 0;
    const auto* first = qty_text.data() + (qty_text[0] == '+' ? 1 : 0);
    const auto [ptr, ec] = std::from_chars(first, qty_text.data() + qty_text.size(), qty);
    if (ec != std::errc{} || ptr != qty_text.data() + qty_text.size() ||
        qty < protocol::limits::min_qty || qty > protocol::limits::max_qty) {
      return err("order", errc::invalid_quantity,
                 "quantity '" + std::string(qty_text) + "' for SKU '" + std::string(sku) +
                     "' is outside " + std::to_string(protocol::limits::min_qty) + ".." +
                     std::to_string(protocol::limits::max_qty));
    }
    if (o.items.size() >= protocol::limits::max_lines) {
      return err("order", errc::too_many_lines,
                 "an order has at most " + std::to_string(protocol::limits::max_lines) + " lines");
    }
    o.items.push_back(commands::order_item{std::string(sku), static_cast<int>(qty)});
    if (comma == std::string_view::npos) break;
    start = comma + 1;
  }
  return command{std::move(o)};
}

}  // namespace

std::variant<command, command_error> parse_command(std::string_view line) {
  if (line.size() > max_command_line) {
    return err("", errc::bad_command,
               "command line longer than " + std::to_string(max_command_line) + " bytes");
  }
  const auto w = words(line);
  if (w.empty()) return err("", errc::bad_command, "empty command");
  const auto word = w[0];
  auto no_args = [&](command c, const char* name) -> std::variant<command, command_error> {
    if (w.size() != 1)
      return err(name, errc::bad_command, std::string("'") + name + "' takes no arguments");
    return c;
  };
  if (word == "catalog") return no_args(commands::catalog{}, "catalog");
  if (word == "status") return no_args(commands::status{}, "status");
  if (word == "wait") return no_args(commands::wait{}, "wait");
  if (word == "quit") return no_args(commands::quit{}, "quit");
  if (word == "order") return parse_order(w);
  std::string shown(word.substr(0, 64));
  return err("", errc::bad_command,
             "unknown command '" + shown + "' (commands: catalog, order, status, wait, quit)");
}

const char* command_name(const command& c) noexcept {
  struct visitor {
    const char* operator()(const commands::catalog&) const { return "catalog"; }
    const char* operator()(const commands::order&) const { return "order"; }
    const char* operator()(const commands::status&) const { return "status"; }
    const char* operator()(const commands::wait&) const { return "wait"; }
    const char* operator()(const commands::quit&) const { return "quit"; }
  };
  return std::visit(visitor{}, c);
}

}  // namespace kh::kiosk
