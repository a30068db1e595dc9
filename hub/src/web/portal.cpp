// Owner portal: store setup, categories, products (with images and stock), discount codes,
// staff accounts, a plain orders page for staff and QR codes. Every page is scoped to the
// signed-in user's business: another business' id answers 404, as an unknown one does.
#include <sodium.h>

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <set>

#include <spdlog/spdlog.h>

#include "kh/hub/orders/order_rules.hpp"
#include "kh/protocol/availability.hpp"
#include "kh/protocol/ids.hpp"
#include "kh/protocol/time.hpp"
#include "web/app_impl.hpp"
#include "kh/hub/http/images.hpp"
#include "storage/sqlite_shop.hpp"
#include "web/image.hpp"
#include "web/options.hpp"
#include "web/qr.hpp"

namespace kh::hub::web {

namespace fs = std::filesystem;
using protocol::format_rfc3339;
using protocol::parse_rfc3339;
using sqlite::connection;

std::optional<std::int64_t> parse_percent_bp(const std::string& s);

namespace {

std::int64_t now_ms() { return to_ms(std::chrono::system_clock::now()); }

using form_t = std::map<std::string, std::string>;
std::string field(const form_t& f, const char* k) {
  auto it = f.find(k);
  return it == f.end() ? std::string() : trim(it->second);
}

std::string money_input(std::int64_t v) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "%lld.%02lld", static_cast<long long>(v / 100), static_cast<long long>(v % 100));
  return buf;
}

std::string state_label(const std::string& s) {
  std::string o = s;
  std::replace(o.begin(), o.end(), '_', ' ');
  return o;
}

bool is_id(const std::string& s) {
  return !s.empty() && s.size() <= 64 &&
         std::all_of(s.begin(), s.end(), [](char c) { return std::isalnum(static_cast<unsigned char>(c)) || c == '-' || c == '_'; });
}

std::string date_of(std::int64_t ms) { return format_rfc3339(from_ms(ms)).substr(0, 10); }

std::optional<std::int64_t> parse_date_ms(const std::string& s) {
  if (s.size() != 10) return std::nullopt;
  auto t = parse_rfc3339(s + "T00:00:00Z");
  if (!t) return std::nullopt;
  return to_ms(*t);
}

}  // namespace

http_response app::impl::portal(const http_request& req) {
  auto segs = split_path(req.path);
  if (!segs || segs->empty()) return not_found(req);
  std::optional<session> s;
  if (auto deny = require(req, s, false)) return *deny;
  const std::vector<std::string> rest(segs->begin() + 1, segs->end());
  try {
    if (rest.empty()) return req.method == "POST" ? not_found(req, &*s) : portal_home(req, *s);
    const auto& top = rest[0];
    if (top == "store" && rest.size() == 1) return portal_store(req, *s);
    if (top == "categories" && rest.size() == 1) return portal_categories(req, *s);
    if (top == "products" && rest.size() == 1) return portal_products(req, *s);
    if (top == "products.csv" && rest.size() == 1) return portal_products_csv(req, *s);
    if (top == "import" && rest.size() == 1) return portal_import(req, *s);
    if (top == "products" && rest.size() >= 2) return portal_product(req, *s, rest[1], {rest.begin() + 2, rest.end()});
    if (top == "discounts") return portal_discounts(req, *s);
    if (top == "staff" && rest.size() == 1) return portal_staff(req, *s);
    if (top == "orders") return portal_orders(req, *s, {rest.begin() + 1, rest.end()});
    if (top == "live") return live(req, *s, {rest.begin() + 1, rest.end()});
    if (top == "counter" && rest.size() == 1 && req.method != "POST") return live_board(req, *s, true);
    if (top == "qr") return portal_qr(req, *s, {rest.begin() + 1, rest.end()});
  } catch (const sqlite::error& e) {
    spdlog::error("web: {} {} failed: {}", req.method, req.path, e.what());
    return error_page(req, 500, "Something went wrong; nothing was changed.", &*s);
  }
  return not_found(req, &*s);
}

// ---- home --------------------------------------------------------------------------------

http_response app::impl::portal_home(const http_request& req, const session& s) {
  std::int64_t products = 0, today = 0;
  std::string low;
  {
    auto db = reads.get();
    auto q = db->prepare("SELECT COUNT(*) FROM products WHERE business_id = ? AND active = 1");
    q.bind(1, s.business_id);
    q.step();
    products = q.int64(0);
    auto o = db->prepare("SELECT COUNT(*) FROM orders WHERE business_id = ? AND created_at_ms > ?");
    o.bind(1, s.business_id).bind(2, now_ms() - 24 * 3600 * 1000);
    o.step();
    today = o.int64(0);
    auto l = db->prepare(
        "SELECT id, name, stock FROM products WHERE business_id = ? AND stock IS NOT NULL AND "
        "stock <= COALESCE(low_stock_threshold, 0) ORDER BY name");
    l.bind(1, s.business_id);
    while (l.step())
      low += render(R"(<li><a href="/portal/products/{{id|url}}">{{name}}</a>: {{stock}} left</li>)",
                    {{"id", l.text(0)}, {"name", l.text(1)}, {"stock", std::to_string(l.int64(2))}}).html;
  }
  auto body = render(R"(<h1>{{name}}</h1>
<p>Shop page: <a href="{{shop|attr}}">{{shop}}</a></p>
<ul><li>{{products}} active products</li><li>{{today}} orders in the last 24 hours</li></ul>
<h2 class="h5">Low stock</h2><ul>{{low|html}}</ul>
<p><a class="btn btn-primary" href="/portal/products/new">Add a product</a> <a class="btn btn-outline-primary" href="/portal/qr">QR codes</a></p>)",
                     {{"name", s.business_name}, {"shop", base_url(req) + "/s/" + s.slug}, {"products", std::to_string(products)},
                      {"today", std::to_string(today)}, {"low", safe_html{low.empty() ? "<li>none</li>" : low}}});
  return page(req, 200, s.business_name, body, &s);
}

// ---- store settings: portal_store.cpp -----------------------------------------------------

// ---- categories --------------------------------------------------------------------------

http_response app::impl::portal_categories(const http_request& req, const session& s) {
  if (req.method == "POST") {
    if (!s.owner()) return error_page(req, 403, "Only the owner can change categories.", &s);
    auto f = form(req);
    if (!f || !csrf_ok(req, *f, &s)) return error_page(req, 403, "The form expired. Reload the page and try again.", &s);
    const std::string name = field(*f, "name");
    if (name.empty() || name.size() > 60) return bad_field(req, {"name", "required, at most 60 characters"}, &s);
    auto pos = parse_int(field(*f, "position").empty() ? "0" : field(*f, "position"), 0, 10000);
    if (!pos) return bad_field(req, {"position", "a whole number 0–10000"}, &s);
    std::string id = field(*f, "id");
    bool missing = false;
    write([&](connection& c) {
      if (id.empty()) {
        id = "c-" + protocol::new_uuid().substr(0, 8);
        writer.catalog().insert_category({s.business_id, id, name, static_cast<int>(*pos)});
      } else {
        missing = c.prepare("UPDATE categories SET name = ?, position = ? WHERE business_id = ? AND id = ?")
                      .bind(1, name).bind(2, *pos).bind(3, s.business_id).bind(4, id).run() == 0;
      }
    });
    if (missing) return not_found(req, &s);
    catalog_changed(s.business_id);
    return redirect("/portal/categories");
  }
  std::string rows;
  {
    auto db = reads.get();
    auto q = db->prepare("SELECT id, name, position FROM categories WHERE business_id = ? ORDER BY position, id");
    q.bind(1, s.business_id);
    while (q.step())
      rows += render(R"(<tr><td><form method="post" action="/portal/categories" class="d-flex gap-2">{{csrf|html}}<input type="hidden" name="id" value="{{id|attr}}">
<input class="form-control form-control-sm" name="name" value="{{name|attr}}" aria-label="name"><input class="form-control form-control-sm w-6rem" name="position" value="{{pos|attr}}" aria-label="position">
<button class="btn btn-sm btn-outline-primary">Save</button></form></td></tr>)",
                     {{"csrf", csrf_input(s)}, {"id", q.text(0)}, {"name", q.text(1)}, {"pos", std::to_string(q.int64(2))}}).html;
  }
  auto body = render(R"(<h1>Categories</h1><table class="table"><tbody>{{rows|html}}</tbody></table>
<h2 class="h5">New category</h2><form method="post" action="/portal/categories" class="d-flex gap-2 w-max-30">{{csrf|html}}
<input class="form-control" name="name" placeholder="Name" aria-label="name" required><input class="form-control w-6rem" name="position" value="0" aria-label="position"><button class="btn btn-primary">Add</button></form>)",
                     {{"rows", safe_html{rows}}, {"csrf", csrf_input(s)}});
  return page(req, 200, "Categories", body, &s);
}

