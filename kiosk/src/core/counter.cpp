#include "kh/kiosk/core/counter.hpp"

#include <algorithm>
#include <cctype>

namespace kh::kiosk::counter {

namespace {
using st = protocol::order_state;

void say(state& s, notice::kind k, std::string key, std::vector<std::string> args, std::int64_t now_ms) {
  s.note = {k, std::move(key), std::move(args), now_ms + s.cfg.notice_ms};
}

bool is_uuid(const std::string& t) {
  if (t.size() != 36) return false;
  for (std::size_t i = 0; i < t.size(); ++i) {
    const char c = t[i];
    if (i == 8 || i == 13 || i == 18 || i == 23) {
      if (c != '-') return false;
    } else if (!std::isxdigit(static_cast<unsigned char>(c))) {
      return false;
    }
  }
  return true;
}

std::string number_of(const state& s, const std::string& order_id) {
  const auto* o = s.feed.find(order_id);
  return o ? o->number : std::string();
}

void close_dialog(state& s) {
  s.open = dialog::none;
  s.focus.clear();
  s.entry.clear();
}

// A new order in a lane this counter shows (routing applied): one tone per order.
void announce(state& s, std::vector<effect>& fx, bool quietly) {
  bool any = false;
  for (const auto& [id, o] : s.feed.orders()) {
    lane l;
    if (!lane_of(o, l) || routed_lines(s.cfg, o).empty()) continue;
    if (s.seen.insert(id).second && !quietly) any = true;
  }
  for (auto it = s.seen.begin(); it != s.seen.end();)
    it = s.feed.find(*it) ? std::next(it) : s.seen.erase(it);
  if (any) {
    ++s.tones;
    fx.emplace_back(effects::tone{});
  }
}

void on_tap(state& s, const action& a, std::vector<effect>& fx, std::int64_t now_ms) {
  using k = action::kind;
  const auto* o = a.order_id.empty() ? s.feed.find(s.focus) : s.feed.find(a.order_id);
  switch (a.what) {
    case k::advance:
      if (o == nullptr || s.pending.count(o->order_id)) return;
      if (!s.online) return say(s, notice::kind::error, "counter.offline", {}, now_ms);
      s.pending.insert(o->order_id);
      fx.emplace_back(effects::advance{o->order_id, a.to});
      return;
    case k::open_detail:
      if (o == nullptr) return;
      s.open = dialog::detail;
      s.focus = o->order_id;
      s.entry.clear();
      return;
    case k::take_cash:
      if (o == nullptr || o->state != st::pending_payment) return;
      s.open = dialog::cash;
      s.focus = o->order_id;
      s.entry.clear();
      return;
    case k::digit:
      if (s.open == dialog::cash && s.entry.size() < 7) s.entry += a.arg;
      if (s.open == dialog::cancel_pin && s.entry.size() < 8) s.entry += a.arg;
      while (s.open == dialog::cash && s.entry.size() > 1 && s.entry.front() == '0') s.entry.erase(0, 1);
      return;
    case k::backspace:
      if (!s.entry.empty()) s.entry.pop_back();
      return;
    case k::quick_cash:
      if (s.open == dialog::cash) s.entry = std::to_string(a.amount);
      return;
    case k::confirm:
      if (s.open == dialog::cash) {
        if (o == nullptr) return close_dialog(s);
        const std::int64_t tendered = s.entry.empty() ? 0 : std::stoll(s.entry);
        if (tendered < o->total.amount) return say(s, notice::kind::error, "counter.cash_short", {}, now_ms);
        if (!s.online) return say(s, notice::kind::error, "counter.offline", {}, now_ms);
        if (s.pending.count(o->order_id)) return;
        s.pending.insert(o->order_id);
        fx.emplace_back(effects::take_cash{o->order_id, {tendered, o->total.currency}});
      } else if (s.open == dialog::cancel_pin) {
        if (s.entry.empty()) return;
        fx.emplace_back(effects::verify_pin{s.entry});
        s.entry.clear();
      }
      return;
    case k::cancel_order:
      if (o == nullptr) return;
      s.open = dialog::cancel_pin;
      s.focus = o->order_id;
      s.entry.clear();
      return;
    case k::reason:
      if (s.open != dialog::cancel_reason || o == nullptr) return;
      if (std::find(std::begin(k_cancel_reasons), std::end(k_cancel_reasons), a.arg) == std::end(k_cancel_reasons)) return;
      if (!s.online) return say(s, notice::kind::error, "counter.offline", {}, now_ms);
      s.pending.insert(o->order_id);
      fx.emplace_back(effects::cancel{o->order_id, a.arg});
      close_dialog(s);
      return;
    case k::reprint:
      if (o == nullptr) return;
      fx.emplace_back(effects::reprint{o->order_id});
      say(s, notice::kind::info, "counter.reprinted", {o->number}, now_ms);
      return;
    case k::close:
      close_dialog(s);
      return;
    case k::toggle_large_text:
      s.large_text = !s.large_text;
      return;
  }
}

void on_answer(state& s, const answer& a, std::int64_t now_ms) {
  s.pending.erase(a.order_id);
  const std::string number = !a.number.empty() ? a.number : number_of(s, a.order_id);
  using k = answer::kind;
  if (a.ok) {
    switch (a.what) {
      case k::collect:
        say(s, notice::kind::ok, "counter.collected", {number}, now_ms);
        break;
      case k::cash:
        s.tendered = a.tendered;
        s.change = a.change;
        s.open = dialog::cash_done;
        s.focus = a.order_id;
        s.entry.clear();
        break;
      case k::cancel:
        say(s, notice::kind::info, "counter.cancelled", {number}, now_ms);
        break;
      case k::advance:
        break;  // the lane change says it
    }
    return;
  }
  if (a.code == "already_collected")
    say(s, notice::kind::error, "counter.already_collected",
        {number, a.at_hhmm.empty() ? "?" : a.at_hhmm, a.by_device.empty() ? "?" : a.by_device}, now_ms);
  else if (a.code == "not_ready")
    say(s, notice::kind::error, "counter.not_ready", {number}, now_ms);
  else if (a.code == "forbidden" || a.code == "wrong_business")
    say(s, notice::kind::error, "counter.other_business", {}, now_ms);
  else if (a.code == "unknown_order" || a.code == "invalid_ticket")
    say(s, notice::kind::error, "counter.unknown_ticket", {}, now_ms);
  else if (a.code == "insufficient_cash")
    say(s, notice::kind::error, "counter.cash_short", {}, now_ms);
  else if (a.code == "not_paid")
    say(s, notice::kind::error, "counter.not_paid", {number}, now_ms);
  else
    say(s, notice::kind::error, "counter.failed", {number, a.code}, now_ms);
  if (a.what == k::cash && s.open == dialog::cash) close_dialog(s);
}
}  // namespace

const char* to_string(lane l) noexcept {
  switch (l) {
    case lane::to_pay: return "to_pay";
    case lane::paid: return "paid";
    case lane::preparing: return "preparing";
    case lane::ready: return "ready";
  }
  return "paid";
}

const char* to_string(dialog d) noexcept {
  switch (d) {
    case dialog::none: return "none";
    case dialog::detail: return "detail";
    case dialog::cash: return "cash";
    case dialog::cash_done: return "cash_done";
    case dialog::cancel_pin: return "cancel_pin";
    case dialog::cancel_reason: return "cancel_reason";
  }
  return "none";
}

ticket parse_ticket(const std::string& payload) {
  // docs/protocol.md "Ticket QR payload": the order UUID, or a URL ending in /o/<uuid>.
  std::string t = payload;
  while (!t.empty() && std::isspace(static_cast<unsigned char>(t.back()))) t.pop_back();
  std::size_t b = 0;
  while (b < t.size() && std::isspace(static_cast<unsigned char>(t[b]))) ++b;
  t.erase(0, b);
  if (t.size() > 36 && t.find("://") != std::string::npos) {
    const auto o = t.rfind("/o/");
    if (o == std::string::npos || t.size() - o - 3 != 36) return {};
    t = t.substr(o + 3);
  }
  if (!is_uuid(t)) return {};
  for (auto& c : t) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return {{}, t};
}

bool lane_of(const feed_order& o, lane& out) noexcept {
  switch (o.state) {
    case st::pending_payment:
      if (o.payment != protocol::payment_method::cash) return false;
      out = lane::to_pay;
      return true;
    case st::paid: out = lane::paid; return true;
    case st::preparing: out = lane::preparing; return true;
    case st::ready:
    case st::out_for_delivery: out = lane::ready; return true;
    default: return false;
  }
}

std::vector<const feed_line*> routed_lines(const settings& c, const feed_order& o) {
  std::vector<const feed_line*> v;
  for (const auto& l : o.lines)
    if (c.categories.empty() ||
        std::find(c.categories.begin(), c.categories.end(), l.category_id) != c.categories.end())
      v.push_back(&l);
  return v;
}

std::vector<const feed_order*> lane_orders(const state& s, lane l) {
  std::vector<const feed_order*> v;
  for (const auto* o : s.feed.sorted()) {
    lane ol;
    if (!lane_of(*o, ol) || ol != l) continue;
    // Routing hides orders with nothing for this counter, except payment (any counter takes cash).
    if (l != lane::to_pay && !s.cfg.categories.empty() && routed_lines(s.cfg, *o).empty()) continue;
    v.push_back(o);
  }
  return v;
}

bool next_step(const feed_order& o, protocol::order_state& to) noexcept {
  switch (o.state) {
    case st::paid: to = st::preparing; return true;
    case st::preparing: to = st::ready; return true;
    case st::ready:
      to = o.type == protocol::order_type::delivery ? st::out_for_delivery : st::collected;
      return true;
    case st::out_for_delivery: to = st::delivered; return true;
    default: return false;
  }
}

age_level age_of(const state& s, const feed_order& o, std::int64_t now_ms) noexcept {
  const auto age = now_ms - o.placed_ms;
  if (o.placed_ms <= 0) return age_level::fresh;
  if (age >= s.cfg.red_ms) return age_level::red;
  if (age >= s.cfg.amber_ms) return age_level::amber;
  return age_level::fresh;
}

void apply_age_thresholds(settings& c, const age_sources& src) noexcept {
  const settings defaults;
  const std::int64_t amber = src.flag_amber_s   ? *src.flag_amber_s * 1000
                             : src.profile_amber_s ? *src.profile_amber_s * 1000
                                                   : defaults.amber_ms;
  const std::int64_t red = src.flag_red_s   ? *src.flag_red_s * 1000
                           : src.profile_red_s ? *src.profile_red_s * 1000
                                               : defaults.red_ms;
  c.amber_ms = amber;
  c.red_ms = std::max(red, amber);
}

std::vector<std::pair<std::string, int>> all_day(const state& s) {
  std::map<std::string, int> n;
  for (const auto& [id, o] : s.feed.orders()) {
    if (o.state != st::paid && o.state != st::preparing) continue;
    for (const auto* l : routed_lines(s.cfg, o)) n[l->name] += l->qty;
  }
  std::vector<std::pair<std::string, int>> v(n.begin(), n.end());
  std::stable_sort(v.begin(), v.end(), [](const auto& a, const auto& b) { return a.second > b.second; });
  return v;
}

std::vector<std::int64_t> quick_amounts(std::int64_t total) {
  std::vector<std::int64_t> v{total};
  for (std::int64_t step : {500, 1000, 2000, 5000}) {
    const std::int64_t up = (total + step - 1) / step * step;
    if (up > v.back()) v.push_back(up);
  }
  return v;
}

std::vector<effect> step(state& s, const event& e, std::int64_t now_ms) {
  std::vector<effect> fx;
  if (const auto* c = std::get_if<events::connection>(&e)) {
    if (c->connected && !s.online) {
      s.online = true;
      s.resyncing = true;
      fx.emplace_back(effects::request_snapshot{});
    } else if (!c->connected) {
      s.online = false;
      // Whatever was in flight gets no answer over this connection: the buttons come back.
      s.pending.clear();
    }
  } else if (const auto* sn = std::get_if<events::snapshot>(&e)) {
    const bool first = !s.feed.synced();
    s.feed.snapshot(sn->seq, sn->orders);
    s.resyncing = false;
    announce(s, fx, first);
    if (!s.focus.empty() && !s.feed.find(s.focus) && s.open != dialog::cash_done) close_dialog(s);
  } else if (const auto* ev = std::get_if<events::status>(&e)) {
    const auto r = s.feed.status(ev->seq, ev->order);
    if (r == order_feed::outcome::gap && !s.resyncing) {
      s.resyncing = true;
      fx.emplace_back(effects::request_snapshot{});
    }
    if (r == order_feed::outcome::applied || r == order_feed::outcome::gap) {
      s.pending.erase(ev->order.order_id);
      announce(s, fx, false);
      if (s.focus == ev->order.order_id && !s.feed.find(s.focus) && s.open != dialog::cash_done) close_dialog(s);
    }
  } else if (const auto* t = std::get_if<events::tap>(&e)) {
    on_tap(s, t->a, fx, now_ms);
  } else if (const auto* sc = std::get_if<events::scan>(&e)) {
    const auto tk = parse_ticket(sc->payload);
    if (tk.order_id.empty()) {
      say(s, notice::kind::error, "counter.not_a_ticket", {}, now_ms);
    } else if (!s.online) {
      say(s, notice::kind::error, "counter.offline", {}, now_ms);
    } else if (const auto* o = s.feed.find(tk.order_id);
               o != nullptr && o->state != st::ready && o->state != st::out_for_delivery) {
      say(s, notice::kind::error, "counter.not_ready", {o->number}, now_ms);
    } else if (!s.pending.count(tk.order_id)) {
      // Ready here, or unknown here (collected already, another business): the hub decides.
      s.pending.insert(tk.order_id);
      say(s, notice::kind::info, "counter.checking", {}, now_ms);
      fx.emplace_back(effects::collect{tk.order_id, sc->payload});
    }
  } else if (const auto* a = std::get_if<events::answered>(&e)) {
    on_answer(s, a->a, now_ms);
  } else if (const auto* p = std::get_if<events::pin_result>(&e)) {
    if (s.open != dialog::cancel_pin) return fx;
    if (p->ok) {
      s.open = dialog::cancel_reason;
      s.pin_attempts = 0;
    } else {
      ++s.pin_attempts;
      say(s, notice::kind::error, "counter.wrong_pin", {}, now_ms);
    }
  } else if (std::holds_alternative<events::tick>(e)) {
    if (s.note.until_ms != 0 && now_ms >= s.note.until_ms) s.note = {};
  }
  return fx;
}

}  // namespace kh::kiosk::counter
