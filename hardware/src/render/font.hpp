#pragma once
// The renderer's built-in bitmap font: ASCII drawn on a 5x7 grid (plus 2 rows of descender and 2
// rows above for accents), Latin-1 letters composed from a base letter and an accent mark, and box
// drawing / block characters drawn procedurally. Authored for this project.
#include "kh/hardware/printer/image.hpp"

namespace kh::hardware::printer::detail {

/// Cell sizes of Epson font A (12x24) and font B (9x17).
inline constexpr int k_font_a_w = 12, k_font_a_h = 24, k_font_b_w = 9, k_font_b_h = 17;

/// The glyph for Unicode code point `cp` drawn into a cell of font A or B size. Unknown code
/// points get an outlined box (so they are visible, not silently dropped).
mono_bitmap glyph_cell(char32_t cp, bool font_b);

}  // namespace kh::hardware::printer::detail
