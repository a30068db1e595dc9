// SQLite implementation of the repositories. Every statement is prepared once per connection
// (cached by its SQL text) and reused, which keeps an order transaction to a few microseconds of
// SQL work on top of the commit.
#include <filesystem>

#include "kh/hub/storage/schema.hpp"
#include "kh/hub/storage/store.hpp"
#include "sqlite_shop.hpp"

namespace kh::hub {

namespace {

using protocol::device_mode;
using protocol::order_state;
using protocol::order_type;
using protocol::payment_method;

template <class E>
E parse_enum(const std::string& s, E fallback) {
  E v = fallback;
  protocol::from_string(s, v);
  return v;
}

#define KH_BUSINESS_COLS \
    "id, slug, name, currency, tax_rate_bp, tax_inclusive, base_prep_seconds, " \
    "queue_seconds_per_order, utc_offset_minutes, always_open, catalog_version, active_orders, " \
    "COALESCE(time_zone, ''), shop_generation"

business_record read_business(const sqlite::statement& s) {
  business_record b;
  b.id = s.text(0);
  b.slug = s.text(1);
  b.name = s.text(2);
  b.currency = s.text(3);
  b.tax_rate_bp = s.int64(4);
  b.tax_inclusive = s.int64(5) != 0;
  b.base_prep_seconds = s.int64(6);
  b.queue_seconds_per_order = s.int64(7);
  b.utc_offset_minutes = s.int32(8);
  b.always_open = s.int64(9) != 0;
  b.catalog_version = s.int64(10);
  b.active_orders = s.int64(11);
  b.time_zone = s.text(12);
  b.shop_generation = s.int64(13);
  return b;
}

class sqlite_businesses final : public business_repository {
 public:
  explicit sqlite_businesses(sqlite::connection& db) : db_(db) {}

  std::optional<business_record> find(const std::string& id) override {
    auto s = db_.prepare("SELECT " KH_BUSINESS_COLS " FROM businesses WHERE id = ?");
    s.bind(1, id);
    if (!s.step()) return std::nullopt;
    return read_business(s);
  }
  std::optional<business_record> find_by_slug(const std::string& slug) override {
    auto s = db_.prepare("SELECT " KH_BUSINESS_COLS " FROM businesses WHERE slug = ?");
    s.bind(1, slug);
    if (!s.step()) return std::nullopt;
    return read_business(s);
  }
  std::vector<business_record> all() override {
    auto s = db_.prepare("SELECT " KH_BUSINESS_COLS " FROM businesses ORDER BY id");
    std::vector<business_record> out;
    while (s.step()) out.push_back(read_business(s));
    return out;
  }
  void insert(const business_record& b, std::int64_t now_ms) override {
    db_.prepare(
           "INSERT INTO businesses(id, slug, name, currency, tax_rate_bp, tax_inclusive, base_prep_seconds, "
           "queue_seconds_per_order, utc_offset_minutes, always_open, catalog_version, active_orders, "
           "created_at_ms) VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?)")
        .bind(1, b.id)
        .bind(2, b.slug)
        .bind(3, b.name)
        .bind(4, b.currency)
        .bind(5, b.tax_rate_bp)
        .bind(6, b.tax_inclusive)
        .bind(7, b.base_prep_seconds)
        .bind(8, b.queue_seconds_per_order)
        .bind(9, b.utc_offset_minutes)
        .bind(10, b.always_open)
        .bind(11, b.catalog_version)
        .bind(12, b.active_orders)
        .bind(13, now_ms)
        .run();
  }
  std::vector<opening_span> opening_hours(const std::string& business_id) override {
    auto s = db_.prepare(
        "SELECT weekday, opens_minute, closes_minute FROM opening_hours WHERE business_id = ? "
        "ORDER BY weekday, opens_minute");
    s.bind(1, business_id);
    std::vector<opening_span> out;
    while (s.step()) out.push_back({s.int32(0), s.int32(1), s.int32(2)});
    return out;
  }
  void add_opening_span(const std::string& business_id, const opening_span& sp) override {
    db_.prepare("INSERT INTO opening_hours(business_id, weekday, opens_minute, closes_minute) VALUES (?,?,?,?)")
        .bind(1, business_id)
        .bind(2, sp.weekday)
        .bind(3, sp.opens_minute)
        .bind(4, sp.closes_minute)
        .run();
  }
  std::int64_t bump_catalog_version(const std::string& business_id) override {
    auto s = db_.prepare(
        "UPDATE businesses SET catalog_version = catalog_version + 1 WHERE id = ? RETURNING catalog_version");
    s.bind(1, business_id);
    if (!s.step()) throw sqlite::error(0, "unknown business " + business_id);
    const auto v = s.int64(0);
    while (s.step()) {
    }
    return v;
  }
  std::int64_t next_order_seq(const std::string& business_id, const std::string& day) override {
    // The current day's counter is in the business row, which the order's event updates anyway
    // (no page of its own in the commit). Read back by key, not with RETURNING: SQLite collects
    // RETURNING rows in a temporary b-tree on every run (a page allocated and zeroed).
    if (db_.prepare("UPDATE businesses SET counter_seq = counter_seq + 1 WHERE id = ? AND counter_day = ?")
            .bind(1, business_id)
            .bind(2, day)
            .run() == 1) {
      auto s = db_.prepare("SELECT counter_seq FROM businesses WHERE id = ?");
      s.bind(1, business_id);
      if (!s.step()) throw sqlite::error(0, "order counter update returned nothing");
      return s.int64(0);
    }
    std::string current;
    std::int64_t current_seq = 0;
    {
      auto s = db_.prepare("SELECT counter_day, counter_seq FROM businesses WHERE id = ?");
      s.bind(1, business_id);
      if (s.step()) {
        current = s.text(0);
        current_seq = s.int64(1);
      }
    }
    auto bump_day = [&](const std::string& d) {
      db_.prepare(
             "INSERT INTO order_counters(business_id, day, last_seq) VALUES (?, ?, 1) "
             "ON CONFLICT(business_id, day) DO UPDATE SET last_seq = last_seq + 1")
          .bind(1, business_id)
          .bind(2, d)
          .run();
      auto s = db_.prepare("SELECT last_seq FROM order_counters WHERE business_id = ? AND day = ?");
      s.bind(1, business_id).bind(2, d);
      if (!s.step()) throw sqlite::error(0, "order counter update returned nothing");
      return s.int64(0);
    };
    // An earlier day than the row's (the store's time zone moved back, or no business row):
    // that day's counter stays in order_counters.
    if (day < current) return bump_day(day);
    // A new day: the finished one goes to order_counters (its last number), and the new one
    // starts after whatever order_counters holds for it (orders placed before migration 14).
    if (!current.empty()) {
      db_.prepare(
             "INSERT INTO order_counters(business_id, day, last_seq) VALUES (?, ?, ?) "
             "ON CONFLICT(business_id, day) DO UPDATE SET last_seq = MAX(last_seq, excluded.last_seq)")
          .bind(1, business_id)
          .bind(2, current)
          .bind(3, current_seq)
          .run();
    }
    std::int64_t before = 0;
    {
      auto s = db_.prepare("SELECT last_seq FROM order_counters WHERE business_id = ? AND day = ?");
      s.bind(1, business_id).bind(2, day);
      if (s.step()) before = s.int64(0);
    }
    if (db_.prepare("UPDATE businesses SET counter_day = ?, counter_seq = ? WHERE id = ?")
            .bind(1, day)
            .bind(2, before + 1)
            .bind(3, business_id)
            .run() == 0) {
      return bump_day(day);
    }
    return before + 1;
  }
  void add_active_orders(const std::string& business_id, std::int64_t delta) override {
    db_.prepare("UPDATE businesses SET active_orders = MAX(0, active_orders + ?) WHERE id = ?")
        .bind(1, delta)
        .bind(2, business_id)
        .run();
  }

