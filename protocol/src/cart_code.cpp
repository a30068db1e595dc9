#include "kh/protocol/cart_code.hpp"

namespace kh::protocol {

namespace {

constexpr std::size_t k_max_lines = 100;
constexpr std::size_t k_max_id = 64;

bool id_char(char c) noexcept {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_' || c == '.' ||
         c == '-';
}

bool is_code_id(std::string_view s) noexcept {
  if (s.empty() || s.size() > k_max_id) return false;
  for (char c : s)
    if (!id_char(c)) return false;
  return true;
}

problem bad(std::string message) { return make_problem(code::malformed, "cart code: " + std::move(message)); }

// Splits on `sep`; an empty input gives one empty part.
std::vector<std::string_view> split(std::string_view s, char sep) {
  std::vector<std::string_view> out;
  for (;;) {
    const auto at = s.find(sep);
    out.push_back(s.substr(0, at));
    if (at == std::string_view::npos) return out;
    s = s.substr(at + 1);
  }
}

}  // namespace

result<std::string> encode_cart_code(const std::vector<cart_code_line>& lines) {
  if (lines.empty()) return bad("the cart is empty");
  if (lines.size() > k_max_lines) return bad("more than 100 lines");
  bool any_options = false;
  for (const auto& l : lines) any_options = any_options || !l.options.empty();
  std::string out = any_options ? "khc:2:" : "khc:1:";
  for (std::size_t i = 0; i < lines.size(); ++i) {
    const auto& l = lines[i];
    if (!is_code_id(l.product_id)) return bad("product id '" + l.product_id + "' cannot be written");
    if (l.qty < 1 || l.qty > 99) return bad("quantity of " + l.product_id + " must be 1-99");
    if (i > 0) out.push_back(',');
    out += l.product_id;
    out.push_back('*');
    out += std::to_string(l.qty);
    // Options of one group go together: /size=large/extras=oat+shot.
    std::vector<bool> done(l.options.size(), false);
    for (std::size_t a = 0; a < l.options.size(); ++a) {
      if (done[a]) continue;
      const auto& g = l.options[a].group_id;
      if (!is_code_id(g)) return bad("option group '" + g + "' cannot be written");
      out.push_back('/');
      out += g;
      char sep = '=';
      for (std::size_t b = a; b < l.options.size(); ++b) {
        if (done[b] || l.options[b].group_id != g) continue;
        if (!is_code_id(l.options[b].option_id)) return bad("option '" + l.options[b].option_id + "' cannot be written");
        out.push_back(sep);
        out += l.options[b].option_id;
        sep = '+';
        done[b] = true;
      }
    }
  }
  if (out.size() > max_cart_code) return bad("longer than 2000 characters");
  return out;
}

result<std::vector<cart_code_line>> decode_cart_code(std::string_view text) {
  if (text.size() > max_cart_code) return bad("longer than 2000 characters");
  int version = 0;
  if (text.substr(0, 6) == "khc:1:") version = 1;
  else if (text.substr(0, 6) == "khc:2:") version = 2;
  else if (text.substr(0, 4) == "khc:") return bad("unknown version");
  else return bad("not a cart code");
  const std::string_view body = text.substr(6);
  if (body.empty()) return bad("no lines");
  std::vector<cart_code_line> out;
  for (const auto item : split(body, ',')) {
    if (out.size() == k_max_lines) return bad("more than 100 lines");
    const auto parts = split(item, '/');
    if (version == 1 && parts.size() > 1) return bad("options need version 2");
    const auto head = parts[0];
    const auto star = head.find('*');
    if (star == std::string_view::npos) return bad("line " + std::to_string(out.size() + 1) + " has no '*QTY'");
    cart_code_line l;
    l.product_id = std::string(head.substr(0, star));
    if (!is_code_id(l.product_id)) return bad("line " + std::to_string(out.size() + 1) + " has a bad product id");
    const auto q = head.substr(star + 1);
    if (q.empty() || q.size() > 2 || q[0] == '0') return bad("quantity of " + l.product_id + " must be 1-99");
    l.qty = 0;
    for (char c : q) {
      if (c < '0' || c > '9') return bad("quantity of " + l.product_id + " must be 1-99");
      l.qty = l.qty * 10 + (c - '0');
    }
    for (std::size_t p = 1; p < parts.size(); ++p) {
      const auto eq = parts[p].find('=');
      if (eq == std::string_view::npos) return bad("option group of " + l.product_id + " has no '='");
      const std::string group(parts[p].substr(0, eq));
      if (!is_code_id(group)) return bad("bad option group on " + l.product_id);
      for (const auto opt : split(parts[p].substr(eq + 1), '+')) {
        if (!is_code_id(opt)) return bad("bad option in group " + group + " on " + l.product_id);
        l.options.push_back({group, std::string(opt)});
      }
    }
    out.push_back(std::move(l));
  }
  return out;
}

}  // namespace kh::protocol
