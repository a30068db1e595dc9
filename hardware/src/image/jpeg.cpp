// JPEG → luminance with libjpeg(-turbo). libjpeg reports errors by longjmp, so the two functions that
// call into it hold only plain C locals (nothing whose destructor a longjmp could skip).
#include <kh/hardware/camera/errc.hpp>
#include <kh/hardware/camera/image_file.hpp>

#include <csetjmp>
#include <cstdio>

#include <jpeglib.h>

namespace kh::hardware {
namespace {

struct jpeg_failure {
  jpeg_error_mgr manager;  // first, so a j_common_ptr->err can be cast back
  std::jmp_buf jump;
};

extern "C" void on_jpeg_error(j_common_ptr info) {
  std::longjmp(reinterpret_cast<jpeg_failure*>(info->err)->jump, 1);
}
// Corrupt-data warnings would go to stderr; the caller gets an error code instead where it matters.
extern "C" void on_jpeg_message(j_common_ptr, int) {}

bool read_header(jpeg_decompress_struct* info, const std::uint8_t* data, std::size_t size, int* width,
                 int* height) {
  auto* failure = reinterpret_cast<jpeg_failure*>(info->err);
  if (setjmp(failure->jump) != 0) return false;
  jpeg_mem_src(info, data, static_cast<unsigned long>(size));
  if (jpeg_read_header(info, TRUE) != JPEG_HEADER_OK) return false;
  // Only the Y channel is needed: libjpeg then skips colour conversion (and chroma upsampling).
  info->out_color_space = JCS_GRAYSCALE;
  info->dct_method = JDCT_ISLOW;
  jpeg_start_decompress(info);
  *width = static_cast<int>(info->output_width);
  *height = static_cast<int>(info->output_height);
  return info->output_components == 1;
}

bool read_rows(jpeg_decompress_struct* info, std::uint8_t* pixels, int stride) {
  auto* failure = reinterpret_cast<jpeg_failure*>(info->err);
  if (setjmp(failure->jump) != 0) return false;
  while (info->output_scanline < info->output_height) {
    JSAMPROW row = pixels + static_cast<std::size_t>(info->output_scanline) * static_cast<std::size_t>(stride);
    if (jpeg_read_scanlines(info, &row, 1) != 1) return false;
  }
  jpeg_finish_decompress(info);
  return true;
}

}  // namespace

luminance_image decode_jpeg(std::span<const std::uint8_t> bytes, std::error_code& ec) {
  ec.clear();
  if (bytes.size() < 4 || bytes[0] != 0xFF || bytes[1] != 0xD8) {
    ec = camera_errc::corrupt_frame;
    return {};
  }
  jpeg_decompress_struct info{};
  jpeg_failure failure{};
  info.err = jpeg_std_error(&failure.manager);
  failure.manager.error_exit = on_jpeg_error;
  failure.manager.emit_message = on_jpeg_message;
  jpeg_create_decompress(&info);
  int width = 0, height = 0;
  luminance_image out;
  if (!read_header(&info, bytes.data(), bytes.size(), &width, &height)) {
    ec = camera_errc::corrupt_frame;
  } else if (width < 1 || height < 1 || width > luminance_view::k_max_dimension ||
             height > luminance_view::k_max_dimension ||
             static_cast<std::size_t>(width) * static_cast<std::size_t>(height) > k_max_image_pixels) {
    ec = camera_errc::too_large;
  } else {
    out = luminance_image(width, height);
    if (!read_rows(&info, out.data(), width)) {
      ec = camera_errc::corrupt_frame;
      out = {};
    }
  }
  jpeg_destroy_decompress(&info);
  return out;
}

}  // namespace kh::hardware
