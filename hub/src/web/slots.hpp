#pragma once
// Pickup slots the phone checkout offers, computed from the store profile in the store's time
// zone: slot starts on the local clock's multiples of the slot length, at least the lead time
// ahead, and only those the hub's own check (check_order) accepts now.
#include <chrono>
#include <string>
#include <vector>

#include "kh/protocol/messages.hpp"

namespace kh::hub::web {

struct pickup_slot {
  std::string at;     ///< RFC 3339 (UTC), what order_submit.pickup_at carries
  std::string label;  ///< "09:30", or "Tue 09:30" when not today (store's wall clock)
};

/// At most `max` slots from `now`; empty when the store offers no pickup (or its zone is unknown).
std::vector<pickup_slot> pickup_slots(const protocol::store_profile& p, std::chrono::system_clock::time_point now,
                                      std::size_t max = 48);

}  // namespace kh::hub::web
