#pragma once
// Error codes of the camera layer (V4L2 and replay backends, image files, pixel conversion).
#include <string>
#include <system_error>

namespace kh::hardware {

/// Why a camera, an image file or a frame conversion failed. Registered with <system_error>, so
/// `std::error_code ec = camera_errc::timeout;` works and `ec == camera_errc::timeout` compares.
enum class camera_errc {
  no_device = 1,       ///< the device node, folder or file does not exist
  not_a_camera,        ///< it exists but is not a video capture device / not an image folder
  permission_denied,   ///< the OS refused access
  busy,                ///< another process is streaming from the device
  unsupported_format,  ///< no pixel format both sides understand, or an unknown image file type
  corrupt_frame,       ///< frame or image data that cannot be decoded
  too_large,           ///< image or folder larger than the configured limits
  disconnected,        ///< the device went away while open (unplugged: ENODEV)
  timeout,             ///< no frame arrived within the timeout
  not_started,         ///< the call needs a started camera (open() then start())
  end_of_stream,       ///< a replay without looping has played every frame
  io_error,            ///< any other OS error; the message names it
};

/// The category of camera_errc (name "kh.camera").
const std::error_category& camera_category() noexcept;

inline std::error_code make_error_code(camera_errc e) noexcept {
  return {static_cast<int>(e), camera_category()};
}

}  // namespace kh::hardware

template <>
struct std::is_error_code_enum<kh::hardware::camera_errc> : std::true_type {};
