#include "kh/kiosk/modes/camera_feed.hpp"

#include <filesystem>
#include <set>

#include <unistd.h>

#include <spdlog/spdlog.h>

#include "kh/hardware/camera/camera.hpp"

namespace kh::kiosk {

namespace hw = kh::hardware;

camera_feed::camera_feed(camera_feed_options o, scan_fn on_scan, preview_fn on_preview)
    : options_(std::move(o)), on_scan_(std::move(on_scan)), on_preview_(std::move(on_preview)) {}

camera_feed::~camera_feed() { stop(); }

void camera_feed::start() {
  if (!enabled() || scanner_) return;
  set_state("starting");
  scanner_ = std::make_unique<hw::scanner>(options_.scanner, [this](const hw::scan_event& ev) {
    if (on_scan_) on_scan_(ev);
  });
  if (on_preview_) {
    auto d = options_.scanner.decoder;
    preview_decoder_ = std::make_unique<hw::frame_decoder>(d);
  }
  thread_ = std::thread([this] { loop(); });
}

void camera_feed::stop() {
  stop_ = true;
  if (thread_.joinable()) thread_.join();
  if (scanner_) scanner_->stop();
}

std::string camera_feed::state() const {
  std::lock_guard lk(mu_);
  return state_;
}

void camera_feed::set_state(std::string s) {
  std::lock_guard lk(mu_);
  state_ = std::move(s);
}

hw::scanner_stats camera_feed::stats() const { return scanner_ ? scanner_->stats() : hw::scanner_stats{}; }

void camera_feed::make_preview(const hw::luminance_view& f) {
  // Capture thread, at most every preview_interval while previews are on: a box-filtered copy of
  // at most preview_width pixels across, decoded once more so the boxes match this very picture.
  const auto now = std::chrono::steady_clock::now();
  if (!preview_on_ || !on_preview_ || now - last_preview_ < options_.preview_interval) return;
  last_preview_ = now;
  const int step = std::max(1, (f.width() + options_.preview_width - 1) / options_.preview_width);
  camera_preview p;
  p.width = f.width() / step;
  p.height = f.height() / step;
  if (p.width < 1 || p.height < 1) return;
  p.pixels.resize(static_cast<std::size_t>(p.width) * static_cast<std::size_t>(p.height));
  for (int y = 0; y < p.height; ++y)
    for (int x = 0; x < p.width; ++x) {
      int sum = 0;
      for (int dy = 0; dy < step; ++dy)
        for (int dx = 0; dx < step; ++dx) sum += f.at(x * step + dx, y * step + dy);
      p.pixels[static_cast<std::size_t>(y) * static_cast<std::size_t>(p.width) + static_cast<std::size_t>(x)] =
          static_cast<std::uint8_t>(sum / (step * step));
    }
  for (const auto& c : preview_decoder_->decode(f)) {
    preview_code pc{c.text, {}};
    for (std::size_t i = 0; i < 4; ++i) pc.corners[i] = {c.corners[i].x / step, c.corners[i].y / step};
    p.codes.push_back(std::move(pc));
  }
  p.sequence = ++previews_;
  on_preview_(std::move(p));
}

// Capture thread: frames to the scanner (which decodes on its own thread). A watched replay folder
// plays the images that appeared since the last look (tests drop a rendered code there).
void camera_feed::loop() {
  const bool replay = options_.camera.rfind("replay:", 0) == 0;
  const std::filesystem::path dir = replay ? std::filesystem::path(options_.camera.substr(7)) : std::filesystem::path();
  std::set<std::string> played;
  std::filesystem::path batch;  // the new images of a watched folder
  while (!stop_) {
    std::unique_ptr<hw::camera> cam;
    if (replay && options_.replay_watch) {
      std::set<std::string> now;
      std::error_code ec;
      for (const auto& e : std::filesystem::directory_iterator(dir, ec)) now.insert(e.path().filename().string());
      bool fresh = false;
      for (const auto& n : now) fresh = fresh || !played.count(n);
      if (!fresh) {
        if (state() == "starting") set_state("ok");
        std::this_thread::sleep_for(std::chrono::milliseconds(150));
        continue;
      }
      // Play only what is new (an image already played is out of view, as a code the customer
      // took away): copied, once the writer is done, into a folder of its own.
      std::this_thread::sleep_for(std::chrono::milliseconds(100));  // let the writer finish
      if (batch.empty())
        batch = std::filesystem::temp_directory_path() /
                ("kh-camera-" + std::to_string(::getpid()) + "-" + std::to_string(reinterpret_cast<std::uintptr_t>(this)));
      std::filesystem::remove_all(batch, ec);
      std::filesystem::create_directories(batch, ec);
      for (const auto& n : now)
        if (!played.count(n)) std::filesystem::copy_file(dir / n, batch / n, ec);
      played = now;
      cam = hw::make_replay_camera({batch, options_.replay_fps, false});
    } else if (replay) {
      cam = hw::make_replay_camera({dir, options_.replay_fps, true});
    } else {
      cam = hw::make_v4l2_camera({options_.camera});
    }
    if (auto ec = cam->open(); ec) {
      spdlog::warn("kiosk: camera {}: {}", options_.camera, ec.message());
      set_state("open: " + ec.message());
      std::this_thread::sleep_for(std::chrono::seconds(1));
      continue;
    }
    if (auto ec = cam->start(); ec) {
      spdlog::warn("kiosk: camera {}: {}", options_.camera, ec.message());
      set_state("start: " + ec.message());
      std::this_thread::sleep_for(std::chrono::seconds(1));
      continue;
    }
    set_state("ok");
    hw::camera_frame f;
    while (!stop_) {
      const auto ec = cam->next_frame(f, std::chrono::milliseconds(500));
      if (!ec) {
        scanner_->submit(f);
        if (f.image) make_preview(*f.image);
        continue;
      }
      if (ec == hw::camera_errc::timeout) continue;
      if (ec != hw::camera_errc::end_of_stream) set_state("lost: " + ec.message());
      break;  // end of the replay, or the device went away: reopen
    }
    cam->stop();
  }
  if (!batch.empty()) {
    std::error_code ec;
    std::filesystem::remove_all(batch, ec);
  }
}

}  // namespace kh::kiosk
