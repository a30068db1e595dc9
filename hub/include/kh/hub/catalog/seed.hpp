#pragma once
// `kioskhub seed-demo`: a demo café with devices, for the demo script, docs and tests.

#include <nlohmann/json.hpp>

#include "kh/hub/storage/store.hpp"

namespace kh::hub {

/// Slug of the demo business (the idempotency key of seeding).
inline constexpr const char* demo_slug = "demo-cafe";

/// Creates, once, the demo café: 3 categories, 12 products (one with stock 5, one inactive),
/// 10 % VAT included in prices, always open, discount code WELCOME10 (10 %), and two devices
/// `kiosk-1` (shop) and `board-1` (board). Running it again changes nothing and reports the
/// existing demo. Returns
/// {"business":{"id","slug","name"},"devices":[{"id","name","mode"},…]}.
nlohmann::json seed_demo(store& s);

}  // namespace kh::hub
