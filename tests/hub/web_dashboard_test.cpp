// The dashboard's reports, devices, feedback and support pages through the web's router, in
// process: a real SQLite file, the real order service (with a clock the test sets, so orders land
// at chosen local times, DST change days included), the real handlers.
#include <gtest/gtest.h>

#include <sstream>

#include "kh/hub/reports/reports.hpp"
#include "kh/hub/web/escape.hpp"
#include "kh/hub/web/web.hpp"
#include "test_support.hpp"
#include "web/dashboard.hpp"
#include "web/util.hpp"

namespace kh::hub::test {
namespace {

namespace w = kh::hub::web;
namespace rp = kh::hub::reports;
using namespace std::chrono;

std::string header(const http_response& r, const std::string& name) {
  for (const auto& [k, v] : r.headers)
    if (k == name) return v;
  return {};
}

/// A browser: cookies and the last page's CSRF token over router.dispatch.
struct browser {
  http_router& router;
  std::string remote = "127.0.0.1:40000";
  std::map<std::string, std::string> cookies;
  std::string csrf;

  http_request make(const std::string& method, const std::string& target) {
    http_request q;
    q.method = method;
    q.target = target;
    const auto qm = target.find('?');
    q.path = target.substr(0, qm);
    if (qm != std::string::npos) q.query = *w::parse_urlencoded(target.substr(qm + 1));
    q.headers["host"] = "shop.test";
    std::string c;
    for (const auto& [k, v] : cookies) c += (c.empty() ? "" : "; ") + k + "=" + v;
    if (!c.empty()) q.headers["cookie"] = c;
    q.remote = remote;
    return q;
  }
  http_response send(http_request q) {
    auto r = router.dispatch(q);
    for (const auto& [k, v] : r.headers) {
      if (k != "Set-Cookie") continue;
      const auto eq = v.find('='), semi = v.find(';');
      const auto name = v.substr(0, eq), value = v.substr(eq + 1, semi - eq - 1);
      if (value.empty()) cookies.erase(name);
      else cookies[name] = value;
    }
    const std::string tok = "name=\"csrf\" value=\"";
    if (const auto at = r.body.find(tok); at != std::string::npos)
      csrf = r.body.substr(at + tok.size(), r.body.find('"', at + tok.size()) - at - tok.size());
    return r;
  }
  http_response get(const std::string& target) { return send(make("GET", target)); }
  http_response post(const std::string& target, std::map<std::string, std::string> form, bool with_csrf = true) {
    auto q = make("POST", target);
    if (with_csrf) form.emplace("csrf", csrf);
    std::string body;
    for (const auto& [k, v] : form) body += (body.empty() ? "" : "&") + w::escape_url_component(k) + "=" + w::escape_url_component(v);
    q.headers["content-type"] = "application/x-www-form-urlencoded";
    q.body = body;
    return send(std::move(q));
  }
};

/// CSV text → rows of cells (RFC 4180 quoting).
std::vector<std::vector<std::string>> parse_csv(const std::string& in) {
  std::vector<std::vector<std::string>> rows(1);
  std::string cell;
  bool quoted = false;
  for (std::size_t i = 0; i < in.size(); ++i) {
    const char c = in[i];
    if (quoted) {
      if (c == '"' && i + 1 < in.size() && in[i + 1] == '"') cell += '"', ++i;
      else if (c == '"') quoted = false;
      else cell += c;
    } else if (c == '"') quoted = true;
    else if (c == ',') rows.back().push_back(cell), cell.clear();
    else if (c == '\r') continue;
    else if (c == '\n') {
      rows.back().push_back(cell);
      cell.clear();
      rows.emplace_back();
    } else cell += c;
  }
  if (rows.back().empty()) rows.pop_back();
  return rows;
}

system_clock::time_point utc(int y, int mo, int d, int h, int mi) {
  return sys_days{year{y} / mo / d} + hours(h) + minutes(mi);
}

class web_dashboard : public ::testing::Test {
 protected:
  void SetUp() override {
    db = open_sqlite_store(database_path(dir.path().string()));
    orders = std::make_unique<order_service>(*db, clk.fn());
    orders->set_unpaid_hold_limit(0);
    w::web_options o;
    o.public_url = "http://shop.test";
    o.db_path = database_path(dir.path().string());
    o.data_dir = dir.path().string();
    app = std::make_unique<w::app>(o, *db, *orders, w::web_hooks{});
    app->add_routes(router);
  }

  void register_business(browser& b, const std::string& slug, const std::string& email) {
    ASSERT_EQ(b.get("/register").status, 200);
    auto r = b.post("/register", {{"business_name", "Shop " + slug}, {"slug", slug}, {"currency", "EUR"}, {"tax_rate", "10"},
                                  {"tax_inclusive", "1"}, {"utc_offset", "+01:00"}, {"prep_minutes", "5"}, {"always_open", "1"},
                                  {"type_takeaway", "1"}, {"type_eat_in", "1"}, {"email", email}, {"password", "correct horse battery"}});
    ASSERT_EQ(r.status, 303) << r.body;
  }
  void add_staff(browser& owner, browser& staff, const std::string& email) {
    owner.get("/portal/staff");
    ASSERT_EQ(owner.post("/portal/staff", {{"email", email}, {"role", "staff"}, {"password", "staff password 1"}}).status, 303);
    staff.get("/login");
    ASSERT_EQ(staff.post("/login", {{"email", email}, {"password", "staff password 1"}}).status, 303);
  }
  std::string add_product(browser& b, const std::string& name, const std::string& price) {
    b.get("/portal/products/new");
    auto r = b.post("/portal/products/new", {{"name", name}, {"price", price}, {"category_id", "menu"}, {"active", "1"}, {"stock", ""}});
    EXPECT_EQ(r.status, 303) << r.body;
    const auto loc = header(r, "Location");
    const auto start = std::string("/portal/products/").size();
    return loc.substr(start, loc.find('?') - start);
  }
  std::string business_of(const std::string& slug) { return *scalar("SELECT id FROM businesses WHERE slug = '" + slug + "'"); }
  std::optional<std::string> scalar(const std::string& sql) {
    auto q = sqlite_connection(*db).prepare(sql);
    if (!q.step() || q.is_null(0)) return std::nullopt;
    return q.text(0);
  }
  std::int64_t count(const std::string& sql) { return std::stoll(scalar(sql).value_or("0")); }
  void exec(const std::string& sql) { sqlite_connection(*db).exec(sql); }

