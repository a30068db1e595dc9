#pragma once
// 8-bit luminance frames: the one image type the camera backends hand out and the scanner reads.
#include <ZXing/ImageView.h>

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <optional>
#include <vector>

namespace kh::hardware {

/// A validated, non-owning view of an 8-bit luminance (greyscale) image: row `y` starts at
/// `data() + y * stride()` and holds `width()` bytes. A view can only be made through `make`, so a
/// view that exists always describes addressable memory of the stated layout (as long as the owner
/// keeps the buffer alive; the view never owns it).
class luminance_view {
 public:
  /// Largest accepted width or height in pixels (16384): bigger is a caller bug or hostile input.
  static constexpr int k_max_dimension = 16384;

  /// Checks the layout and returns a view, or nullopt when `data` is null, width or height is not in
  /// [1, k_max_dimension], or `stride` is smaller than `width`. `stride` 0 means `width` (packed).
  [[nodiscard]] static std::optional<luminance_view> make(const std::uint8_t* data, int width, int height,
                                                          int stride = 0) noexcept {
    if (stride == 0) stride = width;
    if (data == nullptr || width < 1 || height < 1 || width > k_max_dimension || height > k_max_dimension ||
        stride < width || stride > 4 * k_max_dimension)
      return std::nullopt;
    return luminance_view{data, width, height, stride};
  }

  [[nodiscard]] const std::uint8_t* data() const noexcept { return data_; }
  [[nodiscard]] int width() const noexcept { return width_; }
  [[nodiscard]] int height() const noexcept { return height_; }
  /// Bytes from the start of one row to the start of the next (>= width).
  [[nodiscard]] int stride() const noexcept { return stride_; }
  [[nodiscard]] const std::uint8_t* row(int y) const noexcept {
    return data_ + static_cast<std::ptrdiff_t>(y) * stride_;
  }
  /// Pixel at (x, y); no bounds check (callers iterate within width()/height()).
  [[nodiscard]] std::uint8_t at(int x, int y) const noexcept { return row(y)[x]; }

  /// The same pixels as a ZXing image, without copying.
  [[nodiscard]] ZXing::ImageView to_zxing() const noexcept {
    return ZXing::ImageView{data_, width_, height_, ZXing::ImageFormat::Lum, stride_};
  }
  /// Implicit so a view can be passed straight to ZXing::ReadBarcodes.
  operator ZXing::ImageView() const noexcept { return to_zxing(); }  // NOLINT(google-explicit-constructor)

 private:
  luminance_view(const std::uint8_t* data, int width, int height, int stride) noexcept
      : data_(data), width_(width), height_(height), stride_(stride) {}

  const std::uint8_t* data_;
  int width_;
  int height_;
  int stride_;
};

/// An owned, packed luminance image (stride == width). Used where a frame must outlive its source:
/// decoded image files, the scanner's mailbox, test corpora.
class luminance_image {
 public:
  luminance_image() = default;
  /// A width × height image filled with `fill`. Sizes outside [1, k_max_dimension] give an empty image.
  luminance_image(int width, int height, std::uint8_t fill = 0) {
    if (width < 1 || height < 1 || width > luminance_view::k_max_dimension ||
        height > luminance_view::k_max_dimension)
      return;
    width_ = width;
    height_ = height;
    pixels_.assign(static_cast<std::size_t>(width) * static_cast<std::size_t>(height), fill);
  }

  /// Copies a view's pixels (any stride) into a packed image.
  static luminance_image copy_of(const luminance_view& view) {
    luminance_image img(view.width(), view.height());
    for (int y = 0; y < view.height(); ++y) {
      const std::uint8_t* src = view.row(y);
      std::copy(src, src + view.width(), img.row(y));
    }
    return img;
  }

  [[nodiscard]] bool empty() const noexcept { return pixels_.empty(); }
  [[nodiscard]] int width() const noexcept { return width_; }
  [[nodiscard]] int height() const noexcept { return height_; }
  [[nodiscard]] std::uint8_t* data() noexcept { return pixels_.data(); }
  [[nodiscard]] const std::uint8_t* data() const noexcept { return pixels_.data(); }
  [[nodiscard]] std::uint8_t* row(int y) noexcept {
    return pixels_.data() + static_cast<std::size_t>(y) * static_cast<std::size_t>(width_);
  }
  [[nodiscard]] const std::uint8_t* row(int y) const noexcept {
    return pixels_.data() + static_cast<std::size_t>(y) * static_cast<std::size_t>(width_);
  }
  [[nodiscard]] std::uint8_t& at(int x, int y) noexcept { return row(y)[x]; }
  [[nodiscard]] std::uint8_t at(int x, int y) const noexcept { return row(y)[x]; }

  /// A view of this image, or nullopt when the image is empty. Invalidated by moving/destroying.
  [[nodiscard]] std::optional<luminance_view> view() const noexcept {
    return luminance_view::make(pixels_.data(), width_, height_, width_);
  }

 private:
  int width_ = 0;
  int height_ = 0;
  std::vector<std::uint8_t> pixels_;
};

}  // namespace kh::hardware
