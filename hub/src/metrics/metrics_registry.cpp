#include "kh/hub/metrics/metrics.hpp"

#include <algorithm>
#include <atomic>
#include <charconv>
#include <cmath>
#include <map>
#include <mutex>
#include <shared_mutex>
#include <stdexcept>

namespace kh::hub {
namespace {

enum class metric_kind { counter, gauge, histogram };

const char* kind_name(metric_kind k) {
  switch (k) {
    case metric_kind::counter: return "counter";
    case metric_kind::gauge: return "gauge";
    case metric_kind::histogram: return "histogram";
  }
  return "untyped";
}

// Prometheus client libraries' default buckets, in seconds.
const std::vector<double> k_default_buckets{0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10};

bool is_metric_name(std::string_view n) {
  if (n.empty()) return false;
  for (std::size_t i = 0; i < n.size(); ++i) {
    const char c = n[i];
    const bool alpha = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_' || c == ':';
    if (!alpha && !(i > 0 && c >= '0' && c <= '9')) return false;
  }
  return true;
}

bool is_label_name(std::string_view n) {
  if (n.empty() || n.starts_with("__")) return false;
  for (std::size_t i = 0; i < n.size(); ++i) {
    const char c = n[i];
    const bool alpha = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_';
    if (!alpha && !(i > 0 && c >= '0' && c <= '9')) return false;
  }
  return true;
}

void append_escaped(std::string& out, std::string_view v, bool quote) {
  for (const char c : v) {
    if (c == '\\') out += "\\\\";
    else if (c == '\n') out += "\\n";
    else if (quote && c == '"') out += "\\\"";
    else out += c;
  }
}

void append_number(std::string& out, double v) {
  if (std::isnan(v)) { out += "NaN"; return; }
  if (std::isinf(v)) { out += v > 0 ? "+Inf" : "-Inf"; return; }
  char buf[64];
  const auto r = std::to_chars(buf, buf + sizeof buf, v);
  out.append(buf, r.ptr);
}

// The canonical key of a label set is its rendered form, `a="x",b="y"` sorted by name, so lookup
// and output share one string. Returns false for invalid or duplicate names (or a reserved one).
bool label_key(const label_set& labels, bool histogram, std::string& key) {
  key.clear();
  if (labels.empty()) return true;
  std::vector<const std::pair<std::string, std::string>*> sorted;
  sorted.reserve(labels.size());
  for (const auto& l : labels) {
    if (!is_label_name(l.first) || (histogram && l.first == "le")) return false;
    sorted.push_back(&l);
  }
  std::sort(sorted.begin(), sorted.end(), [](auto* a, auto* b) { return a->first < b->first; });
  for (std::size_t i = 0; i < sorted.size(); ++i) {
    if (i > 0) {
      if (sorted[i]->first == sorted[i - 1]->first) return false;
      key += ',';
    }
    key += sorted[i]->first;
    key += "=\"";
    append_escaped(key, sorted[i]->second, true);
    key += '"';
  }
  return true;
}

struct scalar_series {
  std::atomic<double> value{0.0};
};

struct histogram_series {
  explicit histogram_series(std::vector<double> b) : bounds(std::move(b)), counts(bounds.size() + 1, 0) {}
  // A small mutex per series keeps buckets, sum and count consistent with each other in a scrape.
  mutable std::mutex mutex;
  const std::vector<double> bounds;
  std::vector<std::uint64_t> counts;  // per bucket (not cumulative); last one is +Inf
  double sum = 0.0;
  std::uint64_t count = 0;
};

struct family {
  metric_kind kind;
  std::string help;
  std::vector<double> bounds;
  std::map<std::string, scalar_series, std::less<>> scalars;
  std::map<std::string, histogram_series, std::less<>> histograms;
};

void check_bounds(const std::vector<double>& b) {
  for (std::size_t i = 0; i < b.size(); ++i) {
    if (!std::isfinite(b[i])) throw std::invalid_argument("metrics: histogram bucket bounds must be finite");
    if (i > 0 && !(b[i - 1] < b[i]))
      throw std::invalid_argument("metrics: histogram bucket bounds must be strictly increasing");
  }
}

}  // namespace

struct metrics_registry::impl {
  mutable std::shared_mutex mutex;
  std::map<std::string, family, std::less<>> families;
  std::atomic<std::uint64_t> dropped{0};

