// The QR repair pass (hardware/src/scanner/qr_repair.hpp): finder patterns found where they are,
// and codes with a finder partly or wholly under a grey patch read again, where ZXing 1.4 alone
// reads nothing.
#include "corpus.hpp"
#include "scanner/qr_repair.hpp"

#include <kh/hardware/scanner/scanner.hpp>

#include <ZXing/ReadBarcode.h>

#include <gtest/gtest.h>

#include <cmath>
#include <string>

namespace kh::hardware::detail {
namespace {

const std::string k_ticket = "kh:order:0b7c2f1e-9a41-4d3e-8f6a-2c5d7e9b1a30";
constexpr int k_px = 6;     // pixels a module
constexpr int k_quiet = 4;  // the writer's quiet zone, modules
constexpr int k_x = 100, k_y = 60;

// The ticket's QR (33 × 33 modules, quiet zone included), optionally with a flat grey patch over
// modules [c0, c1) × [r0, r1).
luminance_image ticket_code(double c0 = 0, double r0 = 0, double c1 = 0, double r1 = 0, std::uint8_t grey = 150) {
  auto code = kh::scan_corpus::render_code(code_format::qr, k_ticket, k_px, 25, 230);
  for (int y = static_cast<int>((k_quiet + r0) * k_px); y < static_cast<int>((k_quiet + r1) * k_px); ++y)
    for (int x = static_cast<int>((k_quiet + c0) * k_px); x < static_cast<int>((k_quiet + c1) * k_px); ++x) code.at(x, y) = grey;
  return code;
}

// A 640×480 frame with `code` at (k_x, k_y), turned by `degrees` about its centre.
luminance_image frame_with(const luminance_image& code, double degrees = 0) {
  luminance_image frame(640, 480, 120);
  kh::scan_corpus::draw_turned(code, k_x + code.width() / 2.0, k_y + code.height() / 2.0, degrees, frame);
  return frame;
}

// Frame pixel of module (c, r)'s top-left corner (upright code).
double px_x(double c) { return k_x + (k_quiet + c) * k_px; }
double px_y(double r) { return k_y + (k_quiet + r) * k_px; }

bool zxing_alone_reads(const luminance_image& frame) {
  const auto hints = ZXing::DecodeHints().setFormats(ZXing::BarcodeFormat::QRCode).setTryHarder(true).setTryDownscale(false);
  return !ZXing::ReadBarcodes(frame.view()->to_zxing(), hints).empty();
}

TEST(qr_repair, finds_the_three_finder_patterns_at_their_centres) {
  const auto frame = frame_with(ticket_code());
  const auto finders = find_finder_patterns(*frame.view());
  // Data modules can form a 1:1:3:1:1 cross too; the three finders must be among what is found,
  // and first (they are crossed by the most lines).
  ASSERT_GE(finders.size(), 3u);
  // Centres of modules 3.5 and 33 - 3.5 along each side.
  const double lo_x = px_x(3.5), hi_x = px_x(29.5), lo_y = px_y(3.5), hi_y = px_y(29.5);
  for (const auto& [x, y] : {std::pair{lo_x, lo_y}, std::pair{hi_x, lo_y}, std::pair{lo_x, hi_y}}) {
    const bool seen = std::any_of(finders.begin(), finders.begin() + 3, [&](const finder_pattern& f) {
      return std::hypot(f.x - x, f.y - y) < 2.0 && std::abs(f.module - k_px) < 1.0;
    });
    EXPECT_TRUE(seen) << "no finder at " << x << "," << y;
  }
}

TEST(qr_repair, finds_no_finder_pattern_in_clutter) {
  const auto s = kh::scan_corpus::make_sample(kh::scan_corpus::condition::no_code, 640, 480, 3);
  EXPECT_LT(find_finder_patterns(*s.image.view()).size(), 2u);
}

struct covered_case {
  const char* what;
  double c0, r0, c1, r1;
  double degrees;
};

TEST(qr_repair, reads_a_code_whose_finder_is_covered) {
  for (const auto& c : {covered_case{"top-left finder", 1, 2, 8, 8, 0}, covered_case{"top-right finder", 26, 0, 32, 6, 0},
                        covered_case{"bottom-left finder", 0, 27, 6, 33, 0}, covered_case{"top-left finder, turned", 1, 2, 8, 8, 20},
                        covered_case{"left side of the top-right finder, turned", 18, 1, 28, 10, 3},
                        covered_case{"top of the bottom-left finder, turned", 1, 24, 9, 28, -4}}) {
    const auto frame = frame_with(ticket_code(c.c0, c.r0, c.c1, c.r1), c.degrees);
    // Why the pass exists: ZXing 1.4 alone does not see this code at all.
    EXPECT_FALSE(zxing_alone_reads(frame)) << c.what;
    frame_decoder decoder;
    const auto found = decoder.decode_thoroughly(*frame.view());
    ASSERT_EQ(found.size(), 1u) << c.what;
    EXPECT_EQ(found[0].text, k_ticket) << c.what;
    for (const auto& p : found[0].corners) {  // positions are the frame's, not the repaired crop's
      EXPECT_GE(p.x, px_x(-8)) << c.what;
      EXPECT_LE(p.x, px_x(41)) << c.what;
      EXPECT_GE(p.y, px_y(-8)) << c.what;
      EXPECT_LE(p.y, px_y(41)) << c.what;
    }
  }
}

TEST(qr_repair, the_corpus_frames_where_a_cover_hid_the_code_from_zxing) {
  // The bench's covered frames (seed 1, 1280×720) that only zbar read before this pass: a patch on
  // the top-left finder, and one over the left side of the top-right finder.
  for (int index : {0, 36}) {
    const auto s = kh::scan_corpus::make_sample(kh::scan_corpus::condition::covered, 1280, 720, index, 1);
    ASSERT_EQ(s.codes.size(), 1u);
    frame_decoder decoder;
    const auto found = decoder.decode_thoroughly(*s.image.view());
    ASSERT_EQ(found.size(), 1u) << s.name();
    EXPECT_EQ(found[0].text, s.codes[0].text);
  }
}

TEST(qr_repair, a_code_covered_beyond_its_error_correction_stays_unread) {
  // Half the code under the patch: painting structure back cannot invent the data.
  const auto frame = frame_with(ticket_code(8, 8, 33, 33));
  frame_decoder decoder;
  EXPECT_TRUE(decoder.decode_thoroughly(*frame.view()).empty());
}

}  // namespace
}  // namespace kh::hardware::detail