 private:
  sqlite::connection& db_;
};

device_record read_device(const sqlite::statement& s) {
  device_record d;
  d.id = s.text(0);
  d.business_id = s.text(1);
  d.name = s.text(2);
  d.mode = parse_enum(s.text(3), device_mode::shop);
  d.enabled = s.int64(4) != 0;
  d.online = s.int64(5) != 0;
  d.last_seen_ms = s.opt_int64(6);
  d.firmware = s.text(7);
  return d;
}

#define KH_DEVICE_COLS "id, business_id, name, mode, enabled, online, last_seen_ms, firmware"

class sqlite_devices final : public device_repository {
 public:
  explicit sqlite_devices(sqlite::connection& db) : db_(db) {}

  std::optional<device_record> find(const std::string& id) override {
    auto s = db_.prepare("SELECT " KH_DEVICE_COLS " FROM devices WHERE id = ?");
    s.bind(1, id);
    if (!s.step()) return std::nullopt;
    return read_device(s);
  }
  std::vector<device_record> by_business(const std::string& business_id) override {
    auto s = db_.prepare("SELECT " KH_DEVICE_COLS " FROM devices WHERE business_id = ? ORDER BY id");
    s.bind(1, business_id);
    std::vector<device_record> out;
    while (s.step()) out.push_back(read_device(s));
    return out;
  }
  void insert(const device_record& d, std::int64_t now_ms) override {
    db_.prepare(
           "INSERT INTO devices(id, business_id, name, mode, enabled, online, created_at_ms) "
           "VALUES (?,?,?,?,?,0,?)")
        .bind(1, d.id)
        .bind(2, d.business_id)
        .bind(3, d.name)
        .bind(4, protocol::to_string(d.mode))
        .bind(5, d.enabled)
        .bind(6, now_ms)
        .run();
  }
  bool record_hello(const std::string& id, const std::string& firmware, device_mode mode,
                    std::optional<std::int64_t> catalog_version, std::int64_t now_ms) override {
    return db_.prepare(
                  "UPDATE devices SET firmware = ?, reported_mode = ?, catalog_version_held = ?, online = 1, "
                  "last_seen_ms = ? WHERE id = ?")
               .bind(1, firmware)
               .bind(2, protocol::to_string(mode))
               .bind(3, catalog_version)
               .bind(4, now_ms)
               .bind(5, id)
               .run() > 0;
  }
  bool set_presence(const std::string& id, bool online, std::int64_t now_ms) override {
    return db_.prepare("UPDATE devices SET online = ?, last_seen_ms = ? WHERE id = ?")
               .bind(1, online)
               .bind(2, now_ms)
               .bind(3, id)
               .run() > 0;
  }
  std::int64_t count_online() override {
    auto s = db_.prepare("SELECT COUNT(*) FROM devices WHERE online = 1");
    s.step();
    return s.int64(0);
  }

