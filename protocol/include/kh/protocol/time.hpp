#pragma once
// RFC 3339 timestamps ("2026-11-22T10:15:00Z" or with ".123" and an offset).

#include <chrono>
#include <optional>
#include <string>
#include <string_view>

namespace kh::protocol {

using clock = std::chrono::system_clock;

/// UTC, second precision with millisecond fraction when non-zero: "2026-11-22T10:15:00.250Z".
std::string format_rfc3339(clock::time_point t);

/// Accepts "YYYY-MM-DDTHH:MM:SS[.fraction](Z|±HH:MM)"; nullopt when not of that form or out of range.
std::optional<clock::time_point> parse_rfc3339(std::string_view s);

}  // namespace kh::protocol
