// SQLite implementation of shop_repository (tables of schema migration 3).
#include "sqlite_shop.hpp"

#include <nlohmann/json.hpp>

namespace kh::hub {

namespace {

using json = nlohmann::json;
namespace kp = protocol;

std::vector<std::string> split_commas(const std::string& s) {
  std::vector<std::string> out;
  std::size_t start = 0;
  while (start <= s.size()) {
    const auto comma = s.find(',', start);
    const auto end = comma == std::string::npos ? s.size() : comma;
    if (end > start) out.push_back(s.substr(start, end - start));
    if (comma == std::string::npos) break;
    start = comma + 1;
  }
  return out;
}

template <class T>
std::string join_commas(const std::vector<T>& v) {
  std::string out;
  for (const auto& x : v) {
    if (!out.empty()) out.push_back(',');
    if constexpr (std::is_same_v<T, std::string>) {
      out += x;
    } else {
      out += kp::to_string(x);
    }
  }
  return out;
}

class sqlite_shop final : public shop_repository {
 public:
  explicit sqlite_shop(sqlite::connection& db) : db_(db) {}

  std::optional<kp::store_profile> profile(const std::string& business_id) override {
    auto b = db_.prepare(
        "SELECT currency, tax_rate_bp, tax_inclusive, always_open, COALESCE(time_zone, ''), "
        "languages, banner, payment_methods, age_amber_seconds, age_red_seconds FROM businesses WHERE id = ?");
    b.bind(1, business_id);
    if (!b.step()) return std::nullopt;
    kp::store_profile p;
    const std::string currency = b.text(0);
    p.tax_rate_bp = b.int64(1);
    p.tax = b.int64(2) != 0 ? kp::tax_mode::inclusive : kp::tax_mode::exclusive;
    p.always_open = b.int64(3) != 0;
    p.time_zone = b.text(4).empty() ? "UTC" : b.text(4);
    p.languages = split_commas(b.text(5));
    if (p.languages.empty()) p.languages = {"en"};
    p.banner = b.text(6);
    for (const auto& w : split_commas(b.text(7))) {
      kp::payment_method m{};
      if (kp::from_string(w, m) && !p.accepts(m)) p.payment_methods.push_back(m);
    }
    p.age_amber_seconds = b.int32(8);
    p.age_red_seconds = b.int32(9);

    auto t = db_.prepare(
        "SELECT order_type, enabled, table_numbers, slot_minutes, lead_minutes, fee, minimum, area "
        "FROM business_order_types WHERE business_id = ? ORDER BY position, order_type");
    t.bind(1, business_id);
    bool any_row = false;
    while (t.step()) {
      any_row = true;
      if (t.int64(1) == 0) continue;
      kp::order_type_offer o;
      if (!kp::from_string(t.text(0), o.type)) continue;
      // Each type carries only its own settings (the codec's shape), so profiles compare equal.
      o.fee = {0, currency};
      o.minimum = {0, currency};
      if (o.type == kp::order_type::eat_in) o.table_numbers = t.int64(2) != 0;
      if (o.type == kp::order_type::pickup) {
        o.slot_minutes = t.int32(3);
        o.lead_minutes = t.int32(4);
      }
      if (o.type == kp::order_type::delivery) {
        o.fee = {t.int64(5), currency};
        o.minimum = {t.int64(6), currency};
        o.area = t.text(7);
      }
      p.order_types.push_back(std::move(o));
    }
    if (!any_row) {
      // Businesses from before migration 3 offer every type (that was the behaviour).
      for (auto type : {kp::order_type::eat_in, kp::order_type::takeaway, kp::order_type::pickup,
                        kp::order_type::delivery}) {
        kp::order_type_offer o;
        o.type = type;
        if (type == kp::order_type::pickup) o.slot_minutes = 15;
        o.fee = {0, currency};
        o.minimum = {0, currency};
        p.order_types.push_back(std::move(o));
      }
    }
    auto h = db_.prepare(
        "SELECT weekday, opens_minute, closes_minute FROM opening_hours WHERE business_id = ? "
        "ORDER BY weekday, opens_minute");
    h.bind(1, business_id);
    while (h.step()) p.opening_hours.push_back({h.int32(0), h.int32(1), h.int32(2)});
    return p;
  }

