#pragma once
// Retry schedule of the outbox: exponential with a cap and downward jitter. Pure, so the schedule
// can be tested without a clock.

#include <chrono>

namespace kh::kiosk {

struct backoff_policy {
  /// Delay after the first send (default: 1 s).
  std::chrono::milliseconds initial{1000};
  /// Longest delay between two sends (default: 30 s).
  std::chrono::milliseconds cap{30000};
  /// Fraction of the delay removed at random (default: 0.2, i.e. the delay lands in [0.8 d, d]).
  /// Downward only, so the cap really is the longest wait; spreads a fleet's retries after an
  /// outage.
  double jitter = 0.2;

  /// Delay before the next send, after `sends` sends so far (sends ≥ 1; smaller values count as 1):
  /// min(cap, initial × 2^(sends−1)) × (1 − jitter × unit_random). unit_random is clamped to [0,
  /// 1].
  std::chrono::milliseconds delay(int sends, double unit_random) const noexcept;
};

}  // namespace kh::kiosk
