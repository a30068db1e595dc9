// kiosk — the device firmware. Without --headless it opens the touch window of its mode (shop,
// counter or board); with --headless it runs the hub link with line commands on stdin. Wiring
// only: the work is in kh::kiosk (core, ui, modes/shop, modes/screens, link, control, print).

#include <iostream>
#include <stdexcept>

#include <CLI/CLI.hpp>
#include <sodium.h>
#include <spdlog/sinks/stdout_color_sinks.h>
#include <spdlog/spdlog.h>

#include "kh/kiosk/headless/headless.hpp"
#include "kh/kiosk/link/identity.hpp"
#include "kh/kiosk/modes/screens/app.hpp"
#include "kh/kiosk/modes/shop/app.hpp"
#include "kh/protocol/messages.hpp"

int main(int argc, char** argv) {
  CLI::App app{"kiosk: Kioskhub device firmware (touch window: shop, counter or board; or --headless hub link)"};
  app.set_config("--config", "", "Read flags from this TOML/INI file (same keys as the flags; flags win)");
  bool headless = false, fullscreen = false;
  std::string data_dir, device, mqtt_url, business, username, password, mode = "shop",
                                                                        log_level = "info", enroll_uri,
                                                                        enroll_ca, categories;
  kh::kiosk::shop::app_options ui;
  kh::kiosk::screens::app_options scr;
  int highlight_s = 5, ready_clear_s = 900, keepalive_s = 20, amber_s = 300, red_s = 600;
  bool large_text = false, no_sound = false;
  std::string hash_pin, size, local_prefix;
  int idle_s = 60;
  app.add_flag("--headless", headless,
               "Run the hub link without a display; line commands on stdin, JSON lines on stdout");
  app.add_option("--data", data_dir,
                 "Data directory (holds kiosk.db: catalog cache, order outbox, print journal)");
  app.add_option("--device", device,
                 "Device id (also the MQTT client id); default: from DIR/identity.json");
  app.add_option("--mqtt", mqtt_url,
                 "Broker URL, e.g. tcp://127.0.0.1:1883 or ssl://host:8883; default: from DIR/identity.json");
  app.add_option("--enroll", enroll_uri,
                 "Enroll with the hub first (kioskhub+http[s]://HOST:PORT/enroll/khe1.… from kioskctl enroll "
                 "create), store DIR/identity.json (0600), then run; ignored when already enrolled");
  app.add_option("--enroll-ca", enroll_ca, "CA certificate to trust for an https enrollment URI");
  app.add_option("--business", business,
                 "Business id to follow (default: the stored one, else learned from a catalog on "
                 "the device's down/ topic)");
  app.add_option("--mqtt-username", username, "Broker user name (default: none)");
  app.add_option("--mqtt-password", password, "Broker password (default: none)");
  app.add_option("--mode", mode,
                 "shop (customers order), counter (staff: lanes, cash, scans, hand-over) or board "
                 "(Preparing / Ready numbers); default: shop")
      ->check(CLI::IsMember({"shop", "counter", "board"}));
  app.add_option("--highlight-seconds", highlight_s, "Board: a number that turns ready is highlighted this long (default: 5)")
      ->check(CLI::Range(0, 600));
  app.add_option("--ready-clear-seconds", ready_clear_s, "Board: ready numbers nobody collected leave after this (default: 900)")
      ->check(CLI::Range(10, 86400));
  app.add_option("--keepalive-seconds", keepalive_s,
                 "Board: offline longer than this, orders are no longer shown as current (default: 20)")
      ->check(CLI::Range(1, 3600));
  app.add_option("--categories", categories,
                 "Counter: route only these catalog category ids, comma-separated (default: all)");
  app.add_option("--age-amber-seconds", amber_s, "Counter: card age that turns amber (overrides the store profile's; default: the profile's, else 300)")
      ->check(CLI::Range(1, 86400));
  app.add_option("--age-red-seconds", red_s, "Counter: card age that turns red (overrides the store profile's; default: the profile's, else 600)")
      ->check(CLI::Range(1, 86400));
  app.add_flag("--large-text", large_text, "Counter: start in large text mode (a button toggles it)");
  app.add_flag("--no-sound", no_sound, "Counter and board: no tones or chimes");
  app.add_option("--printer", ui.printer,
                 "Receipt printer: file:/dev/usb/lp0, tcp://HOST[:9100], sim: (in memory), "
                 "sim:FILE (in memory, jobs appended to FILE), none (default: sim:)");
  app.add_option("--camera", ui.camera, "Camera for scanning: /dev/video0, replay:DIR, none (default: none)");
  app.add_option("--language", ui.language, "Start language, e.g. en or fr (default: the store's first)");
  app.add_option("--idle-timeout", idle_s, "Seconds without a touch before \"Still there?\" (default: 60)")
      ->check(CLI::Range(5, 3600));
  app.add_option("--size", size, "Window size WxH (default: 1280x800 for the shop, 1920x1080 for counter and board; fullscreen uses the display's)");
  app.add_flag("--fullscreen", fullscreen, "Full screen on the display (KMS/DRM, Wayland or X11 via SDL)");
  app.add_option("--dpi", ui.dpi, "Display density for touch-target sizes (default: what the display reports, else 96)");
  app.add_option("--control", ui.control, "Open the control socket at PATH (mode 0600; default: off; see docs/kiosk.md)");
  app.add_option("--assets", ui.assets, "Directory with i18n/*.json (default: the source tree's kiosk/data)");
  app.add_option("--staff-pin-hash", ui.staff_pin_hash,
                 "argon2id hash of the staff PIN (make one with --hash-pin; default: staff screen locked)");
  app.add_option("--hash-pin", hash_pin, "Print the argon2id hash of this PIN and exit");
  app.add_option("--screenshots", ui.screenshots, "Write every screen of the store as PNG into DIR and exit");
  app.add_option("--local-prefix", local_prefix,
                 "Prefix of order numbers given while the hub is unreachable, 1-8 of A-Z0-9, e.g. K1 "
                 "(numbers K1-001, K1-002, ...; default: from the device id, e.g. kiosk-1 -> K1)")
      ->check([](const std::string& p) {
        return kh::protocol::is_local_number(p + "-1") ? std::string() : std::string("1-8 of A-Z0-9");
      });
  app.add_option("--image-cache", ui.image_cache, "Directory for cached product pictures (default: DATA/images)");
  app.add_option("--image-cache-mb", ui.image_cache_mb, "Disk budget of the picture cache in MiB (default: 64)")
      ->check(CLI::Range(1, 4096));
  app.add_option("--log-level", log_level,
                 "trace|debug|info|warn|error|critical|off (default: info; logs go to stderr)");
  CLI11_PARSE(app, argc, argv);
  spdlog::set_level(spdlog::level::from_str(log_level));
  spdlog::set_default_logger(spdlog::stderr_color_mt("kiosk"));

  if (!hash_pin.empty()) {
    char out[crypto_pwhash_STRBYTES];
    if (sodium_init() < 0 ||
        crypto_pwhash_str(out, hash_pin.c_str(), hash_pin.size(), crypto_pwhash_OPSLIMIT_INTERACTIVE,
                          crypto_pwhash_MEMLIMIT_INTERACTIVE) != 0) {
      std::cerr << "kiosk: could not hash the PIN\n";
      return 2;
    }
    std::cout << out << "\n";
    return 0;
  }
  if (data_dir.empty()) {
    std::cerr << "kiosk: --data is required (see --help)\n";
    return 2;
  }
  kh::kiosk::link_options opts;
  opts.data_dir = data_dir;
  opts.mqtt_uri = mqtt_url;
  opts.mqtt_username = username;
  opts.mqtt_password = password;
  opts.engine.device_id = device;
  opts.engine.business_id = business;
  kh::protocol::from_string(mode, opts.engine.mode);
  ui.local_prefix = local_prefix;
  // An identity (from --enroll now or an earlier run) decides who this kiosk is.
  if (auto err = kh::kiosk::apply_identity(opts, enroll_uri, enroll_ca); !err.empty()) {
    std::cerr << "kiosk: " << err << "\n";
    return 2;
  }
  if (opts.engine.device_id.empty() || opts.mqtt_uri.empty()) {
    std::cerr << "kiosk: give --device and --mqtt, or enroll with --enroll URI\n";
    return 2;
  }
  try {
    if (headless) return kh::kiosk::headless::run(std::move(opts));
    if (!size.empty()) {
      const auto x = size.find('x');
      if (x == std::string::npos) throw std::invalid_argument("--size must be WxH, e.g. 1920x1080");
      ui.width = std::stoi(size.substr(0, x));
      ui.height = std::stoi(size.substr(x + 1));
      if (ui.width < 320 || ui.height < 320) throw std::invalid_argument("--size is at least 320x320");
    }
    if (mode == "counter" || mode == "board") {
      scr.link = std::move(opts);
      if (!size.empty()) {
        scr.width = ui.width;
        scr.height = ui.height;
      }
      scr.fullscreen = fullscreen;
      scr.dpi = ui.dpi;
      scr.language = ui.language;
      scr.control = ui.control;
      scr.assets = ui.assets;
      scr.sound = !no_sound;
      scr.highlight = std::chrono::seconds(highlight_s);
      scr.ready_clear = std::chrono::seconds(ready_clear_s);
      scr.keepalive = std::chrono::seconds(keepalive_s);
      scr.printer = ui.printer;
      scr.camera = ui.camera;
      for (std::size_t b = 0; !categories.empty() && b <= categories.size();) {
        const auto e = categories.find(',', b);
        const auto id = categories.substr(b, e == std::string::npos ? std::string::npos : e - b);
        if (!id.empty()) scr.categories.push_back(id);
        if (e == std::string::npos) break;
        b = e + 1;
      }
      // Given, they override the store profile's thresholds (else the counter follows the catalog).
      if (app.count("--age-amber-seconds") > 0) scr.amber = std::chrono::seconds(amber_s);
      if (app.count("--age-red-seconds") > 0) scr.red = std::chrono::seconds(red_s);
      scr.large_text = large_text;
      scr.staff_pin_hash = ui.staff_pin_hash;
      return mode == "board" ? kh::kiosk::screens::run_board(std::move(scr))
                             : kh::kiosk::screens::run_counter(std::move(scr));
    }
    ui.fullscreen = fullscreen;
    ui.idle = std::chrono::seconds(idle_s);
    ui.link = std::move(opts);
    return kh::kiosk::shop::run_app(std::move(ui));
  } catch (const std::exception& e) {  // bad configuration (ids, broker URL, display, fonts)
    std::cerr << "kiosk: " << e.what() << "\n";
    return 2;
  }
}
