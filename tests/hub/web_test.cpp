// The web room through its router, in process: a real SQLite file, the real order service, the
// real handlers; a small "browser" keeps cookies and CSRF tokens. (The same routes over real
// sockets against a running kioskhub: tests/integration/web_http_test.cpp.)
#include <zlib.h>

#include <fstream>
#include <set>

#include <brotli/decode.h>
#include <gtest/gtest.h>

#include "kh/hub/orders/order_rules.hpp"
#include "kh/hub/web/escape.hpp"
#include "kh/hub/web/web.hpp"
#include "kh/protocol/availability.hpp"
#include "kh/protocol/codec.hpp"
#include "kh/protocol/time.hpp"
#include "test_support.hpp"
#include "web/image.hpp"
#include "web/qr.hpp"
#include "web/util.hpp"

namespace kh::hub::test {
namespace {

namespace w = kh::hub::web;

// ---- escaping -----------------------------------------------------------------------------

TEST(web_escape, every_context_neutralises_its_delimiters) {
  EXPECT_EQ(w::escape_html("<b>&\"'"), "&lt;b&gt;&amp;&quot;&#39;");
  EXPECT_EQ(w::escape_attr("\" onmouseover=x `"), "&quot; onmouseover&#61;x &#96;");
  EXPECT_EQ(w::escape_url_component("a b/?&=é"), "a%20b%2F%3F%26%3D%C3%A9");
  EXPECT_EQ(w::escape_js_string("</script>'\"\\\n"), "\\u003c/script\\u003e\\u0027\\u0022\\u005c\\u000a");
}

TEST(web_escape, templates_escape_by_default_and_refuse_raw_strings_as_html) {
  const auto out = w::render("<p title=\"{{t|attr}}\">{{t}}</p><a href=\"/x/{{t|url}}\">{{h|html}}</a>",
                             {{"t", std::string("<script>\"")}, {"h", w::safe_html{"<i>ok</i>"}}});
  EXPECT_EQ(out.html, "<p title=\"&lt;script&gt;&quot;\">&lt;script&gt;&quot;</p><a href=\"/x/%3Cscript%3E%22\"><i>ok</i></a>");
  EXPECT_THROW(w::render("{{x|html}}", {{"x", std::string("<b>")}}), std::invalid_argument);
  EXPECT_THROW(w::render("{{missing}}", {}), std::invalid_argument);
  EXPECT_THROW(w::render("{{x|nope}}", {{"x", std::string()}}), std::invalid_argument);
}

TEST(web_util, forms_paths_and_money_parse_strictly) {
  auto f = w::parse_urlencoded("a=1+2&b=%3Cx%3E&c=");
  ASSERT_TRUE(f);
  EXPECT_EQ(f->at("a"), "1 2");
  EXPECT_EQ(f->at("b"), "<x>");
  EXPECT_FALSE(w::parse_urlencoded("a=%zz"));
  EXPECT_FALSE(w::parse_urlencoded("a=%4"));
  EXPECT_FALSE(w::split_path("/static/%2e%2e/etc"));
  EXPECT_FALSE(w::split_path("/static/a%2Fb"));
  EXPECT_FALSE(w::split_path("/images/../kioskhub.db"));
  EXPECT_EQ(w::parse_money("3.5"), 350);
  EXPECT_EQ(w::parse_money("12"), 1200);
  EXPECT_FALSE(w::parse_money("1.234"));
  EXPECT_FALSE(w::parse_money("-1"));
  EXPECT_FALSE(w::parse_money("1e3"));
  auto m = w::parse_multipart("multipart/form-data; boundary=XX",
                              "--XX\r\nContent-Disposition: form-data; name=\"csrf\"\r\n\r\nabc\r\n--XX\r\n"
                              "Content-Disposition: form-data; name=\"image\"; filename=\"a.jpg\"\r\nContent-Type: image/jpeg\r\n\r\n\x01\x02\r\n--XX--\r\n");
  ASSERT_TRUE(m);
  ASSERT_EQ(m->size(), 2u);
  EXPECT_EQ((*m)[0].name, "csrf");
  EXPECT_EQ((*m)[1].name, "image");
  EXPECT_EQ((*m)[1].filename, "a.jpg");
  EXPECT_EQ((*m)[1].data, "\x01\x02");
  EXPECT_FALSE(w::parse_multipart("multipart/form-data; boundary=XX", "--XX\r\nno end"));
}

// ---- images and QR ------------------------------------------------------------------------

std::string png_of(int wdt, int hgt) {
  std::vector<std::uint8_t> g(static_cast<std::size_t>(wdt) * hgt);
  for (std::size_t i = 0; i < g.size(); ++i) g[i] = static_cast<std::uint8_t>(i * 7);
  return w::encode_grey_png(g, wdt, hgt);
}

// A PNG whose header announces 30000 × 30000 pixels (2.7 GB decoded) in a few hundred bytes.
std::string png_bomb() {
  auto chunk = [](const char* type, const std::string& data) {
    std::string c;
    const auto n = static_cast<std::uint32_t>(data.size());
    c += static_cast<char>(n >> 24);
    c += static_cast<char>(n >> 16);
    c += static_cast<char>(n >> 8);
    c += static_cast<char>(n);
    const std::string td = std::string(type, 4) + data;
    c += td;
    const auto crc = static_cast<std::uint32_t>(crc32(0, reinterpret_cast<const Bytef*>(td.data()), static_cast<uInt>(td.size())));
    c += static_cast<char>(crc >> 24);
    c += static_cast<char>(crc >> 16);
    c += static_cast<char>(crc >> 8);
    c += static_cast<char>(crc);
    return c;
  };
  std::string ihdr = {0, 0, 0x75, 0x30, 0, 0, 0x75, 0x30, 8, 0, 0, 0, 0};
  std::string z(64, '\0');
  uLongf zn = static_cast<uLongf>(z.size());
  const std::string raw(30001, '\0');
  std::string zbuf(compressBound(static_cast<uLong>(raw.size())), '\0');
  zn = static_cast<uLongf>(zbuf.size());
  compress(reinterpret_cast<Bytef*>(zbuf.data()), &zn, reinterpret_cast<const Bytef*>(raw.data()), static_cast<uLong>(raw.size()));
  zbuf.resize(zn);
  return std::string("\x89PNG\r\n\x1a\n", 8) + chunk("IHDR", ihdr) + chunk("IDAT", zbuf) + chunk("IEND", "");
}

TEST(web_image, decodes_by_content_refuses_bombs_and_reencodes) {
  const auto png = png_of(40, 30);
  auto d = w::decode_image(png, 1'000'000);
  ASSERT_TRUE(d.ok) << d.error;
  EXPECT_EQ(d.image.width, 40);
  EXPECT_EQ(d.image.height, 30);
  const auto jpg = w::encode_jpeg(w::fit_within(d.image, 20), 80);
  ASSERT_GT(jpg.size(), 3u);
  EXPECT_EQ(static_cast<unsigned char>(jpg[0]), 0xFF);
  auto back = w::decode_image(jpg, 1'000'000);
  ASSERT_TRUE(back.ok) << back.error;
  EXPECT_EQ(back.image.width, 20);
  EXPECT_EQ(back.image.height, 15);

  const auto bomb = png_bomb();
  EXPECT_LT(bomb.size(), 1000u);
  auto b = w::decode_image(bomb, 24'000'000);
  EXPECT_FALSE(b.ok);
  EXPECT_NE(b.error.find("too large"), std::string::npos) << b.error;
  EXPECT_FALSE(w::decode_image("GIF89a....", 100).ok);
  EXPECT_FALSE(w::decode_image(png.substr(0, png.size() / 2), 1'000'000).ok);
  std::string bad_jpeg = jpg.substr(0, 200);
  EXPECT_FALSE(w::decode_image(bad_jpeg, 1'000'000).ok);
}

std::string zbar_decode(const std::string& png) {
  kh::test::temp_dir dir;
  const auto file = dir.path() / "qr.png";
  std::ofstream(file, std::ios::binary) << png;
  auto r = kh::test::run({"/usr/bin/zbarimg", "--quiet", "--raw", "-Sdisable", "-Sqrcode.enable", file.string()}, std::chrono::seconds(30));
  std::string out = r.out;
  while (!out.empty() && (out.back() == '\n' || out.back() == '\r')) out.pop_back();
  return out;
}

TEST(web_qr, png_decodes_with_zbar_to_the_url_and_svg_draws_the_same_modules) {
  const std::string url = "http://127.0.0.1:8080/s/demo-cafe/p/espresso?add=1";
  const auto m = w::make_qr(url);
  EXPECT_EQ(zbar_decode(w::qr_png(m, 6)), url);
  // The SVG's path covers exactly the dark modules.
  const auto svg = w::qr_svg(m);
  std::set<std::pair<int, int>> drawn;
  // Runs are "M<x> <y>h<n>v1h-<n>z" (std::regex trips GCC 12's -Werror under sanitizers).
  for (auto at = svg.find("d=\"M"); at != std::string::npos && (at = svg.find('M', at)) != std::string::npos; ++at) {
    int x = 0, y = 0, n = 0;
    if (std::sscanf(svg.c_str() + at, "M%d %dh%d", &x, &y, &n) != 3) break;
    for (int i = 0; i < n; ++i) drawn.insert({x + i, y});
  }
  std::set<std::pair<int, int>> dark;
  for (int y = 0; y < m.size; ++y)
    for (int x = 0; x < m.size; ++x)
      if (m.dark[static_cast<std::size_t>(y) * m.size + x]) dark.insert({x, y});
  EXPECT_EQ(drawn, dark);
}

// ---- the app through its router -------------------------------------------------------------

std::string gunzip(const std::string& in) {
  z_stream zs{};
  inflateInit2(&zs, 15 + 16);
  std::string out(in.size() * 20 + 1024, '\0');
  zs.next_in = reinterpret_cast<Bytef*>(const_cast<char*>(in.data()));
  zs.avail_in = static_cast<uInt>(in.size());
  zs.next_out = reinterpret_cast<Bytef*>(out.data());
  zs.avail_out = static_cast<uInt>(out.size());
  inflate(&zs, Z_FINISH);
  out.resize(zs.total_out);
  inflateEnd(&zs);
  return out;
}

std::string unbrotli(const std::string& in) {
  std::string out(in.size() * 30 + 4096, '\0');
  std::size_t n = out.size();
  if (BrotliDecoderDecompress(in.size(), reinterpret_cast<const std::uint8_t*>(in.data()), &n,
                              reinterpret_cast<std::uint8_t*>(out.data())) != BROTLI_DECODER_RESULT_SUCCESS)
    return {};
  out.resize(n);
  return out;
}

std::string header(const http_response& r, const std::string& name) {
  for (const auto& [k, v] : r.headers)
    if (k == name) return v;
  return {};
}

/// A browser: cookies, the last page's CSRF token, plain HTTP semantics over router.dispatch.
struct browser {
  http_router& router;
  std::string remote = "127.0.0.1:40000";
  std::map<std::string, std::string> cookies;
  std::string csrf;
  std::string accept_encoding;

