#pragma once
// The catalog as devices see it (the retained kh/v1/b/{business}/catalog message).

#include <optional>
#include <string>

#include "kh/hub/storage/store.hpp"
#include "kh/protocol/messages.hpp"

namespace kh::hub {

/// The business' current catalog at its stored version; nullopt for an unknown business.
/// `available` = active and (untracked or stock > 0). Inactive products are listed, unavailable.
std::optional<protocol::catalog> load_catalog(store& s, const std::string& business_id);

/// Bumps the business' catalog version (own transaction) and returns the catalog at that new
/// version: what the hub publishes after a change. nullopt for an unknown business.
std::optional<protocol::catalog> next_catalog(store& s, const std::string& business_id);

}  // namespace kh::hub
