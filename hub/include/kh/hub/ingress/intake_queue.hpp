#pragma once
// The hub's intake queue: messages Paho has handed over (and so acknowledged to the broker) that
// the writer has not processed yet. Bounded in bytes and in count, with a fair share per device,
// drained round-robin across devices so one device's flood cannot starve the others.
//
// Paho's thread pushes (never blocks); the writer thread drains. The writer takes "everything
// waiting, up to a cap" in one call (`drain`), so a group commit (several orders in one
// transaction, issue 13) can take its batch straight from here instead of one asio post per
// message. A push that does not fit is refused with the reason, so the caller answers it (`busy`,
// retryable) instead of dropping it without a trace.

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <deque>
#include <mutex>
#include <string>
#include <unordered_map>
#include <vector>

namespace kh::hub {

struct intake_limits {
  std::size_t max_bytes = 64 * 1024 * 1024;  ///< payload + topic bytes of everything queued (default 64 MiB)
  std::size_t max_messages = 50'000;         ///< messages queued (default 50,000)
  /// Share of either limit one device may hold (default 1/8): past it that device's messages are
  /// refused while the others still get in.
  std::size_t device_share_divisor = 8;
};

struct intake_item {
  std::string device;  ///< from the topic ("" for topics outside the device scheme)
  std::string topic;
  std::string payload;
  bool retained = false;
  std::chrono::steady_clock::time_point received;
  std::uint64_t seq = 0;  ///< handed-over number, 1, 2, … (shutdown drains up to a number)
  std::size_t wire_size = 0;  ///< payload size on the wire (payload left empty when oversized)
  std::size_t bytes() const noexcept { return topic.size() + payload.size(); }
};

class intake_queue {
 public:
  enum class verdict { queued, full, device_full };

  explicit intake_queue(intake_limits limits = {}) : limits_(limits) {}

  /// Queues the item (assigning its seq) unless the queue or the device's share is full.
  /// `was_empty` tells the caller the drainer must be woken.
  verdict push(intake_item&& item, bool& was_empty);

  /// Moves up to `max` items into `out` (appended), one device at a time in turn, each device's
  /// items in arrival order. Returns how many were moved.
  std::size_t drain(std::vector<intake_item>& out, std::size_t max);

  std::size_t size() const;
  std::size_t bytes() const;
  /// The seq of the last item handed over (pushed or refused), for the shutdown drain limit.
  std::uint64_t last_seq() const;
  const intake_limits& limits() const noexcept { return limits_; }

 private:
  struct device_queue {
    std::deque<intake_item> items;
    std::size_t bytes = 0;
  };
  intake_limits limits_;
  mutable std::mutex mu_;
  std::unordered_map<std::string, device_queue> by_device_;
  std::deque<std::string> ring_;  // devices with queued items, in drain order
  std::size_t count_ = 0;
  std::size_t bytes_ = 0;
  std::uint64_t seq_ = 0;
};

}  // namespace kh::hub
