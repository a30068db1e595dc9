#pragma once
// Fan-out of the business' order events to the dashboard's open live streams (server-sent
// events). The writer's event is formatted once on the HTTP thread and pushed into every open
// stream of that business: neither thread waits for a client (a stream that falls too far behind
// is cut off and resumes with Last-Event-ID from the database).
//
// Events are coalesced: the first event after a quiet spell goes out at once; events that follow
// within the window (default 100 ms) go out together at its end, as one write per stream. A busy
// hub then costs its streams one syscall each per window instead of one per order, and a board
// is still at most one window plus one fan-out behind (docs/web.md, /portal/live/events).

#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <mutex>
#include <string>
#include <unordered_map>
#include <utility>
#include <vector>

#include "kh/hub/http/http_server.hpp"

namespace kh::hub::web {

class sse_hub : public std::enable_shared_from_this<sse_hub> {
 public:
  /// Runs `f` once after `delay` on the thread that calls publish (the HTTP thread).
  using defer_fn = std::function<void(std::chrono::milliseconds delay, std::function<void()> f)>;

  /// `window` 0 or no `defer`: every event is pushed at once (tests that run inline). Owned by a
  /// shared_ptr: a deferred flush holds it weakly.
  explicit sse_hub(std::chrono::milliseconds window = {}, defer_fn defer = {});

  /// Registers a stream that has seen every event up to `last_seq` (its backlog was sent).
  void add(const std::string& business_id, std::shared_ptr<http_stream> s, std::int64_t last_seq);
  /// Queues one formatted event (`id: seq`) for the business' streams that have not had it yet:
  /// pushed now when the business had no fan-out within the window, else at the window's end
  /// together with the events that follow it.
  void publish(const std::string& business_id, std::int64_t seq, std::shared_ptr<const std::string> frame);
  /// Pushes what is queued for the business now; drops closed streams. Returns how many streams
  /// got something.
  std::size_t flush(const std::string& business_id);
  /// Streams open for the business (closed ones are dropped on the next fan-out).
  std::size_t open(const std::string& business_id);
  /// Fan-outs (flushes that had events) so far, all businesses.
  std::uint64_t fanouts() const;

  /// One SSE frame: "id: <seq>\nevent: <event>\ndata: <json>\n\n" (json has no newline).
  static std::string frame(std::int64_t seq, const std::string& event, const std::string& json);

 private:
  struct sub {
    std::shared_ptr<http_stream> s;
    std::int64_t last_seq = 0;
  };
  struct business {
    std::vector<sub> subs;
    std::vector<std::pair<std::int64_t, std::shared_ptr<const std::string>>> pending;  // seq order
    std::chrono::steady_clock::time_point last_fanout{};
    bool scheduled = false;
  };
  std::chrono::milliseconds window_;
  defer_fn defer_;
  mutable std::mutex mu_;
  std::unordered_map<std::string, business> by_business_;
  std::uint64_t fanouts_ = 0;
};

}  // namespace kh::hub::web
