#pragma once
// Pure order rules: the state machine (validated here and nowhere else), daily numbering, local
// days and opening hours. No I/O; the order service applies them inside its transactions.

#include <chrono>
#include <cstdint>
#include <string>
#include <vector>

#include "kh/protocol/messages.hpp"

namespace kh::hub {

using protocol::order_state;
using protocol::order_type;

/// The one place that says which order state changes are allowed:
///   pending_payment → paid | cancelled
///   paid → preparing | refunded
///   preparing → ready | refunded
///   ready → collected (not for delivery orders) | out_for_delivery (delivery orders only) | refunded
///   out_for_delivery → delivered | refunded
///   collected | delivered → refunded
///   cancelled, refunded: final
/// Defined in order_transitions.cpp, beside what each staff action asks for (order_transitions.hpp).
bool can_transition(order_state from, order_state to, order_type type) noexcept;

/// States that count as the kitchen's queue for the ETA: pending_payment, paid, preparing.
bool is_queued(order_state s) noexcept;

/// Final states (no transition out).
bool is_final(order_state s) noexcept;

/// The short number shown to customers for the n-th order of a business's day (n ≥ 1):
/// 1 → "A-001" … 999 → "A-999", 1000 → "B-001", … "Z-999", then "AA-001" … "ZZ-999", "AAA-001", …
/// (letters count like spreadsheet columns), so a number is unique within the day for any count.
/// Letter plus three digits stays readable on a board for the first 25,974 orders of a day.
std::string format_order_number(std::int64_t seq);

/// Local calendar date "YYYY-MM-DD" of `t` for a fixed UTC offset (minutes east of UTC).
std::string local_day(std::chrono::system_clock::time_point t, int utc_offset_minutes);

struct opening_span {
  int weekday = 0;        ///< 0 = Monday … 6 = Sunday (local)
  int opens_minute = 0;   ///< minutes after local midnight, inclusive
  int closes_minute = 0;  ///< exclusive, ≤ 1440
};

/// True when `t` (local time at the offset) falls inside one of the spans.
bool is_open_at(std::chrono::system_clock::time_point t, int utc_offset_minutes,
                const std::vector<opening_span>& spans);

/// Milliseconds since the Unix epoch (the storage's time unit) and back.
std::int64_t to_ms(std::chrono::system_clock::time_point t) noexcept;
std::chrono::system_clock::time_point from_ms(std::int64_t ms) noexcept;

}  // namespace kh::hub