 private:
  sqlite::connection& db_;
};

#define KH_PRODUCT_COLS \
    "business_id, id, category_id, sku, name, description, price, image_url, active, stock, position"

product_record read_product(const sqlite::statement& s) {
  product_record p;
  p.business_id = s.text(0);
  p.id = s.text(1);
  p.category_id = s.text(2);
  p.sku = s.text(3);
  p.name = s.text(4);
  p.description = s.text(5);
  p.price = s.int64(6);
  p.image_url = s.text(7);
  p.active = s.int64(8) != 0;
  p.stock = s.opt_int64(9);
  p.position = s.int32(10);
  return p;
}

class sqlite_catalog final : public catalog_repository {
 public:
  explicit sqlite_catalog(sqlite::connection& db) : db_(db) {}

  std::vector<category_record> categories(const std::string& business_id) override {
    auto s = db_.prepare(
        "SELECT business_id, id, name, position FROM categories WHERE business_id = ? ORDER BY position, id");
    s.bind(1, business_id);
    std::vector<category_record> out;
    while (s.step()) out.push_back({s.text(0), s.text(1), s.text(2), s.int32(3)});
    return out;
  }
  std::vector<product_record> products(const std::string& business_id) override {
    auto s = db_.prepare("SELECT " KH_PRODUCT_COLS
                         " FROM products WHERE business_id = ? ORDER BY category_id, position, id");
    s.bind(1, business_id);
    std::vector<product_record> out;
    while (s.step()) out.push_back(read_product(s));
    return out;
  }
  std::optional<product_record> find_product(const std::string& business_id, const std::string& id) override {
    auto s = db_.prepare("SELECT " KH_PRODUCT_COLS " FROM products WHERE business_id = ? AND id = ?");
    s.bind(1, business_id).bind(2, id);
    if (!s.step()) return std::nullopt;
    return read_product(s);
  }
  void insert_category(const category_record& c) override {
    db_.prepare("INSERT INTO categories(business_id, id, name, position) VALUES (?,?,?,?)")
        .bind(1, c.business_id)
        .bind(2, c.id)
        .bind(3, c.name)
        .bind(4, c.position)
        .run();
  }
  void insert_product(const product_record& p, std::int64_t now_ms) override {
    db_.prepare(
           "INSERT INTO products(business_id, id, category_id, sku, name, description, price, image_url, "
           "active, stock, position, updated_at_ms) VALUES (?,?,?,?,?,?,?,?,?,?,?,?)")
        .bind(1, p.business_id)
        .bind(2, p.id)
        .bind(3, p.category_id)
        .bind(4, p.sku)
        .bind(5, p.name)
        .bind(6, p.description)
        .bind(7, p.price)
        .bind(8, p.image_url)
        .bind(9, p.active)
        .bind(10, p.stock)
        .bind(11, p.position)
        .bind(12, now_ms)
        .run();
  }
  bool set_stock(const std::string& business_id, const std::string& product_id, std::optional<std::int64_t> stock,
                 std::int64_t now_ms) override {
    return db_.prepare("UPDATE products SET stock = ?, updated_at_ms = ? WHERE business_id = ? AND id = ?")
               .bind(1, stock)
               .bind(2, now_ms)
               .bind(3, business_id)
               .bind(4, product_id)
               .run() > 0;
  }
  bool take_stock(const std::string& business_id, const std::string& product_id, std::int64_t qty,
                  std::int64_t now_ms) override {
    // The WHERE clause is the guarantee: whatever anyone read before, the row only changes when
    // enough units are on hand at this instant (and the CHECK constraint backs it up).
    return db_.prepare(
                  "UPDATE products SET stock = stock - ?1, updated_at_ms = ?2 "
                  "WHERE business_id = ?3 AND id = ?4 AND (stock IS NULL OR stock >= ?1)")
               .bind(1, qty)
               .bind(2, now_ms)
               .bind(3, business_id)
               .bind(4, product_id)
               .run() > 0;
  }
  void return_stock(const std::string& business_id, const std::string& product_id, std::int64_t qty,
                    std::int64_t now_ms) override {
    db_.prepare(
           "UPDATE products SET stock = stock + ?1, updated_at_ms = ?2 "
           "WHERE business_id = ?3 AND id = ?4 AND stock IS NOT NULL")
        .bind(1, qty)
        .bind(2, now_ms)
        .bind(3, business_id)
        .bind(4, product_id)
        .run();
  }
  std::optional<discount_record> find_discount(const std::string& business_id, const std::string& code) override {
    auto s = db_.prepare(
        "SELECT business_id, code, kind, value, active, valid_from_ms, valid_until_ms, max_uses, uses, min_order "
        "FROM discount_codes WHERE business_id = ? AND code = upper(?)");
    s.bind(1, business_id).bind(2, code);
    if (!s.step()) return std::nullopt;
    discount_record d;
    d.business_id = s.text(0);
    d.code = s.text(1);
    d.rule.kind = s.text(2) == "fixed" ? discount_kind::fixed : discount_kind::percent;
    d.rule.value = s.int64(3);
    d.active = s.int64(4) != 0;
    d.valid_from_ms = s.opt_int64(5);
    d.valid_until_ms = s.opt_int64(6);
    d.max_uses = s.opt_int64(7);
    d.uses = s.int64(8);
    d.min_order = s.int64(9);
    return d;
  }
  void insert_discount(const discount_record& d) override {
    db_.prepare(
           "INSERT INTO discount_codes(business_id, code, kind, value, active, valid_from_ms, valid_until_ms, "
           "max_uses, min_order) VALUES (?, upper(?), ?, ?, ?, ?, ?, ?, ?)")
        .bind(1, d.business_id)
        .bind(2, d.code)
        .bind(3, d.rule.kind == discount_kind::fixed ? "fixed" : "percent")
        .bind(4, d.rule.value)
        .bind(5, d.active)
        .bind(6, d.valid_from_ms)
        .bind(7, d.valid_until_ms)
        .bind(8, d.max_uses)
        .bind(9, d.min_order)
        .run();
  }
  bool take_discount_use(const std::string& business_id, const std::string& code) override {
    return db_.prepare(
                  "UPDATE discount_codes SET uses = uses + 1 WHERE business_id = ? AND code = upper(?) "
                  "AND (max_uses IS NULL OR uses < max_uses)")
               .bind(1, business_id)
               .bind(2, code)
               .run() == 1;
  }

