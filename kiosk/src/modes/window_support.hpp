#pragma once
// What the kiosk's windows (modes/shop and modes/screens for counter and board) share: the
// bounded task queue between the render thread and the worker, and the control socket's error
// answer. Private to kh::kiosk.

#include <condition_variable>
#include <cstddef>
#include <deque>
#include <functional>
#include <mutex>
#include <string>
#include <utility>

#include <nlohmann/json.hpp>

namespace kh::kiosk::window {

/// A bounded FIFO of tasks run by one thread.
class task_queue {
 public:
  explicit task_queue(std::size_t cap) : cap_(cap) {}
  /// False (the task dropped) when `cap` tasks are waiting.
  bool push(std::function<void()> f) {
    std::lock_guard lk(mu_);
    if (q_.size() >= cap_) return false;
    q_.push_back(std::move(f));
    cv_.notify_one();
    return true;
  }
  std::deque<std::function<void()>> take_all() {
    std::lock_guard lk(mu_);
    return std::exchange(q_, {});
  }
  /// Blocks until a task or close(); false once closed and empty.
  bool pop(std::function<void()>& f) {
    std::unique_lock lk(mu_);
    cv_.wait(lk, [&] { return closed_ || !q_.empty(); });
    if (q_.empty()) return false;
    f = std::move(q_.front());
    q_.pop_front();
    return true;
  }
  void close() {
    std::lock_guard lk(mu_);
    closed_ = true;
    cv_.notify_all();
  }

 private:
  std::size_t cap_;
  std::mutex mu_;
  std::condition_variable cv_;
  std::deque<std::function<void()>> q_;
  bool closed_ = false;
};

/// The control socket's answer to a command it could not carry out (docs/kiosk.md).
inline nlohmann::json error_json(const std::string& code, const std::string& msg) {
  return nlohmann::json{{"ok", false}, {"error", code}, {"message", msg}};
}

}  // namespace kh::kiosk::window