  bool set_profile(const std::string& business_id, const kp::store_profile& p) override {
    db_.prepare(
           "UPDATE businesses SET tax_rate_bp = ?, tax_inclusive = ?, always_open = ?, time_zone = ?, "
           "languages = ?, banner = ?, payment_methods = ?, age_amber_seconds = ?, age_red_seconds = ? WHERE id = ?")
        .bind(1, p.tax_rate_bp)
        .bind(2, p.tax == kp::tax_mode::inclusive)
        .bind(3, p.always_open)
        .bind(4, p.time_zone)
        .bind(5, join_commas(p.languages))
        .bind(6, p.banner)
        .bind(7, join_commas(p.payment_methods))
        .bind(8, p.age_amber_seconds)
        .bind(9, p.age_red_seconds)
        .bind(10, business_id)
        .run();
    if (db_.changes() == 0) return false;
    db_.prepare("DELETE FROM business_order_types WHERE business_id = ?").bind(1, business_id).run();
    int pos = 0;
    for (const auto& o : p.order_types) {
      db_.prepare(
             "INSERT INTO business_order_types(business_id, order_type, enabled, table_numbers, "
             "slot_minutes, lead_minutes, fee, minimum, area, position) VALUES (?,?,1,?,?,?,?,?,?,?)")
          .bind(1, business_id)
          .bind(2, kp::to_string(o.type))
          .bind(3, o.table_numbers)
          .bind(4, o.type == kp::order_type::pickup ? o.slot_minutes : 15)
          .bind(5, o.type == kp::order_type::pickup ? o.lead_minutes : 20)
          .bind(6, o.type == kp::order_type::delivery ? o.fee.amount : 0)
          .bind(7, o.type == kp::order_type::delivery ? o.minimum.amount : 0)
          .bind(8, o.area)
          .bind(9, pos++)
          .run();
    }
    // Offered types are listed; the others are stored disabled, so "none stored" stays legacy.
    for (auto type : {kp::order_type::eat_in, kp::order_type::takeaway, kp::order_type::pickup,
                      kp::order_type::delivery}) {
      if (p.offer(type) != nullptr) continue;
      db_.prepare(
             "INSERT INTO business_order_types(business_id, order_type, enabled, position) "
             "VALUES (?,?,0,?)")
          .bind(1, business_id)
          .bind(2, kp::to_string(type))
          .bind(3, pos++)
          .run();
    }
    db_.prepare("DELETE FROM opening_hours WHERE business_id = ?").bind(1, business_id).run();
    for (const auto& s : p.opening_hours) {
      db_.prepare(
             "INSERT OR IGNORE INTO opening_hours(business_id, weekday, opens_minute, closes_minute) "
             "VALUES (?,?,?,?)")
          .bind(1, business_id)
          .bind(2, s.weekday)
          .bind(3, s.opens_minute)
          .bind(4, s.closes_minute)
          .run();
    }
    return true;
  }

  std::string time_zone(const std::string& business_id) override {
    auto s = db_.prepare("SELECT COALESCE(time_zone, '') FROM businesses WHERE id = ?");
    s.bind(1, business_id);
    return s.step() ? s.text(0) : std::string();
  }

  std::vector<kp::option_group> option_groups(const std::string& business_id,
                                              const std::string& product_id) override {
    auto all = read_groups(business_id, &product_id);
    auto it = all.find(product_id);
    return it == all.end() ? std::vector<kp::option_group>{} : std::move(it->second);
  }

  std::map<std::string, std::vector<kp::option_group>> all_option_groups(
      const std::string& business_id) override {
    return read_groups(business_id, nullptr);
  }

  std::vector<kp::availability_window> availability(const std::string& business_id,
                                                    const std::string& product_id) override {
    auto all = read_availability(business_id, &product_id);
    auto it = all.find(product_id);
    return it == all.end() ? std::vector<kp::availability_window>{} : std::move(it->second);
  }

  std::map<std::string, std::vector<kp::availability_window>> all_availability(
      const std::string& business_id) override {
    return read_availability(business_id, nullptr);
  }

