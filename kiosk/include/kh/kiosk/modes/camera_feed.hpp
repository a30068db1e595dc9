#pragma once
// The kiosk's camera, shared by every mode that scans (shop, counter): a capture thread that hands
// each frame to the scanner (which decodes on its own thread with its per-frame budget) and, when
// asked, a small preview of the newest frame with the codes read in it (the maintenance screen's
// camera view). Nothing here blocks the caller: start() returns at once, scans and previews arrive
// through callbacks on the capture/scanner threads (post them to the render thread).

#include <array>
#include <atomic>
#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "kh/hardware/scanner/scanner.hpp"

namespace kh::kiosk {

struct camera_feed_options {
  /// `/dev/videoN` (V4L2), `replay:DIR` or `none` (default: none; start() then does nothing).
  std::string camera = "none";
  hardware::scanner_options scanner{};
  /// Replay folders play at this rate (default: 10 fps).
  double replay_fps = 10;
  /// true (default): a replay folder is watched and images that appear in it are played once
  /// (tests drop a rendered code there); false: the folder is played in a loop (benchmarks).
  bool replay_watch = true;
  /// Preview frames are downscaled to at most this width (default: 320 px) and made at most this
  /// often (default: 5 per second), each decoded once more for its boxes.
  int preview_width = 320;
  std::chrono::milliseconds preview_interval{200};
};

/// A code found in a preview frame, in preview pixels (corners as the scanner reports them).
struct preview_code {
  std::string text;
  std::array<hardware::pixel_point, 4> corners{};
};

/// The newest frame, small, with what the decoder read in it.
struct camera_preview {
  int width = 0, height = 0;        ///< preview size (packed 8-bit luminance)
  std::vector<std::uint8_t> pixels;
  std::vector<preview_code> codes;
  std::uint64_t sequence = 0;       ///< counts previews made
};

class camera_feed {
 public:
  using scan_fn = std::function<void(const hardware::scan_event&)>;
  using preview_fn = std::function<void(camera_preview)>;

  /// `on_scan` runs on the scanner's thread, `on_preview` on the capture thread.
  camera_feed(camera_feed_options o, scan_fn on_scan, preview_fn on_preview = {});
  ~camera_feed();
  camera_feed(const camera_feed&) = delete;
  camera_feed& operator=(const camera_feed&) = delete;

  /// Starts the capture thread (once; nothing for `none`). A camera that fails to open is retried
  /// every second; state() says so meanwhile.
  void start();
  /// Stops capture and the scanner. Idempotent; the destructor calls it.
  void stop();
  /// Previews on/off (the maintenance screen turns them on while it shows the camera view).
  void set_preview(bool on) { preview_on_ = on; }

  bool enabled() const noexcept { return options_.camera != "none"; }
  /// "none", "starting", "ok", or the last error ("open: …").
  std::string state() const;
  hardware::scanner_stats stats() const;
  const camera_feed_options& options() const noexcept { return options_; }

 private:
  void loop();
  void make_preview(const hardware::luminance_view& f);
  void set_state(std::string s);

  camera_feed_options options_;
  scan_fn on_scan_;
  preview_fn on_preview_;
  std::unique_ptr<hardware::scanner> scanner_;
  std::unique_ptr<hardware::frame_decoder> preview_decoder_;  // capture thread only
  std::thread thread_;
  std::atomic<bool> stop_{false};
  std::atomic<bool> preview_on_{false};
  std::chrono::steady_clock::time_point last_preview_{};
  std::uint64_t previews_ = 0;
  mutable std::mutex mu_;
  std::string state_ = "none";
};

}  // namespace kh::kiosk
