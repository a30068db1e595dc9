#include "kh/kiosk/link/backoff.hpp"

#include <algorithm>
#include <cmath>

namespace kh::kiosk {

std::chrono::milliseconds backoff_policy::delay(int sends, double unit_random) const noexcept {
  const auto cap_ms = std::max<std::int64_t>(0, cap.count());
  std::int64_t d = std::max<std::int64_t>(0, initial.count());
  // Doubling stops at the cap, so this never overflows however many sends there were.
  for (int i = 1; i < sends && d < cap_ms; ++i) d *= 2;
  d = std::min(d, cap_ms);
  if (!(unit_random >= 0.0)) unit_random = 0.0;  // also catches NaN
  unit_random = std::min(unit_random, 1.0);
  const double j = std::clamp(jitter, 0.0, 1.0);
  const auto cut =
      static_cast<std::int64_t>(std::llround(static_cast<double>(d) * j * unit_random));
  return std::chrono::milliseconds{d - cut};
}

}  // namespace kh::kiosk
