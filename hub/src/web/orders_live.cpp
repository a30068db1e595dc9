// Live orders for the dashboard (issue 12): the board that follows the business' order events by
// server-sent events (resumed with Last-Event-ID = the per-business seq), order detail with its
// history and the actions its state allows, the kitchen-ticket print view and the counter view.
// Every action goes through staff_service, the counter devices' own rules and answers.
#include <algorithm>
#include <chrono>
#include <cstdio>
#include <optional>

#include <spdlog/spdlog.h>

#include "kh/hub/orders/order_events.hpp"
#include "kh/hub/orders/order_transitions.hpp"
#include "kh/hub/reports/reports.hpp"
#include "kh/protocol/money_format.hpp"
#include "kh/hardware/printer/layout.hpp"
#include "kh/hardware/printer/render.hpp"
#include "kh/protocol/codec.hpp"
#include "kh/protocol/ids.hpp"
#include "kh/protocol/time.hpp"
#include "web/app_impl.hpp"
#include "web/sse.hpp"

namespace kh::hub::web {

using protocol::order_state;
using protocol::staff_action;
using json = nlohmann::json;

std::string_view asset_orders_live_js();

namespace {


std::string qfield(const http_request& req, const char* k) {
  auto it = req.query.find(k);
  return it == req.query.end() ? std::string() : trim(it->second);
}
std::string ffield(const std::map<std::string, std::string>& f, const char* k) {
  auto it = f.find(k);
  return it == f.end() ? std::string() : trim(it->second);
}

// JSON for a <script type="application/json"> block: nothing in it can end the element.
std::string script_json(const json& j) {
  const std::string s = j.dump(-1, ' ', false, json::error_handler_t::replace);
  std::string out;
  out.reserve(s.size() + 16);
  for (char c : s) {
    if (c == '<') out += "\\u003c";
    else if (c == '>') out += "\\u003e";
    else if (c == '&') out += "\\u0026";
    else out += c;
  }
  return out;
}

json actions_json(order_state st, protocol::order_type type) {
  json a = json::array();
  for (auto act : allowed_actions(st, type)) a.push_back(protocol::to_string(act));
  return a;
}

// What the page's script gets for one order: the open-order shape of the protocol plus what only
// staff see (phone) and the actions its state allows.
json card_json(const protocol::open_order& o, const std::string& phone) {
  json j = protocol::to_json(o);
  j["actions"] = actions_json(o.state, o.type);
  if (!phone.empty()) j["phone"] = phone;
  return j;
}

// The SSE data of an event: its order.status body plus the actions now allowed.
std::string event_json(json body) {
  protocol::order_state st{};
  protocol::order_type ty{};
  const auto& o = body.contains("order") ? body["order"] : body;
  if (o.contains("state") && o["state"].is_string()) protocol::from_string(o["state"].get<std::string>(), st);
  if (o.contains("order_type") && o["order_type"].is_string()) protocol::from_string(o["order_type"].get<std::string>(), ty);
  body["actions"] = actions_json(st, ty);
  return body.dump(-1, ' ', false, json::error_handler_t::replace);
}

std::string label(std::string s) {
  std::replace(s.begin(), s.end(), '_', ' ');
  if (!s.empty()) s[0] = static_cast<char>(std::toupper(static_cast<unsigned char>(s[0])));
  return s;
}

bool valid_date(const std::string& d) { return d.size() == 10 && protocol::parse_rfc3339(d + "T00:00:00Z").has_value(); }

// Midnight starting the date `d` (YYYY-MM-DD, checked by valid_date) on the store's wall clock,
// DST-correct in its IANA zone; `days_after` moves to a later date (the end of a range).
std::int64_t day_start_ms(const reports::local_calendar& cal, const std::string& d, int days_after = 0) {
  const auto t = protocol::parse_rfc3339(d + "T00:00:00Z");
  const std::string day =
      protocol::format_rfc3339(from_ms(to_ms(*t) + static_cast<std::int64_t>(days_after) * 86'400'000)).substr(0, 10);
  return cal.day_start_ms(std::stoi(day.substr(0, 4)), std::stoi(day.substr(5, 2)), std::stoi(day.substr(8, 2)));
}

// "2026-03-29 23:30:05" on the store's wall clock (its IANA zone, else the fixed offset).
std::string local_time(const reports::local_calendar& cal, std::int64_t utc_ms) {
  const std::int64_t local = utc_ms + static_cast<std::int64_t>(cal.offset_minutes(utc_ms)) * 60'000;
  return protocol::format_rfc3339(from_ms(local)).substr(0, 19).replace(10, 1, " ");
}
std::string local_time(const reports::local_calendar& cal, const std::string& rfc3339) {
  const auto t = protocol::parse_rfc3339(rfc3339);
  return t ? local_time(cal, to_ms(*t)) : rfc3339;
}

// Who made a change, as staff know them: the account's e-mail (and role) for `web:<role>:<id>`,
// the device's name, id and mode for `device:<id>` ("phone shop" for the web device), a sentence
// for the system. Looked up in the order's own business only; unknown ids stay as stored.
std::string actor_name(sqlite::connection& db, const std::string& business_id, const std::string& actor) {
  if (actor.rfind("web:", 0) == 0) {
    const auto colon = actor.find(':', 4);
    const std::string role = colon == std::string::npos ? "" : actor.substr(4, colon - 4);
    const std::string id = colon == std::string::npos ? actor.substr(4) : actor.substr(colon + 1);
    auto q = db.prepare("SELECT email, role FROM owners WHERE id = ? AND business_id = ?");
    q.bind(1, id).bind(2, business_id);
    if (q.step()) return q.text(0) + " (" + q.text(1) + ")";
    return role.empty() ? actor : label(role) + " account " + id;
  }
  if (actor.rfind("device:", 0) == 0) {
    const std::string id = actor.substr(7);
    if (id.rfind("web-", 0) == 0) return "Phone shop (" + id + ")";
    auto q = db.prepare("SELECT name, mode FROM devices WHERE id = ? AND business_id = ?");
    q.bind(1, id).bind(2, business_id);
    if (q.step()) return q.text(0) + " · " + id + " (" + q.text(1) + ")";
    return "Device " + id;
  }
  if (actor == "system:expiry") return "System: unpaid order expired";
  if (actor.rfind("system:", 0) == 0) return "System (" + actor.substr(7) + ")";
  return actor;
}

struct filters {
  std::string state;    // "" = open orders, "all", or a state word
  std::string channel;  // "" | kiosk | phone
  std::string type;     // "" | order type word
  std::string from, to; // YYYY-MM-DD local, inclusive
  std::string q;        // number, name or phone
  std::string view;     // "" | counter
};

std::optional<field_error> read_filters(const http_request& req, filters& f) {
  f.state = qfield(req, "state");
  f.channel = qfield(req, "channel");
  f.type = qfield(req, "type");
  f.from = qfield(req, "from");
  f.to = qfield(req, "to");
  f.q = qfield(req, "q");
  protocol::order_state st{};
  if (!f.state.empty() && f.state != "all" && !protocol::from_string(f.state, st))
    return field_error{"state", "an order state, or all"};
  protocol::order_channel ch{};
  if (!f.channel.empty() && !protocol::from_string(f.channel, ch)) return field_error{"channel", "kiosk or phone"};
  protocol::order_type ty{};
  if (!f.type.empty() && !protocol::from_string(f.type, ty)) return field_error{"type", "an order type"};
  if (!f.from.empty() && !valid_date(f.from)) return field_error{"from", "a date YYYY-MM-DD"};
  if (!f.to.empty() && !valid_date(f.to)) return field_error{"to", "a date YYYY-MM-DD"};
  if (f.q.size() > 80) return field_error{"q", "at most 80 characters"};
  return std::nullopt;
}

}  // namespace

namespace {

// The customer's receipt as the kiosk's printer would print it: composed by hardware's
// customer_receipt (the kiosk's own composition), laid out as ESC/POS for an 80 mm roll and
// drawn by the printer renderer. Money in the store's style (as the kiosk prints it: "€3.20"),
// times in the store's zone, labels the hub's.
http_response receipt_preview(app::impl& d, const http_request& req, const session& s, const std::string& id) {
  namespace hwp = kh::hardware::printer;
  std::optional<protocol::open_order> o;
  hwp::order_receipt_text t;
  {
    auto db = d.reads.get();
    order_event_log log(*db);
    o = log.open_order(id);
    if (!o) return d.not_found(req, &s);
    const auto cal = reports::calendar_of(*db, s.business_id);
    std::vector<std::int64_t> totals;
    auto q = db->prepare("SELECT line_total FROM order_lines WHERE order_id = ? ORDER BY line_no");
    q.bind(1, id);
    while (q.step()) totals.push_back(q.int64(0));
    for (std::size_t i = 0; i < o->lines.size(); ++i) {
      const auto& l = o->lines[i];
      hwp::doc_line dl{l.qty, l.name, {}, i < totals.size() ? format_money(totals[i], o->total.currency, s.lang) : std::string()};
      for (const auto& op : l.options) dl.notes.push_back(op.name);
      if (!l.note.empty()) dl.notes.push_back(l.note);
      t.lines.push_back(std::move(dl));
    }
    t.date_time = local_time(cal, o->created_at).substr(0, 16);
    if (!o->eta.empty()) t.eta = "Ready around " + local_time(cal, o->eta).substr(11, 5);
  }
  t.business = s.business_name;
  t.order_number = o->number;
  t.order_type = label(protocol::to_string(o->type)) + (o->table.empty() ? "" : " · Table " + o->table);
  t.total = format_money(o->total.amount, o->total.currency, s.lang);
  t.payment_method = label(protocol::to_string(o->payment));
  t.tracking_url = d.base_url(req) + "/o/" + id;
  t.thanks = "Thank you!";
  t.order_id = id;
  const auto profile = hwp::printer_profile::mm80();
  const auto bytes = hwp::layout_receipt(hwp::customer_receipt(t), profile);
  const auto png = hwp::encode_png(hwp::render_escpos(bytes, profile).image);
  if (png.empty()) return d.error_page(req, 500, "The receipt could not be drawn.", &s);
  http_response r;
  r.content_type = "image/png";
  r.body.assign(png.begin(), png.end());
  r.headers.emplace_back("Cache-Control", "no-store");
  r.headers.emplace_back("X-Content-Type-Options", "nosniff");
  return r;
}

}  // namespace

// ---- the board ---------------------------------------------------------------------------

http_response app::impl::live(const http_request& req, const session& s, const std::vector<std::string>& rest) {
  if (rest.empty()) {
    if (req.method != "GET" && req.method != "HEAD") return not_found(req, &s);
    return live_board(req, s, false);
  }
  if (rest.size() == 1 && rest[0] == "events") {
    if (req.method != "GET") return not_found(req, &s);
    return live_events(req, s);
  }
  const std::string& id = rest[0];
  if (!protocol::is_uuid(id)) return not_found(req, &s);
  {
    auto db = reads.get();
    auto q = db->prepare("SELECT 1 FROM orders WHERE id = ? AND business_id = ?");
    q.bind(1, protocol::canonical_uuid(id)).bind(2, s.business_id);
    if (!q.step()) return not_found(req, &s);  // another business' order looks like no order
  }
  const std::string oid = protocol::canonical_uuid(id);
  if (rest.size() == 1 && req.method == "GET") return live_detail(req, s, oid);
  if (rest.size() == 2 && rest[1] == "action" && req.method == "POST") return live_action(req, s, oid);
  if (rest.size() == 2 && rest[1] == "print" && req.method == "GET") return live_print(req, s, oid);
  if (rest.size() == 2 && rest[1] == "receipt.png" && req.method == "GET") return receipt_preview(*this, req, s, oid);
  return not_found(req, &s);
}

http_response app::impl::live_board(const http_request& req, const session& s, bool counter) {
  filters f;
  if (auto e = read_filters(req, f)) return bad_field(req, *e, &s);
  if (counter) f = filters{};
  json orders = json::array();
  std::int64_t seq = 0;
  std::optional<reports::local_calendar> cal;
  json age = {{"amber_seconds", 300}, {"red_seconds", 600}};
  {
    auto db = reads.get();
    db->exec("BEGIN");  // one snapshot: the orders and the seq they reflect
    try {
      order_event_log log(*db);
      seq = log.last_seq(s.business_id);
      // The date filters are the store's days (its IANA zone, else the fixed offset).
      cal.emplace(reports::calendar_of(*db, s.business_id));
      {
        // Cards age amber, then red, at the business' thresholds: the same as its counter screens.
        auto b = db->prepare("SELECT age_amber_seconds, age_red_seconds FROM businesses WHERE id = ?");
        b.bind(1, s.business_id);
        if (b.step()) age = {{"amber_seconds", b.int64(0)}, {"red_seconds", b.int64(1)}};
      }
      std::string sql = "SELECT id, customer_phone FROM orders WHERE business_id = ?1";
      if (f.state.empty()) {
        sql += " AND state IN ('pending_payment','paid','preparing','ready','out_for_delivery')";
      } else if (f.state != "all") {
        sql += " AND state = ?2";
      }
      if (f.channel == "phone") sql += " AND device_id LIKE 'web-%'";
      if (f.channel == "kiosk") sql += " AND (device_id IS NULL OR device_id NOT LIKE 'web-%')";
      if (!f.type.empty()) sql += " AND order_type = ?3";
      if (!f.from.empty()) sql += " AND created_at_ms >= ?4";
      if (!f.to.empty()) sql += " AND created_at_ms < ?5";
      if (!f.q.empty()) sql += " AND (number LIKE ?6 ESCAPE '\\' OR customer_name LIKE ?6 ESCAPE '\\' OR customer_phone LIKE ?6 ESCAPE '\\')";
      sql += " ORDER BY created_at_ms, id LIMIT 300";
      auto q = db->prepare(sql);
      q.bind(1, s.business_id);
      if (!f.state.empty() && f.state != "all") q.bind(2, f.state);
      if (!f.type.empty()) q.bind(3, f.type);
      if (!f.from.empty()) q.bind(4, day_start_ms(*cal, f.from));
      if (!f.to.empty()) q.bind(5, day_start_ms(*cal, f.to, 1));
      if (!f.q.empty()) {
        std::string like = "%";
        for (char c : f.q) {
          if (c == '%' || c == '_' || c == '\\') like += '\\';
          like += c;
        }
        like += '%';
        q.bind(6, like);
      }
      std::vector<std::pair<std::string, std::string>> rows;
      while (q.step()) rows.emplace_back(q.text(0), q.text(1));
      for (const auto& [id, phone] : rows) {
        if (auto o = log.open_order(id)) orders.push_back(card_json(*o, phone));
      }
      db->exec("COMMIT");
    } catch (...) {
      db->exec("ROLLBACK");
      throw;
    }
  }
  // The cards write money as the store's pages do (its default language; protocol::format_money).
  const auto style = protocol::money_style_for(s.lang);
  json money_style{{"decimal", style.decimal}, {"after", style.symbol_after}};
  const json data{{"seq", seq},
                  {"orders", orders},
                  {"money", money_style},
                  {"csrf", s.csrf},
                  {"view", counter ? "counter" : "board"},
                  {"age", age},
                  {"filters",
                   {{"state", f.state}, {"channel", f.channel}, {"type", f.type}, {"from", f.from}, {"to", f.to}, {"q", f.q}}}};
  auto sel = [](const std::string& cur, const std::string& v, const std::string& text) {
    return render(R"(<option value="{{v|attr}}"{{s|html}}>{{t}}</option>)",
                  {{"v", v}, {"t", text}, {"s", safe_html{cur == v ? " selected" : ""}}}).html;
  };
  std::string states = sel(f.state, "", "Open orders") + sel(f.state, "all", "All states");
  for (const char* w : {"pending_payment", "paid", "preparing", "ready", "out_for_delivery", "collected", "delivered",
                        "cancelled", "refunded"})
    states += sel(f.state, w, label(w));
  std::string types = sel(f.type, "", "Any type");
  for (const char* w : {"eat_in", "takeaway", "pickup", "delivery"}) types += sel(f.type, w, label(w));
  const std::string channels =
      sel(f.channel, "", "Kiosk and phone") + sel(f.channel, "kiosk", "Kiosk") + sel(f.channel, "phone", "Phone");
  safe_html filters_form{};
  if (!counter) {
    filters_form = render(R"(<form class="row g-2 align-items-end live-filters no-print" method="get" action="/portal/live" role="search">
<div class="col-6 col-md-2"><label class="form-label small" for="f-state">State</label><select class="form-select form-select-sm" id="f-state" name="state">{{states|html}}</select></div>
<div class="col-6 col-md-2"><label class="form-label small" for="f-channel">Channel</label><select class="form-select form-select-sm" id="f-channel" name="channel">{{channels|html}}</select></div>
<div class="col-6 col-md-2"><label class="form-label small" for="f-type">Order type</label><select class="form-select form-select-sm" id="f-type" name="type">{{types|html}}</select></div>
<div class="col-6 col-md-2"><label class="form-label small" for="f-from">From</label><input class="form-control form-control-sm" type="date" id="f-from" name="from" value="{{from|attr}}"></div>
<div class="col-6 col-md-2"><label class="form-label small" for="f-to">To</label><input class="form-control form-control-sm" type="date" id="f-to" name="to" value="{{to|attr}}"></div>
<div class="col-6 col-md-2"><label class="form-label small" for="f-q">Search</label><input class="form-control form-control-sm" type="search" id="f-q" name="q" value="{{q|attr}}" placeholder="No., name, phone"></div>
<div class="col-12 d-flex gap-2"><button class="btn btn-sm btn-primary">Apply</button><a class="btn btn-sm btn-outline-secondary" href="/portal/live">Reset</a><a class="btn btn-sm btn-outline-secondary" href="/portal/live?from={{today|url}}&amp;to={{today|url}}&amp;state=all">Today</a><a class="btn btn-sm btn-outline-dark ms-auto" href="/portal/counter">Counter view</a></div>
</form>)",
                          {{"states", safe_html{states}},
                           {"channels", safe_html{channels}},
                           {"types", safe_html{types}},
                           {"from", f.from},
                           {"to", f.to},
                           {"q", f.q},
                           {"today", local_time(*cal, to_ms(std::chrono::system_clock::now())).substr(0, 10)}});
  }
  auto body = render(R"(<link rel="stylesheet" href="/static/orders_live.css"><div class="live {{cls}}" id="live">
<div class="d-flex align-items-center gap-3 mb-2"><h1 class="h3 mb-0">{{title}}</h1>
<span class="badge text-bg-secondary" id="live-status" role="status">connecting…</span>
<button type="button" class="btn btn-sm btn-outline-secondary no-print" id="live-sound" aria-pressed="false">Sound on</button></div>
<div class="alert alert-warning new-order-alert" id="new-order-alert" role="alert" hidden></div>
{{filters|html}}
<div class="lanes" id="lanes" aria-live="polite"></div>
<p class="text-muted small" id="live-empty" hidden>No orders match.</p>
<script type="application/json" id="live-data">{{data|html}}</script>
</div>)",
                     {{"cls", counter ? "live-counter" : "live-board"},
                      {"title", counter ? "Counter" : "Live orders"},
                      {"filters", filters_form},
                      {"data", safe_html{script_json(data)}}});
  return page(req, 200, counter ? "Counter" : "Live orders", body, &s, "/static/orders_live.js");
}

