#include "kh/kiosk/link/identity.hpp"

#include <filesystem>

#include <spdlog/spdlog.h>

#include "kh/provisioning/files.hpp"
#include "kh/provisioning/http_client.hpp"
#include "kh/provisioning/identity.hpp"

namespace kh::kiosk {

namespace prov = provisioning;

std::string apply_identity(link_options& opts, const std::string& enroll_uri, const std::string& enroll_ca) {
  const auto file = prov::identity_path(opts.data_dir);
  std::error_code ec;
  const bool have = std::filesystem::exists(file, ec);
  if (!enroll_uri.empty() && have) {
    spdlog::info("kiosk: already enrolled ({}); --enroll ignored", file.string());
  } else if (!enroll_uri.empty()) {
    std::string err;
    auto id = prov::enroll(enroll_uri, &err, enroll_ca);
    if (!id) return "enrollment failed: " + err;
    if (!opts.engine.business_id.empty() && opts.engine.business_id != id->business_id)
      return "enrollment gave business '" + id->business_id + "', not --business '" + opts.engine.business_id + "'";
    if (auto e = prov::save_identity(file, *id); !e.empty()) return "cannot store the identity: " + e;
    spdlog::info("kiosk: enrolled as {} ({}) for {}", id->device_id, protocol::to_string(id->mode), id->business_id);
  }
  if (!std::filesystem::exists(file, ec)) return {};
  std::string err;
  auto id = prov::load_identity(file, &err);
  if (!id) return err;
  opts.engine.device_id = id->device_id;
  opts.engine.business_id = id->business_id;
  opts.engine.mode = id->mode;
  opts.mqtt_uri = id->broker.url;
  opts.mqtt_username = id->broker.username;
  opts.mqtt_password = id->broker.password;
  opts.hub_key = id->hub_key;
  opts.identity_file = file;
  if (!id->broker.ca_pem.empty()) {
    const auto ca = std::filesystem::path(opts.data_dir) / "broker-ca.pem";
    if (auto e = prov::write_file_atomic(ca, id->broker.ca_pem, 0644); !e.empty()) return e;
    opts.mqtt_ca_file = ca.string();
  }
  return {};
}

}  // namespace kh::kiosk