// ---- products ----------------------------------------------------------------------------

http_response app::impl::portal_products(const http_request& req, const session& s) {
  if (req.method != "GET" && req.method != "HEAD") return not_found(req, &s);
  std::string rows, currency, lang = "en";
  {
    auto db = reads.get();
    auto b = db->prepare("SELECT currency, languages FROM businesses WHERE id = ?");
    b.bind(1, s.business_id);
    if (b.step()) {
      currency = b.text(0);
      lang = b.text(1).substr(0, 2);
    }
    auto q = db->prepare(
        "SELECT p.id, p.name, p.price, p.active, p.stock, COALESCE(c.name, ''), p.image_id, p.image_url FROM products p "
        "LEFT JOIN categories c ON c.business_id = p.business_id AND c.id = p.category_id "
        "WHERE p.business_id = ? ORDER BY c.position, p.position, p.name");
    q.bind(1, s.business_id);
    while (q.step()) {
      const std::string img = product_image_url(s.business_id, q.is_null(6) ? "" : q.text(6), q.text(7), true);
      rows += render(R"(<tr><td>{{img|html}}</td><td><a href="/portal/products/{{id|url}}">{{name}}</a></td><td>{{cat}}</td><td>{{price}}</td><td>{{stock}}</td><td>{{active}}</td></tr>)",
                     {{"id", q.text(0)}, {"name", q.text(1)}, {"price", format_money(q.int64(2), currency, lang)},
                      {"active", q.int64(3) ? "active" : "inactive"}, {"stock", q.is_null(4) ? "—" : std::to_string(q.int64(4))},
                      {"cat", q.text(5)},
                      {"img", img.empty() ? safe_html{} : render(R"(<img src="{{s|attr}}" alt="" width="48" height="48" class="thumb">)", {{"s", img}})}}).html;
    }
  }
  auto body = render(R"(<h1>Products</h1><p><a class="btn btn-primary" href="/portal/products/new">Add a product</a></p>
<p><a href="/portal/products.csv">Export CSV</a> · <a href="/portal/import">Import CSV</a></p>
<table class="table align-middle"><thead><tr><th></th><th>Name</th><th>Category</th><th>Price</th><th>Stock</th><th></th></tr></thead><tbody>{{rows|html}}</tbody></table>)",
                     {{"rows", safe_html{rows}}});
  return page(req, 200, "Products", body, &s);
}

namespace {
struct product_form {
  std::string name, category_id, sku, description;
  std::int64_t price = 0;
  std::optional<std::int64_t> low;
  std::int64_t position = 0;
  bool active = true;
};
}  // namespace

