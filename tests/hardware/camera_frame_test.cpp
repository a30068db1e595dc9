// luminance_view / luminance_image: the validated frame type every camera hands out.
#include <kh/hardware/frame.hpp>

#include <gtest/gtest.h>

#include <ZXing/ReadBarcode.h>

#include <array>

namespace kh::hardware {
namespace {

TEST(luminance_view, rejects_layouts_that_do_not_describe_memory) {
  std::array<std::uint8_t, 64> buf{};
  EXPECT_FALSE(luminance_view::make(nullptr, 8, 8));
  EXPECT_FALSE(luminance_view::make(buf.data(), 0, 8));
  EXPECT_FALSE(luminance_view::make(buf.data(), 8, -1));
  EXPECT_FALSE(luminance_view::make(buf.data(), 8, 8, 7));  // stride shorter than a row
  EXPECT_FALSE(luminance_view::make(buf.data(), luminance_view::k_max_dimension + 1, 1, luminance_view::k_max_dimension + 1));
  EXPECT_TRUE(luminance_view::make(buf.data(), 8, 8));
}

TEST(luminance_view, packed_stride_defaults_to_width_and_rows_follow_the_stride) {
  std::array<std::uint8_t, 24> buf{};
  for (std::size_t i = 0; i < buf.size(); ++i) buf[i] = static_cast<std::uint8_t>(i);
  const auto packed = luminance_view::make(buf.data(), 4, 3);
  ASSERT_TRUE(packed);
  EXPECT_EQ(packed->stride(), 4);
  const auto padded = luminance_view::make(buf.data(), 4, 3, 8);
  ASSERT_TRUE(padded);
  EXPECT_EQ(padded->at(1, 2), 17);
  EXPECT_EQ(padded->row(1), buf.data() + 8);
}

TEST(luminance_view, hands_the_same_pixels_to_zxing_without_copying) {
  std::array<std::uint8_t, 30> buf{};
  const auto view = luminance_view::make(buf.data(), 5, 3, 10);
  ASSERT_TRUE(view);
  const ZXing::ImageView zx = *view;
  EXPECT_EQ(zx.width(), 5);
  EXPECT_EQ(zx.height(), 3);
  EXPECT_EQ(zx.rowStride(), 10);
  EXPECT_EQ(zx.format(), ZXing::ImageFormat::Lum);
  EXPECT_EQ(zx.data(2, 1), buf.data() + 12);
}

TEST(luminance_image, copies_a_strided_view_into_a_packed_image) {
  std::array<std::uint8_t, 12> buf{1, 2, 3, 99, 4, 5, 6, 99, 7, 8, 9, 99};
  const auto view = luminance_view::make(buf.data(), 3, 3, 4);
  ASSERT_TRUE(view);
  const auto img = luminance_image::copy_of(*view);
  ASSERT_EQ(img.width(), 3);
  EXPECT_EQ(img.at(0, 1), 4);
  EXPECT_EQ(img.at(2, 2), 9);
  EXPECT_EQ(img.view()->stride(), 3);
}

TEST(luminance_image, refuses_impossible_sizes_by_staying_empty) {
  EXPECT_TRUE(luminance_image(0, 10).empty());
  EXPECT_TRUE(luminance_image(10, luminance_view::k_max_dimension + 1).empty());
  EXPECT_FALSE(luminance_image(0, 10).view());
}

}  // namespace
}  // namespace kh::hardware
