// Report queries. One covering-index range scan of the business' orders gives sales per period,
// channels, order types, payments, the heat map and cancellations; best sellers join the lines
// of the sales; ratings scan the feedback index. Buckets are local dates of the store's
// calendar, computed here rather than in SQL (SQLite knows no time zones).
#include <algorithm>
#include <climits>
#include <map>

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

report_set compute(sqlite::connection& db, const std::string& business_id, const local_calendar& cal, const period& p) {
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
  tally total_sales, total_cancelled;
  std::int64_t total_orders = 0;

  {
    // Served by orders_report (business_id, created_at_ms, state, total, order_type,
    // payment_method, device_id): the scan never touches the table itself. Everything per row is
    // an integer (classes and codes made in SQL), and the calendar is asked once per local day.
    auto q = db.prepare(std::string("SELECT created_at_ms, total, CASE WHEN state IN (") + k_sale_states +
                        ") THEN 1 WHEN state = 'cancelled' THEN 2 ELSE 0 END, "
                        "CASE order_type WHEN 'eat_in' THEN 0 WHEN 'takeaway' THEN 1 WHEN 'pickup' THEN 2 ELSE 3 END, "
                        "CASE payment_method WHEN 'card_present' THEN 0 WHEN 'cash' THEN 1 ELSE 2 END, "
                        "COALESCE(substr(device_id, 1, 4) = 'web-', 1) FROM orders "
                        "WHERE business_id = ? AND created_at_ms >= ? AND created_at_ms < ?");
    q.bind(1, business_id).bind(2, from_ms).bind(3, to_ms);
    static const char* type_names[] = {"eat_in", "takeaway", "pickup", "delivery"};
    static const char* pay_names[] = {"card_present", "cash", "wallet"};
    static const char* channel_names[] = {"kiosk", "phone"};
    tally by_type[4], by_pay[3], by_channel[2];
    std::int64_t last_day = INT64_MIN;
    int idx = -1, weekday = 0;
    while (q.step()) {
      const std::int64_t utc_ms = q.int64(0);
      const std::int64_t local_ms = utc_ms + static_cast<std::int64_t>(cal.offset_minutes(utc_ms)) * 60'000;
      std::int64_t day = local_ms / 86'400'000, rem = local_ms % 86'400'000;
      if (rem < 0) rem += 86'400'000, --day;
      if (day != last_day) {
        last_day = day;
        const auto c = civil_from_days(day);
        idx = b.index(c);
        weekday = c.weekday;
      }
      if (idx < 0) continue;
      const auto i = static_cast<std::size_t>(idx);
      const std::int64_t total = q.int64(1);
      const int cls = q.int32(2);
      ++all[i];
      ++total_orders;
      if (cls == 1) {
        ++sales[i].count;
        sales[i].amount += total;
        ++total_sales.count;
        total_sales.amount += total;
        for (tally* t : {&by_type[std::clamp(q.int32(3), 0, 3)], &by_pay[std::clamp(q.int32(4), 0, 2)], &by_channel[q.int64(5) ? 1 : 0]}) {
          ++t->count;
          t->amount += total;
        }
        ++heat[weekday][rem / 3'600'000];
      } else if (cls == 2) {
        ++cancelled[i].count;
        cancelled[i].amount += total;
        ++total_cancelled.count;
        total_cancelled.amount += total;
      }
    }
    for (int k = 0; k < 4; ++k)
      if (by_type[k].count) types[type_names[k]] = by_type[k];
    for (int k = 0; k < 3; ++k)
      if (by_pay[k].count) payments[pay_names[k]] = by_pay[k];
    for (int k = 0; k < 2; ++k)
      if (by_channel[k].count) channels[channel_names[k]] = by_channel[k];
  }

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
    // Local midnights on whole UTC hours (every zone with a whole-hour offset): the hourly
    // table kept by migration 8's triggers. Otherwise (e.g. +05:30) the sold lines themselves.
    constexpr std::int64_t hour = 3'600'000;
    const bool hourly = from_ms % hour == 0 && to_ms % hour == 0;
    auto q = hourly ? db.prepare("SELECT product_id, MAX(name), SUM(qty), SUM(revenue) FROM product_sales_hourly "
                                 "WHERE business_id = ? AND hour >= ? AND hour < ? GROUP BY product_id HAVING SUM(qty) > 0 "
                                 "ORDER BY 3 DESC, 4 DESC, 1 LIMIT 20")
                    : db.prepare(std::string("SELECT l.product_id, MAX(l.name), SUM(l.qty), SUM(l.line_total) FROM orders o "
                                             "JOIN order_lines l ON l.order_id = o.id "
                                             "WHERE o.business_id = ? AND o.created_at_ms >= ? AND o.created_at_ms < ? AND o.state IN (") +
                                 k_sale_states + ") GROUP BY l.product_id ORDER BY 3 DESC, 4 DESC, 1 LIMIT 20");
    q.bind(1, business_id).bind(2, hourly ? from_ms / hour : from_ms).bind(3, hourly ? to_ms / hour : to_ms);
    while (q.step()) r.best_sellers.rows.push_back({q.text(1), {q.int64(2), q.int64(3)}});
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
