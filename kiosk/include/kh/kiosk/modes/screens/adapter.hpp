#pragma once
// The link-side adapter of the board and counter: the hub's messages (docs/protocol.md "Staff
// actions, order snapshot and sequence") into the pure cores' events. No I/O.

#include <string>

#include "kh/kiosk/core/catalog_view.hpp"
#include "kh/kiosk/core/counter.hpp"
#include "kh/kiosk/core/order_feed.hpp"
#include "kh/protocol/staff.hpp"

namespace kh::kiosk::screens {

/// An open order as the cores hold it; line categories come from the catalog (routing), when known.
feed_order to_feed(const protocol::open_order& o, const catalog_view* catalog);
/// An order.status event; only the state when it carries no `order`.
feed_order to_feed(const protocol::order_status& s, const catalog_view* catalog);
/// The hub's answer to one of our actions. `at` of already_collected becomes local HH:MM.
counter::answer to_answer(const protocol::order_action_result& r, counter::answer::kind what);
/// RFC 3339 → ms since the epoch (0 when empty or malformed).
std::int64_t epoch_ms(const std::string& rfc3339);
/// RFC 3339 → local "HH:MM" (empty when malformed).
std::string local_hhmm(const std::string& rfc3339);

}  // namespace kh::kiosk::screens
