#include "kh/hub/orders/order_events.hpp"

#include <stdexcept>

#include "kh/hub/orders/order_rules.hpp"
#include "kh/protocol/codec.hpp"
#include "kh/protocol/ids.hpp"
#include "kh/protocol/time.hpp"

namespace kh::hub {

using protocol::order_state;

namespace {
std::string rfc3339(std::int64_t ms) { return protocol::format_rfc3339(from_ms(ms)); }

template <class E>
E parse_or(const std::string& s, E fallback) {
  E out = fallback;
  if (!protocol::from_string(s, out)) return fallback;
  return out;
}

// The phone shop keeps an eat-in table in the first line's note ("Table 12") until orders have a
// field for it.
std::string table_from_note(const std::string& note) {
  if (note.rfind("Table ", 0) != 0) return {};
  const std::string t = note.substr(6);
  return t.size() <= 16 ? t : std::string{};
}
}  // namespace

std::optional<protocol::open_order> order_event_log::open_order(const std::string& order_id) {
  auto q = db_.prepare(
      "SELECT id, number, state, order_type, COALESCE(device_id, ''), payment_method, customer_name, created_at_ms, "
      "eta_ms, currency, subtotal, discount, tax, total FROM orders WHERE id = ?");
  q.bind(1, order_id);
  if (!q.step()) return std::nullopt;
  protocol::open_order o;
  o.order_id = q.text(0);
  o.number = q.text(1);
  o.state = parse_or(q.text(2), order_state::pending_payment);
  o.type = parse_or(q.text(3), protocol::order_type::takeaway);
  o.channel = q.text(4).rfind("web-", 0) == 0 ? protocol::order_channel::phone : protocol::order_channel::kiosk;
  o.payment = parse_or(q.text(5), protocol::payment_method::card_present);
  o.customer_name = q.text(6);
  o.created_at = rfc3339(q.int64(7));
  const bool show_eta = is_queued(o.state) || o.state == order_state::ready;
  if (show_eta) o.eta = rfc3339(q.int64(8));
  const std::string cur = q.text(9);
  o.subtotal = {q.int64(10), cur};
  o.discount = {q.int64(11), cur};
  o.tax = {q.int64(12), cur};
  o.total = {q.int64(13), cur};
  o.ticket = protocol::ticket_payload(o.order_id);

  // Options (names as ordered) and the table number live in order_details (issue 9), one row
  // only for orders that have any: {"<line_no>":[{group_id, option_id, group_name, option_name}]}.
  nlohmann::json options = nlohmann::json::object();
  {
    auto d = db_.prepare("SELECT table_number, line_options FROM order_details WHERE order_id = ?");
    d.bind(1, order_id);
    if (d.step()) {
      o.table = d.text(0);
      options = nlohmann::json::parse(d.text(1), nullptr, false);
      if (!options.is_object()) options = nlohmann::json::object();
    }
  }
  auto l = db_.prepare("SELECT line_no, product_id, name, qty, note FROM order_lines WHERE order_id = ? ORDER BY line_no");
  l.bind(1, order_id);
  while (l.step()) {
    protocol::open_order_line line;
    line.product_id = l.text(1);
    line.name = l.text(2);
    line.qty = l.int32(3);
    line.note = l.text(4);
    if (auto it = options.find(std::to_string(l.int64(0))); it != options.end() && it->is_array()) {
      for (const auto& op : *it) {
        if (!op.is_object()) continue;
        protocol::ordered_option oo{op.value("group_id", ""), op.value("option_id", ""), op.value("option_name", "")};
        if (protocol::is_slug_id(oo.group) && protocol::is_slug_id(oo.option)) line.options.push_back(std::move(oo));
      }
    }
    if (o.table.empty() && o.lines.empty() && o.type == protocol::order_type::eat_in) o.table = table_from_note(line.note);
    o.lines.push_back(std::move(line));
  }
  auto h = db_.prepare(
      "SELECT MIN(at_ms) FROM order_state_history WHERE order_id = ? AND to_state = 'paid'");
  h.bind(1, order_id);
  if (h.step() && !h.is_null(0)) o.paid_at = rfc3339(h.int64(0));
  return o;
}

protocol::order_status order_event_log::append(const std::string& order_id, std::optional<order_state> previous,
                                               const std::string& by, std::int64_t at_ms) {
  auto o = open_order(order_id);
  if (!o) throw std::runtime_error("order event for unknown order " + order_id);
  std::string business;
  {
    auto q = db_.prepare("SELECT business_id FROM orders WHERE id = ?");
    q.bind(1, order_id);
    q.step();
    business = q.text(0);
  }
  // The business row is written by the same transaction anyway (queue counter), so this costs no
  // extra page; the seq is read back by its key (RETURNING builds a temporary b-tree each run).
  if (db_.prepare("UPDATE businesses SET order_event_seq = order_event_seq + 1 WHERE id = ?").bind(1, business).run() == 0)
    throw std::runtime_error("order event for unknown business " + business);
  const std::int64_t seq = last_seq(business);

  protocol::order_status st;
  st.order_id = o->order_id;
  st.number = o->number;
  st.state = o->state;
  st.eta = o->eta;
  st.seq = seq;
  st.previous = previous;
  st.at = rfc3339(at_ms);
  st.by = by;
  st.order = std::move(*o);
  db_.prepare("INSERT INTO order_events(business_id, seq, order_id, body, at_ms) VALUES (?,?,?,?,?)")
      .bind(1, business)
      .bind(2, seq)
      .bind(3, order_id)
      .bind(4, protocol::to_json_text(st))
      .bind(5, at_ms)
      .run();
  return st;
}

order_event_log::new_order_slot order_event_log::claim_new(const std::string& business_id, const std::string* day,
                                                          std::int64_t queue_delta) {
  // The business row is written by every order (seq, queue counter): the day's number rides on
  // the same UPDATE, and all of it is read back by key (RETURNING would build a temporary b-tree
  // on every run).
  const int updated = db_.prepare(
                             "UPDATE businesses SET order_event_seq = order_event_seq + 1, "
                             "active_orders = MAX(0, active_orders + ?2), "
                             "counter_seq = CASE WHEN ?3 AND counter_day = ?4 THEN counter_seq + 1 ELSE counter_seq END "
                             "WHERE id = ?1")
                          .bind(1, business_id)
                          .bind(2, queue_delta)
                          .bind(3, day != nullptr)
                          .bind(4, day ? std::string_view(*day) : std::string_view())
                          .run();
  if (updated == 0) throw std::runtime_error("order event for unknown business " + business_id);
  auto q = db_.prepare("SELECT order_event_seq, counter_seq, counter_day FROM businesses WHERE id = ?");
  q.bind(1, business_id);
  if (!q.step()) throw std::runtime_error("order event for unknown business " + business_id);
  new_order_slot out;
  out.event_seq = q.int64(0);
  if (day && q.text(2) == *day) out.order_seq = q.int64(1);
  return out;
}

protocol::order_status order_event_log::append_new(const order_record& rec, const order_details& details,
                                                   const std::string& by, std::int64_t at_ms, std::int64_t seq,
                                                   std::string& body) {
  // Mirrors open_order() field by field for a row just inserted (the test
  // placement_event.the_new_order_event_is_what_a_reader_of_the_database_builds compares the two):
  // nothing here may differ from what a reader of the database would build.
  protocol::open_order o;
  o.order_id = rec.id;
  o.number = rec.number;
  o.state = rec.state;
  o.type = rec.type;
  o.channel = rec.device_id.rfind("web-", 0) == 0 ? protocol::order_channel::phone : protocol::order_channel::kiosk;
  o.payment = rec.payment;
  o.customer_name = rec.cust.name;
  o.created_at = rfc3339(rec.created_at_ms);
  if (is_queued(o.state) || o.state == order_state::ready) o.eta = rfc3339(rec.eta_ms);
  o.subtotal = {rec.totals.subtotal, rec.currency};
  o.discount = {rec.totals.discount, rec.currency};
  o.tax = {rec.totals.tax, rec.currency};
  o.total = {rec.totals.total, rec.currency};
  o.ticket = protocol::ticket_payload(o.order_id);
  if (!details.empty()) o.table = details.table;
  o.lines.reserve(rec.lines.size());
  for (const auto& l : rec.lines) {
    protocol::open_order_line line;
    line.product_id = l.product_id;
    line.name = l.name;
    line.qty = static_cast<int>(l.qty);
    line.note = l.note;
    if (auto it = details.line_options.find(l.line_no); it != details.line_options.end()) {
      for (const auto& op : it->second) {
        if (protocol::is_slug_id(op.group_id) && protocol::is_slug_id(op.option_id)) {
          line.options.push_back({op.group_id, op.option_id, op.option_name});
        }
      }
    }
    if (o.table.empty() && o.lines.empty() && o.type == protocol::order_type::eat_in) o.table = table_from_note(line.note);
    o.lines.push_back(std::move(line));
  }

  protocol::order_status st;
  st.order_id = o.order_id;
  st.number = o.number;
  st.state = o.state;
  st.eta = o.eta;
  st.seq = seq;
  st.at = rfc3339(at_ms);
  st.by = by;
  st.order = std::move(o);
  body = protocol::to_json_text(st);
  db_.prepare("INSERT INTO order_events(business_id, seq, order_id, body, at_ms) VALUES (?,?,?,?,?)")
      .bind(1, rec.business_id)
      .bind(2, seq)
      .bind(3, rec.id)
      .bind(4, body)
      .bind(5, at_ms)
      .run();
  return st;
}

std::int64_t order_event_log::last_seq(const std::string& business_id) {
  auto q = db_.prepare("SELECT order_event_seq FROM businesses WHERE id = ?");
  q.bind(1, business_id);
  return q.step() ? q.int64(0) : 0;
}

std::vector<order_event_log::stored_event> order_event_log::since(const std::string& business_id, std::int64_t after,
                                                                  int limit) {
  auto q = db_.prepare(
      "SELECT seq, order_id, body, at_ms FROM order_events WHERE business_id = ? AND seq > ? ORDER BY seq LIMIT ?");
  q.bind(1, business_id).bind(2, after).bind(3, limit);
  std::vector<stored_event> out;
  while (q.step()) out.push_back({q.int64(0), q.text(1), q.text(2), q.int64(3)});
  return out;
}

protocol::orders_snapshot order_event_log::snapshot(const std::string& business_id, std::int64_t now_ms) {
  protocol::orders_snapshot snap;
  snap.business_id = business_id;
  snap.seq = last_seq(business_id);
  snap.at = rfc3339(now_ms);
  auto q = db_.prepare(
      "SELECT id FROM orders WHERE business_id = ? AND state IN "
      "('pending_payment','paid','preparing','ready','out_for_delivery') ORDER BY created_at_ms, id LIMIT ?");
  q.bind(1, business_id).bind(2, static_cast<std::int64_t>(protocol::limits::max_snapshot_orders) + 1);
  std::vector<std::string> ids;
  while (q.step()) ids.push_back(q.text(0));
  if (ids.size() > protocol::limits::max_snapshot_orders) {
    snap.truncated = true;
    ids.resize(protocol::limits::max_snapshot_orders);
  }
  for (const auto& id : ids) {
    if (auto o = open_order(id)) snap.orders.push_back(std::move(*o));
  }
  return snap;
}

}  // namespace kh::hub
