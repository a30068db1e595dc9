#include "kh/kiosk/core/order_feed.hpp"

#include <algorithm>

namespace kh::kiosk {

bool is_open(protocol::order_state s) noexcept {
  using st = protocol::order_state;
  return s == st::pending_payment || s == st::paid || s == st::preparing || s == st::ready ||
         s == st::out_for_delivery;
}

void order_feed::snapshot(std::int64_t seq, std::vector<feed_order> orders) {
  orders_.clear();
  for (auto& o : orders)
    if (is_open(o.state)) orders_[o.order_id] = std::move(o);
  seq_ = seq;
  synced_ = true;
}

order_feed::outcome order_feed::status(std::int64_t seq, const feed_order& o) {
  if (!synced_) return outcome::unsynced;
  if (seq <= seq_) return outcome::stale;
  const bool gap = seq > seq_ + 1;
  seq_ = seq;
  if (is_open(o.state)) {
    auto it = orders_.find(o.order_id);
    if (it == orders_.end()) {
      orders_[o.order_id] = o;
    } else {
      // A status event may carry only the state: keep what the snapshot told us.
      feed_order merged = it->second;
      merged.state = o.state;
      if (!o.number.empty()) merged.number = o.number;
      if (!o.lines.empty()) merged.lines = o.lines;
      if (!o.customer.empty()) merged.customer = o.customer;
      if (o.placed_ms != 0) merged.placed_ms = o.placed_ms;
      if (o.changed_ms != 0) merged.changed_ms = o.changed_ms;
      if (!o.by_device.empty()) merged.by_device = o.by_device;
      if (o.total.amount != 0) merged.total = o.total;
      if (!o.lines.empty()) {  // a full record (not just a state change)
        merged.payment = o.payment;
        merged.type = o.type;
      }
      it->second = std::move(merged);
    }
  } else {
    orders_.erase(o.order_id);
  }
  return gap ? outcome::gap : outcome::applied;
}

void order_feed::clear() {
  orders_.clear();
  synced_ = false;
}

const feed_order* order_feed::find(const std::string& order_id) const {
  auto it = orders_.find(order_id);
  return it == orders_.end() ? nullptr : &it->second;
}

std::vector<const feed_order*> order_feed::sorted() const {
  std::vector<const feed_order*> v;
  v.reserve(orders_.size());
  for (const auto& [id, o] : orders_) v.push_back(&o);
  std::sort(v.begin(), v.end(), [](const feed_order* a, const feed_order* b) {
    if (a->placed_ms != b->placed_ms) return a->placed_ms < b->placed_ms;
    return a->number < b->number;
  });
  return v;
}

}  // namespace kh::kiosk