http_response app::impl::portal_product(const http_request& req, const session& s, const std::string& id,
                                        const std::vector<std::string>& rest) {
  const bool creating = id == "new";
  if (!creating && !is_id(id)) return not_found(req, &s);
  // Load (scoped to this business: another business' id is simply not found).
  std::optional<product_record> existing;
  std::optional<std::int64_t> low_threshold;
  std::string image_id;
  std::string image_url;
  std::vector<std::pair<std::string, std::string>> cats;
  std::string currency;
  std::vector<protocol::option_group> option_groups;
  std::vector<protocol::availability_window> windows;
  std::string zone_name;
  {
    auto db = reads.get();
    auto b = db->prepare("SELECT currency, COALESCE(time_zone, 'UTC') FROM businesses WHERE id = ?");
    b.bind(1, s.business_id);
    if (b.step()) {
      currency = b.text(0);
      zone_name = b.text(1);
    }
    auto c = db->prepare("SELECT id, name FROM categories WHERE business_id = ? ORDER BY position, id");
    c.bind(1, s.business_id);
    while (c.step()) cats.emplace_back(c.text(0), c.text(1));
    if (!creating) {
      auto q = db->prepare(
          "SELECT id, category_id, sku, name, description, price, active, stock, position, low_stock_threshold, image_id, image_url "
          "FROM products WHERE business_id = ? AND id = ?");
      q.bind(1, s.business_id).bind(2, id);
      if (!q.step()) return not_found(req, &s);
      product_record p;
      p.business_id = s.business_id;
      p.id = q.text(0);
      p.category_id = q.text(1);
      p.sku = q.text(2);
      p.name = q.text(3);
      p.description = q.text(4);
      p.price = q.int64(5);
      p.active = q.int64(6) != 0;
      p.stock = q.opt_int64(7);
      p.position = q.int32(8);
      low_threshold = q.opt_int64(9);
      image_id = q.is_null(10) ? "" : q.text(10);
      image_url = q.text(11);
      existing = p;
    }
  }
  if (!creating) {
    // Own scope: the read connection caches statements by SQL, and read_groups prepares one
    // ("SELECT currency …") that the block above still holds stepped.
    auto db = reads.get();
    option_groups = make_sqlite_shop(*db)->option_groups(s.business_id, id);
    windows = make_sqlite_shop(*db)->availability(s.business_id, id);
  }
  if (rest.size() > 1) return not_found(req, &s);
  const std::string action = rest.empty() ? "" : rest[0];

  if (req.method == "POST" && action == "image") {
    if (creating) return not_found(req, &s);
    if (!s.owner()) return error_page(req, 403, "Only the owner can change product images.", &s);
    const auto ct = req.headers.find("content-type");
    if (ct == req.headers.end() || !ct->second.starts_with("multipart/form-data"))
      return bad_field(req, {"image", "upload the image as multipart/form-data"}, &s);
    if (req.body.size() > opts.max_image_bytes + 16 * 1024)
      return bad_field(req, {"image", "the file is larger than " + std::to_string(opts.max_image_bytes / (1024 * 1024)) + " MiB"}, &s);
    auto parts = parse_multipart(ct->second, req.body);
    if (!parts) return bad_field(req, {"image", "malformed upload"}, &s);
    form_t f;
    const multipart_part* file = nullptr;
    for (const auto& p : *parts) {
      if (p.name == "image") file = &p;
      else f[p.name] = p.data;
    }
    if (!csrf_ok(req, f, &s)) return error_page(req, 403, "The form expired. Reload the page and try again.", &s);
    if (!file || file->data.empty()) return bad_field(req, {"image", "choose a JPEG or PNG file"}, &s);
    if (file->data.size() > opts.max_image_bytes)
      return bad_field(req, {"image", "the file is larger than " + std::to_string(opts.max_image_bytes / (1024 * 1024)) + " MiB"}, &s);
    auto dec = decode_image(file->data, opts.max_image_pixels);
    if (!dec.ok) return bad_field(req, {"image", dec.error}, &s);
    const auto big = encode_jpeg(fit_within(dec.image, 1024), 85);
    const auto thumb = encode_jpeg(fit_within(dec.image, 320), 80);
    const std::string iid = random_hex(16);
    // Stored in the database (product_images, as the seed's pictures are), so a backup has them;
    // the catalog carries the path, made absolute with the hub's public URL for kiosks.
    const std::string url = "/img/" + s.business_id + "/" + iid + ".jpg";
    bool gone = false;
    write([&](connection& c) {
      c.prepare("INSERT INTO images(id, business_id, path, content_type, bytes, created_at_ms) VALUES (?,?,?,?,?,?)")
          .bind(1, iid).bind(2, s.business_id).bind(3, url).bind(4, "image/jpeg")
          .bind(5, static_cast<std::int64_t>(big.size())).bind(6, now_ms()).run();
      auto shop = make_sqlite_shop(c);
      shop->put_image({s.business_id, iid + ".jpg", "image/jpeg", big, content_etag(big), now_ms()});
      shop->put_image({s.business_id, iid + "-thumb.jpg", "image/jpeg", thumb, content_etag(thumb), now_ms()});
      gone = c.prepare("UPDATE products SET image_id = ?, image_url = ?, updated_at_ms = ? WHERE business_id = ? AND id = ?")
                 .bind(1, iid).bind(2, url).bind(3, now_ms()).bind(4, s.business_id).bind(5, id).run() == 0;
    });
    if (gone) return not_found(req, &s);
    catalog_changed(s.business_id);
    return redirect("/portal/products/" + escape_url_component(id) + "?saved=image");
  }

  if (req.method == "POST" && action == "options") {
    if (creating) return not_found(req, &s);
    if (!s.owner()) return error_page(req, 403, "Only the owner can change product options and prices.", &s);
    auto f = form(req);
    if (!f || !csrf_ok(req, *f, &s)) return error_page(req, 403, "The form expired. Reload the page and try again.", &s);
    auto parsed = parse_options_form(*f, currency);
    if (auto* e = std::get_if<field_error>(&parsed)) return bad_field(req, *e, &s);
    const auto& groups = std::get<std::vector<protocol::option_group>>(parsed);
    bool gone = false;
    write([&](connection& c) {
      auto q = c.prepare("SELECT 1 FROM products WHERE business_id = ? AND id = ?");
      q.bind(1, s.business_id).bind(2, id);
      if (!q.step()) {
        gone = true;
        return;
      }
      make_sqlite_shop(c)->set_option_groups(s.business_id, id, groups);
    });
    if (gone) return not_found(req, &s);
    catalog_changed(s.business_id);
    return redirect("/portal/products/" + escape_url_component(id) + "?saved=options");
  }

  if (req.method == "POST" && action == "availability") {
    if (creating) return not_found(req, &s);
    if (!s.owner()) return error_page(req, 403, "Only the owner can change when a product is sold.", &s);
    auto f = form(req);
    if (!f || !csrf_ok(req, *f, &s)) return error_page(req, 403, "The form expired. Reload the page and try again.", &s);
    auto parsed = protocol::parse_windows(field(*f, "availability"), "availability");
    // parse_windows names the field in its message ("availability: …"); the page shows it apart.
    if (!parsed) return bad_field(req, {"availability", parsed.error().message.substr(sizeof "availability: " - 1)}, &s);
    bool gone = false;
    write([&](connection& c) {
      auto q = c.prepare("SELECT 1 FROM products WHERE business_id = ? AND id = ?");
      q.bind(1, s.business_id).bind(2, id);
      if (!q.step()) {
        gone = true;
        return;
      }
      make_sqlite_shop(c)->set_availability(s.business_id, id, *parsed);
    });
    if (gone) return not_found(req, &s);
    catalog_changed(s.business_id);
    return redirect("/portal/products/" + escape_url_component(id) + "?saved=availability");
  }

  if (req.method == "POST" && action == "stock") {
    if (creating) return not_found(req, &s);
    auto f = form(req);
    if (!f || !csrf_ok(req, *f, &s)) return error_page(req, 403, "The form expired. Reload the page and try again.", &s);
    const std::string mode = field(*f, "mode");
    const std::string reason = field(*f, "reason");
    if (reason.empty() || reason.size() > 200) return bad_field(req, {"reason", "say why (at most 200 characters)"}, &s);
    std::optional<std::int64_t> set_to, delta;
    bool untrack = false;
    if (mode == "set") {
      set_to = parse_int(field(*f, "quantity"), 0, 1'000'000);
      if (!set_to) return bad_field(req, {"quantity", "a whole number 0–1000000"}, &s);
    } else if (mode == "adjust") {
      delta = parse_int(field(*f, "quantity"), -1'000'000, 1'000'000);
      if (!delta || *delta == 0) return bad_field(req, {"quantity", "a whole number, + to add, - to remove"}, &s);
    } else if (mode == "untrack") {
      untrack = true;
    } else {
      return bad_field(req, {"mode", "set, adjust or untrack"}, &s);
    }
    std::string problem;
    write([&](connection& c) {
      std::optional<std::int64_t> cur;
      {
        auto q = c.prepare("SELECT stock FROM products WHERE business_id = ? AND id = ?");
        q.bind(1, s.business_id).bind(2, id);
        if (!q.step()) {
          problem = "gone";
          return;
        }
        cur = q.opt_int64(0);
      }
      std::optional<std::int64_t> after;
      std::optional<std::int64_t> d;
      if (set_to) {
        after = *set_to;
        d = *set_to - cur.value_or(0);
      } else if (delta) {
        if (!cur) {
          problem = "stock is not tracked for this product: set a quantity first";
          return;
        }
        if (*cur + *delta < 0) {
          problem = "only " + std::to_string(*cur) + " in stock; cannot remove " + std::to_string(-*delta);
          return;
        }
        after = *cur + *delta;
        d = delta;
      }
      writer.catalog().set_stock(s.business_id, id, untrack ? std::nullopt : after, now_ms());
      c.prepare("INSERT INTO stock_ledger(business_id, product_id, delta, stock_after, reason, actor, at_ms) VALUES (?,?,?,?,?,?,?)")
          .bind(1, s.business_id).bind(2, id).bind(3, untrack ? std::nullopt : d).bind(4, untrack ? std::nullopt : after)
          .bind(5, reason).bind(6, s.actor()).bind(7, now_ms()).run();
    });
    if (problem == "gone") return not_found(req, &s);
    if (!problem.empty()) return bad_field(req, {"quantity", problem}, &s);
    catalog_changed(s.business_id);
    return redirect("/portal/products/" + escape_url_component(id) + "?saved=stock");
  }

  if (req.method == "POST" && action.empty()) {
    if (!s.owner()) return error_page(req, 403, "Only the owner can change products and prices.", &s);
    auto f = form(req);
    if (!f || !csrf_ok(req, *f, &s)) return error_page(req, 403, "The form expired. Reload the page and try again.", &s);
    product_form p;
    p.name = field(*f, "name");
    if (p.name.empty() || p.name.size() > 80) return bad_field(req, {"name", "required, at most 80 characters"}, &s);
    p.category_id = field(*f, "category_id");
    if (std::none_of(cats.begin(), cats.end(), [&](const auto& c) { return c.first == p.category_id; }))
      return bad_field(req, {"category_id", "choose one of your categories"}, &s);
    p.sku = field(*f, "sku");
    if (p.sku.size() > 40) return bad_field(req, {"sku", "at most 40 characters"}, &s);
    auto price = parse_money(field(*f, "price"));
    if (!price) return bad_field(req, {"price", "an amount such as 3.50"}, &s);
    p.price = *price;
    p.description = field(*f, "description");
    if (p.description.size() > 1000) return bad_field(req, {"description", "at most 1000 characters"}, &s);
    if (!field(*f, "low_stock").empty()) {
      p.low = parse_int(field(*f, "low_stock"), 0, 1'000'000);
      if (!p.low) return bad_field(req, {"low_stock", "a whole number or empty"}, &s);
    }
    auto pos = parse_int(field(*f, "position").empty() ? "0" : field(*f, "position"), 0, 10000);
    if (!pos) return bad_field(req, {"position", "a whole number 0–10000"}, &s);
    p.position = *pos;
    p.active = field(*f, "active") == "1";
    std::optional<std::int64_t> initial_stock;
    if (creating && !field(*f, "stock").empty()) {
      initial_stock = parse_int(field(*f, "stock"), 0, 1'000'000);
      if (!initial_stock) return bad_field(req, {"stock", "a whole number, or empty for untracked"}, &s);
    }
    std::string pid = creating ? "p-" + protocol::new_uuid().substr(0, 8) : id;
    if (p.sku.empty()) p.sku = pid;
    std::string conflict;
    write([&](connection& c) {
      auto q = c.prepare("SELECT 1 FROM products WHERE business_id = ? AND sku = ? AND id <> ?");
      q.bind(1, s.business_id).bind(2, p.sku).bind(3, pid);
      if (q.step()) {
        conflict = "another product has this SKU";
        return;
      }
      if (creating) {
        product_record r;
        r.business_id = s.business_id;
        r.id = pid;
        r.category_id = p.category_id;
        r.sku = p.sku;
        r.name = p.name;
        r.description = p.description;
        r.price = p.price;
        r.active = p.active;
        r.stock = initial_stock;
        r.position = static_cast<int>(p.position);
        writer.catalog().insert_product(r, now_ms());
        if (initial_stock)
          c.prepare("INSERT INTO stock_ledger(business_id, product_id, delta, stock_after, reason, actor, at_ms) VALUES (?,?,?,?,?,?,?)")
              .bind(1, s.business_id).bind(2, pid).bind(3, *initial_stock).bind(4, *initial_stock)
              .bind(5, "initial stock").bind(6, s.actor()).bind(7, now_ms()).run();
      } else {
        c.prepare("UPDATE products SET category_id = ?, sku = ?, name = ?, description = ?, price = ?, active = ?, position = ?, updated_at_ms = ? "
                  "WHERE business_id = ? AND id = ?")
            .bind(1, p.category_id).bind(2, p.sku).bind(3, p.name).bind(4, p.description).bind(5, p.price)
            .bind(6, p.active).bind(7, p.position).bind(8, now_ms()).bind(9, s.business_id).bind(10, pid).run();
      }
      c.prepare("UPDATE products SET low_stock_threshold = ? WHERE business_id = ? AND id = ?")
          .bind(1, p.low).bind(2, s.business_id).bind(3, pid).run();
    });
    if (!conflict.empty()) return bad_field(req, {"sku", conflict}, &s);
    catalog_changed(s.business_id);
    return redirect("/portal/products/" + escape_url_component(pid) + "?saved=1");
  }
  if (req.method == "POST" || !action.empty()) return not_found(req, &s);

  // GET: the editor.
  const product_record p = existing.value_or(product_record{});
  std::string cat_opts;
  for (const auto& [cid, cname] : cats)
    cat_opts += render(R"(<option value="{{v|attr}}" {{sel}}>{{n}}</option>)", {{"v", cid}, {"n", cname}, {"sel", cid == p.category_id ? "selected" : ""}}).html;
  std::string ledger;
  if (!creating) {
    auto db = reads.get();
    auto q = db->prepare("SELECT delta, stock_after, reason, actor, at_ms FROM stock_ledger WHERE business_id = ? AND product_id = ? ORDER BY id DESC LIMIT 20");
    q.bind(1, s.business_id).bind(2, id);
    while (q.step())
      ledger += render("<tr><td>{{at}}</td><td>{{d}}</td><td>{{after}}</td><td>{{r}}</td><td>{{who}}</td></tr>",
                       {{"at", format_rfc3339(from_ms(q.int64(4))).substr(0, 16)}, {"d", q.is_null(0) ? "—" : std::to_string(q.int64(0))},
                        {"after", q.is_null(1) ? "untracked" : std::to_string(q.int64(1))}, {"r", q.text(2)}, {"who", q.text(3)}}).html;
  }
  const auto saved = req.query.find("saved");
  safe_html extra{};
  if (!creating) {
    extra = render(R"(<div class="row mt-4 g-4"><div class="col-md-6"><h2 class="h5">Image</h2>{{img|html}}
<form method="post" action="/portal/products/{{id|url}}/image" enctype="multipart/form-data">{{csrf|html}}
<input class="form-control mb-2" type="file" name="image" accept="image/jpeg,image/png" aria-label="image"><button class="btn btn-outline-primary">Upload image</button></form></div>
<div class="col-md-6"><h2 class="h5">Stock: {{stock}}</h2>
<form method="post" action="/portal/products/{{id|url}}/stock" class="row g-2">{{csrf|html}}
<div class="col-4"><select class="form-select" name="mode" aria-label="mode"><option value="set">Set to</option><option value="adjust">Adjust by</option><option value="untrack">Stop tracking</option></select></div>
<div class="col-3"><input class="form-control" name="quantity" aria-label="quantity" placeholder="qty"></div>
<div class="col-5"><input class="form-control" name="reason" aria-label="reason" placeholder="reason: delivery, waste…"></div>
<div class="col-12"><button class="btn btn-outline-primary">Change stock</button></div></form>
<table class="table table-sm mt-2"><thead><tr><th>When</th><th>Change</th><th>After</th><th>Reason</th><th>Who</th></tr></thead><tbody>{{ledger|html}}</tbody></table></div></div>
<h2 class="h5 mt-4" id="options">Options</h2>
<p class="small text-muted">Groups such as size or milk: customers choose at least / at most that many options; the delta is added to the price. Clear a name to remove an option or group.</p>
<form method="post" action="/portal/products/{{id|url}}/options" id="options-form" class="w-max-48">{{csrf|html}}{{options|html}}
<button class="btn btn-outline-primary" type="submit">Save options</button></form>
<h2 class="h5 mt-4" id="availability">Availability</h2>
<p class="small text-muted">When this product can be ordered, in the store's time zone ({{zone}}). One window per line: days and times, e.g. <code>mon-fri 07:00-11:00</code> or <code>sat,sun 08:00-12:00</code> or <code>daily 11:30-14:00</code>. Leave empty to sell it whenever the store is open.</p>
<form method="post" action="/portal/products/{{id|url}}/availability" class="w-max-48">{{csrf|html}}
<textarea class="form-control mb-2" id="availability-field" name="availability" rows="3" aria-label="availability" placeholder="mon-fri 07:00-11:00">{{windows}}</textarea>
<button class="btn btn-outline-primary" type="submit">Save availability</button></form>
<p class="mt-3"><a href="/portal/qr/code.svg?for=product:{{id|url}}&amp;download=1">QR code (SVG)</a> · <a href="/portal/qr/code.png?for=product:{{id|url}}&amp;download=1">QR code (PNG)</a> · <a href="/s/{{slug|url}}/p/{{id|url}}">Shop page</a></p>)",
                   {{"id", p.id}, {"csrf", csrf_input(s)}, {"stock", p.stock ? std::to_string(*p.stock) : "not tracked"},
                    {"options", options_editor_fields(option_groups, currency)},
                    {"windows", [&] {
                       std::string text;  // one window per line, as the owner typed them
                       for (const auto& w : windows) text += protocol::format_windows({w}) + "\n";
                       return text;
                     }()},
                    {"zone", zone_name},
                    {"ledger", safe_html{ledger}}, {"slug", s.slug},
                    {"img", product_image_url(s.business_id, image_id, image_url, true).empty()
                                ? safe_html{"<p>No image yet.</p>"}
                                : render(R"(<p><img src="{{i|attr}}" alt="" class="thumb-lg"></p>)",
                                         {{"i", product_image_url(s.business_id, image_id, image_url, true)}})}});
  }
  auto body = render(R"(<h1>{{title}}</h1>{{saved|html}}
<form method="post" action="/portal/products/{{action|url}}" class="row g-3 w-max-48">{{csrf|html}}
<div class="col-md-8"><label class="form-label" for="name">Name</label><input class="form-control" id="name" name="name" value="{{name|attr}}" required maxlength="80"></div>
<div class="col-md-4"><label class="form-label" for="price">Price ({{currency}})</label><input class="form-control" id="price" name="price" value="{{price|attr}}" required inputmode="decimal"></div>
<div class="col-md-6"><label class="form-label" for="category_id">Category</label><select class="form-select" id="category_id" name="category_id">{{cats|html}}</select></div>
<div class="col-md-6"><label class="form-label" for="sku">SKU / barcode</label><input class="form-control" id="sku" name="sku" value="{{sku|attr}}"></div>
<div class="col-12"><label class="form-label" for="description">Description</label><textarea class="form-control" id="description" name="description" rows="2">{{description}}</textarea></div>
{{stock_field|html}}
<div class="col-md-4"><label class="form-label" for="low_stock">Low-stock warning at</label><input class="form-control" id="low_stock" name="low_stock" value="{{low|attr}}"></div>
<div class="col-md-4"><label class="form-label" for="position">Position</label><input class="form-control" id="position" name="position" value="{{position|attr}}"></div>
<div class="col-md-4 form-check pt-4 ps-5"><input class="form-check-input" type="checkbox" id="active" name="active" value="1" {{active}}><label class="form-check-label" for="active">Active (on sale)</label></div>
<div class="col-12"><button class="btn btn-primary" type="submit">Save product</button></div></form>{{extra|html}})",
                     {{"title", creating ? "New product" : p.name}, {"action", creating ? "new" : p.id}, {"csrf", csrf_input(s)},
                      {"name", p.name}, {"price", creating ? "" : money_input(p.price)}, {"currency", currency},
                      {"cats", safe_html{cat_opts}}, {"sku", p.sku}, {"description", p.description},
                      {"stock_field", creating ? safe_html{R"(<div class="col-md-4"><label class="form-label" for="stock">Stock (empty: not tracked)</label><input class="form-control" id="stock" name="stock"></div>)"} : safe_html{}},
                      {"low", low_threshold ? std::to_string(*low_threshold) : ""}, {"position", std::to_string(p.position)},
                      {"active", creating || p.active ? "checked" : ""},
                      {"saved", saved != req.query.end() ? safe_html{R"(<div class="alert alert-success">Saved.</div>)"} : safe_html{}},
                      {"extra", extra}});
  return page(req, 200, creating ? "New product" : p.name, body, &s);
}