  http_request make(const std::string& method, const std::string& target) {
    http_request q;
    q.method = method;
    q.target = target;
    const auto qm = target.find('?');
    q.path = target.substr(0, qm);
    if (qm != std::string::npos) q.query = *w::parse_urlencoded(target.substr(qm + 1));
    q.headers["host"] = "shop.test";
    if (!accept_encoding.empty()) q.headers["accept-encoding"] = accept_encoding;
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
    if (const auto at = r.body.find(tok); header(r, "Content-Encoding").empty() && at != std::string::npos)
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
  http_response post_raw(const std::string& target, const std::string& type, std::string body) {
    auto q = make("POST", target);
    q.headers["content-type"] = type;
    q.body = std::move(body);
    return send(std::move(q));
  }
  http_response upload(const std::string& target, const std::string& filename, const std::string& bytes) {
    std::string b = "--BOUNDARY\r\nContent-Disposition: form-data; name=\"csrf\"\r\n\r\n" + csrf +
                    "\r\n--BOUNDARY\r\nContent-Disposition: form-data; name=\"image\"; filename=\"" + filename +
                    "\"\r\nContent-Type: image/jpeg\r\n\r\n" + bytes + "\r\n--BOUNDARY--\r\n";
    return post_raw(target, "multipart/form-data; boundary=BOUNDARY", b);
  }
};

class web_app : public ::testing::Test {
 protected:
  void SetUp() override {
    db = open_sqlite_store(database_path(dir.path().string()));
    seed_small(*db);
    orders = std::make_unique<order_service>(*db);
    w::web_options o;
    o.public_url = "http://shop.test";
    o.db_path = database_path(dir.path().string());
    o.data_dir = dir.path().string();
    o.login_failures_per_account = 3;
    o.phone_session_orders_per_minute = 1000;  // tests here place many orders from one phone
    w::web_hooks h;
    h.catalog_changed = [this](const std::string& b) { catalog_changes.push_back(b); };
    h.order_placed = [this](const placement& p) { placed.push_back(p); };
    h.order_changed = [this](const transition_outcome& t) { changed.push_back(t); };
    app = std::make_unique<w::app>(o, *db, *orders, h);
    app->add_routes(router);
  }

  /// Registers a business and leaves `b` signed in as its owner.
  void register_business(browser& b, const std::string& slug, const std::string& email) {
    ASSERT_EQ(b.get("/register").status, 200);
    auto r = b.post("/register", {{"business_name", "Shop " + slug}, {"slug", slug}, {"currency", "EUR"}, {"tax_rate", "10"},
                                  {"tax_inclusive", "1"}, {"time_zone", "UTC"}, {"prep_minutes", "5"}, {"always_open", "1"},
                                  {"type_takeaway", "1"}, {"type_eat_in", "1"}, {"email", email}, {"password", "correct horse battery"}});
    ASSERT_EQ(r.status, 303) << r.body;
    ASSERT_EQ(header(r, "Location"), "/portal");
    ASSERT_EQ(b.get("/portal").status, 200);
  }

  /// A complete, valid store settings form (POST /portal/store).
  static std::map<std::string, std::string> store_form() {
    return {{"name", "Alpha!"}, {"currency", "EUR"}, {"tax_rate", "10"}, {"tax_mode", "inclusive"}, {"prep_minutes", "5"},
            {"about", "Fresh"}, {"time_zone", "Europe/Paris"}, {"mon_opens", "07:30"}, {"mon_closes", "12:00"},
            {"mon_opens2", "14:00"}, {"mon_closes2", "19:00"}, {"sat_opens", "09:00"}, {"sat_closes", "24:00"},
            {"type_eat_in", "1"}, {"eat_in_tables", "1"}, {"type_pickup", "1"}, {"pickup_slot_minutes", "10"},
            {"pickup_lead_minutes", "30"}, {"type_delivery", "1"}, {"delivery_fee", "2.50"}, {"delivery_minimum", "15"},
            {"delivery_area", "Within 3 km"}, {"languages", "fr, en"}, {"banner", "Croissants chauds"}, {"pay_cash", "1"},
            {"pay_card_present", "1"}, {"age_amber_minutes", "4"}, {"age_red_minutes", "8"}};
  }

  std::string business_of(const std::string& slug) { return *scalar("SELECT id FROM businesses WHERE slug = '" + slug + "'"); }

  std::optional<std::string> scalar(const std::string& sql) {
    auto& c = sqlite_connection(*db);
    auto q = c.prepare(sql);
    if (!q.step() || q.is_null(0)) return std::nullopt;
    return q.text(0);
  }
  std::int64_t count(const std::string& sql) { return std::stoll(scalar(sql).value_or("0")); }

  /// Creates a product as the signed-in owner; returns its id.
  std::string add_product(browser& b, const std::string& name, const std::string& price = "3.50", const std::string& stock = "") {
    b.get("/portal/products/new");
    auto r = b.post("/portal/products/new", {{"name", name}, {"price", price}, {"category_id", "menu"}, {"active", "1"}, {"stock", stock}});
    EXPECT_EQ(r.status, 303) << r.body;
    const auto loc = header(r, "Location");
    const auto start = std::string("/portal/products/").size();
    return loc.substr(start, loc.find('?') - start);
  }