 private:
  sqlite::connection& db_;
};

#define KH_ORDER_COLS \
    "id, business_id, COALESCE(device_id, ''), day, seq, number, order_type, payment_method, state, currency, " \
    "subtotal, discount, tax, delivery_fee, total, tax_rate_bp, tax_inclusive, COALESCE(discount_code, ''), " \
    "customer_name, customer_phone, customer_email, eta_ms, created_at_ms, updated_at_ms, COALESCE(request_fp, '')"

order_record read_order(const sqlite::statement& s) {
  order_record o;
  o.id = s.text(0);
  o.business_id = s.text(1);
  o.device_id = s.text(2);
  o.day = s.text(3);
  o.seq = s.int64(4);
  o.number = s.text(5);
  o.type = parse_enum(s.text(6), order_type::takeaway);
  o.payment = parse_enum(s.text(7), payment_method::card_present);
  o.state = parse_enum(s.text(8), order_state::pending_payment);
  o.currency = s.text(9);
  o.totals.subtotal = s.int64(10);
  o.totals.discount = s.int64(11);
  o.totals.tax = s.int64(12);
  o.totals.delivery_fee = s.int64(13);
  o.totals.total = s.int64(14);
  o.tax_rate_bp = s.int64(15);
  o.tax_inclusive = s.int64(16) != 0;
  o.discount_code = s.text(17);
  o.cust.name = s.text(18);
  o.cust.phone = s.text(19);
  o.cust.email = s.text(20);
  o.eta_ms = s.int64(21);
  o.created_at_ms = s.int64(22);
  o.updated_at_ms = s.int64(23);
  o.request_fp = s.text(24);
  return o;
}

class sqlite_orders final : public order_repository {
 public:
  explicit sqlite_orders(sqlite::connection& db) : db_(db) {}

