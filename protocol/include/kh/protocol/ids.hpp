#pragma once
// Identifiers: UUIDs for orders and messages, short slugs for devices, businesses and products.

#include <string>
#include <string_view>

namespace kh::protocol {

/// A random (version 4) UUID in lower-case canonical form.
std::string new_uuid();

/// True for the canonical 8-4-4-4-12 hex form (either case), any version, except the nil UUID
/// (all zeros) and the max UUID (all f): those are placeholders, never a client-made key.
bool is_uuid(std::string_view s) noexcept;

/// The lower-case form of a UUID (ids are compared in this form: `order_id` "ABC…" and "abc…"
/// are the same idempotency key). Input that is not a UUID is returned unchanged.
std::string canonical_uuid(std::string_view s);

/// Device, business, product and category ids: 1–64 characters of [a-z0-9_-], starting with a
/// letter or digit. Safe as an MQTT topic level (no '/', '+', '#').
bool is_slug_id(std::string_view s) noexcept;

}  // namespace kh::protocol
