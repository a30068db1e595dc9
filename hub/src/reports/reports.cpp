// Report queries. One covering-index range scan of the business' orders gives sales per period,
// channels, order types, payments, the heat map and cancellations; best sellers join the lines
// of the sales; ratings scan the feedback index. Buckets are local dates of the store's
// calendar, computed here rather than in SQL (SQLite knows no time zones).
#include <algorithm>
#include <chrono>
#include <climits>
#include <map>
#include <mutex>
#include <set>
#include <unordered_map>

#include "kh/hub/reports/reports.hpp"

namespace kh::hub::reports {

namespace {

constexpr const char* k_sale_states = "'paid','preparing','ready','collected','out_for_delivery','delivered'";

std::int64_t div_round(std::int64_t a, std::int64_t b) {  // half away from zero; b > 0
  if (b == 0) return 0;
  return a >= 0 ? (a + b / 2) / b : -((-a + b / 2) / b);
}

const char* k_weekdays[] = {"Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday"};

// The periods of `p`, in order, and the index of a local date among them.
struct buckets {
  granularity g;
  std::int64_t first_day = 0;  // day number of `from` (day), its Monday (week)
  int first_month = 0;         // y * 12 + m - 1 (month)
  std::vector<std::string> labels;

  explicit buckets(const period& p) : g(p.group) {
    const std::int64_t from = days_from_civil(p.from.year, p.from.month, p.from.day);
    const std::int64_t to = days_from_civil(p.to.year, p.to.month, p.to.day);
    if (g == granularity::day) {
      first_day = from;
      for (auto d = from; d <= to; ++d) {
        const auto c = civil_from_days(d);
        labels.push_back(format_date(c.year, c.month, c.day));
      }
    } else if (g == granularity::week) {
      first_day = from - p.from.weekday;
      for (auto d = first_day; d <= to; d += 7) {
        const auto c = civil_from_days(d);
        labels.push_back(format_date(c.year, c.month, c.day));
      }
    } else {
      first_month = p.from.year * 12 + p.from.month - 1;
      const int last = p.to.year * 12 + p.to.month - 1;
      for (int m = first_month; m <= last; ++m) {
        char buf[16];
        std::snprintf(buf, sizeof buf, "%04d-%02d", m / 12, m % 12 + 1);
        labels.emplace_back(buf);
      }
    }
  }
  /// Index of the period holding local date `c`; -1 outside.
  int index(const local_calendar::civil& c) const {
    std::int64_t i;
    if (g == granularity::month) i = c.year * 12 + c.month - 1 - first_month;
    else {
      const auto d = days_from_civil(c.year, c.month, c.day);
      i = g == granularity::day ? d - first_day : (d - first_day) / 7;
    }
    return i < 0 || i >= static_cast<std::int64_t>(labels.size()) ? -1 : static_cast<int>(i);
  }
};

struct tally {
  std::int64_t count = 0, amount = 0;
};

table money_table(std::string id, std::string title, std::string key_name, const std::map<std::string, tally>& m) {
  table t{std::move(id), std::move(title), std::move(key_name), {{"orders", kind::count}, {"revenue", kind::money}}, {}};
  for (const auto& [k, v] : m) t.rows.push_back({k, {v.count, v.amount}});
  std::stable_sort(t.rows.begin(), t.rows.end(), [](const row& a, const row& b) { return a.values[1] > b.values[1]; });
  return t;
}

bool has_column(sqlite::connection& db, const char* table_name, const char* col) {
  auto q = db.prepare(std::string("SELECT 1 FROM pragma_table_info('") + table_name + "') WHERE name = ?");
  q.bind(1, col);
  return q.step();
}

// ---- order figures, kept between requests -------------------------------------------------
//
// A year of orders is 200,000 index entries: scanning them for every page view took 140–190 ms
// of a core that the order writer needs. The figures of a business are kept in memory instead,
// summed per 15-minute UTC slot (every zone's offset is a whole number of quarter hours, so a
// slot lies in one local hour and one local day), and per UTC hour and product for best
// sellers (from migration 8's product_sales_hourly). Each request brings them up to date in its
// own read transaction, from what changed since the last one: orders placed or changed since
// (order_events seq > the last seen: placement and every state change append one in their
// transaction) and orders newer than the newest seen (created_at_ms, one index probe). Only those
// hours are read again. A back-dated order written behind the order service's back (no event: an
// edit by hand in the database) shows once the entry is rebuilt, at the latest after k_max_age.

constexpr std::int64_t k_slot_ms = 15 * 60'000;
constexpr std::int64_t k_hour_ms = 3'600'000;
constexpr auto k_max_age = std::chrono::minutes(15);
constexpr std::int64_t k_max_changes = 20'000;  // more changed orders than this: rebuild
constexpr std::size_t k_max_entries = 16;       // businesses kept

std::int64_t floor_div(std::int64_t a, std::int64_t b) { return a >= 0 ? a / b : -((-a + b - 1) / b); }

/// Figures of a set of orders (one order, or one slot's).
struct figures {
  std::int64_t all = 0;
  tally sale, cancel;
  tally type[4], pay[3], chan[2];
  void add_order(std::int64_t total, int cls, int ty, int pm, int ch) {
    ++all;
    if (cls == 1) {
      for (tally* t : {&sale, &type[std::clamp(ty, 0, 3)], &pay[std::clamp(pm, 0, 2)], &chan[ch ? 1 : 0]}) {
        ++t->count;
        t->amount += total;
      }
    } else if (cls == 2) {
      ++cancel.count;
      cancel.amount += total;
    }
  }
};

std::string order_rows_sql() {
  // Served by orders_report (business_id, created_at_ms, state, total, order_type,
  // payment_method, device_id): the scan never touches the table itself. Everything per row is
  // an integer (classes and codes made in SQL).
  return std::string("SELECT created_at_ms, total, CASE WHEN state IN (") + k_sale_states +
         ") THEN 1 WHEN state = 'cancelled' THEN 2 ELSE 0 END, "
         "CASE order_type WHEN 'eat_in' THEN 0 WHEN 'takeaway' THEN 1 WHEN 'pickup' THEN 2 ELSE 3 END, "
         "CASE payment_method WHEN 'card_present' THEN 0 WHEN 'cash' THEN 1 ELSE 2 END, "
         "COALESCE(substr(device_id, 1, 4) = 'web-', 1) FROM orders "
         "WHERE business_id = ? AND created_at_ms >= ? AND created_at_ms < ?";
}

struct product_sold {
  int product = 0, name = 0;  // interned strings
  std::int64_t qty = 0, revenue = 0;
};

struct cache_entry {
  std::mutex mu;
  bool built = false;
  std::int64_t lo = 0, hi = 0;  // loaded range of created_at_ms, whole hours
  std::int64_t seq = 0, newest = 0;  // last event seq and newest created_at_ms seen
  std::chrono::steady_clock::time_point built_at;
  std::map<std::int64_t, figures> slots;                     // created_at_ms / k_slot_ms
  std::map<std::int64_t, std::vector<product_sold>> hours;  // created_at_ms / k_hour_ms
  std::vector<std::string> strings;
  std::unordered_map<std::string, int> string_ids;

