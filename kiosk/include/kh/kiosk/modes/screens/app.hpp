#pragma once
// The board and counter modes on a real window: the same threads as the shop (SDL loop on the
// calling thread, hub link on its own, a worker for everything that waits, the control socket on a
// third; a camera thread + the scanner's decoder thread for the counter). Only posted events cross
// into the render thread.

#include <chrono>
#include <optional>
#include <filesystem>
#include <string>
#include <vector>

#include "kh/kiosk/link/link.hpp"

namespace kh::kiosk::screens {

struct app_options {
  link_options link;
  int width = 1920, height = 1080;  ///< window size (fullscreen: the display's)
  bool fullscreen = false;
  double dpi = 0;                   ///< ≤ 0: ask the display (96 when it does not say)
  std::string language;             ///< empty: the store profile's first, else "en"
  std::filesystem::path control;    ///< control socket path; empty: off
  std::filesystem::path assets = KH_KIOSK_ASSETS;
  bool sound = true;                ///< tones/chimes (silent anyway without an audio device)
  // Board.
  std::chrono::seconds highlight{5};      ///< a number that turns ready is highlighted this long
  std::chrono::seconds ready_clear{900};  ///< ready numbers nobody collected leave after this
  std::chrono::seconds keepalive{20};     ///< offline longer: orders no longer shown as current
  // Counter.
  std::string printer = "sim:";           ///< for ticket reprints (see the shop's --printer)
  std::string camera = "none";            ///< /dev/video0, replay:DIR (watched for new images), none
  std::vector<std::string> categories;    ///< routing: only these category ids (empty: all)
  /// Card age thresholds: unset, the store profile's `age_amber_seconds` / `age_red_seconds`
  /// (300 / 600 when the catalog has none); set (the flags), they override the profile.
  std::optional<std::chrono::seconds> amber, red;
  bool large_text = false;
  std::string staff_pin_hash;             ///< argon2id; empty: cancelling is refused (wrong PIN)
  std::chrono::seconds action_timeout{10};  ///< no answer from the hub: the button comes back
};

/// Run until the window closes or SIGINT/SIGTERM. 0 clean, 1 data directory unusable, 2 bad
/// configuration (display, fonts, languages, camera, printer, control socket).
int run_board(app_options opts);
int run_counter(app_options opts);

}  // namespace kh::kiosk::screens
