#pragma once
// The MQTT topic scheme (fixed; tooling outside the project relies on it):
//   kh/v1/d/{device}/up/{type}      device → hub
//   kh/v1/d/{device}/down/{type}    hub → device
//   kh/v1/d/{device}/presence       retained "online" / Last Will "offline"
//   kh/v1/b/{business}/catalog      retained catalog
//   kh/v1/b/{business}/orders       order status events for boards and counters

#include <optional>
#include <string>
#include <string_view>

namespace kh::protocol::topics {

std::string device_up(std::string_view device, std::string_view type);
std::string device_down(std::string_view device, std::string_view type);
std::string presence(std::string_view device);
std::string business_catalog(std::string_view business);
std::string business_orders(std::string_view business);

/// Filters the hub subscribes to.
inline constexpr std::string_view all_device_up = "kh/v1/d/+/up/#";
inline constexpr std::string_view all_presence = "kh/v1/d/+/presence";
/// Filter a device subscribes to for its own downlink.
std::string device_down_filter(std::string_view device);

/// Presence payloads (plain text, retained).
inline constexpr std::string_view presence_online = "online";
inline constexpr std::string_view presence_offline = "offline";

enum class kind { device_up, device_down, presence, business_catalog, business_orders };

struct parsed {
  topics::kind kind;
  std::string id;    ///< device id or business id
  std::string type;  ///< message type for up/down, empty otherwise
};

/// Parses a topic of the scheme; nullopt for anything else (wrong prefix, bad id, extra levels).
std::optional<parsed> parse(std::string_view topic);

}  // namespace kh::protocol::topics