  int intern(const std::string& s) {
    auto [it, fresh] = string_ids.emplace(s, static_cast<int>(strings.size()));
    if (fresh) strings.push_back(s);
    return it->second;
  }
  void load_slots(sqlite::connection& db, const std::string& biz, std::int64_t from, std::int64_t to) {
    slots.erase(slots.lower_bound(floor_div(from, k_slot_ms)), slots.lower_bound(floor_div(to, k_slot_ms)));
    auto q = db.prepare(order_rows_sql());
    q.bind(1, biz).bind(2, from).bind(3, to);
    while (q.step())
      slots[floor_div(q.int64(0), k_slot_ms)].add_order(q.int64(1), q.int32(2), q.int32(3), q.int32(4), static_cast<int>(q.int64(5)));
  }
  void load_hours(sqlite::connection& db, const std::string& biz, std::int64_t from, std::int64_t to) {
    const std::int64_t h0 = floor_div(from, k_hour_ms), h1 = floor_div(to, k_hour_ms);
    hours.erase(hours.lower_bound(h0), hours.lower_bound(h1));
    auto q = db.prepare("SELECT hour, product_id, name, qty, revenue FROM product_sales_hourly "
                        "WHERE business_id = ? AND hour >= ? AND hour < ?");
    q.bind(1, biz).bind(2, h0).bind(3, h1);
    while (q.step()) hours[q.int64(0)].push_back({intern(q.text(1)), intern(q.text(2)), q.int64(3), q.int64(4)});
  }
  void load(sqlite::connection& db, const std::string& biz, std::int64_t from, std::int64_t to) {
    if (from >= to) return;
    load_slots(db, biz, from, to);
    load_hours(db, biz, from, to);
  }

