// Camera pixel formats → luminance. YUYV/UYVY carry Y directly, so luminance is a strided copy.
#include <kh/hardware/camera/errc.hpp>
#include <kh/hardware/camera/image_file.hpp>
#include <kh/hardware/camera/pixel_format.hpp>

#include <linux/videodev2.h>

namespace kh::hardware {

std::uint32_t fourcc_of(pixel_format f) noexcept {
  switch (f) {
    case pixel_format::grey: return V4L2_PIX_FMT_GREY;
    case pixel_format::yuyv: return V4L2_PIX_FMT_YUYV;
    case pixel_format::uyvy: return V4L2_PIX_FMT_UYVY;
    case pixel_format::mjpeg: return V4L2_PIX_FMT_MJPEG;
  }
  return 0;
}

std::optional<pixel_format> pixel_format_from_fourcc(std::uint32_t fourcc) noexcept {
  switch (fourcc) {
    case V4L2_PIX_FMT_GREY: return pixel_format::grey;
    case V4L2_PIX_FMT_YUYV: return pixel_format::yuyv;
    case V4L2_PIX_FMT_UYVY: return pixel_format::uyvy;
    case V4L2_PIX_FMT_MJPEG:
    case V4L2_PIX_FMT_JPEG: return pixel_format::mjpeg;
    default: return std::nullopt;
  }
}

std::string fourcc_name(std::uint32_t fourcc) {
  std::string s(4, '?');
  for (int i = 0; i < 4; ++i) {
    const auto c = static_cast<char>((fourcc >> (8 * i)) & 0xFF);
    if (c >= 0x20 && c < 0x7F) s[static_cast<std::size_t>(i)] = c;
  }
  return s;
}

std::error_code convert_to_luminance(pixel_format format, std::span<const std::uint8_t> data, int width, int height,
                                     int bytes_per_line, luminance_image& out) {
  if (width < 1 || height < 1 || width > luminance_view::k_max_dimension || height > luminance_view::k_max_dimension)
    return camera_errc::unsupported_format;
  if (format == pixel_format::mjpeg) {
    std::error_code ec;
    luminance_image decoded = decode_jpeg(data, ec);
    if (ec) return ec;
    if (decoded.width() != width || decoded.height() != height) return camera_errc::unsupported_format;
    out = std::move(decoded);
    return {};
  }
  const int bytes_per_pixel = format == pixel_format::grey ? 1 : 2;
  const std::size_t line = bytes_per_line > 0 ? static_cast<std::size_t>(bytes_per_line)
                                              : static_cast<std::size_t>(width) * static_cast<std::size_t>(bytes_per_pixel);
  if (line < static_cast<std::size_t>(width) * static_cast<std::size_t>(bytes_per_pixel) ||
      data.size() < line * static_cast<std::size_t>(height - 1) +
                        static_cast<std::size_t>(width) * static_cast<std::size_t>(bytes_per_pixel))
    return camera_errc::corrupt_frame;
  if (out.width() != width || out.height() != height) out = luminance_image(width, height);
  const std::size_t offset = format == pixel_format::uyvy ? 1 : 0;
  for (int y = 0; y < height; ++y) {
    const std::uint8_t* in = data.data() + line * static_cast<std::size_t>(y);
    std::uint8_t* o = out.row(y);
    if (format == pixel_format::grey) {
      std::copy(in, in + width, o);
    } else {
      for (int x = 0; x < width; ++x) o[x] = in[2 * static_cast<std::size_t>(x) + offset];
    }
  }
  return {};
}

}  // namespace kh::hardware
