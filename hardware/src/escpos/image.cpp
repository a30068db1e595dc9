// Greyscale → monochrome conversion for raster printing.
#include <algorithm>
#include <array>

#include "kh/hardware/printer/image.hpp"

namespace kh::hardware::printer {

std::vector<std::uint8_t> mono_bitmap::to_grey(int border) const {
  border = std::max(border, 0);
  const int w = width + 2 * border, h = height + 2 * border;
  std::vector<std::uint8_t> out(static_cast<std::size_t>(w) * h, 255);
  for (int y = 0; y < height; ++y)
    for (int x = 0; x < width; ++x)
      if (pixels[static_cast<std::size_t>(y) * width + x])
        out[static_cast<std::size_t>(y + border) * w + x + border] = 0;
  return out;
}

mono_bitmap dither(const grey_view& img, dither_mode mode) {
  if (!img.valid()) return {};
  mono_bitmap out(img.width, img.height);
  const auto at = [&](int x, int y) { return img.data[static_cast<std::size_t>(y) * img.stride + x]; };
  switch (mode) {
    case dither_mode::threshold:
      for (int y = 0; y < img.height; ++y)
        for (int x = 0; x < img.width; ++x) out.set(x, y, at(x, y) < 128);
      break;
    case dither_mode::ordered: {
      // 4x4 Bayer matrix, thresholds spread over 0..255.
      static constexpr std::array<int, 16> k_bayer = {0, 8, 2, 10, 12, 4, 14, 6, 3, 11, 1, 9, 15, 7, 13, 5};
      for (int y = 0; y < img.height; ++y)
        for (int x = 0; x < img.width; ++x) {
          const int t = (k_bayer[(y & 3) * 4 + (x & 3)] * 16) + 8;
          out.set(x, y, at(x, y) < t);
        }
      break;
    }
    case dither_mode::floyd_steinberg: {
      // Two rows of error (current, next), in 1/16 units, so memory is O(width).
      std::vector<int> cur(img.width + 2, 0), next(img.width + 2, 0);
      for (int y = 0; y < img.height; ++y) {
        std::fill(next.begin(), next.end(), 0);
        for (int x = 0; x < img.width; ++x) {
          const int v = std::clamp(at(x, y) + cur[x + 1] / 16, 0, 255);
          const bool black = v < 128;
          out.set(x, y, black);
          const int err = v - (black ? 0 : 255);
          cur[x + 2] += err * 7;
          next[x] += err * 3;
          next[x + 1] += err * 5;
          next[x + 2] += err * 1;
        }
        std::swap(cur, next);
      }
      break;
    }
  }
  return out;
}

}  // namespace kh::hardware::printer