  std::optional<order_record> find(const std::string& id) override {
    auto s = db_.prepare("SELECT " KH_ORDER_COLS " FROM orders WHERE id = ?");
    s.bind(1, id);
    if (!s.step()) return std::nullopt;
    return read_order(s);
  }
  std::optional<order_record> find_with_lines(const std::string& id) override {
    auto o = find(id);
    if (!o) return o;
    auto s = db_.prepare(
        "SELECT line_no, product_id, sku, name, unit_price, qty, line_total, note, stock_tracked "
        "FROM order_lines WHERE order_id = ? ORDER BY line_no");
    s.bind(1, id);
    while (s.step()) {
      o->lines.push_back({s.int32(0), s.text(1), s.text(2), s.text(3), s.int64(4), s.int32(5), s.int64(6),
                          s.text(7), s.int64(8) != 0});
    }
    return o;
  }
  void insert(const order_record& o) override {
    auto s = db_.prepare(
        "INSERT INTO orders(id, business_id, device_id, day, seq, number, order_type, payment_method, state, "
        "currency, subtotal, discount, tax, delivery_fee, total, tax_rate_bp, tax_inclusive, discount_code, "
        "customer_name, customer_phone, customer_email, eta_ms, created_at_ms, updated_at_ms, request_fp) "
        "VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?)");
    s.bind(1, o.id).bind(2, o.business_id);
    if (o.device_id.empty()) {
      s.bind(3, std::nullopt);
    } else {
      s.bind(3, o.device_id);
    }
    s.bind(4, o.day)
        .bind(5, o.seq)
        .bind(6, o.number)
        .bind(7, protocol::to_string(o.type))
        .bind(8, protocol::to_string(o.payment))
        .bind(9, protocol::to_string(o.state))
        .bind(10, o.currency)
        .bind(11, o.totals.subtotal)
        .bind(12, o.totals.discount)
        .bind(13, o.totals.tax)
        .bind(14, o.totals.delivery_fee)
        .bind(15, o.totals.total)
        .bind(16, o.tax_rate_bp)
        .bind(17, o.tax_inclusive);
    if (o.discount_code.empty()) {
      s.bind(18, std::nullopt);
    } else {
      s.bind(18, o.discount_code);
    }
    s.bind(19, o.cust.name)
        .bind(20, o.cust.phone)
        .bind(21, o.cust.email)
        .bind(22, o.eta_ms)
        .bind(23, o.created_at_ms)
        .bind(24, o.updated_at_ms);
    if (o.request_fp.empty()) {
      s.bind(25, std::nullopt);
    } else {
      s.bind(25, o.request_fp);
    }
    s.run();
    for (const auto& l : o.lines) {
      db_.prepare(
             "INSERT INTO order_lines(order_id, line_no, product_id, sku, name, unit_price, qty, line_total, "
             "note, stock_tracked) VALUES (?,?,?,?,?,?,?,?,?,?)")
          .bind(1, o.id)
          .bind(2, l.line_no)
          .bind(3, l.product_id)
          .bind(4, l.sku)
          .bind(5, l.name)
          .bind(6, l.unit_price)
          .bind(7, l.qty)
          .bind(8, l.line_total)
          .bind(9, l.note)
          .bind(10, l.stock_tracked)
          .run();
    }
  }
  void set_state(const std::string& id, order_state st, std::int64_t now_ms) override {
    db_.prepare("UPDATE orders SET state = ?, updated_at_ms = ? WHERE id = ?")
        .bind(1, protocol::to_string(st))
        .bind(2, now_ms)
        .bind(3, id)
        .run();
  }
  void add_history(const std::string& order_id, const state_change_record& c) override {
    if (!c.from) {
      // Creation is step 0 by definition: no need to look for the last step.
      db_.prepare(
             "INSERT INTO order_state_history(order_id, step, from_state, to_state, actor, reason, at_ms) "
             "VALUES (?, 0, NULL, ?, ?, ?, ?)")
          .bind(1, order_id)
          .bind(2, protocol::to_string(c.to))
          .bind(3, c.actor)
          .bind(4, c.reason)
          .bind(5, c.at_ms)
          .run();
      return;
    }
    auto s = db_.prepare(
        "INSERT INTO order_state_history(order_id, step, from_state, to_state, actor, reason, at_ms) VALUES "
        "(?1, (SELECT COALESCE(MAX(step) + 1, 1) FROM order_state_history WHERE order_id = ?1), ?2, ?3, ?4, ?5, ?6)");
    s.bind(1, order_id);
    if (c.from) {
      s.bind(2, protocol::to_string(*c.from));
    } else {
      s.bind(2, std::nullopt);
    }
    s.bind(3, protocol::to_string(c.to)).bind(4, c.actor).bind(5, c.reason).bind(6, c.at_ms).run();
  }
  std::vector<state_change_record> history(const std::string& order_id) override {
    auto s = db_.prepare(
        "SELECT from_state, to_state, actor, reason, at_ms FROM order_history WHERE order_id = ? ORDER BY step");
    s.bind(1, order_id);
    std::vector<state_change_record> out;
    while (s.step()) {
      state_change_record c;
      if (!s.is_null(0)) c.from = parse_enum(s.text(0), order_state::pending_payment);
      c.to = parse_enum(s.text(1), order_state::pending_payment);
      c.actor = s.text(2);
      c.reason = s.text(3);
      c.at_ms = s.int64(4);
      out.push_back(std::move(c));
    }
    return out;
  }
  std::vector<std::string> in_state_before(order_state st, std::int64_t before_ms, int limit) override {
    // Unpaid orders (the expiry scan, every few seconds): all of them are in the partial index
    // orders_pending_by_device and nothing else is, so this reads the unpaid orders only. Other
    // states have no index for this (schema v14) and scan the table.
    auto s = db_.prepare(
        st == order_state::pending_payment
            ? "SELECT id FROM orders INDEXED BY orders_pending_by_device WHERE state = 'pending_payment' "
              "AND created_at_ms < ?2 ORDER BY created_at_ms LIMIT ?3"
            : "SELECT id FROM orders WHERE state = ?1 AND created_at_ms < ?2 ORDER BY created_at_ms LIMIT ?3");
    if (st != order_state::pending_payment) s.bind(1, protocol::to_string(st));
    s.bind(2, before_ms).bind(3, limit);
    std::vector<std::string> out;
    while (s.step()) out.push_back(s.text(0));
    return out;
  }
  std::int64_t unpaid_units_held(const std::string& device_id) override {
    auto s = db_.prepare(
        "SELECT COALESCE(SUM(l.qty), 0) FROM orders o INDEXED BY orders_pending_by_device "
        "JOIN order_lines l ON l.order_id = o.id "
        "WHERE o.device_id = ? AND o.state = 'pending_payment' AND l.stock_tracked = 1");
    s.bind(1, device_id);
    s.step();
    return s.int64(0);
  }
  std::int64_t count(const std::string& business_id) override {
    auto s = db_.prepare("SELECT COUNT(*) FROM orders WHERE business_id = ?");
    s.bind(1, business_id);
    s.step();
    return s.int64(0);
  }

