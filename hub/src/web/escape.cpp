#include "kh/hub/web/escape.hpp"

#include <cstdio>
#include <stdexcept>

namespace kh::hub::web {

namespace {
// HTML text and quoted attribute values share the five entity escapes; attributes also escape
// the characters that matter when a value ends up in an unquoted or backtick-delimited context.
std::string escape_markup(std::string_view s, bool attribute) {
  std::string out;
  out.reserve(s.size() + 16);
  for (const char c : s) {
    switch (c) {
      case '&': out += "&amp;"; break;
      case '<': out += "&lt;"; break;
      case '>': out += "&gt;"; break;
      case '"': out += "&quot;"; break;
      case '\'': out += "&#39;"; break;
      case '`': out += attribute ? "&#96;" : "`"; break;
      case '=': out += attribute ? "&#61;" : "="; break;
      default: out += c;
    }
  }
  return out;
}
}  // namespace

std::string escape_html(std::string_view s) { return escape_markup(s, false); }

std::string escape_attr(std::string_view s) { return escape_markup(s, true); }

std::string escape_url_component(std::string_view s) {
  static constexpr char hex[] = "0123456789ABCDEF";
  std::string out;
  for (const char ch : s) {
    const auto c = static_cast<unsigned char>(ch);
    const bool unreserved = (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') ||
                            c == '-' || c == '.' || c == '_' || c == '~';
    if (unreserved) {
      out += ch;
    } else {
      out += '%';
      out += hex[c >> 4];
      out += hex[c & 15];
    }
  }
  return out;
}

std::string escape_js_string(std::string_view s) {
  std::string out;
  for (const char ch : s) {
    const auto c = static_cast<unsigned char>(ch);
    if (c < 0x20 || c == '"' || c == '\'' || c == '\\' || c == '<' || c == '>' || c == '&' || c == '`' ||
        c == '=' || c == 0x7f) {
      char buf[8];
      std::snprintf(buf, sizeof buf, "\\u%04x", c);
      out += buf;
    } else {
      out += ch;  // UTF-8 bytes pass through (U+2028/2029 are legal in string literals since ES2019)
    }
  }
  return out;
}

safe_html render(std::string_view t, const template_vars& vars) {
  std::string out;
  out.reserve(t.size() * 2);
  std::size_t i = 0;
  while (i < t.size()) {
    const auto open = t.find("{{", i);
    if (open == std::string_view::npos) {
      out.append(t.substr(i));
      break;
    }
    out.append(t.substr(i, open - i));
    const auto close = t.find("}}", open + 2);
    if (close == std::string_view::npos) throw std::invalid_argument("template: unclosed {{");
    std::string_view expr = t.substr(open + 2, close - open - 2);
    std::string_view filter;
    if (const auto bar = expr.find('|'); bar != std::string_view::npos) {
      filter = expr.substr(bar + 1);
      expr = expr.substr(0, bar);
    }
    const auto it = vars.find(expr);
    if (it == vars.end()) throw std::invalid_argument("template: no value for '" + std::string(expr) + "'");
    if (filter == "html") {
      const auto* h = std::get_if<safe_html>(&it->second);
      if (!h) throw std::invalid_argument("template: '" + std::string(expr) + "' is not safe_html");
      out += h->html;
    } else {
      const std::string& v = std::holds_alternative<std::string>(it->second) ? std::get<std::string>(it->second)
                                                                            : std::get<safe_html>(it->second).html;
      if (filter.empty()) out += escape_html(v);
      else if (filter == "attr") out += escape_attr(v);
      else if (filter == "url") out += escape_url_component(v);
      else if (filter == "js") out += escape_js_string(v);
      else throw std::invalid_argument("template: unknown filter '" + std::string(filter) + "'");
    }
    i = close + 2;
  }
  return {std::move(out)};
}

}  // namespace kh::hub::web
