#include "web/slots.hpp"

#include "kh/hub/catalog/store_profile.hpp"
#include "kh/protocol/codec.hpp"
#include "kh/protocol/time.hpp"

namespace kh::hub::web {

std::vector<pickup_slot> pickup_slots(const protocol::store_profile& p, std::chrono::system_clock::time_point now,
                                      std::size_t max) {
  using namespace std::chrono;
  std::vector<pickup_slot> out;
  const auto* offer = p.offer(protocol::order_type::pickup);
  if (!offer || offer->slot_minutes <= 0) return out;
  const int slot = offer->slot_minutes;
  const auto today = wall_time_in(p.time_zone, now);
  if (!today) return out;
  auto t = time_point_cast<seconds>(now + minutes(offer->lead_minutes));
  if (t < now + minutes(offer->lead_minutes)) t += seconds(1);
  // Bounded: one candidate per slot over the week a slot may be ahead.
  const int steps = static_cast<int>(duration_cast<minutes>(max_pickup_ahead).count() / slot) + 2;
  for (int i = 0; i < steps && out.size() < max; ++i) {
    const auto w = wall_time_in(p.time_zone, t);
    if (!w) break;
    // Align on the local clock (re-done every step, so a DST change keeps slots on :00/:30).
    const int rem = w->minute % slot;
    if (rem != 0 || w->second != 0) {
      t += minutes(slot - rem) - seconds(w->second);
      continue;  // look at the aligned time on the next step
    }
    const auto at = protocol::format_rfc3339(t);
    if (!check_order(p, {protocol::order_type::pickup, std::nullopt, "", at, "", now}, now)) {
      std::string label = protocol::format_hhmm(w->minute);
      if (w->day != today->day) {
        std::string d = protocol::weekday_word(w->weekday);
        if (!d.empty()) d[0] = static_cast<char>(d[0] - 'a' + 'A');
        label = d + " " + label;
      }
      out.push_back({at, label});
    }
    t += minutes(slot);
  }
  return out;
}

}  // namespace kh::hub::web