// ---- CSV export and import ---------------------------------------------------------------

namespace {

// RFC 4180 field; a cell a spreadsheet would run as a formula gets a leading apostrophe.
std::string csv_field(std::string v) {
  if (!v.empty() && std::string_view("=+-@\t\r").find(v[0]) != std::string_view::npos) v = "'" + v;
  if (v.find_first_of(",\"\r\n") == std::string::npos) return v;
  std::string o = "\"";
  for (char c : v) o += c == '"' ? std::string("\"\"") : std::string(1, c);
  return o + "\"";
}

/// Rows of fields; nullopt on an unterminated quote.
std::optional<std::vector<std::vector<std::string>>> parse_csv(std::string_view in) {
  std::vector<std::vector<std::string>> rows;
  std::vector<std::string> row;
  std::string cell;
  bool quoted = false, any = false;
  for (std::size_t i = 0; i < in.size(); ++i) {
    const char c = in[i];
    if (quoted) {
      if (c == '"' && i + 1 < in.size() && in[i + 1] == '"') {
        cell += '"';
        ++i;
      } else if (c == '"') {
        quoted = false;
      } else {
        cell += c;
      }
    } else if (c == '"') {
      quoted = true;
      any = true;
    } else if (c == ',') {
      row.push_back(std::move(cell));
      cell.clear();
      any = true;
    } else if (c == '\n' || c == '\r') {
      if (c == '\r' && i + 1 < in.size() && in[i + 1] == '\n') ++i;
      if (any || !cell.empty()) {
        row.push_back(std::move(cell));
        rows.push_back(std::move(row));
      }
      row.clear();
      cell.clear();
      any = false;
    } else {
      cell += c;
      any = true;
    }
  }
  if (quoted) return std::nullopt;
  if (any || !cell.empty()) {
    row.push_back(std::move(cell));
    rows.push_back(std::move(row));
  }
  return rows;
}

constexpr const char* k_csv_header = "sku,name,price,category,stock,active,description,availability";
// Files exported before the availability column still import (their products' windows stay).
constexpr const char* k_csv_header_without_availability = "sku,name,price,category,stock,active,description";

}  // namespace

