#pragma once
// Repairs what a cover hides from ZXing 1.4's QR detector.
//
// ZXing finds a QR code by its three finder patterns. A thumb, a sticker or glare over part of one
// finder hides the code from it entirely, although the error correction could restore the data
// under the cover (zbar reads such codes). This pass finds finder patterns itself (dark 1:1:3:1:1
// runs crossing in x and y, from sub-pixel edges), derives the module grid from two or three of
// them, paints a whole finder where one was covered or missing into a copy of the code's region,
// and hands that copy to ZXing. A finder carries no data: a wrong guess yields no read, never a
// wrong one (Reed–Solomon checks the data).
//
// Internal to kh::hardware (a pass of frame_decoder); exposed here for its tests.
#include <kh/hardware/frame.hpp>

#include <cstdint>
#include <vector>

namespace kh::hardware::detail {

/// A finder pattern's centre and module size, in frame pixels.
struct finder_pattern {
  float x = 0;
  float y = 0;
  float module = 0;
  int hits = 0;  ///< scan lines that crossed it (more: more certain)
};

/// Finder patterns in the frame, strongest first (at most `max_count`).
std::vector<finder_pattern> find_finder_patterns(const luminance_view& frame, int max_count = 12);

/// A repaired copy of one candidate code's region: decode `image` and add (left, top) to positions.
struct repaired_region {
  std::vector<std::uint8_t> pixels;
  int width = 0;
  int height = 0;
  int left = 0;
  int top = 0;
};

/// Candidate repairs for the finder patterns found: for three finders forming a code, each of them
/// repainted in turn; for two, each place the third could be, painted there. At most
/// `max_candidates`, likeliest first.
std::vector<repaired_region> repair_qr_candidates(const luminance_view& frame, int max_candidates = 12);

}  // namespace kh::hardware::detail
