#pragma once
// Availability windows of a product ("breakfast until 11:00"): the one rule the hub (placement,
// quotes, the phone shop) and the kiosk (its catalog view) apply. Windows are in the store's local
// time; the instant is turned into local time with the store's IANA zone and its DST rules
// (tzdata through Howard Hinnant's date library, read-only from /usr/share/zoneinfo: the only file
// protocol/ reads, and no other I/O).
//
//   available at T in zone Z  ⇔  windows empty, or some window has weekday(local T) in its days
//                                and from ≤ minute(local T) < until
// A wall time that a DST change skips never occurs; one it repeats is tested both times (each
// instant maps to exactly one local time). An unknown zone counts as "not available".

#include <chrono>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "kh/protocol/messages.hpp"
#include "kh/protocol/result.hpp"

namespace kh::protocol {

/// True when `windows` is empty or one holds (weekday 0 = Monday, minute after local midnight).
bool available_on(const std::vector<availability_window>& windows, int weekday, int minute) noexcept;

/// The next window start later on the same local day (minute after midnight), or nullopt: what
/// "from 11:00" shows for a product that is not available yet today.
std::optional<int> next_start_on(const std::vector<availability_window>& windows, int weekday,
                                 int minute) noexcept;

/// A product's availability at one instant.
struct availability_now {
  bool available = true;           ///< inside a window (or no windows)
  std::optional<int> from_minute;  ///< not available: a later window start today (local), if any
};

/// The rule at instant `t` in IANA zone `zone` (e.g. "Europe/Paris"). Unknown zone: not available.
availability_now availability_at(const std::vector<availability_window>& windows, std::string_view zone,
                                 std::chrono::system_clock::time_point t) noexcept;

/// Shorthand for products: `p.availability` at `t` in `zone`.
inline bool available_at(const product& p, std::string_view zone, std::chrono::system_clock::time_point t) noexcept {
  return p.availability.empty() || availability_at(p.availability, zone, t).available;
}

/// The instant an order's lines are checked at: a pickup order's slot (when `pickup_at` is RFC
/// 3339), else `placed` (now, or an offline order's placed_at).
std::chrono::system_clock::time_point availability_instant(order_type type, std::string_view pickup_at,
                                                           std::chrono::system_clock::time_point placed) noexcept;

/// not_available_now for a product whose `windows` (non-empty) do not hold at `t` in `zone`, with
/// details.product_id and details.from ("HH:MM") when a window starts later that local day.
std::optional<problem> check_available(const std::vector<availability_window>& windows,
                                       const std::string& product_id, const std::string& name,
                                       std::string_view zone, std::chrono::system_clock::time_point t);

/// Checks one window (also what the codec runs): `malformed` with details.field = `field` + ".days"
/// (no day), ".from" (not 00:00–23:59) or ".until" (not after from, 24:00 at most).
std::optional<problem> check_window(const availability_window& w, const std::string& field);

/// "mon,tue 07:00-11:00" style text of a window set, ';'-separated (the portal's editor field).
std::string format_windows(const std::vector<availability_window>& windows);
/// Parses the editor text back: `days HH:MM-HH:MM` per window, days as `mon,tue`, a range
/// `mon-fri`, or `daily`; windows separated by ';' or new lines; empty text = no windows.
/// `malformed` with details.field = `field` naming what is wrong.
result<std::vector<availability_window>> parse_windows(std::string_view text, const std::string& field);

}  // namespace kh::protocol
