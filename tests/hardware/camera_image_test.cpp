// Image files and camera pixel formats → luminance.
#include <kh/hardware/camera/errc.hpp>
#include <kh/hardware/camera/image_file.hpp>
#include <kh/hardware/camera/pixel_format.hpp>

#include <gtest/gtest.h>

#include <cstdio>
#include <filesystem>
#include <fstream>
#include <vector>

#include <jpeglib.h>
#include <unistd.h>
#include <linux/videodev2.h>

namespace kh::hardware {
namespace {

namespace fs = std::filesystem;

struct temp_dir {
  fs::path path = fs::temp_directory_path() / ("kh-camera-image-" + std::to_string(::getpid()) + "-" +
                                               ::testing::UnitTest::GetInstance()->current_test_info()->name());
  temp_dir() { fs::create_directories(path); }
  ~temp_dir() {
    std::error_code ec;
    fs::remove_all(path, ec);
  }
};

luminance_image gradient(int w, int h) {
  luminance_image img(w, h);
  for (int y = 0; y < h; ++y)
    for (int x = 0; x < w; ++x) img.at(x, y) = static_cast<std::uint8_t>((x * 7 + y * 3) & 0xFF);
  return img;
}

// A baseline greyscale or colour JPEG made with libjpeg (the test's own encoder).
std::vector<std::uint8_t> encode_jpeg(const luminance_image& img, bool colour) {
  jpeg_compress_struct info{};
  jpeg_error_mgr err{};
  info.err = jpeg_std_error(&err);
  jpeg_create_compress(&info);
  unsigned char* buffer = nullptr;
  unsigned long size = 0;
  jpeg_mem_dest(&info, &buffer, &size);
  info.image_width = static_cast<JDIMENSION>(img.width());
  info.image_height = static_cast<JDIMENSION>(img.height());
  info.input_components = colour ? 3 : 1;
  info.in_color_space = colour ? JCS_RGB : JCS_GRAYSCALE;
  jpeg_set_defaults(&info);
  jpeg_set_quality(&info, 95, TRUE);
  jpeg_start_compress(&info, TRUE);
  std::vector<std::uint8_t> row(static_cast<std::size_t>(img.width()) * (colour ? 3 : 1));
  while (info.next_scanline < info.image_height) {
    const int y = static_cast<int>(info.next_scanline);
    for (int x = 0; x < img.width(); ++x)
      for (int c = 0; c < (colour ? 3 : 1); ++c) row[static_cast<std::size_t>(x * (colour ? 3 : 1) + c)] = img.at(x, y);
    JSAMPROW p = row.data();
    jpeg_write_scanlines(&info, &p, 1);
  }
  jpeg_finish_compress(&info);
  std::vector<std::uint8_t> out(buffer, buffer + size);
  std::free(buffer);
  jpeg_destroy_compress(&info);
  return out;
}

int max_difference(const luminance_image& a, const luminance_image& b) {
  int d = 0;
  for (int y = 0; y < a.height(); ++y)
    for (int x = 0; x < a.width(); ++x) d = std::max(d, std::abs(a.at(x, y) - b.at(x, y)));
  return d;
}

TEST(camera_image, png_round_trip_keeps_every_pixel) {
  temp_dir dir;
  const auto img = gradient(37, 23);
  ASSERT_FALSE(write_png(dir.path / "g.png", *img.view()));
  std::error_code ec;
  const auto back = load_image_file(dir.path / "g.png", ec);
  ASSERT_FALSE(ec) << ec.message();
  ASSERT_EQ(back.width(), 37);
  ASSERT_EQ(back.height(), 23);
  EXPECT_EQ(max_difference(img, back), 0);
}

TEST(camera_image, jpeg_grey_and_colour_decode_to_the_same_luminance) {
  const auto img = gradient(64, 48);
  for (bool colour : {false, true}) {
    std::error_code ec;
    const auto back = decode_jpeg(encode_jpeg(img, colour), ec);
    ASSERT_FALSE(ec) << ec.message();
    ASSERT_EQ(back.width(), 64);
    EXPECT_LE(max_difference(img, back), 12) << "colour=" << colour;  // lossy, but close
  }
}

TEST(camera_image, mjpeg_frame_without_huffman_tables_still_decodes) {
  // Many UVC cameras drop the DHT segment from MJPEG frames; the standard tables apply.
  auto bytes = encode_jpeg(gradient(32, 32), false);
  for (std::size_t i = 2; i + 4 < bytes.size();) {
    ASSERT_EQ(bytes[i], 0xFF);
    const std::uint8_t marker = bytes[i + 1];
    const std::size_t len = static_cast<std::size_t>(bytes[i + 2] << 8 | bytes[i + 3]);
    if (marker == 0xDA) break;  // start of scan: headers are over
    if (marker == 0xC4)
      bytes.erase(bytes.begin() + static_cast<std::ptrdiff_t>(i), bytes.begin() + static_cast<std::ptrdiff_t>(i + 2 + len));
    else
      i += 2 + len;
  }
  luminance_image out;
  EXPECT_FALSE(convert_to_luminance(pixel_format::mjpeg, bytes, 32, 32, 0, out));
  EXPECT_EQ(out.width(), 32);
}

TEST(camera_image, garbage_truncated_and_foreign_files_give_clear_errors) {
  temp_dir dir;
  std::error_code ec;
  EXPECT_TRUE(load_image_file(dir.path / "missing.png", ec).empty());
  EXPECT_EQ(ec, camera_errc::no_device);

  std::ofstream(dir.path / "notes.txt") << "not an image";
  EXPECT_TRUE(load_image_file(dir.path / "notes.txt", ec).empty());
  EXPECT_EQ(ec, camera_errc::unsupported_format);

  EXPECT_TRUE(load_image_file(dir.path, ec).empty());  // a folder
  EXPECT_EQ(ec, camera_errc::unsupported_format);

  auto jpeg = encode_jpeg(gradient(40, 40), false);
  jpeg.resize(jpeg.size() / 3);
  EXPECT_TRUE(decode_jpeg(jpeg, ec).empty());
  EXPECT_EQ(ec, camera_errc::corrupt_frame);

  ASSERT_FALSE(write_png(dir.path / "g.png", *gradient(20, 20).view()));
  std::ifstream in(dir.path / "g.png", std::ios::binary);
  std::vector<std::uint8_t> png((std::istreambuf_iterator<char>(in)), {});
  png.resize(40);
  EXPECT_TRUE(decode_png(png, ec).empty());
  EXPECT_EQ(ec, camera_errc::corrupt_frame);
  EXPECT_TRUE(decode_png({}, ec).empty());
  EXPECT_EQ(ec, camera_errc::corrupt_frame);
}

TEST(camera_image, writing_to_an_impossible_path_fails_cleanly) {
  EXPECT_EQ(write_png("/nonexistent-dir/x/y.png", *gradient(4, 4).view()), camera_errc::io_error);
  EXPECT_FALSE(fs::exists("/nonexistent-dir/x/y.png"));
}

TEST(camera_pixel_format, yuyv_and_uyvy_keep_the_luma_bytes_and_honour_the_line_pitch) {
  // 2×2 pixels, 8 bytes per line of which 4 are padding.
  const std::vector<std::uint8_t> yuyv{10, 128, 20, 128, 0, 0, 0, 0, 30, 128, 40, 128};
  luminance_image out;
  ASSERT_FALSE(convert_to_luminance(pixel_format::yuyv, yuyv, 2, 2, 8, out));
  EXPECT_EQ(out.at(0, 0), 10);
  EXPECT_EQ(out.at(1, 0), 20);
  EXPECT_EQ(out.at(0, 1), 30);
  EXPECT_EQ(out.at(1, 1), 40);
  const std::vector<std::uint8_t> uyvy{128, 11, 128, 22, 128, 33, 128, 44};
  ASSERT_FALSE(convert_to_luminance(pixel_format::uyvy, uyvy, 2, 2, 0, out));
  EXPECT_EQ(out.at(1, 0), 22);
  EXPECT_EQ(out.at(0, 1), 33);
}

TEST(camera_pixel_format, short_buffers_are_corrupt_frames_not_overreads) {
  luminance_image out(2, 2, 7);
  const std::vector<std::uint8_t> tiny{1, 2, 3};
  EXPECT_EQ(convert_to_luminance(pixel_format::grey, tiny, 2, 2, 0, out), camera_errc::corrupt_frame);
  EXPECT_EQ(convert_to_luminance(pixel_format::yuyv, tiny, 2, 2, 0, out), camera_errc::corrupt_frame);
  EXPECT_EQ(convert_to_luminance(pixel_format::mjpeg, tiny, 2, 2, 0, out), camera_errc::corrupt_frame);
  EXPECT_EQ(convert_to_luminance(pixel_format::grey, tiny, 0, 2, 0, out), camera_errc::unsupported_format);
  EXPECT_EQ(out.at(0, 0), 7);  // untouched
}

TEST(camera_pixel_format, fourccs_map_both_ways) {
  for (auto f : {pixel_format::grey, pixel_format::yuyv, pixel_format::uyvy, pixel_format::mjpeg})
    EXPECT_EQ(pixel_format_from_fourcc(fourcc_of(f)), f);
  EXPECT_EQ(pixel_format_from_fourcc(V4L2_PIX_FMT_JPEG), pixel_format::mjpeg);
  EXPECT_FALSE(pixel_format_from_fourcc(V4L2_PIX_FMT_RGB24));
  EXPECT_EQ(fourcc_name(V4L2_PIX_FMT_YUYV), "YUYV");
}

TEST(camera_errc, codes_compare_and_explain_themselves) {
  const std::error_code ec = camera_errc::disconnected;
  EXPECT_EQ(ec, camera_errc::disconnected);
  EXPECT_STREQ(ec.category().name(), "kh.camera");
  EXPECT_EQ(ec.message(), "device disconnected");
}

}  // namespace
}  // namespace kh::hardware
