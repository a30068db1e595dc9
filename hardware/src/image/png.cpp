// PNG ⇄ luminance with libpng's simplified API (it handles every PNG colour type and bit depth).
#include <kh/hardware/camera/errc.hpp>
#include <kh/hardware/camera/image_file.hpp>

#include <png.h>

#include <cstring>

namespace kh::hardware {

luminance_image decode_png(std::span<const std::uint8_t> bytes, std::error_code& ec) {
  ec.clear();
  png_image image;
  std::memset(&image, 0, sizeof image);
  image.version = PNG_IMAGE_VERSION;
  if (bytes.empty() || png_image_begin_read_from_memory(&image, bytes.data(), bytes.size()) == 0) {
    ec = camera_errc::corrupt_frame;
    return {};
  }
  if (image.width == 0 || image.height == 0 || image.width > luminance_view::k_max_dimension ||
      image.height > luminance_view::k_max_dimension ||
      std::size_t{image.width} * std::size_t{image.height} > k_max_image_pixels) {
    png_image_free(&image);
    ec = camera_errc::too_large;
    return {};
  }
  image.format = PNG_FORMAT_GRAY;
  luminance_image out(static_cast<int>(image.width), static_cast<int>(image.height));
  // Transparent pixels are composited on white, as a code printed on a label would be seen.
  png_color white{255, 255, 255};
  if (png_image_finish_read(&image, &white, out.data(), static_cast<png_int_32>(out.width()), nullptr) == 0) {
    png_image_free(&image);
    ec = camera_errc::corrupt_frame;
    return {};
  }
  return out;
}

std::error_code write_png(const std::filesystem::path& path, const luminance_view& view) {
  png_image image;
  std::memset(&image, 0, sizeof image);
  image.version = PNG_IMAGE_VERSION;
  image.width = static_cast<png_uint_32>(view.width());
  image.height = static_cast<png_uint_32>(view.height());
  image.format = PNG_FORMAT_GRAY;
  if (png_image_write_to_file(&image, path.c_str(), 0, view.data(), view.stride(), nullptr) == 0) {
    std::error_code ignored;
    std::filesystem::remove(path, ignored);
    return camera_errc::io_error;
  }
  return {};
}

}  // namespace kh::hardware