http_response app::impl::portal_products_csv(const http_request& req, const session& s) {
  if (req.method != "GET" && req.method != "HEAD") return not_found(req, &s);
  std::string out = std::string(k_csv_header) + "\r\n";
  auto db = reads.get();
  // Availability as the product page's editor writes it ("mon-fri 07:00-11:00"; empty: whenever open).
  const auto windows = make_sqlite_shop(*db)->all_availability(s.business_id);
  auto q = db->prepare("SELECT sku, name, price, category_id, stock, active, description, id FROM products WHERE business_id = ? ORDER BY category_id, position, name");
  q.bind(1, s.business_id);
  while (q.step()) {
    const auto w = windows.find(q.text(7));
    out += csv_field(q.text(0)) + "," + csv_field(q.text(1)) + "," + money_input(q.int64(2)) + "," + csv_field(q.text(3)) + "," +
           (q.is_null(4) ? std::string() : std::to_string(q.int64(4))) + "," + (q.int64(5) ? "1" : "0") + "," + csv_field(q.text(6)) + "," +
           csv_field(w == windows.end() ? std::string() : protocol::format_windows(w->second)) + "\r\n";
  }
  http_response r;
  r.content_type = "text/csv; charset=utf-8";
  r.body = std::move(out);
  r.headers.emplace_back("Content-Disposition", "attachment; filename=\"products-" + s.slug + ".csv\"");
  r.headers.emplace_back("Cache-Control", "no-store");
  return finish(req, std::move(r));
}

