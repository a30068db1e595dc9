#pragma once
// Camera pixel formats and their conversion to luminance.
#include <kh/hardware/frame.hpp>

#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <system_error>

namespace kh::hardware {

/// The capture formats the V4L2 backend can turn into luminance.
enum class pixel_format {
  grey,   ///< V4L2_PIX_FMT_GREY: 8-bit luminance
  yuyv,   ///< V4L2_PIX_FMT_YUYV: packed 4:2:2, Y at even bytes
  uyvy,   ///< V4L2_PIX_FMT_UYVY: packed 4:2:2, Y at odd bytes
  mjpeg,  ///< V4L2_PIX_FMT_MJPEG / JPEG: one JPEG per frame
};

/// The V4L2 fourcc of a format.
std::uint32_t fourcc_of(pixel_format f) noexcept;
/// The format of a V4L2 fourcc, or nullopt when it is not one we convert.
std::optional<pixel_format> pixel_format_from_fourcc(std::uint32_t fourcc) noexcept;
/// Four-character name ("YUYV"); non-printable bytes become '?'.
std::string fourcc_name(std::uint32_t fourcc);

/// Converts one captured frame into `out` (resized as needed; reusing `out` avoids reallocations).
/// `bytes_per_line` 0 means packed. Returns camera_errc::corrupt_frame when `data` is shorter than
/// the layout needs or the JPEG does not decode, and camera_errc::unsupported_format when a decoded
/// JPEG's size differs from width × height.
std::error_code convert_to_luminance(pixel_format format, std::span<const std::uint8_t> data, int width,
                                     int height, int bytes_per_line, luminance_image& out);

}  // namespace kh::hardware
