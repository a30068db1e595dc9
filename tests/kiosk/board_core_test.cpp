// The board's core: snapshot + seq'd status events, chime and highlight on ready, collected and
// stale ready numbers leave, resync on start, reconnect and gaps, nothing shown as current past the
// keep-alive window offline.

#include <gtest/gtest.h>

#include "kh/kiosk/core/board.hpp"
#include "modes_fixture.hpp"

using namespace kh::kiosk;
using st = kh::protocol::order_state;

namespace {

template <class E>
bool has(const std::vector<board::effect>& fx) {
  for (const auto& f : fx)
    if (std::holds_alternative<E>(f)) return true;
  return false;
}

std::vector<std::string> numbers(const std::vector<board::shown_number>& v) {
  std::vector<std::string> out;
  for (const auto& n : v) out.push_back(n.number);
  return out;
}

board::state synced(std::vector<feed_order> orders, std::int64_t seq = 10) {
  board::state s;
  board::step(s, board::events::connection{true}, 0);
  board::step(s, board::events::snapshot{seq, std::move(orders)}, 0);
  return s;
}

}  // namespace

TEST(board_core, asks_for_a_snapshot_on_connect_and_shows_its_numbers_in_their_columns) {
  board::state s;
  const auto fx = board::step(s, board::events::connection{true}, 0);
  EXPECT_TRUE(has<board::effects::request_snapshot>(fx));
  EXPECT_TRUE(s.resyncing);
  // A status event before any snapshot is not shown (the snapshot will carry it).
  board::step(s, board::events::status{3, test::make_order(9, st::preparing)}, 0);
  EXPECT_TRUE(board::visible(s, 0).preparing.empty());
  const auto fx2 = board::step(s, board::events::snapshot{
      5, {test::make_order(1, st::paid), test::make_order(2, st::preparing, 10),
          test::make_order(3, st::ready), test::make_order(4, st::pending_payment)}}, 0);
  EXPECT_FALSE(has<board::effects::chime>(fx2)) << "numbers already ready at start do not chime";
  const auto c = board::visible(s, 0);
  EXPECT_EQ(numbers(c.preparing), (std::vector<std::string>{"A-001", "A-002"}));
  EXPECT_EQ(numbers(c.ready), (std::vector<std::string>{"A-003"}));
  EXPECT_FALSE(c.ready[0].highlight);
  EXPECT_FALSE(s.resyncing);
}

TEST(board_core, a_number_turning_ready_chimes_is_highlighted_for_a_while_then_collected_leaves) {
  auto s = synced({test::make_order(1, st::preparing)});
  auto o = test::make_order(1, st::ready);
  const auto fx = board::step(s, board::events::status{11, o}, 1'000);
  EXPECT_TRUE(has<board::effects::chime>(fx));
  EXPECT_EQ(s.chimes, 1);
  auto c = board::visible(s, 1'500);
  ASSERT_EQ(c.ready.size(), 1u);
  EXPECT_TRUE(c.ready[0].highlight);
  EXPECT_TRUE(c.preparing.empty());
  EXPECT_TRUE(board::animating(s, 1'500));
  c = board::visible(s, 1'000 + board::timings{}.highlight_ms);
  EXPECT_FALSE(c.ready[0].highlight);
  EXPECT_FALSE(board::animating(s, 1'000 + board::timings{}.highlight_ms));
  // The same event again (QoS 1 duplicate) does not chime twice.
  EXPECT_FALSE(has<board::effects::chime>(board::step(s, board::events::status{11, o}, 2'000)));
  o.state = st::collected;
  board::step(s, board::events::status{12, o}, 3'000);
  c = board::visible(s, 3'000);
  EXPECT_TRUE(c.ready.empty());
  EXPECT_TRUE(c.preparing.empty());
}

TEST(board_core, stale_ready_numbers_clear_after_the_configured_time) {
  board::timings t;
  t.ready_clear_ms = 60'000;
  auto s = synced({test::make_order(1, st::preparing), test::make_order(2, st::preparing)});
  board::step(s, board::events::status{11, test::make_order(1, st::ready)}, 0, t);
  board::step(s, board::events::status{12, test::make_order(2, st::ready)}, 30'000, t);
  EXPECT_EQ(numbers(board::visible(s, 59'000, t).ready), (std::vector<std::string>{"A-002", "A-001"}))
      << "newest ready first";
  EXPECT_EQ(numbers(board::visible(s, 60'000, t).ready), (std::vector<std::string>{"A-002"}));
  EXPECT_TRUE(board::visible(s, 90'000, t).ready.empty());
}

TEST(board_core, a_late_older_event_never_moves_a_number_back_and_a_gap_resyncs) {
  auto s = synced({test::make_order(1, st::preparing)});
  board::step(s, board::events::status{11, test::make_order(1, st::ready)}, 0);
  board::step(s, board::events::status{11, test::make_order(1, st::preparing)}, 0);  // stale
  board::step(s, board::events::status{9, test::make_order(1, st::preparing)}, 0);   // older
  EXPECT_EQ(numbers(board::visible(s, 0).ready), (std::vector<std::string>{"A-001"}));
  const auto fx = board::step(s, board::events::status{14, test::make_order(5, st::preparing)}, 0);
  EXPECT_TRUE(has<board::effects::request_snapshot>(fx)) << "12 and 13 were missed";
  EXPECT_TRUE(s.resyncing);
  EXPECT_FALSE(has<board::effects::request_snapshot>(
      board::step(s, board::events::status{16, test::make_order(6, st::preparing)}, 0)))
      << "one request while one is outstanding";
  board::step(s, board::events::snapshot{16, {test::make_order(5, st::preparing), test::make_order(7, st::ready)}}, 0);
  const auto c = board::visible(s, 0);
  EXPECT_EQ(numbers(c.preparing), (std::vector<std::string>{"A-005"}));
  EXPECT_EQ(numbers(c.ready), (std::vector<std::string>{"A-007"}));
}

TEST(board_core, offline_past_the_keepalive_window_shows_nothing_as_current_and_reconnect_resyncs) {
  board::timings t;
  t.keepalive_ms = 20'000;
  auto s = synced({test::make_order(1, st::preparing), test::make_order(2, st::ready)});
  board::step(s, board::events::connection{false}, 1'000, t);
  board::step(s, board::events::tick{}, 20'000, t);
  EXPECT_FALSE(s.stale);
  EXPECT_EQ(board::visible(s, 20'000, t).preparing.size(), 1u) << "still within the window";
  board::step(s, board::events::tick{}, 21'001, t);
  EXPECT_TRUE(s.stale);
  const auto c = board::visible(s, 21'001, t);
  EXPECT_TRUE(c.preparing.empty());
  EXPECT_TRUE(c.ready.empty());
  const auto fx = board::step(s, board::events::connection{true}, 30'000, t);
  EXPECT_TRUE(has<board::effects::request_snapshot>(fx));
  board::step(s, board::events::snapshot{20, {test::make_order(2, st::ready)}}, 30'100, t);
  EXPECT_FALSE(s.stale);
  EXPECT_EQ(numbers(board::visible(s, 30'100, t).ready), (std::vector<std::string>{"A-002"}));
}
