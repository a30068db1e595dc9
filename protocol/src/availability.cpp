#include "kh/protocol/availability.hpp"

#include <algorithm>
#include <cctype>

#include <date/tz.h>

#include "kh/protocol/codec.hpp"
#include "kh/protocol/time.hpp"

namespace kh::protocol {

namespace {

problem field_error(const std::string& field, const std::string& what) {
  return make_problem(code::malformed, field + ": " + what, {{"field", field}});
}

std::string_view trim(std::string_view s) {
  while (!s.empty() && std::isspace(static_cast<unsigned char>(s.front()))) s.remove_prefix(1);
  while (!s.empty() && std::isspace(static_cast<unsigned char>(s.back()))) s.remove_suffix(1);
  return s;
}

}  // namespace

bool available_on(const std::vector<availability_window>& windows, int weekday, int minute) noexcept {
  if (windows.empty()) return true;
  if (weekday < 0 || weekday > 6) return false;
  for (const auto& w : windows) {
    if ((w.days & (1u << weekday)) != 0 && minute >= w.from_minute && minute < w.until_minute) return true;
  }
  return false;
}

std::optional<int> next_start_on(const std::vector<availability_window>& windows, int weekday,
                                 int minute) noexcept {
  std::optional<int> best;
  if (weekday < 0 || weekday > 6) return best;
  for (const auto& w : windows) {
    if ((w.days & (1u << weekday)) == 0 || w.from_minute <= minute) continue;
    if (!best || w.from_minute < *best) best = w.from_minute;
  }
  return best;
}

availability_now availability_at(const std::vector<availability_window>& windows, std::string_view zone,
                                 std::chrono::system_clock::time_point t) noexcept {
  if (windows.empty()) return {};
  try {
    using namespace std::chrono;
    const auto* z = date::locate_zone(zone);
    const auto local = z->to_local(floor<seconds>(t));
    const auto day = date::floor<date::days>(local);
    const int weekday = static_cast<int>(date::weekday{day}.iso_encoding()) - 1;
    const int minute = static_cast<int>(duration_cast<minutes>(local - day).count());
    if (available_on(windows, weekday, minute)) return {};
    return {false, next_start_on(windows, weekday, minute)};
  } catch (...) {  // unknown zone or unreadable tzdata: not orderable rather than at a guessed hour
    return {false, std::nullopt};
  }
}

std::chrono::system_clock::time_point availability_instant(order_type type, std::string_view pickup_at,
                                                           std::chrono::system_clock::time_point placed) noexcept {
  if (type == order_type::pickup) {
    if (auto slot = parse_rfc3339(pickup_at)) return *slot;
  }
  return placed;
}

std::optional<problem> check_available(const std::vector<availability_window>& windows,
                                       const std::string& product_id, const std::string& name,
                                       std::string_view zone, std::chrono::system_clock::time_point t) {
  if (windows.empty()) return std::nullopt;
  const auto a = availability_at(windows, zone, t);
  if (a.available) return std::nullopt;
  nlohmann::json details{{"product_id", product_id}};
  std::string message = name + " is not available now";
  if (a.from_minute) {
    details["from"] = format_hhmm(*a.from_minute);
    message = name + " is available from " + format_hhmm(*a.from_minute);
  }
  return make_problem(code::not_available_now, std::move(message), std::move(details));
}

std::optional<problem> check_window(const availability_window& w, const std::string& field) {
  if (w.days == 0 || w.days > 127u) return field_error(field + ".days", "must name at least one day, mon … sun");
  if (w.from_minute < 0 || w.from_minute >= 1440)
    return field_error(field + ".from", "must be HH:MM from 00:00 to 23:59");
  if (w.until_minute <= w.from_minute || w.until_minute > 1440)
    return field_error(field + ".until", "must be HH:MM after from (24:00 at most)");
  return std::nullopt;
}

std::string format_windows(const std::vector<availability_window>& windows) {
  std::string out;
  for (const auto& w : windows) {
    if (!out.empty()) out += "; ";
    if (w.days == 127u) {
      out += "daily";
    } else {
      bool first = true;
      for (int d = 0; d < 7; ++d) {
        if ((w.days & (1u << d)) == 0) continue;
        if (!first) out += ',';
        out += weekday_word(d);
        first = false;
      }
    }
    out += ' ' + format_hhmm(w.from_minute) + '-' + format_hhmm(w.until_minute);
  }
  return out;
}

result<std::vector<availability_window>> parse_windows(std::string_view text, const std::string& field) {
  std::vector<availability_window> out;
  std::size_t start = 0;
  while (start <= text.size()) {
    std::size_t end = text.find_first_of(";\n", start);
    if (end == std::string_view::npos) end = text.size();
    const auto item = trim(text.substr(start, end - start));
    start = end + 1;
    if (item.empty()) {
      if (end == text.size()) break;
      continue;
    }
    if (out.size() == limits::max_availability_windows) {
      return field_error(field, "at most " + std::to_string(limits::max_availability_windows) + " windows");
    }
    const auto space = item.find_last_of(" \t");
    if (space == std::string_view::npos) {
      return field_error(field, "each window is \"days HH:MM-HH:MM\", e.g. \"mon-fri 07:00-11:00\"");
    }
    const auto days = trim(item.substr(0, space));
    const auto times = item.substr(space + 1);
    availability_window w;
    if (days == "daily") {
      w.days = 127u;
    } else {
      std::size_t ds = 0;
      while (ds <= days.size()) {
        std::size_t de = days.find(',', ds);
        if (de == std::string_view::npos) de = days.size();
        const auto word = trim(days.substr(ds, de - ds));
        ds = de + 1;
        const auto dash = word.find('-');
        const int a = parse_weekday(word.substr(0, dash));
        const int b = dash == std::string_view::npos ? a : parse_weekday(word.substr(dash + 1));
        if (a < 0 || b < 0 || b < a) {
          return field_error(field, "\"" + std::string(word) + "\" is not a day (mon … sun, a range mon-fri, or daily)");
        }
        for (int d = a; d <= b; ++d) w.days |= 1u << d;
        if (de == days.size()) break;
      }
    }
    const auto dash = times.find('-');
    w.from_minute = dash == std::string_view::npos ? -1 : parse_hhmm(times.substr(0, dash));
    w.until_minute = dash == std::string_view::npos ? -1 : parse_hhmm(times.substr(dash + 1));
    if (w.from_minute < 0 || w.until_minute < 0) {
      return field_error(field, "\"" + std::string(times) + "\" is not HH:MM-HH:MM");
    }
    if (w.until_minute <= w.from_minute) {
      return field_error(field, "\"" + std::string(item) + "\": the end must be after the start (24:00 at most)");
    }
    if (w.from_minute >= 1440) return field_error(field, "\"" + std::string(item) + "\": the start must be before 24:00");
    out.push_back(w);
  }
  return out;
}

}  // namespace kh::protocol