  void set_availability(const std::string& business_id, const std::string& product_id,
                        const std::vector<kp::availability_window>& windows) override {
    db_.prepare("DELETE FROM product_availability WHERE business_id = ? AND product_id = ?")
        .bind(1, business_id)
        .bind(2, product_id)
        .run();
    int pos = 0;
    for (const auto& w : windows) {
      db_.prepare(
             "INSERT INTO product_availability(business_id, product_id, position, days, from_minute, "
             "until_minute) VALUES (?,?,?,?,?,?)")
          .bind(1, business_id)
          .bind(2, product_id)
          .bind(3, pos++)
          .bind(4, static_cast<std::int64_t>(w.days))
          .bind(5, w.from_minute)
          .bind(6, w.until_minute)
          .run();
    }
  }

  std::map<std::string, std::vector<kp::availability_window>> read_availability(const std::string& business_id,
                                                                                 const std::string* product_id) {
    std::map<std::string, std::vector<kp::availability_window>> out;
    auto s = db_.prepare(product_id ? "SELECT product_id, days, from_minute, until_minute FROM product_availability "
                                      "WHERE business_id = ? AND product_id = ? ORDER BY position"
                                    : "SELECT product_id, days, from_minute, until_minute FROM product_availability "
                                      "WHERE business_id = ? ORDER BY product_id, position");
    s.bind(1, business_id);
    if (product_id) s.bind(2, *product_id);
    while (s.step()) {
      out[s.text(0)].push_back({static_cast<unsigned>(s.int64(1)), s.int32(2), s.int32(3)});
    }
    return out;
  }

  void set_option_groups(const std::string& business_id, const std::string& product_id,
                         const std::vector<kp::option_group>& groups) override {
    db_.prepare("DELETE FROM options WHERE business_id = ? AND product_id = ?")
        .bind(1, business_id)
        .bind(2, product_id)
        .run();
    db_.prepare("DELETE FROM option_groups WHERE business_id = ? AND product_id = ?")
        .bind(1, business_id)
        .bind(2, product_id)
        .run();
    int gpos = 0;
    for (const auto& g : groups) {
      db_.prepare(
             "INSERT INTO option_groups(business_id, product_id, id, name, min_choices, max_choices, "
             "position) VALUES (?,?,?,?,?,?,?)")
          .bind(1, business_id)
          .bind(2, product_id)
          .bind(3, g.id)
          .bind(4, g.name)
          .bind(5, g.min_choices)
          .bind(6, g.max_choices)
          .bind(7, gpos++)
          .run();
      int opos = 0;
      for (const auto& o : g.options) {
        db_.prepare(
               "INSERT INTO options(business_id, product_id, group_id, id, name, price_delta, "
               "available, preselected, position) VALUES (?,?,?,?,?,?,?,?,?)")
            .bind(1, business_id)
            .bind(2, product_id)
            .bind(3, g.id)
            .bind(4, o.id)
            .bind(5, o.name)
            .bind(6, o.price_delta.amount)
            .bind(7, o.available)
            .bind(8, o.preselected)
            .bind(9, opos++)
            .run();
      }
    }
  }

  void insert_order_details(const std::string& order_id, const order_details& d) override {
    json lines = json::object();
    for (const auto& [line_no, opts] : d.line_options) {
      json arr = json::array();
      for (const auto& o : opts) {
        arr.push_back({{"group_id", o.group_id},
                       {"option_id", o.option_id},
                       {"group_name", o.group_name},
                       {"option_name", o.option_name},
                       {"price_delta", o.price_delta}});
      }
      lines[std::to_string(line_no)] = std::move(arr);
    }
    db_.prepare(
           "INSERT INTO order_details(order_id, table_number, pickup_at_ms, delivery_address, offline, "
           "placed_at_ms, stock_conflict, line_options) VALUES (?,?,?,?,?,?,?,?)")
        .bind(1, order_id)
        .bind(2, d.table)
        .bind(3, d.pickup_at_ms)
        .bind(4, d.delivery_address)
        .bind(5, d.offline)
        .bind(6, d.placed_at_ms)
        .bind(7, d.stock_conflict)
        .bind(8, lines.dump())
        .run();
  }

