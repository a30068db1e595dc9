#include "kh/protocol/ids.hpp"

#include <array>
#include <cstdint>
#include <random>

namespace kh::protocol {

namespace {
// One generator per thread: no locking, and each is seeded from the OS entropy source, so two
// threads (or two processes) never share a sequence.
std::mt19937_64& generator() {
  thread_local std::mt19937_64 gen = [] {
    std::random_device rd;
    std::seed_seq seq{rd(), rd(), rd(), rd(), rd(), rd(), rd(), rd()};
    return std::mt19937_64(seq);
  }();
  return gen;
}

bool is_hex(char c) noexcept {
  return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F');
}
}  // namespace

std::string new_uuid() {
  std::array<std::uint8_t, 16> b{};
  auto& gen = generator();
  for (std::size_t i = 0; i < b.size(); i += 8) {
    std::uint64_t r = gen();
    for (std::size_t k = 0; k < 8; ++k) {
      b[i + k] = static_cast<std::uint8_t>(r >> (8 * k));
    }
  }
  b[6] = static_cast<std::uint8_t>((b[6] & 0x0F) | 0x40);  // version 4
  b[8] = static_cast<std::uint8_t>((b[8] & 0x3F) | 0x80);  // RFC 4122 variant
  static constexpr char hex[] = "0123456789abcdef";
  std::string out;
  out.reserve(36);
  for (std::size_t i = 0; i < b.size(); ++i) {
    if (i == 4 || i == 6 || i == 8 || i == 10) out.push_back('-');
    out.push_back(hex[b[i] >> 4]);
    out.push_back(hex[b[i] & 0x0F]);
  }
  return out;
}

bool is_uuid(std::string_view s) noexcept {
  if (s.size() != 36) return false;
  bool all_zero = true, all_f = true;
  for (std::size_t i = 0; i < s.size(); ++i) {
    if (i == 8 || i == 13 || i == 18 || i == 23) {
      if (s[i] != '-') return false;
    } else if (!is_hex(s[i])) {
      return false;
    } else {
      all_zero = all_zero && s[i] == '0';
      all_f = all_f && (s[i] == 'f' || s[i] == 'F');
    }
  }
  return !all_zero && !all_f;
}

std::string canonical_uuid(std::string_view s) {
  std::string out(s);
  if (!is_uuid(s)) return out;
  for (char& c : out) {
    if (c >= 'A' && c <= 'F') c = static_cast<char>(c - 'A' + 'a');
  }
  return out;
}

bool is_slug_id(std::string_view s) noexcept {
  if (s.empty() || s.size() > 64) return false;
  for (char c : s) {
    const bool ok = (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '_' || c == '-';
    if (!ok) return false;
  }
  const char f = s.front();
  return (f >= 'a' && f <= 'z') || (f >= '0' && f <= '9');
}

}  // namespace kh::protocol
