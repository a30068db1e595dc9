// ESC/POS byte emission (Epson TM series command reference).
#include "kh/hardware/printer/encoder.hpp"

#include <algorithm>

#include "symbols.hpp"

namespace kh::hardware::printer::escpos {

encoder& encoder::initialize() {
  put({ESC, '@'});
  return select_code_page(cp_);
}

encoder& encoder::select_code_page(code_page cp) {
  cp_ = cp;
  put({ESC, 't', static_cast<std::uint8_t>(cp)});
  return *this;
}

encoder& encoder::text(std::string_view utf8) {
  const auto s = transcode_utf8(utf8, cp_);
  out_.insert(out_.end(), s.begin(), s.end());
  return *this;
}

encoder& encoder::line(std::string_view utf8) { return text(utf8).newline(); }

encoder& encoder::newline() {
  out_.push_back(LF);
  return *this;
}

encoder& encoder::feed(int lines) {
  put({ESC, 'd', static_cast<std::uint8_t>(std::clamp(lines, 0, 255))});
  return *this;
}

encoder& encoder::bold(bool on) {
  put({ESC, 'E', static_cast<std::uint8_t>(on ? 1 : 0)});
  return *this;
}

encoder& encoder::set_underline(underline u) {
  put({ESC, '-', static_cast<std::uint8_t>(u)});
  return *this;
}

encoder& encoder::size(int width, int height) {
  const int w = std::clamp(width, 1, 8) - 1, h = std::clamp(height, 1, 8) - 1;
  put({GS, '!', static_cast<std::uint8_t>((w << 4) | h)});
  return *this;
}

encoder& encoder::align(alignment a) {
  put({ESC, 'a', static_cast<std::uint8_t>(a)});
  return *this;
}

encoder& encoder::cut(cut_mode mode, int feed_dots) {
  const bool full = mode == cut_mode::full;
  if (feed_dots > 0)
    put({GS, 'V', static_cast<std::uint8_t>(full ? 65 : 66), static_cast<std::uint8_t>(std::min(feed_dots, 255))});
  else
    put({GS, 'V', static_cast<std::uint8_t>(full ? 0 : 1)});
  return *this;
}

encoder& encoder::drawer_pulse(int pin, int on_ms, int off_ms) {
  const auto units = [](int ms) { return static_cast<std::uint8_t>(std::clamp((ms + 1) / 2, 0, 255)); };
  put({ESC, 'p', static_cast<std::uint8_t>(pin == 5 ? 1 : 0), units(on_ms), units(off_ms)});
  return *this;
}

std::error_code encoder::qr(std::string_view data, const qr_options& opt) {
  if (data.empty() || opt.module_size < 1 || opt.module_size > 16) return errc::invalid_argument;
  if (data.size() > k_qr_max_bytes) return errc::too_large;
  // Function 165: model 2.
  put({GS, '(', 'k', 4, 0, 49, 65, 50, 0});
  // Function 167: module size.
  put({GS, '(', 'k', 3, 0, 49, 67, static_cast<std::uint8_t>(opt.module_size)});
  // Function 169: error correction level.
  put({GS, '(', 'k', 3, 0, 49, 69, static_cast<std::uint8_t>(opt.ecc)});
  // Function 180: store data (length counts cn, fn, m).
  const std::size_t len = data.size() + 3;
  put({GS, '(', 'k', static_cast<std::uint8_t>(len & 0xFF), static_cast<std::uint8_t>(len >> 8), 49, 80, 48});
  out_.insert(out_.end(), data.begin(), data.end());
  // Function 181: print the stored symbol.
  put({GS, '(', 'k', 3, 0, 49, 81, 48});
  return {};
}

std::error_code encoder::qr_raster(std::string_view data, const qr_options& opt) {
  if (data.empty() || opt.module_size < 1 || opt.module_size > 16) return errc::invalid_argument;
  if (data.size() > k_qr_max_bytes) return errc::too_large;
  const auto modules = detail::qr_modules(data, opt.ecc);
  if (!modules) return errc::too_large;
  constexpr int k_quiet = 4;
  const int m = opt.module_size;
  mono_bitmap img((modules->width + 2 * k_quiet) * m, (modules->height + 2 * k_quiet) * m);
  for (int y = 0; y < img.height; ++y)
    for (int x = 0; x < img.width; ++x) img.set(x, y, modules->get(x / m - k_quiet, y / m - k_quiet));
  return raster(img);
}

void encoder::barcode_setup(const barcode_options& opt) {
  put({GS, 'H', static_cast<std::uint8_t>(opt.hri)});
  put({GS, 'f', 0});
  put({GS, 'h', static_cast<std::uint8_t>(std::clamp(opt.height, 1, 255))});
  put({GS, 'w', static_cast<std::uint8_t>(std::clamp(opt.module_width, 2, 6))});
}

std::error_code encoder::code128(std::string_view data, const barcode_options& opt) {
  if (data.empty()) return errc::invalid_argument;
  std::string payload = "{B";
  for (const char c : data) {
    if (c < 0x20 || c > 0x7E) return errc::invalid_argument;
    payload.push_back(c);
    if (c == '{') payload.push_back('{');  // a literal '{' is written "{{" in GS k 73 data
  }
  if (payload.size() > 255) return errc::too_large;
  barcode_setup(opt);
  put({GS, 'k', 73, static_cast<std::uint8_t>(payload.size())});
  out_.insert(out_.end(), payload.begin(), payload.end());
  return {};
}

int ean13_check_digit(std::string_view d) noexcept {
  if (d.size() != 12) return -1;
  int sum = 0;
  for (std::size_t i = 0; i < 12; ++i) {
    if (d[i] < '0' || d[i] > '9') return -1;
    sum += (d[i] - '0') * (i % 2 ? 3 : 1);
  }
  return (10 - sum % 10) % 10;
}

std::error_code encoder::ean13(std::string_view digits, const barcode_options& opt) {
  if (digits.size() != 12 && digits.size() != 13) return errc::invalid_argument;
  const int check = ean13_check_digit(digits.substr(0, 12));
  if (check < 0) return errc::invalid_argument;
  if (digits.size() == 13 && digits[12] - '0' != check) return errc::invalid_argument;
  barcode_setup(opt);
  put({GS, 'k', 67, 12});
  out_.insert(out_.end(), digits.begin(), digits.begin() + 12);
  return {};
}

std::error_code encoder::raster(const mono_bitmap& image) {
  if (image.width <= 0 || image.height <= 0 ||
      image.pixels.size() != static_cast<std::size_t>(image.width) * image.height)
    return errc::invalid_argument;
  const int bytes_per_row = (image.width + 7) / 8;
  if (bytes_per_row > 0xFFFF) return errc::too_large;
  // Many printers cap one GS v 0 at 4095 rows (and buffer limits bite earlier): send bands.
  constexpr int k_band = 1024;
  for (int y0 = 0; y0 < image.height; y0 += k_band) {
    const int rows = std::min(k_band, image.height - y0);
    put({GS, 'v', '0', 0, static_cast<std::uint8_t>(bytes_per_row & 0xFF), static_cast<std::uint8_t>(bytes_per_row >> 8),
         static_cast<std::uint8_t>(rows & 0xFF), static_cast<std::uint8_t>(rows >> 8)});
    for (int y = y0; y < y0 + rows; ++y)
      for (int bx = 0; bx < bytes_per_row; ++bx) {
        std::uint8_t b = 0;
        for (int bit = 0; bit < 8; ++bit)
          if (image.get(bx * 8 + bit, y)) b |= static_cast<std::uint8_t>(0x80 >> bit);
        out_.push_back(b);
      }
  }
  return {};
}

std::error_code encoder::image(const grey_view& img, dither_mode mode) {
  if (!img.valid()) return errc::invalid_argument;
  return raster(dither(img, mode));
}

encoder& encoder::raw(std::span<const std::uint8_t> bytes) {
  out_.insert(out_.end(), bytes.begin(), bytes.end());
  return *this;
}

std::vector<std::uint8_t> encoder::take() noexcept {
  std::vector<std::uint8_t> out;
  out.swap(out_);
  return out;
}

}  // namespace kh::hardware::printer::escpos
