// Monochrome PNG output through libpng (1-bit greyscale: small files for long receipts).
#include <png.h>

#include <cerrno>
#include <cstdio>

#include "kh/hardware/printer/errc.hpp"
#include "kh/hardware/printer/render.hpp"

namespace kh::hardware::printer {
namespace {

void append(png_structp png, png_bytep data, png_size_t len) {
  auto* out = static_cast<std::vector<std::uint8_t>*>(png_get_io_ptr(png));
  out->insert(out->end(), data, data + len);
}
void flush(png_structp) {}

// libpng reports errors with longjmp; keep this function free of objects with destructors
// between setjmp and the calls that may jump.
bool encode(const mono_bitmap& img, std::vector<std::uint8_t>& out, std::vector<png_byte>& row) {
  png_structp png = png_create_write_struct(PNG_LIBPNG_VER_STRING, nullptr, nullptr, nullptr);
  if (!png) return false;
  png_infop info = png_create_info_struct(png);
  if (!info) {
    png_destroy_write_struct(&png, nullptr);
    return false;
  }
  if (setjmp(png_jmpbuf(png))) {
    png_destroy_write_struct(&png, &info);
    return false;
  }
  png_set_write_fn(png, &out, append, flush);
  png_set_IHDR(png, info, static_cast<png_uint_32>(img.width), static_cast<png_uint_32>(img.height), 1,
               PNG_COLOR_TYPE_GRAY, PNG_INTERLACE_NONE, PNG_COMPRESSION_TYPE_DEFAULT, PNG_FILTER_TYPE_DEFAULT);
  png_write_info(png, info);
  for (int y = 0; y < img.height; ++y) {
    // In 1-bit greyscale, 1 is white: set bits for paper, clear for dots.
    std::fill(row.begin(), row.end(), png_byte{0});
    for (int x = 0; x < img.width; ++x)
      if (!img.pixels[static_cast<std::size_t>(y) * img.width + x]) row[x / 8] |= static_cast<png_byte>(0x80 >> (x % 8));
    png_write_row(png, row.data());
  }
  png_write_end(png, info);
  png_destroy_write_struct(&png, &info);
  return true;
}

}  // namespace

std::vector<std::uint8_t> encode_png(const mono_bitmap& image) {
  if (image.width <= 0 || image.height <= 0 ||
      image.pixels.size() != static_cast<std::size_t>(image.width) * image.height)
    return {};
  std::vector<std::uint8_t> out;
  std::vector<png_byte> row(static_cast<std::size_t>(image.width + 7) / 8);
  if (!encode(image, out, row)) return {};
  return out;
}

std::error_code write_png(const mono_bitmap& image, const std::string& path) {
  const auto data = encode_png(image);
  if (data.empty()) return errc::invalid_argument;
  std::FILE* f = std::fopen(path.c_str(), "wb");
  if (!f) return {errno, std::generic_category()};
  const bool ok = std::fwrite(data.data(), 1, data.size(), f) == data.size();
  const int write_errno = errno;
  if (std::fclose(f) != 0 || !ok) return {ok ? errno : write_errno, std::generic_category()};
  return {};
}

}  // namespace kh::hardware::printer
