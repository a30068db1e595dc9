#include "kh/hub/ingress/log_text.hpp"

#include <cstdint>
#include <cstdio>

#include "kh/protocol/codec.hpp"

namespace kh::hub {

std::string log_escape(std::string_view s, std::size_t max_bytes) {
  std::string out;
  const std::size_t n = s.size() < max_bytes ? s.size() : max_bytes;
  out.reserve(n + 8);
  char buf[16];
  std::size_t i = 0;
  while (i < n) {
    const auto b0 = static_cast<unsigned char>(s[i]);
    if (b0 >= 0x20 && b0 < 0x7F) {
      if (b0 == '\\') out += '\\';
      out += static_cast<char>(b0);
      ++i;
      continue;
    }
    std::size_t len = 0;
    if (b0 >= 0xC2 && b0 <= 0xDF) len = 2;
    else if (b0 >= 0xE0 && b0 <= 0xEF) len = 3;
    else if (b0 >= 0xF0 && b0 <= 0xF4) len = 4;
    if (len != 0 && i + len <= n && protocol::is_valid_utf8(s.substr(i, len))) {
      std::uint32_t cp = b0 & (len == 2 ? 0x1Fu : len == 3 ? 0x0Fu : 0x07u);
      for (std::size_t k = 1; k < len; ++k) cp = (cp << 6) | (static_cast<unsigned char>(s[i + k]) & 0x3Fu);
      if (protocol::is_control_code_point(cp)) {
        std::snprintf(buf, sizeof buf, "\\u{%04X}", static_cast<unsigned>(cp));
        out += buf;
      } else {
        out.append(s.substr(i, len));
      }
      i += len;
      continue;
    }
    std::snprintf(buf, sizeof buf, "\\x%02X", static_cast<unsigned>(b0));
    out += buf;
    ++i;
  }
  if (s.size() > n) out += "…(" + std::to_string(s.size()) + " bytes)";
  return out;
}

}  // namespace kh::hub
