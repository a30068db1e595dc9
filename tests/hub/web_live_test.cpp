// Live orders of the dashboard through the router, in process (real SQLite, real services): every
// route's auth, role, CSRF and tenant isolation; actions through staff_service; the SSE stream
// resumed with Last-Event-ID gets exactly the missed events, then the live ones once.
#include <gtest/gtest.h>

#include "kh/protocol/money_format.hpp"

#include <algorithm>

#include "kh/hardware/printer/layout.hpp"
#include "kh/hardware/printer/render.hpp"
#include "kh/hub/web/escape.hpp"
#include "kh/hub/web/web.hpp"
#include "kh/protocol/codec.hpp"
#include "kh/protocol/time.hpp"
#include "test_support.hpp"
#include "web/image.hpp"
#include "web/sse.hpp"
#include "web/util.hpp"

namespace kh::hub::test {
namespace {

namespace w = kh::hub::web;
using nlohmann::json;

std::string hdr(const http_response& r, const std::string& name) {
  for (const auto& [k, v] : r.headers)
    if (k == name) return v;
  return {};
}

struct client {
  http_router& router;
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
    q.remote = "127.0.0.1:40001";
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
  http_response get(const std::string& t, std::map<std::string, std::string> headers = {}) {
    auto q = make("GET", t);
    for (auto& [k, v] : headers) q.headers[k] = v;
    return send(std::move(q));
  }
  http_response post(const std::string& t, std::map<std::string, std::string> form, bool with_csrf = true, bool json_accept = false) {
    auto q = make("POST", t);
    if (with_csrf) form.emplace("csrf", csrf);
    std::string body;
    for (const auto& [k, v] : form) body += (body.empty() ? "" : "&") + w::escape_url_component(k) + "=" + w::escape_url_component(v);
    q.headers["content-type"] = "application/x-www-form-urlencoded";
    if (json_accept) q.headers["accept"] = "application/json";
    q.body = body;
    return send(std::move(q));
  }
};

class web_live : public ::testing::Test {
 protected:
  void SetUp() override {
    db = open_sqlite_store(database_path(dir.path().string()));
    seed_small(*db);
    orders = std::make_unique<order_service>(*db);
    w::web_options o;
    o.public_url = "http://shop.test";
    o.db_path = database_path(dir.path().string());
    o.data_dir = dir.path().string();
    w::web_hooks h;
    // As the hub wires it: every published event goes to the live streams.
    h.order_placed = [this](const placement& p) {
      if (p.status) app->order_event(p.business_id, *p.status);
    };
    h.order_changed = [this](const transition_outcome& t) { app->order_event(t.business_id, t.status); };
    app = std::make_unique<w::app>(o, *db, *orders, h);
    app->add_routes(router);
  }
  void register_business(client& b, const std::string& slug, const std::string& email) {
    ASSERT_EQ(b.get("/register").status, 200);
    auto r = b.post("/register", {{"business_name", "Shop " + slug}, {"slug", slug}, {"currency", "EUR"}, {"tax_rate", "10"},
                                  {"tax_inclusive", "1"}, {"utc_offset", "+00:00"}, {"prep_minutes", "5"}, {"always_open", "1"},
                                  {"type_takeaway", "1"}, {"type_eat_in", "1"}, {"email", email}, {"password", "correct horse battery"}});
    ASSERT_EQ(r.status, 303) << r.body;
    ASSERT_EQ(b.get("/portal").status, 200);
  }
  std::string add_product(client& b, const std::string& name, const std::string& price) {
    b.get("/portal/products/new");
    auto r = b.post("/portal/products/new", {{"name", name}, {"price", price}, {"category_id", "menu"}, {"active", "1"}});
    const auto loc = hdr(r, "Location");
    const auto start = std::string("/portal/products/").size();
    return loc.substr(start, loc.find('?') - start);
  }
  std::string phone_order(const std::string& slug, const std::string& product, const std::string& name) {
    client phone{router};
    phone.get("/s/" + slug + "/cart");
    const auto oid = protocol::new_uuid();
    auto r = phone.post("/s/" + slug + "/checkout", {{"order_id", oid}, {"cart", product + ":2"}, {"type", "takeaway"}, {"name", name},
                                                     {"phone", "+33 6 12 34 56 78"}});
    EXPECT_EQ(r.status, 303) << r.body;
    return oid;
  }
  std::string scalar(const std::string& sql) {
    auto q = sqlite_connection(*db).prepare(sql);
    return q.step() && !q.is_null(0) ? q.text(0) : std::string();
  }