http_response app::impl::portal_import(const http_request& req, const session& s) {
  if (!s.owner()) return error_page(req, 403, "Only the owner can import products.", &s);
  std::string csv_text;
  const bool apply = req.method == "POST";
  std::map<std::string, std::string> f;
  if (req.method == "POST") {
    auto parsed = form(req);
    if (!parsed || !csrf_ok(req, *parsed, &s)) return error_page(req, 403, "The form expired. Reload the page and try again.", &s);
    f = std::move(*parsed);
    csv_text = f.count("csv") ? f.at("csv") : "";
  }
  const bool preview = !apply || field(f, "action") != "apply";
  struct row_result {
    int line = 0;
    std::string error;
    product_record p;
    bool update = false;
    std::optional<std::vector<protocol::availability_window>> windows;  // set when the file has the column
  };
  std::vector<row_result> rows;
  std::string top_error;
  if (req.method == "POST") {
    auto table = parse_csv(csv_text);
    std::map<std::string, std::string> cat_by_key;  // id and lower-case name → id
    std::map<std::string, std::string> sku_to_id;
    {
      auto db = reads.get();
      auto c = db->prepare("SELECT id, name FROM categories WHERE business_id = ?");
      c.bind(1, s.business_id);
      while (c.step()) {
        std::string n = c.text(1);
        std::transform(n.begin(), n.end(), n.begin(), [](unsigned char ch) { return static_cast<char>(std::tolower(ch)); });
        cat_by_key[c.text(0)] = c.text(0);
        cat_by_key[n] = c.text(0);
      }
      auto p = db->prepare("SELECT sku, id FROM products WHERE business_id = ?");
      p.bind(1, s.business_id);
      while (p.step()) sku_to_id[p.text(0)] = p.text(1);
    }
    bool with_availability = false;
    if (table && !table->empty()) {
      std::string header;
      for (const auto& h : table->front()) header += (header.empty() ? "" : ",") + trim(h);
      with_availability = header == k_csv_header;
      if (!with_availability && header != k_csv_header_without_availability) table->clear();
    }
    if (!table) top_error = "the CSV has an unterminated quote";
    else if (table->empty())
      top_error = std::string("the first line must be the header: ") + k_csv_header;
    else if (table->size() > 1001) top_error = "at most 1000 rows per import";
    else {
      std::set<std::string> seen;
      for (std::size_t i = 1; i < table->size(); ++i) {
        auto& cells = (*table)[i];
        row_result r;
        r.line = static_cast<int>(i + 1);
        cells.resize(8);
        for (auto& c : cells) c = trim(c);
        auto& p = r.p;
        p.business_id = s.business_id;
        p.sku = cells[0];
        p.name = cells[1];
        std::string cat = cells[3];
        std::transform(cat.begin(), cat.end(), cat.begin(), [](unsigned char ch) { return static_cast<char>(std::tolower(ch)); });
        auto price = parse_money(cells[2]);
        if (p.sku.empty() || p.sku.size() > 40) r.error = "sku: required, at most 40 characters";
        else if (!seen.insert(p.sku).second) r.error = "sku: appears twice in this file";
        else if (p.name.empty() || p.name.size() > 80) r.error = "name: required, at most 80 characters";
        else if (!price) r.error = "price: an amount such as 3.50";
        else if (!cat_by_key.count(cat) && !cat_by_key.count(cells[3])) r.error = "category: no category '" + cells[3] + "'";
        else if (!cells[4].empty() && !parse_int(cells[4], 0, 1'000'000)) r.error = "stock: a whole number, or empty for untracked";
        else if (!cells[5].empty() && cells[5] != "0" && cells[5] != "1") r.error = "active: 1 or 0";
        else if (cells[6].size() > 1000) r.error = "description: at most 1000 characters";
        if (r.error.empty() && with_availability) {
          // parse_windows names the field in its message ("availability: …").
          if (auto w = protocol::parse_windows(cells[7], "availability")) r.windows = std::move(*w);
          else r.error = w.error().message;
        }
        if (r.error.empty()) {
          p.price = *price;
          p.category_id = cat_by_key.count(cells[3]) ? cat_by_key[cells[3]] : cat_by_key[cat];
          p.stock = cells[4].empty() ? std::nullopt : parse_int(cells[4], 0, 1'000'000);
          p.active = cells[5] != "0";
          p.description = cells[6];
          auto it = sku_to_id.find(p.sku);
          r.update = it != sku_to_id.end();
          p.id = r.update ? it->second : "p-" + protocol::new_uuid().substr(0, 8);
        }
        rows.push_back(std::move(r));
      }
    }
  }
  const bool has_errors = !top_error.empty() || std::any_of(rows.begin(), rows.end(), [](const row_result& r) { return !r.error.empty(); });
  if (apply && !preview) {
    if (has_errors || rows.empty()) return bad_field(req, {"csv", top_error.empty() ? "fix the rows marked in the preview first" : top_error}, &s);
    write([&](connection& c) {
      for (const auto& r : rows) {
        if (r.update) {
          c.prepare("UPDATE products SET name = ?, price = ?, category_id = ?, active = ?, description = ?, updated_at_ms = ? WHERE business_id = ? AND id = ?")
              .bind(1, r.p.name).bind(2, r.p.price).bind(3, r.p.category_id).bind(4, r.p.active).bind(5, r.p.description)
              .bind(6, now_ms()).bind(7, s.business_id).bind(8, r.p.id).run();
          std::optional<std::int64_t> cur;
          {
            auto q = c.prepare("SELECT stock FROM products WHERE business_id = ? AND id = ?");
            q.bind(1, s.business_id).bind(2, r.p.id);
            if (q.step()) cur = q.opt_int64(0);
          }
          if (cur != r.p.stock) {
            writer.catalog().set_stock(s.business_id, r.p.id, r.p.stock, now_ms());
            c.prepare("INSERT INTO stock_ledger(business_id, product_id, delta, stock_after, reason, actor, at_ms) VALUES (?,?,?,?,?,?,?)")
                .bind(1, s.business_id).bind(2, r.p.id)
                .bind(3, r.p.stock ? std::optional<std::int64_t>(*r.p.stock - cur.value_or(0)) : std::nullopt)
                .bind(4, r.p.stock).bind(5, "CSV import").bind(6, s.actor()).bind(7, now_ms()).run();
          }
        } else {
          writer.catalog().insert_product(r.p, now_ms());
          if (r.p.stock)
            c.prepare("INSERT INTO stock_ledger(business_id, product_id, delta, stock_after, reason, actor, at_ms) VALUES (?,?,?,?,?,?,?)")
                .bind(1, s.business_id).bind(2, r.p.id).bind(3, *r.p.stock).bind(4, *r.p.stock)
                .bind(5, "CSV import").bind(6, s.actor()).bind(7, now_ms()).run();
        }
        if (r.windows) make_sqlite_shop(c)->set_availability(s.business_id, r.p.id, *r.windows);
      }
    });
    catalog_changed(s.business_id);
    return redirect("/portal/products");
  }
  std::string table_html;
  for (const auto& r : rows) {
    table_html += render(R"(<tr class="{{cls|attr}}"><td>{{line}}</td><td>{{sku}}</td><td>{{name}}</td><td>{{what}}</td></tr>)",
                         {{"cls", r.error.empty() ? "" : "table-danger"}, {"line", std::to_string(r.line)}, {"sku", r.p.sku}, {"name", r.p.name},
                          {"what", r.error.empty() ? (r.update ? "update" : "new") : r.error}}).html;
  }
  auto body = render(R"(<h1>Import products (CSV)</h1>
<p>Columns: <code>{{header}}</code>. Rows are matched by SKU: a known SKU updates that product, a new one adds it. Preview first; nothing is saved until you apply a preview without errors.</p>
{{top|html}}{{preview|html}}
<form method="post" action="/portal/import">{{csrf|html}}
<textarea class="form-control font-monospace mb-2" name="csv" rows="10" aria-label="csv">{{csv}}</textarea>
<button class="btn btn-outline-primary" name="action" value="preview">Preview</button> {{apply|html}}</form>)",
                     {{"header", k_csv_header}, {"csrf", csrf_input(s)}, {"csv", csv_text},
                      {"top", top_error.empty() ? safe_html{} : render(R"(<div class="alert alert-danger" data-field="csv">{{e}}</div>)", {{"e", top_error}})},
                      {"preview", rows.empty() ? safe_html{} : render(R"(<table class="table table-sm" id="preview"><thead><tr><th>Line</th><th>SKU</th><th>Name</th><th></th></tr></thead><tbody>{{rows|html}}</tbody></table>)", {{"rows", safe_html{table_html}}})},
                      {"apply", !rows.empty() && !has_errors ? safe_html{R"(<button class="btn btn-primary" name="action" value="apply">Apply</button>)"} : safe_html{}}});
  return page(req, (!rows.empty() && has_errors) || !top_error.empty() ? 400 : 200, "Import products", body, &s);
}

// ---- discounts ---------------------------------------------------------------------------

