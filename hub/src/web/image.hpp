#pragma once
// Uploaded images: content-checked by decoding (JPEG or PNG, whatever the file name says),
// refused before decoding when the header announces too many pixels, scaled and re-encoded as
// JPEG so no uploaded byte is ever served as it came.

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace kh::hub::web {

struct rgb_image {
  int width = 0;
  int height = 0;
  std::vector<std::uint8_t> rgb;  ///< width × height × 3
};

struct decode_result {
  bool ok = false;
  std::string error;  ///< for the user: "not a JPEG or PNG image", "image too large (… pixels)", …
  rgb_image image;
};

/// Decodes JPEG or PNG (recognised by their signatures). Images over `max_pixels` (or a side
/// over 16,384) are refused from the header, before any pixel is decoded.
decode_result decode_image(std::string_view bytes, std::int64_t max_pixels);
/// Box-filtered downscale so that neither side exceeds `max_side` (a smaller image is copied).
rgb_image fit_within(const rgb_image& in, int max_side);
/// Baseline JPEG, quality 1…100.
std::string encode_jpeg(const rgb_image& img, int quality);
/// 8-bit grey PNG of `grey` (width × height bytes).
std::string encode_grey_png(const std::vector<std::uint8_t>& grey, int width, int height);

}  // namespace kh::hub::web
