#include "kh/kiosk/modes/screens/adapter.hpp"

#include <ctime>

#include "kh/protocol/time.hpp"

namespace kh::kiosk::screens {

std::int64_t epoch_ms(const std::string& rfc) {
  if (rfc.empty()) return 0;
  const auto tp = protocol::parse_rfc3339(rfc);
  if (!tp) return 0;
  return std::chrono::duration_cast<std::chrono::milliseconds>(tp->time_since_epoch()).count();
}

std::string local_hhmm(const std::string& rfc) {
  const auto ms = epoch_ms(rfc);
  if (ms == 0) return {};
  const std::time_t t = static_cast<std::time_t>(ms / 1000);
  std::tm tm{};
  localtime_r(&t, &tm);
  char b[8];
  std::strftime(b, sizeof b, "%H:%M", &tm);
  return b;
}

feed_order to_feed(const protocol::open_order& o, const catalog_view* catalog) {
  feed_order f;
  f.order_id = o.order_id;
  f.number = o.number;
  f.state = o.state;
  f.type = o.type;
  f.payment = o.payment;
  f.customer = o.customer_name;
  f.total = o.total;
  f.placed_ms = epoch_ms(o.created_at);
  for (const auto& l : o.lines) {
    feed_line fl;
    fl.qty = l.qty;
    fl.product_id = l.product_id;
    fl.name = l.name;
    fl.note = l.note;
    for (const auto& opt : l.options) fl.options.push_back(opt.name);
    if (catalog != nullptr)
      if (const auto* p = catalog->find_id(l.product_id)) fl.category_id = p->category_id;
    f.lines.push_back(std::move(fl));
  }
  return f;
}

feed_order to_feed(const protocol::order_status& s, const catalog_view* catalog) {
  feed_order f;
  if (s.order) f = to_feed(*s.order, catalog);
  f.order_id = s.order_id;
  f.number = s.number;
  f.state = s.state;
  f.changed_ms = epoch_ms(s.at);
  f.by_device = s.by.rfind("device:", 0) == 0 ? s.by.substr(7) : s.by;
  return f;
}

counter::answer to_answer(const protocol::order_action_result& r, counter::answer::kind what) {
  counter::answer a;
  a.what = what;
  a.order_id = r.order_id;
  a.number = r.number;
  a.ok = r.ok;
  if (r.state) a.state = *r.state;
  if (!r.ok) a.code = protocol::to_string(r.code);
  if (r.change) a.change = *r.change;
  if (r.details.is_object()) {
    if (r.details.contains("at") && r.details["at"].is_string()) a.at_hhmm = local_hhmm(r.details["at"].get<std::string>());
    if (r.details.contains("by") && r.details["by"].is_string()) {
      std::string by = r.details["by"].get<std::string>();
      if (by.rfind("device:", 0) == 0) by = by.substr(7);
      a.by_device = by;
    }
    if (r.details.contains("reason") && r.details["reason"] == "other_business") a.code = "wrong_business";
  }
  return a;
}

}  // namespace kh::kiosk::screens