http_response app::impl::portal_discounts(const http_request& req, const session& s) {
  auto segs = split_path(req.path).value_or(std::vector<std::string>{});
  if (req.method == "POST") {
    if (!s.owner()) return error_page(req, 403, "Only the owner can change discount codes.", &s);
    auto f = form(req);
    if (!f || !csrf_ok(req, *f, &s)) return error_page(req, 403, "The form expired. Reload the page and try again.", &s);
    if (segs.size() == 4 && segs[3] == "toggle") {
      bool gone = false;
      write([&](connection& c) {
        gone = c.prepare("UPDATE discount_codes SET active = 1 - active WHERE business_id = ? AND code = upper(?)")
                   .bind(1, s.business_id).bind(2, segs[2]).run() == 0;
      });
      if (gone) return not_found(req, &s);
      return redirect("/portal/discounts");
    }
    if (segs.size() != 2) return not_found(req, &s);
    discount_record d;
    d.business_id = s.business_id;
    d.code = field(*f, "code");
    std::transform(d.code.begin(), d.code.end(), d.code.begin(), [](unsigned char c) { return static_cast<char>(std::toupper(c)); });
    if (d.code.size() < 3 || d.code.size() > 24 || !std::all_of(d.code.begin(), d.code.end(), [](char c) { return std::isalnum(static_cast<unsigned char>(c)) || c == '-'; }))
      return bad_field(req, {"code", "3–24 letters, digits or '-'"}, &s);
    const std::string kind = field(*f, "kind");
    if (kind == "percent") {
      d.rule.kind = discount_kind::percent;
      auto bp = parse_percent_bp(field(*f, "value"));
      if (!bp || *bp == 0 || *bp > 10000) return bad_field(req, {"value", "a percentage between 0.01 and 100"}, &s);
      d.rule.value = *bp;
    } else if (kind == "fixed") {
      d.rule.kind = discount_kind::fixed;
      auto v = parse_money(field(*f, "value"));
      if (!v || *v == 0) return bad_field(req, {"value", "an amount such as 2.00"}, &s);
      d.rule.value = *v;
    } else {
      return bad_field(req, {"kind", "percent or fixed"}, &s);
    }
    if (!field(*f, "valid_from").empty()) {
      d.valid_from_ms = parse_date_ms(field(*f, "valid_from"));
      if (!d.valid_from_ms) return bad_field(req, {"valid_from", "a date like 2026-12-01"}, &s);
    }
    if (!field(*f, "valid_until").empty()) {
      auto u = parse_date_ms(field(*f, "valid_until"));
      if (!u) return bad_field(req, {"valid_until", "a date like 2026-12-31"}, &s);
      d.valid_until_ms = *u + 24 * 3600 * 1000;  // through the end of that day
      if (d.valid_from_ms && *d.valid_until_ms <= *d.valid_from_ms) return bad_field(req, {"valid_until", "must be after valid from"}, &s);
    }
    if (!field(*f, "max_uses").empty()) {
      d.max_uses = parse_int(field(*f, "max_uses"), 1, 1'000'000);
      if (!d.max_uses) return bad_field(req, {"max_uses", "a whole number ≥ 1, or empty for unlimited"}, &s);
    }
    if (!field(*f, "min_order").empty()) {
      auto m = parse_money(field(*f, "min_order"));
      if (!m) return bad_field(req, {"min_order", "an amount such as 10.00, or empty"}, &s);
      d.min_order = *m;
    }
    bool exists = false;
    write([&](connection&) {
      if (writer.catalog().find_discount(s.business_id, d.code)) {
        exists = true;
        return;
      }
      writer.catalog().insert_discount(d);
    });
    if (exists) return bad_field(req, {"code", "this code exists already"}, &s);
    return redirect("/portal/discounts");
  }
  if (segs.size() != 2) return not_found(req, &s);
  std::string rows;
  {
    auto db = reads.get();
    auto q = db->prepare("SELECT code, kind, value, active, valid_from_ms, valid_until_ms, max_uses, uses, min_order, b.currency, b.languages FROM discount_codes d "
                         "JOIN businesses b ON b.id = d.business_id WHERE d.business_id = ? ORDER BY code");
    q.bind(1, s.business_id);
    while (q.step()) {
      const std::string cur = q.text(9), lang = q.text(10).substr(0, 2);
      const std::string value = q.text(1) == "percent" ? money_input(q.int64(2)) + " %" : format_money(q.int64(2), cur, lang);
      std::string valid = (q.is_null(4) ? std::string("any time") : "from " + date_of(q.int64(4))) +
                          (q.is_null(5) ? "" : " until " + date_of(q.int64(5) - 1));
      rows += render(R"(<tr><td>{{code}}</td><td>{{value}}</td><td>{{valid}}</td><td>{{uses}}</td><td>{{min}}</td><td>
<form method="post" action="/portal/discounts/{{code|url}}/toggle">{{csrf|html}}<button class="btn btn-sm btn-outline-secondary">{{toggle}}</button></form></td></tr>)",
                     {{"code", q.text(0)}, {"value", value}, {"valid", valid},
                      {"uses", std::to_string(q.int64(7)) + (q.is_null(6) ? "" : " / " + std::to_string(q.int64(6)))},
                      {"min", q.int64(8) ? format_money(q.int64(8), cur, lang) : "—"}, {"csrf", csrf_input(s)},
                      {"toggle", q.int64(3) ? "Deactivate" : "Activate"}}).html;
    }
  }
  auto body = render(R"(<h1>Discount codes</h1><table class="table"><thead><tr><th>Code</th><th>Value</th><th>Valid</th><th>Used</th><th>Minimum</th><th></th></tr></thead><tbody>{{rows|html}}</tbody></table>
<h2 class="h5">New code</h2><form method="post" action="/portal/discounts" class="row g-2 w-max-48">{{csrf|html}}
<div class="col-md-3"><input class="form-control" name="code" placeholder="CODE" aria-label="code" required></div>
<div class="col-md-3"><select class="form-select" name="kind" aria-label="kind"><option value="percent">percent</option><option value="fixed">fixed amount</option></select></div>
<div class="col-md-3"><input class="form-control" name="value" placeholder="10" aria-label="value" required></div>
<div class="col-md-3"><input class="form-control" name="min_order" placeholder="minimum order" aria-label="min_order"></div>
<div class="col-md-4"><input class="form-control" type="date" name="valid_from" aria-label="valid_from"></div>
<div class="col-md-4"><input class="form-control" type="date" name="valid_until" aria-label="valid_until"></div>
<div class="col-md-4"><input class="form-control" name="max_uses" placeholder="max uses" aria-label="max_uses"></div>
<div class="col-12"><button class="btn btn-primary">Add code</button></div></form>)",
                     {{"rows", safe_html{rows}}, {"csrf", csrf_input(s)}});
  return page(req, 200, "Discount codes", body, &s);
}

// ---- staff -------------------------------------------------------------------------------