  void describe(std::string name, std::string help, metric_kind kind, std::vector<double> bounds) {
    if (!is_metric_name(name)) throw std::invalid_argument("metrics: invalid metric name '" + name + "'");
    std::unique_lock lock(mutex);
    auto it = families.find(name);
    if (it == families.end()) {
      families.emplace(std::move(name), family{kind, std::move(help), std::move(bounds), {}, {}});
      return;
    }
    if (it->second.kind != kind)
      throw std::invalid_argument("metrics: '" + name + "' is already a " + kind_name(it->second.kind));
    it->second.help = std::move(help);
    it->second.bounds = std::move(bounds);
  }

  // Finds or creates the family and series, then runs `fn` on the series under a shared lock.
  // Returns false (and counts a dropped update) on a name/type/label mismatch.
  template <class Series, class Fn>
  bool with_series(std::string_view name, const label_set& labels, metric_kind kind, Fn&& fn) {
    auto kind_ok = [kind](metric_kind have) {
      // inc() accepts gauges too; the caller passes `counter` for inc.
      return have == kind || (kind == metric_kind::counter && have == metric_kind::gauge);
    };
    std::string key;
    if (!label_key(labels, kind == metric_kind::histogram, key)) {
      dropped.fetch_add(1, std::memory_order_relaxed);
      return false;
    }
    {
      std::shared_lock lock(mutex);
      auto f = families.find(name);
      if (f != families.end()) {
        if (!kind_ok(f->second.kind)) {
          dropped.fetch_add(1, std::memory_order_relaxed);
          return false;
        }
        if (Series* s = find_series<Series>(f->second, key)) {
          fn(*s, f->second.kind);
          return true;
        }
      }
    }
    if (!is_metric_name(name)) {
      dropped.fetch_add(1, std::memory_order_relaxed);
      return false;
    }
    std::unique_lock lock(mutex);
    auto f = families.find(name);
    if (f == families.end()) {
      std::vector<double> bounds = kind == metric_kind::histogram ? k_default_buckets : std::vector<double>{};
      f = families.emplace(std::string(name), family{kind, {}, std::move(bounds), {}, {}}).first;
    }
    if (!kind_ok(f->second.kind)) {  // someone described it differently in between
      dropped.fetch_add(1, std::memory_order_relaxed);
      return false;
    }
    Series* s = find_series<Series>(f->second, key);
    if (!s) s = &create_series<Series>(f->second, std::move(key));
    // Still under the exclusive lock: fine, this happens once per series.
    fn(*s, f->second.kind);
    return true;
  }

  template <class Series>
  static Series* find_series(family& f, std::string_view key) {
    if constexpr (std::is_same_v<Series, scalar_series>) {
      auto it = f.scalars.find(key);
      return it == f.scalars.end() ? nullptr : &it->second;
    } else {
      auto it = f.histograms.find(key);
      return it == f.histograms.end() ? nullptr : &it->second;
    }
  }

