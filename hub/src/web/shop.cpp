// The phone shop, /s/{slug}: browse, product page, cart (kept in localStorage, so across page
// loads and tabs), checkout through the same order_service::place as kiosks, confirmation,
// live tracking (server-sent events) and feedback.
#include <algorithm>

#include <nlohmann/json.hpp>
#include <spdlog/spdlog.h>

#include "kh/hub/catalog/store_profile.hpp"
#include "kh/hub/orders/order_rules.hpp"
#include "kh/hub/storage/shop_repository.hpp"
#include "kh/protocol/availability.hpp"
#include "kh/protocol/cart_code.hpp"
#include "kh/protocol/money_format.hpp"
#include "kh/protocol/codec.hpp"
#include "kh/protocol/ids.hpp"
#include "kh/protocol/time.hpp"
#include "storage/sqlite_shop.hpp"
#include "web/qr.hpp"
#include "web/app_impl.hpp"
#include "web/dashboard.hpp"
#include "web/options.hpp"
#include "web/slots.hpp"

namespace kh::hub::web {

using sqlite::connection;

namespace {

std::int64_t now_ms() { return to_ms(std::chrono::system_clock::now()); }

constexpr std::string_view k_shop_shell = R"(<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width,initial-scale=1">
<title>{{title}}</title>
<link rel="stylesheet" href="/static/bootstrap/css/bootstrap.min.css"><link rel="stylesheet" href="/static/app.css">
</head><body class="shop" data-slug="{{slug|attr}}" data-currency="{{currency|attr}}" data-money-symbol="{{msym|attr}}" data-money-decimal="{{mdec|attr}}" data-money-after="{{mafter|attr}}" data-money-digits="{{mdigits|attr}}">
<nav class="navbar navbar-light bg-light px-3 sticky-top"><a class="navbar-brand text-truncate" href="/s/{{slug|url}}">{{name}}</a>
<a class="btn btn-primary" href="/s/{{slug|url}}/cart" id="cart-link">Cart <span class="badge bg-light text-dark" id="cart-count">0</span></a></nav>
<main class="container py-3">{{body|html}}</main>
<script src="/static/shop.js" defer></script></body></html>
)";

struct shop_business {
  std::string id, slug, name, currency, about;
  bool always_open = false;
  int utc_offset = 0;
  std::string time_zone;  ///< IANA name from the store profile; empty: only the fixed offset is known
  std::string lang = "en";  ///< the store's default language: how prices are written
};

bool is_id(const std::string& s) {
  return !s.empty() && s.size() <= 64 &&
         std::all_of(s.begin(), s.end(), [](char c) { return std::isalnum(static_cast<unsigned char>(c)) || c == '-' || c == '_'; });
}

// JSON placed inside <script type="application/json">: no '<', '>' or '&' can end the block.
// Quotes inside strings become \u0022 too, so no attribute-looking text appears at all.
std::string script_json(const nlohmann::json& j) {
  const std::string d = j.dump();
  std::string out;
  out.reserve(d.size() + 16);
  for (std::size_t i = 0; i < d.size(); ++i) {
    const char c = d[i];
    if (c == '\\' && i + 1 < d.size()) {
      if (d[i + 1] == '"') out += "\\u0022";
      else {
        out += c;
        out += d[i + 1];
      }
      ++i;
    } else if (c == '<') out += "\\u003c";
    else if (c == '>') out += "\\u003e";
    else if (c == '&') out += "\\u0026";
    else out += c;
  }
  return out;
}

// The cart page's field: "product:qty" or "product:qty:group/option;group/option", comma-separated
// (options are priced by the hub). nullopt with `error` set for a malformed item or > 50 lines.
std::optional<std::vector<protocol::order_line>> parse_cart_field(const std::string& cart, std::string& error) {
  std::vector<protocol::order_line> out;
  std::size_t i = 0;
  while (i < cart.size()) {
    auto comma = cart.find(',', i);
    if (comma == std::string::npos) comma = cart.size();
    const std::string item = cart.substr(i, comma - i);
    const auto colon = item.find(':');
    const auto colon2 = colon == std::string::npos ? std::string::npos : item.find(':', colon + 1);
    auto qty = colon == std::string::npos ? std::nullopt
                                          : parse_int(item.substr(colon + 1, colon2 == std::string::npos ? std::string::npos : colon2 - colon - 1), 1, 99);
    auto chosen = colon2 == std::string::npos ? std::optional<std::vector<protocol::line_option>>(std::vector<protocol::line_option>{})
                                              : parse_line_options(item.substr(colon2 + 1));
    if (!qty || !chosen || !is_id(item.substr(0, colon))) {
      error = "cart: malformed item '" + item + "'.";
      return std::nullopt;
    }
    out.push_back({item.substr(0, colon), static_cast<int>(*qty), "", std::move(*chosen)});
    if (out.size() > 50) {
      error = "cart: at most 50 lines.";
      return std::nullopt;
    }
    i = comma + 1;
  }
  return out;
}

std::string label(std::string s) {
  std::replace(s.begin(), s.end(), '_', ' ');
  return s;
}

// "HH:MM" of `ms` on the store's wall clock: its IANA zone (DST included) when the profile has
// one, else the fixed offset given at registration.
std::string local_hhmm(std::int64_t ms, const shop_business& b) {
  if (!b.time_zone.empty()) {
    if (auto w = wall_time_in(b.time_zone, from_ms(ms))) {
      char out[16];
      std::snprintf(out, sizeof out, "%02d:%02d", (w->minute / 60) % 24, w->minute % 60);
      return out;
    }
  }
  const auto t = protocol::format_rfc3339(from_ms(ms + static_cast<std::int64_t>(b.utc_offset) * 60'000));
  return t.substr(11, 5);
}

}  // namespace

http_response app::impl::shop(const http_request& req) {
  auto segs = split_path(req.path);
  if (!segs || segs->size() < 2) return not_found(req);
  const std::string& slug = (*segs)[1];
  shop_business b;
  std::vector<std::string> types;
  {
    auto db = reads.get();
    auto q = db->prepare("SELECT id, slug, name, currency, about, always_open, utc_offset_minutes, COALESCE(time_zone, '') FROM businesses WHERE slug = ?");
    q.bind(1, slug);
    if (!q.step()) return not_found(req);
    b = {q.text(0), q.text(1), q.text(2), q.text(3), q.text(4), q.int64(5) != 0, q.int32(6), q.text(7)};
    auto t = db->prepare("SELECT order_type FROM business_order_types WHERE business_id = ? AND enabled = 1");
    t.bind(1, b.id);
    while (t.step()) types.push_back(t.text(0));
  }
  std::optional<protocol::store_profile> profile;
  {
    auto db = reads.get();
    profile = make_sqlite_shop(*db)->profile(b.id);
  }
  if (profile && !profile->languages.empty()) b.lang = profile->languages.front();
  if (profile && !profile->order_types.empty()) {
    // The store profile's offered types (issue 9) win over the legacy per-type rows.
    types.clear();
    for (const auto& o : profile->order_types) types.push_back(protocol::to_string(o.type));
  }
  if (types.empty()) types = {"takeaway", "eat_in"};
  const std::vector<std::string> rest(segs->begin() + 2, segs->end());
  // Availability windows (kh::protocol::availability_at, the rule placement applies): empty text
  // when the product can be ordered now, else what the page shows ("from 11:00").
  std::map<std::string, std::vector<protocol::availability_window>> windows;
  {
    auto db = reads.get();
    windows = make_sqlite_shop(*db)->all_availability(b.id);
  }
  const auto shop_now = std::chrono::system_clock::now();
  auto not_now = [&](const std::string& id) -> std::string {
    const auto w = windows.find(id);
    if (w == windows.end()) return {};
    const auto a = protocol::availability_at(w->second, profile ? profile->time_zone : std::string("UTC"), shop_now);
    if (a.available) return {};
    return a.from_minute ? "from " + protocol::format_hhmm(*a.from_minute) : "not available now";
  };
  auto shell = [&](int status, const std::string& title, const safe_html& body) {
    const auto style = protocol::money_style_for(b.lang);
    auto html = render(k_shop_shell, {{"title", title}, {"slug", b.slug}, {"name", b.name}, {"currency", b.currency}, {"body", body},
                                      {"msym", protocol::currency_symbol(b.currency)}, {"mdec", style.decimal},
                                      {"mafter", style.symbol_after ? "1" : "0"},
                                      {"mdigits", std::to_string(protocol::minor_digits(b.currency))}});
    return finish(req, html_page(status, std::move(html.html)));
  };
  auto shop_error = [&](int status, const std::string& msg) {
    return shell(status, b.name, render(R"(<div class="alert alert-danger" role="alert">{{m}}</div><p><a href="/s/{{slug|url}}/cart">Back to the cart</a></p>)",
                                        {{"m", msg}, {"slug", b.slug}}));
  };
  auto product_json = [&](connection& db) {
    nlohmann::json all = nlohmann::json::object();
    const auto groups = make_sqlite_shop(db)->all_option_groups(b.id);
    auto q = db.prepare("SELECT id, name, price, stock, image_id, image_url FROM products WHERE business_id = ? AND active = 1");
    q.bind(1, b.id);
    while (q.step()) {
      nlohmann::json p = {{"name", q.text(1)}, {"price", q.int64(2)},
                          {"available", (q.is_null(3) || q.int64(3) > 0) && not_now(q.text(0)).empty()}};
      // Options for the cart's labels and estimate: {id, name, options: [{id, name, d}]}.
      if (auto g = groups.find(q.text(0)); g != groups.end() && !g->second.empty()) {
        nlohmann::json arr = nlohmann::json::array();
        for (const auto& grp : g->second) {
          nlohmann::json os = nlohmann::json::array();
          for (const auto& c : grp.options) os.push_back({{"id", c.id}, {"name", c.name}, {"d", c.price_delta.amount}});
          arr.push_back({{"id", grp.id}, {"name", grp.name}, {"options", std::move(os)}});
        }
        p["groups"] = std::move(arr);
      }
      if (auto u = product_image_url(b.id, q.is_null(4) ? "" : q.text(4), q.text(5), true); !u.empty()) p["thumb"] = u;
      all[q.text(0)] = std::move(p);
    }
    return all;
  };
  const bool get = req.method == "GET" || req.method == "HEAD";

  // ---- browse ----
  if (rest.empty() && get) {
    std::string html;
    auto db = reads.get();
    const auto all_groups = make_sqlite_shop(*db)->all_option_groups(b.id);
    auto c = db->prepare("SELECT id, name FROM categories WHERE business_id = ? ORDER BY position, id");
    c.bind(1, b.id);
    while (c.step()) {
      std::string cards;
      auto q = db->prepare("SELECT id, name, description, price, stock, image_id, image_url FROM products WHERE business_id = ? AND category_id = ? AND active = 1 ORDER BY position, name");
      q.bind(1, b.id).bind(2, c.text(0));
      while (q.step()) {
        const bool avail = q.is_null(4) || q.int64(4) > 0;
        const std::string later = not_now(q.text(0));
        cards += render(R"(<div class="col-12 col-sm-6 col-lg-4"><div class="card h-100 product" data-id="{{id|attr}}"><div class="card-body d-flex gap-3">
{{img|html}}<div class="flex-grow-1"><h3 class="h6 mb-1"><a href="/s/{{slug|url}}/p/{{id|url}}" class="stretched-link-off">{{name}}</a></h3>
<p class="small text-muted mb-1">{{desc}}</p><div class="d-flex justify-content-between align-items-center"><span class="price">{{price}}</span>{{button|html}}</div></div></div></div></div>)",
                        {{"id", q.text(0)}, {"slug", b.slug}, {"name", q.text(1)}, {"desc", q.text(2)}, {"price", format_money(q.int64(3), b.currency, b.lang)},
                         {"img", [&] {
                           const auto u = product_image_url(b.id, q.is_null(5) ? "" : q.text(5), q.text(6), true);
                           return u.empty() ? safe_html{} : render(R"(<img src="{{i|attr}}" alt="" width="72" height="72" class="thumb" loading="lazy">)", {{"i", u}});
                         }()},
                         {"button", !avail ? safe_html{R"(<span class="badge bg-secondary">sold out</span>)"}
                                    : !later.empty() ? render(R"(<span class="badge bg-secondary not-now">{{l}}</span>)", {{"l", later}})
                                    : all_groups.count(q.text(0)) && !all_groups.at(q.text(0)).empty()
                                        ? render(R"(<a class="btn btn-sm btn-outline-primary choose" href="/s/{{slug|url}}/p/{{id|url}}">Choose</a>)", {{"id", q.text(0)}, {"slug", b.slug}})
                                        : render(R"(<button class="btn btn-sm btn-primary add" data-id="{{id|attr}}">Add</button>)", {{"id", q.text(0)}})}}).html;
      }
      if (cards.empty()) continue;
      html += render(R"(<section class="mb-4"><h2 class="h5">{{name}}</h2><div class="row g-2">{{cards|html}}</div></section>)",
                     {{"name", c.text(1)}, {"cards", safe_html{cards}}}).html;
    }
    const auto tq = req.query.find("table");
    const auto ty = req.query.find("type");
    auto body = render(R"(<div id="shop-context" data-table="{{table|attr}}" data-type="{{type|attr}}"></div>{{about|html}}{{products|html}}
<script type="application/json" id="kh-products">{{json|html}}</script>)",
                       {{"table", tq == req.query.end() ? "" : tq->second}, {"type", ty == req.query.end() ? "" : ty->second},
                        {"about", b.about.empty() ? safe_html{} : render(R"(<p class="lead">{{a}}</p>)", {{"a", b.about}})},
                        {"products", safe_html{html.empty() ? "<p>Nothing on sale right now.</p>" : html}},
                        {"json", safe_html{script_json(product_json(*db))}}});
    return shell(200, b.name, body);
  }