 private:
  sqlite::connection& db_;
};

class sqlite_answers final : public answer_repository {
 public:
  explicit sqlite_answers(sqlite::connection& db) : db_(db) {}
  std::optional<stored_answer> find(const std::string& order_id) override {
    auto s = db_.prepare(
        "SELECT order_id, device_id, type, body, fingerprint, created_at_ms FROM order_answers WHERE order_id = ?");
    s.bind(1, order_id);
    if (!s.step()) return std::nullopt;
    return stored_answer{s.text(0), s.text(1), s.text(2), s.text(3), s.text(4), s.int64(5)};
  }
  void insert(const stored_answer& a) override {
    db_.prepare(
           "INSERT INTO order_answers(order_id, device_id, type, body, fingerprint, created_at_ms) "
           "VALUES (?,?,?,?,?,?)")
        .bind(1, a.order_id)
        .bind(2, a.device_id)
        .bind(3, a.type)
        .bind(4, a.body)
        .bind(5, a.fingerprint)
        .bind(6, a.created_at_ms)
        .run();
  }

 private:
  sqlite::connection& db_;
};

class sqlite_outbox final : public outbox_repository {
 public:
  explicit sqlite_outbox(sqlite::connection& db) : db_(db) {}
  void enqueue(const outbox_record& r) override {
    auto s = db_.prepare(
        "INSERT INTO notification_outbox(business_id, order_id, kind, payload, created_at_ms, next_attempt_ms) "
        "VALUES (?,?,?,?,?,?)");
    s.bind(1, r.business_id);
    if (r.order_id.empty()) {
      s.bind(2, std::nullopt);
    } else {
      s.bind(2, r.order_id);
    }
    s.bind(3, r.kind).bind(4, r.payload).bind(5, r.created_at_ms).bind(6, r.next_attempt_ms).run();
  }
  std::vector<outbox_record> due(std::int64_t now_ms, int limit) override {
    auto s = db_.prepare(
        "SELECT id, business_id, COALESCE(order_id, ''), kind, payload, created_at_ms, next_attempt_ms, attempts "
        "FROM notification_outbox WHERE sent_at_ms IS NULL AND next_attempt_ms <= ? ORDER BY id LIMIT ?");
    s.bind(1, now_ms).bind(2, limit);
    std::vector<outbox_record> out;
    while (s.step()) {
      out.push_back({s.int64(0), s.text(1), s.text(2), s.text(3), s.text(4), s.int64(5), s.int64(6), s.int32(7)});
    }
    return out;
  }

 private:
  sqlite::connection& db_;
};

class sqlite_fleet final : public fleet_repository {
 public:
  explicit sqlite_fleet(sqlite::connection& db) : db_(db) {}