// ---- the event stream --------------------------------------------------------------------

http_response app::impl::live_events(const http_request& req, const session& s) {
  // Resume point: the browser's Last-Event-ID on a reconnect, else ?after= from the page.
  std::string from;
  if (auto it = req.headers.find("last-event-id"); it != req.headers.end()) from = trim(it->second);
  if (from.empty()) from = qfield(req, "after");
  std::int64_t after = 0;
  if (!from.empty()) {
    auto n = parse_int(from, 0, std::int64_t{1} << 52);
    if (!n) return text(400, "Last-Event-ID / after: a non-negative integer");
    after = *n;
  }
  constexpr int k_max_backlog = 1000;
  std::string body = "retry: 1500\n\n";
  std::int64_t last = after;
  {
    auto db = reads.get();
    order_event_log log(*db);
    // A resume point past the business' last event (a restored database, a made-up id) would
    // silence the stream: it counts from the real last one.
    last = std::min(after, log.last_seq(s.business_id));
    auto evs = log.since(s.business_id, after, k_max_backlog + 1);
    if (static_cast<int>(evs.size()) > k_max_backlog) {
      // Too far behind to replay: the page reloads (and so gets a fresh snapshot).
      http_response r;
      r.content_type = "text/event-stream; charset=utf-8";
      r.body = body + "event: reload\ndata: {}\n\n";
      r.headers.emplace_back("Cache-Control", "no-store");
      return r;
    }
    for (const auto& e : evs) {
      json b = json::parse(e.body, nullptr, false);
      if (b.is_discarded()) continue;
      body += sse_hub::frame(e.seq, "order", event_json(std::move(b)));
      last = e.seq;
    }
  }
  auto stream = std::make_shared<http_stream>();
  // Registered at the seq the backlog reached: events published meanwhile are queued for the
  // HTTP thread behind this handler and the hub skips those the backlog already had.
  sse->add(s.business_id, stream, last);
  http_response r;
  r.content_type = "text/event-stream; charset=utf-8";
  r.body = std::move(body);
  r.headers.emplace_back("Cache-Control", "no-store");
  r.headers.emplace_back("X-Accel-Buffering", "no");
  r.stream = std::move(stream);
  return r;
}

