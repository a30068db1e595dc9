// kiosk — the device firmware. Today only the headless link (`--headless`); the SDL2 touch UI and
// the counter/board modes plug into the same kh::kiosk library later.

#include <iostream>
#include <stdexcept>

#include <spdlog/spdlog.h>
#include <CLI/CLI.hpp>

#include "kh/kiosk/headless/headless.hpp"
#include "kh/kiosk/link/identity.hpp"
#include "kh/protocol/messages.hpp"

int main(int argc, char** argv) {
  CLI::App app{"kiosk: Kioskhub device firmware (hub link, catalog cache, durable order outbox)"};
  bool headless = false;
  std::string data_dir, device, mqtt_url, business, username, password, mode = "shop",
                                                                        log_level = "info", enroll_uri,
                                                                        enroll_ca;
  app.add_flag("--headless", headless,
               "Run the hub link without a display; line commands on stdin, JSON lines on stdout");
  app.add_option("--data", data_dir,
                 "Data directory (holds kiosk.db: catalog cache and order outbox)")
      ->required();
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
  app.add_option("--mode", mode, "Device mode reported in hello (default: shop)")
      ->check(CLI::IsMember({"shop", "counter", "board"}));
  app.add_option("--log-level", log_level,
                 "trace|debug|info|warn|error|critical|off (default: info; logs go to stderr)");
  CLI11_PARSE(app, argc, argv);

  if (!headless) {
    std::cerr << "kiosk: the touch UI is not part of this build yet; run with --headless\n";
    return 2;
  }
  spdlog::set_level(spdlog::level::from_str(log_level));
  kh::kiosk::link_options opts;
  opts.data_dir = data_dir;
  opts.mqtt_uri = mqtt_url;
  opts.mqtt_username = username;
  opts.mqtt_password = password;
  opts.engine.device_id = device;
  opts.engine.business_id = business;
  kh::protocol::from_string(mode, opts.engine.mode);
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
    return kh::kiosk::headless::run(std::move(opts));
  } catch (const std::exception& e) {  // bad configuration (ids, broker URL)
    std::cerr << "kiosk: " << e.what() << "\n";
    return 2;
  }
}