  void insert_api_token(const api_token_record& t) override {
    db_.prepare("INSERT INTO api_tokens(id, business_id, name, secret_hash, created_at_ms) VALUES (?,?,?,?,?)")
        .bind(1, t.id)
        .bind(2, t.business_id)
        .bind(3, t.name)
        .bind(4, t.secret_hash)
        .bind(5, t.created_at_ms)
        .run();
  }
  std::optional<api_token_record> find_api_token(const std::string& id) override {
    auto s = db_.prepare(
        "SELECT id, business_id, name, secret_hash, created_at_ms, last_used_ms, revoked_at_ms FROM api_tokens "
        "WHERE id = ?");
    s.bind(1, id);
    if (!s.step()) return std::nullopt;
    return read_api(s);
  }
  std::vector<api_token_record> api_tokens() override {
    auto s = db_.prepare(
        "SELECT id, business_id, name, secret_hash, created_at_ms, last_used_ms, revoked_at_ms FROM api_tokens "
        "ORDER BY created_at_ms, id");
    std::vector<api_token_record> out;
    while (s.step()) out.push_back(read_api(s));
    return out;
  }
  bool revoke_api_token(const std::string& id, std::int64_t now_ms) override {
    return db_.prepare("UPDATE api_tokens SET revoked_at_ms = ? WHERE id = ? AND revoked_at_ms IS NULL")
               .bind(1, now_ms)
               .bind(2, id)
               .run() > 0;
  }
  void touch_api_token(const std::string& id, std::int64_t now_ms) override {
    db_.prepare("UPDATE api_tokens SET last_used_ms = ? WHERE id = ?").bind(1, now_ms).bind(2, id).run();
  }
  void insert_enrollment_token(const enrollment_token_record& t) override {
    db_.prepare(
           "INSERT INTO enrollment_tokens(id, business_id, mode, name, secret_hash, created_by, created_at_ms, "
           "expires_at_ms) VALUES (?,?,?,?,?,?,?,?)")
        .bind(1, t.id)
        .bind(2, t.business_id)
        .bind(3, protocol::to_string(t.mode))
        .bind(4, t.name)
        .bind(5, t.secret_hash)
        .bind(6, t.created_by)
        .bind(7, t.created_at_ms)
        .bind(8, t.expires_at_ms)
        .run();
  }
  std::optional<enrollment_token_record> find_enrollment_token(const std::string& id) override {
    auto s = db_.prepare(
        "SELECT id, business_id, mode, name, secret_hash, created_by, created_at_ms, expires_at_ms, used_at_ms, "
        "COALESCE(device_id, '') FROM enrollment_tokens WHERE id = ?");
    s.bind(1, id);
    if (!s.step()) return std::nullopt;
    enrollment_token_record t;
    t.id = s.text(0);
    t.business_id = s.text(1);
    t.mode = parse_enum(s.text(2), device_mode::shop);
    t.name = s.text(3);
    t.secret_hash = s.text(4);
    t.created_by = s.text(5);
    t.created_at_ms = s.int64(6);
    t.expires_at_ms = s.int64(7);
    t.used_at_ms = s.opt_int64(8);
    t.device_id = s.text(9);
    return t;
  }
  bool use_enrollment_token(const std::string& id, const std::string& device_id, std::int64_t now_ms) override {
    return db_.prepare("UPDATE enrollment_tokens SET used_at_ms = ?, device_id = ? WHERE id = ? AND used_at_ms IS NULL")
               .bind(1, now_ms)
               .bind(2, device_id)
               .bind(3, id)
               .run() > 0;
  }
  void upsert_credentials(const device_credentials_record& c) override {
    auto st = db_.prepare(
           "INSERT INTO device_credentials(device_id, username, generation, pending_password, pending_generation, "
           "rotated_at_ms, revoked_at_ms) VALUES (?,?,?,?,?,?,?) ON CONFLICT(device_id) DO UPDATE SET "
           "username = excluded.username, generation = excluded.generation, pending_password = "
           "excluded.pending_password, pending_generation = excluded.pending_generation, rotated_at_ms = "
           "excluded.rotated_at_ms, revoked_at_ms = excluded.revoked_at_ms");
    st.bind(1, c.device_id)
        .bind(2, c.username)
        .bind(3, c.generation);
    if (c.pending_password.empty()) st.bind(4, std::nullopt);
    else st.bind(4, c.pending_password);
    st.bind(5, c.pending_generation)
        .bind(6, c.rotated_at_ms)
        .bind(7, c.revoked_at_ms)
        .run();
  }
  std::optional<device_credentials_record> credentials(const std::string& device_id) override {
    auto s = db_.prepare(
        "SELECT device_id, username, generation, COALESCE(pending_password, ''), pending_generation, rotated_at_ms, "
        "revoked_at_ms FROM device_credentials WHERE device_id = ?");
    s.bind(1, device_id);
    if (!s.step()) return std::nullopt;
    device_credentials_record c;
    c.device_id = s.text(0);
    c.username = s.text(1);
    c.generation = s.int64(2);
    c.pending_password = s.text(3);
    c.pending_generation = s.opt_int64(4);
    c.rotated_at_ms = s.opt_int64(5);
    c.revoked_at_ms = s.opt_int64(6);
    return c;
  }
  bool set_device_enabled(const std::string& device_id, bool enabled) override {
    return db_.prepare("UPDATE devices SET enabled = ? WHERE id = ?").bind(1, enabled).bind(2, device_id).run() > 0;
  }

 private:
  static api_token_record read_api(const sqlite::statement& s) {
    api_token_record t;
    t.id = s.text(0);
    t.business_id = s.text(1);
    t.name = s.text(2);
    t.secret_hash = s.text(3);
    t.created_at_ms = s.int64(4);
    t.last_used_ms = s.opt_int64(5);
    t.revoked_at_ms = s.opt_int64(6);
    return t;
  }
  sqlite::connection& db_;
};

class sqlite_write_transaction final : public write_transaction {
 public:
  sqlite_write_transaction(sqlite::connection& db, int& depth) : tx_(db), depth_(depth) { ++depth_; }
  ~sqlite_write_transaction() override {
    if (open_) --depth_;
  }
  void commit() override {
    tx_.commit();
    open_ = false;
    --depth_;
  }

