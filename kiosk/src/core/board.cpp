#include "kh/kiosk/core/board.hpp"

#include <algorithm>

namespace kh::kiosk::board {

namespace {
using st = protocol::order_state;

bool on_board(st s) { return s == st::paid || s == st::preparing || s == st::ready; }

// Numbers that are ready but were not seen turning ready (a snapshot) get "now" without highlight:
// their clock starts when the hub's changed_ms says, if known.
void sync_ready(state& s, std::int64_t now_ms, const timings& t, bool from_snapshot) {
  for (auto it = s.ready_since.begin(); it != s.ready_since.end();) {
    const auto* o = s.feed.find(it->first);
    if (o == nullptr || o->state != st::ready) it = s.ready_since.erase(it);
    else ++it;
  }
  for (const auto& [id, o] : s.feed.orders())
    if (o.state == st::ready && !s.ready_since.count(id))
      s.ready_since[id] = from_snapshot ? now_ms - t.highlight_ms : now_ms;
}
}  // namespace

std::vector<effect> step(state& s, const event& e, std::int64_t now_ms, const timings& t) {
  std::vector<effect> fx;
  if (const auto* c = std::get_if<events::connection>(&e)) {
    if (c->connected && !s.online) {
      s.online = true;
      s.resyncing = true;
      fx.emplace_back(effects::request_snapshot{});  // start and every reconnect
    } else if (!c->connected && s.online) {
      s.online = false;
      s.offline_since_ms = now_ms;
    }
  } else if (const auto* sn = std::get_if<events::snapshot>(&e)) {
    s.feed.snapshot(sn->seq, sn->orders);
    s.resyncing = false;
    s.stale = false;
    sync_ready(s, now_ms, t, true);
  } else if (const auto* ev = std::get_if<events::status>(&e)) {
    const auto* before = s.feed.find(ev->order.order_id);
    const bool was_ready = before != nullptr && before->state == st::ready;
    const auto r = s.feed.status(ev->seq, ev->order);
    if (r == order_feed::outcome::gap && !s.resyncing) {
      s.resyncing = true;
      fx.emplace_back(effects::request_snapshot{});
    }
    if (r == order_feed::outcome::applied || r == order_feed::outcome::gap) {
      if (ev->order.state == st::ready && !was_ready) {
        s.ready_since[ev->order.order_id] = now_ms;
        ++s.chimes;
        fx.emplace_back(effects::chime{});
      }
      sync_ready(s, now_ms, t, false);
    }
  } else if (const auto* p = std::get_if<events::profile>(&e)) {
    s.store_name = p->store_name;
    s.banner = p->banner;
  } else if (const auto* l = std::get_if<events::language>(&e)) {
    s.language = l->code;
  } else if (std::holds_alternative<events::tick>(e)) {
    if (!s.online && !s.stale && s.feed.synced() && now_ms - s.offline_since_ms > t.keepalive_ms) {
      // Never show what may no longer be true as if it were current.
      s.stale = true;
      s.feed.clear();
      s.ready_since.clear();
    }
  }
  return fx;
}

columns visible(const state& s, std::int64_t now_ms, const timings& t) {
  columns c;
  if (s.stale) return c;
  std::vector<std::pair<std::int64_t, shown_number>> ready;
  for (const auto* o : s.feed.sorted()) {
    if (!on_board(o->state)) continue;
    if (o->state == st::ready) {
      auto it = s.ready_since.find(o->order_id);
      const std::int64_t since = it == s.ready_since.end() ? now_ms : it->second;
      if (now_ms - since >= t.ready_clear_ms) continue;  // stale: nobody came, it leaves the board
      ready.push_back({since, {o->order_id, o->number, now_ms - since < t.highlight_ms}});
    } else {
      c.preparing.push_back({o->order_id, o->number, false});
    }
  }
  std::stable_sort(ready.begin(), ready.end(), [](const auto& a, const auto& b) { return a.first > b.first; });
  for (auto& r : ready) c.ready.push_back(std::move(r.second));
  return c;
}

bool animating(const state& s, std::int64_t now_ms, const timings& t) {
  for (const auto& [id, since] : s.ready_since)
    if (now_ms - since < t.highlight_ms) return true;
  return false;
}

}  // namespace kh::kiosk::board