// ---- detail ------------------------------------------------------------------------------

http_response app::impl::live_detail(const http_request& req, const session& s, const std::string& id) {
  std::optional<protocol::open_order> o;
  std::string phone, email, payments, history, zone, paid_local;
  {
    auto db = reads.get();
    const auto cal = reports::calendar_of(*db, s.business_id);
    zone = cal.name();
    order_event_log log(*db);
    o = log.open_order(id);
    if (o && !o->paid_at.empty()) paid_local = local_time(cal, o->paid_at);
    auto c = db->prepare("SELECT customer_phone, customer_email FROM orders WHERE id = ?");
    c.bind(1, id);
    if (c.step()) {
      phone = c.text(0);
      email = c.text(1);
    }
    auto p = db->prepare("SELECT method, provider, amount, currency, state, created_at_ms FROM payments WHERE order_id = ? ORDER BY created_at_ms");
    p.bind(1, id);
    while (p.step()) {
      payments += render("<li>{{m}} {{amt}} ({{st}}, {{at}})</li>",
                         {{"m", label(p.text(0))}, {"amt", format_money(p.int64(2), p.text(3), s.lang)}, {"st", p.text(4)},
                          {"at", local_time(cal, p.int64(5))}}).html;
    }
    auto h = db->prepare("SELECT COALESCE(from_state, ''), to_state, actor, reason, at_ms FROM order_history WHERE order_id = ? ORDER BY step");
    h.bind(1, id);
    // On a phone (below Bootstrap's sm) the table fits the width without scrolling sideways: the
    // From column (the row above says it) and the date of the rows on the first row's day are
    // left out, and a long actor name wraps.
    std::string first_day;
    while (h.step()) {
      const std::string at = local_time(cal, h.int64(4));  // "YYYY-MM-DD HH:MM:SS"
      const std::string day = at.substr(0, 10);
      if (first_day.empty()) first_day = day;
      history += render(R"(<tr><td class="text-nowrap"><span class="{{day_class}}">{{day}} </span>{{time}}</td><td class="d-none d-sm-table-cell">{{from}}</td><td>{{to}}</td><td class="text-break" data-actor="{{actor|attr}}">{{who}}</td><td>{{why}}</td></tr>)",
                        {{"day_class", day == first_day ? "d-none d-sm-inline" : "d-inline"},
                         {"day", day},
                         {"time", at.size() > 11 ? at.substr(11) : at},
                         {"actor", h.text(2)},
                         {"from", h.text(0).empty() ? std::string("—") : label(h.text(0))},
                         {"to", label(h.text(1))},
                         {"who", actor_name(*db, s.business_id, h.text(2))},
                         {"why", h.text(3)}}).html;
    }
  }
  if (!o) return not_found(req, &s);
  std::string lines;
  for (const auto& l : o->lines) {
    std::string opts;
    for (const auto& op : l.options) opts += render("<li>{{n}}</li>", {{"n", op.name}}).html;
    lines += render(R"(<li class="list-group-item"><strong>{{q}} × {{n}}</strong>{{opts|html}}{{note|html}}</li>)",
                    {{"q", std::to_string(l.qty)},
                     {"n", l.name},
                     {"opts", safe_html{opts.empty() ? "" : "<ul class=\"small mb-0\">" + opts + "</ul>"}},
                     {"note", l.note.empty() ? safe_html{} : render(R"(<div class="small fst-italic">Note: {{t}}</div>)", {{"t", l.note}})}}).html;
  }
  std::string buttons;
  for (auto a : allowed_actions(o->state, o->type)) {
    const char* w = protocol::to_string(a);
    if (a == staff_action::take_cash) {
      buttons += render(R"(<form method="post" action="/portal/live/{{id|url}}/action" class="d-flex gap-2 align-items-end mb-2">{{csrf|html}}<input type="hidden" name="action" value="take_cash">
<div><label class="form-label small" for="tendered">Tendered ({{cur}})</label><input class="form-control" id="tendered" name="tendered" inputmode="decimal" required placeholder="{{due|attr}}"></div><button class="btn btn-success" data-action="take_cash">Take cash</button></form>)",
                        {{"id", id}, {"csrf", csrf_input(s)}, {"cur", o->total.currency}, {"due", format_money(o->total.amount, "")}}).html;
    } else if (a == staff_action::cancel) {
      buttons += render(R"(<form method="post" action="/portal/live/{{id|url}}/action" class="d-flex flex-wrap gap-2 align-items-end mb-2">{{csrf|html}}<input type="hidden" name="action" value="cancel">
<div><label class="form-label small" for="reason">Reason</label><input class="form-control" id="reason" name="reason" required maxlength="200"></div>
<div class="form-check mb-2"><input class="form-check-input" type="checkbox" name="restock" value="1" id="restock"{{chk|html}}><label class="form-check-label" for="restock">Put the items back in stock</label></div>
<button class="btn btn-outline-danger" data-action="cancel">Cancel order</button></form>)",
                        {{"id", id}, {"csrf", csrf_input(s)}, {"chk", safe_html{o->state == order_state::pending_payment ? " checked disabled" : ""}}}).html;
    } else {
      buttons += render(R"(<form method="post" action="/portal/live/{{id|url}}/action" class="d-inline">{{csrf|html}}<input type="hidden" name="action" value="{{a|attr}}"><button class="btn btn-primary btn-lg me-2 mb-2" data-action="{{a|attr}}">{{l}}</button></form>)",
                        {{"id", id}, {"csrf", csrf_input(s)}, {"a", w}, {"l", action_label(a)}}).html;
    }
  }
  const std::string done = qfield(req, "done");
  safe_html notice{};
  if (!done.empty()) notice = render(R"(<div class="alert alert-success" role="status">{{m}}</div>)", {{"m", done}});
  auto body = render(R"(<p class="no-print"><a href="/portal/live">← Live orders</a></p>{{notice|html}}
<div class="d-flex flex-wrap align-items-baseline gap-3"><h1 class="display-5 fw-bold mb-0" id="order-number">{{num}}</h1>
<span class="badge fs-6 state-{{st|attr}}" id="order-state">{{stl}}</span><span>{{type}} · {{chan}}</span>
<a class="btn btn-sm btn-outline-secondary no-print" href="/portal/live/{{id|url}}/print?paper=80mm">Print 80 mm</a>
<a class="btn btn-sm btn-outline-secondary no-print" href="/portal/live/{{id|url}}/print?paper=a4">Print A4</a></div>
<div class="row g-4 mt-1"><div class="col-md-6"><h2 class="h5">Items</h2><ul class="list-group mb-3">{{lines|html}}</ul>
<table class="table table-sm w-auto"><tbody><tr><th>Subtotal</th><td class="text-end">{{sub}}</td></tr><tr><th>Discount</th><td class="text-end">{{disc}}</td></tr><tr><th>Tax</th><td class="text-end">{{tax}}</td></tr><tr><th>Total</th><td class="text-end fw-bold">{{total}}</td></tr></tbody></table></div>
<div class="col-md-6"><h2 class="h5">Customer</h2><p>{{name}}<br>{{phone}}<br>{{email}}{{table|html}}</p>
<h2 class="h5">Payment</h2><p>{{pay}}{{paid|html}}</p><ul>{{payments|html}}</ul>
<h2 class="h5 no-print">Actions</h2><div class="no-print" id="order-actions">{{buttons|html}}</div></div></div>
<h2 class="h5 mt-3 no-print">Customer receipt</h2><p class="no-print"><img class="receipt-preview border" src="/portal/live/{{id|url}}/receipt.png" alt="Receipt of order {{num|attr}} as the kiosk prints it" width="288" loading="lazy"></p>
<h2 class="h5 mt-3">History</h2><div class="table-responsive"><table class="table table-sm" id="order-history"><thead><tr><th>When ({{zone}})</th><th class="d-none d-sm-table-cell">From</th><th>To</th><th>Who</th><th>Reason</th></tr></thead><tbody>{{history|html}}</tbody></table></div>)",
                     {{"notice", notice},
                      {"num", o->number},
                      {"st", protocol::to_string(o->state)},
                      {"stl", label(protocol::to_string(o->state))},
                      {"type", label(protocol::to_string(o->type))},
                      {"chan", label(protocol::to_string(o->channel))},
                      {"id", id},
                      {"lines", safe_html{lines}},
                      {"sub", format_money(o->subtotal.amount, o->subtotal.currency, s.lang)},
                      {"disc", format_money(o->discount.amount, o->discount.currency, s.lang)},
                      {"tax", format_money(o->tax.amount, o->tax.currency, s.lang)},
                      {"total", format_money(o->total.amount, o->total.currency, s.lang)},
                      {"name", o->customer_name.empty() ? std::string("(no name)") : o->customer_name},
                      {"phone", phone},
                      {"email", email},
                      {"table", o->table.empty() ? safe_html{} : render("<br>Table {{t}}", {{"t", o->table}})},
                      {"pay", label(protocol::to_string(o->payment))},
                      {"paid", o->paid_at.empty() ? safe_html{" — not paid yet"} : render(" — paid {{t}}", {{"t", paid_local}})},
                      {"payments", safe_html{payments}},
                      {"buttons", buttons.empty() ? safe_html{"<p class=\"text-muted\">No action: the order is closed.</p>"} : safe_html{buttons}},
                      {"history", safe_html{history}},
                      {"zone", zone}});
  return page(req, 200, "Order " + o->number, body, &s);
}

