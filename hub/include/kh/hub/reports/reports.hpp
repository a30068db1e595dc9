#pragma once
// Business reports (issue 12): sales by day / week / month in the store's own time zone, by
// channel, order type and payment method, best sellers, average order value, an hour-by-weekday
// heat map, cancellations, ratings over time and the low-stock list.
//
// Every function only reads: callers pass a read-only connection (the web's read pool), never
// the writer's. Figures come from migration 8's covering index orders_report, so a year of
// orders is one index range scan (docs/benchmarks.md).
//
// What counts: a *sale* is an order in paid, preparing, ready, collected, out_for_delivery or
// delivered (money was taken or is certain); pending_payment orders are not sales yet; cancelled
// orders are counted as cancellations; refunded ones in neither. Revenue is `orders.total`
// (tax included, after discounts) in the business' currency, minor units. Orders are placed in
// time by `created_at_ms`, feedback by its own `created_at_ms`.

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "kh/hub/storage/sqlite.hpp"

namespace kh::hub::reports {

/// A store's calendar: local dates and times from UTC instants and back. Uses the IANA zone
/// (DST-correct, from tzdata via Howard Hinnant's date library) when `zone` names a known one,
/// else the fixed offset.
class local_calendar {
 public:
  local_calendar(const std::string& zone, int fixed_offset_minutes);
  ~local_calendar();
  local_calendar(local_calendar&&) noexcept;
  local_calendar& operator=(local_calendar&&) noexcept;

  struct civil {
    int year = 1970, month = 1, day = 1;
    int weekday = 3;  ///< 0 = Monday … 6 = Sunday
    int minute = 0;   ///< minutes after local midnight
  };
  /// Offset of local time from UTC at `utc_ms`, in minutes.
  int offset_minutes(std::int64_t utc_ms) const;
  civil at(std::int64_t utc_ms) const;
  /// The UTC instant of local midnight starting `y-m-d` (the first instant of that day when
  /// midnight falls into a DST gap).
  std::int64_t day_start_ms(int y, int m, int d) const;
  /// The zone in use: the IANA name, or "UTC+01:00" for a fixed offset.
  std::string name() const;
  bool dst_aware() const;

 private:
  struct impl;
  std::unique_ptr<impl> impl_;
};

/// "YYYY-MM-DD" → {y, m, d}; nullopt unless a real date in 2000…2100.
std::optional<local_calendar::civil> parse_date(const std::string& s);
std::string format_date(int y, int m, int d);
/// Days from 1970-01-01 of a civil date, and back (proleptic Gregorian).
std::int64_t days_from_civil(int y, int m, int d);
local_calendar::civil civil_from_days(std::int64_t days);

enum class granularity { day, week, month };
/// "day" / "week" / "month".
std::optional<granularity> parse_granularity(const std::string& s);

/// Local dates [from, to], both inclusive.
struct period {
  local_calendar::civil from, to;
  granularity group = granularity::day;
};

/// What a column holds, so pages and CSV format it right.
enum class kind {
  count,   ///< a whole number
  money,   ///< minor units of the business' currency
  rating,  ///< average rating × 100 (1.00 … 5.00)
  share,   ///< basis points (10000 = 100 %)
};

struct column {
  std::string name;
  kind k = kind::count;
};

struct row {
  std::string key;  ///< the row's label: a date, a week, a product, a channel, …
  std::vector<std::int64_t> values;
};

/// One report: a title, a key column and value columns, rows in display order.
struct table {
  std::string id;     ///< url-safe name: "sales", "channels", …
  std::string title;
  std::string key_name;
  std::vector<column> columns;
  std::vector<row> rows;
};

/// The whole report page's data for one business and period.
struct report_set {
  std::string currency;
  std::string zone;  ///< local_calendar::name()
  table summary;     ///< orders, revenue, average order value, cancellations, cancellation share
  table sales;       ///< per day / week / month: orders, revenue, average
  table channels;    ///< kiosk / phone
  table order_types;
  table payments;
  table best_sellers;  ///< top 20 by quantity
  table heatmap;       ///< rows Monday … Sunday, columns 00 … 23: sales count
  table cancellations; ///< per period: cancelled orders, their value, share of all orders
  table ratings;       ///< per period: ratings, average
  table low_stock;     ///< tracked products at or under their threshold (now, not per period)
};

/// Report ids in page order (each has a CSV at /portal/reports/{id}.csv).
const std::vector<std::string>& report_ids();

/// The store's calendar from the businesses row (IANA `time_zone` when the column exists and
/// is set, else `utc_offset_minutes`). Throws sqlite::error for an unknown business.
local_calendar calendar_of(sqlite::connection& db, const std::string& business_id);

struct compute_options {
  /// Order figures (and best sellers) from the business' figures kept in memory, brought up to
  /// date from the orders inserted or changed since the last request (default: true). False:
  /// every order row of the period is read (the reference the tests compare with).
  bool cached = true;
};

/// Computes every report of `p` for `business_id` on `db` (a read connection; it opens its own
/// read transaction unless one is open).
report_set compute(sqlite::connection& db, const std::string& business_id, const local_calendar& cal, const period& p,
                   const compute_options& opts = {});

/// One table of the set by id, nullptr for an unknown id.
const table* find(const report_set& r, const std::string& id);

}  // namespace kh::hub::reports