 private:
  sqlite::transaction tx_;
  int& depth_;  // open units of work of the store
  bool open_ = true;
};

// A unit of work inside an open transaction (see store::begin): SAVEPOINT … RELEASE, or
// ROLLBACK TO (undoing only its own writes) when dropped without commit().
class sqlite_savepoint final : public write_transaction {
 public:
  sqlite_savepoint(sqlite::connection& db, int& depth) : db_(db), depth_(depth) {
    // SQLite ends the whole transaction on some errors (SQLITE_FULL, SQLITE_IOERR, …); a
    // SAVEPOINT would then silently start a new one, and the writes before it would be gone
    // while the caller still counts on them. Fail instead.
    if (!db_.in_transaction()) {
      throw sqlite::error(1, "the enclosing transaction was rolled back by an earlier error");
    }
    db_.prepare("SAVEPOINT kh_unit").run();
    ++depth_;
    active_ = true;
  }
  ~sqlite_savepoint() override {
    if (!active_) return;
    --depth_;
    // Cannot fail while the transaction is open; if SQLite already ended it there is nothing left.
    if (db_.in_transaction()) {
      try {
        db_.prepare("ROLLBACK TO kh_unit").run();
        db_.prepare("RELEASE kh_unit").run();
      } catch (...) {
      }
    }
  }
  void commit() override {
    db_.prepare("RELEASE kh_unit").run();
    active_ = false;
    --depth_;
  }

 private:
  sqlite::connection& db_;
  int& depth_;
  bool active_ = false;
};

class sqlite_store final : public store {
 public:
  sqlite_store(const std::string& path, store_options opts)
      : db_(path, sqlite::open_options{opts.sync, opts.busy_timeout, false, opts.background_checkpoint, opts.vfs}),
        businesses_(db_),
        devices_(db_),
        catalog_(db_),
        orders_(db_),
        answers_(db_),
        outbox_(db_),
        fleet_(db_),
        shop_(make_sqlite_shop(db_)) {
    migrate(db_);
    if (opts.background_checkpoint) {
      checkpointer_ = std::make_unique<sqlite::checkpointer>(path);
      db_.watch_wal(checkpointer_.get());
    }
  }
  ~sqlite_store() override { db_.watch_wal(nullptr); }

  business_repository& businesses() override { return businesses_; }
  device_repository& devices() override { return devices_; }
  catalog_repository& catalog() override { return catalog_; }
  order_repository& orders() override { return orders_; }
  answer_repository& answers() override { return answers_; }
  outbox_repository& outbox() override { return outbox_; }
  fleet_repository& fleet() override { return fleet_; }
  shop_repository& shop() override { return *shop_; }
  std::unique_ptr<write_transaction> begin() override {
    if (depth_ > 0) return std::make_unique<sqlite_savepoint>(db_, depth_);
    return std::make_unique<sqlite_write_transaction>(db_, depth_);
  }
  std::uint64_t checkpointer_passes() const noexcept override {
    return checkpointer_ ? checkpointer_->copying_passes() : 0;
  }
  std::string probe_write(std::int64_t now_ms) noexcept override {
    try {
      auto tx = begin();
      db_.prepare("UPDATE health_probe SET at_ms = ? WHERE id = 1").bind(1, now_ms).run();
      tx->commit();
      return {};
    } catch (const std::exception& e) {
      return e.what();
    }
  }

  sqlite::connection& connection() { return db_; }
  bool healthy() noexcept override {
    try {
      auto s = db_.prepare("SELECT 1");
      return s.step() && s.int64(0) == 1;
    } catch (...) {
      return false;
    }
  }

 private:
  sqlite::connection db_;
  sqlite_businesses businesses_;
  sqlite_devices devices_;
  sqlite_catalog catalog_;
  sqlite_orders orders_;
  sqlite_answers answers_;
  sqlite_outbox outbox_;
  sqlite_fleet fleet_;
  std::unique_ptr<shop_repository> shop_;
  std::unique_ptr<sqlite::checkpointer> checkpointer_;  // stops before db_ closes
  int depth_ = 0;  // units of work begun and not yet committed or dropped: the outermost is the
                   // transaction, the others savepoints
};

}  // namespace

std::unique_ptr<store> open_sqlite_store(const std::string& path, store_options opts) {
  return std::make_unique<sqlite_store>(path, opts);
}

sqlite::connection& sqlite_connection(store& s) {
  auto* q = dynamic_cast<sqlite_store*>(&s);
  if (!q) throw std::logic_error("sqlite_connection: not a SQLite store");
  return q->connection();
}

std::string database_path(const std::string& data_dir) {
  return (std::filesystem::path(data_dir) / "kioskhub.db").string();
}

}  // namespace kh::hub