  /// The store's IANA zone (the column comes with the store profile; older schemas get it here).
  void set_zone(const std::string& business, const std::string& zone) {
    if (count("SELECT COUNT(*) FROM pragma_table_info('businesses') WHERE name = 'time_zone'") == 0)
      exec("ALTER TABLE businesses ADD COLUMN time_zone TEXT");
    exec("UPDATE businesses SET time_zone = '" + zone + "' WHERE id = '" + business + "'");
  }
  void add_kiosk(const std::string& business, const std::string& id) {
    auto tx = db->begin();
    db->devices().insert({id, business, "Kiosk " + id, protocol::device_mode::shop, true, false, std::nullopt, ""}, 0);
    tx->commit();
  }

  struct placed_order {
    std::string id;
    std::int64_t total = 0;
    std::string day;  // local date as the test knows it
    std::string state, type, payment, channel;
    int weekday = 0, hour = 0;
  };
  /// Places an order at `at` (UTC) from `device`; `day`, weekday and hour are the local ones the
  /// test expects (worked out by hand, not by the code under test).
  placed_order place(const std::string& device, system_clock::time_point at, const std::string& day, int weekday, int hour,
                     std::vector<std::pair<std::string, int>> lines, protocol::order_type type, protocol::payment_method pay,
                     const std::string& final_state) {
    clk.now = at;
    auto o = make_order(std::move(lines));
    o.type = type;
    o.payment = pay;
    o.cust.name = "Ann";
    auto p = orders->place(device, o);
    EXPECT_TRUE(p.accepted) << p.body;
    placed_order r;
    r.id = o.order_id;
    r.total = std::stoll(*scalar("SELECT total FROM orders WHERE id = '" + o.order_id + "'"));
    r.day = day;
    r.weekday = weekday;
    r.hour = hour;
    r.type = protocol::to_string(type);
    r.payment = protocol::to_string(pay);
    r.channel = device.starts_with("web-") ? "phone" : "kiosk";
    r.state = "pending_payment";
    if (final_state == "paid" || final_state == "collected") {
      EXPECT_TRUE(orders->transition(o.order_id, protocol::order_state::paid, "test"));
      r.state = "paid";
    }
    if (final_state == "collected") {
      for (auto s : {protocol::order_state::preparing, protocol::order_state::ready, protocol::order_state::collected})
        EXPECT_TRUE(orders->transition(o.order_id, s, "test"));
      r.state = "collected";
    }
    if (final_state == "cancelled") {
      EXPECT_TRUE(orders->transition(o.order_id, protocol::order_state::cancelled, "test"));
      r.state = "cancelled";
    }
    return r;
  }

