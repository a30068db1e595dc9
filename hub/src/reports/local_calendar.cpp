// A store's calendar: IANA zones through Howard Hinnant's date library (tzdata), or a fixed
// offset for stores without a zone.
#include <date/tz.h>

#include <chrono>
#include <cstdio>

#include "kh/hub/reports/reports.hpp"

namespace kh::hub::reports {

namespace {
const date::time_zone* find_zone(const std::string& name) noexcept {
  if (name.empty()) return nullptr;
  try {
    return date::locate_zone(name);
  } catch (...) {  // unknown name, or tzdata unreadable: the fixed offset is used
    return nullptr;
  }
}
}  // namespace

struct local_calendar::impl {
  const date::time_zone* zone = nullptr;
  int fixed = 0;
  // The zone's offset is constant between transitions: the last interval looked up is kept, so
  // a scan in time order asks tzdata once per transition rather than once per order.
  mutable std::int64_t begin_ms = 1, end_ms = 0;
  mutable int offset = 0;
};

local_calendar::local_calendar(const std::string& zone, int fixed_offset_minutes) : impl_(std::make_unique<impl>()) {
  impl_->zone = find_zone(zone);
  impl_->fixed = fixed_offset_minutes;
}
local_calendar::~local_calendar() = default;
local_calendar::local_calendar(local_calendar&&) noexcept = default;
local_calendar& local_calendar::operator=(local_calendar&&) noexcept = default;

bool local_calendar::dst_aware() const { return impl_->zone != nullptr; }

std::string local_calendar::name() const {
  if (impl_->zone) return std::string(impl_->zone->name());
  const int m = impl_->fixed < 0 ? -impl_->fixed : impl_->fixed;
  char buf[16];
  std::snprintf(buf, sizeof buf, "UTC%c%02d:%02d", impl_->fixed < 0 ? '-' : '+', m / 60, m % 60);
  return buf;
}

int local_calendar::offset_minutes(std::int64_t utc_ms) const {
  if (!impl_->zone) return impl_->fixed;
  if (utc_ms >= impl_->begin_ms && utc_ms < impl_->end_ms) return impl_->offset;
  using namespace std::chrono;
  const date::sys_seconds t{duration_cast<seconds>(milliseconds(utc_ms))};
  const auto info = impl_->zone->get_info(floor<seconds>(t));
  impl_->begin_ms = duration_cast<milliseconds>(info.begin.time_since_epoch()).count();
  impl_->end_ms = duration_cast<milliseconds>(info.end.time_since_epoch()).count();
  impl_->offset = static_cast<int>(info.offset.count() / 60);
  return impl_->offset;
}

local_calendar::civil local_calendar::at(std::int64_t utc_ms) const {
  const std::int64_t local_ms = utc_ms + static_cast<std::int64_t>(offset_minutes(utc_ms)) * 60'000;
  std::int64_t days = local_ms / 86'400'000;
  std::int64_t rem = local_ms % 86'400'000;
  if (rem < 0) {
    rem += 86'400'000;
    --days;
  }
  civil c = civil_from_days(days);
  c.minute = static_cast<int>(rem / 60'000);
  return c;
}

std::int64_t local_calendar::day_start_ms(int y, int m, int d) const {
  const std::int64_t days = days_from_civil(y, m, d);
  if (!impl_->zone) return (days * 1440 - impl_->fixed) * 60'000;
  using namespace std::chrono;
  const date::local_seconds midnight{seconds(days * 86'400)};
  // choose::earliest: an ambiguous midnight (clocks set back over it) is its first occurrence;
  // a midnight inside a gap (clocks jump over it) is the transition, the day's first instant.
  const auto sys = impl_->zone->to_sys(midnight, date::choose::earliest);
  return duration_cast<milliseconds>(sys.time_since_epoch()).count();
}

std::int64_t days_from_civil(int y, int m, int d) {
  return date::sys_days{date::year{y} / date::month{static_cast<unsigned>(m)} / date::day{static_cast<unsigned>(d)}}
      .time_since_epoch()
      .count();
}

local_calendar::civil civil_from_days(std::int64_t days) {
  const date::sys_days sd{date::days{days}};
  const date::year_month_day ymd{sd};
  local_calendar::civil c;
  c.year = static_cast<int>(ymd.year());
  c.month = static_cast<int>(static_cast<unsigned>(ymd.month()));
  c.day = static_cast<int>(static_cast<unsigned>(ymd.day()));
  c.weekday = static_cast<int>(date::weekday{sd}.iso_encoding()) - 1;
  return c;
}

std::optional<local_calendar::civil> parse_date(const std::string& s) {
  if (s.size() != 10 || s[4] != '-' || s[7] != '-') return std::nullopt;
  for (std::size_t i : {0u, 1u, 2u, 3u, 5u, 6u, 8u, 9u})
    if (s[i] < '0' || s[i] > '9') return std::nullopt;
  const int y = std::stoi(s.substr(0, 4)), m = std::stoi(s.substr(5, 2)), d = std::stoi(s.substr(8, 2));
  if (y < 2000 || y > 2100) return std::nullopt;
  const date::year_month_day ymd{date::year{y}, date::month{static_cast<unsigned>(m)}, date::day{static_cast<unsigned>(d)}};
  if (!ymd.ok()) return std::nullopt;
  return civil_from_days(days_from_civil(y, m, d));
}

std::string format_date(int y, int m, int d) {
  char buf[16];
  std::snprintf(buf, sizeof buf, "%04d-%02d-%02d", y, m, d);
  return buf;
}

std::optional<granularity> parse_granularity(const std::string& s) {
  if (s == "day") return granularity::day;
  if (s == "week") return granularity::week;
  if (s == "month") return granularity::month;
  return std::nullopt;
}

}  // namespace kh::hub::reports