http_response app::impl::portal_staff(const http_request& req, const session& s) {
  if (req.method == "POST") {
    if (!s.owner()) return error_page(req, 403, "Only the owner can manage accounts.", &s);
    auto f = form(req);
    if (!f || !csrf_ok(req, *f, &s)) return error_page(req, 403, "The form expired. Reload the page and try again.", &s);
    std::string email = field(*f, "email");
    std::transform(email.begin(), email.end(), email.begin(), [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
    if (email.find('@') == std::string::npos || email.size() > 200 || email.find_first_of(" <>\"'") != std::string::npos)
      return bad_field(req, {"email", "a valid email address"}, &s);
    const std::string role = field(*f, "role");
    if (role != "staff" && role != "owner") return bad_field(req, {"role", "staff or owner"}, &s);
    const std::string password = f->count("password") ? f->at("password") : "";
    if (password.size() < 10 || password.size() > 200) return bad_field(req, {"password", "10–200 characters"}, &s);
    char hash[crypto_pwhash_STRBYTES];
    if (crypto_pwhash_str_alg(hash, password.data(), password.size(), crypto_pwhash_OPSLIMIT_INTERACTIVE,
                              crypto_pwhash_MEMLIMIT_INTERACTIVE, crypto_pwhash_ALG_ARGON2ID13) != 0)
      return error_page(req, 500, "Could not secure the password (out of memory). Try again.", &s);
    bool taken = false;
    write([&](connection& c) {
      auto q = c.prepare("SELECT 1 FROM owners WHERE email = ?");
      q.bind(1, email);
      if (q.step()) {
        taken = true;
        return;
      }
      c.prepare("INSERT INTO owners(id, business_id, email, password_hash, role, created_at_ms) VALUES (?,?,?,?,?,?)")
          .bind(1, protocol::new_uuid()).bind(2, s.business_id).bind(3, email).bind(4, std::string_view(hash))
          .bind(5, role).bind(6, now_ms()).run();
    });
    if (taken) return bad_field(req, {"email", "an account with this email exists"}, &s);
    return redirect("/portal/staff");
  }
  std::string rows;
  {
    auto db = reads.get();
    auto q = db->prepare("SELECT email, role FROM owners WHERE business_id = ? ORDER BY role, email");
    q.bind(1, s.business_id);
    while (q.step()) rows += render("<tr><td>{{e}}</td><td>{{r}}</td></tr>", {{"e", q.text(0)}, {"r", q.text(1)}}).html;
  }
  auto body = render(R"(<h1>Staff</h1><table class="table"><tbody>{{rows|html}}</tbody></table>{{add|html}})",
                     {{"rows", safe_html{rows}},
                      {"add", s.owner() ? render(R"(<h2 class="h5">New account</h2><form method="post" action="/portal/staff" class="row g-2 w-max-40">{{csrf|html}}
<div class="col-md-5"><input class="form-control" type="email" name="email" placeholder="email" aria-label="email" required></div>
<div class="col-md-4"><input class="form-control" type="password" name="password" placeholder="password" aria-label="password" required minlength="10"></div>
<div class="col-md-3"><select class="form-select" name="role" aria-label="role"><option>staff</option><option>owner</option></select></div>
<div class="col-12"><button class="btn btn-primary">Add account</button></div></form>)", {{"csrf", csrf_input(s)}})
                                        : safe_html{}}});
  return page(req, 200, "Staff", body, &s);
}

// ---- orders (plain staff page until the dashboard issue) ---------------------------------

http_response app::impl::portal_orders(const http_request& req, const session& s, const std::vector<std::string>& rest) {
  if (req.method == "POST") {
    if (rest.size() != 2 || rest[1] != "state" || !is_id(rest[0])) return not_found(req, &s);
    auto f = form(req);
    if (!f || !csrf_ok(req, *f, &s)) return error_page(req, 403, "The form expired. Reload the page and try again.", &s);
    protocol::order_state to{};
    if (!protocol::from_string(field(*f, "to"), to)) return bad_field(req, {"to", "an order state"}, &s);
    {
      auto db = reads.get();
      auto q = db->prepare("SELECT 1 FROM orders WHERE id = ? AND business_id = ?");
      q.bind(1, rest[0]).bind(2, s.business_id);
      if (!q.step()) return not_found(req, &s);
    }
    std::optional<protocol::problem> problem;
    on_writer([&] {
      auto r = orders.transition(rest[0], to, "web:" + s.actor(), "web");
      if (!r) {
        problem = r.error();
        return;
      }
      if (hooks.order_changed) hooks.order_changed(*r);
    });
    if (problem) return error_page(req, 409, "Cannot do that now: " + problem->message, &s);
    return redirect("/portal/orders");
  }
  if (!rest.empty()) return not_found(req, &s);
  std::string rows;
  {
    auto db = reads.get();
    auto q = db->prepare(
        "SELECT id, number, state, order_type, total, currency, customer_name, created_at_ms FROM orders "
        "WHERE business_id = ? AND (state IN ('pending_payment','paid','preparing','ready','out_for_delivery') OR created_at_ms > ?) "
        "ORDER BY created_at_ms DESC LIMIT 100");
    q.bind(1, s.business_id).bind(2, now_ms() - 6 * 3600 * 1000);
    while (q.step()) {
      protocol::order_state st{};
      protocol::from_string(q.text(2), st);
      protocol::order_type ty{};
      protocol::from_string(q.text(3), ty);
      std::string buttons;
      using protocol::order_state;
      for (const auto to : {order_state::paid, order_state::preparing, order_state::ready, order_state::collected,
                            order_state::out_for_delivery, order_state::delivered, order_state::cancelled}) {
        if (!can_transition(st, to, ty)) continue;
        buttons += render(R"(<form method="post" action="/portal/orders/{{id|url}}/state" class="d-inline">{{csrf|html}}<input type="hidden" name="to" value="{{to|attr}}"><button class="btn btn-sm {{cls}}" data-to="{{to|attr}}">Mark {{label}}</button></form> )",
                          {{"id", q.text(0)}, {"csrf", csrf_input(s)}, {"to", protocol::to_string(to)},
                           {"label", state_label(protocol::to_string(to))},
                           {"cls", to == order_state::cancelled ? "btn-outline-danger" : "btn-primary"}}).html;
      }
      rows += render(R"(<tr data-order="{{id|attr}}"><td class="fw-bold">{{num}}</td><td class="state">{{state}}</td><td>{{type}}</td><td>{{name}}</td><td>{{total}}</td><td>{{buttons|html}}</td></tr>)",
                     {{"id", q.text(0)}, {"num", q.text(1)}, {"state", state_label(q.text(2))}, {"type", state_label(q.text(3))},
                      {"name", q.text(6)}, {"total", format_money(q.int64(4), q.text(5), s.lang)}, {"buttons", safe_html{buttons}}}).html;
    }
  }
  auto body = render(R"(<h1>Orders</h1><p class="text-muted">Open orders and those of the last 6 hours. Reload for new ones (the live dashboard comes later).</p>
<div class="table-responsive"><table class="table align-middle"><thead><tr><th>No.</th><th>State</th><th>Type</th><th>Name</th><th>Total</th><th></th></tr></thead><tbody>{{rows|html}}</tbody></table></div>)",
                     {{"rows", safe_html{rows}}});
  return page(req, 200, "Orders", body, &s);
}

// ---- QR codes ----------------------------------------------------------------------------

http_response app::impl::portal_qr(const http_request& req, const session& s, const std::vector<std::string>& rest) {
  if (req.method != "GET" && req.method != "HEAD") return not_found(req, &s);
  const std::string base = base_url(req) + "/s/" + escape_url_component(s.slug);
  // What a code is for → its URL and caption; only this business' own pages can be encoded.
  auto target = [&](const std::string& what) -> std::optional<std::pair<std::string, std::string>> {
    if (what == "store") return std::pair{base, s.business_name};
    if (what.starts_with("product:")) {
      const std::string id = what.substr(8);
      auto db = reads.get();
      auto q = db->prepare("SELECT name FROM products WHERE business_id = ? AND id = ?");
      q.bind(1, s.business_id).bind(2, id);
      if (!q.step()) return std::nullopt;
      return std::pair{base + "/p/" + escape_url_component(id) + "?add=1", q.text(0)};
    }
    if (what.starts_with("type:")) {
      protocol::order_type t{};
      if (!protocol::from_string(what.substr(5), t)) return std::nullopt;
      return std::pair{base + "?type=" + protocol::to_string(t), state_label(protocol::to_string(t))};
    }
    if (what.starts_with("table:")) {
      auto n = parse_int(what.substr(6), 1, 999);
      if (!n) return std::nullopt;
      return std::pair{base + "?type=eat_in&table=" + std::to_string(*n), "Table " + std::to_string(*n)};
    }
    return std::nullopt;
  };
  if (rest.size() == 1 && (rest[0] == "code.svg" || rest[0] == "code.png")) {
    const auto it = req.query.find("for");
    auto t = target(it == req.query.end() ? "" : it->second);
    if (!t) return not_found(req, &s);
    const auto m = make_qr(t->first);
    http_response r;
    const bool svg = rest[0] == "code.svg";
    r.content_type = svg ? "image/svg+xml" : "image/png";
    r.body = svg ? qr_svg(m) : qr_png(m, 10);
    r.headers.emplace_back("Cache-Control", "private, max-age=300");
    r.headers.emplace_back("X-Content-Type-Options", "nosniff");
    r.headers.emplace_back("X-QR-Text", t->first);
    if (req.query.count("download")) {
      std::string fname = it->second;
      std::replace_if(fname.begin(), fname.end(), [](char c) { return !std::isalnum(static_cast<unsigned char>(c)) && c != '-'; }, '-');
      r.headers.emplace_back("Content-Disposition", "attachment; filename=\"qr-" + fname + (svg ? ".svg\"" : ".png\""));
    }
    return finish(req, std::move(r));
  }
  if (!rest.empty()) return not_found(req, &s);
  auto tables = parse_int(req.query.count("tables") ? req.query.at("tables") : "6", 0, 100).value_or(6);
  std::vector<std::string> codes{"store"};
  {
    auto db = reads.get();
    auto t = db->prepare("SELECT order_type FROM business_order_types WHERE business_id = ? AND enabled = 1 ORDER BY order_type");
    t.bind(1, s.business_id);
    while (t.step()) codes.push_back("type:" + t.text(0));
    auto q = db->prepare("SELECT id FROM products WHERE business_id = ? AND active = 1 ORDER BY position, name");
    q.bind(1, s.business_id);
    while (q.step()) codes.push_back("product:" + q.text(0));
  }
  for (int i = 1; i <= tables; ++i) codes.push_back("table:" + std::to_string(i));
  std::string cells;
  for (const auto& c : codes) {
    auto t = target(c);
    if (!t) continue;
    cells += render(R"(<figure class="qr-cell"><img src="/portal/qr/code.svg?for={{for|url}}" alt="QR code for {{url|attr}}" width="160" height="160">
<figcaption><strong>{{caption}}</strong><br><span class="qr-url">{{url}}</span><br class="no-print">
<a class="no-print" href="/portal/qr/code.svg?for={{for|url}}&amp;download=1">SVG</a> <a class="no-print" href="/portal/qr/code.png?for={{for|url}}&amp;download=1">PNG</a></figcaption></figure>)",
                    {{"for", c}, {"url", t->first}, {"caption", t->second}}).html;
  }
  auto body = render(R"(<div class="qr-sheet"><h1>{{name}}</h1><p class="no-print">Print this page (A4) or download single codes. <a href="?tables=12">12 tables</a> · <a href="?tables=24">24 tables</a></p>
<div class="qr-grid">{{cells|html}}</div></div>)",
                     {{"name", s.business_name}, {"cells", safe_html{cells}}});
  return page(req, 200, "QR codes — " + s.business_name, body, &s);
}

}  // namespace kh::hub::web
