#pragma once
// ESC/POS → monochrome bitmap/PNG: the print preview, and how tests "see" a receipt.
#include <cstdint>
#include <span>
#include <string>
#include <system_error>
#include <vector>

#include "kh/hardware/printer/image.hpp"
#include "kh/hardware/printer/profile.hpp"

namespace kh::hardware::printer {

/// Renderer limits. Defaults keep hostile input bounded: 20,000 rows (≈ 2.5 m of paper at 203
/// dpi) and 200 stored warnings.
struct render_options {
  int max_height = 20000;
  std::size_t max_warnings = 200;
};

/// What came out of the renderer.
struct render_result {
  mono_bitmap image;                  ///< profile.dot_width wide, 1 = printed dot
  std::vector<std::string> warnings;  ///< skipped/unsupported commands, truncation, clipping
  int cuts = 0;                       ///< GS V seen (drawn as a dashed line across the paper)
  int drawer_pulses = 0;              ///< ESC p seen (nothing to draw)
  bool truncated = false;             ///< input ended inside a command
};

/// Interprets the Epson command subset the encoder emits (and some common neighbours: ESC !,
/// ESC G, ESC J, ESC 2/3, HT, CR) and draws it as the printer would: font A 12x24 / B 9x17,
/// bold, underline, size multipliers, alignment, auto-wrap at the paper edge, GS ( k QR (drawn
/// with ZXing's writer from the stored data), GS k Code128/EAN-13, GS v 0 raster, cut marks.
/// Never throws on any input; unknown commands are skipped with a warning.
render_result render_escpos(std::span<const std::uint8_t> bytes, const printer_profile& profile,
                            const render_options& opt = {});

/// PNG (1-bit greyscale) in memory. Empty on failure (e.g. an empty bitmap).
std::vector<std::uint8_t> encode_png(const mono_bitmap& image);
/// Writes the PNG to `path`. errc::invalid_argument for an empty bitmap; the OS error
/// (std::generic_category, e.g. "No such file or directory") when the file cannot be written.
std::error_code write_png(const mono_bitmap& image, const std::string& path);

}  // namespace kh::hardware::printer