  temp_dir dir;
  std::unique_ptr<store> db;
  std::unique_ptr<order_service> orders;
  std::unique_ptr<w::app> app;
  http_router router;
  std::vector<std::string> catalog_changes;
  std::vector<placement> placed;
  std::vector<transition_outcome> changed;
};

TEST_F(web_app, register_signs_in_with_an_httponly_lax_cookie_and_an_argon2id_hash) {
  browser b{router};
  b.get("/register");
  auto r = b.post("/register", {{"business_name", "Café Ü"}, {"slug", "cafe-u"}, {"currency", "eur"}, {"tax_rate", "7.5"},
                                {"utc_offset", "+01:00"}, {"prep_minutes", "4"}, {"opens", "08:00"}, {"closes", "18:30"},
                                {"type_takeaway", "1"}, {"email", "Owner@Example.com"}, {"password", "correct horse battery"}});
  ASSERT_EQ(r.status, 303) << r.body;
  std::string cookie;
  for (const auto& [k, v] : r.headers)
    if (k == "Set-Cookie" && v.starts_with("kh_session=")) cookie = v;
  EXPECT_NE(cookie.find("HttpOnly"), std::string::npos);
  EXPECT_NE(cookie.find("SameSite=Lax"), std::string::npos);
  EXPECT_EQ(scalar("SELECT substr(password_hash, 1, 10) FROM owners WHERE email = 'owner@example.com'"), "$argon2id$");
  // The token itself is never stored, only its hash.
  const auto token = b.cookies.at("kh_session");
  EXPECT_EQ(count("SELECT COUNT(*) FROM web_sessions WHERE token_hash = '" + token + "'"), 0);
  EXPECT_EQ(count("SELECT COUNT(*) FROM web_sessions"), 1);
  const auto bid = business_of("cafe-u");
  EXPECT_EQ(scalar("SELECT currency || tax_rate_bp || utc_offset_minutes || base_prep_seconds FROM businesses WHERE id = '" + bid + "'"), "EUR75060240");
  EXPECT_EQ(count("SELECT COUNT(*) FROM opening_hours WHERE business_id = '" + bid + "'"), 7);
  EXPECT_EQ(count("SELECT COUNT(*) FROM devices WHERE id = 'web-" + bid + "'"), 1);
  auto home = b.get("/portal");
  EXPECT_EQ(home.status, 200);
  EXPECT_NE(home.body.find("Café Ü"), std::string::npos);
  // Logging out ends the session server-side.
  EXPECT_EQ(b.post("/logout", {}).status, 303);
  EXPECT_EQ(count("SELECT COUNT(*) FROM web_sessions"), 0);
  EXPECT_EQ(b.get("/portal").status, 303);
}

TEST_F(web_app, bad_registration_fields_answer_400_naming_the_field_and_write_nothing) {
  browser b{router};
  b.get("/register");
  const auto before = count("SELECT COUNT(*) FROM businesses");
  const std::map<std::string, std::string> good = {{"business_name", "X"}, {"slug", "good-slug"}, {"currency", "EUR"}, {"tax_rate", "10"},
                                                   {"utc_offset", "+00:00"}, {"prep_minutes", "5"}, {"always_open", "1"},
                                                   {"type_takeaway", "1"}, {"email", "a@b.example"}, {"password", "0123456789"}};
  const std::vector<std::pair<std::string, std::string>> bad = {
      {"slug", "Bad Slug!"}, {"currency", "EURO"}, {"tax_rate", "ten"}, {"utc_offset", "1"}, {"prep_minutes", "-3"},
      {"time_zone", "Mars/Olympus"}, {"time_zone", "+01:00"},
      {"email", "nope"},     {"password", "short"}, {"slug", "test-shop"}};
  for (const auto& [k, v] : bad) {
    auto f = good;
    f[k] = v;
    auto r = b.post("/register", f);
    EXPECT_EQ(r.status, 400) << k;
    EXPECT_NE(r.body.find("data-field=\"" + k + "\""), std::string::npos) << k << ": " << r.body;
  }
  EXPECT_EQ(count("SELECT COUNT(*) FROM businesses"), before);
  EXPECT_EQ(count("SELECT COUNT(*) FROM owners"), 0);
  // Malformed encoding.
  EXPECT_EQ(b.post_raw("/register", "application/x-www-form-urlencoded", "slug=%zz").status, 400);
  EXPECT_EQ(b.post_raw("/register", "text/plain", "hello").status, 400);
}

TEST_F(web_app, registration_takes_an_iana_zone_from_tzdata_and_old_offset_forms_still_work) {
  browser b{router};
  auto page = b.get("/register");
  // The select lists tzdata's zones, not a hard-coded handful.
  EXPECT_NE(page.body.find("<option value=\"Europe/Paris\">"), std::string::npos);
  EXPECT_NE(page.body.find("<option value=\"Pacific/Chatham\">"), std::string::npos);
  EXPECT_NE(page.body.find("<option value=\"UTC\" selected>"), std::string::npos);
  EXPECT_EQ(page.body.find("utc_offset"), std::string::npos);
  auto r = b.post("/register", {{"business_name", "Zoned"}, {"slug", "zoned"}, {"currency", "EUR"}, {"tax_rate", "10"},
                                {"time_zone", "America/New_York"}, {"prep_minutes", "5"}, {"opens", "08:00"}, {"closes", "18:00"},
                                {"type_takeaway", "1"}, {"email", "z@zoned.example"}, {"password", "correct horse battery"}});
  ASSERT_EQ(r.status, 303) << r.body;
  const auto bid = business_of("zoned");
  EXPECT_EQ(scalar("SELECT time_zone FROM businesses WHERE id = '" + bid + "'"), "America/New_York");
  const auto off = std::stoi(scalar("SELECT utc_offset_minutes FROM businesses WHERE id = '" + bid + "'").value());
  EXPECT_TRUE(off == -300 || off == -240) << off;  // EST or EDT, whichever holds today
  // The settings page shows the stored zone chosen.
  EXPECT_NE(b.get("/portal/store").body.find("<option value=\"America/New_York\" selected>"), std::string::npos);
  // A store registered with a fixed offset (+01:00, no zone) gets tzdata's fixed zone preselected,
  // so saving its settings keeps its clock.
  browser old{router};
  old.get("/register");
  ASSERT_EQ(old.post("/register", {{"business_name", "Old"}, {"slug", "old-form"}, {"currency", "EUR"}, {"tax_rate", "10"},
                                   {"utc_offset", "+01:00"}, {"prep_minutes", "5"}, {"always_open", "1"}, {"type_takeaway", "1"},
                                   {"email", "o@old.example"}, {"password", "correct horse battery"}}).status, 303);
  EXPECT_FALSE(scalar("SELECT time_zone FROM businesses WHERE slug = 'old-form'").has_value());
  EXPECT_NE(old.get("/portal/store").body.find("<option value=\"Etc/GMT-1\" selected>"), std::string::npos);
}

TEST_F(web_app, every_post_needs_the_csrf_token) {
  browser b{router};
  EXPECT_EQ(b.post("/register", {{"slug", "x"}}, false).status, 403);
  register_business(b, "alpha", "a@alpha.example");
  const auto pid = add_product(b, "Tea");
  const std::vector<std::pair<std::string, std::map<std::string, std::string>>> posts = {
      {"/portal/products/" + pid, {{"name", "Hacked"}, {"price", "0.01"}, {"category_id", "menu"}}},
      {"/portal/products/" + pid + "/stock", {{"mode", "set"}, {"quantity", "1"}, {"reason", "x"}}},
      {"/portal/store", {{"name", "Hacked"}, {"tax_rate", "0"}, {"prep_minutes", "1"}}},
      {"/portal/categories", {{"name", "Hacked"}}},
      {"/portal/discounts", {{"code", "HACK"}, {"kind", "percent"}, {"value", "100"}}},
      {"/portal/staff", {{"email", "evil@x.example"}, {"role", "owner"}, {"password", "0123456789"}}},
      {"/logout", {}}};
  for (const auto& [path, form] : posts) {
    auto f = form;
    f["csrf"] = "0000";
    EXPECT_EQ(b.post(path, f, false).status, 403) << path;
    EXPECT_EQ(b.post(path, form, false).status, 403) << path;
  }
  EXPECT_EQ(scalar("SELECT name FROM products WHERE id = '" + pid + "'"), "Tea");
  EXPECT_EQ(count("SELECT COUNT(*) FROM discount_codes WHERE code = 'HACK'"), 0);
  EXPECT_EQ(count("SELECT COUNT(*) FROM owners"), 1);
  EXPECT_EQ(b.get("/portal").status, 200);  // still signed in
}

TEST_F(web_app, sign_in_is_rate_limited_per_account_with_a_clear_message) {
  browser owner{router};
  register_business(owner, "alpha", "a@alpha.example");
  browser b{router};
  b.get("/login");
  EXPECT_EQ(b.post("/login", {{"email", "a@alpha.example"}, {"password", "correct horse battery"}}).status, 303);
  browser c{router};
  c.remote = "10.0.0.9:1234";
  c.get("/login");
  for (int i = 0; i < 3; ++i) EXPECT_EQ(c.post("/login", {{"email", "a@alpha.example"}, {"password", "wrong"}}).status, 401);
  auto r = c.post("/login", {{"email", "a@alpha.example"}, {"password", "correct horse battery"}});
  EXPECT_EQ(r.status, 429);
  EXPECT_NE(r.body.find("Too many failed sign-ins for this account"), std::string::npos);
  EXPECT_EQ(c.cookies.count("kh_session"), 0u);
}

TEST_F(web_app, staff_cannot_change_settings_prices_or_accounts_but_can_run_orders_and_stock) {
  browser owner{router};
  register_business(owner, "alpha", "a@alpha.example");
  const auto pid = add_product(owner, "Tea", "2.00", "5");
  owner.get("/portal/staff");
  ASSERT_EQ(owner.post("/portal/staff", {{"email", "s@alpha.example"}, {"role", "staff"}, {"password", "staff password 1"}}).status, 303);
  browser staff{router};
  staff.get("/login");
  ASSERT_EQ(staff.post("/login", {{"email", "s@alpha.example"}, {"password", "staff password 1"}}).status, 303);
  // The menu offers staff only what they may use; the owner sees the settings too.
  const auto staff_menu = staff.get("/portal/orders").body;
  EXPECT_NE(staff_menu.find("href=\"/portal/orders\""), std::string::npos);
  EXPECT_EQ(staff_menu.find("href=\"/portal/store\""), std::string::npos);
  EXPECT_EQ(staff_menu.find("href=\"/portal/staff\""), std::string::npos);
  EXPECT_NE(owner.get("/portal/orders").body.find("href=\"/portal/store\""), std::string::npos);
  staff.get("/portal/products/" + pid);
  EXPECT_EQ(staff.post("/portal/products/" + pid, {{"name", "Tea"}, {"price", "0.10"}, {"category_id", "menu"}, {"active", "1"}}).status, 403);
  EXPECT_EQ(staff.post("/portal/store", {{"name", "Mine"}, {"tax_rate", "0"}, {"prep_minutes", "1"}}).status, 403);
  EXPECT_EQ(staff.post("/portal/staff", {{"email", "x@alpha.example"}, {"role", "owner"}, {"password", "0123456789ab"}}).status, 403);
  EXPECT_EQ(staff.post("/portal/discounts", {{"code", "FREE"}, {"kind", "percent"}, {"value", "100"}}).status, 403);
  EXPECT_EQ(scalar("SELECT price FROM products WHERE id = '" + pid + "'"), "200");
  EXPECT_EQ(staff.post("/portal/products/" + pid + "/stock", {{"mode", "adjust"}, {"quantity", "-2"}, {"reason", "dropped"}}).status, 303);
  EXPECT_EQ(scalar("SELECT stock FROM products WHERE id = '" + pid + "'"), "3");
  EXPECT_EQ(scalar("SELECT reason || ':' || delta || ':' || stock_after FROM stock_ledger ORDER BY id DESC LIMIT 1"), "dropped:-2:3");
  EXPECT_EQ(staff.post("/portal/products/" + pid + "/stock", {{"mode", "adjust"}, {"quantity", "-9"}, {"reason", "x"}}).status, 400);
  EXPECT_EQ(scalar("SELECT stock FROM products WHERE id = '" + pid + "'"), "3");
}

TEST_F(web_app, store_settings_save_every_profile_field_and_republish) {
  browser a{router};
  register_business(a, "alpha", "a@alpha.example");
  const auto bid = business_of("alpha");
  auto form = a.get("/portal/store");
  ASSERT_EQ(form.status, 200);
  for (const char* f : {"name=\"time_zone\"", "name=\"mon_opens\"", "name=\"sun_closes2\"", "name=\"pickup_slot_minutes\"",
                        "name=\"delivery_area\"", "name=\"languages\"", "name=\"banner\"", "name=\"pay_wallet\"",
                        "name=\"tax_mode\"", "name=\"currency\"", "name=\"eat_in_tables\"", "name=\"age_amber_minutes\"",
                        "name=\"age_red_minutes\""})
    EXPECT_NE(form.body.find(f), std::string::npos) << f;
  EXPECT_EQ(form.body.find("style="), std::string::npos);  // the CSP blocks inline styles
  catalog_changes.clear();
  auto r = a.post("/portal/store", store_form());
  ASSERT_EQ(r.status, 303) << r.body;
  EXPECT_EQ(catalog_changes, std::vector<std::string>{bid});
  // The profile the catalog carries is what the form said.
  const auto p = db->shop().profile(bid).value();
  EXPECT_EQ(p.time_zone, "Europe/Paris");
  EXPECT_EQ(p.tax, protocol::tax_mode::inclusive);
  EXPECT_EQ(p.tax_rate_bp, 1000);
  EXPECT_FALSE(p.always_open);
  const std::vector<protocol::hours_span> hours = {{0, 450, 720}, {0, 840, 1140}, {5, 540, 1440}};
  EXPECT_EQ(p.opening_hours, hours);
  ASSERT_EQ(p.order_types.size(), 3u);
  ASSERT_NE(p.offer(protocol::order_type::eat_in), nullptr);
  EXPECT_TRUE(p.offer(protocol::order_type::eat_in)->table_numbers);
  EXPECT_EQ(p.offer(protocol::order_type::takeaway), nullptr);
  EXPECT_EQ(p.offer(protocol::order_type::pickup)->slot_minutes, 10);
  EXPECT_EQ(p.offer(protocol::order_type::pickup)->lead_minutes, 30);
  EXPECT_EQ(p.offer(protocol::order_type::delivery)->fee.amount, 250);
  EXPECT_EQ(p.offer(protocol::order_type::delivery)->minimum.amount, 1500);
  EXPECT_EQ(p.offer(protocol::order_type::delivery)->area, "Within 3 km");
  EXPECT_EQ(p.languages, (std::vector<std::string>{"fr", "en"}));
  EXPECT_EQ(p.banner, "Croissants chauds");
  EXPECT_EQ(p.age_amber_seconds, 240);  // the counter's card ages, in the catalog kiosks receive
  EXPECT_EQ(p.age_red_seconds, 480);
  EXPECT_EQ(p.payment_methods, (std::vector<protocol::payment_method>{protocol::payment_method::card_present, protocol::payment_method::cash}));
  EXPECT_EQ(scalar("SELECT name || '|' || currency || '|' || base_prep_seconds || '|' || about FROM businesses WHERE id = '" + bid + "'"),
            "Alpha!|EUR|300|Fresh");
  // The page shows it back.
  auto back = a.get("/portal/store?saved=1").body;
  EXPECT_NE(back.find("value=\"14:00\""), std::string::npos);
  EXPECT_NE(back.find("<option value=\"Europe/Paris\" selected>"), std::string::npos);
  EXPECT_NE(back.find("value=\"fr, en\""), std::string::npos);

  // Every bad field: 400 naming it, nothing written, nothing republished.
  catalog_changes.clear();
  const std::vector<std::pair<std::string, std::string>> bad = {
      {"name", ""},
      {"currency", "EURO"},
      {"tax_rate", "abc"},
      {"tax_mode", "sometimes"},
      {"prep_minutes", "999"},
      {"time_zone", "Europe/Atlantis"},
      {"mon_opens", "7h30"},
      {"mon_closes", "06:00"},
      {"mon_opens2", "11:00"},
      {"sat_closes", "24:30"},
      {"pickup_slot_minutes", "2"},
      {"pickup_lead_minutes", "5000"},
      {"delivery_fee", "-1"},
      {"delivery_minimum", "lots"},
      {"delivery_area", std::string(201, 'a')},
      {"languages", "french"},
      {"languages", "fr, fr"},
      {"languages", ""},
      {"banner", std::string(201, 'b')},
      {"banner", "line\nbreak"},
      {"about", std::string(2001, 'c')},
      {"age_amber_minutes", "0"},
      {"age_red_minutes", "3"},  // below amber
      {"age_red_minutes", "soon"},
  };
  for (const auto& [k, v] : bad) {
    auto f = store_form();
    f[k] = v;
    f["name"] = k == "name" ? v : "Changed";
    auto res = a.post("/portal/store", f);
    EXPECT_EQ(res.status, 400) << k << "=" << v;
    EXPECT_NE(res.body.find("data-field=\"" + k + "\""), std::string::npos) << k << ": " << res.body;
  }
  auto none = store_form();
  for (const char* k : {"type_eat_in", "type_pickup", "type_delivery"}) none.erase(k);
  EXPECT_NE(a.post("/portal/store", none).body.find("data-field=\"order_types\""), std::string::npos);
  auto nopay = store_form();
  nopay.erase("pay_cash");
  nopay.erase("pay_card_present");
  EXPECT_NE(a.post("/portal/store", nopay).body.find("data-field=\"payment_methods\""), std::string::npos);
  auto nohours = store_form();
  for (const char* k : {"mon_opens", "mon_closes", "mon_opens2", "mon_closes2", "sat_opens", "sat_closes"}) nohours.erase(k);
  EXPECT_NE(a.post("/portal/store", nohours).body.find("data-field=\"mon_opens\""), std::string::npos);
  EXPECT_EQ(db->shop().profile(bid).value(), p);
  EXPECT_EQ(scalar("SELECT name FROM businesses WHERE id = '" + bid + "'"), "Alpha!");
  EXPECT_TRUE(catalog_changes.empty());
}

TEST_F(web_app, another_business_ids_answer_404_everywhere) {
  browser a{router}, bb{router};
  register_business(a, "alpha", "a@alpha.example");
  register_business(bb, "beta", "b@beta.example");
  const auto pid = add_product(a, "Alpha tea", "2.00", "5");
  a.get("/portal/discounts");
  ASSERT_EQ(a.post("/portal/discounts", {{"code", "ALPHA10"}, {"kind", "percent"}, {"value", "10"}}).status, 303);
  ASSERT_EQ(a.upload("/portal/products/" + pid + "/image", "x.png", png_of(64, 64)).status, 303);
  // An order of alpha's, from its phone shop.
  browser phone{router};
  phone.get("/s/alpha/cart");
  const auto oid = protocol::new_uuid();
  ASSERT_EQ(phone.post("/s/alpha/checkout", {{"order_id", oid}, {"cart", pid + ":1"}, {"type", "takeaway"}, {"name", "Ann"}, {"phone", "1"}}).status, 303);

  bb.get("/portal");
  EXPECT_EQ(bb.get("/portal/products/" + pid).status, 404);
  EXPECT_EQ(bb.post("/portal/products/" + pid, {{"name", "Mine"}, {"price", "0.01"}, {"category_id", "menu"}}).status, 404);
  EXPECT_EQ(bb.post("/portal/products/" + pid + "/stock", {{"mode", "set"}, {"quantity", "0"}, {"reason", "x"}}).status, 404);
  EXPECT_EQ(bb.upload("/portal/products/" + pid + "/image", "x.png", png_of(8, 8)).status, 404);
  EXPECT_EQ(bb.post("/portal/orders/" + oid + "/state", {{"to", "paid"}}).status, 404);
  EXPECT_EQ(bb.post("/portal/discounts/ALPHA10/toggle", {}).status, 404);
  EXPECT_EQ(bb.get("/portal/qr/code.svg?for=product:" + pid).status, 404);
  EXPECT_EQ(bb.get("/portal/orders").body.find(oid), std::string::npos);
  EXPECT_EQ(bb.get("/s/beta/o/" + oid).status, 404);  // alpha's order under beta's shop
  EXPECT_EQ(scalar("SELECT name || price || stock FROM products WHERE id = '" + pid + "'"), "Alpha tea2004");
  EXPECT_EQ(scalar("SELECT state FROM orders WHERE id = '" + oid + "'"), "pending_payment");
  EXPECT_EQ(scalar("SELECT active FROM discount_codes WHERE code = 'ALPHA10'"), "1");
}

TEST_F(web_app, hostile_product_names_come_back_inert_everywhere) {
  browser a{router};
  register_business(a, "alpha", "a@alpha.example");
  const auto p1 = add_product(a, "<script>alert(1)</script>");
  const auto p2 = add_product(a, "\"onmouseover=alert(2) x=\"");
  browser phone{router};
  const std::vector<std::pair<browser*, std::string>> pages = {
      {&a, "/portal/products"}, {&a, "/portal/products/" + p1}, {&a, "/portal/products/" + p2}, {&a, "/portal/qr"},
      {&phone, "/s/alpha"},     {&phone, "/s/alpha/p/" + p1},  {&phone, "/s/alpha/p/" + p2},  {&phone, "/s/alpha/cart"}};
  for (const auto& [br, path] : pages) {
    auto r = br->get(path);
    ASSERT_EQ(r.status, 200) << path;
    EXPECT_EQ(r.body.find("<script>alert"), std::string::npos) << path;
    EXPECT_EQ(r.body.find("\"onmouseover="), std::string::npos) << path;
    EXPECT_EQ(r.body.find("</script>alert"), std::string::npos) << path;
    EXPECT_NE(header(r, "Content-Security-Policy").find("script-src 'self'"), std::string::npos) << path;
  }
  // And in the JSON the shop script reads, the name survives intact once parsed.
  auto cart = phone.get("/s/alpha/cart");
  const auto start = cart.body.find("id=\"kh-products\">") + 17;
  const auto json = nlohmann::json::parse(cart.body.substr(start, cart.body.find("</script>", start) - start));
  EXPECT_EQ(json[p1]["name"], "<script>alert(1)</script>");
}

TEST_F(web_app, uploads_are_checked_by_content_reencoded_and_bombs_refused) {
  browser a{router};
  register_business(a, "alpha", "a@alpha.example");
  const auto pid = add_product(a, "Tea");
  a.get("/portal/products/" + pid);
  EXPECT_EQ(a.upload("/portal/products/" + pid + "/image", "tea.png", "this is not an image").status, 400);
  auto bomb = a.upload("/portal/products/" + pid + "/image", "bomb.png", png_bomb());
  EXPECT_EQ(bomb.status, 400);
  EXPECT_NE(bomb.body.find("too large"), std::string::npos);
  EXPECT_EQ(count("SELECT COUNT(*) FROM images"), 0);
  // A PNG named .jpg is accepted for what it is and served re-encoded as JPEG.
  const auto png = png_of(800, 600);
  catalog_changes.clear();
  ASSERT_EQ(a.upload("/portal/products/" + pid + "/image", "photo.jpg", png).status, 303);
  EXPECT_EQ(catalog_changes.size(), 1u);
  const auto iid = *scalar("SELECT image_id FROM products WHERE id = '" + pid + "'");
  const auto biz = *scalar("SELECT business_id FROM products WHERE id = '" + pid + "'");
  // The catalog carries the path (made absolute with the hub's public URL for kiosks); the bytes
  // are in the database, beside the seed's pictures, so a backup has them.
  EXPECT_EQ(scalar("SELECT image_url FROM products WHERE id = '" + pid + "'"), "/img/" + biz + "/" + iid + ".jpg");
  EXPECT_EQ(count("SELECT COUNT(*) FROM product_images WHERE business_id = '" + biz + "'"), 2);
  browser anyone{router};
  auto big = anyone.get("/img/" + biz + "/" + iid + ".jpg");
  ASSERT_EQ(big.status, 200);
  EXPECT_EQ(big.content_type, "image/jpeg");
  EXPECT_EQ(static_cast<unsigned char>(big.body[0]), 0xFF);
  EXPECT_NE(big.body, png);
  EXPECT_FALSE(header(big, "etag").empty());
  auto thumb = w::decode_image(anyone.get("/img/" + biz + "/" + iid + "-thumb.jpg").body, 1'000'000);
  ASSERT_TRUE(thumb.ok);
  EXPECT_EQ(thumb.image.width, 320);
  EXPECT_EQ(thumb.image.height, 240);
  // Traversal and unknown ids.
  for (const std::string& p : std::vector<std::string>{"/img/../kioskhub.db", "/img/%2e%2e/kioskhub.db", "/img/" + biz + "/" + iid + ".png",
                              "/img/" + biz + "/00000000000000000000000000000000.jpg", "/img/other-biz/" + iid + ".jpg",
                              "/img/" + biz + "/../" + biz + "/" + iid + ".jpg", "/static/bootstrap/../../../../etc/passwd",
                              "/static/bootstrap/%2e%2e/%2e%2e/%2e%2e/etc/passwd", "/static/bootstrap/css/../../../../../etc/hostname",
                              "/static/nothing.css"})
    EXPECT_EQ(anyone.get(p).status, 404) << p;
}

TEST_F(web_app, every_catalog_change_republishes) {
  browser a{router};
  register_business(a, "alpha", "a@alpha.example");
  catalog_changes.clear();
  const auto pid = add_product(a, "Tea");
  a.get("/portal/products/" + pid);
  a.post("/portal/products/" + pid, {{"name", "Green tea"}, {"price", "2.20"}, {"category_id", "menu"}, {"active", "1"}});
  a.post("/portal/products/" + pid + "/stock", {{"mode", "set"}, {"quantity", "9"}, {"reason", "delivery"}});
  a.post("/portal/categories", {{"name", "Drinks"}});
  a.get("/portal/store");
  EXPECT_EQ(a.post("/portal/store", store_form()).status, 303);
  const auto bid = business_of("alpha");
  EXPECT_EQ(catalog_changes, std::vector<std::string>(5, bid));
}

TEST_F(web_app, qr_codes_decode_to_the_urls_they_print_and_the_sheet_lists_them) {
  browser a{router};
  register_business(a, "alpha", "a@alpha.example");
  const auto pid = add_product(a, "Tea");
  auto png = a.get("/portal/qr/code.png?for=product:" + pid + "&download=1");
  ASSERT_EQ(png.status, 200);
  EXPECT_EQ(png.content_type, "image/png");
  EXPECT_NE(header(png, "Content-Disposition").find("attachment"), std::string::npos);
  const std::string url = "http://shop.test/s/alpha/p/" + pid + "?add=1";
  EXPECT_EQ(zbar_decode(png.body), url);
  EXPECT_EQ(zbar_decode(a.get("/portal/qr/code.png?for=table:12").body), "http://shop.test/s/alpha?type=eat_in&table=12");
  EXPECT_EQ(zbar_decode(a.get("/portal/qr/code.png?for=store").body), "http://shop.test/s/alpha");
  auto svg = a.get("/portal/qr/code.svg?for=type:takeaway");
  EXPECT_EQ(svg.content_type, "image/svg+xml");
  EXPECT_EQ(svg.body.rfind("<svg", 0), 0u);
  auto sheet = a.get("/portal/qr?tables=3");
  EXPECT_NE(sheet.body.find(w::escape_html(url)), std::string::npos);
  EXPECT_NE(sheet.body.find("Table 3"), std::string::npos);
  EXPECT_EQ(sheet.body.find("Table 4"), std::string::npos);
  EXPECT_EQ(a.get("/portal/qr/code.png?for=table:0").status, 404);
  EXPECT_EQ(a.get("/portal/qr/code.png?for=http://evil.example").status, 404);
  // The URL opens the product page.
  browser phone{router};
  EXPECT_EQ(phone.get("/s/alpha/p/" + pid + "?add=1").status, 200);
}

TEST_F(web_app, a_phone_order_goes_through_the_order_service_and_is_tracked_to_collected) {
  browser a{router};
  register_business(a, "alpha", "a@alpha.example");
  const auto tea = add_product(a, "Tea", "2.00", "3");
  const auto cake = add_product(a, "Cake", "4.50");
  browser phone{router};
  ASSERT_EQ(phone.get("/s/alpha").status, 200);
  phone.get("/s/alpha/cart");
  const auto oid = protocol::new_uuid();
  const std::map<std::string, std::string> order = {{"order_id", oid}, {"cart", tea + ":2," + cake + ":1"}, {"type", "eat_in"},
                                                    {"table", "12"}, {"name", "Ann"}, {"email", "ann@example.com"}};
  auto r = phone.post("/s/alpha/checkout", order);
  ASSERT_EQ(r.status, 303) << r.body;
  EXPECT_EQ(header(r, "Location"), "/s/alpha/o/" + oid);
  ASSERT_EQ(placed.size(), 1u);
  EXPECT_TRUE(placed[0].accepted);
  EXPECT_TRUE(placed[0].stock_changed);
  EXPECT_EQ(scalar("SELECT number || ' ' || total || ' ' || state || ' ' || order_type || ' ' || payment_method FROM orders WHERE id = '" + oid + "'"),
            "A-001 850 pending_payment eat_in cash");
  EXPECT_EQ(scalar("SELECT stock FROM products WHERE id = '" + tea + "'"), "1");
  // The table rides in the order's own field (no longer in the first line's note).
  EXPECT_EQ(db->shop().order_details_of(oid).table, "12");
  EXPECT_EQ(scalar("SELECT note FROM order_lines WHERE order_id = '" + oid + "' AND line_no = 1"), "");
  // Submitting the same form again (double tap, reload) gives the same order, not a second one.
  EXPECT_EQ(phone.post("/s/alpha/checkout", order).status, 303);
  EXPECT_EQ(count("SELECT COUNT(*) FROM orders"), 1);

  // The short tracking URL that order.accepted and the kiosk's confirmation QR carry.
  auto short_url = phone.get("/o/" + oid);
  EXPECT_EQ(short_url.status, 303);
  EXPECT_EQ(header(short_url, "Location"), "/s/alpha/o/" + oid);
  EXPECT_EQ(phone.get("/o/" + protocol::new_uuid()).status, 404);
  EXPECT_EQ(phone.get("/o/not-an-order").status, 404);
  auto page = phone.get("/s/alpha/o/" + oid);
  ASSERT_EQ(page.status, 200);
  EXPECT_NE(page.body.find("A-001"), std::string::npos);
  EXPECT_NE(page.body.find("\u20ac8.50"), std::string::npos);  // an English-speaking store: "€8.50"
  EXPECT_EQ(page.body.find("8.50 EUR"), std::string::npos);
  {
    // A French store writes "8,50 €" (protocol::format_money, the kiosk's formatter too).
    sqlite_connection(*db).exec("UPDATE businesses SET languages = 'fr,en' WHERE slug = 'alpha'");
    EXPECT_NE(phone.get("/s/alpha/o/" + oid).body.find("8,50\u00a0\u20ac"), std::string::npos);
    auto shell = phone.get("/s/alpha/cart").body;
    EXPECT_NE(shell.find("data-money-decimal=\",\" data-money-after=\"1\""), std::string::npos);
    sqlite_connection(*db).exec("UPDATE businesses SET languages = 'en' WHERE slug = 'alpha'");
  }
  EXPECT_NE(page.body.find(R"(class="alert alert-info" id="pay-due")"), std::string::npos);  // unpaid: asks for money
  {
    // The ETA is on the store's wall clock: its IANA zone once the profile has one (here 14 h
    // ahead of UTC, no DST), not the fixed offset given at registration (+00:00 here).
    const auto eta_ms = std::stoll(*scalar("SELECT eta_ms FROM orders WHERE id = '" + oid + "'"));
    const auto hhmm = [](std::int64_t ms) { return protocol::format_rfc3339(from_ms(ms)).substr(11, 5); };
    EXPECT_NE(page.body.find(">" + hhmm(eta_ms) + "</strong>"), std::string::npos);
    sqlite_connection(*db).exec("UPDATE businesses SET time_zone = 'Pacific/Kiritimati' WHERE slug = 'alpha'");
    EXPECT_NE(phone.get("/s/alpha/o/" + oid).body.find(">" + hhmm(eta_ms + 14 * 3'600'000) + "</strong>"), std::string::npos);
    sqlite_connection(*db).exec("UPDATE businesses SET time_zone = NULL WHERE slug = 'alpha'");
  }
  auto ev = phone.get("/s/alpha/o/" + oid + "/events");
  EXPECT_EQ(ev.content_type, "text/event-stream");
  EXPECT_NE(ev.body.find("\"state\":\"pending_payment\""), std::string::npos);
  EXPECT_NE(ev.body.find("retry: "), std::string::npos);
  // Too early for feedback.
  EXPECT_EQ(phone.post("/s/alpha/o/" + oid + "/feedback", {{"rating", "5"}}).status, 409);

  a.get("/portal/orders");
  for (const char* to : {"paid", "preparing", "ready"}) ASSERT_EQ(a.post("/portal/orders/" + oid + "/state", {{"to", to}}).status, 303) << to;
  EXPECT_NE(phone.get("/s/alpha/o/" + oid + "/events").body.find("\"state\":\"ready\""), std::string::npos);
  // Paid: the page no longer tells the customer to pay.
  EXPECT_NE(phone.get("/s/alpha/o/" + oid).body.find(R"(class="alert alert-info d-none" id="pay-due")"), std::string::npos);
  EXPECT_EQ(a.post("/portal/orders/" + oid + "/state", {{"to", "delivered"}}).status, 409);  // not a delivery
  ASSERT_EQ(a.post("/portal/orders/" + oid + "/state", {{"to", "collected"}}).status, 303);
  EXPECT_EQ(changed.size(), 4u);
  EXPECT_NE(phone.get("/s/alpha/o/" + oid + "/events").body.find("\"feedback\":true"), std::string::npos);
  phone.get("/s/alpha/o/" + oid);
  EXPECT_EQ(phone.post("/s/alpha/o/" + oid + "/feedback", {{"rating", "9"}}).status, 400);
  EXPECT_EQ(phone.post("/s/alpha/o/" + oid + "/feedback", {{"rating", "4"}, {"comment", "Nice <b>tea</b>"}}).status, 303);
  EXPECT_EQ(phone.post("/s/alpha/o/" + oid + "/feedback", {{"rating", "1"}}).status, 409);
  EXPECT_EQ(scalar("SELECT rating || comment FROM order_feedback WHERE order_id = '" + oid + "'"), "4Nice <b>tea</b>");
}

TEST_F(web_app, phone_checkout_refuses_bad_carts_and_oversell_with_nothing_written) {
  browser a{router};
  register_business(a, "alpha", "a@alpha.example");
  const auto tea = add_product(a, "Tea", "2.00", "1");
  browser phone{router};
  phone.get("/s/alpha/cart");
  const std::vector<std::map<std::string, std::string>> bad = {
      {{"order_id", "not-a-uuid"}, {"cart", tea + ":1"}, {"type", "takeaway"}, {"name", "A"}},
      {{"order_id", protocol::new_uuid()}, {"cart", ""}, {"type", "takeaway"}, {"name", "A"}},
      {{"order_id", protocol::new_uuid()}, {"cart", tea + ":0"}, {"type", "takeaway"}, {"name", "A"}},
      {{"order_id", protocol::new_uuid()}, {"cart", tea + ":1"}, {"type", "delivery"}, {"name", "A"}},  // not offered
      {{"order_id", protocol::new_uuid()}, {"cart", tea + ":1"}, {"type", "takeaway"}, {"name", ""}},
      {{"order_id", protocol::new_uuid()}, {"cart", tea + ":1"}, {"type", "takeaway"}, {"name", "A"}, {"table", "<12>"}}};
  for (const auto& f : bad) EXPECT_EQ(phone.post("/s/alpha/checkout", f).status, 400);
  auto r = phone.post("/s/alpha/checkout", {{"order_id", protocol::new_uuid()}, {"cart", tea + ":2"}, {"type", "takeaway"}, {"name", "A"}});
  EXPECT_EQ(r.status, 409);
  EXPECT_EQ(header(r, "X-Order-Code"), "out_of_stock");
  EXPECT_EQ(phone.post("/s/alpha/checkout", {{"order_id", protocol::new_uuid()}, {"cart", tea + ":1"}, {"type", "takeaway"}, {"name", "A"}}, false).status, 403);
  EXPECT_EQ(count("SELECT COUNT(*) FROM orders"), 0);
  EXPECT_EQ(scalar("SELECT stock FROM products WHERE id = '" + tea + "'"), "1");
}

TEST_F(web_app, discount_limits_hold_in_the_order_transaction) {
  browser a{router};
  register_business(a, "alpha", "a@alpha.example");
  const auto tea = add_product(a, "Tea", "2.00");
  a.get("/portal/discounts");
  ASSERT_EQ(a.post("/portal/discounts", {{"code", "once"}, {"kind", "fixed"}, {"value", "1.00"}, {"max_uses", "1"}}).status, 303);
  ASSERT_EQ(a.post("/portal/discounts", {{"code", "BIG"}, {"kind", "percent"}, {"value", "50"}, {"min_order", "10.00"}}).status, 303);
  ASSERT_EQ(a.post("/portal/discounts", {{"code", "OLD"}, {"kind", "percent"}, {"value", "5"}, {"valid_from", "2020-01-01"}, {"valid_until", "2020-12-31"}}).status, 303);
  EXPECT_EQ(a.post("/portal/discounts", {{"code", "BAD"}, {"kind", "percent"}, {"value", "150"}}).status, 400);
  browser phone{router};
  phone.get("/s/alpha/cart");
  auto order = [&](const std::string& cart, const std::string& code) {
    return phone.post("/s/alpha/checkout", {{"order_id", protocol::new_uuid()}, {"cart", cart}, {"type", "takeaway"}, {"name", "A"}, {"discount_code", code}});
  };
  EXPECT_EQ(order(tea + ":1", "ONCE").status, 303);
  auto second = order(tea + ":1", "once");
  EXPECT_EQ(second.status, 409);
  EXPECT_EQ(header(second, "X-Order-Code"), "invalid_discount");
  EXPECT_EQ(order(tea + ":1", "BIG").status, 409);  // 2.00 < 10.00
  EXPECT_EQ(order(tea + ":5", "BIG").status, 303);
  EXPECT_EQ(order(tea + ":1", "OLD").status, 409);
  EXPECT_EQ(scalar("SELECT uses FROM discount_codes WHERE code = 'ONCE'"), "1");
  EXPECT_EQ(scalar("SELECT group_concat(total, ',') FROM (SELECT total FROM orders ORDER BY created_at_ms, number)"), "100,500");
}

TEST_F(web_app, a_cancelled_order_gives_its_discount_use_back_on_staff_cancel_and_expiry) {
  browser a{router};
  register_business(a, "alpha", "a@alpha.example");
  const auto tea = add_product(a, "Tea", "2.00");
  a.get("/portal/discounts");
  ASSERT_EQ(a.post("/portal/discounts", {{"code", "ONCE"}, {"kind", "fixed"}, {"value", "1.00"}, {"max_uses", "1"}}).status, 303);
  browser phone{router};
  phone.get("/s/alpha/cart");
  auto order = [&](const std::string& oid) {
    return phone.post("/s/alpha/checkout", {{"order_id", oid}, {"cart", tea + ":1"}, {"type", "takeaway"}, {"name", "A"}, {"discount_code", "ONCE"}});
  };
  const auto first = protocol::new_uuid();
  ASSERT_EQ(order(first).status, 303);
  EXPECT_EQ(scalar("SELECT uses FROM discount_codes WHERE code = 'ONCE'"), "1");
  EXPECT_EQ(order(protocol::new_uuid()).status, 409);  // the only use is taken
  // Staff cancel the unpaid order: the use comes back and the next customer gets it.
  a.get("/portal/orders");
  ASSERT_EQ(a.post("/portal/orders/" + first + "/state", {{"to", "cancelled"}}).status, 303);
  EXPECT_EQ(scalar("SELECT state FROM orders WHERE id = '" + first + "'"), "cancelled");
  EXPECT_EQ(scalar("SELECT uses FROM discount_codes WHERE code = 'ONCE'"), "0");
  const auto second = protocol::new_uuid();
  ASSERT_EQ(order(second).status, 303);
  EXPECT_EQ(scalar("SELECT uses FROM discount_codes WHERE code = 'ONCE'"), "1");
  // Expiry of an unpaid order gives it back too.
  const auto expired = orders->expire_unpaid(std::chrono::minutes(-1), 10);  // everything unpaid now
  ASSERT_EQ(expired.size(), 1u);
  EXPECT_EQ(scalar("SELECT state FROM orders WHERE id = '" + second + "'"), "cancelled");
  EXPECT_EQ(scalar("SELECT uses FROM discount_codes WHERE code = 'ONCE'"), "0");
  // A paid order that is refunded was a real sale: its use stays counted.
  const auto third = protocol::new_uuid();
  ASSERT_EQ(order(third).status, 303);
  a.get("/portal/orders");
  ASSERT_EQ(a.post("/portal/orders/" + third + "/state", {{"to", "paid"}}).status, 303);
  EXPECT_EQ(scalar("SELECT uses FROM discount_codes WHERE code = 'ONCE'"), "1");
  // Cancelling an order a second time (a resend) gives nothing more back.
  EXPECT_EQ(a.post("/portal/orders/" + first + "/state", {{"to", "cancelled"}}).status, 409);
  EXPECT_EQ(scalar("SELECT uses FROM discount_codes WHERE code = 'ONCE'"), "1");
}

TEST_F(web_app, each_phone_session_has_its_own_limits_under_a_business_wide_ceiling) {
  w::web_options o;
  o.public_url = "http://shop.test";
  o.db_path = database_path(dir.path().string());
  o.data_dir = dir.path().string();
  o.phone_session_hold_units = 5;
  o.phone_session_orders_per_minute = 4;
  orders->set_unpaid_hold_limit(9);  // the shared device web-<business>: the business-wide ceiling
  w::app limited(o, *db, *orders, {});
  http_router r2;
  limited.add_routes(r2);
  browser a{r2};
  register_business(a, "alpha", "a@alpha.example");
  const auto tea = add_product(a, "Tea", "2.00", "100");
  auto order = [&](browser& phone, int qty) {
    return phone.post("/s/alpha/checkout", {{"order_id", protocol::new_uuid()}, {"cart", tea + ":" + std::to_string(qty)},
                                            {"type", "takeaway"}, {"name", "A"}});
  };
  browser greedy{r2}, other{r2}, third{r2};
  for (auto* p : {&greedy, &other, &third}) p->get("/s/alpha/cart");
  EXPECT_EQ(order(greedy, 3).status, 303);
  EXPECT_EQ(order(greedy, 2).status, 303);
  auto blocked = order(greedy, 1);  // 6 > 5 for this session
  EXPECT_EQ(blocked.status, 409);
  EXPECT_EQ(header(blocked, "X-Order-Code"), "hold_limit");
  EXPECT_NE(blocked.body.find("this phone already has 5 items"), std::string::npos) << blocked.body;
  // Another phone of the same business is not blocked by the greedy one.
  EXPECT_EQ(order(other, 3).status, 303);
  // The business-wide ceiling still holds for all phones together (5 + 3 + 2 > 9).
  auto ceiling = order(third, 2);
  EXPECT_EQ(ceiling.status, 409);
  EXPECT_EQ(header(ceiling, "X-Order-Code"), "hold_limit");
  EXPECT_EQ(order(third, 1).status, 303);  // 9: at the ceiling, not past it
  EXPECT_EQ(count("SELECT COUNT(*) FROM orders WHERE state = 'pending_payment'"), 4);
  EXPECT_EQ(count("SELECT COUNT(DISTINCT web_session) FROM orders"), 3);
  // Paying frees the session's units: the greedy phone may order again.
  const auto greedy_session = *scalar("SELECT web_session FROM orders ORDER BY created_at_ms, number LIMIT 1");
  {
    auto& c = sqlite_connection(*db);
    auto q = c.prepare("SELECT id FROM orders WHERE web_session = ?");
    q.bind(1, greedy_session);
    std::vector<std::string> ids;
    while (q.step()) ids.push_back(q.text(0));
    ASSERT_EQ(ids.size(), 2u);
    for (const auto& id : ids) ASSERT_TRUE(orders->transition(id, protocol::order_state::paid, "test"));
  }
  EXPECT_EQ(order(greedy, 1).status, 303);  // its 4th order this minute
  // A fifth within the minute is refused for this session only.
  auto fast = order(greedy, 1);
  EXPECT_EQ(fast.status, 429);
  EXPECT_EQ(header(fast, "X-Order-Code"), "rate_limited");
  EXPECT_EQ(order(other, 1).status, 303);
}

TEST_F(web_app, csv_export_and_import_with_preview_and_per_row_errors) {
  browser a{router};
  register_business(a, "alpha", "a@alpha.example");
  const auto tea = add_product(a, "=HYPERLINK(\"x\")", "2.00", "4");
  a.post("/portal/products/" + tea, {{"name", "=HYPERLINK(\"x\")"}, {"price", "2.00"}, {"category_id", "menu"}, {"sku", "TEA-1"}, {"active", "1"}});
  auto csv = a.get("/portal/products.csv");
  ASSERT_EQ(csv.status, 200);
  EXPECT_EQ(csv.content_type, "text/csv; charset=utf-8");
  EXPECT_NE(csv.body.find("TEA-1,\"'=HYPERLINK(\"\"x\"\")\",2.00,menu,4,1,"), std::string::npos) << csv.body;
  a.get("/portal/import");
  const std::string bad = "sku,name,price,category,stock,active,description\nTEA-1,Tea,2.50,Menu,10,1,\nNEW-1,,1.00,menu,,1,\nNEW-2,Bun,abc,menu,,1,\nNEW-3,Cake,3,nope,,1,\n";
  auto pv = a.post("/portal/import", {{"csv", bad}, {"action", "preview"}});
  EXPECT_EQ(pv.status, 400);
  EXPECT_NE(pv.body.find("name: required"), std::string::npos);
  EXPECT_NE(pv.body.find("price: an amount"), std::string::npos);
  EXPECT_NE(pv.body.find("category: no category"), std::string::npos);
  EXPECT_EQ(a.post("/portal/import", {{"csv", bad}, {"action", "apply"}}).status, 400);
  EXPECT_EQ(count("SELECT COUNT(*) FROM products WHERE business_id = '" + business_of("alpha") + "'"), 1);
  const std::string good = "sku,name,price,category,stock,active,description\r\nTEA-1,Tea,2.50,Menu,10,1,\"Hot, green\"\r\nNEW-1,Bun,1.00,menu,,0,\r\n";
  auto ok = a.post("/portal/import", {{"csv", good}, {"action", "preview"}});
  EXPECT_EQ(ok.status, 200);
  EXPECT_NE(ok.body.find("value=\"apply\""), std::string::npos);
  catalog_changes.clear();
  EXPECT_EQ(a.post("/portal/import", {{"csv", good}, {"action", "apply"}}).status, 303);
  EXPECT_EQ(scalar("SELECT name || '|' || price || '|' || stock || '|' || description FROM products WHERE sku = 'TEA-1'"), "Tea|250|10|Hot, green");
  EXPECT_EQ(scalar("SELECT active FROM products WHERE sku = 'NEW-1'"), "0");
  EXPECT_EQ(scalar("SELECT reason || delta FROM stock_ledger ORDER BY id DESC LIMIT 1"), "CSV import6");
  EXPECT_EQ(catalog_changes.size(), 1u);

  // Availability windows travel in the last column, in the product editor's words.
  const auto before = a.get("/portal/products.csv").body;
  EXPECT_EQ(before.substr(0, before.find("\r\n")), "sku,name,price,category,stock,active,description,availability");
  const std::string header = "sku,name,price,category,stock,active,description,availability\n";
  auto bad_window = a.post("/portal/import", {{"csv", header + "TEA-1,Tea,2.50,Menu,10,1,,someday 07:00-11:00\n"}, {"action", "preview"}});
  EXPECT_EQ(bad_window.status, 400);
  EXPECT_NE(bad_window.body.find("availability"), std::string::npos);
  EXPECT_EQ(a.post("/portal/import", {{"csv", header + "TEA-1,Tea,2.50,Menu,10,1,,\"mon-fri 07:00-11:00; sat 08:00-12:00\"\n"}, {"action", "apply"}}).status, 303);
  const std::string tea_id = scalar("SELECT id FROM products WHERE sku = 'TEA-1'").value_or("");
  EXPECT_EQ(scalar("SELECT GROUP_CONCAT(days || ' ' || from_minute || '-' || until_minute, ';') FROM "
                   "(SELECT * FROM product_availability WHERE product_id = '" + tea_id + "' ORDER BY position)"),
            "31 420-660;32 480-720");
  const auto exported = a.get("/portal/products.csv").body;
  const auto tea_row = exported.substr(exported.find("TEA-1,"), exported.find("\r\n", exported.find("TEA-1,")) - exported.find("TEA-1,"));
  EXPECT_NE(tea_row.find("07:00-11:00"), std::string::npos) << tea_row;
  // The file read back as it was exported changes nothing; a file without the column keeps them.
  EXPECT_EQ(a.post("/portal/import", {{"csv", exported}, {"action", "apply"}}).status, 303);
  EXPECT_EQ(count("SELECT COUNT(*) FROM product_availability WHERE product_id = '" + tea_id + "'"), 2);
  EXPECT_EQ(a.post("/portal/import", {{"csv", "sku,name,price,category,stock,active,description\nTEA-1,Tea,2.50,Menu,10,1,\n"}, {"action", "apply"}}).status, 303);
  EXPECT_EQ(count("SELECT COUNT(*) FROM product_availability WHERE product_id = '" + tea_id + "'"), 2);
  // An empty cell in a file with the column: available whenever the store is open.
  EXPECT_EQ(a.post("/portal/import", {{"csv", header + "TEA-1,Tea,2.50,Menu,10,1,,\n"}, {"action", "apply"}}).status, 303);
  EXPECT_EQ(count("SELECT COUNT(*) FROM product_availability WHERE product_id = '" + tea_id + "'"), 0);
  EXPECT_EQ(a.post("/portal/import", {{"csv", "sku,name,price\nTEA-1,Tea,2.50\n"}, {"action", "preview"}}).status, 400) << "an unknown header";

  browser staffless{router};
  EXPECT_EQ(staffless.get("/portal/products.csv").status, 303);  // signed out: to the sign-in page
}

TEST_F(web_app, the_shop_first_load_is_compressed_and_under_60_kb) {
  browser a{router};
  register_business(a, "alpha", "a@alpha.example");
  for (int i = 0; i < 20; ++i) add_product(a, "Product number " + std::to_string(i), "1.00");
  browser phone{router};
  phone.accept_encoding = "gzip, deflate, br";
  std::size_t total = 0;
  auto shop = phone.get("/s/alpha");
  ASSERT_EQ(shop.status, 200);
  EXPECT_EQ(header(shop, "Content-Encoding"), "br");
  EXPECT_NE(unbrotli(shop.body).find("Product number 19"), std::string::npos);
  total += shop.body.size();
  for (const char* asset : {"/static/bootstrap/css/bootstrap.min.css", "/static/app.css", "/static/shop.js"}) {
    auto r = phone.get(asset);
    ASSERT_EQ(r.status, 200) << asset;
    EXPECT_EQ(header(r, "Content-Encoding"), "br") << asset;
    total += r.body.size();
  }
  EXPECT_LE(total, 60u * 1024) << total;
  std::printf("shop first load, brotli: %zu bytes\n", total);
  // gzip for clients without brotli, identity for those with neither.
  phone.accept_encoding = "gzip";
  auto gz = phone.get("/static/app.css");
  EXPECT_EQ(header(gz, "Content-Encoding"), "gzip");
  EXPECT_NE(gunzip(gz.body).find(".qr-grid"), std::string::npos);
  phone.accept_encoding = "";
  EXPECT_NE(phone.get("/static/app.css").body.find(".qr-grid"), std::string::npos);
}


TEST_F(web_app, product_options_are_edited_validated_and_priced_by_the_hub) {
  browser a{router};
  register_business(a, "alpha", "a@alpha.example");
  const auto latte = add_product(a, "Latte", "3.00");
  const auto bid = business_of("alpha");
  auto editor = a.get("/portal/products/" + latte);
  ASSERT_EQ(editor.status, 200);
  EXPECT_NE(editor.body.find("id=\"options-form\""), std::string::npos);
  const std::map<std::string, std::string> good = {
      {"g0_name", "Size"}, {"g0_min", "1"}, {"g0_max", "1"},
      {"g0_o0_name", "Small"}, {"g0_o0_avail", "1"}, {"g0_o0_default", "1"},
      {"g0_o1_name", "Large"}, {"g0_o1_delta", "0.80"}, {"g0_o1_avail", "1"},
      {"g1_name", "Extras"}, {"g1_min", "0"}, {"g1_max", "2"},
      {"g1_o0_name", "Oat milk"}, {"g1_o0_delta", "0.40"}, {"g1_o0_avail", "1"},
      {"g1_o1_name", "<script>alert(1)</script>"}, {"g1_o1_delta", "0.30"}};  // not available
  const auto before = catalog_changes.size();
  auto r = a.post("/portal/products/" + latte + "/options", good);
  ASSERT_EQ(r.status, 303) << r.body;
  EXPECT_EQ(header(r, "Location"), "/portal/products/" + latte + "?saved=options");
  EXPECT_EQ(catalog_changes.size(), before + 1);  // kiosks get the new catalog
  auto groups = db->shop().option_groups(bid, latte);
  ASSERT_EQ(groups.size(), 2u);
  EXPECT_EQ(groups[0].id, "size");
  EXPECT_EQ(groups[0].min_choices, 1);
  ASSERT_EQ(groups[0].options.size(), 2u);
  EXPECT_EQ(groups[0].options[1].id, "large");
  EXPECT_EQ(groups[0].options[1].price_delta.amount, 80);
  EXPECT_TRUE(groups[0].options[0].preselected);
  EXPECT_EQ(groups[1].options[0].id, "oat-milk");
  EXPECT_FALSE(groups[1].options[1].available);

  // Renaming keeps the ids the page carries (orders and kiosk carts refer to them).
  editor = a.get("/portal/products/" + latte);
  EXPECT_NE(editor.body.find("value=\"large\""), std::string::npos);
  EXPECT_EQ(editor.body.find("<script>alert(1)"), std::string::npos);  // escaped in the editor
  auto renamed = good;
  renamed["g0_id"] = "size";
  renamed["g0_o1_id"] = "large";
  renamed["g0_o1_name"] = "Big";
  ASSERT_EQ(a.post("/portal/products/" + latte + "/options", renamed).status, 303);
  groups = db->shop().option_groups(bid, latte);
  EXPECT_EQ(groups[0].options[1].id, "large");
  EXPECT_EQ(groups[0].options[1].name, "Big");

  // Hostile and inconsistent forms: 400 naming the field, nothing changed.
  const auto kept = groups;
  std::vector<std::pair<std::string, std::string>> bad = {
      {"g0_min", "2"}, {"g0_max", "3"}, {"g0_o1_delta", "abc"}, {"g0_o1_delta", "-1"}, {"g0_name", ""},
      {"g0_o0_name", std::string(200, 'x')}, {"g1_o0_name", "bad\x01name"}};
  for (const auto& [k, v] : bad) {
    auto f = renamed;
    f[k] = v;
    auto b = a.post("/portal/products/" + latte + "/options", f);
    EXPECT_EQ(b.status, 400) << k << "=" << v;
    EXPECT_EQ(db->shop().option_groups(bid, latte), kept) << k;
  }
  {
    auto f = renamed;  // two defaults in a choose-one group
    f["g0_o1_default"] = "1";
    EXPECT_EQ(a.post("/portal/products/" + latte + "/options", f).status, 400);
    std::map<std::string, std::string> many;  // more groups than a product may have
    for (int i = 0; i <= 16; ++i) {
      many["g" + std::to_string(i) + "_name"] = "G" + std::to_string(i);
      many["g" + std::to_string(i) + "_o0_name"] = "o";
      many["g" + std::to_string(i) + "_o0_avail"] = "1";
    }
    EXPECT_EQ(a.post("/portal/products/" + latte + "/options", many).status, 400);
    EXPECT_EQ(a.post("/portal/products/" + latte + "/options", renamed, false).status, 403);  // no CSRF
    EXPECT_EQ(db->shop().option_groups(bid, latte), kept);
  }
  // Staff may not change options; another business gets 404 for this product.
  ASSERT_EQ(a.post("/portal/staff", {{"email", "s@alpha.example"}, {"password", "staff password 1"}, {"role", "staff"}}).status, 303);
  browser staff{router};
  staff.get("/login");
  ASSERT_EQ(staff.post("/login", {{"email", "s@alpha.example"}, {"password", "staff password 1"}}).status, 303);
  staff.get("/portal/products/" + latte);
  EXPECT_EQ(staff.post("/portal/products/" + latte + "/options", {{"g0_name", ""}}).status, 403);
  browser other{router};
  register_business(other, "beta", "b@beta.example");
  EXPECT_EQ(other.post("/portal/products/" + latte + "/options", {{"g0_name", ""}}).status, 404);
  EXPECT_EQ(db->shop().option_groups(bid, latte), kept);

  // The phone shop: browse says "Choose", the product page offers the options, the hub prices.
  browser phone{router};
  auto browse = phone.get("/s/alpha");
  EXPECT_NE(browse.body.find("/s/alpha/p/" + latte + "\">Choose"), std::string::npos);
  auto pp = phone.get("/s/alpha/p/" + latte);
  EXPECT_NE(pp.body.find("id=\"opt-size-large\""), std::string::npos);
  EXPECT_NE(pp.body.find("+\u20ac0.80"), std::string::npos);
  EXPECT_NE(pp.body.find("type=\"radio\""), std::string::npos);
  EXPECT_EQ(pp.body.find("<script>alert(1)"), std::string::npos);
  phone.get("/s/alpha/cart");
  const auto oid = protocol::new_uuid();
  r = phone.post("/s/alpha/checkout", {{"order_id", oid}, {"cart", latte + ":2:size/large;extras/oat-milk"}, {"type", "takeaway"}, {"name", "Ann"}});
  ASSERT_EQ(r.status, 303) << r.body;
  EXPECT_EQ(scalar("SELECT total FROM orders WHERE id = '" + oid + "'"), "840");  // (3.00 + 0.80 + 0.40) × 2
  const auto d = db->shop().order_details_of(oid);
  ASSERT_EQ(d.line_options.count(1), 1u);
  EXPECT_EQ(d.line_options.at(1).size(), 2u);
  auto conf = phone.get("/s/alpha/o/" + oid);
  EXPECT_NE(conf.body.find("Big, Oat milk"), std::string::npos);
  {
    // The cart page offers the cart as a QR code a kiosk scans: protocol's cart code, version 2
    // with options, version 1 without.
    auto cart_page = phone.get("/s/alpha/cart").body;
    EXPECT_NE(cart_page.find("id=\"cart-qr\""), std::string::npos);
    auto qr = phone.get("/s/alpha/cart-qr.svg?cart=" + w::escape_url_component(latte + ":2:size/large;extras/oat-milk," + latte + ":1:size/small"));
    ASSERT_EQ(qr.status, 200) << qr.body;
    EXPECT_EQ(qr.content_type, "image/svg+xml");
    const std::string want = "khc:2:" + latte + "*2/size=large/extras=oat-milk," + latte + "*1/size=small";
    EXPECT_EQ(qr.body, w::qr_svg(w::make_qr(want)));
    EXPECT_EQ(zbar_decode(w::qr_png(w::make_qr(want), 6)), want);
    EXPECT_EQ(phone.get("/s/alpha/cart-qr.svg?cart=" + latte + ":3").body, w::qr_svg(w::make_qr("khc:1:" + latte + "*3")));
    EXPECT_EQ(phone.get("/s/alpha/cart-qr.svg?cart=" + w::escape_url_component("x:<b>")).status, 400);
    EXPECT_EQ(phone.get("/s/alpha/cart-qr.svg?cart=").status, 400);
  }
  // What the hub refuses comes back with its code; malformed option lists are 400.
  phone.get("/s/alpha/cart");
  auto un = phone.post("/s/alpha/checkout", {{"order_id", protocol::new_uuid()}, {"cart", latte + ":1:size/small;extras/" + groups[1].options[1].id}, {"type", "takeaway"}, {"name", "Ann"}});
  EXPECT_EQ(un.status, 409);
  EXPECT_EQ(header(un, "X-Order-Code"), "option_unavailable");
  auto unk = phone.post("/s/alpha/checkout", {{"order_id", protocol::new_uuid()}, {"cart", latte + ":1:size/huge"}, {"type", "takeaway"}, {"name", "Ann"}});
  EXPECT_EQ(unk.status, 409);
  EXPECT_EQ(header(unk, "X-Order-Code"), "unknown_option");
  for (const char* c : {":1:size", ":1:size/", ":1:Size/Large", ":1:size/large;", ":1:a/b:c"})
    EXPECT_EQ(phone.post("/s/alpha/checkout", {{"order_id", protocol::new_uuid()}, {"cart", latte + c}, {"type", "takeaway"}, {"name", "Ann"}}).status, 400) << c;
  EXPECT_EQ(count("SELECT COUNT(*) FROM orders"), 1);
}

TEST_F(web_app, phone_checkout_sends_the_pickup_slot_and_delivery_address_to_the_hub_checks) {
  browser a{router};
  register_business(a, "alpha", "a@alpha.example");
  const auto tea = add_product(a, "Tea", "2.00");
  const auto bid = business_of("alpha");
  {
    auto prof = *db->shop().profile(bid);
    prof.time_zone = "Europe/Paris";
    prof.always_open = true;
    protocol::order_type_offer eat{protocol::order_type::eat_in};
    eat.table_numbers = true;
    protocol::order_type_offer pick{protocol::order_type::pickup};
    pick.slot_minutes = 15;
    pick.lead_minutes = 10;
    protocol::order_type_offer del{protocol::order_type::delivery};
    del.area = "Old town";
    prof.order_types = {eat, pick, del};
    prof.payment_methods = {protocol::payment_method::cash, protocol::payment_method::card_present};
    auto tx = db->begin();
    ASSERT_TRUE(db->shop().set_profile(bid, prof));
    tx->commit();
  }
  browser phone{router};
  const auto before = std::chrono::system_clock::now();
  auto cart = phone.get("/s/alpha/cart");
  ASSERT_EQ(cart.status, 200);
  EXPECT_NE(cart.body.find("<option value=\"pickup\">pickup</option>"), std::string::npos);
  EXPECT_NE(cart.body.find("Delivery address (Old town)"), std::string::npos);
  const auto sel = cart.body.find("id=\"pickup_at\"");
  ASSERT_NE(sel, std::string::npos);
  const auto v = cart.body.find("<option value=\"", sel) + 15;
  const std::string slot = cart.body.substr(v, cart.body.find('"', v) - v);
  const auto slot_t = protocol::parse_rfc3339(slot);
  ASSERT_TRUE(slot_t) << slot;
  // The first slot: at least the lead time ahead, on the store clock's quarter hours, within one slot.
  EXPECT_GE(*slot_t, before + std::chrono::minutes(10) - std::chrono::seconds(1));
  EXPECT_LE(*slot_t, before + std::chrono::minutes(10 + 15 + 1));
  EXPECT_EQ(slot.substr(14, 2) == "00" || slot.substr(14, 2) == "15" || slot.substr(14, 2) == "30" || slot.substr(14, 2) == "45", true) << slot;
  auto place = [&](std::map<std::string, std::string> f) {
    f.emplace("order_id", protocol::new_uuid());
    f.emplace("cart", tea + ":1");
    f.emplace("name", "Ann");
    return phone.post("/s/alpha/checkout", f);
  };
  auto r = place({{"type", "pickup"}, {"pickup_at", slot}});
  ASSERT_EQ(r.status, 303) << r.body;
  const auto oid = header(r, "Location").substr(std::string("/s/alpha/o/").size());
  EXPECT_EQ(db->shop().order_details_of(oid).pickup_at_ms, to_ms(*slot_t));
  auto past = place({{"type", "pickup"}, {"pickup_at", "2020-01-01T10:00:00Z"}});
  EXPECT_EQ(past.status, 409);
  EXPECT_EQ(header(past, "X-Order-Code"), "invalid_slot");
  EXPECT_EQ(place({{"type", "pickup"}, {"pickup_at", "tomorrow"}}).status, 400);
  auto no_addr = place({{"type", "delivery"}});
  EXPECT_EQ(no_addr.status, 409);
  EXPECT_EQ(header(no_addr, "X-Order-Code"), "missing_detail");
  EXPECT_EQ(place({{"type", "delivery"}, {"delivery_address", std::string(301, 'x')}}).status, 400);
  auto d = place({{"type", "delivery"}, {"delivery_address", "3 Rue <b>Haute</b>"}});
  ASSERT_EQ(d.status, 303) << d.body;
  EXPECT_EQ(db->shop().order_details_of(header(d, "Location").substr(std::string("/s/alpha/o/").size())).delivery_address, "3 Rue <b>Haute</b>");
  EXPECT_EQ(count("SELECT COUNT(*) FROM orders"), 2);
}

// Availability windows (issue 11): the product editor sets them (400 naming the field, nothing
// written), the catalog republishes, and the phone shop marks a product outside its window. The
// business is in UTC; the windows are made relative to the real clock the shop reads.
TEST_F(web_app, availability_windows_are_edited_validated_and_shown_by_the_shop) {
  browser a{router};
  register_business(a, "alpha", "a@alpha.example");
  const auto bun = add_product(a, "Breakfast bun", "2.00");
  const auto bid = business_of("alpha");
  auto editor = a.get("/portal/products/" + bun);
  ASSERT_EQ(editor.status, 200);
  EXPECT_NE(editor.body.find("action=\"/portal/products/" + bun + "/availability\""), std::string::npos);
  const auto before = catalog_changes.size();
  auto r = a.post("/portal/products/" + bun + "/availability", {{"availability", "mon-fri 07:00-11:00\r\nsun 08:00-24:00"}});
  ASSERT_EQ(r.status, 303) << r.body;
  EXPECT_EQ(header(r, "Location"), "/portal/products/" + bun + "?saved=availability");
  EXPECT_EQ(catalog_changes.size(), before + 1);
  const std::vector<protocol::availability_window> want = {{0x1Fu, 420, 660}, {1u << 6, 480, 1440}};
  EXPECT_EQ(db->shop().availability(bid, bun), want);
  EXPECT_NE(a.get("/portal/products/" + bun).body.find("mon,tue,wed,thu,fri 07:00-11:00\nsun 08:00-24:00"), std::string::npos);

  for (const char* bad : {"mon 11:00-07:00", "someday 07:00-11:00", "07:00-11:00", "mon 07:00-25:00", "mon 7-11",
                          "mon 10:00-10:00"}) {
    auto b = a.post("/portal/products/" + bun + "/availability", {{"availability", bad}});
    EXPECT_EQ(b.status, 400) << bad;
    EXPECT_NE(b.body.find("data-field=\"availability\""), std::string::npos) << bad;
    EXPECT_EQ(db->shop().availability(bid, bun), want) << bad;
  }
  EXPECT_EQ(a.post("/portal/products/" + bun + "/availability", {{"availability", ""}}, false).status, 403);  // no CSRF
  browser other{router};
  register_business(other, "beta", "b@beta.example");
  EXPECT_EQ(other.post("/portal/products/" + bun + "/availability", {{"availability", ""}}).status, 404);
  EXPECT_EQ(db->shop().availability(bid, bun), want);
  EXPECT_EQ(std::count(catalog_changes.begin() + static_cast<std::ptrdiff_t>(before), catalog_changes.end(), bid), 1)
      << "only the good form republished alpha's catalog";

  // The shop: a window that starts later today (UTC) shows "from HH:MM" and no Add button; late
  // in the day (no later start possible) the window is on another day only: "not available now".
  const auto now = std::chrono::floor<std::chrono::minutes>(std::chrono::system_clock::now());
  const auto day = std::chrono::floor<std::chrono::days>(now);
  const int minute = static_cast<int>((now - day).count());
  const int weekday = static_cast<int>(std::chrono::weekday{day}.iso_encoding()) - 1;
  std::string mark;
  if (minute < 1380) {
    const int from = minute + 30;
    db->shop().set_availability(bid, bun, {{1u << weekday, from, 1440}});
    mark = "from " + protocol::format_hhmm(from);
  } else {
    db->shop().set_availability(bid, bun, {{0x7Fu & ~(1u << weekday), 0, 1440}});
    mark = "not available now";
  }
  browser phone{router};
  auto browse = phone.get("/s/alpha");
  ASSERT_EQ(browse.status, 200);
  EXPECT_NE(browse.body.find("<span class=\"badge bg-secondary not-now\">" + mark + "</span>"), std::string::npos) << mark;
  EXPECT_EQ(browse.body.find("data-id=\"" + bun + "\">Add"), std::string::npos);
  auto pp = phone.get("/s/alpha/p/" + bun);
  EXPECT_NE(pp.body.find(mark == "not available now" ? std::string("Not available now") : "Available " + mark), std::string::npos);
  EXPECT_EQ(pp.body.find("Add to cart"), std::string::npos);
  // Placing it anyway: the hub refuses with the new code, nothing is stored.
  phone.get("/s/alpha/cart");
  const auto oid = protocol::new_uuid();
  r = phone.post("/s/alpha/checkout", {{"order_id", oid}, {"cart", bun + ":1"}, {"type", "takeaway"}, {"name", "Ann"}});
  EXPECT_EQ(r.status, 409) << r.body;
  EXPECT_EQ(header(r, "X-Order-Code"), "not_available_now");
  EXPECT_EQ(count("SELECT COUNT(*) FROM orders"), 0);
  // Without windows the product is back on sale.
  db->shop().set_availability(bid, bun, {});
  browse = phone.get("/s/alpha");
  EXPECT_NE(browse.body.find("data-id=\"" + bun + "\">Add"), std::string::npos);
  EXPECT_EQ(browse.body.find("not-now"), std::string::npos);
}

}  // namespace
}  // namespace kh::hub::test