  order_details order_details_of(const std::string& order_id) override {
    auto s = db_.prepare(
        "SELECT table_number, pickup_at_ms, delivery_address, offline, placed_at_ms, stock_conflict, "
        "line_options FROM order_details WHERE order_id = ?");
    s.bind(1, order_id);
    order_details d;
    if (!s.step()) return d;
    d.table = s.text(0);
    d.pickup_at_ms = s.opt_int64(1);
    d.delivery_address = s.text(2);
    d.offline = s.int64(3) != 0;
    d.placed_at_ms = s.opt_int64(4);
    d.stock_conflict = s.int64(5) != 0;
    const json lines = json::parse(s.text(6), nullptr, false);
    if (lines.is_object()) {
      for (const auto& [key, arr] : lines.items()) {
        if (!arr.is_array()) continue;
        auto& out = d.line_options[std::stoi(key)];
        for (const auto& o : arr) {
          out.push_back({o.value("group_id", ""), o.value("option_id", ""), o.value("group_name", ""),
                         o.value("option_name", ""), o.value("price_delta", std::int64_t{0})});
        }
      }
    }
    return d;
  }

  std::int64_t count_stock_conflicts(const std::string& business_id) override {
    auto s = db_.prepare(
        "SELECT COUNT(*) FROM order_details d JOIN orders o ON o.id = d.order_id "
        "WHERE o.business_id = ? AND d.stock_conflict = 1");
    s.bind(1, business_id);
    s.step();
    return s.int64(0);
  }

  bool insert_feedback_once(const feedback_record& f) override {
    db_.prepare(
           "INSERT INTO order_feedback(order_id, business_id, device_id, rating, comment, created_at_ms) "
           "VALUES (?,?,?,?,?,?) ON CONFLICT(order_id) DO NOTHING")
        .bind(1, f.order_id)
        .bind(2, f.business_id)
        .bind(3, f.device_id)
        .bind(4, f.rating)
        .bind(5, f.comment)
        .bind(6, f.created_at_ms)
        .run();
    return db_.changes() > 0;
  }

  std::optional<feedback_record> feedback(const std::string& order_id) override {
    auto s = db_.prepare(
        "SELECT order_id, business_id, device_id, rating, comment, created_at_ms FROM order_feedback "
        "WHERE order_id = ?");
    s.bind(1, order_id);
    if (!s.step()) return std::nullopt;
    return feedback_record{s.text(0), s.text(1), s.text(2), s.int32(3), s.text(4), s.int64(5)};
  }

  void set_device_status(const device_status_record& r) override {
    db_.prepare(
           "INSERT INTO device_status(device_id, printer, camera, outbox, firmware, detail, updated_at_ms) "
           "VALUES (?,?,?,?,?,?,?) ON CONFLICT(device_id) DO UPDATE SET printer = excluded.printer, "
           "camera = excluded.camera, outbox = excluded.outbox, firmware = excluded.firmware, "
           "detail = excluded.detail, updated_at_ms = excluded.updated_at_ms")
        .bind(1, r.device_id)
        .bind(2, kp::to_string(r.status.printer))
        .bind(3, kp::to_string(r.status.camera))
        .bind(4, r.status.outbox)
        .bind(5, r.status.firmware)
        .bind(6, r.status.detail)
        .bind(7, r.updated_at_ms)
        .run();
  }

  std::optional<device_status_record> device_status(const std::string& device_id) override {
    auto all = read_statuses(&device_id);
    if (all.empty()) return std::nullopt;
    return std::move(all.front());
  }

  std::vector<device_status_record> all_device_statuses() override { return read_statuses(nullptr); }

  void put_image(const image_record& r) override {
    db_.prepare(
           "INSERT INTO product_images(business_id, id, content_type, data, etag, updated_at_ms) "
           "VALUES (?,?,?,?,?,?) ON CONFLICT(business_id, id) DO UPDATE SET "
           "content_type = excluded.content_type, data = excluded.data, etag = excluded.etag, "
           "updated_at_ms = excluded.updated_at_ms")
        .bind(1, r.business_id)
        .bind(2, r.id)
        .bind(3, r.content_type)
        .bind_blob(4, r.data)
        .bind(5, r.etag)
        .bind(6, r.updated_at_ms)
        .run();
  }

