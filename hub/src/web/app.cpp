// The web app's core: routes, page shell, accounts (register, sign-in, sessions, CSRF, rate
// limits), static assets and uploaded images.
#include <sodium.h>

#include <algorithm>
#include <cctype>
#include <filesystem>
#include <fstream>
#include <sstream>

#include <spdlog/spdlog.h>

#include "kh/hub/catalog/store_profile.hpp"
#include "kh/hub/orders/order_rules.hpp"
#include "kh/protocol/ids.hpp"
#include "kh/protocol/time.hpp"
#include "kh/hub/http/images.hpp"
#include "storage/sqlite_shop.hpp"
#include "web/app_impl.hpp"
#include "web/dashboard.hpp"

namespace kh::hub::web {

namespace fs = std::filesystem;
using sqlite::connection;

std::string_view asset_app_css();
std::string_view asset_app_js();
std::string_view asset_shop_js();
std::string_view asset_orders_live_js();
std::string_view asset_orders_live_css();

namespace {
std::int64_t now_ms() { return to_ms(std::chrono::system_clock::now()); }

constexpr std::string_view k_shell = R"(<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width,initial-scale=1">
<title>{{title}}</title>
<link rel="stylesheet" href="/static/bootstrap/css/bootstrap.min.css"><link rel="stylesheet" href="/static/app.css">
</head><body>{{nav|html}}<main class="container py-3">{{body|html}}</main>{{scripts|html}}</body></html>
)";

// Collapsed behind a "Menu" button below 1200 px (Bootstrap's collapse, from its bundle: no
// inline script); the settings an owner rarely opens sit in one "Settings" drop-down so the bar
// fits on one line at 1200 px and up.
constexpr std::string_view k_nav = R"(<nav class="navbar navbar-expand-xl navbar-dark bg-dark px-3 portal-nav">
<a class="navbar-brand text-truncate" href="/portal">{{business}}</a>
<button class="navbar-toggler" type="button" data-bs-toggle="collapse" data-bs-target="#portal-menu" aria-controls="portal-menu" aria-expanded="false" aria-label="Menu"><span class="navbar-toggler-icon"></span></button>
<div class="collapse navbar-collapse" id="portal-menu">
<div class="navbar-nav me-auto">
<a class="nav-link" href="/portal/live">Live orders</a>
<a class="nav-link" href="/portal/counter">Counter</a>
<a class="nav-link" href="/portal/orders">Orders</a>
<a class="nav-link" href="/portal/products">Products</a>
<a class="nav-link" href="/portal/devices">Devices</a>
<a class="nav-link" href="/portal/feedback">Feedback</a>
<a class="nav-link" href="/portal/support">Support</a>
{{owner_links|html}}<a class="nav-link" href="/portal/qr">QR codes</a>
<a class="nav-link" href="/s/{{slug|url}}">Shop</a>
</div>
<form method="post" action="/logout" class="d-flex align-items-center gap-2 py-2 py-xl-0">{{csrf|html}}<span class="navbar-text small text-truncate portal-email">{{email}}</span><button class="btn btn-sm btn-outline-light text-nowrap">Log out</button></form>
</div>
</nav>)";

// Settings a staff account may look at but not change: only owners get them in the menu.
constexpr std::string_view k_owner_links = R"(<a class="nav-link" href="/portal/reports">Reports</a>
<div class="nav-item dropdown"><a class="nav-link dropdown-toggle" href="#" role="button" data-bs-toggle="dropdown" aria-expanded="false">Settings</a>
<div class="dropdown-menu dropdown-menu-dark">
<a class="dropdown-item" href="/portal/categories">Categories</a>
<a class="dropdown-item" href="/portal/discounts">Discounts</a>
<a class="dropdown-item" href="/portal/store">Store</a>
<a class="dropdown-item" href="/portal/staff">Staff</a>
</div></div>
)";

