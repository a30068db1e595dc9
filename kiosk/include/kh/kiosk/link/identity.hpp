#pragma once
// The kiosk's identity (kh::provisioning identity file, DIR/identity.json): enrollment with the
// hub, and applying a stored identity to the link options.

#include <string>

#include "kh/kiosk/link/link.hpp"

namespace kh::kiosk {

/// If `enroll_uri` is set and DIR/identity.json does not exist yet, enrolls with the hub and
/// stores the identity (0600, atomically) and the broker's CA as DIR/broker-ca.pem. Then, when an
/// identity exists, sets device id, business, mode, broker URL and account, CA file, hub key and
/// identity file in `opts` (the identity wins over flags). Returns an error text, empty on success.
std::string apply_identity(link_options& opts, const std::string& enroll_uri, const std::string& enroll_ca = {});

}  // namespace kh::kiosk
