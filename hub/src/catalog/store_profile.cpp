#include "kh/hub/catalog/store_profile.hpp"

#include <algorithm>
#include <cstdio>
#include <vector>

#include <date/tz.h>

#include "kh/hub/orders/order_rules.hpp"
#include "kh/protocol/money.hpp"
#include "kh/protocol/time.hpp"

namespace kh::hub {

namespace {

using protocol::code;
using protocol::make_problem;

const date::time_zone* find_zone(const std::string& name) noexcept {
  if (name.empty()) return nullptr;
  try {
    return date::locate_zone(name);
  } catch (...) {  // unknown zone, or tzdata unreadable
    return nullptr;
  }
}

// True when [from_minute, to_minute) on `weekday` lies inside one span (a pickup slot).
bool in_spans(const protocol::store_profile& p, int weekday, int from_minute, int to_minute) {
  for (const auto& s : p.opening_hours) {
    if (s.weekday == weekday && from_minute >= s.opens_minute && to_minute <= s.closes_minute) return true;
  }
  return false;
}

}  // namespace

bool is_known_time_zone(const std::string& name) noexcept { return find_zone(name) != nullptr; }

std::vector<std::string> known_time_zones() {
  std::vector<std::string> out;
  try {
    const auto& db = date::get_tzdb();
    out.reserve(db.zones.size());
    for (const auto& z : db.zones) out.emplace_back(z.name());
  } catch (...) {  // tzdata unreadable: the caller shows what it has
    return {};
  }
  std::sort(out.begin(), out.end());
  return out;
}

std::optional<int> utc_offset_minutes_in(const std::string& name, time_point t) noexcept {
  const auto* zone = find_zone(name);
  if (zone == nullptr) return std::nullopt;
  try {
    const auto info = zone->get_info(std::chrono::floor<std::chrono::seconds>(t));
    return static_cast<int>(std::chrono::duration_cast<std::chrono::minutes>(info.offset).count());
  } catch (...) {
    return std::nullopt;
  }
}

namespace {

// A zone with the offset it has from one transition to the next. A placement asks for the same
// zone's wall time more than once (opening hours, the day's number) and an offset holds for
// months, so the name search (date::locate_zone, about 600 names) and get_info run once per zone
// and transition on each thread, not per order. A few zones per thread: a hub serves few.
struct zone_span {
  std::string name;
  const date::time_zone* zone = nullptr;
  date::sys_seconds begin{}, end{};
  std::chrono::seconds offset{0};
};

const zone_span* span_at(const std::string& name, date::sys_seconds t) {
  thread_local std::vector<zone_span> spans;
  thread_local std::size_t next_slot = 0;
  constexpr std::size_t k_slots = 8;
  zone_span* hit = nullptr;
  for (auto& s : spans) {
    if (s.name == name) hit = &s;
  }
  if (hit && t >= hit->begin && t < hit->end) return hit;
  const date::time_zone* zone = hit ? hit->zone : find_zone(name);
  if (zone == nullptr) return nullptr;
  const auto info = zone->get_info(t);  // may throw: the caller's catch
  if (!hit) {
    if (spans.size() < k_slots) {
      hit = &spans.emplace_back();
    } else {
      hit = &spans[next_slot];
      next_slot = (next_slot + 1) % k_slots;
    }
    hit->name = name;
  }
  hit->zone = zone;
  hit->begin = info.begin;
  hit->end = info.end;
  hit->offset = info.offset;
  return hit;
}

void put_digits(char* at, unsigned v, int width) {
  for (int i = width - 1; i >= 0; --i) {
    at[i] = static_cast<char>('0' + v % 10);
    v /= 10;
  }
}

}  // namespace

std::optional<wall_time> wall_time_in(const std::string& name, time_point t) noexcept {
  try {
    using namespace std::chrono;
    const auto at = floor<seconds>(t);
    const auto* span = span_at(name, at);
    if (span == nullptr) return std::nullopt;
    // What date::time_zone::to_local does: the instant plus the offset in force at it.
    const auto local = date::local_seconds{at.time_since_epoch() + span->offset};
    const auto day = date::floor<date::days>(local);
    const date::year_month_day ymd{day};
    const date::weekday wd{day};
    wall_time w;
    w.weekday = static_cast<int>(wd.iso_encoding()) - 1;
    const auto since_midnight = local - day;
    w.minute = static_cast<int>(duration_cast<minutes>(since_midnight).count());
    w.second = static_cast<int>(duration_cast<seconds>(since_midnight).count() % 60);
    const int year = static_cast<int>(ymd.year());
    if (year < 0 || year > 9999) return std::nullopt;
    char buf[10];  // YYYY-MM-DD
    put_digits(buf, static_cast<unsigned>(year), 4);
    buf[4] = '-';
    put_digits(buf + 5, static_cast<unsigned>(ymd.month()), 2);
    buf[7] = '-';
    put_digits(buf + 8, static_cast<unsigned>(ymd.day()), 2);
    w.day.assign(buf, sizeof buf);
    return w;
  } catch (...) {
    return std::nullopt;
  }
}

bool is_open(const protocol::store_profile& p, time_point t) noexcept {
  if (p.always_open) return true;
  const auto w = wall_time_in(p.time_zone, t);
  if (!w) return false;
  for (const auto& s : p.opening_hours) {
    if (s.weekday == w->weekday && w->minute >= s.opens_minute && w->minute < s.closes_minute) return true;
  }
  return false;
}

std::string business_day(const business_record& b, const std::string& zone, time_point t) {
  if (!zone.empty()) {
    if (auto w = wall_time_in(zone, t)) return w->day;
  }
  return local_day(t, b.utc_offset_minutes);
}

std::optional<protocol::problem> check_profile(const protocol::store_profile& p) {
  if (!is_known_time_zone(p.time_zone)) {
    return make_problem(code::malformed, "time_zone: " + p.time_zone + " is not a known IANA time zone",
                        {{"field", "time_zone"}});
  }
  return std::nullopt;
}

std::optional<protocol::problem> check_order(const protocol::store_profile& p, const order_request_view& r,
                                             time_point now) {
  const auto* offer = p.offer(r.type);
  if (offer == nullptr) {
    return make_problem(code::order_type_unavailable,
                        std::string("this store does not offer ") + protocol::to_string(r.type),
                        {{"order_type", protocol::to_string(r.type)}});
  }
  if (r.payment && !p.accepts(*r.payment)) {
    return make_problem(code::payment_unavailable,
                        std::string("this store does not take ") + protocol::to_string(*r.payment),
                        {{"payment_method", protocol::to_string(*r.payment)}});
  }
  if (r.type != protocol::order_type::pickup && !is_open(p, r.placed)) {
    return make_problem(code::business_closed, "the business is closed now");
  }
  if (r.type == protocol::order_type::eat_in && offer->table_numbers && r.table.empty()) {
    return make_problem(code::missing_detail, "a table number is needed for eat-in", {{"field", "table"}});
  }
  if (r.type == protocol::order_type::delivery && r.delivery_address.empty()) {
    return make_problem(code::missing_detail, "a delivery address is needed", {{"field", "delivery_address"}});
  }
  if (r.type == protocol::order_type::pickup) {
    if (r.pickup_at.empty()) {
      return make_problem(code::invalid_slot, "choose a pickup time", {{"field", "pickup_at"}});
    }
    const auto slot = protocol::parse_rfc3339(r.pickup_at);
    if (!slot) return make_problem(code::invalid_slot, "pickup_at is not a time", {{"field", "pickup_at"}});
    const auto earliest = now + std::chrono::minutes(offer->lead_minutes);
    // A minute of slack: the customer chose the slot on screen a moment ago.
    if (*slot + std::chrono::minutes(1) < earliest) {
      return make_problem(code::invalid_slot,
                          "the earliest pickup is " + std::to_string(offer->lead_minutes) + " minutes from now",
                          {{"field", "pickup_at"}, {"lead_minutes", offer->lead_minutes}});
    }
    if (*slot > now + max_pickup_ahead) {
      return make_problem(code::invalid_slot, "pickup can be at most 7 days ahead", {{"field", "pickup_at"}});
    }
    const auto w = wall_time_in(p.time_zone, *slot);
    if (!w) return make_problem(code::internal, "the store's time zone is unknown");
    if (w->second != 0 || w->minute % offer->slot_minutes != 0) {
      return make_problem(code::invalid_slot,
                          "pickup slots start every " + std::to_string(offer->slot_minutes) + " minutes",
                          {{"field", "pickup_at"}, {"slot_minutes", offer->slot_minutes}});
    }
    if (!p.always_open && !in_spans(p, w->weekday, w->minute, w->minute + offer->slot_minutes)) {
      return make_problem(code::invalid_slot, "the store is not open for that pickup slot",
                          {{"field", "pickup_at"}});
    }
  }
  return std::nullopt;
}

std::optional<protocol::problem> check_minimum(const protocol::store_profile& p, protocol::order_type type,
                                               std::int64_t subtotal) {
  if (type != protocol::order_type::delivery) return std::nullopt;
  const auto* offer = p.offer(type);
  if (offer == nullptr || subtotal >= offer->minimum.amount) return std::nullopt;
  return make_problem(code::below_minimum,
                      "delivery needs a subtotal of at least " + protocol::format_money(offer->minimum),
                      {{"minimum", offer->minimum.amount}, {"subtotal", subtotal}});
}

}  // namespace kh::hub
