// The "kh.camera" error category.
#include <kh/hardware/camera/errc.hpp>

namespace kh::hardware {
namespace {

class camera_category_impl final : public std::error_category {
 public:
  const char* name() const noexcept override { return "kh.camera"; }
  std::string message(int value) const override {
    switch (static_cast<camera_errc>(value)) {
      case camera_errc::no_device: return "no such device, folder or file";
      case camera_errc::not_a_camera: return "not a video capture device";
      case camera_errc::permission_denied: return "permission denied";
      case camera_errc::busy: return "device busy (another program is using it)";
      case camera_errc::unsupported_format: return "unsupported pixel or file format";
      case camera_errc::corrupt_frame: return "corrupt frame or image data";
      case camera_errc::too_large: return "image or frame set too large";
      case camera_errc::disconnected: return "device disconnected";
      case camera_errc::timeout: return "timed out waiting for a frame";
      case camera_errc::not_started: return "camera not open or not started";
      case camera_errc::end_of_stream: return "end of stream";
      case camera_errc::io_error: return "input/output error";
    }
    return "unknown camera error";
  }
};

}  // namespace

const std::error_category& camera_category() noexcept {
  static const camera_category_impl category;
  return category;
}

}  // namespace kh::hardware
