#include "kh/protocol/time.hpp"

#include <cstdint>

namespace kh::protocol {

namespace {
using namespace std::chrono;

// Writes v as exactly `width` decimal digits at `at` (leading zeros).
void put(char* at, unsigned v, int width) {
  for (int i = width - 1; i >= 0; --i) {
    at[i] = static_cast<char>('0' + v % 10);
    v /= 10;
  }
}

// Reads exactly n ASCII digits at s[pos]; false when any is not a digit.
bool digits(std::string_view s, std::size_t pos, std::size_t n, int& out) noexcept {
  if (pos + n > s.size()) return false;
  int v = 0;
  for (std::size_t i = 0; i < n; ++i) {
    const char c = s[pos + i];
    if (c < '0' || c > '9') return false;
    v = v * 10 + (c - '0');
  }
  out = v;
  return true;
}
}  // namespace

std::string format_rfc3339(clock::time_point t) {
  const auto ms_total = floor<milliseconds>(t);
  const auto day = floor<days>(ms_total);
  const year_month_day ymd{day};
  const hh_mm_ss<milliseconds> tod{ms_total - day};
  // Written into a fixed buffer (every message the hub sends carries one or more): no printf,
  // no growing string.
  int y = static_cast<int>(ymd.year());
  // RFC 3339 has exactly four year digits; clamp what cannot be written (never happens in
  // practice).
  if (y < 0) y = 0;
  if (y > 9999) y = 9999;
  char buf[24];  // YYYY-MM-DDTHH:MM:SS.mmmZ
  put(buf, static_cast<unsigned>(y), 4);
  buf[4] = '-';
  put(buf + 5, static_cast<unsigned>(ymd.month()), 2);
  buf[7] = '-';
  put(buf + 8, static_cast<unsigned>(ymd.day()), 2);
  buf[10] = 'T';
  put(buf + 11, static_cast<unsigned>(tod.hours().count()), 2);
  buf[13] = ':';
  put(buf + 14, static_cast<unsigned>(tod.minutes().count()), 2);
  buf[16] = ':';
  put(buf + 17, static_cast<unsigned>(tod.seconds().count()), 2);
  std::size_t n = 19;
  const auto ms = static_cast<unsigned>(tod.subseconds().count());
  if (ms != 0) {
    buf[n++] = '.';
    put(buf + n, ms, 3);
    n += 3;
  }
  buf[n++] = 'Z';
  return std::string(buf, n);
}

std::optional<clock::time_point> parse_rfc3339(std::string_view s) {
  // YYYY-MM-DDTHH:MM:SS[.f+](Z|±HH:MM); 'T' and 'Z' also in lower case (RFC 3339 §5.6 note).
  int y = 0, mo = 0, d = 0, h = 0, mi = 0, se = 0;
  if (!digits(s, 0, 4, y) || s.size() < 20 || s[4] != '-' || !digits(s, 5, 2, mo) || s[7] != '-' ||
      !digits(s, 8, 2, d) || (s[10] != 'T' && s[10] != 't') || !digits(s, 11, 2, h) ||
      s[13] != ':' || !digits(s, 14, 2, mi) || s[16] != ':' || !digits(s, 17, 2, se)) {
    return std::nullopt;
  }
  // Leap seconds (60) cannot be represented by system_clock: rejected rather than guessed.
  if (h > 23 || mi > 59 || se > 59) return std::nullopt;
  // Years before the Unix epoch are no clock a device can have (a device without a real-time
  // clock starts at 1970).
  if (y < 1970) return std::nullopt;
  const year_month_day ymd{year{y}, month{static_cast<unsigned>(mo)},
                           day{static_cast<unsigned>(d)}};
  if (!ymd.ok()) return std::nullopt;

  std::size_t pos = 19;
  std::int64_t frac_ns = 0;
  if (pos < s.size() && s[pos] == '.') {
    ++pos;
    const std::size_t start = pos;
    std::int64_t scale = 100'000'000;
    while (pos < s.size() && s[pos] >= '0' && s[pos] <= '9') {
      if (pos - start == 9) return std::nullopt;  // more than nanoseconds: not a clock reading
      frac_ns += (s[pos] - '0') * scale;  // digits past nanoseconds are dropped
      scale /= 10;
      ++pos;
    }
    if (pos == start) return std::nullopt;
  }
  if (pos >= s.size()) return std::nullopt;

  int offset_min = 0;
  if (s[pos] == 'Z' || s[pos] == 'z') {
    ++pos;
  } else if (s[pos] == '+' || s[pos] == '-') {
    int oh = 0, om = 0;
    if (!digits(s, pos + 1, 2, oh) || pos + 3 >= s.size() || s[pos + 3] != ':' ||
        !digits(s, pos + 4, 2, om)) {
      return std::nullopt;
    }
    // Real UTC offsets lie within -12:00 … +14:00; ±14:00 bounds both sides.
    if (oh > 14 || om > 59 || (oh == 14 && om != 0)) return std::nullopt;
    offset_min = (oh * 60 + om) * (s[pos] == '-' ? -1 : 1);
    pos += 6;
  } else {
    return std::nullopt;
  }
  if (pos != s.size()) return std::nullopt;

  const auto local = sys_days{ymd} + hours{h} + minutes{mi} + seconds{se} + nanoseconds{frac_ns};
  // Local time = UTC + offset, so UTC = local - offset.
  return time_point_cast<clock::duration>(local - minutes{offset_min});
}

}  // namespace kh::protocol
