#include "web/image.hpp"

#include <csetjmp>
#include <cstdio>
#include <cstring>
// jpeglib.h needs size_t and FILE declared first.
#include <jpeglib.h>
#include <png.h>

namespace kh::hub::web {

namespace {

constexpr int k_max_side = 16384;

struct jpeg_error_jump {
  jpeg_error_mgr mgr;
  std::jmp_buf jump;
  char message[JMSG_LENGTH_MAX];
};

void jpeg_error_exit(j_common_ptr cinfo) {
  auto* e = reinterpret_cast<jpeg_error_jump*>(cinfo->err);
  (*cinfo->err->format_message)(cinfo, e->message);
  std::longjmp(e->jump, 1);
}
void jpeg_quiet(j_common_ptr, int) {}

// Kept free of C++ objects with destructors between setjmp and longjmp.
int decode_jpeg(const unsigned char* data, unsigned long size, std::int64_t max_pixels, rgb_image* out,
                char* why, std::size_t why_size) {
  jpeg_decompress_struct cinfo;
  jpeg_error_jump err;
  cinfo.err = jpeg_std_error(&err.mgr);
  err.mgr.error_exit = jpeg_error_exit;
  err.mgr.emit_message = jpeg_quiet;
  if (setjmp(err.jump)) {
    std::snprintf(why, why_size, "corrupt JPEG: %s", err.message);
    jpeg_destroy_decompress(&cinfo);
    return 1;
  }
  jpeg_create_decompress(&cinfo);
  jpeg_mem_src(&cinfo, data, size);
  jpeg_read_header(&cinfo, TRUE);
  const std::int64_t px = static_cast<std::int64_t>(cinfo.image_width) * cinfo.image_height;
  if (cinfo.image_width > k_max_side || cinfo.image_height > k_max_side || px > max_pixels) {
    std::snprintf(why, why_size, "image too large (%ux%u pixels)", cinfo.image_width, cinfo.image_height);
    jpeg_destroy_decompress(&cinfo);
    return 2;
  }
  cinfo.out_color_space = JCS_RGB;
  jpeg_start_decompress(&cinfo);
  out->width = static_cast<int>(cinfo.output_width);
  out->height = static_cast<int>(cinfo.output_height);
  out->rgb.resize(static_cast<std::size_t>(out->width) * out->height * 3);
  while (cinfo.output_scanline < cinfo.output_height) {
    JSAMPROW row = out->rgb.data() + static_cast<std::size_t>(cinfo.output_scanline) * out->width * 3;
    jpeg_read_scanlines(&cinfo, &row, 1);
  }
  jpeg_finish_decompress(&cinfo);
  jpeg_destroy_decompress(&cinfo);
  return 0;
}

}  // namespace

decode_result decode_image(std::string_view bytes, std::int64_t max_pixels) {
  decode_result r;
  const auto* data = reinterpret_cast<const unsigned char*>(bytes.data());
  if (bytes.size() >= 3 && data[0] == 0xFF && data[1] == 0xD8 && data[2] == 0xFF) {
    char why[256] = {};
    const int rc = decode_jpeg(data, static_cast<unsigned long>(bytes.size()), max_pixels, &r.image, why, sizeof why);
    if (rc != 0) {
      r.error = why;
      r.image = {};
      return r;
    }
    r.ok = true;
    return r;
  }
  if (bytes.size() >= 8 && png_sig_cmp(data, 0, 8) == 0) {
    png_image img;
    std::memset(&img, 0, sizeof img);
    img.version = PNG_IMAGE_VERSION;
    if (!png_image_begin_read_from_memory(&img, bytes.data(), bytes.size())) {
      r.error = std::string("corrupt PNG: ") + img.message;
      return r;
    }
    const std::int64_t px = static_cast<std::int64_t>(img.width) * img.height;
    if (img.width > k_max_side || img.height > k_max_side || px > max_pixels) {
      r.error = "image too large (" + std::to_string(img.width) + "x" + std::to_string(img.height) + " pixels)";
      png_image_free(&img);
      return r;
    }
    img.format = PNG_FORMAT_RGB;
    r.image.width = static_cast<int>(img.width);
    r.image.height = static_cast<int>(img.height);
    r.image.rgb.resize(PNG_IMAGE_SIZE(img));
    // Transparent pixels are composed over white.
    png_color white{255, 255, 255};
    if (!png_image_finish_read(&img, &white, r.image.rgb.data(), 0, nullptr)) {
      r.error = std::string("corrupt PNG: ") + img.message;
      png_image_free(&img);
      r.image = {};
      return r;
    }
    r.ok = true;
    return r;
  }
  r.error = "not a JPEG or PNG image";
  return r;
}

rgb_image fit_within(const rgb_image& in, int max_side) {
  if (in.width <= max_side && in.height <= max_side) return in;
  const double scale = static_cast<double>(max_side) / std::max(in.width, in.height);
  rgb_image out;
  out.width = std::max(1, static_cast<int>(in.width * scale + 0.5));
  out.height = std::max(1, static_cast<int>(in.height * scale + 0.5));
  out.rgb.resize(static_cast<std::size_t>(out.width) * out.height * 3);
  for (int y = 0; y < out.height; ++y) {
    const int y0 = static_cast<int>(static_cast<std::int64_t>(y) * in.height / out.height);
    const int y1 = std::max(y0 + 1, static_cast<int>(static_cast<std::int64_t>(y + 1) * in.height / out.height));
    for (int x = 0; x < out.width; ++x) {
      const int x0 = static_cast<int>(static_cast<std::int64_t>(x) * in.width / out.width);
      const int x1 = std::max(x0 + 1, static_cast<int>(static_cast<std::int64_t>(x + 1) * in.width / out.width));
      std::uint64_t sum[3] = {0, 0, 0};
      for (int yy = y0; yy < y1; ++yy) {
        const auto* row = in.rgb.data() + (static_cast<std::size_t>(yy) * in.width + x0) * 3;
        for (int xx = x0; xx < x1; ++xx, row += 3) {
          sum[0] += row[0];
          sum[1] += row[1];
          sum[2] += row[2];
        }
      }
      const auto n = static_cast<std::uint64_t>(y1 - y0) * static_cast<std::uint64_t>(x1 - x0);
      auto* o = out.rgb.data() + (static_cast<std::size_t>(y) * out.width + x) * 3;
      for (int c = 0; c < 3; ++c) o[c] = static_cast<std::uint8_t>((sum[c] + n / 2) / n);
    }
  }
  return out;
}

std::string encode_jpeg(const rgb_image& img, int quality) {
  jpeg_compress_struct cinfo;
  jpeg_error_mgr jerr;
  cinfo.err = jpeg_std_error(&jerr);
  jpeg_create_compress(&cinfo);
  unsigned char* buf = nullptr;
  unsigned long size = 0;
  jpeg_mem_dest(&cinfo, &buf, &size);
  cinfo.image_width = static_cast<JDIMENSION>(img.width);
  cinfo.image_height = static_cast<JDIMENSION>(img.height);
  cinfo.input_components = 3;
  cinfo.in_color_space = JCS_RGB;
  jpeg_set_defaults(&cinfo);
  jpeg_set_quality(&cinfo, quality, TRUE);
  jpeg_start_compress(&cinfo, TRUE);
  while (cinfo.next_scanline < cinfo.image_height) {
    JSAMPROW row = const_cast<std::uint8_t*>(img.rgb.data()) + static_cast<std::size_t>(cinfo.next_scanline) * img.width * 3;
    jpeg_write_scanlines(&cinfo, &row, 1);
  }
  jpeg_finish_compress(&cinfo);
  std::string out(reinterpret_cast<const char*>(buf), size);
  jpeg_destroy_compress(&cinfo);
  std::free(buf);
  return out;
}

std::string encode_grey_png(const std::vector<std::uint8_t>& grey, int width, int height) {
  png_image img;
  std::memset(&img, 0, sizeof img);
  img.version = PNG_IMAGE_VERSION;
  img.width = static_cast<png_uint_32>(width);
  img.height = static_cast<png_uint_32>(height);
  img.format = PNG_FORMAT_GRAY;
  png_alloc_size_t size = 0;
  if (!png_image_write_to_memory(&img, nullptr, &size, 0, grey.data(), 0, nullptr)) return {};
  std::string out(size, '\0');
  if (!png_image_write_to_memory(&img, out.data(), &size, 0, grey.data(), 0, nullptr)) return {};
  out.resize(size);
  return out;
}

}  // namespace kh::hub::web
