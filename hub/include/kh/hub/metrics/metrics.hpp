#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace kh::hub {

/// Label name/value pairs of one series. Order does not matter: `{{"a","1"},{"b","2"}}` and
/// `{{"b","2"},{"a","1"}}` name the same series. Names match `[a-zA-Z_][a-zA-Z0-9_]*` and do not
/// start with `__`; values are any UTF-8 (escaped on output).
using label_set = std::vector<std::pair<std::string, std::string>>;

/// Process-wide metrics in the Prometheus data model: counters, gauges, histograms, each a family
/// (one name, one help text, one type) of series told apart by their labels.
///
/// Thread-safe. Updating an existing series takes a shared lock and one atomic operation (a
/// histogram series takes its own small mutex); only the first update of a new series takes the
/// exclusive lock. Keep label values low-cardinality (a route pattern or an error code, never an
/// order id): every distinct label set lives until the registry is destroyed.
///
/// Misuse at run time (an invalid metric or label name, updating a name with the wrong type, a
/// negative counter increment, a NaN) never throws: the update is dropped and counted in
/// `dropped_updates()`. Misuse at set-up (`describe_*` with an invalid name, bad buckets, or a name
/// already described with another type) throws `std::invalid_argument`.
class metrics_registry {
 public:
  metrics_registry();
  ~metrics_registry();
  metrics_registry(const metrics_registry&) = delete;
  metrics_registry& operator=(const metrics_registry&) = delete;

  /// Declares a counter. Describing again with the same type only replaces the help text.
  /// Name must match `[a-zA-Z_:][a-zA-Z0-9_:]*` (by convention ending in `_total`).
  void describe_counter(std::string name, std::string help);
  /// Declares a gauge (a value that goes up and down).
  void describe_gauge(std::string name, std::string help);
  /// Declares a histogram with the given bucket upper bounds (finite, strictly increasing; the
  /// `+Inf` bucket is added automatically; an empty list means the `+Inf` bucket only).
  /// Describing again with the same type replaces help and, for series created later, the bounds.
  void describe_histogram(std::string name, std::string help, std::vector<double> upper_bounds);

  /// Adds `by` (default: 1) to a counter (`by` must be >= 0), or to a gauge (any sign).
  /// An undescribed name becomes a counter with empty help. `inc(name, labels, 0)` makes a series
  /// appear with value 0, which is useful at start-up so rates have a starting point.
  void inc(std::string_view name, const label_set& labels = {}, double by = 1.0);
  /// Sets a gauge. An undescribed name becomes a gauge with empty help.
  void set(std::string_view name, double value, const label_set& labels = {});
  /// Records one observation in a histogram. An undescribed name becomes a histogram with the
  /// default buckets (Prometheus' defaults: 0.005 … 10 seconds).
  void observe(std::string_view name, double value, const label_set& labels = {});

  /// Current value of a counter or gauge series, the sample count of a histogram series, or 0 if
  /// there is no such series. Meant for tests and health checks.
  double value(std::string_view name, const label_set& labels = {}) const;

  /// Updates dropped because of misuse (see the class comment). 0 in a correct program.
  std::uint64_t dropped_updates() const;

  /// Text exposition format 0.0.4: per family `# HELP` and `# TYPE` lines, then its series sorted
  /// by labels; histograms as cumulative `_bucket{le="…"}` lines ending with `le="+Inf"`, then
  /// `_sum` and `_count`. Families appear sorted by name. A family without series prints only its
  /// `# HELP`/`# TYPE` lines.
  std::string render_prometheus() const;

 private:
  struct impl;
  std::unique_ptr<impl> impl_;
};

}  // namespace kh::hub
