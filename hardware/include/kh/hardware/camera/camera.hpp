#pragma once
// The camera interface: one shape for every backend (V4L2 devices, replayed image folders, fakes).
#include <kh/hardware/camera/errc.hpp>
#include <kh/hardware/frame.hpp>

#include <chrono>
#include <cstdint>
#include <filesystem>
#include <memory>
#include <optional>
#include <string>
#include <system_error>
#include <vector>

namespace kh::hardware {

/// One captured frame. `image` points into the camera's own buffer and stays valid until the next
/// call to next_frame(), stop() or the camera's destruction: copy it (luminance_image::copy_of, or
/// scanner::submit does) to keep it longer.
struct camera_frame {
  std::optional<luminance_view> image;
  /// When the frame was captured, on the steady clock.
  std::chrono::steady_clock::time_point timestamp{};
  /// Counts delivered frames from 0 since start().
  std::uint64_t sequence = 0;
};

/// What a camera negotiated (valid after open()).
struct camera_info {
  std::string name;    ///< device card name or folder path
  std::string format;  ///< source pixel format: "GREY", "YUYV", "MJPG", "PNG/JPEG", ...
  int width = 0;
  int height = 0;
  double fps = 0;  ///< frames per second (0 when unpaced)
};

/// A frame source. Calls are made from one thread (the capture thread); the interface is not
/// thread-safe. Lifecycle: open() → start() → next_frame()… → stop(); stop() then start() again is
/// allowed, and the destructor stops and closes.
class camera {
 public:
  virtual ~camera() = default;
  camera() = default;
  camera(const camera&) = delete;
  camera& operator=(const camera&) = delete;

  /// Opens the source and negotiates format, size and rate. Opening twice is a no-op.
  [[nodiscard]] virtual std::error_code open() = 0;
  /// Starts streaming (needs open()).
  [[nodiscard]] virtual std::error_code start() = 0;
  /// Waits up to `timeout` for the next frame. camera_errc::timeout when none came (the camera stays
  /// usable), camera_errc::disconnected when the device vanished (reopen to continue),
  /// camera_errc::end_of_stream at the end of a non-looping replay.
  [[nodiscard]] virtual std::error_code next_frame(camera_frame& out, std::chrono::milliseconds timeout) = 0;
  /// Stops streaming; frames handed out before become invalid. Safe to call in any state.
  virtual void stop() noexcept = 0;
  /// What open() negotiated.
  [[nodiscard]] virtual camera_info info() const = 0;
};

/// Settings for a V4L2 capture device.
struct v4l2_camera_config {
  /// Device node (default: /dev/video0).
  std::string device = "/dev/video0";
  /// Wanted size; the driver picks the nearest it supports (default: 640×480).
  int width = 640;
  int height = 480;
  /// Wanted frame rate, set with VIDIOC_S_PARM where the driver allows it (default: 30).
  int fps = 30;
  /// Number of mmap buffers requested (default: 4; drivers may grant fewer or more).
  int buffers = 4;
};

/// A V4L2 camera (through libv4l2). Pixel formats, in order of preference: GREY, YUYV, UYVY, MJPEG
/// (decoded with libjpeg to luminance only). Nothing touches the device until open().
std::unique_ptr<camera> make_v4l2_camera(v4l2_camera_config config);

/// A video capture device found by enumerate_v4l2_devices().
struct v4l2_device_info {
  std::string path;    ///< /dev/videoN
  std::string card;    ///< the driver's name for the device
  std::string driver;  ///< kernel driver
  std::string bus;     ///< bus info (e.g. usb-0000:00:14.0-1)
};

/// Lists `dev_dir`/video* nodes (default: /dev) that are video capture devices with streaming I/O
/// (metadata and output nodes are skipped), sorted by path. Empty when there is none; missing,
/// unreadable or non-device nodes are skipped, never thrown about.
std::vector<v4l2_device_info> enumerate_v4l2_devices(const std::filesystem::path& dev_dir = "/dev");

/// Settings for the replay camera.
struct replay_camera_config {
  /// Folder of .png / .jpg / .jpeg images, played in file-name order.
  std::filesystem::path folder;
  /// Frames per second; 0 hands frames out as fast as they are asked for (default: 30).
  double fps = 30;
  /// Start again from the first image after the last (default: false, then end_of_stream).
  bool loop = false;
  /// Upper bound on the decoded frames kept in memory (default: 256 MiB), else camera_errc::too_large.
  std::size_t max_bytes = std::size_t{256} << 20;
};

/// A camera that plays a folder of images, paced with the steady clock, as luminance frames. All
/// images are decoded by open(), so a bad file is reported there and nothing is played.
std::unique_ptr<camera> make_replay_camera(replay_camera_config config);

}  // namespace kh::hardware
