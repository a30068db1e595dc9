#include "kh/hub/ingress/intake_queue.hpp"

#include <algorithm>

namespace kh::hub {

intake_queue::verdict intake_queue::push(intake_item&& item, bool& was_empty) {
  const std::size_t b = item.bytes();
  std::lock_guard lk(mu_);
  ++seq_;
  was_empty = count_ == 0;
  if (count_ + 1 > limits_.max_messages || bytes_ + b > limits_.max_bytes) return verdict::full;
  const std::size_t div = std::max<std::size_t>(1, limits_.device_share_divisor);
  auto& dq = by_device_[item.device];
  if (dq.items.size() + 1 > std::max<std::size_t>(1, limits_.max_messages / div) ||
      dq.bytes + b > std::max<std::size_t>(b, limits_.max_bytes / div)) {
    if (dq.items.empty()) by_device_.erase(item.device);
    return verdict::device_full;
  }
  if (dq.items.empty()) ring_.push_back(item.device);
  item.seq = seq_;
  dq.bytes += b;
  dq.items.push_back(std::move(item));
  ++count_;
  bytes_ += b;
  return verdict::queued;
}

std::size_t intake_queue::drain(std::vector<intake_item>& out, std::size_t max) {
  std::lock_guard lk(mu_);
  std::size_t moved = 0;
  while (moved < max && !ring_.empty()) {
    const std::string device = std::move(ring_.front());
    ring_.pop_front();
    auto it = by_device_.find(device);
    if (it == by_device_.end() || it->second.items.empty()) continue;
    auto& dq = it->second;
    auto item = std::move(dq.items.front());
    dq.items.pop_front();
    dq.bytes -= item.bytes();
    bytes_ -= item.bytes();
    --count_;
    out.push_back(std::move(item));
    ++moved;
    if (dq.items.empty()) {
      by_device_.erase(it);
    } else {
      ring_.push_back(device);
    }
  }
  return moved;
}

std::size_t intake_queue::size() const {
  std::lock_guard lk(mu_);
  return count_;
}

std::size_t intake_queue::bytes() const {
  std::lock_guard lk(mu_);
  return bytes_;
}

std::uint64_t intake_queue::last_seq() const {
  std::lock_guard lk(mu_);
  return seq_;
}

}  // namespace kh::hub
