// scanner: the worker thread, the single-slot mailbox, event delivery.
#include "corpus.hpp"

#include <kh/hardware/camera/image_file.hpp>
#include <kh/hardware/scanner/scanner.hpp>

#include <gtest/gtest.h>

#include <condition_variable>
#include <filesystem>
#include <mutex>

#include <unistd.h>

namespace kh::hardware {
namespace {

using std::chrono::milliseconds;
using clock_type = std::chrono::steady_clock;

luminance_image qr_frame(const std::string& text) {
  const auto code = scan_corpus::render_code(code_format::qr, text, 4, 20, 235);
  luminance_image frame(320, 240, 180);
  for (int y = 0; y < code.height(); ++y)
    for (int x = 0; x < code.width(); ++x) frame.at(40 + x, 20 + y) = code.at(x, y);
  return frame;
}

TEST(scanner_worker, a_submitted_frame_becomes_one_polled_event) {
  scanner s;
  const auto frame = qr_frame("ticket A-042");
  const auto t = clock_type::now();
  s.submit(*frame.view(), t, 7);
  ASSERT_TRUE(s.wait_idle(milliseconds{10000}));
  const auto e = s.poll();
  ASSERT_TRUE(e);
  EXPECT_EQ(e->format, code_format::qr);
  EXPECT_EQ(e->text, "ticket A-042");
  EXPECT_EQ(e->timestamp, t);
  EXPECT_EQ(e->frame_sequence, 7u);
  EXPECT_FALSE(s.poll());
}

TEST(scanner_worker, the_same_code_in_frames_within_the_window_is_reported_once) {
  scanner s({.dedupe_window = milliseconds{2000}});
  const auto frame = qr_frame("same");
  const clock_type::time_point t0{};
  for (int i = 0; i < 5; ++i) {
    s.submit(*frame.view(), t0 + milliseconds{100 * i}, static_cast<std::uint64_t>(i));
    ASSERT_TRUE(s.wait_idle(milliseconds{10000}));
  }
  s.submit(*frame.view(), t0 + milliseconds{400 + 2500}, 5);  // out of view for 2.5 s, then back
  ASSERT_TRUE(s.wait_idle(milliseconds{10000}));
  std::vector<std::uint64_t> seqs;
  while (auto e = s.poll()) seqs.push_back(e->frame_sequence);
  EXPECT_EQ(seqs, (std::vector<std::uint64_t>{0, 5}));
  const auto st = s.stats();
  EXPECT_EQ(st.frames_decoded, 6u);
  EXPECT_EQ(st.events, 2u);
  EXPECT_EQ(st.events_suppressed, 4u);
}

TEST(scanner_worker, the_newest_frame_wins_when_decoding_falls_behind) {
  // The callback holds the worker on frame 0 while frames 1..5 arrive: only frame 5 may be decoded
  // next, and frames 1..4 count as dropped. The caller is never blocked.
  std::mutex m;
  std::condition_variable cv;
  bool release = false, holding = false;
  std::vector<std::uint64_t> seqs;
  scanner s({.dedupe_window = milliseconds{0}}, [&](const scan_event& e) {
    std::unique_lock lock(m);
    seqs.push_back(e.frame_sequence);
    if (e.frame_sequence == 0) {
      holding = true;
      cv.notify_all();
      cv.wait(lock, [&] { return release; });
    }
  });
  const auto frame = qr_frame("busy");
  s.submit(*frame.view(), clock_type::now(), 0);
  {
    std::unique_lock lock(m);
    ASSERT_TRUE(cv.wait_for(lock, std::chrono::seconds{10}, [&] { return holding; }));
  }
  for (std::uint64_t i = 1; i <= 5; ++i) s.submit(*frame.view(), clock_type::now(), i);
  {
    std::lock_guard lock(m);
    release = true;
  }
  cv.notify_all();
  ASSERT_TRUE(s.wait_idle(milliseconds{10000}));
  std::lock_guard lock(m);
  EXPECT_EQ(seqs, (std::vector<std::uint64_t>{0, 5}));
  const auto st = s.stats();
  EXPECT_EQ(st.frames_submitted, 6u);
  EXPECT_EQ(st.frames_dropped, 4u);
  EXPECT_EQ(st.frames_decoded, 2u);
}

TEST(scanner_worker, a_throwing_callback_does_not_stop_the_scanner) {
  int calls = 0;
  scanner s({.dedupe_window = milliseconds{0}}, [&](const scan_event&) {
    ++calls;
    throw std::runtime_error("handler bug");
  });
  const auto frame = qr_frame("x");
  for (int i = 0; i < 2; ++i) {
    s.submit(*frame.view(), clock_type::now());
    ASSERT_TRUE(s.wait_idle(milliseconds{10000}));
  }
  EXPECT_EQ(calls, 2);
}

TEST(scanner_worker, the_poll_queue_is_bounded_and_keeps_the_newest_events) {
  scanner s({.queue_capacity = 2});
  for (const char* text : {"one", "two", "three"}) {
    const auto frame = qr_frame(text);
    s.submit(*frame.view(), clock_type::now());
    ASSERT_TRUE(s.wait_idle(milliseconds{10000}));
  }
  EXPECT_EQ(s.poll()->text, "two");
  EXPECT_EQ(s.poll()->text, "three");
  EXPECT_FALSE(s.poll());
  EXPECT_EQ(s.stats().events_overflowed, 1u);
}

TEST(scanner_worker, frames_after_stop_are_ignored) {
  scanner s;
  s.stop();
  s.stop();
  const auto frame = qr_frame("late");
  s.submit(*frame.view(), clock_type::now());
  EXPECT_TRUE(s.wait_idle(milliseconds{100}));
  EXPECT_FALSE(s.poll());
  EXPECT_EQ(s.stats().frames_submitted, 0u);
}

TEST(scanner_worker, a_replayed_camera_feeds_the_scanner_end_to_end) {
  // Corpus frames on disk → replay camera (looping) → scanner: every code once, despite the loop.
  namespace fs = std::filesystem;
  const fs::path dir = fs::temp_directory_path() / ("kh-scan-replay-" + std::to_string(::getpid()));
  fs::create_directories(dir);
  std::vector<scan_corpus::expected_code> expected;
  for (int i = 0; i < 4; ++i) {
    const auto s = scan_corpus::make_sample(scan_corpus::condition::clean, 640, 480, i);
    ASSERT_FALSE(write_png(dir / ("f" + std::to_string(i) + ".png"), *s.image.view()));
    expected.insert(expected.end(), s.codes.begin(), s.codes.end());
  }
  auto cam = make_replay_camera({.folder = dir, .fps = 0, .loop = true});
  ASSERT_FALSE(cam->open());
  ASSERT_FALSE(cam->start());
  scanner s({.decoder = {.budget = std::chrono::microseconds{60'000'000}}});
  // Frame times as a 30 fps camera would stamp them: 12 frames = 3 loops in 0.4 s, inside the window.
  const clock_type::time_point t0{};
  for (std::uint64_t i = 0; i < 12; ++i) {
    camera_frame f;
    ASSERT_FALSE(cam->next_frame(f, milliseconds{1000}));
    s.submit(*f.image, t0 + milliseconds{33} * static_cast<int>(i), f.sequence);
    ASSERT_TRUE(s.wait_idle(milliseconds{10000}));  // one at a time: no frame dropped
  }
  std::vector<std::string> texts;
  while (auto e = s.poll()) texts.push_back(e->text);
  ASSERT_EQ(texts.size(), expected.size());
  for (std::size_t i = 0; i < expected.size(); ++i)
    EXPECT_TRUE(scan_corpus::matches(expected[i], expected[i].format, texts[i])) << texts[i];
  EXPECT_EQ(s.stats().events_suppressed, 8u);
  fs::remove_all(dir);
}

TEST(scanner_worker, camera_frames_without_an_image_are_ignored) {
  scanner s;
  s.submit(camera_frame{});
  EXPECT_EQ(s.stats().frames_submitted, 0u);
}

}  // namespace
}  // namespace kh::hardware
