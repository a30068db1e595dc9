// Replay camera: a folder of PNG/JPEG images played as frames at a set rate on the steady clock.
#include <kh/hardware/camera/camera.hpp>
#include <kh/hardware/camera/image_file.hpp>

#include <algorithm>
#include <cctype>
#include <thread>

namespace kh::hardware {
namespace {

bool is_image_name(const std::filesystem::path& p) {
  std::string ext = p.extension().string();
  std::transform(ext.begin(), ext.end(), ext.begin(), [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  return ext == ".png" || ext == ".jpg" || ext == ".jpeg";
}

class replay_camera final : public camera {
 public:
  explicit replay_camera(replay_camera_config config) : config_(std::move(config)) {}

  std::error_code open() override {
    if (!frames_.empty()) return {};
    std::error_code fs_ec;
    const auto status = std::filesystem::status(config_.folder, fs_ec);
    if (!std::filesystem::exists(status)) return camera_errc::no_device;
    if (!std::filesystem::is_directory(status)) return camera_errc::not_a_camera;
    std::vector<std::filesystem::path> files;
    for (std::filesystem::directory_iterator it(config_.folder, fs_ec), end; !fs_ec && it != end; it.increment(fs_ec))
      if (it->is_regular_file(fs_ec) && is_image_name(it->path())) files.push_back(it->path());
    if (fs_ec) return camera_errc::permission_denied;
    if (files.empty()) return camera_errc::not_a_camera;  // a folder without images is no camera
    std::sort(files.begin(), files.end());
    // Decode everything now: a bad file fails open() with nothing played, and playback never
    // stalls on disk or decoding.
    std::vector<luminance_image> frames;
    std::size_t bytes = 0;
    for (const auto& f : files) {
      std::error_code ec;
      luminance_image img = load_image_file(f, ec);
      if (ec) return ec;
      bytes += static_cast<std::size_t>(img.width()) * static_cast<std::size_t>(img.height());
      if (bytes > config_.max_bytes) return camera_errc::too_large;
      frames.push_back(std::move(img));
    }
    frames_ = std::move(frames);
    info_ = {config_.folder.string(), "PNG/JPEG", frames_.front().width(), frames_.front().height(),
             config_.fps > 0 ? config_.fps : 0};
    return {};
  }

  std::error_code start() override {
    if (frames_.empty()) return camera_errc::not_started;
    if (started_) return {};
    started_ = true;
    next_index_ = 0;
    sequence_ = 0;
    next_due_ = clock::now();
    return {};
  }

  std::error_code next_frame(camera_frame& out, std::chrono::milliseconds timeout) override {
    out = {};
    if (!started_) return camera_errc::not_started;
    if (next_index_ >= frames_.size()) {
      if (!config_.loop) return camera_errc::end_of_stream;
      next_index_ = 0;
    }
    if (config_.fps > 0) {
      const auto now = clock::now();
      if (next_due_ > now) {
        // Pacing, like a sensor's exposure clock; waiting is what the caller asked for.
        if (next_due_ - now > timeout) {
          std::this_thread::sleep_for(std::max(timeout, std::chrono::milliseconds{0}));
          return camera_errc::timeout;
        }
        std::this_thread::sleep_until(next_due_);
      }
      const auto period = std::chrono::duration_cast<clock::duration>(std::chrono::duration<double>(1.0 / config_.fps));
      next_due_ += period;
      // A consumer more than a frame late gets no burst of catch-up frames: the schedule restarts
      // from now, as a live camera's would (it drops frames nobody took).
      if (const auto now2 = clock::now(); next_due_ < now2) next_due_ = now2 + period;
    }
    out.image = frames_[next_index_++].view();
    out.timestamp = clock::now();
    out.sequence = sequence_++;
    return {};
  }

  void stop() noexcept override { started_ = false; }

  camera_info info() const override { return info_; }

 private:
  using clock = std::chrono::steady_clock;
  replay_camera_config config_;
  std::vector<luminance_image> frames_;
  camera_info info_;
  bool started_ = false;
  std::size_t next_index_ = 0;
  std::uint64_t sequence_ = 0;
  clock::time_point next_due_{};
};

}  // namespace

std::unique_ptr<camera> make_replay_camera(replay_camera_config config) {
  return std::make_unique<replay_camera>(std::move(config));
}

}  // namespace kh::hardware