  temp_dir dir;
  manual_clock clk;
  std::unique_ptr<store> db;
  std::unique_ptr<order_service> orders;
  std::unique_ptr<w::app> app;
  http_router router;
};

// ---- units ---------------------------------------------------------------------------------

TEST(reports_calendar, berlin_days_follow_dst_and_fixed_offsets_do_not) {
  const rp::local_calendar berlin("Europe/Berlin", 60);
  ASSERT_TRUE(berlin.dst_aware());
  EXPECT_EQ(berlin.name(), "Europe/Berlin");
  // 2026-03-29: clocks go 02:00 → 03:00. Local midnight is 23:00 UTC the day before (CET), the
  // next midnight 22:00 UTC (CEST): a 23-hour day.
  const auto start = berlin.day_start_ms(2026, 3, 29), next = berlin.day_start_ms(2026, 3, 30);
  EXPECT_EQ(start, duration_cast<milliseconds>(utc(2026, 3, 28, 23, 0).time_since_epoch()).count());
  EXPECT_EQ(next - start, 23 * 3'600'000);
  // 23:30 local on that day is 21:30 UTC.
  const auto c = berlin.at(duration_cast<milliseconds>(utc(2026, 3, 29, 21, 30).time_since_epoch()).count());
  EXPECT_EQ(rp::format_date(c.year, c.month, c.day), "2026-03-29");
  EXPECT_EQ(c.minute, 23 * 60 + 30);
  EXPECT_EQ(c.weekday, 6);  // Sunday
  // 2026-10-25: 03:00 → 02:00, a 25-hour day.
  EXPECT_EQ(berlin.day_start_ms(2026, 10, 26) - berlin.day_start_ms(2026, 10, 25), 25 * 3'600'000);
  // A fixed +01:00 puts the same instant on the next day at 00:30 … wrong in summer, as expected.
  const rp::local_calendar fixed("", 120);
  EXPECT_FALSE(fixed.dst_aware());
  EXPECT_EQ(fixed.name(), "UTC+02:00");
  const auto f = fixed.at(duration_cast<milliseconds>(utc(2026, 10, 25, 22, 30).time_since_epoch()).count());
  EXPECT_EQ(rp::format_date(f.year, f.month, f.day), "2026-10-26");
  // An unknown zone falls back to the offset.
  EXPECT_FALSE(rp::local_calendar("Mars/Olympus", 0).dst_aware());
  EXPECT_FALSE(rp::parse_date("2026-02-30"));
  EXPECT_FALSE(rp::parse_date("2026-1-01"));
  EXPECT_TRUE(rp::parse_date("2028-02-29"));
}

TEST(reports_csv, formulas_get_an_apostrophe_and_quotes_are_doubled) {
  EXPECT_EQ(w::csv_cell("=cmd|' /C calc'!A0"), "'=cmd|' /C calc'!A0");
  EXPECT_EQ(w::csv_cell("+1"), "'+1");
  EXPECT_EQ(w::csv_cell("-2"), "'-2");
  EXPECT_EQ(w::csv_cell("@SUM(A1)"), "'@SUM(A1)");
  EXPECT_EQ(w::csv_cell("a \"b\", c"), "\"a \"\"b\"\", c\"");
  EXPECT_EQ(w::csv_cell("=1,2"), "\"'=1,2\"");
  EXPECT_EQ(w::csv_cell("line\nbreak"), "\"line\nbreak\"");
  EXPECT_EQ(w::csv_cell("Latte"), "Latte");
}

// ---- reports ---------------------------------------------------------------------------------

TEST_F(web_dashboard, report_figures_match_the_orders_placed_including_23_30_on_dst_change_days) {
  browser owner{router};
  register_business(owner, "alpha", "a@alpha.example");
  const auto bid = business_of("alpha");
  set_zone(bid, "Europe/Berlin");
  add_kiosk(bid, "kiosk-a");
  const auto latte = add_product(owner, "Latte", "3.60");
  const auto bun = add_product(owner, "Bun", "2.00");
  const auto web = w::app::web_device_id(bid);
  using T = protocol::order_type;
  using P = protocol::payment_method;
  std::vector<placed_order> all;
  // Saturday 2026-03-28, CET (+1).
  all.push_back(place("kiosk-a", utc(2026, 3, 28, 9, 15), "2026-03-28", 5, 10, {{latte, 2}}, T::takeaway, P::card_present, "collected"));
  all.push_back(place(web, utc(2026, 3, 28, 22, 59), "2026-03-28", 5, 23, {{bun, 1}}, T::eat_in, P::cash, "paid"));
  // Sunday 2026-03-29, the spring change: before it CET, after it CEST (+2).
  all.push_back(place("kiosk-a", utc(2026, 3, 28, 23, 0), "2026-03-29", 6, 0, {{bun, 3}}, T::takeaway, P::wallet, "paid"));
  all.push_back(place("kiosk-a", utc(2026, 3, 29, 1, 30), "2026-03-29", 6, 3, {{latte, 1}}, T::takeaway, P::card_present, "cancelled"));
  all.push_back(place(web, utc(2026, 3, 29, 21, 30), "2026-03-29", 6, 23, {{latte, 1}, {bun, 1}}, T::takeaway, P::cash, "collected"));  // 23:30 local
  all.push_back(place("kiosk-a", utc(2026, 3, 29, 12, 0), "2026-03-29", 6, 14, {{bun, 1}}, T::eat_in, P::card_present, "pending"));
  // Monday 2026-03-30 00:10 local (22:10 UTC on Sunday).
  all.push_back(place("kiosk-a", utc(2026, 3, 29, 22, 10), "2026-03-30", 0, 0, {{latte, 4}}, T::eat_in, P::card_present, "paid"));
  // Sunday 2026-10-25, the autumn change: 23:30 local is 22:30 UTC (CET again).
  all.push_back(place("kiosk-a", utc(2026, 10, 25, 22, 30), "2026-10-25", 6, 23, {{bun, 2}}, T::takeaway, P::cash, "paid"));
  all.push_back(place("kiosk-a", utc(2026, 10, 24, 22, 30), "2026-10-25", 6, 0, {{latte, 1}}, T::takeaway, P::card_present, "paid"));  // 00:30 CEST

  auto csv = [&](const std::string& id, const std::string& range) {
    auto r = owner.get("/portal/reports/" + id + ".csv?" + range);
    EXPECT_EQ(r.status, 200) << id << r.body;
    EXPECT_EQ(r.content_type, "text/csv; charset=utf-8");
    return parse_csv(r.body);
  };
  auto money = [](std::int64_t v) {
    char b[32];
    std::snprintf(b, sizeof b, "%lld.%02lld", static_cast<long long>(v / 100), static_cast<long long>(v % 100));
    return std::string(b);
  };
  auto is_sale = [](const placed_order& o) { return o.state == "paid" || o.state == "collected"; };

  // Per day, both change days.
  for (const std::string range : {"from=2026-03-28&to=2026-03-30&group=day", "from=2026-10-24&to=2026-10-26&group=day"}) {
    const auto rows = csv("sales", range);
    ASSERT_GE(rows.size(), 4u);
    EXPECT_EQ(rows[0], (std::vector<std::string>{"day", "orders", "revenue (EUR)", "average_order (EUR)"}));
    for (std::size_t i = 1; i < rows.size(); ++i) {
      std::int64_t n = 0, sum = 0;
      for (const auto& o : all)
        if (o.day == rows[i][0] && is_sale(o)) ++n, sum += o.total;
      EXPECT_EQ(rows[i][1], std::to_string(n)) << rows[i][0];
      EXPECT_EQ(rows[i][2], money(sum)) << rows[i][0];
    }
  }
  {
    const auto rows = csv("sales", "from=2026-03-28&to=2026-03-30&group=day");
    ASSERT_EQ(rows.size(), 4u);
    EXPECT_EQ(rows[2][0], "2026-03-29");
    EXPECT_EQ(rows[2][1], "2");  // 00:00 (wallet) and the 23:30 phone order; not the cancelled or pending ones
  }
  // Week (Monday 2026-03-23 … 2026-03-29, then 2026-03-30 …) and month.
  {
    const auto rows = csv("sales", "from=2026-03-23&to=2026-04-05&group=week");
    ASSERT_EQ(rows.size(), 3u);
    std::int64_t w1 = 0, w2 = 0;
    for (const auto& o : all)
      if (is_sale(o) && o.day.starts_with("2026-03")) (o.day <= "2026-03-29" ? w1 : w2) += o.total;
    EXPECT_EQ(rows[1][0], "2026-03-23");
    EXPECT_EQ(rows[1][2], money(w1));
    EXPECT_EQ(rows[2][0], "2026-03-30");
    EXPECT_EQ(rows[2][2], money(w2));
    const auto months = csv("sales", "from=2026-01-01&to=2026-12-31&group=month");
    ASSERT_EQ(months.size(), 13u);
    std::int64_t oct = 0;
    for (const auto& o : all)
      if (is_sale(o) && o.day.starts_with("2026-10")) oct += o.total;
    EXPECT_EQ(months[10][0], "2026-10");
    EXPECT_EQ(months[10][2], money(oct));
  }
  const std::string year = "from=2026-01-01&to=2026-12-31&group=month";
  // Summary: orders, revenue, average order value, cancellations.
  {
    std::int64_t n = 0, sum = 0, canc = 0;
    for (const auto& o : all) {
      if (is_sale(o)) ++n, sum += o.total;
      if (o.state == "cancelled") ++canc;
    }
    const auto rows = csv("summary", year);
    ASSERT_EQ(rows.size(), 2u);
    EXPECT_EQ(rows[1][1], std::to_string(n));
    EXPECT_EQ(rows[1][2], money(sum));
    EXPECT_EQ(rows[1][3], money((sum + n / 2) / n));
    EXPECT_EQ(rows[1][4], std::to_string(canc));
    EXPECT_EQ(rows[1][6], std::to_string(all.size()));
    // The page shows the same figures.
    auto page = owner.get("/portal/reports?" + year);
    ASSERT_EQ(page.status, 200);
    EXPECT_NE(page.body.find("data-figure=\"revenue\">\u20ac" + money(sum) + "<"), std::string::npos);  // "€12.30"
    // A French store's page writes "12,30 €", at once (the kept page is not served again).
    exec("UPDATE businesses SET languages = 'fr,en' WHERE slug = 'alpha'");
    const auto fr = owner.get("/portal/reports?" + year);
    std::string fr_sum = money(sum);
    fr_sum[fr_sum.size() - 3] = ',';
    EXPECT_NE(fr.body.find("data-figure=\"revenue\">" + fr_sum + "\u00a0\u20ac<"), std::string::npos) << fr_sum;
    exec("UPDATE businesses SET languages = 'en' WHERE slug = 'alpha'");
    EXPECT_NE(page.body.find("Europe/Berlin"), std::string::npos);
  }
  // Channels, order types, payment methods.
  for (const auto& [id, pick] : std::vector<std::pair<std::string, std::function<std::string(const placed_order&)>>>{
           {"channels", [](const placed_order& o) { return o.channel; }},
           {"order_types", [](const placed_order& o) { return o.type; }},
           {"payments", [](const placed_order& o) { return o.payment; }}}) {
    std::map<std::string, std::pair<std::int64_t, std::int64_t>> want;
    for (const auto& o : all)
      if (is_sale(o)) ++want[pick(o)].first, want[pick(o)].second += o.total;
    const auto rows = csv(id, year);
    ASSERT_EQ(rows.size(), want.size() + 1) << id;
    for (std::size_t i = 1; i < rows.size(); ++i) {
      ASSERT_TRUE(want.count(rows[i][0])) << id << " " << rows[i][0];
      EXPECT_EQ(rows[i][1], std::to_string(want[rows[i][0]].first)) << id;
      EXPECT_EQ(rows[i][2], money(want[rows[i][0]].second)) << id;
    }
  }
  // Best sellers: quantities of sold lines.
  {
    std::map<std::string, std::int64_t> qty = {{"Latte", 0}, {"Bun", 0}};
    auto q = sqlite_connection(*db).prepare("SELECT o.id, l.name, l.qty FROM order_lines l JOIN orders o ON o.id = l.order_id");
    while (q.step())
      for (const auto& o : all)
        if (o.id == q.text(0) && is_sale(o)) qty[q.text(1)] += q.int64(2);
    const auto rows = csv("best_sellers", year);
    ASSERT_EQ(rows.size(), 3u);
    EXPECT_EQ(rows[1][0], qty["Latte"] >= qty["Bun"] ? "Latte" : "Bun");
    for (std::size_t i = 1; i < rows.size(); ++i) EXPECT_EQ(rows[i][1], std::to_string(qty[rows[i][0]])) << rows[i][0];
  }
  // Heat map: weekday × local hour of every sale.
  {
    std::int64_t heat[7][24] = {};
    for (const auto& o : all)
      if (is_sale(o)) ++heat[o.weekday][o.hour];
    const auto rows = csv("heatmap", year);
    ASSERT_EQ(rows.size(), 8u);
    EXPECT_EQ(rows[0][24], "h23");
    for (int d = 0; d < 7; ++d)
      for (int h = 0; h < 24; ++h) EXPECT_EQ(rows[d + 1][h + 1], std::to_string(heat[d][h])) << d << " " << h;
    EXPECT_EQ(rows[7][0], "Sunday");
    EXPECT_EQ(rows[7][24], "2");  // 23:30 on both change days
  }
  // Cancellations per day.
  {
    const auto rows = csv("cancellations", "from=2026-03-29&to=2026-03-29&group=day");
    ASSERT_EQ(rows.size(), 2u);
    EXPECT_EQ(rows[1][1], "1");
    EXPECT_EQ(rows[1][3], "25.00");  // 1 of the 4 orders of that day
  }
}

TEST_F(web_dashboard, ratings_over_time_and_low_stock) {
  browser owner{router};
  register_business(owner, "alpha", "a@alpha.example");
  const auto bid = business_of("alpha");
  set_zone(bid, "Europe/Berlin");
  add_kiosk(bid, "kiosk-a");
  const auto tea = add_product(owner, "Tea", "2.00");
  owner.get("/portal/products/" + tea);
  ASSERT_EQ(owner.post("/portal/products/" + tea + "/stock", {{"mode", "set"}, {"quantity", "3"}, {"reason", "count"}}).status, 303);
  exec("UPDATE products SET low_stock_threshold = 5 WHERE id = '" + tea + "'");
  using T = protocol::order_type;
  using P = protocol::payment_method;
  const auto a = place("kiosk-a", utc(2026, 3, 29, 21, 30), "2026-03-29", 6, 23, {{tea, 1}}, T::takeaway, P::cash, "collected");
  const auto b = place("kiosk-a", utc(2026, 3, 30, 8, 0), "2026-03-30", 0, 10, {{tea, 1}}, T::takeaway, P::cash, "collected");
  auto rate = [&](const std::string& order, int stars, system_clock::time_point at) {
    exec("INSERT INTO order_feedback(order_id, business_id, rating, comment, created_at_ms) VALUES ('" + order + "', '" + bid + "', " +
         std::to_string(stars) + ", 'ok', " + std::to_string(duration_cast<milliseconds>(at.time_since_epoch()).count()) + ")");
  };
  rate(a.id, 5, utc(2026, 3, 29, 21, 45));  // 23:45 local on the 29th
  rate(b.id, 2, utc(2026, 3, 30, 9, 0));
  auto r = owner.get("/portal/reports/ratings.csv?from=2026-03-29&to=2026-03-30&group=day");
  ASSERT_EQ(r.status, 200);
  const auto rows = parse_csv(r.body);
  ASSERT_EQ(rows.size(), 3u);
  EXPECT_EQ(rows[1], (std::vector<std::string>{"2026-03-29", "1", "5.00"}));
  EXPECT_EQ(rows[2], (std::vector<std::string>{"2026-03-30", "1", "2.00"}));
  const auto low = parse_csv(owner.get("/portal/reports/low_stock.csv").body);
  ASSERT_EQ(low.size(), 2u);
  EXPECT_EQ(low[1], (std::vector<std::string>{"Tea", "1", "5"}));  // 3 − 2 sold
}

TEST_F(web_dashboard, best_sellers_follow_payments_and_refunds_in_whole_hour_and_half_hour_zones) {
  browser owner{router};
  register_business(owner, "alpha", "a@alpha.example");
  const auto bid = business_of("alpha");
  add_kiosk(bid, "kiosk-a");
  const auto tea = add_product(owner, "Tea", "2.00");
  const auto cake = add_product(owner, "Cake", "4.00");
  using T = protocol::order_type;
  using P = protocol::payment_method;
  const auto a = place("kiosk-a", utc(2026, 5, 4, 10, 0), "", 0, 0, {{tea, 3}, {cake, 1}}, T::takeaway, P::cash, "collected");
  const auto b = place("kiosk-a", utc(2026, 5, 4, 11, 0), "", 0, 0, {{tea, 2}}, T::takeaway, P::cash, "paid");
  place("kiosk-a", utc(2026, 5, 4, 12, 0), "", 0, 0, {{tea, 5}}, T::takeaway, P::cash, "pending");
  const auto c = place("kiosk-a", utc(2026, 5, 4, 13, 0), "", 0, 0, {{cake, 7}}, T::takeaway, P::cash, "cancelled");
  const std::string range = "from=2026-05-01&to=2026-05-31";
  auto best = [&] {
    std::map<std::string, std::string> out;
    for (const auto& r : parse_csv(owner.get("/portal/reports/best_sellers.csv?" + range).body))
      if (r[0] != "product") out[r[0]] = r[1] + "/" + r[2];
    return out;
  };
  for (const std::string zone : {"Europe/Berlin", "Asia/Kolkata"}) {  // hourly table; lines joined (+05:30)
    set_zone(bid, zone);
    EXPECT_EQ(best(), (std::map<std::string, std::string>{{"Tea", "5/10.00"}, {"Cake", "1/4.00"}})) << zone;
  }
  // A refund takes the lines off again; pending and cancelled orders never counted.
  ASSERT_TRUE(orders->transition(b.id, protocol::order_state::refunded, "test"));
  for (const std::string zone : {"Europe/Berlin", "Asia/Kolkata"}) {
    set_zone(bid, zone);
    EXPECT_EQ(best(), (std::map<std::string, std::string>{{"Tea", "3/6.00"}, {"Cake", "1/4.00"}})) << zone;
  }
  ASSERT_TRUE(orders->transition(a.id, protocol::order_state::refunded, "test"));
  set_zone(bid, "Europe/Berlin");
  EXPECT_TRUE(best().empty());
  (void)c;
}

// The figures kept in memory between requests equal a full read of the orders after every kind
// of change: new orders (also ones written straight into the table), state changes, refunds,
// cancellations, periods growing and moving, a half-hour zone.
TEST_F(web_dashboard, kept_figures_equal_a_full_read_after_every_change) {
  browser owner{router};
  register_business(owner, "alpha", "a@alpha.example");
  const auto bid = business_of("alpha");
  add_kiosk(bid, "kiosk-a");
  const auto tea = add_product(owner, "Tea", "2.00");
  const auto cake = add_product(owner, "Cake", "4.00");
  using T = protocol::order_type;
  using P = protocol::payment_method;
  sqlite::open_options ro;
  ro.read_only = true;
  sqlite::connection rd(database_path(dir.path().string()), ro);
  auto flat = [](const rp::report_set& r) {
    std::string out;
    for (const auto& id : rp::report_ids()) {
      const auto* t = rp::find(r, id);
      out += id + ":";
      for (const auto& row : t->rows) {
        out += row.key + "=";
        for (auto v : row.values) out += std::to_string(v) + ",";
        out += ";";
      }
      out += "\n";
    }
    return out;
  };
  int checks = 0;
  auto same = [&](const std::string& from, const std::string& to, rp::granularity g, const std::string& why) {
    const auto cal = rp::calendar_of(rd, bid);
    const rp::period p{*rp::parse_date(from), *rp::parse_date(to), g};
    const auto kept = rp::compute(rd, bid, cal, p);
    const auto full = rp::compute(rd, bid, cal, p, {.cached = false});
    EXPECT_EQ(flat(kept), flat(full)) << why << " " << from << ".." << to;
    ++checks;
    return kept;
  };
  set_zone(bid, "Europe/Berlin");
  const auto a = place("kiosk-a", utc(2026, 3, 29, 21, 30), "", 0, 0, {{tea, 3}, {cake, 1}}, T::takeaway, P::cash, "collected");
  const auto b = place("kiosk-a", utc(2026, 3, 30, 8, 10), "", 0, 0, {{tea, 2}}, T::eat_in, P::card_present, "paid");
  const auto pending = place("kiosk-a", utc(2026, 3, 30, 8, 50), "", 0, 0, {{cake, 2}}, T::takeaway, P::cash, "pending");
  auto first = same("2026-03-01", "2026-03-31", rp::granularity::day, "first build");
  ASSERT_EQ(first.summary.rows[0].values[0], 2);  // two sales
  // A new order in an hour already kept, one in a new hour, one outside the kept range.
  place("kiosk-a", utc(2026, 3, 30, 8, 20), "", 0, 0, {{cake, 1}}, T::takeaway, P::wallet, "paid");
  place("kiosk-a", utc(2026, 3, 31, 18, 0), "", 0, 0, {{tea, 1}}, T::takeaway, P::cash, "paid");
  place("kiosk-a", utc(2026, 4, 2, 9, 0), "", 0, 0, {{tea, 4}}, T::takeaway, P::cash, "collected");
  same("2026-03-01", "2026-03-31", rp::granularity::day, "new orders");
  same("2026-03-01", "2026-04-30", rp::granularity::week, "range grown");
  // State changes of old orders: paid, cancelled, refunded.
  clk.now = utc(2026, 4, 3, 12, 0);
  ASSERT_TRUE(orders->transition(pending.id, protocol::order_state::paid, "test"));
  same("2026-03-01", "2026-04-30", rp::granularity::day, "paid later");
  ASSERT_TRUE(orders->transition(b.id, protocol::order_state::refunded, "test"));
  ASSERT_TRUE(orders->transition(a.id, protocol::order_state::refunded, "test"));
  place("kiosk-a", utc(2026, 3, 30, 9, 0), "", 0, 0, {{tea, 1}}, T::takeaway, P::cash, "cancelled");
  auto after = same("2026-02-15", "2026-04-30", rp::granularity::month, "refunds and a cancellation");
  EXPECT_EQ(after.cancellations.rows.size(), 3u);
  // An order written into the table by hand (no event) is still seen when it is the newest.
  exec("INSERT INTO orders(id, business_id, device_id, day, seq, number, order_type, payment_method, state, currency, subtotal, "
       "discount, tax, delivery_fee, total, tax_rate_bp, tax_inclusive, customer_name, eta_ms, created_at_ms, updated_at_ms) "
       "VALUES ('00000000-0000-4000-8000-000000000001', '" + bid + "', 'kiosk-a', '2026-03-30', 99, 'Z-1', 'takeaway', 'cash', "
       "'collected', 'EUR', 900, 0, 0, 0, 900, 1000, 1, '', 0, " +
       std::to_string(duration_cast<milliseconds>(utc(2026, 4, 5, 8, 40).time_since_epoch()).count()) + ", 0)");
  auto hand = same("2026-03-01", "2026-04-30", rp::granularity::day, "by hand");
  EXPECT_EQ(hand.summary.rows[0].values[1], after.summary.rows[0].values[1] + 900);
  // Another zone: different local days from the same kept slots; +05:30 has no whole-hour days.
  for (const std::string zone : {"America/New_York", "Asia/Kolkata", "Asia/Kathmandu"}) {
    set_zone(bid, zone);
    same("2026-03-01", "2026-04-30", rp::granularity::day, zone);
  }
  EXPECT_EQ(checks, 9);
}

TEST_F(web_dashboard, report_csv_escapes_formula_names_and_the_page_draws_svg_charts) {
  browser owner{router};
  register_business(owner, "alpha", "a@alpha.example");
  const auto bid = business_of("alpha");
  add_kiosk(bid, "kiosk-a");
  const auto evil = add_product(owner, "=cmd|' /C calc'!A0", "1.00");
  const auto quoted = add_product(owner, "Tea \"green\", hot", "2.00");
  place("kiosk-a", utc(2026, 5, 4, 10, 0), "2026-05-04", 0, 11, {{evil, 2}, {quoted, 1}}, protocol::order_type::takeaway,
        protocol::payment_method::cash, "paid");
  auto r = owner.get("/portal/reports/best_sellers.csv?from=2026-05-01&to=2026-05-31");
  ASSERT_EQ(r.status, 200);
  EXPECT_NE(r.body.find("\r\n'=cmd|' /C calc'!A0,2,2.00\r\n"), std::string::npos) << r.body;
  EXPECT_NE(r.body.find("\r\n\"Tea \"\"green\"\", hot\",1,2.00\r\n"), std::string::npos) << r.body;
  EXPECT_NE(header(r, "Content-Disposition").find("attachment; filename=\"best_sellers-alpha-2026-05-01-2026-05-31.csv\""), std::string::npos);
  auto page = owner.get("/portal/reports?from=2026-05-01&to=2026-05-31&group=week");
  ASSERT_EQ(page.status, 200);
  std::size_t svgs = 0;
  for (auto at = page.body.find("<svg class=\"chart\""); at != std::string::npos; at = page.body.find("<svg class=\"chart\"", at + 1)) ++svgs;
  EXPECT_EQ(svgs, 9u);  // one per report beside its table
  EXPECT_EQ(page.body.find("style="), std::string::npos);  // the CSP forbids style attributes
  EXPECT_EQ(page.body.find("<script>"), std::string::npos);
  EXPECT_NE(page.body.find(">=cmd|&#39; /C calc&#39;!A0"), std::string::npos);  // escaped in the SVG titles
  EXPECT_EQ(page.body.find("'=cmd"), std::string::npos);
  // Bad periods: 400 naming the field.
  for (const auto& [q, field] : std::vector<std::pair<std::string, std::string>>{
           {"from=2026-13-01", "from"}, {"to=yesterday", "to"}, {"group=hour", "group"}, {"from=2026-06-02&to=2026-06-01", "from"},
           {"from=2020-01-01&to=2026-01-01", "from"}}) {
    auto bad = owner.get("/portal/reports?" + q);
    EXPECT_EQ(bad.status, 400) << q;
    EXPECT_NE(bad.body.find("data-field=\"" + field + "\""), std::string::npos) << q;
  }
  EXPECT_EQ(owner.get("/portal/reports/nope.csv").status, 404);
  EXPECT_EQ(owner.get("/portal/reports/sales.txt").status, 404);
}

TEST_F(web_dashboard, reports_are_the_owners_and_each_business_sees_only_its_own) {
  browser a{router}, b{router}, staff{router}, anon{router};
  register_business(a, "alpha", "a@alpha.example");
  register_business(b, "beta", "b@beta.example");
  add_staff(a, staff, "s@alpha.example");
  const auto aid = business_of("alpha");
  add_kiosk(aid, "kiosk-a");
  const auto tea = add_product(a, "Tea", "2.50");
  place("kiosk-a", utc(2026, 5, 4, 10, 0), "2026-05-04", 0, 12, {{tea, 2}}, protocol::order_type::takeaway, protocol::payment_method::cash, "paid");
  const std::string q = "?from=2026-05-01&to=2026-05-31";
  for (const std::string path : {"/portal/reports", "/portal/reports/sales.csv", "/portal/reports/summary.csv"}) {
    auto r = anon.get(path + q);
    EXPECT_EQ(r.status, 303) << path;
    EXPECT_TRUE(header(r, "Location").starts_with("/login?next=")) << path;
    EXPECT_EQ(staff.get(path + q).status, 403) << path;
    EXPECT_EQ(a.get(path + q).status, 200) << path;
  }
  EXPECT_EQ(parse_csv(a.get("/portal/reports/summary.csv" + q).body)[1][2], "5.00");
  EXPECT_EQ(parse_csv(b.get("/portal/reports/summary.csv" + q).body)[1][2], "0.00");
  EXPECT_EQ(parse_csv(b.get("/portal/reports/best_sellers.csv" + q).body).size(), 1u);
  // The menu: owners get Reports, staff do not; both get devices, feedback and support.
  EXPECT_NE(a.get("/portal").body.find("href=\"/portal/reports\""), std::string::npos);
  const auto sm = staff.get("/portal").body;
  EXPECT_EQ(sm.find("href=\"/portal/reports\""), std::string::npos);
  for (const char* l : {"/portal/devices", "/portal/feedback", "/portal/support"}) EXPECT_NE(sm.find(std::string("href=\"") + l + "\""), std::string::npos) << l;
}

// ---- devices and feedback --------------------------------------------------------------------

TEST_F(web_dashboard, devices_page_shows_presence_flags_long_offline_and_stays_in_its_business) {
  browser a{router}, b{router}, staff{router}, anon{router};
  register_business(a, "alpha", "a@alpha.example");
  register_business(b, "beta", "b@beta.example");
  add_staff(a, staff, "s@alpha.example");
  const auto aid = business_of("alpha"), bid = business_of("beta");
  add_kiosk(aid, "kiosk-up");
  add_kiosk(aid, "kiosk-gone");
  add_kiosk(aid, "kiosk-blip");
  add_kiosk(bid, "kiosk-beta");
  const auto now = duration_cast<milliseconds>(system_clock::now().time_since_epoch()).count();
  exec("UPDATE devices SET online = 1, last_seen_ms = " + std::to_string(now) + ", firmware = '1.4.2' WHERE id = 'kiosk-up'");
  exec("UPDATE devices SET online = 0, last_seen_ms = " + std::to_string(now - 10 * 60'000) + " WHERE id = 'kiosk-gone'");
  exec("UPDATE devices SET online = 0, last_seen_ms = " + std::to_string(now - 60'000) + " WHERE id = 'kiosk-blip'");
  // The latest device.status (issue 9's table): printer, camera, outbox, firmware.
  exec("INSERT INTO device_status(device_id, printer, camera, outbox, firmware, detail, updated_at_ms) VALUES "
       "('kiosk-up', 'paper_low', 'ok', 3, '1.5.0', '', " + std::to_string(now) + ")");
  EXPECT_EQ(anon.get("/portal/devices").status, 303);
  auto r = staff.get("/portal/devices");
  ASSERT_EQ(r.status, 200);
  auto row = [&](const std::string& id) {
    const auto at = r.body.find("data-device=\"" + id + "\"");
    if (at == std::string::npos) return std::string();
    return r.body.substr(at, r.body.find("</tr>", at) - at);
  };
  EXPECT_NE(row("kiosk-up").find("online"), std::string::npos);
  EXPECT_NE(row("kiosk-up").find("1.5.0"), std::string::npos);  // the status report's firmware wins
  EXPECT_NE(row("kiosk-up").find("<td>paper_low</td><td>ok</td><td class=\"text-end\">3</td>"), std::string::npos) << row("kiosk-up");
  EXPECT_EQ(row("kiosk-up").find("data-flag"), std::string::npos);
  EXPECT_NE(row("kiosk-gone").find("data-flag=\"offline\""), std::string::npos);
  EXPECT_NE(row("kiosk-gone").find("10 min ago"), std::string::npos);
  EXPECT_EQ(row("kiosk-blip").find("data-flag"), std::string::npos);  // offline for a minute: not yet
  EXPECT_NE(r.body.find("1 offline for more than 5 minutes"), std::string::npos);
  EXPECT_EQ(row("kiosk-beta"), "");
  EXPECT_EQ(a.get("/portal/devices/kiosk-beta").status, 404);
}

TEST_F(web_dashboard, feedback_list_links_orders_escapes_comments_and_stays_in_its_business) {
  browser a{router}, b{router}, staff{router}, anon{router};
  register_business(a, "alpha", "a@alpha.example");
  register_business(b, "beta", "b@beta.example");
  add_staff(a, staff, "s@alpha.example");
  const auto aid = business_of("alpha");
  add_kiosk(aid, "kiosk-a");
  const auto tea = add_product(a, "Tea", "2.00");
  const auto o = place("kiosk-a", utc(2026, 5, 4, 10, 0), "2026-05-04", 0, 12, {{tea, 1}}, protocol::order_type::takeaway,
                       protocol::payment_method::cash, "collected");
  exec("INSERT INTO order_feedback(order_id, business_id, rating, comment, created_at_ms) VALUES ('" + o.id + "', '" + aid +
       "', 4, '<img src=x onerror=alert(1)>', 1)");
  EXPECT_EQ(anon.get("/portal/feedback").status, 303);
  auto r = staff.get("/portal/feedback");
  ASSERT_EQ(r.status, 200);
  EXPECT_NE(r.body.find("data-order=\"" + o.id + "\""), std::string::npos);
  EXPECT_NE(r.body.find("&lt;img src=x onerror=alert(1)&gt;"), std::string::npos);
  EXPECT_EQ(r.body.find("<img src=x"), std::string::npos);
  EXPECT_NE(r.body.find("kiosk"), std::string::npos);
  EXPECT_EQ(staff.get("/portal/feedback?rating=3").body.find("data-order=\"" + o.id + "\""), std::string::npos);
  EXPECT_EQ(staff.get("/portal/feedback?rating=9").status, 400);
  EXPECT_EQ(b.get("/portal/feedback").body.find(o.id), std::string::npos);
}

// ---- support ---------------------------------------------------------------------------------

TEST_F(web_dashboard, a_support_ticket_goes_from_the_tracking_page_to_the_inbox_and_back) {
  browser owner{router}, staff{router}, phone{router}, other{router}, anon{router};
  register_business(owner, "alpha", "a@alpha.example");
  register_business(other, "beta", "b@beta.example");
  add_staff(owner, staff, "s@alpha.example");
  const auto aid = business_of("alpha");
  const auto tea = add_product(owner, "Tea", "2.00");
  const auto o = place(w::app::web_device_id(aid), utc(2026, 5, 4, 10, 0), "2026-05-04", 0, 12, {{tea, 1}}, protocol::order_type::takeaway,
                       protocol::payment_method::cash, "collected");
  const std::string track = "/s/alpha/o/" + o.id;
  auto page = phone.get(track);
  ASSERT_EQ(page.status, 200);
  EXPECT_NE(page.body.find("id=\"support-form\""), std::string::npos);
  // CSRF, category and length are checked before anything is written.
  EXPECT_EQ(phone.post(track + "/support", {{"category", "missing_item"}, {"message", "x"}}, false).status, 403);
  EXPECT_EQ(phone.post(track + "/support", {{"category", "nonsense"}, {"message", "x"}}).status, 400);
  EXPECT_EQ(phone.post(track + "/support", {{"category", "missing_item"}, {"message", std::string(2001, 'a')}}).status, 400);
  EXPECT_EQ(phone.post(track + "/support", {{"category", "missing_item"}, {"message", "  "}}).status, 400);
  // The same order under another store's address is not found.
  EXPECT_EQ(phone.post("/s/beta/o/" + o.id + "/support", {{"category", "missing_item"}, {"message", "x"}}).status, 404);
  EXPECT_EQ(count("SELECT COUNT(*) FROM support_tickets"), 0);

  const std::string hostile = "<script>alert('x')</script> no bun";
  auto sent = phone.post(track + "/support", {{"category", "missing_item"}, {"message", hostile}});
  ASSERT_EQ(sent.status, 303) << sent.body;
  EXPECT_EQ(header(sent, "Location"), track + "?support=sent#support");
  page = phone.get(track + "?support=sent");
  EXPECT_NE(page.body.find("id=\"support-notice\""), std::string::npos);
  EXPECT_NE(page.body.find("&lt;script&gt;alert(&#39;x&#39;)&lt;/script&gt; no bun"), std::string::npos);
  EXPECT_EQ(page.body.find("<script>alert"), std::string::npos);
  EXPECT_NE(page.body.find("id=\"support-status\">open<"), std::string::npos);

  // Staff: inbox, thread, reply. Signed out: redirected; other business: not there.
  EXPECT_EQ(anon.get("/portal/support").status, 303);
  auto inbox = staff.get("/portal/support");
  ASSERT_EQ(inbox.status, 200);
  const auto tid = *scalar("SELECT id FROM support_tickets");
  EXPECT_NE(inbox.body.find("data-ticket=\"" + tid + "\""), std::string::npos);
  EXPECT_NE(inbox.body.find("Something is missing"), std::string::npos);
  EXPECT_EQ(inbox.body.find("<script>alert"), std::string::npos);
  EXPECT_EQ(other.get("/portal/support").body.find(tid), std::string::npos);
  EXPECT_EQ(other.get("/portal/support/" + tid).status, 404);
  other.get("/portal/support");
  EXPECT_EQ(other.post("/portal/support/" + tid + "/reply", {{"message", "hijack"}}).status, 404);
  EXPECT_EQ(other.post("/portal/support/" + tid + "/resolve", {}).status, 404);
  ASSERT_EQ(staff.get("/portal/support/" + tid).status, 200);
  EXPECT_EQ(staff.post("/portal/support/" + tid + "/reply", {{"message", "Sorry!"}}, false).status, 403);
  EXPECT_EQ(anon.post("/portal/support/" + tid + "/reply", {{"message", "x"}}, false).status, 403);
  EXPECT_EQ(staff.post("/portal/support/" + tid + "/reply", {{"message", ""}}).status, 400);
  EXPECT_EQ(count("SELECT COUNT(*) FROM support_messages"), 1);
  auto reply = staff.post("/portal/support/" + tid + "/reply", {{"message", "Sorry! <b>Your bun</b> is on its way."}});
  ASSERT_EQ(reply.status, 303);
  EXPECT_EQ(scalar("SELECT status FROM support_tickets"), "answered");
  // Back on the phone: the reply, escaped, and the status.
  page = phone.get(track);
  EXPECT_NE(page.body.find("Sorry! &lt;b&gt;Your bun&lt;/b&gt; is on its way."), std::string::npos);
  EXPECT_NE(page.body.find("id=\"support-status\">answered<"), std::string::npos);
  // The customer writes again: open again; staff resolve it.
  ASSERT_EQ(phone.post(track + "/support", {{"message", "Thanks, got it"}}).status, 303);
  EXPECT_EQ(scalar("SELECT status FROM support_tickets"), "open");
  ASSERT_EQ(owner.get("/portal/support/" + tid).status, 200);
  ASSERT_EQ(owner.post("/portal/support/" + tid + "/resolve", {}).status, 303);
  EXPECT_EQ(scalar("SELECT status FROM support_tickets"), "resolved");
  EXPECT_EQ(staff.get("/portal/support").body.find("data-ticket=\"" + tid + "\""), std::string::npos);  // not active
  EXPECT_NE(staff.get("/portal/support?status=resolved").body.find("data-ticket=\"" + tid + "\""), std::string::npos);
  EXPECT_EQ(staff.get("/portal/support?status=bogus").status, 400);
  EXPECT_NE(phone.get(track).body.find("id=\"support-status\">resolved<"), std::string::npos);
  EXPECT_EQ(count("SELECT COUNT(*) FROM support_messages"), 3);
}

TEST_F(web_dashboard, support_messages_are_rate_limited_per_order_and_per_address) {
  browser owner{router}, phone{router};
  register_business(owner, "alpha", "a@alpha.example");
  const auto aid = business_of("alpha");
  const auto tea = add_product(owner, "Tea", "2.00");
  auto order = [&] {
    return place(w::app::web_device_id(aid), utc(2026, 5, 4, 10, 0), "2026-05-04", 0, 12, {{tea, 1}}, protocol::order_type::takeaway,
                 protocol::payment_method::cash, "paid");
  };
  const auto o = order();
  const std::string track = "/s/alpha/o/" + o.id;
  phone.get(track);
  for (int i = 0; i < 5; ++i) ASSERT_EQ(phone.post(track + "/support", {{"category", "waiting"}, {"message", "m" + std::to_string(i)}}).status, 303) << i;
  auto r = phone.post(track + "/support", {{"message", "again"}});
  EXPECT_EQ(r.status, 429);
  EXPECT_EQ(header(r, "Retry-After"), "3600");
  EXPECT_EQ(count("SELECT COUNT(*) FROM support_messages"), 5);
  // Many orders from one address: 20 messages an hour at most.
  int ok = 5;
  for (int i = 0; i < 20; ++i) {
    const auto x = order();
    const auto s = phone.post("/s/alpha/o/" + x.id + "/support", {{"category", "other"}, {"message", "spam"}}).status;
    if (s == 303) ++ok;
    else EXPECT_EQ(s, 429);
  }
  EXPECT_EQ(ok, 19);  // every attempt past validation counts, the refused 6th on the first order too
  phone.remote = "127.0.0.2:1000";  // another address is not held up
  const auto y = order();
  EXPECT_EQ(phone.post("/s/alpha/o/" + y.id + "/support", {{"category", "other"}, {"message", "hello"}}).status, 303);
}

}  // namespace
}  // namespace kh::hub::test
