#pragma once
// ESC/POS encoder: builds the byte stream for Epson-compatible receipt printers.
//
// Text goes in as UTF-8 and is transcoded to the selected code page. Commands that can fail on bad
// input (barcodes, QR, images) return a std::error_code and append nothing on failure; the others
// return *this so calls chain.
#include <cstdint>
#include <span>
#include <string>
#include <string_view>
#include <system_error>
#include <vector>

#include "kh/hardware/printer/codepage.hpp"
#include "kh/hardware/printer/errc.hpp"
#include "kh/hardware/printer/image.hpp"

namespace kh::hardware::printer::escpos {

/// Command bytes the encoder emits, named for readers of tests and the renderer.
inline constexpr std::uint8_t LF = 0x0A, ESC = 0x1B, GS = 0x1D, DLE = 0x10, EOT = 0x04;

enum class alignment : std::uint8_t { left = 0, center = 1, right = 2 };
enum class underline : std::uint8_t { none = 0, thin = 1, thick = 2 };
enum class cut_mode : std::uint8_t { full, partial };
/// QR error correction levels (GS ( k fn 169 values 48..51).
enum class qr_ecc : std::uint8_t { L = 48, M = 49, Q = 50, H = 51 };
/// Where barcode human-readable text goes (GS H n).
enum class hri_position : std::uint8_t { none = 0, above = 1, below = 2, both = 3 };

/// QR options. Defaults: module size 6 dots, ECC level M.
struct qr_options {
  int module_size = 6;       ///< 1..16 dots per module
  qr_ecc ecc = qr_ecc::M;
};

/// 1D barcode options. Defaults: 80 dots high, module width 2 dots, HRI below.
struct barcode_options {
  int height = 80;           ///< 1..255 dots (GS h)
  int module_width = 2;      ///< 2..6 dots (GS w)
  hri_position hri = hri_position::below;
};

/// Maximum bytes a native QR (model 2) can hold.
inline constexpr std::size_t k_qr_max_bytes = 7089;

class encoder {
 public:
  /// Starts empty; text is transcoded to `cp` (default CP858, which has €). Call initialize() to
  /// emit ESC @ and the code page selection.
  explicit encoder(code_page cp = code_page::cp858) : cp_(cp) {}

  /// ESC @ (reset) followed by ESC t n for the current code page.
  encoder& initialize();
  /// ESC t n; later text is transcoded to `cp`.
  encoder& select_code_page(code_page cp);
  /// Text in UTF-8, transcoded ('?' for what the code page lacks). No line feed.
  encoder& text(std::string_view utf8);
  /// text() then LF.
  encoder& line(std::string_view utf8 = {});
  /// LF.
  encoder& newline();
  /// ESC d n: feed n lines (0..255).
  encoder& feed(int lines);
  /// ESC E n.
  encoder& bold(bool on);
  /// ESC - n.
  encoder& set_underline(underline u);
  /// GS ! n: character width and height multipliers, each clamped to 1..8.
  encoder& size(int width, int height);
  /// ESC a n. Takes effect at the start of a line.
  encoder& align(alignment a);
  /// GS V: cut. With feed_dots > 0 the printer first feeds that many dots (GS V 65/66 n);
  /// default 0 emits GS V 0 / GS V 1.
  encoder& cut(cut_mode mode = cut_mode::full, int feed_dots = 0);
  /// ESC p m t1 t2: drawer kick pulse on connector pin 2 (pin=2) or 5 (pin=5), on/off times in ms
  /// (rounded to 2 ms units, capped at 510 ms). Defaults: pin 2, 100 ms on, 100 ms off.
  encoder& drawer_pulse(int pin = 2, int on_ms = 100, int off_ms = 100);

  /// Native QR (GS ( k, model 2): model, size, ECC, store, print. Fails with errc::too_large for
  /// more than 7089 bytes, invalid_argument for empty data or a module size outside 1..16.
  [[nodiscard]] std::error_code qr(std::string_view data, const qr_options& opt = {});
  /// The same QR drawn by us (ZXing writer) and sent as a GS v 0 raster image, for printers
  /// without native QR. Module size is dots per module; a 4-module quiet zone is included.
  [[nodiscard]] std::error_code qr_raster(std::string_view data, const qr_options& opt = {});
  /// Code128, code set B (GS k 73 with "{B"): printable ASCII only, at most 253 characters.
  [[nodiscard]] std::error_code code128(std::string_view data, const barcode_options& opt = {});
  /// EAN-13 (GS k 67): 12 digits, or 13 with a correct check digit (validated, then the printer
  /// computes it again from the first 12).
  [[nodiscard]] std::error_code ean13(std::string_view digits, const barcode_options& opt = {});
  /// GS v 0 raster image from a monochrome bitmap (width up to 65535/8 bytes, height ≤ 4095 per
  /// command; taller images are split into several commands).
  [[nodiscard]] std::error_code raster(const mono_bitmap& image);
  /// Dithers the greyscale image, then raster().
  [[nodiscard]] std::error_code image(const grey_view& img, dither_mode mode = dither_mode::floyd_steinberg);

  /// Raw bytes, for commands this class does not cover.
  encoder& raw(std::span<const std::uint8_t> bytes);

  const std::vector<std::uint8_t>& bytes() const noexcept { return out_; }
  /// Moves the bytes out and leaves the encoder empty (the code page stays).
  std::vector<std::uint8_t> take() noexcept;
  code_page current_code_page() const noexcept { return cp_; }

 private:
  void put(std::initializer_list<std::uint8_t> b) { out_.insert(out_.end(), b); }
  void barcode_setup(const barcode_options& opt);
  code_page cp_;
  std::vector<std::uint8_t> out_;
};

/// EAN-13 check digit for 12 digits; -1 when the input is not exactly 12 ASCII digits.
int ean13_check_digit(std::string_view twelve_digits) noexcept;

}  // namespace kh::hardware::printer::escpos