// ---- actions -----------------------------------------------------------------------------

http_response app::impl::live_action(const http_request& req, const session& s, const std::string& id) {
  auto f = form(req);
  if (!f || !csrf_ok(req, *f, &s)) return error_page(req, 403, "The form expired. Reload the page and try again.", &s);
  const bool wants_json = [&] {
    auto it = req.headers.find("accept");
    return it != req.headers.end() && it->second.find("application/json") != std::string::npos;
  }();
  auto bad = [&](field_error e) {
    if (wants_json) return json_response(400, json{{"ok", false}, {"code", "malformed"}, {"field", e.field}, {"message", e.message}}.dump());
    return bad_field(req, e, &s);
  };
  protocol::order_action a;
  if (!protocol::from_string(ffield(*f, "action"), a.action)) return bad({"action", "one of preparing, ready, out_for_delivery, delivered, collect, take_cash, cancel"});
  const std::string aid = ffield(*f, "action_id");
  if (!aid.empty() && !protocol::is_uuid(aid)) return bad({"action_id", "a UUID"});
  a.action_id = aid.empty() ? protocol::new_uuid() : protocol::canonical_uuid(aid);
  a.order_id = id;
  if (a.action == staff_action::take_cash) {
    auto amt = parse_money(ffield(*f, "tendered"));
    if (!amt) return bad({"tendered", "an amount such as 20.00"});
    std::string cur;
    {
      auto db = reads.get();
      auto q = db->prepare("SELECT currency FROM orders WHERE id = ?");
      q.bind(1, id);
      if (q.step()) cur = q.text(0);
    }
    a.tendered = protocol::money{*amt, cur};
  }
  if (a.action == staff_action::cancel) {
    a.reason = ffield(*f, "reason");
    if (a.reason.empty() || a.reason.size() > 200) return bad({"reason", "1–200 characters: why the order is cancelled"});
    a.restock = ffield(*f, "restock") == "1";
  }
  staff_outcome out;
  on_writer([&] {
    out = staff().web_action(s.business_id, s.actor(), a);
    if (out.change && hooks.order_changed) hooks.order_changed(*out.change);
  });
  const auto& r = out.result;
  if (wants_json) {
    json j = json::parse(out.body, nullptr, false);
    if (j.is_discarded()) j = json{{"ok", r.ok}};
    return json_response(r.ok ? 200 : (r.code == protocol::code::internal ? 503 : 409), j.dump());
  }
  if (!r.ok) {
    auto resp = error_page(req, r.code == protocol::code::internal ? 503 : 409, "Cannot do that now: " + r.message, &s);
    resp.headers.emplace_back("X-Order-Code", protocol::to_string(r.code));
    return resp;
  }
  std::string done = r.number + " is now " + label(r.state ? protocol::to_string(*r.state) : "");
  if (r.change) done += ". Change: " + format_money(r.change->amount, r.change->currency, s.lang);
  return redirect("/portal/live/" + id + "?done=" + escape_url_component(done));
}

