#pragma once
// The shop mode running on a real window: SDL event loop on the calling thread (render thread),
// the hub link on its own thread, a worker thread for everything that waits (outbox commits,
// printing, PIN hashing, catalog snapshots), the optional control socket on a third. Only posted
// events cross into the render thread.

#include <chrono>
#include <filesystem>
#include <string>

#include "kh/kiosk/link/link.hpp"

namespace kh::kiosk::shop {

struct app_options {
  link_options link;
  int width = 1280, height = 800;  ///< window size (fullscreen: the display's)
  bool fullscreen = false;
  double dpi = 0;                  ///< ≤ 0: ask the display (96 when it does not say)
  std::string language;            ///< empty: the store profile's first, else "en"
  std::string printer = "sim:";    ///< file:/dev/usb/lp0, tcp://host:9100, sim:, sim:FILE, none
  std::string camera = "none";     ///< /dev/video0, replay:DIR, none
  std::filesystem::path control;   ///< control socket path; empty: off
  std::filesystem::path assets = KH_KIOSK_ASSETS;  ///< holds i18n/*.json
  std::string staff_pin_hash;      ///< argon2id string (crypto_pwhash_str); empty: staff screen off
  std::chrono::seconds idle{60};   ///< "Still there?" after this long without a touch
  std::filesystem::path screenshots;  ///< non-empty: write every screen as PNG there, then exit
  std::string local_prefix;           ///< offline numbers' prefix; empty: from the device id (kiosk-1: K1)
  std::filesystem::path image_cache;  ///< product pictures on disk; empty: DATA/images
  std::size_t image_cache_mb = 64;    ///< disk budget of that cache (least recently used go first)
};

/// Runs until the window closes, SIGINT/SIGTERM, or staff "Stop the kiosk". Returns the exit
/// code: 0 clean, 1 data directory unusable, 2 bad configuration (display, fonts, languages).
int run_app(app_options opts);

}  // namespace kh::kiosk::shop
