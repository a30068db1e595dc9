#pragma once
// The store profile's rules that need the time-zone database (tzdata through Howard Hinnant's
// date library, `date/tz.h`): local time in the store's IANA zone with its DST rules, opening
// hours, pickup slots, the local day for numbering, and the order-level checks at placement and
// quote. Pure apart from reading /usr/share/zoneinfo.

#include <chrono>
#include <optional>
#include <string>
#include <vector>

#include "kh/hub/storage/store.hpp"
#include "kh/protocol/messages.hpp"
#include "kh/protocol/result.hpp"

namespace kh::hub {

using time_point = std::chrono::system_clock::time_point;

/// True when tzdata knows the zone `name` (e.g. "Europe/Paris"; "Mars/Olympus" is false).
bool is_known_time_zone(const std::string& name) noexcept;

/// Every zone name tzdata knows (read from the tz database, not a list in the code), sorted;
/// links (old names such as "US/Eastern") are left out. Empty when tzdata is unreadable.
std::vector<std::string> known_time_zones();

/// The zone's offset from UTC at `t` in minutes (e.g. 60 for Europe/Paris in winter); nullopt for
/// an unknown zone. Registration keeps it in the row's legacy `utc_offset_minutes`.
std::optional<int> utc_offset_minutes_in(const std::string& name, std::chrono::system_clock::time_point t) noexcept;

/// A moment as the store's clock on the wall shows it.
struct wall_time {
  int weekday = 0;  ///< 0 = Monday
  int minute = 0;   ///< minutes after local midnight
  int second = 0;
  std::string day;  ///< "YYYY-MM-DD"
};

/// Wall time of `t` in zone `name`; nullopt for a zone tzdata does not know.
std::optional<wall_time> wall_time_in(const std::string& name, time_point t) noexcept;

/// True when the profile says the store is open at `t` (always_open, or a span holds its wall
/// time in the profile's zone). An unknown zone counts as closed.
bool is_open(const protocol::store_profile& p, time_point t) noexcept;

/// Local day "YYYY-MM-DD" of `t` for the business: in `zone` when given and known, else at the
/// business' fixed utc_offset_minutes (rows from before migration 3).
std::string business_day(const business_record& b, const std::string& zone, time_point t);

/// Checks a profile beyond its codec: the zone must exist in tzdata. `malformed` with
/// details.field = "time_zone" otherwise. What the web portal runs before `set_profile`.
std::optional<protocol::problem> check_profile(const protocol::store_profile& p);

/// The order-level part of a request that the profile governs.
struct order_request_view {
  protocol::order_type type = protocol::order_type::takeaway;
  std::optional<protocol::payment_method> payment;  ///< nullopt for a quote
  std::string table;
  std::string pickup_at;  ///< RFC 3339 or empty
  std::string delivery_address;
  /// When the hours are checked for a non-pickup order (now, or an offline order's placed_at).
  time_point placed;
};

/// The first profile rule `r` breaks at `now`, in the documented order: order_type_unavailable,
/// payment_unavailable, business_closed (not for pickup: its slot is checked instead),
/// missing_detail (table / delivery_address), invalid_slot. nullopt when none. The delivery
/// minimum needs the subtotal and is checked by the caller (`check_minimum`).
std::optional<protocol::problem> check_order(const protocol::store_profile& p,
                                             const order_request_view& r, time_point now);

/// below_minimum when a delivery order's subtotal is under the profile's minimum.
std::optional<protocol::problem> check_minimum(const protocol::store_profile& p,
                                               protocol::order_type type, std::int64_t subtotal);

/// How far ahead a pickup slot may be (7 days).
inline constexpr std::chrono::hours max_pickup_ahead{24 * 7};

}  // namespace kh::hub
