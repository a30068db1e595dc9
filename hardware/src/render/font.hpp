#pragma once
// The renderer's built-in bitmap font: ASCII drawn on a 5x7 grid (plus 2 rows of descender and 2
// rows above for accents), Latin-1 letters composed from a base letter and an accent mark, and box
// drawing / block characters drawn procedurally. Authored for this project.
#include <utility>
#include <vector>

#include "kh/hardware/printer/image.hpp"

namespace kh::hardware::printer::detail {

/// Cell sizes of Epson font A (12x24) and font B (9x17).
inline constexpr int k_font_a_w = 12, k_font_a_h = 24, k_font_b_w = 9, k_font_b_h = 17;

/// The glyph for Unicode code point `cp` drawn into a cell of font A or B size. Unknown code
/// points get an outlined box (so they are visible, not silently dropped).
mono_bitmap glyph_cell(char32_t cp, bool font_b);

/// A glyph cell plus the list of its dots (drawing walks only the dots).
struct glyph {
  mono_bitmap cell;
  std::vector<std::pair<int, int>> dots;
};

/// The glyph for `cp` from a table built once per process for every character of CP437 and
/// CP858 (thread-safe); other code points are built on the fly into a per-thread cache.
const glyph& cached_glyph(char32_t cp, bool font_b);

}  // namespace kh::hardware::printer::detail
