#pragma once
// Image files to and from luminance: PNG (libpng) and JPEG (libjpeg) in, PNG out.
#include <kh/hardware/frame.hpp>

#include <cstdint>
#include <filesystem>
#include <span>
#include <system_error>

namespace kh::hardware {

/// Largest image accepted by the decoders, in pixels (default cap: 64 megapixels), so a hostile
/// header cannot make us allocate gigabytes.
inline constexpr std::size_t k_max_image_pixels = std::size_t{64} << 20;

/// Decodes a PNG (any bit depth, palette, alpha, colour) to 8-bit luminance (BT.601 weights, alpha
/// composited on white). On failure returns an empty image and sets `ec`
/// (camera_errc::corrupt_frame, camera_errc::too_large).
luminance_image decode_png(std::span<const std::uint8_t> bytes, std::error_code& ec);

/// Decodes a baseline or progressive JPEG to 8-bit luminance (the decoder outputs the Y channel only,
/// which is cheaper than RGB). Also decodes MJPEG camera frames, including those that omit the
/// Huffman tables. Errors as decode_png.
luminance_image decode_jpeg(std::span<const std::uint8_t> bytes, std::error_code& ec);

/// Reads a PNG or JPEG file (told apart by content, not by name). camera_errc::no_device when the
/// file does not exist, camera_errc::unsupported_format for another file type, else as above.
luminance_image load_image_file(const std::filesystem::path& path, std::error_code& ec);

/// Writes a view as an 8-bit greyscale PNG. Returns camera_errc::io_error when the file cannot be
/// written (nothing is left behind on failure).
std::error_code write_png(const std::filesystem::path& path, const luminance_view& image);

}  // namespace kh::hardware
