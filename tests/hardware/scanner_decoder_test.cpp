// frame_decoder and dedupe_filter: what one frame gives, and when a code counts as new.
#include "corpus.hpp"

#include <kh/hardware/scanner/scanner.hpp>

#include <gtest/gtest.h>

#include <cmath>
#include <utility>

namespace kh::hardware {
namespace {

using std::chrono::milliseconds;

// A 640×480 grey frame with `code` pasted at (x, y).
luminance_image frame_with(const luminance_image& code, int x = 60, int y = 40, std::uint8_t ground = 170) {
  luminance_image frame(640, 480, ground);
  for (int yy = 0; yy < code.height() && y + yy < 480; ++yy)
    for (int xx = 0; xx < code.width() && x + xx < 640; ++xx) frame.at(x + xx, y + yy) = code.at(xx, yy);
  return frame;
}

struct format_case {
  code_format format;
  std::string text;
  int px;
};

TEST(scanner_decoder, reads_each_enabled_format_with_its_text_and_corners) {
  for (const auto& c : {format_case{code_format::qr, "kh:order:0b7c2f1e-9a41-4d3e-8f6a-2c5d7e9b1a30", 4},
                        format_case{code_format::ean13, "4006381333931", 3},
                        format_case{code_format::upca, "036000291452", 3},
                        format_case{code_format::code128, "A-042", 3}}) {
    const auto code = scan_corpus::render_code(c.format, c.text, c.px, 20, 235);
    const auto frame = frame_with(code, 60, 40);
    frame_decoder decoder;
    const auto found = decoder.decode(*frame.view());
    ASSERT_EQ(found.size(), 1u) << to_string(c.format);
    EXPECT_EQ(found[0].format, c.format);
    EXPECT_EQ(found[0].text, c.text);
    for (const auto& p : found[0].corners) {  // every corner on the pasted code
      EXPECT_GE(p.x, 60 - 2);
      EXPECT_LE(p.x, 60 + code.width() + 2);
      EXPECT_GE(p.y, 40 - 2);
      EXPECT_LE(p.y, 40 + code.height() + 2);
    }
  }
}

TEST(scanner_decoder, ignores_formats_that_are_not_enabled) {
  const auto frame = frame_with(scan_corpus::render_code(code_format::ean13, "4006381333931", 3, 20, 235));
  frame_decoder qr_only({.formats = {.qr = true, .ean13 = false, .upca = false, .code128 = false}});
  EXPECT_TRUE(qr_only.decode(*frame.view()).empty());
  frame_decoder nothing({.formats = {false, false, false, false}});
  EXPECT_TRUE(nothing.decode(*frame.view()).empty());
}

TEST(scanner_decoder, reads_light_on_dark_codes_only_when_inversion_is_tried) {
  const auto frame = frame_with(scan_corpus::render_code(code_format::qr, "inverted ticket", 5, 235, 20), 60, 40, 30);
  frame_decoder plain({.try_invert = false});
  EXPECT_TRUE(plain.decode_thoroughly(*frame.view()).empty());
  frame_decoder inverting({.try_invert = true});
  const auto found = inverting.decode_thoroughly(*frame.view());
  ASSERT_EQ(found.size(), 1u);
  EXPECT_EQ(found[0].text, "inverted ticket");
}

TEST(scanner_decoder, the_budget_bounds_the_passes_a_live_frame_gets) {
  // An inverted code needs a later pass. With no budget a live frame gets only the first pass,
  // however often it is shown; with an ample one the inverted pass is reached; stills get all.
  const auto frame = frame_with(scan_corpus::render_code(code_format::qr, "budget", 5, 235, 20), 60, 40, 30);
  frame_decoder starved({.budget = std::chrono::microseconds{0}});
  for (int i = 0; i < 5; ++i) {
    EXPECT_TRUE(starved.decode(*frame.view()).empty());
    EXPECT_EQ(starved.last_report().passes, 1);
  }
  EXPECT_EQ(starved.decode_thoroughly(*frame.view()).size(), 1u);
  frame_decoder ample({.budget = std::chrono::microseconds{60'000'000}});
  EXPECT_EQ(ample.decode(*frame.view()).size(), 1u);
}

TEST(scanner_decoder, a_frame_that_read_nothing_and_had_room_for_no_other_pass_is_followed_by_one_at_half_size) {
  // A noisy 1280×720 code: ZXing's full-size fast pass misses it and takes most of the budget;
  // half size averages the noise out. With no budget left after the first pass, the next frame of
  // the code held in view starts at half size (before: only after two frames whose first pass
  // alone overran), and reads it.
  int read_on_the_second = 0;
  for (int i = 0; i < 12; ++i) {
    const auto s = scan_corpus::make_sample(scan_corpus::condition::noisy, 1280, 720, i);
    frame_decoder live({.budget = std::chrono::microseconds{0}});
    const auto first = live.decode(*s.image.view());
    EXPECT_FALSE(live.last_report().downscaled);
    if (!first.empty()) continue;
    const auto second = live.decode(*s.image.view());
    EXPECT_TRUE(live.last_report().downscaled) << s.name();
    EXPECT_EQ(live.last_report().passes, 1);
    for (const auto& c : second) {
      EXPECT_TRUE(scan_corpus::matches(s.codes.at(0), c.format, c.text)) << s.name() << " misread " << c.text;
      ++read_on_the_second;
    }
  }
  EXPECT_GE(read_on_the_second, 8);  // 10 of the 11 the first frame missed, today
}

TEST(scanner_decoder, reads_a_linear_code_turned_90_degrees_only_with_rotation) {
  const auto code = scan_corpus::render_code(code_format::code128, "ROT-90", 3, 20, 235);
  luminance_image turned(code.height(), code.width());
  for (int y = 0; y < code.height(); ++y)
    for (int x = 0; x < code.width(); ++x) turned.at(y, code.width() - 1 - x) = code.at(x, y);
  const auto frame = frame_with(turned, 100, 20);
  frame_decoder fixed({.try_rotate = false});
  EXPECT_TRUE(fixed.decode_thoroughly(*frame.view()).empty());
  frame_decoder rotating({.try_rotate = true});
  const auto found = rotating.decode(*frame.view());
  ASSERT_EQ(found.size(), 1u);
  EXPECT_EQ(found[0].text, "ROT-90");
}

// `code` drawn into a 640×480 frame, turned by `degrees` about the frame's centre.
luminance_image frame_turned(const luminance_image& code, double degrees, std::uint8_t ground = 170) {
  luminance_image frame(640, 480, ground);
  scan_corpus::draw_turned(code, 320, 240, degrees, frame);
  return frame;
}

TEST(scanner_decoder, reads_an_ean13_at_any_angle_in_one_live_frame) {
  // ZXing reads linear codes near 0° and 90° only; the edge pass scans lines at 45° steps, so one
  // live frame (ample budget: this is about which passes run, not how fast) reads any angle.
  const auto code = scan_corpus::render_code(code_format::ean13, "5901234123457", 3, 20, 235);
  for (double degrees : {0.0, 30.0, 45.0, 67.0, 135.0, 200.0, 315.0}) {
    const auto frame = frame_turned(code, degrees);
    frame_decoder live({.budget = std::chrono::microseconds{60'000'000}});
    const auto found = live.decode(*frame.view());
    ASSERT_EQ(found.size(), 1u) << degrees << "°";
    EXPECT_EQ(found[0].text, "5901234123457");
    for (const auto& p : found[0].corners) {  // the corners lie on the code, wherever it points
      EXPECT_LT(std::hypot(p.x - 320, p.y - 240), std::hypot(code.width(), code.height()) / 2 + 4) << degrees << "°";
    }
  }
  // Without rotation, an EAN-13 at 45° stays unread (rows only).
  frame_decoder upright({.try_rotate = false, .budget = std::chrono::microseconds{60'000'000}});
  EXPECT_TRUE(upright.decode_thoroughly(*frame_turned(code, 45.0).view()).empty());
}

TEST(scanner_decoder, reads_the_small_blurred_and_covered_codes_zbar_read_and_zxing_alone_did_not) {
  // Bench frames (docs/benchmarks.md) where ZXing's own passes read nothing and zbar did: EAN-13 of
  // about 1.5 px a module, EAN-13 blurred by half a module, Code 128 of 1.5 px a module, a QR of
  // about 2 px a module, a QR partly under a grey patch.
  struct frame_case {
    scan_corpus::condition cond;
    int index;
    std::uint32_t seed;
  };
  using scan_corpus::condition;
  for (const auto& c : {frame_case{condition::scaled, 1, 20261122}, frame_case{condition::blurred, 5, 20261122},
                        frame_case{condition::blurred, 10, 20261122}, frame_case{condition::scaled, 11, 1},
                        frame_case{condition::low_contrast, 39, 1}, frame_case{condition::scaled, 28, 1},
                        frame_case{condition::covered, 4, 20261122}}) {
    const auto sample = scan_corpus::make_sample(c.cond, 640, 480, c.index, c.seed);
    ASSERT_EQ(sample.codes.size(), 1u);
    frame_decoder decoder;
    const auto found = decoder.decode_thoroughly(*sample.image.view());
    ASSERT_EQ(found.size(), 1u) << sample.name() << " seed " << c.seed;
    EXPECT_TRUE(scan_corpus::matches(sample.codes[0], found[0].format, found[0].text)) << sample.name();
  }
}

TEST(scanner_decoder, an_empty_or_tiny_frame_reads_nothing_and_does_not_fail) {
  frame_decoder decoder;
  const luminance_image flat(640, 480, 128);
  EXPECT_TRUE(decoder.decode(*flat.view()).empty());
  EXPECT_GE(decoder.last_report().passes, 1);
  const luminance_image tiny(1, 1, 0);
  EXPECT_TRUE(decoder.decode_thoroughly(*tiny.view()).empty());
}

TEST(scanner_decoder, odd_shapes_and_random_frames_never_fail_and_read_nothing) {
  // Every pass (ZXing, edge reader, QR repair, the resampled copies) on frames no camera sends:
  // slivers, tiny squares, noise, stripes and checkerboards that look like bars and finders.
  scan_corpus::rng r(7);
  frame_decoder decoder;
  for (const auto& [w, h] : {std::pair{1, 1}, std::pair{2, 500}, std::pair{500, 2}, std::pair{21, 21}, std::pair{3000, 9},
                             std::pair{61, 700}, std::pair{640, 480}}) {
    for (int kind = 0; kind < 3; ++kind) {
      luminance_image img(w, h);
      for (int y = 0; y < h; ++y)
        for (int x = 0; x < w; ++x) {
          int v = 0;
          if (kind == 0) v = r.uniform_int(0, 255);                       // noise
          if (kind == 1) v = (x / (1 + (x * 7 + y) % 5)) % 2 ? 230 : 20;  // irregular bars
          if (kind == 2) v = ((x / 3) + (y / 3)) % 2 ? 235 : 15;          // checkerboard: 1:1 everywhere
          img.at(x, y) = static_cast<std::uint8_t>(v);
        }
      EXPECT_TRUE(decoder.decode_thoroughly(*img.view()).empty()) << w << "x" << h << " kind " << kind;
      EXPECT_TRUE(decoder.decode(*img.view()).empty()) << w << "x" << h << " kind " << kind;
    }
  }
}

TEST(scanner_decoder, reports_no_more_codes_than_max_codes) {
  const auto a = scan_corpus::render_code(code_format::qr, "first", 4, 20, 235);
  const auto b = scan_corpus::render_code(code_format::qr, "second", 4, 20, 235);
  auto frame = frame_with(a, 20, 20);
  for (int y = 0; y < b.height(); ++y)
    for (int x = 0; x < b.width(); ++x) frame.at(360 + x, 200 + y) = b.at(x, y);
  frame_decoder all;
  EXPECT_EQ(all.decode_thoroughly(*frame.view()).size(), 2u);
  frame_decoder one({.max_codes = 1});
  EXPECT_EQ(one.decode_thoroughly(*frame.view()).size(), 1u);
}

TEST(scanner_dedupe, reports_a_code_once_while_it_stays_in_view) {
  dedupe_filter filter(milliseconds{2000});
  const std::chrono::steady_clock::time_point t0{};
  EXPECT_TRUE(filter.admit(code_format::qr, "A", t0));
  // Seen every 100 ms for 5 s: never reported again, the window slides with each sighting.
  for (int i = 1; i <= 50; ++i) EXPECT_FALSE(filter.admit(code_format::qr, "A", t0 + milliseconds{100 * i}));
  // Another code, or the same text in another format, is new.
  EXPECT_TRUE(filter.admit(code_format::qr, "B", t0 + milliseconds{5000}));
  EXPECT_TRUE(filter.admit(code_format::code128, "A", t0 + milliseconds{5000}));
}

TEST(scanner_dedupe, reports_again_after_the_window_out_of_view) {
  dedupe_filter filter(milliseconds{2000});
  const std::chrono::steady_clock::time_point t0{};
  EXPECT_TRUE(filter.admit(code_format::ean13, "4006381333931", t0));
  EXPECT_FALSE(filter.admit(code_format::ean13, "4006381333931", t0 + milliseconds{1999}));
  EXPECT_TRUE(filter.admit(code_format::ean13, "4006381333931", t0 + milliseconds{1999 + 2000}));
}

TEST(scanner_dedupe, window_zero_reports_every_sighting_and_memory_stays_bounded) {
  dedupe_filter every(milliseconds{0});
  const std::chrono::steady_clock::time_point t0{};
  EXPECT_TRUE(every.admit(code_format::qr, "A", t0));
  EXPECT_TRUE(every.admit(code_format::qr, "A", t0));
  dedupe_filter small(milliseconds{2000}, 2);
  EXPECT_TRUE(small.admit(code_format::qr, "A", t0));
  EXPECT_TRUE(small.admit(code_format::qr, "B", t0));
  EXPECT_TRUE(small.admit(code_format::qr, "C", t0));  // evicts A, the oldest
  EXPECT_TRUE(small.admit(code_format::qr, "A", t0));
}

}  // namespace
}  // namespace kh::hardware