  temp_dir dir;
  std::unique_ptr<store> db;
  std::unique_ptr<order_service> orders;
  std::unique_ptr<w::app> app;
  http_router router;
};

TEST_F(web_live, every_route_needs_a_session_and_csrf_and_another_business_sees_404) {
  client a{router}, b{router}, anon{router};
  register_business(a, "alpha", "a@alpha.example");
  register_business(b, "beta", "b@beta.example");
  const auto tea = add_product(a, "Tea", "2.00");
  const auto oid = phone_order("alpha", tea, "Ann");
  for (const std::string& t : std::vector<std::string>{"/portal/live", "/portal/live/events", "/portal/counter",
                                                       "/portal/live/" + oid, "/portal/live/" + oid + "/print"}) {
    auto r = anon.get(t);
    EXPECT_EQ(r.status, 303) << t;
    EXPECT_EQ(hdr(r, "Location").rfind("/login?next=", 0), 0u) << t;
  }
  EXPECT_EQ(anon.post("/portal/live/" + oid + "/action", {{"action", "take_cash"}, {"tendered", "10"}}, false).status, 403);
  // Beta's owner: alpha's order does not exist for them, and its actions change nothing.
  EXPECT_EQ(b.get("/portal/live/" + oid).status, 404);
  EXPECT_EQ(b.get("/portal/live/" + oid + "/print").status, 404);
  EXPECT_EQ(b.post("/portal/live/" + oid + "/action", {{"action", "take_cash"}, {"tendered", "10.00"}}).status, 404);
  EXPECT_EQ(b.get("/portal/live").body.find(oid), std::string::npos);
  EXPECT_EQ(b.get("/portal/live/events").body.find(oid), std::string::npos);
  // Alpha without the token: 403, nothing changed.
  a.get("/portal/live/" + oid);
  EXPECT_EQ(a.post("/portal/live/" + oid + "/action", {{"action", "take_cash"}, {"tendered", "10.00"}}, false).status, 403);
  EXPECT_EQ(scalar("SELECT state FROM orders WHERE id = '" + oid + "'"), "pending_payment");
  // Bad filters and fields name the field; nothing is written.
  auto bad = a.get("/portal/live?state=lost");
  EXPECT_EQ(bad.status, 400);
  EXPECT_NE(bad.body.find("data-field=\"state\""), std::string::npos);
  EXPECT_EQ(a.get("/portal/live?from=2026-13-40").status, 400);
  EXPECT_EQ(a.post("/portal/live/" + oid + "/action", {{"action", "take_cash"}, {"tendered", "ten"}}).status, 400);
  EXPECT_EQ(a.post("/portal/live/" + oid + "/action", {{"action", "cancel"}, {"reason", ""}}).status, 400);
  EXPECT_EQ(a.post("/portal/live/" + oid + "/action", {{"action", "fly"}}).status, 400);
  EXPECT_EQ(a.get("/portal/live/" + oid + "/print?paper=a5").status, 400);
  EXPECT_EQ(a.get("/portal/live/not-a-uuid").status, 404);
  EXPECT_EQ(a.get("/portal/live/events", {{"last-event-id", "x"}}).status, 400);
  EXPECT_EQ(scalar("SELECT state FROM orders WHERE id = '" + oid + "'"), "pending_payment");
}

TEST_F(web_live, staff_run_an_order_to_collected_through_the_counter_rules) {
  client a{router};
  register_business(a, "alpha", "a@alpha.example");
  const auto tea = add_product(a, "Tea", "2.00");
  // A staff account (staff may run orders).
  a.get("/portal/staff");
  ASSERT_EQ(a.post("/portal/staff", {{"email", "s@alpha.example"}, {"password", "staff password 1"}, {"role", "staff"}}).status, 303);
  client s{router};
  s.get("/login");
  ASSERT_EQ(s.post("/login", {{"email", "s@alpha.example"}, {"password", "staff password 1"}}).status, 303);
  const auto oid = phone_order("alpha", tea, "Ann");

  auto board = s.get("/portal/live");
  ASSERT_EQ(board.status, 200);
  EXPECT_NE(board.body.find("id=\"live-data\""), std::string::npos);
  EXPECT_NE(board.body.find(oid), std::string::npos);
  EXPECT_NE(board.body.find("\"actions\":[\"take_cash\",\"cancel\"]"), std::string::npos);
  EXPECT_NE(board.body.find("/static/orders_live.js"), std::string::npos);
  EXPECT_EQ(board.body.find("<script>"), std::string::npos);  // no inline script (CSP)
  // Cards age at the business' thresholds, the ones its counter screens use (store settings).
  EXPECT_NE(board.body.find("\"age\":{\"amber_seconds\":300,\"red_seconds\":600}"), std::string::npos);
  sqlite_connection(*db).exec("UPDATE businesses SET age_amber_seconds = 180, age_red_seconds = 420");
  EXPECT_NE(s.get("/portal/live").body.find("\"age\":{\"amber_seconds\":180,\"red_seconds\":420}"), std::string::npos);
  EXPECT_NE(s.get("/portal/live?q=Ann").body.find(oid), std::string::npos);
  EXPECT_NE(s.get("/portal/live?q=34%2056").body.find(oid), std::string::npos);  // phone
  EXPECT_EQ(s.get("/portal/live?q=Zed").body.find(oid), std::string::npos);
  EXPECT_EQ(s.get("/portal/live?channel=kiosk").body.find(oid), std::string::npos);
  EXPECT_NE(s.get("/portal/live?channel=phone&type=takeaway").body.find(oid), std::string::npos);
  EXPECT_EQ(s.get("/portal/live?type=eat_in").body.find(oid), std::string::npos);

  auto detail = s.get("/portal/live/" + oid);
  ASSERT_EQ(detail.status, 200);
  EXPECT_NE(detail.body.find("data-action=\"take_cash\""), std::string::npos);
  EXPECT_NE(detail.body.find("data-action=\"cancel\""), std::string::npos);
  EXPECT_EQ(detail.body.find("data-action=\"collect\""), std::string::npos);  // not allowed yet

  auto early = s.post("/portal/live/" + oid + "/action", {{"action", "collect"}});
  EXPECT_EQ(early.status, 409);
  EXPECT_EQ(hdr(early, "X-Order-Code"), "not_paid");
  auto cash = s.post("/portal/live/" + oid + "/action", {{"action", "take_cash"}, {"tendered", "5.00"}});
  ASSERT_EQ(cash.status, 303) << cash.body;
  // Money as the store's pages write it (its default language, English here): "€1.00".
  EXPECT_NE(hdr(cash, "Location").find("Change%3A%20%E2%82%AC1.00"), std::string::npos) << hdr(cash, "Location");
  auto j = s.post("/portal/live/" + oid + "/action", {{"action", "preparing"}}, true, true);
  ASSERT_EQ(j.status, 200) << j.body;
  EXPECT_EQ(json::parse(j.body)["state"], "preparing");
  auto refused = s.post("/portal/live/" + oid + "/action", {{"action", "collect"}}, true, true);
  EXPECT_EQ(refused.status, 409);
  EXPECT_EQ(json::parse(refused.body)["code"], "not_ready");
  ASSERT_EQ(s.post("/portal/live/" + oid + "/action", {{"action", "ready"}}).status, 303);
  ASSERT_EQ(s.post("/portal/live/" + oid + "/action", {{"action", "collect"}}).status, 303);
  auto twice = s.post("/portal/live/" + oid + "/action", {{"action", "collect"}}, true, true);
  EXPECT_EQ(json::parse(twice.body)["code"], "already_collected");

  detail = s.get("/portal/live/" + oid);
  EXPECT_NE(detail.body.find("No action: the order is closed."), std::string::npos);
  EXPECT_NE(detail.body.find("data-actor=\"web:staff:"), std::string::npos);  // who, as stored
  // …and as staff know them: the account, the phone shop device; not the raw ids.
  EXPECT_NE(detail.body.find(">s@alpha.example (staff)</td>"), std::string::npos) << detail.body;
  EXPECT_NE(detail.body.find(">Phone shop (web-"), std::string::npos);
  EXPECT_EQ(detail.body.find(">web:staff:"), std::string::npos);
  EXPECT_EQ(detail.body.find(">device:"), std::string::npos);
  // Times on the store's wall clock: a +14 h zone moves every history time by 14 h.
  sqlite_connection(*db).exec("UPDATE businesses SET time_zone = 'Pacific/Kiritimati'");
  detail = s.get("/portal/live/" + oid);
  EXPECT_NE(detail.body.find("When (Pacific/Kiritimati)"), std::string::npos);
  const auto placed_ms = std::stoll(scalar("SELECT MIN(at_ms) FROM order_history WHERE order_id = '" + oid + "'"));
  auto wall = protocol::format_rfc3339(protocol::clock::time_point(std::chrono::milliseconds(placed_ms + 14 * 3'600'000)))
                  .substr(0, 19)
                  .replace(10, 1, " ");
  // (On a phone the first day's date is left out: it sits in a span hidden below sm.)
  auto cell = [](const std::string& t) {
    return "<td class=\"text-nowrap\"><span class=\"d-none d-sm-inline\">" + t.substr(0, 10) + " </span>" + t.substr(11) + "</td>";
  };
  EXPECT_NE(detail.body.find(cell(wall)), std::string::npos) << wall;
  auto utc = protocol::format_rfc3339(protocol::clock::time_point(std::chrono::milliseconds(placed_ms))).substr(0, 19).replace(10, 1, " ");
  EXPECT_EQ(detail.body.find(cell(utc)), std::string::npos);
  // The board's date filters are the store's days too: placed 11:30 UTC on 29 March is 01:30 on
  // 30 March in Kiritimati, so it is found under the 30th and not under the 29th.
  sqlite_connection(*db).exec("UPDATE orders SET created_at_ms = 1774783800000 WHERE id = '" + oid + "'");
  EXPECT_NE(s.get("/portal/live?state=all&from=2026-03-30&to=2026-03-30").body.find(oid), std::string::npos);
  EXPECT_EQ(s.get("/portal/live?state=all&from=2026-03-29&to=2026-03-29").body.find(oid), std::string::npos);
  EXPECT_NE(s.get("/portal/live?state=all&from=2026-03-29&to=2026-03-30").body.find(oid), std::string::npos);
  EXPECT_NE(detail.body.find("change \u20ac1.00"), std::string::npos);  // the history's reason, as stored
  // A French store's staff read "3,60 €" on the detail and the board's cards (their script
  // gets the style: data.money).
  const std::string total = scalar("SELECT total FROM orders WHERE id = '" + oid + "'");
  const auto fr_total = protocol::format_money(protocol::money{std::stoll(total), "EUR"}, "fr");
  EXPECT_EQ(detail.body.find(fr_total), std::string::npos);
  sqlite_connection(*db).exec("UPDATE businesses SET languages = 'fr,en'");
  detail = s.get("/portal/live/" + oid);
  EXPECT_NE(detail.body.find(fr_total), std::string::npos) << fr_total;
  const auto fr_board = s.get("/portal/live?state=all");
  EXPECT_NE(fr_board.body.find(R"("money":{"after":true,"decimal":","})"), std::string::npos);
  EXPECT_EQ(scalar("SELECT COUNT(*) FROM order_history WHERE order_id = '" + oid + "'"), "5");
  EXPECT_EQ(scalar("SELECT COUNT(*) FROM payments WHERE order_id = '" + oid + "' AND method = 'cash'"), "1");
  auto print = s.get("/portal/live/" + oid + "/print?paper=a4");
  ASSERT_EQ(print.status, 200);
  EXPECT_NE(print.body.find("paper-a4"), std::string::npos);
  EXPECT_NE(print.body.find("2 ×"), std::string::npos);
  EXPECT_EQ(s.get("/portal/counter").status, 200);
  auto js = s.get("/static/orders_live.js");
  EXPECT_EQ(js.status, 200);
  EXPECT_NE(js.body.find("EventSource"), std::string::npos);
}

TEST_F(web_live, a_stream_resumed_with_last_event_id_gets_exactly_the_missed_events_then_live_ones_once) {
  client a{router};
  register_business(a, "alpha", "a@alpha.example");
  const auto tea = add_product(a, "Tea", "2.00");
  const auto first = phone_order("alpha", tea, "Ann");   // seq 1
  const auto second = phone_order("alpha", tea, "Bob");  // seq 2
  a.get("/portal/live/" + first);
  ASSERT_EQ(a.post("/portal/live/" + first + "/action", {{"action", "take_cash"}, {"tendered", "4.00"}}).status, 303);  // seq 3

  auto s = a.get("/portal/live/events", {{"last-event-id", "1"}});
  ASSERT_EQ(s.status, 200);
  EXPECT_EQ(s.content_type, "text/event-stream; charset=utf-8");
  ASSERT_TRUE(s.stream);
  EXPECT_EQ(s.body.find("id: 1\n"), std::string::npos);
  EXPECT_NE(s.body.find("id: 2\nevent: order\n"), std::string::npos);
  EXPECT_NE(s.body.find("id: 3\nevent: order\n"), std::string::npos);
  EXPECT_EQ(s.body.find("id: 4\n"), std::string::npos);
  EXPECT_NE(s.body.find(second), std::string::npos);
  EXPECT_EQ(app->live_streams(scalar("SELECT id FROM businesses WHERE slug = 'alpha'")), 1u);

  // A live event reaches the open stream once; a replayed one it has seen is skipped.
  ASSERT_EQ(a.post("/portal/live/" + second + "/action", {{"action", "cancel"}, {"reason", "left"}}).status, 303);  // seq 4
  std::vector<std::shared_ptr<const std::string>> got;
  s.stream->take(got);
  ASSERT_EQ(got.size(), 1u);
  EXPECT_EQ(got[0]->rfind("id: 4\nevent: order\ndata: ", 0), 0u);
  auto data = json::parse(got[0]->substr(got[0]->find("data: ") + 6));
  EXPECT_EQ(data["state"], "cancelled");
  EXPECT_EQ(data["previous"], "pending_payment");
  EXPECT_EQ(data["actions"], json::array());
  auto st = protocol::decode_order_status(data);
  EXPECT_TRUE(st.ok());

  // ?after= on the first connect, as the page does; Last-Event-ID wins on a reconnect.
  auto s2 = a.get("/portal/live/events?after=3");
  EXPECT_EQ(s2.body.find("id: 3\n"), std::string::npos);
  EXPECT_NE(s2.body.find("id: 4\n"), std::string::npos);
  auto s3 = a.get("/portal/live/events?after=0", {{"last-event-id", "4"}});
  EXPECT_EQ(s3.body.find("id: "), std::string::npos);
  s.stream->close();
}

// The rows of the printer renderer's drawing of the tallest band of inked rows of receipt `d`.
std::vector<std::vector<bool>> tallest_band(const kh::hardware::printer::receipt_doc& d) {
  namespace hwp = kh::hardware::printer;
  const auto prof = hwp::printer_profile::mm80();
  const auto img = hwp::render_escpos(hwp::layout_receipt(d, prof), prof).image;
  std::vector<std::vector<bool>> rows;
  for (int y = 0; y < img.height; ++y) {
    std::vector<bool> r(static_cast<std::size_t>(img.width));
    for (int x = 0; x < img.width; ++x) r[static_cast<std::size_t>(x)] = img.get(x, y);
    rows.push_back(std::move(r));
  }
  std::size_t best = 0, best_len = 0;
  for (std::size_t y = 0; y < rows.size();) {
    std::size_t e = y;
    while (e < rows.size() && std::find(rows[e].begin(), rows[e].end(), true) != rows[e].end()) ++e;
    if (e - y > best_len) best = y, best_len = e - y;
    y = e + 1;
  }
  return {rows.begin() + static_cast<std::ptrdiff_t>(best), rows.begin() + static_cast<std::ptrdiff_t>(best + best_len)};
}

// `number` in the receipt's huge order-number print (a receipt with nothing else on it).
std::vector<std::vector<bool>> number_band(const std::string& number) {
  kh::hardware::printer::receipt_doc d;
  d.order_number = number;
  return tallest_band(d);
}

// The receipt's TOTAL row (double size) for the amount text `total`.
std::vector<std::vector<bool>> total_band(const std::string& total) {
  kh::hardware::printer::receipt_doc d;
  d.total = total;
  return tallest_band(d);
}

// Whether `band` appears, pixel for pixel, somewhere down the black-and-white image.
bool shows(const w::rgb_image& img, const std::vector<std::vector<bool>>& band) {
  if (band.empty() || static_cast<int>(band[0].size()) != img.width) return false;
  auto black = [&](int x, int y) { return img.rgb[(static_cast<std::size_t>(y) * img.width + x) * 3] < 128; };
  for (int y0 = 0; y0 + static_cast<int>(band.size()) <= img.height; ++y0) {
    bool all = true;
    for (std::size_t r = 0; r < band.size() && all; ++r)
      for (int x = 0; x < img.width && all; ++x)
        if (black(x, y0 + static_cast<int>(r)) != band[r][static_cast<std::size_t>(x)]) all = false;
    if (all) return true;
  }
  return false;
}

TEST_F(web_live, the_order_page_shows_the_customer_receipt_drawn_by_the_printer_renderer) {
  client a{router}, b{router}, anon{router};
  register_business(a, "alpha", "a@alpha.example");
  register_business(b, "beta", "b@beta.example");
  const auto tea = add_product(a, "Tea", "2.00");
  const auto oid = phone_order("alpha", tea, "Ann");
  const std::string number = scalar("SELECT number FROM orders WHERE id = '" + oid + "'");
  ASSERT_FALSE(number.empty());
  auto detail = a.get("/portal/live/" + oid);
  EXPECT_NE(detail.body.find("src=\"/portal/live/" + oid + "/receipt.png\""), std::string::npos);
  auto r = a.get("/portal/live/" + oid + "/receipt.png");
  ASSERT_EQ(r.status, 200) << r.body;
  EXPECT_EQ(r.content_type, "image/png");
  const auto png = w::decode_image(r.body, 40'000'000);
  ASSERT_TRUE(png.ok) << png.error;
  EXPECT_EQ(png.image.width, 576);   // an 80 mm roll's dots
  EXPECT_GT(png.image.height, 600);  // header, number, lines, totals, QR, footer
  // The order's number, as the printer draws it, is on the receipt; another number is not.
  EXPECT_TRUE(shows(png.image, number_band(number))) << number;
  EXPECT_FALSE(shows(png.image, number_band(number == "A-999" ? "A-998" : "A-999")));
  // Money as the kiosk prints it, in the store's style, not the logs' "4.00 EUR".
  EXPECT_TRUE(shows(png.image, total_band("€4.00")));
  EXPECT_FALSE(shows(png.image, total_band("4.00 EUR")));
  // Only the order's own business sees it.
  EXPECT_EQ(b.get("/portal/live/" + oid + "/receipt.png").status, 404);
  EXPECT_EQ(anon.get("/portal/live/" + oid + "/receipt.png").status, 303);
  EXPECT_EQ(a.get("/portal/live/" + protocol::new_uuid() + "/receipt.png").status, 404);
}

// Page reads call repository helpers inside row loops; a helper that prepares the same SQL as
// the loop (on the same read connection) used to get the loop's own cached statement back while
// it was stepping: its bind failed ("bad parameter or other API misuse") and its reset cut the
// loop short.
TEST(read_connection, the_same_sql_prepared_while_its_statement_is_stepping_gets_a_statement_of_its_own) {
  temp_dir dir;
  const auto path = database_path(dir.path().string());
  {
    auto db = open_sqlite_store(path);
    seed_small(*db);
    auto& c = sqlite_connection(*db);
    c.exec("CREATE TABLE t(k INTEGER PRIMARY KEY, parent INTEGER)");
    c.exec("INSERT INTO t VALUES (1, NULL), (2, 1), (3, 1), (4, 2), (5, 2), (6, 3)");
  }
  sqlite::open_options o;
  o.read_only = true;
  sqlite::connection c(path, o);  // as the read pool opens them
  constexpr const char* children = "SELECT k FROM t WHERE parent IS ? ORDER BY k";
  // children(n) with the same SQL text, called for each row of an outer children() loop.
  auto count_children = [&](std::int64_t k) {
    auto q = c.prepare(children);
    q.bind(1, k);
    int n = 0;
    while (q.step()) ++n;
    return n;
  };
  std::vector<std::pair<std::int64_t, int>> seen;
  {
    auto outer = c.prepare(children);
    outer.bind(1, std::int64_t{1});
    while (outer.step()) seen.emplace_back(outer.int64(0), count_children(outer.int64(0)));
  }
  EXPECT_EQ(seen, (std::vector<std::pair<std::int64_t, int>>{{2, 2}, {3, 1}}));
  // Nested two deep, then the cached statement is free again and works as before.
  int grandchildren = 0;
  {
    auto outer = c.prepare(children);
    outer.bind(1, std::int64_t{1});
    while (outer.step()) {
      auto mid = c.prepare(children);
      mid.bind(1, outer.int64(0));
      while (mid.step()) grandchildren += 1 + count_children(mid.int64(0));
    }
  }
  EXPECT_EQ(grandchildren, 3);
  EXPECT_EQ(count_children(2), 2);
  EXPECT_EQ(count_children(6), 0);
}

// The live streams' coalescing: the first event after a quiet spell goes out at once, the events
// that follow within the window wait for its end and go out as one chunk per stream; a stream
// that opened meanwhile (its backlog held some of them) gets only the ones it lacks.
std::string drain(http_stream& s) {
  std::vector<std::shared_ptr<const std::string>> out;
  s.take(out);
  std::string all;
  for (const auto& c : out) all += *c;
  return all;
}

TEST(sse_hub, events_within_the_window_go_out_together_at_its_end_and_none_twice) {
  std::vector<std::pair<std::chrono::milliseconds, std::function<void()>>> timers;
  auto hub = std::make_shared<w::sse_hub>(std::chrono::milliseconds(100),
                                          [&](std::chrono::milliseconds d, std::function<void()> f) {
                                            timers.emplace_back(d, std::move(f));
                                          });
  auto frame = [](std::int64_t seq) {
    return std::make_shared<const std::string>(w::sse_hub::frame(seq, "order", "{\"n\":" + std::to_string(seq) + "}"));
  };
  auto a = std::make_shared<http_stream>();
  auto other = std::make_shared<http_stream>();
  hub->add("biz", a, 0);
  hub->add("elsewhere", other, 0);
  hub->publish("biz", 1, frame(1));
  EXPECT_EQ(drain(*a), *frame(1)) << "the first event is not held back";
  EXPECT_TRUE(timers.empty());
  hub->publish("biz", 2, frame(2));
  hub->publish("biz", 3, frame(3));
  ASSERT_EQ(timers.size(), 1u) << "one flush per window, however many events";
  EXPECT_GT(timers[0].first.count(), 0);
  EXPECT_LE(timers[0].first.count(), 100);
  EXPECT_EQ(drain(*a), "") << "held until the window ends";
  // A stream opens now with a backlog up to 2 (it read the database after event 2's commit).
  auto b = std::make_shared<http_stream>();
  hub->add("biz", b, 2);
  timers[0].second();
  EXPECT_EQ(drain(*a), *frame(2) + *frame(3));
  EXPECT_EQ(drain(*b), *frame(3)) << "no event shown twice";
  EXPECT_EQ(drain(*other), "") << "another business sees nothing";
  EXPECT_EQ(hub->fanouts(), 2u);
  // The deferred flush outlives nothing: a hub gone before its timer fires is not touched.
  hub->publish("biz", 4, frame(4));
  ASSERT_EQ(timers.size(), 2u);
  std::weak_ptr<w::sse_hub> gone = hub;
  auto last = std::move(timers[1].second);
  hub.reset();
  EXPECT_TRUE(gone.expired());
  last();
  EXPECT_EQ(drain(*a), "");
}

TEST(sse_hub, without_a_window_every_event_goes_out_at_once) {
  auto hub = std::make_shared<w::sse_hub>();
  auto a = std::make_shared<http_stream>();
  hub->add("biz", a, 0);
  for (int i = 1; i <= 3; ++i) {
    hub->publish("biz", i, std::make_shared<const std::string>("e" + std::to_string(i)));
    EXPECT_EQ(drain(*a), "e" + std::to_string(i));
  }
  a->close();
  hub->publish("biz", 4, std::make_shared<const std::string>("e4"));
  EXPECT_EQ(hub->open("biz"), 0u) << "a closed stream is dropped";
}

}  // namespace
}  // namespace kh::hub::test
