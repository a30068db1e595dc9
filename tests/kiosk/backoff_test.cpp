#include "kh/kiosk/link/backoff.hpp"

#include <gtest/gtest.h>

using kh::kiosk::backoff_policy;
using std::chrono::milliseconds;

TEST(backoff, doubles_from_one_second_up_to_the_thirty_second_cap) {
  backoff_policy p;  // defaults: 1 s, cap 30 s
  const long expected[] = {1000, 2000, 4000, 8000, 16000, 30000, 30000, 30000};
  for (int sends = 1; sends <= 8; ++sends) {
    EXPECT_EQ(p.delay(sends, 0.0), milliseconds{expected[sends - 1]}) << "after send " << sends;
  }
}

TEST(backoff, never_overflows_after_very_many_sends) {
  backoff_policy p;
  EXPECT_EQ(p.delay(1'000'000, 0.0), milliseconds{30000});
  EXPECT_EQ(p.delay(0, 0.0), milliseconds{1000});  // treated as the first send
  EXPECT_EQ(p.delay(-5, 0.0), milliseconds{1000});
}

TEST(backoff, jitter_only_shortens_the_delay_within_its_fraction) {
  backoff_policy p;                                // jitter 0.2
  EXPECT_EQ(p.delay(3, 1.0), milliseconds{3200});  // 4 s less 20 %
  EXPECT_EQ(p.delay(3, 0.5), milliseconds{3600});
  EXPECT_EQ(p.delay(10, 1.0),
            milliseconds{24000});  // the cap is the longest wait, jitter goes below it
  // Out-of-range randomness is clamped rather than trusted.
  EXPECT_EQ(p.delay(3, 7.0), milliseconds{3200});
  EXPECT_EQ(p.delay(3, -1.0), milliseconds{4000});
}

TEST(backoff, custom_policy_is_respected) {
  backoff_policy p{milliseconds{100}, milliseconds{250}, 0.0};
  EXPECT_EQ(p.delay(1, 0.9), milliseconds{100});
  EXPECT_EQ(p.delay(2, 0.9), milliseconds{200});
  EXPECT_EQ(p.delay(3, 0.9), milliseconds{250});
}
