// scanner: a worker thread fed through a single-slot mailbox (newest frame wins).
#include <kh/hardware/scanner/scanner.hpp>

#include <condition_variable>
#include <mutex>
#include <thread>

namespace kh::hardware {

struct scanner::state {
  explicit state(scanner_options o, callback cb)
      : options(o), on_event(std::move(cb)), decoder(o.decoder), dedupe(o.dedupe_window) {}

  scanner_options options;
  callback on_event;
  frame_decoder decoder;  // worker thread only
  dedupe_filter dedupe;   // worker thread only

  mutable std::mutex mutex;
  std::condition_variable wake;  // worker: a frame arrived or stop
  std::condition_variable idle;  // wait_idle: the worker finished a frame
  // The mailbox: one frame waiting. The worker swaps it with its own buffer, so after warm-up no
  // frame allocates.
  luminance_image slot;
  std::chrono::steady_clock::time_point slot_time{};
  std::uint64_t slot_sequence = 0;
  bool slot_full = false;
  bool busy = false;  // worker decoding a frame
  bool stopping = false;
  std::deque<scan_event> queue;
  scanner_stats stats;
  std::thread worker;

  void run() {
    luminance_image frame;
    for (;;) {
      std::chrono::steady_clock::time_point time;
      std::uint64_t sequence = 0;
      {
        std::unique_lock lock(mutex);
        wake.wait(lock, [&] { return slot_full || stopping; });
        if (stopping) return;
        std::swap(frame, slot);
        time = slot_time;
        sequence = slot_sequence;
        slot_full = false;
        busy = true;
      }
      const auto codes = decoder.decode(*frame.view());
      const bool over = decoder.last_report().over_budget;
      std::vector<scan_event> fresh;
      std::uint64_t suppressed = 0;
      for (const auto& c : codes) {
        if (dedupe.admit(c.format, c.text, time))
          fresh.push_back(scan_event{c.format, c.text, c.corners, time, sequence});
        else
          ++suppressed;
      }
      if (on_event) {
        for (const auto& e : fresh) {
          // A callback's failure is its own business: it must not kill the scanner thread.
          try {
            on_event(e);
          } catch (...) {
          }
        }
      }
      std::lock_guard lock(mutex);
      ++stats.frames_decoded;
      if (over) ++stats.frames_over_budget;
      stats.codes_read += codes.size();
      stats.events += fresh.size();
      stats.events_suppressed += suppressed;
      if (!on_event) {
        for (auto& e : fresh) {
          if (queue.size() >= std::max<std::size_t>(1, options.queue_capacity)) {
            queue.pop_front();
            ++stats.events_overflowed;
          }
          queue.push_back(std::move(e));
        }
      }
      busy = false;
      idle.notify_all();
    }
  }
};

scanner::scanner(scanner_options options, callback on_event)
    : state_(std::make_unique<state>(options, std::move(on_event))) {
  state_->worker = std::thread([s = state_.get()] { s->run(); });
}

scanner::~scanner() { stop(); }

void scanner::submit(const luminance_view& frame, std::chrono::steady_clock::time_point timestamp,
                     std::uint64_t sequence) {
  std::lock_guard lock(state_->mutex);
  if (state_->stopping) return;
  ++state_->stats.frames_submitted;
  if (state_->slot_full) ++state_->stats.frames_dropped;
  // Copy under the lock: a 640×480 frame is ~0.05 ms of memcpy, far less than a decode, and the
  // buffer is reused when sizes match.
  luminance_image& slot = state_->slot;
  if (slot.width() != frame.width() || slot.height() != frame.height())
    slot = luminance_image(frame.width(), frame.height());
  for (int y = 0; y < frame.height(); ++y) std::copy(frame.row(y), frame.row(y) + frame.width(), slot.row(y));
  state_->slot_time = timestamp;
  state_->slot_sequence = sequence;
  state_->slot_full = true;
  state_->wake.notify_one();
}

void scanner::submit(const camera_frame& frame) {
  if (frame.image) submit(*frame.image, frame.timestamp, frame.sequence);
}

std::optional<scan_event> scanner::poll() {
  std::lock_guard lock(state_->mutex);
  if (state_->queue.empty()) return std::nullopt;
  scan_event e = std::move(state_->queue.front());
  state_->queue.pop_front();
  return e;
}

bool scanner::wait_idle(std::chrono::milliseconds timeout) {
  std::unique_lock lock(state_->mutex);
  return state_->idle.wait_for(lock, timeout, [&] { return state_->stopping || (!state_->slot_full && !state_->busy); });
}

scanner_stats scanner::stats() const {
  std::lock_guard lock(state_->mutex);
  return state_->stats;
}

void scanner::stop() {
  {
    std::lock_guard lock(state_->mutex);
    state_->stopping = true;
    state_->wake.notify_all();
    state_->idle.notify_all();
  }
  if (state_->worker.joinable()) state_->worker.join();
}

}  // namespace kh::hardware
