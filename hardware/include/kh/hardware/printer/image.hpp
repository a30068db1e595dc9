#pragma once
// Images for the printer: 8-bit greyscale input views and 1-bit monochrome bitmaps.
#include <cstdint>
#include <vector>

namespace kh::hardware::printer {

/// Non-owning 8-bit greyscale view: 0 = black, 255 = white. `stride` in bytes (>= width).
struct grey_view {
  const std::uint8_t* data = nullptr;
  int width = 0;
  int height = 0;
  int stride = 0;
  /// True when the view is usable (data set, positive sizes, stride >= width).
  bool valid() const noexcept { return data && width > 0 && height > 0 && stride >= width; }
};

/// A monochrome bitmap, one byte per pixel: 1 = black (printed dot), 0 = white.
struct mono_bitmap {
  int width = 0;
  int height = 0;
  std::vector<std::uint8_t> pixels;  ///< row-major, width*height

  mono_bitmap() = default;
  mono_bitmap(int w, int h) : width(w), height(h), pixels(static_cast<std::size_t>(w) * h, 0) {}
  bool get(int x, int y) const noexcept {
    return x >= 0 && y >= 0 && x < width && y < height && pixels[static_cast<std::size_t>(y) * width + x];
  }
  void set(int x, int y, bool black = true) noexcept {
    if (x >= 0 && y >= 0 && x < width && y < height)
      pixels[static_cast<std::size_t>(y) * width + x] = black ? 1 : 0;
  }
  /// 8-bit greyscale copy (black 0, white 255) with a white border of `border` pixels on every
  /// side, ready for ZXing::ImageView(ImageFormat::Lum).
  std::vector<std::uint8_t> to_grey(int border = 0) const;
};

/// How greyscale becomes black/white dots.
enum class dither_mode {
  threshold,        ///< < 128 is black
  floyd_steinberg,  ///< error diffusion (photos, logos with gradients)
  ordered,          ///< 4x4 Bayer matrix (stable patterns, cheap)
};

/// Converts greyscale to a monochrome bitmap. An invalid view gives an empty bitmap.
mono_bitmap dither(const grey_view& img, dither_mode mode);

}  // namespace kh::hardware::printer
