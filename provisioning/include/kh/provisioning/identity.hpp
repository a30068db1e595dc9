#pragma once
// A device's identity file (DIR/identity.json, mode 0600, written atomically): what enrollment
// hands the kiosk and everything it needs to connect and to trust the hub.
//
// {"device_id":"shop-1a2b3c4d","business_id":"…","mode":"shop","name":"Front kiosk",
//  "broker":{"url":"ssl://127.0.0.1:8883","client_id":"shop-1a2b3c4d","username":"shop-1a2b3c4d",
//            "password":"…","ca_pem":"-----BEGIN CERTIFICATE-----…"},
//  "hub_key":"ed25519:…","credentials_generation":1,"hub_url":"http://…"}

#include <cstdint>
#include <filesystem>
#include <optional>
#include <string>

#include <nlohmann/json.hpp>

#include "kh/protocol/messages.hpp"
#include "kh/protocol/result.hpp"

namespace kh::provisioning {

struct broker_account {
  std::string url;        ///< "ssl://host:8883" or "tcp://host:1883"
  std::string client_id;  ///< the broker accepts this account only under this client id
  std::string username;   ///< empty: the broker has no accounts (development)
  std::string password;
  std::string ca_pem;     ///< CA certificate(s) for ssl://; empty: system trust / plain tcp
};

struct identity {
  std::string device_id;
  std::string business_id;
  protocol::device_mode mode = protocol::device_mode::shop;
  std::string name;
  broker_account broker;
  std::string hub_key;  ///< "ed25519:<base64>": catalogs, config and credentials must verify with it
  std::int64_t credentials_generation = 1;
  std::string hub_url;  ///< where enrollment happened (informative)
};

nlohmann::json to_json(const identity& id);
/// Strict: every required field present and well-formed (slug ids, mode word, hub key).
protocol::result<identity> identity_from_json(const nlohmann::json& j);

/// DIR/identity.json
std::filesystem::path identity_path(const std::filesystem::path& data_dir);
/// Writes atomically with mode 0600; empty string on success, else the error.
std::string save_identity(const std::filesystem::path& file, const identity& id);
/// Loads and validates; nullopt with `error` set when missing or invalid.
std::optional<identity> load_identity(const std::filesystem::path& file, std::string* error = nullptr);

}  // namespace kh::provisioning