  // ---- product page ----
  if (rest.size() == 2 && rest[0] == "p" && get) {
    if (!is_id(rest[1])) return not_found(req);
    auto db = reads.get();
    auto q = db->prepare("SELECT id, name, description, price, stock, image_id, image_url FROM products WHERE business_id = ? AND id = ? AND active = 1");
    q.bind(1, b.id).bind(2, rest[1]);
    if (!q.step()) return shell(404, b.name, render("<h1>Not found</h1><p>This product is not on sale.</p>", {}));
    const bool avail = q.is_null(4) || q.int64(4) > 0;
    const std::string later = not_now(q.text(0));
    const auto groups = make_sqlite_shop(*db)->option_groups(b.id, q.text(0));
    std::string opts_html;
    for (const auto& g : groups) {
      const bool one = g.max_choices == 1;
      std::string choices;
      for (const auto& c : g.options)
        choices += render(R"(<div class="form-check"><input class="form-check-input" type="{{type|attr}}" name="opt-{{g|attr}}" id="opt-{{g|attr}}-{{o|attr}}" value="{{o|attr}}" data-group="{{g|attr}}" {{checked}} {{disabled}}>
<label class="form-check-label d-flex justify-content-between" for="opt-{{g|attr}}-{{o|attr}}"><span>{{name}}{{na}}</span><span class="text-muted">{{delta}}</span></label></div>)",
                          {{"type", one ? "radio" : "checkbox"}, {"g", g.id}, {"o", c.id}, {"name", c.name},
                           {"checked", c.preselected && c.available ? "checked" : ""}, {"disabled", c.available ? "" : "disabled"},
                           {"na", c.available ? "" : " (not available)"},
                           {"delta", c.price_delta.amount ? "+" + format_money(c.price_delta.amount, b.currency, b.lang) : ""}}).html;
      const std::string hint = g.min_choices == g.max_choices
                                   ? (g.min_choices == 1 ? "choose 1" : "choose " + std::to_string(g.min_choices))
                                   : (g.min_choices == 0 ? "optional, up to " + std::to_string(g.max_choices)
                                                         : "choose " + std::to_string(g.min_choices) + "–" + std::to_string(g.max_choices));
      opts_html += render(R"(<fieldset class="mb-3 option-group" data-group="{{g|attr}}" data-name="{{name|attr}}" data-min="{{min|attr}}" data-max="{{max|attr}}"><legend class="h6 mb-1">{{name}} <small class="text-muted fw-normal">{{hint}}</small></legend>{{choices|html}}</fieldset>)",
                          {{"g", g.id}, {"name", g.name}, {"min", std::to_string(g.min_choices)}, {"max", std::to_string(g.max_choices)},
                           {"hint", hint}, {"choices", safe_html{choices}}}).html;
    }
    auto body = render(R"(<article class="product-page" data-id="{{id|attr}}" data-autoadd="{{autoadd|attr}}">{{img|html}}<h1 class="h3">{{name}}</h1><p>{{desc}}</p>
<p class="fs-4 price">{{price}}</p><form id="product-options" class="mb-3">{{opts|html}}</form><p class="text-danger small" id="options-error" role="alert"></p>{{button|html}}<p class="mt-3"><a href="/s/{{slug|url}}">← All products</a></p></article>
<script type="application/json" id="kh-products">{{json|html}}</script>)",
                       {{"id", q.text(0)}, {"name", q.text(1)}, {"desc", q.text(2)}, {"price", format_money(q.int64(3), b.currency, b.lang)}, {"slug", b.slug},
                        {"autoadd", req.query.count("add") ? "1" : ""}, {"opts", safe_html{opts_html}},
                        {"img", [&] {
                          const auto u = product_image_url(b.id, q.is_null(5) ? "" : q.text(5), q.text(6), false);
                          return u.empty() ? safe_html{} : render(R"(<img src="{{i|attr}}" alt="" class="img-fluid rounded mb-3 hero">)", {{"i", u}});
                        }()},
                        {"button", !avail ? safe_html{R"(<p class="badge bg-secondary fs-6">sold out</p>)"}
                                   : !later.empty() ? render(R"(<p class="badge bg-secondary fs-6 not-now">{{l}}</p>)",
                                                           {{"l", later.starts_with("from ") ? "Available " + later : std::string("Not available now")}})
                                   : render(R"(<button class="btn btn-lg btn-primary add w-100" data-id="{{id|attr}}">Add to cart</button>)", {{"id", q.text(0)}})},
                        {"json", safe_html{script_json(product_json(*db))}}});
    return shell(200, q.text(1) + " — " + b.name, body);
  }

  // ---- cart and checkout form ----
  if (rest.size() == 1 && rest[0] == "cart" && get) {
    http_response tmp;
    const std::string t = pre_csrf(req, tmp);
    std::string type_opts;
    for (const auto& ty : types) type_opts += render(R"(<option value="{{v|attr}}">{{l}}</option>)", {{"v", ty}, {"l", label(ty)}}).html;
    auto db = reads.get();
    auto body = render(R"(<h1 class="h4">Your order</h1><div id="cart-lines"><p>Your cart is empty.</p></div>
<form method="post" action="/s/{{slug|url}}/checkout" id="checkout" class="row g-2 mt-2">
<input type="hidden" name="csrf" value="{{csrf|attr}}"><input type="hidden" name="order_id" value="{{oid|attr}}"><input type="hidden" name="cart" id="cart-field" value="">
<div class="col-6"><label class="form-label" for="type">How</label><select class="form-select" id="type" name="type">{{types|html}}</select></div>
<div class="col-6" data-for="eat_in"><label class="form-label" for="table">Table</label><input class="form-control" id="table" name="table" inputmode="numeric" maxlength="16"></div>
<div class="col-6" data-for="pickup"><label class="form-label" for="pickup_at">Pickup at</label><select class="form-select" id="pickup_at" name="pickup_at">{{slots|html}}</select></div>
<div class="col-12" data-for="delivery"><label class="form-label" for="delivery_address">Delivery address{{area}}</label><textarea class="form-control" id="delivery_address" name="delivery_address" rows="2" maxlength="300" autocomplete="street-address"></textarea></div>
<div class="col-12"><label class="form-label" for="name">Name</label><input class="form-control" id="name" name="name" required maxlength="60" autocomplete="name"></div>
<div class="col-6"><label class="form-label" for="phone">Phone</label><input class="form-control" id="phone" name="phone" type="tel" autocomplete="tel"></div>
<div class="col-6"><label class="form-label" for="email">or email</label><input class="form-control" id="email" name="email" type="email" autocomplete="email"></div>
<div class="col-12"><label class="form-label" for="discount_code">Discount code</label><input class="form-control" id="discount_code" name="discount_code" autocapitalize="characters"></div>
<div class="col-12"><button class="btn btn-lg btn-success w-100" type="submit" id="place">Order — pay at the counter</button></div></form>
<div id="cart-qr-box" class="text-center mt-4 d-none"><h2 class="h6">Or pay at a kiosk</h2><p class="small text-muted mb-2">Show this code to a kiosk's camera: it takes over your cart.</p><img id="cart-qr" class="cart-qr" alt="Cart code for a kiosk"></div>
<script type="application/json" id="kh-products">{{json|html}}</script>)",
                       {{"slug", b.slug}, {"csrf", t}, {"oid", protocol::new_uuid()}, {"types", safe_html{type_opts}},
                        {"slots", safe_html{[&] {
                           std::string o;
                           if (profile)
                             for (const auto& sl : pickup_slots(*profile, std::chrono::system_clock::now()))
                               o += render(R"(<option value="{{v|attr}}">{{l}}</option>)", {{"v", sl.at}, {"l", sl.label}}).html;
                           return o.empty() ? std::string(R"(<option value="">no slot available</option>)") : o;
                         }()}},
                        {"area", [&]() -> std::string {
                           const auto* d = profile ? profile->offer(protocol::order_type::delivery) : nullptr;
                           return d && !d->area.empty() ? " (" + d->area + ")" : "";
                         }()},
                        {"json", safe_html{script_json(product_json(*db))}}});
    auto r = shell(200, "Cart — " + b.name, body);
    for (auto& h : tmp.headers) r.headers.push_back(h);
    return r;
  }

  // ---- the cart as a QR code a kiosk scans (protocol's cart code, docs/protocol.md) ----
  if (rest.size() == 1 && rest[0] == "cart-qr.svg" && get) {
    const auto c = req.query.find("cart");
    std::string bad_item;
    auto lines = parse_cart_field(c == req.query.end() ? std::string() : c->second, bad_item);
    if (!lines) return finish(req, text(400, bad_item));
    std::vector<protocol::cart_code_line> code_lines;
    for (auto& l : *lines) code_lines.push_back({l.product_id, l.qty, std::move(l.options)});
    auto code = protocol::encode_cart_code(code_lines);
    if (!code) return finish(req, text(400, code.error().message));
    http_response r;
    r.status = 200;
    r.content_type = "image/svg+xml";
    r.body = qr_svg(make_qr(*code));
    r.headers.emplace_back("Cache-Control", "private, max-age=300");
    return finish(req, std::move(r));
  }

  if (rest.size() == 1 && rest[0] == "checkout" && req.method == "POST") {
    auto f = form(req);
    if (!f) return shop_error(400, "Expected a form.");
    if (!csrf_ok(req, *f, nullptr)) return shop_error(403, "The page expired. Open the cart again and retry.");
    auto get_f = [&](const char* k) { auto it = f->find(k); return it == f->end() ? std::string() : trim(it->second); };
    protocol::order_submit o;
    o.order_id = get_f("order_id");
    if (!protocol::is_uuid(o.order_id)) return shop_error(400, "order_id: missing or malformed; open the cart again.");
    if (!protocol::from_string(get_f("type"), o.type) || std::find(types.begin(), types.end(), get_f("type")) == types.end())
      return shop_error(400, "type: choose how you get your order.");
    std::string bad_item;
    auto lines = parse_cart_field(get_f("cart"), bad_item);
    if (!lines) return shop_error(400, bad_item);
    o.lines = std::move(*lines);
    if (o.lines.empty()) return shop_error(400, "cart: your cart is empty.");
    o.cust.name = get_f("name");
    o.cust.phone = get_f("phone");
    o.cust.email = get_f("email");
    if (o.cust.name.empty() || o.cust.name.size() > 60) return shop_error(400, "name: please give a name (at most 60 characters) for the pickup call.");
    if (o.cust.phone.size() > 30 || o.cust.email.size() > 200) return shop_error(400, "phone/email: too long.");
    const std::string table = get_f("table");
    if (!table.empty()) {
      if (table.size() > 16 || !std::all_of(table.begin(), table.end(), [](char c) { return std::isalnum(static_cast<unsigned char>(c)) || c == '-'; }))
        return shop_error(400, "table: a table number such as 12.");
      // The order's own table field (order_service checks it against the profile's tables);
      // a table remembered from a QR code means nothing for a takeaway.
      if (o.type == protocol::order_type::eat_in) o.table = table;
    }
    // Pickup slot and delivery address go in the order's own fields; the hub's check_order
    // answers missing_detail / invalid_slot with a message when they do not fit the profile.
    if (o.type == protocol::order_type::pickup) {
      o.pickup_at = get_f("pickup_at");
      if (!o.pickup_at.empty() && (o.pickup_at.size() > 40 || !protocol::parse_rfc3339(o.pickup_at)))
        return shop_error(400, "pickup_at: choose a pickup time from the list.");
    }
    if (o.type == protocol::order_type::delivery) {
      o.delivery_address = get_f("delivery_address");
      if (o.delivery_address.size() > 300) return shop_error(400, "delivery_address: at most 300 characters.");
    }
    o.discount_code = get_f("discount_code");
    if (o.discount_code.size() > 24) return shop_error(400, "discount_code: unknown code.");
    o.payment = protocol::payment_method::cash;  // pay at the counter (card comes with the payments issue)
    const std::string device = web_device_id(b.id);
    // Each browser session has its own limits (the device is shared by every phone of the
    // business): a greedy session is refused without blocking the others.
    const std::string web_session = sha256_hex(cookie(req, "kh_pre")).substr(0, 32);
    if (opts.phone_session_orders_per_minute > 0) {
      const auto now = now_ms();
      std::lock_guard lock(phone_mu);
      if (phone_orders.size() > 100'000) phone_orders.clear();  // bounded under a spray of sessions
      auto& times = phone_orders[web_session];
      times.erase(std::remove_if(times.begin(), times.end(), [&](std::int64_t t) { return t <= now - 60'000; }), times.end());
      if (static_cast<int>(times.size()) >= opts.phone_session_orders_per_minute) {
        auto r = shop_error(429, "Too many orders from this phone in a minute. Please wait a moment and retry.");
        r.headers.emplace_back("X-Order-Code", protocol::to_string(protocol::code::rate_limited));
        return r;
      }
      times.push_back(now);
    }
    placement p;
    std::optional<std::int64_t> session_held;
    on_writer([&] {
      if (!writer.devices().find(device)) {
        auto tx = writer.begin();
        device_record d;
        d.id = device;
        d.business_id = b.id;
        d.name = "Phone shop";
        d.mode = protocol::device_mode::shop;
        writer.devices().insert(d, now_ms());
        tx->commit();
      }
      auto& c = sqlite_connection(writer);
      if (opts.phone_session_hold_units > 0) {
        // Units of stock-tracked products this session would hold; a resend of a stored order
        // (same order_id) is left to the order service, which answers it again.
        auto known = c.prepare("SELECT 1 FROM orders WHERE id = ?");
        known.bind(1, o.order_id);
        if (!known.step()) {
          std::int64_t tracked = 0;
          for (const auto& l : o.lines) {
            auto t = c.prepare("SELECT 1 FROM products WHERE business_id = ? AND id = ? AND stock IS NOT NULL");
            t.bind(1, b.id).bind(2, l.product_id);
            if (t.step()) tracked += l.qty;
          }
          auto h = c.prepare(
              "SELECT COALESCE(SUM(l.qty), 0) FROM orders o INDEXED BY orders_pending_by_web_session "
              "JOIN order_lines l ON l.order_id = o.id "
              "WHERE o.web_session = ? AND o.state = 'pending_payment' AND l.stock_tracked = 1");
          h.bind(1, web_session);
          h.step();
          if (tracked > 0 && h.int64(0) + tracked > opts.phone_session_hold_units) {
            session_held = h.int64(0);
            return;
          }
        }
      }
      p = orders.place(device, o);
      if (p.accepted) {
        c.prepare("UPDATE orders SET web_session = ? WHERE id = ? AND web_session IS NULL").bind(1, web_session).bind(2, o.order_id).run();
      }
      if (hooks.order_placed) hooks.order_placed(p);
    });
    if (session_held) {
      auto r = shop_error(409, "Sorry, we could not take this order: this phone already has " + std::to_string(*session_held) +
                                   " items in unpaid orders (at most " + std::to_string(opts.phone_session_hold_units) +
                                   "). Pay for them at the counter or wait until they expire.");
      r.headers.emplace_back("X-Order-Code", protocol::to_string(protocol::code::hold_limit));
      return r;
    }
    if (p.accepted) return redirect("/s/" + escape_url_component(b.slug) + "/o/" + o.order_id);
    const auto j = nlohmann::json::parse(p.body, nullptr, false);
    const std::string msg = j.is_object() && j.contains("message") && j["message"].is_string() ? j["message"].get<std::string>() : "the order was refused";
    auto r = shop_error(409, "Sorry, we could not take this order: " + msg + ".");
    r.headers.emplace_back("X-Order-Code", protocol::to_string(p.code));
    return r;
  }

  // ---- order: confirmation + tracking, events, feedback ----
  if (rest.size() >= 2 && rest[0] == "o" && protocol::is_uuid(rest[1])) {
    const std::string& oid = rest[1];
    std::string number, state, type, currency;
    std::int64_t total = 0, eta = 0;
    bool has_feedback = false;
    std::string lines;
    safe_html support;
    {
      auto db = reads.get();
      auto q = db->prepare("SELECT number, state, order_type, total, currency, eta_ms FROM orders WHERE id = ? AND business_id = ?");
      q.bind(1, oid).bind(2, b.id);
      if (!q.step()) return rest.size() == 3 && rest[2] == "events" ? text(404, "not found") : shell(404, b.name, render("<h1>Order not found</h1>", {}));
      number = q.text(0);
      state = q.text(1);
      type = q.text(2);
      total = q.int64(3);
      currency = q.text(4);
      eta = q.int64(5);
      auto fb = db->prepare("SELECT 1 FROM order_feedback WHERE order_id = ?");
      fb.bind(1, oid);
      has_feedback = fb.step();
      if (rest.size() == 2) {
        const auto details = make_sqlite_shop(*db)->order_details_of(oid);
        auto l = db->prepare("SELECT qty, name, line_total, note, line_no FROM order_lines WHERE order_id = ? ORDER BY line_no");
        l.bind(1, oid);
        while (l.step()) {
          std::string chosen;
          if (auto it = details.line_options.find(l.int32(4)); it != details.line_options.end())
            for (const auto& op : it->second) chosen += (chosen.empty() ? "" : ", ") + op.option_name;
          lines += render(R"(<li class="list-group-item d-flex justify-content-between"><span>{{q}} × {{n}} <small class="text-muted line-options">{{opts}}</small> <small class="text-muted">{{note}}</small></span><span>{{t}}</span></li>)",
                          {{"q", std::to_string(l.int64(0))}, {"n", l.text(1)}, {"t", format_money(l.int64(2), currency, b.lang)}, {"note", l.text(3)},
                           {"opts", chosen}}).html;
        }
      }
    }
    const bool done = state == "collected" || state == "delivered";
    if (rest.size() == 3 && rest[2] == "support" && req.method == "POST") return post_customer_support(*this, req, b.id, b.slug, oid);
    if (rest.size() == 3 && rest[2] == "events" && get) {
      // One event per response with a retry hint: the browser's EventSource reconnects after
      // `retry` ms and gets the next state, so the page follows the order without a reload and
      // without holding a server connection per phone.
      const nlohmann::json ev = {{"order_id", oid}, {"number", number}, {"state", state}, {"label", label(state)},
                                 {"eta", local_hhmm(eta, b)}, {"feedback", done && !has_feedback}};
      http_response r;
      r.content_type = "text/event-stream";
      r.body = "retry: 1500\nevent: status\ndata: " + ev.dump() + "\n\n";
      r.headers.emplace_back("Cache-Control", "no-store");
      return r;
    }
    if (rest.size() == 3 && rest[2] == "feedback" && req.method == "POST") {
      auto f = form(req);
      if (!f) return shop_error(400, "Expected a form.");
      if (!csrf_ok(req, *f, nullptr)) return shop_error(403, "The page expired. Reload it and retry.");
      // The kiosk's feedback message and this form share one validation (protocol::decode_feedback:
      // rating 1-5, comment plain text of at most limits::max_comment) and one write
      // (shop_repository::insert_feedback_once: the first rating of an order wins).
      auto rating = parse_int(f->count("rating") ? f->at("rating") : "", 1, 5);
      if (!rating) return shop_error(400, "rating: choose 1 to 5 stars.");
      const std::string comment = f->count("comment") ? trim(f->at("comment")) : "";
      auto fb = protocol::decode_feedback({{"order_id", oid}, {"rating", *rating}, {"comment", comment}});
      if (!fb) {
        if (comment.size() > protocol::limits::max_comment)
          return shop_error(400, "comment: at most " + std::to_string(protocol::limits::max_comment) + " characters.");
        return shop_error(400, "comment: " + fb.error().message);
      }
      if (!done) return shop_error(409, "You can rate the order once it is collected.");
      bool dup = false;
      on_writer([&] {
        auto tx = writer.begin();
        dup = !writer.shop().insert_feedback_once({fb->order_id, b.id, "", fb->rating, fb->comment, now_ms()});
        tx->commit();
      });
      if (dup) return shop_error(409, "This order was rated already. Thank you!");
      return redirect("/s/" + escape_url_component(b.slug) + "/o/" + oid + "?thanks=1");
    }
    if (rest.size() != 2 || !get) return not_found(req);
    http_response tmp;
    const std::string t = pre_csrf(req, tmp);
    {
      auto db = reads.get();
      support = support_section(*db, b.slug, oid, t, req.query.count("support") ? "Sent. The store's answer appears here." : "");
    }
    auto body = render(R"(<div id="tracking" data-events="/s/{{slug|url}}/o/{{oid|url}}/events" data-state="{{state|attr}}">
<p class="text-muted mb-1">Your order number</p><p class="display-4 fw-bold" id="order-number">{{number}}</p>
<p class="fs-4">Status: <strong id="order-state">{{label}}</strong></p><p>Ready at about <strong id="order-eta">{{eta}}</strong></p>
<div class="alert alert-info{{payclass|attr}}" id="pay-due">Pay <strong>{{total}}</strong> at the counter ({{type}}).</div>
<ul class="list-group mb-3">{{lines|html}}</ul>{{thanks|html}}
<form method="post" action="/s/{{slug|url}}/o/{{oid|url}}/feedback" id="feedback" class="{{fbclass|attr}}">
<input type="hidden" name="csrf" value="{{csrf|attr}}"><h2 class="h5">How was it?</h2>
<div class="mb-2" role="radiogroup" aria-label="rating">{{stars|html}}</div>
<textarea class="form-control mb-2" name="comment" rows="2" placeholder="Comment, optional" aria-label="comment"></textarea>
<button class="btn btn-primary" type="submit">Send feedback</button></form>{{support|html}}</div>)",
                       {{"slug", b.slug}, {"oid", oid}, {"state", state}, {"number", number}, {"label", label(state)},
                        {"eta", local_hhmm(eta, b)}, {"total", format_money(total, currency, b.lang)}, {"type", label(type)},
                        {"lines", safe_html{lines}}, {"csrf", t}, {"support", support},
                        {"thanks", req.query.count("thanks") || has_feedback ? safe_html{R"(<div class="alert alert-success" id="thanks">Thank you for your feedback!</div>)"} : safe_html{}},
                        {"fbclass", done && !has_feedback ? "" : "d-none"},
                        // Only an unpaid order asks for money; once paid (or cancelled) the box goes.
                        {"payclass", state == "pending_payment" ? "" : " d-none"},
                        {"stars", safe_html{[] {
                           std::string s;
                           for (int i = 1; i <= 5; ++i)
                             s += "<label class=\"me-2\"><input type=\"radio\" name=\"rating\" value=\"" + std::to_string(i) + "\" required> " +
                                  std::to_string(i) + "★</label>";
                           return s;
                         }()}}});
    auto r = shell(200, "Order " + number + " — " + b.name, body);
    for (auto& h : tmp.headers) r.headers.push_back(h);
    return r;
  }
  return not_found(req);
}

}  // namespace kh::hub::web
