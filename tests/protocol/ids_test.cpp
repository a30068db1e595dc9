#include <gtest/gtest.h>

#include <mutex>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include "kh/protocol/ids.hpp"

namespace kp = kh::protocol;

TEST(uuid, new_uuid_is_canonical_lower_case_version_4) {
  for (int i = 0; i < 200; ++i) {
    const std::string u = kp::new_uuid();
    ASSERT_EQ(u.size(), 36u);
    EXPECT_TRUE(kp::is_uuid(u)) << u;
    EXPECT_EQ(u[14], '4') << u;                                          // version nibble
    EXPECT_NE(std::string("89ab").find(u[19]), std::string::npos) << u;  // RFC 4122 variant
    for (char c : u) EXPECT_TRUE(c == '-' || (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f')) << u;
  }
}

TEST(uuid, many_threads_never_produce_a_duplicate) {
  constexpr int threads = 4, per_thread = 5000;
  std::set<std::string> all;
  std::mutex m;
  std::vector<std::thread> pool;
  for (int t = 0; t < threads; ++t) {
    pool.emplace_back([&] {
      std::vector<std::string> mine;
      mine.reserve(per_thread);
      for (int i = 0; i < per_thread; ++i) mine.push_back(kp::new_uuid());
      std::lock_guard lock(m);
      all.insert(mine.begin(), mine.end());
    });
  }
  for (auto& th : pool) th.join();
  EXPECT_EQ(all.size(), static_cast<std::size_t>(threads * per_thread));
}

TEST(uuid, is_uuid_accepts_either_case_and_rejects_other_shapes) {
  EXPECT_TRUE(kp::is_uuid("123e4567-e89b-42d3-a456-426614174000"));
  EXPECT_TRUE(kp::is_uuid("123E4567-E89B-42D3-A456-426614174000"));
  EXPECT_FALSE(kp::is_uuid(""));
  EXPECT_FALSE(kp::is_uuid("123e4567e89b42d3a456426614174000"));        // no hyphens
  EXPECT_FALSE(kp::is_uuid("{123e4567-e89b-42d3-a456-426614174000}"));  // braces
  EXPECT_FALSE(kp::is_uuid("123e4567-e89b-42d3-a456-42661417400"));     // short
  EXPECT_FALSE(kp::is_uuid("123e4567-e89b-42d3-a456-4266141740000"));   // long
  EXPECT_FALSE(kp::is_uuid("123e4567-e89b-42d3-a456-42661417400g"));    // not hex
  EXPECT_FALSE(kp::is_uuid("123e4567-e89b-42d3a-456-426614174000"));    // hyphen misplaced
}

TEST(uuid, nil_and_max_are_refused_and_any_other_version_is_accepted) {
  EXPECT_FALSE(kp::is_uuid("00000000-0000-0000-0000-000000000000"));
  EXPECT_FALSE(kp::is_uuid("ffffffff-ffff-ffff-ffff-ffffffffffff"));
  EXPECT_FALSE(kp::is_uuid("FFFFFFFF-FFFF-FFFF-FFFF-FFFFFFFFFFFF"));
  EXPECT_TRUE(kp::is_uuid("017f22e2-79b0-7cc3-98c4-dc0c0c07398f"));  // version 7
  EXPECT_TRUE(kp::is_uuid("6ba7b810-9dad-11d1-80b4-00c04fd430c8"));  // version 1
}

TEST(uuid, canonical_form_is_lower_case) {
  EXPECT_EQ(kp::canonical_uuid("123E4567-E89B-42D3-A456-426614174000"), "123e4567-e89b-42d3-a456-426614174000");
  EXPECT_EQ(kp::canonical_uuid("123e4567-e89b-42d3-a456-426614174000"), "123e4567-e89b-42d3-a456-426614174000");
  EXPECT_EQ(kp::canonical_uuid("NOT-A-UUID"), "NOT-A-UUID");
}

TEST(slug_id, accepts_lower_case_digits_dash_underscore_up_to_64) {
  EXPECT_TRUE(kp::is_slug_id("kiosk-1"));
  EXPECT_TRUE(kp::is_slug_id("cafe_central"));
  EXPECT_TRUE(kp::is_slug_id("7up"));
  EXPECT_TRUE(kp::is_slug_id("a"));
  EXPECT_TRUE(kp::is_slug_id(std::string(64, 'a')));
  EXPECT_FALSE(kp::is_slug_id(std::string(65, 'a')));
  EXPECT_FALSE(kp::is_slug_id(""));
  EXPECT_FALSE(kp::is_slug_id("Kiosk-1"));
  EXPECT_FALSE(kp::is_slug_id("-kiosk"));
  EXPECT_FALSE(kp::is_slug_id("_kiosk"));
  EXPECT_FALSE(kp::is_slug_id("kiosk/1"));
  EXPECT_FALSE(kp::is_slug_id("+"));
  EXPECT_FALSE(kp::is_slug_id("#"));
  EXPECT_FALSE(kp::is_slug_id("kiosk 1"));
  EXPECT_FALSE(kp::is_slug_id("caf\xc3\xa9"));
  EXPECT_FALSE(kp::is_slug_id(std::string_view("a\0b", 3)));
}