  /// Up to date for [from, to) (whole hours) as of `db`'s read transaction.
  void refresh(sqlite::connection& db, const std::string& biz, std::int64_t from, std::int64_t to) {
    std::int64_t seq = 0, newest = 0;
    {
      auto q = db.prepare("SELECT order_event_seq FROM businesses WHERE id = ?");
      q.bind(1, biz);
      if (q.step()) seq = q.int64(0);
      auto r = db.prepare("SELECT COALESCE(MAX(created_at_ms), 0) FROM orders WHERE business_id = ?");
      r.bind(1, biz);
      if (r.step()) newest = r.int64(0);
    }
    const auto now = std::chrono::steady_clock::now();
    if (built && (seq < this->seq || newest < this->newest || seq - this->seq > k_max_changes || now - built_at > k_max_age)) built = false;
    if (!built) {
      slots.clear();
      hours.clear();
      strings.clear();
      string_ids.clear();
      load(db, biz, from, to);
      lo = from;
      hi = to;
      built = true;
      built_at = now;
      this->seq = seq;
      this->newest = newest;
      return;
    }
    // The hours holding orders inserted or changed since the last request.
    std::set<std::int64_t> dirty;
    if (newest > this->newest) {
      auto q = db.prepare("SELECT created_at_ms FROM orders WHERE business_id = ? AND created_at_ms > ?");
      q.bind(1, biz).bind(2, this->newest);
      while (q.step()) dirty.insert(floor_div(q.int64(0), k_hour_ms));
    }
    if (seq > this->seq) {
      auto q = db.prepare("SELECT o.created_at_ms FROM order_events e JOIN orders o ON o.id = e.order_id "
                          "WHERE e.business_id = ? AND e.seq > ?");
      q.bind(1, biz).bind(2, this->seq);
      while (q.step()) dirty.insert(floor_div(q.int64(0), k_hour_ms));
    }
    for (const std::int64_t h : dirty) {
      const std::int64_t a = h * k_hour_ms;
      if (a >= lo && a < hi) load(db, biz, a, a + k_hour_ms);
    }
    if (from < lo) {
      load(db, biz, from, lo);
      lo = from;
    }
    if (to > hi) {
      load(db, biz, hi, to);
      hi = to;
    }
    this->seq = seq;
    this->newest = newest;
  }
};

struct figure_cache {
  std::mutex mu;
  std::map<std::string, std::shared_ptr<cache_entry>> entries;  // db path + business
  std::shared_ptr<cache_entry> get(const std::string& key) {
    std::lock_guard lock(mu);
    auto& e = entries[key];
    if (!e) {
      if (entries.size() > k_max_entries) {
        for (auto it = entries.begin(); it != entries.end(); ++it)
          if (it->first != key) {
            entries.erase(it);
            break;
          }
      }
      e = std::make_shared<cache_entry>();
    }
    return e;
  }
};

figure_cache& cache() {
  static figure_cache c;
  return c;
}

}  // namespace

const std::vector<std::string>& report_ids() {
  static const std::vector<std::string> ids = {"summary",  "sales",         "channels", "order_types", "payments",
                                               "best_sellers", "heatmap", "cancellations", "ratings", "low_stock"};
  return ids;
}

local_calendar calendar_of(sqlite::connection& db, const std::string& business_id) {
  // The IANA zone column arrives with the store profile (migration 3); a database without it,
  // or a store without a zone, uses the fixed offset.
  const bool zoned = has_column(db, "businesses", "time_zone");
  auto q = db.prepare(zoned ? "SELECT utc_offset_minutes, COALESCE(time_zone, '') FROM businesses WHERE id = ?"
                            : "SELECT utc_offset_minutes, '' FROM businesses WHERE id = ?");
  q.bind(1, business_id);
  if (!q.step()) throw sqlite::error(0, "unknown business " + business_id);
  return local_calendar(q.text(1), q.int32(0));
}

report_set compute(sqlite::connection& db, const std::string& business_id, const local_calendar& cal, const period& p,
                   const compute_options& opts) {
  report_set r;
  r.zone = cal.name();
  {
    auto q = db.prepare("SELECT currency FROM businesses WHERE id = ?");
    q.bind(1, business_id);
    if (q.step()) r.currency = q.text(0);
  }
  const std::int64_t from_ms = cal.day_start_ms(p.from.year, p.from.month, p.from.day);
  const auto after = civil_from_days(days_from_civil(p.to.year, p.to.month, p.to.day) + 1);
  const std::int64_t to_ms = cal.day_start_ms(after.year, after.month, after.day);

  const buckets b(p);
  const std::size_t n = b.labels.size();
  std::vector<tally> sales(n), cancelled(n);
  std::vector<std::int64_t> all(n, 0);
  std::map<std::string, tally> channels, types, payments;
  std::int64_t heat[7][24] = {};
  figures total;

  // Local midnights on quarter hours (every zone today): the figures kept in memory; the
  // best sellers from them too when they fall on whole hours. Else the rows themselves.
  const bool slotted = opts.cached && from_ms % k_slot_ms == 0 && to_ms % k_slot_ms == 0;
  const bool hourly = from_ms % k_hour_ms == 0 && to_ms % k_hour_ms == 0;
  std::shared_ptr<cache_entry> entry;
  std::unique_lock<std::mutex> entry_lock;
  if (slotted) {
    entry = cache().get(db.path() + "\n" + business_id);
    entry_lock = std::unique_lock(entry->mu);
    // The whole hours around the period, in one read snapshot with the queries that follow.
    const std::int64_t lo = floor_div(from_ms, k_hour_ms) * k_hour_ms, hi = floor_div(to_ms + k_hour_ms - 1, k_hour_ms) * k_hour_ms;
    const bool own_tx = !db.in_transaction();
    if (own_tx) db.exec("BEGIN");
    try {
      entry->refresh(db, business_id, lo, hi);
      if (own_tx) db.exec("COMMIT");
    } catch (...) {
      entry->built = false;
      if (own_tx) db.exec("ROLLBACK");
      throw;
    }
  }

  // Adds the orders of one instant (a row, or a slot's start) to the period and heat map; the
  // calendar is asked once per local day.
  std::int64_t last_day = INT64_MIN;
  int idx = -1, weekday = 0;
  auto add = [&](std::int64_t utc_ms, const figures& f) {
    const std::int64_t local_ms = utc_ms + static_cast<std::int64_t>(cal.offset_minutes(utc_ms)) * 60'000;
    std::int64_t day = local_ms / 86'400'000, rem = local_ms % 86'400'000;
    if (rem < 0) rem += 86'400'000, --day;
    if (day != last_day) {
      last_day = day;
      const auto c = civil_from_days(day);
      idx = b.index(c);
      weekday = c.weekday;
    }
    if (idx < 0) return;
    const auto i = static_cast<std::size_t>(idx);
    all[i] += f.all;
    sales[i].count += f.sale.count;
    sales[i].amount += f.sale.amount;
    cancelled[i].count += f.cancel.count;
    cancelled[i].amount += f.cancel.amount;
    heat[weekday][rem / 3'600'000] += f.sale.count;
    total.all += f.all;
    auto sum = [](tally& to, const tally& from) {
      to.count += from.count;
      to.amount += from.amount;
    };
    sum(total.sale, f.sale);
    sum(total.cancel, f.cancel);
    for (int k = 0; k < 4; ++k) sum(total.type[k], f.type[k]);
    for (int k = 0; k < 3; ++k) sum(total.pay[k], f.pay[k]);
    for (int k = 0; k < 2; ++k) sum(total.chan[k], f.chan[k]);
  };
  if (slotted) {
    const auto& slots = entry->slots;
    for (auto it = slots.lower_bound(from_ms / k_slot_ms); it != slots.end() && it->first < to_ms / k_slot_ms; ++it)
      add(it->first * k_slot_ms, it->second);
  } else {
    auto q = db.prepare(order_rows_sql());
    q.bind(1, business_id).bind(2, from_ms).bind(3, to_ms);
    while (q.step()) {
      figures f;
      f.add_order(q.int64(1), q.int32(2), q.int32(3), q.int32(4), static_cast<int>(q.int64(5)));
      add(q.int64(0), f);
    }
  }
  {
    static const char* type_names[] = {"eat_in", "takeaway", "pickup", "delivery"};
    static const char* pay_names[] = {"card_present", "cash", "wallet"};
    static const char* channel_names[] = {"kiosk", "phone"};
    for (int k = 0; k < 4; ++k)
      if (total.type[k].count) types[type_names[k]] = total.type[k];
    for (int k = 0; k < 3; ++k)
      if (total.pay[k].count) payments[pay_names[k]] = total.pay[k];
    for (int k = 0; k < 2; ++k)
      if (total.chan[k].count) channels[channel_names[k]] = total.chan[k];
  }
  const tally total_sales = total.sale, total_cancelled = total.cancel;
  const std::int64_t total_orders = total.all;

  const char* per = p.group == granularity::day ? "day" : p.group == granularity::week ? "week (from Monday)" : "month";
  r.summary = {"summary", "Summary", "figure", {{"value", kind::count}}, {}};
  r.summary.columns = {{"orders", kind::count},  {"revenue", kind::money},      {"average_order", kind::money},
                       {"cancelled", kind::count}, {"cancelled_share", kind::share}, {"all_orders", kind::count}};
  r.summary.key_name = "period";
  r.summary.rows.push_back({format_date(p.from.year, p.from.month, p.from.day) + " to " + format_date(p.to.year, p.to.month, p.to.day),
                            {total_sales.count, total_sales.amount, div_round(total_sales.amount, total_sales.count), total_cancelled.count,
                             div_round(total_cancelled.count * 10000, total_orders), total_orders}});

  r.sales = {"sales", "Sales per " + std::string(per), per, {{"orders", kind::count}, {"revenue", kind::money}, {"average_order", kind::money}}, {}};
  r.cancellations = {"cancellations", "Cancellations per " + std::string(per), per,
                     {{"cancelled", kind::count}, {"value", kind::money}, {"share", kind::share}}, {}};
  for (std::size_t i = 0; i < n; ++i) {
    r.sales.rows.push_back({b.labels[i], {sales[i].count, sales[i].amount, div_round(sales[i].amount, sales[i].count)}});
    r.cancellations.rows.push_back({b.labels[i], {cancelled[i].count, cancelled[i].amount, div_round(cancelled[i].count * 10000, all[i])}});
  }
  r.channels = money_table("channels", "By channel", "channel", channels);
  r.order_types = money_table("order_types", "By order type", "order_type", types);
  r.payments = money_table("payments", "By payment method", "payment_method", payments);

  r.heatmap = {"heatmap", "Sales by hour and weekday", "weekday", {}, {}};
  for (int h = 0; h < 24; ++h) {
    char buf[8];
    std::snprintf(buf, sizeof buf, "h%02d", h);
    r.heatmap.columns.push_back({buf, kind::count});
  }
  for (int d = 0; d < 7; ++d) r.heatmap.rows.push_back({k_weekdays[d], std::vector<std::int64_t>(std::begin(heat[d]), std::end(heat[d]))});

  r.best_sellers = {"best_sellers", "Best sellers", "product", {{"quantity", kind::count}, {"revenue", kind::money}}, {}};
  {
    struct sold {
      std::string id, name;
      std::int64_t qty = 0, revenue = 0;
    };
    std::vector<sold> list;
    if (slotted && hourly) {
      std::unordered_map<int, sold> by;
      const auto& hours = entry->hours;
      for (auto it = hours.lower_bound(from_ms / k_hour_ms); it != hours.end() && it->first < to_ms / k_hour_ms; ++it)
        for (const auto& ps : it->second) {
          auto& x = by[ps.product];
          const auto& name = entry->strings[static_cast<std::size_t>(ps.name)];
          if (x.id.empty()) x.id = entry->strings[static_cast<std::size_t>(ps.product)];
          if (name > x.name) x.name = name;  // MAX(name), as the query below
          x.qty += ps.qty;
          x.revenue += ps.revenue;
        }
      for (auto& [k, v] : by)
        if (v.qty > 0) list.push_back(std::move(v));
    } else {
      // Local midnights on whole UTC hours: the hourly table kept by migration 8's triggers.
      // Otherwise (e.g. +05:30) the sold lines themselves.
      auto q = hourly ? db.prepare("SELECT product_id, MAX(name), SUM(qty), SUM(revenue) FROM product_sales_hourly "
                                   "WHERE business_id = ? AND hour >= ? AND hour < ? GROUP BY product_id HAVING SUM(qty) > 0")
                      : db.prepare(std::string("SELECT l.product_id, MAX(l.name), SUM(l.qty), SUM(l.line_total) FROM orders o "
                                               "JOIN order_lines l ON l.order_id = o.id "
                                               "WHERE o.business_id = ? AND o.created_at_ms >= ? AND o.created_at_ms < ? AND o.state IN (") +
                                   k_sale_states + ") GROUP BY l.product_id");
      q.bind(1, business_id).bind(2, hourly ? from_ms / k_hour_ms : from_ms).bind(3, hourly ? to_ms / k_hour_ms : to_ms);
      while (q.step()) list.push_back({q.text(0), q.text(1), q.int64(2), q.int64(3)});
    }
    // By quantity, then revenue, then product id; the top 20.
    std::sort(list.begin(), list.end(), [](const sold& x, const sold& y) {
      if (x.qty != y.qty) return x.qty > y.qty;
      if (x.revenue != y.revenue) return x.revenue > y.revenue;
      return x.id < y.id;
    });
    if (list.size() > 20) list.resize(20);
    for (auto& x : list) r.best_sellers.rows.push_back({std::move(x.name), {x.qty, x.revenue}});
  }

  r.ratings = {"ratings", "Ratings per " + std::string(per), per, {{"ratings", kind::count}, {"average", kind::rating}}, {}};
  {
    std::vector<tally> rt(n);
    auto q = db.prepare("SELECT created_at_ms, rating FROM order_feedback WHERE business_id = ? AND created_at_ms >= ? AND created_at_ms < ?");
    q.bind(1, business_id).bind(2, from_ms).bind(3, to_ms);
    while (q.step()) {
      const int i = b.index(cal.at(q.int64(0)));
      if (i < 0) continue;
      ++rt[static_cast<std::size_t>(i)].count;
      rt[static_cast<std::size_t>(i)].amount += q.int64(1);
    }
    for (std::size_t i = 0; i < n; ++i) r.ratings.rows.push_back({b.labels[i], {rt[i].count, div_round(rt[i].amount * 100, rt[i].count)}});
  }

  r.low_stock = {"low_stock", "Low stock (now)", "product", {{"stock", kind::count}, {"threshold", kind::count}}, {}};
  {
    auto q = db.prepare(
        "SELECT name, stock, COALESCE(low_stock_threshold, 0) FROM products WHERE business_id = ? AND active = 1 AND "
        "stock IS NOT NULL AND stock <= COALESCE(low_stock_threshold, 0) ORDER BY stock, name");
    q.bind(1, business_id);
    while (q.step()) r.low_stock.rows.push_back({q.text(0), {q.int64(1), q.int64(2)}});
  }
  return r;
}

const table* find(const report_set& r, const std::string& id) {
  for (const table* t : {&r.summary, &r.sales, &r.channels, &r.order_types, &r.payments, &r.best_sellers, &r.heatmap,
                         &r.cancellations, &r.ratings, &r.low_stock})
    if (t->id == id) return t;
  return nullptr;
}

}  // namespace kh::hub::reports