// ---- print view --------------------------------------------------------------------------

http_response app::impl::live_print(const http_request& req, const session& s, const std::string& id) {
  const std::string paper = qfield(req, "paper").empty() ? "80mm" : qfield(req, "paper");
  if (paper != "80mm" && paper != "a4") return bad_field(req, {"paper", "80mm or a4"}, &s);
  std::optional<protocol::open_order> o;
  std::string at;
  {
    auto db = reads.get();
    order_event_log log(*db);
    o = log.open_order(id);
    if (o) at = local_time(reports::calendar_of(*db, s.business_id), o->created_at).substr(0, 16);
  }
  if (!o) return not_found(req, &s);
  std::string lines;
  for (const auto& l : o->lines) {
    std::string extra;
    for (const auto& op : l.options) extra += render(R"(<div class="opt">+ {{n}}</div>)", {{"n", op.name}}).html;
    if (!l.note.empty()) extra += render(R"(<div class="opt note">Note: {{n}}</div>)", {{"n", l.note}}).html;
    lines += render(R"(<li><span class="qty">{{q}} ×</span> <span class="name">{{n}}</span>{{x|html}}</li>)",
                    {{"q", std::to_string(l.qty)}, {"n", l.name}, {"x", safe_html{extra}}}).html;
  }
  auto html = render(R"(<!doctype html><html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<title>Kitchen ticket {{num}}</title><link rel="stylesheet" href="/static/orders_live.css"></head>
<body class="ticket paper-{{paper|attr}}"><main class="ticket-sheet">
<div class="t-head"><div class="t-number">{{num}}</div><div class="t-type">{{type}}</div><div class="t-time">{{at}}</div>{{who|html}}</div>
<ol class="t-lines">{{lines|html}}</ol>
<div class="t-foot">{{items}} item(s) · {{pay}}</div>
<p class="no-print"><a href="/portal/live/{{id|url}}">Back</a></p></main>
<script src="/static/orders_live.js" defer></script></body></html>)",
                     {{"num", o->number},
                      {"paper", paper},
                      {"type", label(protocol::to_string(o->type)) + (o->table.empty() ? "" : " · Table " + o->table)},
                      {"at", at},
                      {"who", o->customer_name.empty() ? safe_html{} : render(R"(<div class="t-name">{{n}}</div>)", {{"n", o->customer_name}})},
                      {"lines", safe_html{lines}},
                      {"items", std::to_string([&] { int n = 0; for (const auto& l : o->lines) n += l.qty; return n; }())},
                      {"pay", label(protocol::to_string(o->payment)) + (o->paid_at.empty() ? " (not paid)" : " (paid)")},
                      {"id", id}});
  return finish(req, html_page(200, std::move(html.html)));
}

// ---- fan-out -----------------------------------------------------------------------------

staff_service& app::impl::staff() {
  if (hooks.staff) return *hooks.staff;
  if (!own_staff) own_staff = std::make_unique<staff_service>(orders);
  return *own_staff;
}

void app::order_event(const std::string& business_id, const protocol::order_status& st) {
  if (!st.seq) return;
  auto* d = impl_.get();
  // Formatted once, on the HTTP thread and only when the business has a live stream open: most
  // events of a busy hub reach no dashboard, and the writer thread should not pay for them. The
  // check runs on the HTTP thread, where streams are also added after reading their backlog, so a
  // stream opening at this moment either finds this event in its backlog or is open here.
  auto task = [d, business_id, st] {
    if (d->sse->open(business_id) == 0) return;
    auto frame = std::make_shared<const std::string>(sse_hub::frame(*st.seq, "order", event_json(protocol::to_json(st))));
    d->sse->publish(business_id, *st.seq, frame);
  };
  if (d->hooks.on_http) {
    d->hooks.on_http(std::move(task));
  } else {
    task();
  }
}

std::size_t app::live_streams(const std::string& business_id) { return impl_->sse->open(business_id); }

}  // namespace kh::hub::web
