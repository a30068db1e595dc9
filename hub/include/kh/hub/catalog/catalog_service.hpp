#pragma once
// The catalog as devices see it (the retained kh/v1/b/{business}/catalog message).

#include <chrono>
#include <optional>
#include <string>

#include "kh/hub/storage/store.hpp"
#include "kh/protocol/messages.hpp"

namespace kh::hub {

/// The business' current catalog at its stored version, with its store profile and every
/// product's option groups; nullopt for an unknown business. `available` = active and
/// (untracked or stock > 0). Inactive products are listed, unavailable. An `image_url` stored as a
/// path ("/img/…", what the seed and the portal store) is made absolute with `image_base`
/// (e.g. "http://127.0.0.1:8080"; default empty: left as stored).
std::optional<protocol::catalog> load_catalog(store& s, const std::string& business_id,
                                              const std::string& image_base = {});

/// Bumps the business' catalog version (own transaction) and returns the catalog at that new
/// version: what the hub publishes after a change. nullopt for an unknown business.
std::optional<protocol::catalog> next_catalog(store& s, const std::string& business_id,
                                              const std::string& image_base = {});

/// Prices a quote from `device_id` at `now`: the device must be a known, enabled shop/counter
/// device (else `forbidden`); then `protocol::quote_cart` over the current catalog with the
/// discount code looked up (unknown → an `invalid_discount` problem, priced without it) and the
/// store profile's order rules (`check_order` without payment, `business_closed`,
/// `invalid_slot`, …) as order-level problems. Reads only; never throws (`internal`).
protocol::result<protocol::order_quoted> quote_order(store& s, const std::string& device_id,
                                                     const protocol::order_quote& q,
                                                     std::chrono::system_clock::time_point now);

}  // namespace kh::hub
