// /portal/reports: every report of kh::hub::reports as a chart (server-drawn SVG) with its table
// beside it, and each as CSV. Owner only (figures of the business). Runs on the web's read-only
// connections on the HTTP thread, never on the writer.
#include <algorithm>
#include <map>
#include <memory>
#include <mutex>

#include <spdlog/spdlog.h>

#include "kh/hub/reports/reports.hpp"
#include "web/dashboard.hpp"

namespace kh::hub::web {

namespace rp = kh::hub::reports;

http_response devices_page(app::impl& d, const http_request& req, const session& s);
http_response feedback_page(app::impl& d, const http_request& req, const session& s);
http_response support_inbox(app::impl& d, const http_request& req, const session& s, const std::vector<std::string>& rest);

std::string csv_cell(std::string v) {
  if (!v.empty() && std::string_view("=+-@\t\r").find(v[0]) != std::string_view::npos) v.insert(v.begin(), '\'');
  if (v.find_first_of(",\"\r\n") == std::string::npos) return v;
  std::string o = "\"";
  for (char c : v) {
    if (c == '"') o += '"';
    o += c;
  }
  return o + "\"";
}

namespace {

std::int64_t now_ms() { return to_ms(std::chrono::system_clock::now()); }

std::string fixed2(std::int64_t v) {  // 1234 → "12.34"
  char buf[32];
  const auto a = v < 0 ? -v : v;
  std::snprintf(buf, sizeof buf, "%s%lld.%02lld", v < 0 ? "-" : "", static_cast<long long>(a / 100), static_cast<long long>(a % 100));
  return buf;
}

// The currency and the language money is written in (the store's default: "€3.60", "3,60 €").
struct shown_money {
  std::string currency;
  std::string lang;
};

std::string shown(const rp::column& c, std::int64_t v, const shown_money& money) {
  switch (c.k) {
    case rp::kind::count: return std::to_string(v);
    case rp::kind::money: return format_money(v, money.currency, money.lang);
    case rp::kind::rating: return v == 0 ? "–" : fixed2(v);
    case rp::kind::share: return fixed2(v) + " %";
  }
  return std::to_string(v);
}

std::string csv_value(const rp::column& c, std::int64_t v) {
  return c.k == rp::kind::count ? std::to_string(v) : fixed2(v);
}

std::string pretty(std::string s) {
  std::replace(s.begin(), s.end(), '_', ' ');
  return s;
}

struct parsed_period {
  rp::period p;
  std::optional<field_error> error;
};

parsed_period read_period(const http_request& req, const rp::local_calendar& cal) {
  parsed_period out;
  auto q = [&](const char* k) { auto it = req.query.find(k); return it == req.query.end() ? std::string() : trim(it->second); };
  const auto today = cal.at(now_ms());
  const auto today_days = rp::days_from_civil(today.year, today.month, today.day);
  const std::string group = q("group").empty() ? "day" : q("group");
  auto g = rp::parse_granularity(group);
  if (!g) return {{}, field_error{"group", "day, week or month"}};
  out.p.group = *g;
  if (q("to").empty()) out.p.to = rp::civil_from_days(today_days);
  else if (auto t = rp::parse_date(q("to"))) out.p.to = *t;
  else return {{}, field_error{"to", "a date like 2026-11-30"}};
  const auto to_days = rp::days_from_civil(out.p.to.year, out.p.to.month, out.p.to.day);
  const int default_span = *g == rp::granularity::day ? 29 : *g == rp::granularity::week ? 7 * 12 - 1 : 364;
  if (q("from").empty()) out.p.from = rp::civil_from_days(to_days - default_span);
  else if (auto f = rp::parse_date(q("from"))) out.p.from = *f;
  else return {{}, field_error{"from", "a date like 2026-11-01"}};
  const auto from_days = rp::days_from_civil(out.p.from.year, out.p.from.month, out.p.from.day);
  if (from_days > to_days) return {{}, field_error{"from", "on or before the end date"}};
  if (to_days - from_days > 731) return {{}, field_error{"from", "at most two years before the end date"}};
  return out;
}

std::string query_of(const rp::period& p) {
  const char* g = p.group == rp::granularity::day ? "day" : p.group == rp::granularity::week ? "week" : "month";
  return "from=" + rp::format_date(p.from.year, p.from.month, p.from.day) + "&to=" + rp::format_date(p.to.year, p.to.month, p.to.day) +
         "&group=" + g;
}

safe_html table_html(const rp::table& t, const shown_money& money) {
  std::string head = render("<th scope=\"col\">{{k}}</th>", {{"k", pretty(t.key_name)}}).html;
  for (const auto& c : t.columns) head += render("<th scope=\"col\" class=\"text-end\">{{c}}</th>", {{"c", pretty(c.name)}}).html;
  std::string body;
  for (const auto& r : t.rows) {
    std::string cells = render("<th scope=\"row\">{{k}}</th>", {{"k", pretty(r.key)}}).html;
    for (std::size_t i = 0; i < t.columns.size() && i < r.values.size(); ++i)
      cells += render("<td class=\"text-end\">{{v}}</td>", {{"v", shown(t.columns[i], r.values[i], money)}}).html;
    body += "<tr>" + cells + "</tr>";
  }
  if (t.rows.empty()) body = render("<tr><td colspan=\"{{n}}\" class=\"text-muted\">Nothing to show.</td></tr>", {{"n", std::to_string(t.columns.size() + 1)}}).html;
  return render(R"(<div class="table-responsive report-table"><table class="table table-sm table-striped mb-0" data-report="{{id|attr}}"><thead><tr>{{head|html}}</tr></thead><tbody>{{body|html}}</tbody></table></div>)",
                {{"id", t.id}, {"head", safe_html{head}}, {"body", safe_html{body}}});
}

std::vector<chart_bar> bars_of(const rp::table& t, std::size_t col, const shown_money& money) {
  std::vector<chart_bar> out;
  for (const auto& r : t.rows) out.push_back({pretty(r.key), r.values[col], shown(t.columns[col], r.values[col], money)});
  return out;
}

safe_html section(const rp::table& t, const safe_html& chart, const shown_money& money, const std::string& q) {
  return render(R"(<section class="report card mb-4" id="r-{{id|attr}}"><div class="card-body">
<div class="d-flex justify-content-between align-items-baseline mb-2"><h2 class="h5 mb-0">{{title}}</h2><a class="btn btn-sm btn-outline-secondary" href="/portal/reports/{{id|url}}.csv?{{q|attr}}" download>CSV</a></div>
<div class="row g-3"><div class="col-lg-7">{{chart|html}}</div><div class="col-lg-5">{{table|html}}</div></div></div></section>)",
                {{"id", t.id}, {"title", t.title}, {"q", q}, {"chart", chart}, {"table", table_html(t, money)}});
}

namespace {

// Everything a report page shows besides its query: the business' last order change (event seq),
// its newest order, its feedback, its low-stock list, its name, currency and zone,
// and the quarter hour (the kept figures' own refresh bound). Read in one go, in microseconds.
std::string page_signature(sqlite::connection& db, const std::string& business_id) {
  std::string sig;
  auto add = [&](const char* sql, bool bind) {
    auto q = db.prepare(sql);
    if (bind) q.bind(1, business_id);
    if (q.step())
      for (int i = 0; i < 4; ++i) sig += q.text(i) + "|";
  };
  // The languages too: the first one sets how the page writes money.
  add("SELECT order_event_seq, name || '|' || languages, currency, COALESCE(time_zone, utc_offset_minutes) FROM businesses WHERE id = ?", true);
  add("SELECT COALESCE(MAX(created_at_ms), 0), 0, 0, 0 FROM orders WHERE business_id = ?", true);
  add("SELECT COUNT(*), COALESCE(MAX(created_at_ms), 0), 0, 0 FROM order_feedback WHERE business_id = ?", true);
  add("SELECT COALESCE(group_concat(id || ':' || stock || ':' || COALESCE(low_stock_threshold, 0) || ':' || name, ','), ''), 0, 0, 0 "
      "FROM products WHERE business_id = ? AND active = 1 AND stock IS NOT NULL", true);
  return sig + std::to_string(now_ms() / (15 * 60'000));
}

// Finished report answers (page or CSV, compressed as sent) by session, query, encoding and
// signature: a reload of an unchanged business costs the signature's queries only.
struct answer_cache {
  std::mutex mu;
  std::map<std::string, std::pair<std::uint64_t, http_response>> entries;
  std::uint64_t tick = 0;
  static constexpr std::size_t k_max = 32;
  std::optional<http_response> get(const std::string& key) {
    std::lock_guard lock(mu);
    auto it = entries.find(key);
    if (it == entries.end()) return std::nullopt;
    it->second.first = ++tick;
    return it->second.second;
  }
  void put(const std::string& key, const http_response& r) {
    std::lock_guard lock(mu);
    if (entries.size() >= k_max) {
      auto oldest = entries.begin();
      for (auto it = entries.begin(); it != entries.end(); ++it)
        if (it->second.first < oldest->second.first) oldest = it;
      entries.erase(oldest);
    }
    entries[key] = {++tick, r};
  }
};

answer_cache& answers() {
  static answer_cache c;
  return c;
}

http_response compute_reports_page(app::impl& d, const http_request& req, const session& s, const std::vector<std::string>& rest,
                                   sqlite::connection& db, const rp::local_calendar& cal, const rp::period& p);

}  // namespace

http_response reports_page(app::impl& d, const http_request& req, const session& s, const std::vector<std::string>& rest) {
  if (rest.size() > 1) return d.not_found(req, &s);
  auto db = d.reads.get();
  const auto cal = rp::calendar_of(*db, s.business_id);
  const auto pp = read_period(req, cal);
  if (pp.error) return d.bad_field(req, *pp.error, &s);
  const auto& p = pp.p;
  const auto enc = req.headers.find("accept-encoding");
  const std::string key = s.csrf + "\n" + s.business_id + "\n" + (rest.empty() ? std::string() : rest[0]) + "\n" + query_of(p) + "\n" +
                          (enc == req.headers.end() ? std::string() : enc->second) + "\n" + page_signature(*db, s.business_id);
  if (auto hit = answers().get(key)) return *hit;
  auto r = compute_reports_page(d, req, s, rest, *db, cal, p);
  if (r.status == 200) answers().put(key, r);
  return r;
}

namespace {

http_response compute_reports_page(app::impl& d, const http_request& req, const session& s, const std::vector<std::string>& rest,
                                   sqlite::connection& db_, const rp::local_calendar& cal, const rp::period& p) {
  auto* db = &db_;
  if (rest.size() == 1) {  // {id}.csv
    const std::string& name = rest[0];
    if (!name.ends_with(".csv")) return d.not_found(req, &s);
    const std::string id = name.substr(0, name.size() - 4);
    if (std::find(rp::report_ids().begin(), rp::report_ids().end(), id) == rp::report_ids().end()) return d.not_found(req, &s);
    const auto set = rp::compute(*db, s.business_id, cal, p);
    const rp::table& t = *rp::find(set, id);
    std::string out = csv_cell(t.key_name);
    for (const auto& c : t.columns) out += "," + csv_cell(c.k == rp::kind::money ? c.name + " (" + set.currency + ")" : c.k == rp::kind::share ? c.name + " (%)" : c.name);
    out += "\r\n";
    for (const auto& r : t.rows) {
      out += csv_cell(r.key);
      for (std::size_t i = 0; i < t.columns.size() && i < r.values.size(); ++i) out += "," + csv_value(t.columns[i], r.values[i]);
      out += "\r\n";
    }
    http_response r;
    r.content_type = "text/csv; charset=utf-8";
    r.body = std::move(out);
    r.headers.emplace_back("Content-Disposition", "attachment; filename=\"" + id + "-" + s.slug + "-" +
                                                      rp::format_date(p.from.year, p.from.month, p.from.day) + "-" +
                                                      rp::format_date(p.to.year, p.to.month, p.to.day) + ".csv\"");
    r.headers.emplace_back("Cache-Control", "no-store");
    r.headers.emplace_back("X-Content-Type-Options", "nosniff");
    return d.finish(req, std::move(r));
  }

  const auto set = rp::compute(*db, s.business_id, cal, p);
  const std::string q = query_of(p);
  const shown_money cur{set.currency, s.lang};
  const auto& sum = set.summary.rows.front().values;
  std::string sections;
  auto add = [&](const safe_html& h) { sections += h.html; };
  add(section(set.sales, svg_columns("Revenue per period", bars_of(set.sales, 1, cur)), cur, q));
  add(section(set.channels, svg_bars("Revenue by channel", bars_of(set.channels, 1, cur)), cur, q));
  add(section(set.order_types, svg_bars("Revenue by order type", bars_of(set.order_types, 1, cur)), cur, q));
  add(section(set.payments, svg_bars("Revenue by payment method", bars_of(set.payments, 1, cur)), cur, q));
  add(section(set.best_sellers, svg_bars("Best sellers by quantity", bars_of(set.best_sellers, 0, cur)), cur, q));
  {
    std::vector<std::string> rows, cols;
    std::vector<std::vector<std::int64_t>> vals;
    for (const auto& r : set.heatmap.rows) {
      rows.push_back(r.key);
      vals.push_back(r.values);
    }
    for (const auto& c : set.heatmap.columns) cols.push_back(c.name.substr(1));
    add(section(set.heatmap, svg_heatmap("Sales by weekday and hour", rows, cols, vals), cur, q));
  }
  add(section(set.cancellations, svg_columns("Cancelled orders per period", bars_of(set.cancellations, 0, cur)), cur, q));
  add(section(set.ratings, svg_columns("Average rating per period", bars_of(set.ratings, 1, cur)), cur, q));
  add(section(set.low_stock, svg_bars("Stock left", bars_of(set.low_stock, 0, cur)), cur, q));

  auto opt = [&](const char* v, const char* l) {
    const bool sel = (p.group == rp::granularity::day && std::string(v) == "day") || (p.group == rp::granularity::week && std::string(v) == "week") ||
                     (p.group == rp::granularity::month && std::string(v) == "month");
    return render(R"(<option value="{{v|attr}}" {{s}}>{{l}}</option>)", {{"v", v}, {"l", l}, {"s", sel ? "selected" : ""}}).html;
  };
  auto body = render(R"(<h1 class="h3">Reports</h1>
<form method="get" action="/portal/reports" class="row g-2 align-items-end mb-3" id="report-range">
<div class="col-6 col-md-3"><label class="form-label" for="from">From</label><input class="form-control" type="date" id="from" name="from" value="{{from|attr}}"></div>
<div class="col-6 col-md-3"><label class="form-label" for="to">To</label><input class="form-control" type="date" id="to" name="to" value="{{to|attr}}"></div>
<div class="col-6 col-md-3"><label class="form-label" for="group">Per</label><select class="form-select" id="group" name="group">{{opts|html}}</select></div>
<div class="col-6 col-md-3"><button class="btn btn-primary w-100" type="submit">Show</button></div></form>
<p class="text-muted small">Dates and hours in the store's time zone ({{zone}}). Sales are paid orders (paid through collected or delivered); unpaid and refunded orders are left out.</p>
<section class="card mb-4" id="r-summary"><div class="card-body"><div class="d-flex justify-content-between align-items-baseline mb-2"><h2 class="h5 mb-0">Summary</h2><a class="btn btn-sm btn-outline-secondary" href="/portal/reports/summary.csv?{{q|attr}}" download>CSV</a></div>
<div class="row g-3 text-center" id="summary">
<div class="col-6 col-md-3"><div class="border rounded p-2"><div class="small text-muted">Orders</div><div class="fs-4 fw-bold" data-figure="orders">{{orders}}</div></div></div>
<div class="col-6 col-md-3"><div class="border rounded p-2"><div class="small text-muted">Revenue</div><div class="fs-4 fw-bold" data-figure="revenue">{{revenue}}</div></div></div>
<div class="col-6 col-md-3"><div class="border rounded p-2"><div class="small text-muted">Average order</div><div class="fs-4 fw-bold" data-figure="average">{{avg}}</div></div></div>
<div class="col-6 col-md-3"><div class="border rounded p-2"><div class="small text-muted">Cancelled</div><div class="fs-4 fw-bold" data-figure="cancelled">{{canc}} <span class="fs-6 fw-normal">({{share}})</span></div></div></div>
</div></div></section>
{{sections|html}})",
                     {{"from", rp::format_date(p.from.year, p.from.month, p.from.day)}, {"to", rp::format_date(p.to.year, p.to.month, p.to.day)},
                      {"opts", safe_html{opt("day", "day") + opt("week", "week") + opt("month", "month")}}, {"zone", set.zone}, {"q", q},
                      {"orders", std::to_string(sum[0])}, {"revenue", format_money(sum[1], cur.currency, cur.lang)}, {"avg", format_money(sum[2], cur.currency, cur.lang)},
                      {"canc", std::to_string(sum[3])}, {"share", fixed2(sum[4]) + " %"}, {"sections", safe_html{sections}}});
  return d.page(req, 200, "Reports", body, &s);
}

}  // namespace

}  // namespace

void add_dashboard_routes(http_router& router, app::impl& d) {
  auto* dp = &d;
  // owner_only, handler
  auto guarded = [dp](bool owner_only, auto fn) {
    return [dp, owner_only, fn](const http_request& req) -> http_response {
      std::optional<session> s;
      if (auto deny = dp->require(req, s, owner_only)) return *deny;
      auto segs = split_path(req.path);
      if (!segs || segs->size() < 2) return dp->not_found(req, &*s);
      const std::vector<std::string> rest(segs->begin() + 2, segs->end());
      try {
        return fn(*dp, req, *s, rest);
      } catch (const sqlite::error& e) {
        spdlog::error("web: {} {} failed: {}", req.method, req.path, e.what());
        return dp->error_page(req, 500, "Something went wrong; nothing was changed.", &*s);
      }
    };
  };
  auto reports = guarded(true, [](app::impl& dd, const http_request& req, const session& s, const std::vector<std::string>& rest) {
    if (req.method != "GET" && req.method != "HEAD") return dd.not_found(req, &s);
    return reports_page(dd, req, s, rest);
  });
  router.add("GET", "/portal/reports", reports);
  router.add_prefix("GET", "/portal/reports/", reports);
  auto devices = guarded(false, [](app::impl& dd, const http_request& req, const session& s, const std::vector<std::string>& rest) {
    return rest.empty() ? devices_page(dd, req, s) : dd.not_found(req, &s);
  });
  router.add("GET", "/portal/devices", devices);
  auto feedback = guarded(false, [](app::impl& dd, const http_request& req, const session& s, const std::vector<std::string>& rest) {
    return rest.empty() ? feedback_page(dd, req, s) : dd.not_found(req, &s);
  });
  router.add("GET", "/portal/feedback", feedback);
  auto support = guarded(false, [](app::impl& dd, const http_request& req, const session& s, const std::vector<std::string>& rest) {
    return support_inbox(dd, req, s, rest);
  });
  for (const char* m : {"GET", "POST"}) {
    router.add(m, "/portal/support", support);
    router.add_prefix(m, "/portal/support/", support);
  }
}

}  // namespace kh::hub::web
