#include "web/sse.hpp"

#include <algorithm>

namespace kh::hub::web {

sse_hub::sse_hub(std::chrono::milliseconds window, defer_fn defer) : window_(window), defer_(std::move(defer)) {}

void sse_hub::add(const std::string& business_id, std::shared_ptr<http_stream> s, std::int64_t last_seq) {
  std::lock_guard lk(mu_);
  auto& v = by_business_[business_id].subs;
  std::erase_if(v, [](const sub& x) { return x.s->closed(); });
  v.push_back({std::move(s), last_seq});
}

void sse_hub::publish(const std::string& business_id, std::int64_t seq, std::shared_ptr<const std::string> frame) {
  bool now = false;
  std::chrono::milliseconds wait{};
  {
    std::lock_guard lk(mu_);
    auto& b = by_business_[business_id];
    b.pending.emplace_back(seq, std::move(frame));
    if (b.scheduled) return;  // goes out with the window's flush
    const auto since = std::chrono::steady_clock::now() - b.last_fanout;
    if (!defer_ || window_.count() <= 0 || since >= window_) {
      now = true;
    } else {
      b.scheduled = true;
      wait = std::chrono::ceil<std::chrono::milliseconds>(window_ - since);
    }
  }
  if (now) {
    flush(business_id);
  } else {
    defer_(wait, [w = weak_from_this(), business_id] {
      if (auto self = w.lock()) self->flush(business_id);
    });
  }
}

std::size_t sse_hub::flush(const std::string& business_id) {
  std::lock_guard lk(mu_);
  auto it = by_business_.find(business_id);
  if (it == by_business_.end()) return 0;
  auto& b = it->second;
  b.scheduled = false;
  if (b.pending.empty()) return 0;
  b.last_fanout = std::chrono::steady_clock::now();
  ++fanouts_;
  auto pending = std::move(b.pending);
  b.pending.clear();
  // One chunk for every stream that had none of these events yet (all but streams that opened
  // during the window, whose backlog held some of them).
  std::shared_ptr<const std::string> all;
  if (pending.size() == 1) {
    all = pending.front().second;
  } else {
    std::string joined;
    std::size_t bytes = 0;
    for (const auto& p : pending) bytes += p.second->size();
    joined.reserve(bytes);
    for (const auto& p : pending) joined += *p.second;
    all = std::make_shared<const std::string>(std::move(joined));
  }
  const std::int64_t first = pending.front().first, last = pending.back().first;
  std::size_t n = 0;
  for (auto& x : b.subs) {
    // A stream whose backlog already held an event (it connected after the commit) skips it: no
    // event is shown twice.
    if (last <= x.last_seq) continue;
    bool ok;
    if (first > x.last_seq) {
      ok = x.s->push(all);
    } else {
      std::string part;
      for (const auto& p : pending)
        if (p.first > x.last_seq) part += *p.second;
      ok = x.s->push(std::move(part));
    }
    if (ok) {
      x.last_seq = last;
      ++n;
    }
  }
  std::erase_if(b.subs, [](const sub& x) { return x.s->closed(); });
  if (b.subs.empty()) by_business_.erase(it);
  return n;
}

std::size_t sse_hub::open(const std::string& business_id) {
  std::lock_guard lk(mu_);
  auto it = by_business_.find(business_id);
  if (it == by_business_.end()) return 0;
  const auto& v = it->second.subs;
  return static_cast<std::size_t>(std::count_if(v.begin(), v.end(), [](const sub& x) { return !x.s->closed(); }));
}

std::uint64_t sse_hub::fanouts() const {
  std::lock_guard lk(mu_);
  return fanouts_;
}

std::string sse_hub::frame(std::int64_t seq, const std::string& event, const std::string& json) {
  std::string f = "id: " + std::to_string(seq) + "\nevent: " + event + "\ndata: ";
  f += json;
  f += "\n\n";
  return f;
}

}  // namespace kh::hub::web
