#include "web/sse.hpp"

#include <algorithm>

namespace kh::hub::web {

void sse_hub::add(const std::string& business_id, std::shared_ptr<http_stream> s, std::int64_t last_seq) {
  std::lock_guard lk(mu_);
  auto& v = subs_[business_id];
  std::erase_if(v, [](const sub& x) { return x.s->closed(); });
  v.push_back({std::move(s), last_seq});
}

std::size_t sse_hub::publish(const std::string& business_id, std::int64_t seq,
                             const std::shared_ptr<const std::string>& frame) {
  std::lock_guard lk(mu_);
  auto it = subs_.find(business_id);
  if (it == subs_.end()) return 0;
  std::size_t n = 0;
  auto& v = it->second;
  for (auto& x : v) {
    // A stream whose backlog already held this event (it connected after the commit) skips it:
    // no event is shown twice.
    if (seq <= x.last_seq) continue;
    if (x.s->push(frame)) {
      x.last_seq = seq;
      ++n;
    }
  }
  std::erase_if(v, [](const sub& x) { return x.s->closed(); });
  return n;
}

std::size_t sse_hub::open(const std::string& business_id) {
  std::lock_guard lk(mu_);
  auto it = subs_.find(business_id);
  if (it == subs_.end()) return 0;
  return static_cast<std::size_t>(std::count_if(it->second.begin(), it->second.end(), [](const sub& x) { return !x.s->closed(); }));
}

std::string sse_hub::frame(std::int64_t seq, const std::string& event, const std::string& json) {
  std::string f = "id: " + std::to_string(seq) + "\nevent: " + event + "\ndata: ";
  f += json;
  f += "\n\n";
  return f;
}

}  // namespace kh::hub::web