  std::optional<image_record> image(const std::string& business_id, const std::string& id) override {
    auto s = db_.prepare(
        "SELECT content_type, data, etag, updated_at_ms FROM product_images WHERE business_id = ? AND id = ?");
    s.bind(1, business_id).bind(2, id);
    if (!s.step()) return std::nullopt;
    return image_record{business_id, id, s.text(0), s.blob(1), s.text(2), s.int64(3)};
  }

 private:
  std::map<std::string, std::vector<kp::option_group>> read_groups(const std::string& business_id,
                                                                   const std::string* product_id) {
    std::map<std::string, std::vector<kp::option_group>> out;
    auto g = db_.prepare(
        product_id ? "SELECT product_id, id, name, min_choices, max_choices FROM option_groups "
                     "WHERE business_id = ? AND product_id = ? ORDER BY product_id, position, id"
                   : "SELECT product_id, id, name, min_choices, max_choices FROM option_groups "
                     "WHERE business_id = ? ORDER BY product_id, position, id");
    g.bind(1, business_id);
    if (product_id) g.bind(2, *product_id);
    while (g.step()) {
      kp::option_group grp;
      grp.id = g.text(1);
      grp.name = g.text(2);
      grp.min_choices = g.int32(3);
      grp.max_choices = g.int32(4);
      out[g.text(0)].push_back(std::move(grp));
    }
    // Most products have no options: one indexed probe above, nothing more.
    if (out.empty()) return out;
    const std::string currency = [&] {
      auto c = db_.prepare("SELECT currency FROM businesses WHERE id = ?");
      c.bind(1, business_id);
      return c.step() ? c.text(0) : std::string("EUR");
    }();
    auto o = db_.prepare(
        product_id ? "SELECT product_id, group_id, id, name, price_delta, available, preselected FROM options "
                     "WHERE business_id = ? AND product_id = ? ORDER BY product_id, group_id, position, id"
                   : "SELECT product_id, group_id, id, name, price_delta, available, preselected FROM options "
                     "WHERE business_id = ? ORDER BY product_id, group_id, position, id");
    o.bind(1, business_id);
    if (product_id) o.bind(2, *product_id);
    while (o.step()) {
      auto& groups = out[o.text(0)];
      const std::string gid = o.text(1);
      for (auto& grp : groups) {
        if (grp.id != gid) continue;
        grp.options.push_back({o.text(2), o.text(3), {o.int64(4), currency}, o.int64(5) != 0, o.int64(6) != 0});
        break;
      }
    }
    return out;
  }

  std::vector<device_status_record> read_statuses(const std::string* device_id) {
    auto s = db_.prepare(
        device_id ? "SELECT s.device_id, d.business_id, s.printer, s.camera, s.outbox, s.firmware, s.detail, "
                    "s.updated_at_ms FROM device_status s JOIN devices d ON d.id = s.device_id "
                    "WHERE s.device_id = ?"
                  : "SELECT s.device_id, d.business_id, s.printer, s.camera, s.outbox, s.firmware, s.detail, "
                    "s.updated_at_ms FROM device_status s JOIN devices d ON d.id = s.device_id "
                    "ORDER BY s.device_id");
    if (device_id) s.bind(1, *device_id);
    std::vector<device_status_record> out;
    while (s.step()) {
      device_status_record r;
      r.device_id = s.text(0);
      r.business_id = s.text(1);
      kp::from_string(s.text(2), r.status.printer);
      kp::from_string(s.text(3), r.status.camera);
      r.status.outbox = s.int64(4);
      r.status.firmware = s.text(5);
      r.status.detail = s.text(6);
      r.updated_at_ms = s.int64(7);
      out.push_back(std::move(r));
    }
    return out;
  }

  sqlite::connection& db_;
};

}  // namespace

std::unique_ptr<shop_repository> make_sqlite_shop(sqlite::connection& db) {
  return std::make_unique<sqlite_shop>(db);
}

}  // namespace kh::hub