bool valid_slug(const std::string& s) {
  if (s.size() < 2 || s.size() > 40) return false;
  if (s.front() == '-' || s.back() == '-') return false;
  return std::all_of(s.begin(), s.end(), [](char c) { return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-'; });
}

bool valid_email(const std::string& e) {
  const auto at = e.find('@');
  return e.size() <= 200 && at != std::string::npos && at > 0 && e.find('.', at) != std::string::npos &&
         e.find_first_of(" \t\r\n<>\"'") == std::string::npos;
}

std::string lower(std::string s) {
  std::transform(s.begin(), s.end(), s.begin(), [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  return s;
}

std::string content_type_for(const std::string& path) {
  if (path.ends_with(".css")) return "text/css; charset=utf-8";
  if (path.ends_with(".js")) return "application/javascript; charset=utf-8";
  if (path.ends_with(".map")) return "application/json";
  return {};
}

}  // namespace

// ---- read pool ---------------------------------------------------------------------------

read_pool::lease read_pool::get() {
  {
    std::lock_guard lock(mu_);
    if (!free_.empty()) {
      auto c = std::move(free_.back());
      free_.pop_back();
      return lease(*this, std::move(c));
    }
  }
  sqlite::open_options o;
  o.read_only = true;
  auto c = std::make_unique<connection>(path_, o);
  // Reports scan a year of orders: memory-mapped reads share the OS page cache instead of
  // copying every page through read(2) into each connection's own small cache.
  c->exec("PRAGMA mmap_size = 268435456");
  return lease(*this, std::move(c));
}

void read_pool::put(std::unique_ptr<connection> c) {
  if (!c) return;
  std::lock_guard lock(mu_);
  if (free_.size() < 16) free_.push_back(std::move(c));
}

safe_html csrf_input(const session& s) {
  return render(R"(<input type="hidden" name="csrf" value="{{t|attr}}">)", {{"t", s.csrf}});
}

// ---- core --------------------------------------------------------------------------------

app::impl::impl(web_options o, store& w, order_service& ord, web_hooks h)
    : opts(std::move(o)), writer(w), orders(ord), hooks(std::move(h)), reads(opts.db_path) {
  if (sodium_init() < 0) throw std::runtime_error("libsodium failed to initialise");
  if (!hooks.on_writer) hooks.on_writer = [](const std::function<void()>& f) { f(); };
  sse = std::make_shared<sse_hub>(opts.live_coalesce, hooks.on_http_after);
}

void app::impl::on_writer(const std::function<void()>& f) {
  std::exception_ptr err;
  hooks.on_writer([&] {
    try {
      f();
    } catch (...) {
      err = std::current_exception();
    }
  });
  if (err) std::rethrow_exception(err);
}

void app::impl::write(const std::function<void(connection&)>& f) {
  on_writer([&] {
    auto tx = writer.begin();
    f(sqlite_connection(writer));
    tx->commit();
  });
}

std::string app::impl::base_url(const http_request& req) const {
  if (!opts.public_url.empty()) return opts.public_url;
  const auto it = req.headers.find("host");
  const std::string host = it == req.headers.end() ? "127.0.0.1" : it->second;
  return "http://" + host;
}

http_response app::impl::finish(const http_request& req, http_response r) {
  compress_response(req, r);
  return r;
}

http_response app::impl::page(const http_request& req, int status, const std::string& title, const safe_html& body,
                              const session* s, const std::string& scripts) {
  safe_html nav{};
  if (s) {
    nav = render(k_nav, {{"business", s->business_name},
                         {"slug", s->slug},
                         {"csrf", csrf_input(*s)},
                         {"email", s->email},
                         {"owner_links", s->owner() ? render(k_owner_links, {}) : safe_html{}}});
  }
  safe_html sc{};
  // The menu's collapse and drop-down.
  if (s) sc = safe_html{R"(<script src="/static/bootstrap/js/bootstrap.bundle.min.js" defer></script>)"};
  if (!scripts.empty()) sc = render(R"({{b|html}}<script src="{{src|attr}}" defer></script>)", {{"b", sc}, {"src", scripts}});
  auto html = render(k_shell, {{"title", title}, {"nav", nav}, {"body", body}, {"scripts", sc}});
  return finish(req, html_page(status, std::move(html.html)));
}

http_response app::impl::error_page(const http_request& req, int status, const std::string& message, const session* s) {
  return page(req, status, "Error", render(R"(<div class="alert alert-danger" role="alert">{{m}}</div>
<p><a href="/">Back</a></p>)", {{"m", message}}), s);
}

http_response app::impl::bad_field(const http_request& req, const field_error& e, const session* s) {
  return page(req, 400, "Please check the form", render(R"(<div class="alert alert-danger" role="alert" data-field="{{f|attr}}">
<strong>{{f}}</strong>: {{m}}</div><p>Nothing was saved. Go back to the form and correct it.</p>)",
                                                         {{"f", e.field}, {"m", e.message}}), s);
}

http_response app::impl::not_found(const http_request& req, const session* s) {
  return page(req, 404, "Not found", render("<h1>Not found</h1><p>There is nothing here.</p>", {}), s);
}

std::optional<std::map<std::string, std::string>> app::impl::form(const http_request& req) {
  const auto it = req.headers.find("content-type");
  if (it == req.headers.end() || !it->second.starts_with("application/x-www-form-urlencoded")) return std::nullopt;
  if (req.body.size() > opts.max_form_bytes) return std::nullopt;
  return parse_urlencoded(req.body);
}

// ---- accounts ----------------------------------------------------------------------------

std::optional<session> app::impl::current(const http_request& req) {
  const std::string token = cookie(req, "kh_session");
  if (token.size() != 64) return std::nullopt;
  auto db = reads.get();
  auto q = db->prepare(
      "SELECT o.id, o.business_id, o.email, o.role, s.csrf, b.name, b.slug, b.languages FROM web_sessions s "
      "JOIN owners o ON o.id = s.owner_id JOIN businesses b ON b.id = o.business_id "
      "WHERE s.token_hash = ? AND s.expires_at_ms > ?");
  q.bind(1, sha256_hex(token)).bind(2, now_ms());
  if (!q.step()) return std::nullopt;
  session out{q.text(0), q.text(1), q.text(2), q.text(3), q.text(4), q.text(5), q.text(6)};
  if (const std::string langs = q.text(7); langs.size() >= 2) out.lang = langs.substr(0, 2);
  return out;
}

bool app::impl::csrf_ok(const http_request& req, const std::map<std::string, std::string>& f, const session* s) {
  const auto it = f.find("csrf");
  if (it == f.end()) return false;
  if (s) return equal_ct(it->second, s->csrf);
  // Signed out (register, sign-in): double-submit token, a cookie that a cross-site form
  // cannot read or set must match the field.
  return equal_ct(it->second, cookie(req, "kh_pre"));
}

std::string app::impl::pre_csrf(const http_request& req, http_response& r) {
  std::string t = cookie(req, "kh_pre");
  if (t.size() != 32 || t.find_first_not_of("0123456789abcdef") != std::string::npos) {
    t = random_hex(16);
    r.headers.emplace_back("Set-Cookie", "kh_pre=" + t + "; Path=/; HttpOnly; SameSite=Lax" +
                                             std::string(opts.secure_cookies ? "; Secure" : ""));
  }
  return t;
}

std::optional<http_response> app::impl::require(const http_request& req, std::optional<session>& s, bool owner_only) {
  s = current(req);
  if (!s) {
    if (req.method == "GET" || req.method == "HEAD") return redirect("/login?next=" + escape_url_component(req.target));
    return error_page(req, 403, "Your session has ended. Sign in again.", nullptr);
  }
  if (owner_only && !s->owner()) return error_page(req, 403, "Only the owner can do this.", &*s);
  return std::nullopt;
}

std::string app::impl::start_session(const std::string& owner_id, http_response& r) {
  const std::string token = random_hex(32);
  const std::string csrf = random_hex(16);
  const auto now = now_ms();
  const auto until = now + std::chrono::duration_cast<std::chrono::milliseconds>(opts.session_lifetime).count();
  write([&](connection& c) {
    c.prepare("DELETE FROM web_sessions WHERE expires_at_ms <= ?").bind(1, now).run();
    c.prepare("INSERT INTO web_sessions(token_hash, owner_id, csrf, created_at_ms, expires_at_ms) VALUES (?,?,?,?,?)")
        .bind(1, sha256_hex(token))
        .bind(2, owner_id)
        .bind(3, csrf)
        .bind(4, now)
        .bind(5, until)
        .run();
  });
  const auto max_age = std::chrono::duration_cast<std::chrono::seconds>(opts.session_lifetime).count();
  r.headers.emplace_back("Set-Cookie", "kh_session=" + token + "; Path=/; HttpOnly; SameSite=Lax; Max-Age=" +
                                           std::to_string(max_age) + (opts.secure_cookies ? "; Secure" : ""));
  return token;
}

std::optional<std::string> app::impl::login_blocked(const std::string& email, const std::string& addr) {
  const auto now = now_ms();
  const auto window = std::chrono::duration_cast<std::chrono::milliseconds>(opts.login_window).count();
  std::lock_guard lock(limits_mu);
  auto check = [&](const std::string& key, int limit) -> std::optional<std::int64_t> {
    auto& v = failures[key];
    v.erase(std::remove_if(v.begin(), v.end(), [&](std::int64_t t) { return t <= now - window; }), v.end());
    if (static_cast<int>(v.size()) < limit) return std::nullopt;
    return (v.front() + window - now + 59'999) / 60'000;  // minutes until the oldest expires
  };
  if (auto m = check("a:" + email, opts.login_failures_per_account))
    return "Too many failed sign-ins for this account. Try again in " + std::to_string(*m) + " minute(s).";
  if (auto m = check("i:" + addr, opts.login_failures_per_account * 4))
    return "Too many failed sign-ins from your network. Try again in " + std::to_string(*m) + " minute(s).";
  return std::nullopt;
}

void app::impl::login_failed(const std::string& email, const std::string& addr) {
  std::lock_guard lock(limits_mu);
  failures["a:" + email].push_back(now_ms());
  failures["i:" + addr].push_back(now_ms());
  if (failures.size() > 100'000) failures.clear();  // bounded memory under a spray of addresses
}

namespace {
std::string address_only(const std::string& remote) {
  const auto colon = remote.rfind(':');
  return colon == std::string::npos ? remote : remote.substr(0, colon);
}
}  // namespace

http_response app::impl::get_home(const http_request& req) {
  if (auto s = current(req)) return redirect("/portal");
  return page(req, 200, "Kioskhub", render(R"(<h1>Kioskhub</h1><p>Ordering at the counter, on kiosks and on phones.</p>
<p><a class="btn btn-primary" href="/register">Register your business</a> <a class="btn btn-outline-primary" href="/login">Sign in</a></p>)", {}),
              nullptr);
}

http_response app::impl::get_register(const http_request& req, const std::string& error) {
  http_response tmp;
  const std::string t = pre_csrf(req, tmp);
  auto body = render(R"(<h1>Register your business</h1>{{err|html}}
<form method="post" action="/register" class="row g-3 w-max-40">
<input type="hidden" name="csrf" value="{{t|attr}}">
<div class="col-12"><label class="form-label" for="business_name">Business name</label><input class="form-control" id="business_name" name="business_name" required maxlength="100"></div>
<div class="col-12"><label class="form-label" for="slug">Shop address (letters, digits, -)</label><input class="form-control" id="slug" name="slug" required pattern="[a-z0-9\-]{2,40}"></div>
<div class="col-6"><label class="form-label" for="currency">Currency</label><input class="form-control" id="currency" name="currency" value="EUR" maxlength="3"></div>
<div class="col-6"><label class="form-label" for="tax_rate">Tax rate %</label><input class="form-control" id="tax_rate" name="tax_rate" value="10"></div>
<div class="col-12 form-check ms-2"><input class="form-check-input" type="checkbox" id="tax_inclusive" name="tax_inclusive" value="1" checked><label class="form-check-label" for="tax_inclusive">Prices include tax</label></div>
<div class="col-6"><label class="form-label" for="time_zone">Time zone</label><select class="form-select" id="time_zone" name="time_zone">{{zones|html}}</select></div>
<div class="col-6"><label class="form-label" for="prep_minutes">Base preparation (minutes)</label><input class="form-control" id="prep_minutes" name="prep_minutes" value="5"></div>
<div class="col-6"><label class="form-label" for="opens">Opens (every day)</label><input class="form-control" id="opens" name="opens" value="08:00"></div>
<div class="col-6"><label class="form-label" for="closes">Closes</label><input class="form-control" id="closes" name="closes" value="18:00"></div>
<div class="col-12 form-check ms-2"><input class="form-check-input" type="checkbox" id="always_open" name="always_open" value="1"><label class="form-check-label" for="always_open">Always open (ignore hours)</label></div>
<fieldset class="col-12"><legend class="fs-6">Order types</legend>
<label class="me-3"><input type="checkbox" name="type_takeaway" value="1" checked> Takeaway</label>
<label class="me-3"><input type="checkbox" name="type_eat_in" value="1" checked> Eat in</label>
<label class="me-3"><input type="checkbox" name="type_pickup" value="1"> Pickup</label>
<label class="me-3"><input type="checkbox" name="type_delivery" value="1"> Delivery</label></fieldset>
<div class="col-12"><label class="form-label" for="email">Your email</label><input class="form-control" type="email" id="email" name="email" required></div>
<div class="col-12"><label class="form-label" for="password">Password (at least 10 characters)</label><input class="form-control" type="password" id="password" name="password" required minlength="10"></div>
<div class="col-12"><button class="btn btn-primary" type="submit">Register</button></div></form>)",
                     {{"t", t}, {"zones", time_zone_options("UTC")}, {"err", error.empty() ? safe_html{} : render(R"(<div class="alert alert-danger">{{e}}</div>)", {{"e", error}})}});
  auto r = page(req, error.empty() ? 200 : 400, "Register", body, nullptr);
  for (auto& h : tmp.headers) r.headers.push_back(h);
  return r;
}

namespace {
std::optional<int> parse_hhmm(const std::string& s) {
  if (s.size() != 5 || s[2] != ':') return std::nullopt;
  auto h = parse_int(s.substr(0, 2), 0, 24);
  auto m = parse_int(s.substr(3, 2), 0, 59);
  if (!h || !m || (*h == 24 && *m != 0)) return std::nullopt;
  return static_cast<int>(*h * 60 + *m);
}
std::optional<int> parse_offset(const std::string& s) {
  if (s.size() != 6 || (s[0] != '+' && s[0] != '-')) return std::nullopt;
  auto v = parse_hhmm(s.substr(1));
  if (!v || *v > 18 * 60) return std::nullopt;
  return s[0] == '-' ? -*v : *v;
}
}  // namespace

/// Percent with up to 2 decimals → basis points.
std::optional<std::int64_t> parse_percent_bp(const std::string& s) {
  auto v = parse_money(s);  // same shape: digits with ≤ 2 decimals, ×100
  if (!v || *v > 10000 * 10) return std::nullopt;
  return v;
}

http_response app::impl::post_register(const http_request& req) {
  auto f = form(req);
  if (!f) return bad_field(req, {"form", "expected a form (application/x-www-form-urlencoded)"}, nullptr);
  if (!csrf_ok(req, *f, nullptr)) return error_page(req, 403, "The form expired. Reload the page and try again.", nullptr);
  auto get = [&](const char* k) { auto it = f->find(k); return it == f->end() ? std::string() : trim(it->second); };
  business_record b;
  b.name = get("business_name");
  if (b.name.empty() || b.name.size() > 100) return bad_field(req, {"business_name", "required, at most 100 characters"}, nullptr);
  b.slug = lower(get("slug"));
  if (!valid_slug(b.slug)) return bad_field(req, {"slug", "2–40 lower-case letters, digits or '-'"}, nullptr);
  b.currency = get("currency");
  std::transform(b.currency.begin(), b.currency.end(), b.currency.begin(), [](unsigned char c) { return static_cast<char>(std::toupper(c)); });
  if (b.currency.size() != 3 || !std::all_of(b.currency.begin(), b.currency.end(), [](char c) { return c >= 'A' && c <= 'Z'; }))
    return bad_field(req, {"currency", "a three-letter ISO 4217 code such as EUR"}, nullptr);
  auto tax = parse_percent_bp(get("tax_rate"));
  if (!tax) return bad_field(req, {"tax_rate", "a percentage such as 10 or 7.5"}, nullptr);
  b.tax_rate_bp = *tax;
  b.tax_inclusive = get("tax_inclusive") == "1";
  // An IANA zone (DST-correct). Forms from before it sent a fixed `utc_offset`: still taken.
  const std::string zone = get("time_zone");
  if (!zone.empty() || f->count("utc_offset") == 0) {
    const auto off = zone.size() <= protocol::limits::max_time_zone ? utc_offset_minutes_in(zone, std::chrono::system_clock::now()) : std::nullopt;
    if (!off) return bad_field(req, {"time_zone", "choose a time zone from the list"}, nullptr);
    b.utc_offset_minutes = *off;  // kept for code that still reads the fixed offset
  } else {
    auto off = parse_offset(get("utc_offset"));
    if (!off) return bad_field(req, {"utc_offset", "like +01:00 or -05:00"}, nullptr);
    b.utc_offset_minutes = *off;
  }
  auto prep = parse_int(get("prep_minutes"), 0, 240);
  if (!prep) return bad_field(req, {"prep_minutes", "whole minutes, 0–240"}, nullptr);
  b.base_prep_seconds = *prep * 60;
  b.always_open = get("always_open") == "1";
  auto opens = parse_hhmm(get("opens")), closes = parse_hhmm(get("closes"));
  if (!b.always_open) {
    if (!opens) return bad_field(req, {"opens", "a time like 08:00"}, nullptr);
    if (!closes || *closes <= *opens) return bad_field(req, {"closes", "a time like 18:00, after the opening time"}, nullptr);
  }
  std::vector<std::string> types;
  for (const char* t : {"takeaway", "eat_in", "pickup", "delivery"})
    if (get((std::string("type_") + t).c_str()) == "1") types.emplace_back(t);
  if (types.empty()) return bad_field(req, {"order_types", "choose at least one order type"}, nullptr);
  const std::string email = lower(get("email"));
  if (!valid_email(email)) return bad_field(req, {"email", "a valid email address"}, nullptr);
  const std::string password = f->count("password") ? f->at("password") : std::string();
  if (password.size() < 10 || password.size() > 200) return bad_field(req, {"password", "10–200 characters"}, nullptr);

  // Hash before going to the writer: ~90 ms of argon2id must not hold the writer up.
  char hash[crypto_pwhash_STRBYTES];
  if (crypto_pwhash_str_alg(hash, password.data(), password.size(), crypto_pwhash_OPSLIMIT_INTERACTIVE,
                            crypto_pwhash_MEMLIMIT_INTERACTIVE, crypto_pwhash_ALG_ARGON2ID13) != 0)
    return error_page(req, 500, "Could not secure the password (out of memory). Try again.", nullptr);

  b.id = "b-" + protocol::new_uuid().substr(0, 8);
  const std::string owner_id = protocol::new_uuid();
  std::string conflict;
  write([&](connection& c) {
    {
      auto q = c.prepare("SELECT 1 FROM businesses WHERE slug = ?");
      q.bind(1, b.slug);
      if (q.step()) {
        conflict = "slug";
        return;
      }
    }
    {
      auto q = c.prepare("SELECT 1 FROM owners WHERE email = ?");
      q.bind(1, email);
      if (q.step()) {
        conflict = "email";
        return;
      }
    }
    const auto now = now_ms();
    writer.businesses().insert(b, now);
    if (!zone.empty()) c.prepare("UPDATE businesses SET time_zone = ? WHERE id = ?").bind(1, zone).bind(2, b.id).run();
    if (!b.always_open)
      for (int d = 0; d < 7; ++d) writer.businesses().add_opening_span(b.id, {d, *opens, *closes});
    for (const auto& t : types)
      c.prepare("INSERT INTO business_order_types(business_id, order_type, enabled) VALUES (?, ?, 1)").bind(1, b.id).bind(2, t).run();
    c.prepare("INSERT INTO owners(id, business_id, email, password_hash, role, created_at_ms) VALUES (?,?,?,?, 'owner', ?)")
        .bind(1, owner_id)
        .bind(2, b.id)
        .bind(3, email)
        .bind(4, std::string_view(hash))
        .bind(5, now)
        .run();
    writer.catalog().insert_category({b.id, "menu", "Menu", 0});
    device_record d;
    d.id = web_device_id(b.id);
    d.business_id = b.id;
    d.name = "Phone shop";
    d.mode = protocol::device_mode::shop;
    writer.devices().insert(d, now);
  });
  if (conflict == "slug") return bad_field(req, {"slug", "this shop address is taken; choose another"}, nullptr);
  if (conflict == "email") return bad_field(req, {"email", "an account with this email exists; sign in instead"}, nullptr);
  spdlog::info("web: registered business {} ({})", b.id, b.slug);
  auto r = redirect("/portal");
  start_session(owner_id, r);
  catalog_changed(b.id);
  return r;
}

http_response app::impl::get_login(const http_request& req, const std::string& error, int status) {
  http_response tmp;
  const std::string t = pre_csrf(req, tmp);
  const auto nx = req.query.find("next");
  std::string next = nx == req.query.end() ? "/portal" : nx->second;
  if (!next.starts_with("/") || next.starts_with("//")) next = "/portal";  // no open redirect
  auto body = render(R"(<h1>Sign in</h1>{{err|html}}
<form method="post" action="/login" class="w-max-24">
<input type="hidden" name="csrf" value="{{t|attr}}"><input type="hidden" name="next" value="{{next|attr}}">
<div class="mb-3"><label class="form-label" for="email">Email</label><input class="form-control" type="email" id="email" name="email" required></div>
<div class="mb-3"><label class="form-label" for="password">Password</label><input class="form-control" type="password" id="password" name="password" required></div>
<button class="btn btn-primary" type="submit">Sign in</button> <a href="/register">Register a business</a></form>)",
                     {{"t", t}, {"next", next},
                      {"err", error.empty() ? safe_html{} : render(R"(<div class="alert alert-danger" role="alert">{{e}}</div>)", {{"e", error}})}});
  auto r = page(req, status, "Sign in", body, nullptr);
  for (auto& h : tmp.headers) r.headers.push_back(h);
  return r;
}

http_response app::impl::post_login(const http_request& req) {
  auto f = form(req);
  if (!f) return bad_field(req, {"form", "expected a form (application/x-www-form-urlencoded)"}, nullptr);
  if (!csrf_ok(req, *f, nullptr)) return error_page(req, 403, "The form expired. Reload the page and try again.", nullptr);
  const std::string email = lower(trim(f->count("email") ? f->at("email") : ""));
  const std::string password = f->count("password") ? f->at("password") : "";
  std::string next = f->count("next") ? f->at("next") : "/portal";
  if (!next.starts_with("/") || next.starts_with("//")) next = "/portal";
  const std::string addr = address_only(req.remote);
  if (auto blocked = login_blocked(email, addr)) {
    auto r = get_login(req, *blocked, 429);
    r.headers.emplace_back("Retry-After", "60");
    return r;
  }
  std::string owner_id, hash;
  {
    auto db = reads.get();
    auto q = db->prepare("SELECT id, password_hash FROM owners WHERE email = ?");
    q.bind(1, email);
    if (q.step()) {
      owner_id = q.text(0);
      hash = q.text(1);
    }
  }
  const bool ok = !owner_id.empty() && crypto_pwhash_str_verify(hash.c_str(), password.data(), password.size()) == 0;
  if (!ok) {
    login_failed(email, addr);
    return get_login(req, "Wrong email or password.", 401);
  }
  auto r = redirect(next);
  start_session(owner_id, r);
  return r;
}

http_response app::impl::post_logout(const http_request& req) {
  std::optional<session> s;
  if (auto deny = require(req, s, false)) return *deny;
  auto f = form(req);
  if (!f || !csrf_ok(req, *f, &*s)) return error_page(req, 403, "The form expired. Reload the page and try again.", &*s);
  const std::string token = cookie(req, "kh_session");
  write([&](connection& c) { c.prepare("DELETE FROM web_sessions WHERE token_hash = ?").bind(1, sha256_hex(token)).run(); });
  auto r = redirect("/login");
  r.headers.emplace_back("Set-Cookie", "kh_session=; Path=/; HttpOnly; SameSite=Lax; Max-Age=0");
  return r;
}

// ---- static assets and images ------------------------------------------------------------

http_response app::impl::get_static(const http_request& req) {
  std::shared_ptr<static_asset> a;
  {
    std::lock_guard lock(assets_mu);
    if (auto it = assets.find(req.path); it != assets.end()) a = it->second;
  }
  if (!a) {
    auto segs = split_path(req.path);
    if (!segs || segs->size() < 2) return text(404, "not found");
    std::string raw, type;
    if (req.path == "/static/app.css") {
      raw = asset_app_css();
      type = "text/css; charset=utf-8";
    } else if (req.path == "/static/app.js") {
      raw = asset_app_js();
      type = "application/javascript; charset=utf-8";
    } else if (req.path == "/static/shop.js") {
      raw = asset_shop_js();
      type = "application/javascript; charset=utf-8";
    } else if (req.path == "/static/orders_live.js") {
      raw = asset_orders_live_js();
      type = "application/javascript; charset=utf-8";
    } else if (req.path == "/static/orders_live.css") {
      raw = asset_orders_live_css();
      type = "text/css; charset=utf-8";
    } else if ((*segs)[1] == "bootstrap" && segs->size() >= 3) {
      fs::path p = opts.bootstrap_dir;
      for (std::size_t i = 2; i < segs->size(); ++i) p /= (*segs)[i];
      type = content_type_for(p.string());
      // Segments were checked by split_path (no "..", ".", encoded '/' or NUL), so the path is
      // lexically inside the root; Debian's own symlinks in there (to bootstrap-html) are followed.
      std::error_code ec;
      const auto& real = p;
      if (type.empty() || !fs::is_regular_file(real, ec)) return text(404, "not found");
      std::ifstream in(real, std::ios::binary);
      std::ostringstream ss;
      ss << in.rdbuf();
      raw = ss.str();
    } else {
      return text(404, "not found");
    }
    a = std::make_shared<static_asset>();
    a->content_type = type;
    a->gz = gzip(raw);
    a->br = brotli(raw, 11);
    a->raw = std::move(raw);
    std::lock_guard lock(assets_mu);
    if (assets.size() < 256) assets[req.path] = a;
  }
  http_response r;
  r.content_type = a->content_type;
  r.headers.emplace_back("Cache-Control", "public, max-age=86400");
  r.headers.emplace_back("Vary", "Accept-Encoding");
  r.headers.emplace_back("X-Content-Type-Options", "nosniff");
  const auto ae = req.headers.find("accept-encoding");
  const std::string enc = ae == req.headers.end() ? std::string() : pick_encoding(ae->second);
  if (enc == "br") {
    r.body = a->br;
    r.headers.emplace_back("Content-Encoding", "br");
  } else if (enc == "gzip") {
    r.body = a->gz;
    r.headers.emplace_back("Content-Encoding", "gzip");
  } else {
    r.body = a->raw;
  }
  return r;
}

http_response app::impl::get_image(const http_request& req) {
  // /img/{business}/{name}: every product picture (the seed's drawn ones and uploads alike) lives
  // in product_images; read here on a read-only connection so pictures never wait for the writer.
  return image_response(req, [this](const std::string& business, const std::string& id) {
    auto db = reads.get();
    return make_sqlite_shop(*db)->image(business, id);
  });
}

http_response app::impl::get_tracking_redirect(const http_request& req) {
  // /o/{order id}: the short tracking URL of order.accepted (and the kiosk's confirmation QR),
  // sent on to the business' tracking page.
  auto segs = split_path(req.path);
  if (!segs || segs->size() != 2) return not_found(req);
  const std::string oid = (*segs)[1];
  if (!protocol::is_uuid(oid)) return not_found(req);
  auto db = reads.get();
  auto q = db->prepare("SELECT b.slug FROM orders o JOIN businesses b ON b.id = o.business_id WHERE o.id = ?");
  q.bind(1, oid);
  if (!q.step()) return not_found(req);
  return redirect("/s/" + escape_url_component(q.text(0)) + "/o/" + oid);
}

void app::impl::catalog_changed(const std::string& business_id) {
  if (!hooks.catalog_changed) return;
  on_writer([&] { hooks.catalog_changed(business_id); });
}

// ---- app ---------------------------------------------------------------------------------

app::app(web_options opts, store& writer, order_service& orders, web_hooks hooks)
    : impl_(std::make_unique<impl>(std::move(opts), writer, orders, std::move(hooks))) {}
app::~app() = default;

std::string app::web_device_id(const std::string& business_id) { return "web-" + business_id; }

void app::add_routes(http_router& router) {
  auto* d = impl_.get();
  router.add("GET", "/", [d](const http_request& r) { return d->get_home(r); });
  router.add("GET", "/register", [d](const http_request& r) { return d->get_register(r); });
  router.add("POST", "/register", [d](const http_request& r) { return d->post_register(r); });
  router.add("GET", "/login", [d](const http_request& r) { return d->get_login(r); });
  router.add("POST", "/login", [d](const http_request& r) { return d->post_login(r); });
  router.add("POST", "/logout", [d](const http_request& r) { return d->post_logout(r); });
  router.add_prefix("GET", "/static/", [d](const http_request& r) { return d->get_static(r); });
  router.add_prefix("GET", "/img/", [d](const http_request& r) { return d->get_image(r); });
  router.add_prefix("GET", "/o/", [d](const http_request& r) { return d->get_tracking_redirect(r); });
  for (const char* m : {"GET", "POST"}) {
    router.add(m, "/portal", [d](const http_request& r) { return d->portal(r); });
    router.add_prefix(m, "/portal/", [d](const http_request& r) { return d->portal(r); });
    router.add_prefix(m, "/s/", [d](const http_request& r) { return d->shop(r); });
  }
  add_dashboard_routes(router, *d);  // reports, devices, feedback, support (web/dashboard.hpp)
}

}  // namespace kh::hub::web
