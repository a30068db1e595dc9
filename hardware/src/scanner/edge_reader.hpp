#pragma once
// An EAN-13 / UPC-A and Code 128 reader that works on edges instead of a binarized image.
//
// ZXing 1.4 thresholds each scan line and then measures runs of black and white. When a narrow
// space between two wide bars is blurred, or a module is only about 1.5 px wide, that space never
// crosses the threshold and the code is lost. This reader finds edges as extrema of the line's
// derivative with sub-pixel positions, and decodes digits from "similar edge" distances (leading
// edge of one bar to the leading edge of the next, the reference decode of ISO/IEC 15420 and
// 15417), which blur and ink spread shift by the same amount on both ends. Lines run at 0°, 45°, 90° and 135°
// across the frame, so a code at any angle meets one of them within 22.5°.
//
// Internal to kh::hardware (used by frame_decoder as one of its passes); exposed here for its tests.
#include <kh/hardware/frame.hpp>
#include <kh/hardware/scanner/scanner.hpp>

#include <array>
#include <string>
#include <vector>

namespace kh::hardware::detail {

/// An edge on a scan line: sub-pixel position (in samples from the line's start) and direction.
struct line_edge {
  float pos = 0;
  bool to_dark = false;  ///< light → dark (a bar starts) when read in the line's direction
  float strength = 0;    ///< |derivative| at the edge, grey levels per sample
};

/// The frame's noise sigma in grey levels (median absolute second difference along every fourth
/// row: flat areas and blurred ramps leave it near zero, sensor noise does not).
float frame_noise(const luminance_view& frame);

/// Edges along `n` luminance samples: alternating in direction, each the strongest derivative
/// extremum of its run. `min_step` is the smallest derivative counted as an edge.
void find_edges(const float* samples, int n, float min_step, std::vector<line_edge>& out);

/// A code read from one line: its text and where it starts and ends on the line (outer edges of
/// its guards or start/stop characters, in samples).
struct line_read {
  code_format format = code_format::ean13;  ///< ean13 (UPC-A included: 13 digits) or code128
  std::string text;
  float start = 0;
  float end = 0;
};

/// Appends every EAN-13 (UPC-A is an EAN-13 starting with 0) on one line's edges, read in both
/// directions; `inverted`: light bars on a dark ground. Each read passed the guard, quiet-zone,
/// width-consistency and check-digit tests.
void read_ean_on_line(const std::vector<line_edge>& edges, float line_length, std::vector<line_read>& out,
                      bool inverted = false);

/// Appends every Code 128 on one line's edges, read in both directions. Each read passed the
/// quiet-zone, width-consistency, stop-pattern and check-character tests. Codes using FNC1–4 are
/// left to ZXing (their text conventions are its own).
void read_code128_on_line(const std::vector<line_edge>& edges, float line_length, std::vector<line_read>& out,
                          bool inverted = false);

/// The Code 128 character for a value 0–105 as element widths (bar first), e.g. 104 (Start B) is
/// {2,1,1,2,1,4}. Exposed so the test can check the table against ZXing's writer.
std::array<int, 6> code128_pattern(int value);

struct edge_reader_options {
  format_set formats{};
  int line_spacing = 0;       ///< pixels between parallel scan lines; 0: 3 up to 480 lines, 6 at 720
  bool turned = true;         ///< also columns and diagonals: codes at any angle (else rows only)
  bool inverted = true;       ///< also light bars on a dark ground
  int min_lines = 3;          ///< lines that must agree before a code is reported
  int max_codes = 4;
};

/// Reads EAN-13 / UPC-A and Code 128 codes in a frame by scanning lines at 0° (and 90°, 45°,
/// 135°). A code is reported (an EAN-13 starting with 0 as UPC-A when UPC-A is enabled) once
/// `min_lines` lines read the same text. Corners: the code's ends on the first and last line that
/// read it.
std::vector<decoded_code> read_linear_by_edges(const luminance_view& frame, const edge_reader_options& options);

}  // namespace kh::hardware::detail