  template <class Series>
  static Series& create_series(family& f, std::string key) {
    if constexpr (std::is_same_v<Series, scalar_series>) {
      return f.scalars.try_emplace(std::move(key)).first->second;
    } else {
      return f.histograms.try_emplace(std::move(key), f.bounds).first->second;
    }
  }
};

metrics_registry::metrics_registry() : impl_(std::make_unique<impl>()) {}
metrics_registry::~metrics_registry() = default;

void metrics_registry::describe_counter(std::string name, std::string help) {
  impl_->describe(std::move(name), std::move(help), metric_kind::counter, {});
}

void metrics_registry::describe_gauge(std::string name, std::string help) {
  impl_->describe(std::move(name), std::move(help), metric_kind::gauge, {});
}

void metrics_registry::describe_histogram(std::string name, std::string help, std::vector<double> upper_bounds) {
  check_bounds(upper_bounds);
  impl_->describe(std::move(name), std::move(help), metric_kind::histogram, std::move(upper_bounds));
}

void metrics_registry::inc(std::string_view name, const label_set& labels, double by) {
  if (std::isnan(by)) {
    impl_->dropped.fetch_add(1, std::memory_order_relaxed);
    return;
  }
  bool negative_counter = false;
  impl_->with_series<scalar_series>(name, labels, metric_kind::counter, [&](scalar_series& s, metric_kind k) {
    if (k == metric_kind::counter && by < 0) {
      negative_counter = true;  // counters only go up; a negative step is a bug upstream
      return;
    }
    s.value.fetch_add(by, std::memory_order_relaxed);
  });
  if (negative_counter) impl_->dropped.fetch_add(1, std::memory_order_relaxed);
}

void metrics_registry::set(std::string_view name, double value, const label_set& labels) {
  impl_->with_series<scalar_series>(name, labels, metric_kind::gauge,
                                    [&](scalar_series& s, metric_kind) { s.value.store(value, std::memory_order_relaxed); });
}

void metrics_registry::observe(std::string_view name, double value, const label_set& labels) {
  if (std::isnan(value)) {
    impl_->dropped.fetch_add(1, std::memory_order_relaxed);
    return;
  }
  impl_->with_series<histogram_series>(name, labels, metric_kind::histogram, [&](histogram_series& h, metric_kind) {
    // First bucket whose upper bound is >= value ("le" is inclusive); past the last bound: +Inf.
    const auto idx = static_cast<std::size_t>(std::lower_bound(h.bounds.begin(), h.bounds.end(), value) - h.bounds.begin());
    std::lock_guard lock(h.mutex);
    ++h.counts[idx];
    h.sum += value;
    ++h.count;
  });
}

double metrics_registry::value(std::string_view name, const label_set& labels) const {
  std::string key;
  std::shared_lock lock(impl_->mutex);
  const auto f_it = impl_->families.find(name);
  if (f_it == impl_->families.end()) return 0.0;
  const family& f = f_it->second;
  if (!label_key(labels, f.kind == metric_kind::histogram, key)) return 0.0;
  if (f.kind == metric_kind::histogram) {
    auto it = f.histograms.find(key);
    if (it == f.histograms.end()) return 0.0;
    std::lock_guard hl(it->second.mutex);
    return static_cast<double>(it->second.count);
  }
  auto it = f.scalars.find(key);
  return it == f.scalars.end() ? 0.0 : it->second.value.load(std::memory_order_relaxed);
}

std::uint64_t metrics_registry::dropped_updates() const { return impl_->dropped.load(std::memory_order_relaxed); }

std::string metrics_registry::render_prometheus() const {
  std::string out;
  std::shared_lock lock(impl_->mutex);
  for (const auto& [name, f] : impl_->families) {
    out += "# HELP ";
    out += name;
    out += ' ';
    append_escaped(out, f.help, false);
    out += "\n# TYPE ";
    out += name;
    out += ' ';
    out += kind_name(f.kind);
    out += '\n';
    if (f.kind != metric_kind::histogram) {
      for (const auto& [key, s] : f.scalars) {
        out += name;
        if (!key.empty()) {
          out += '{';
          out += key;
          out += '}';
        }
        out += ' ';
        append_number(out, s.value.load(std::memory_order_relaxed));
        out += '\n';
      }
      continue;
    }
    for (const auto& [key, h] : f.histograms) {
      std::vector<std::uint64_t> counts;
      double sum = 0;
      std::uint64_t count = 0;
      {
        std::lock_guard hl(h.mutex);
        counts = h.counts;
        sum = h.sum;
        count = h.count;
      }
      const std::string sep = key.empty() ? "" : ",";
      std::uint64_t cumulative = 0;
      for (std::size_t i = 0; i < counts.size(); ++i) {
        cumulative += counts[i];
        out += name;
        out += "_bucket{";
        out += key;
        out += sep;
        out += "le=\"";
        if (i < h.bounds.size()) append_number(out, h.bounds[i]);
        else out += "+Inf";
        out += "\"} ";
        out += std::to_string(cumulative);
        out += '\n';
      }
      const std::string labels = key.empty() ? "" : "{" + key + "}";
      out += name + "_sum" + labels + ' ';
      append_number(out, sum);
      out += '\n';
      out += name + "_count" + labels + ' ' + std::to_string(count) + '\n';
    }
  }
  return out;
}

}  // namespace kh::hub
