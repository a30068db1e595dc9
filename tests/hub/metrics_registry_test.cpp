#include <cmath>
#include <cstdlib>
#include <map>
#include <set>
#include <sstream>
#include <stdexcept>
#include <string>
#include <thread>
#include <vector>

#include <gtest/gtest.h>

#include "kh/hub/http/http_server.hpp"
#include "kh/hub/metrics/metrics.hpp"

namespace {

using kh::hub::label_set;
using kh::hub::metrics_registry;

// A small checker for the Prometheus text format 0.0.4: every line is a well-formed HELP, TYPE or
// sample line; a family's HELP/TYPE come before its samples and only once; sample names belong to
// the declared family (histograms: _bucket/_sum/_count); histogram buckets are cumulative, end with
// le="+Inf", and that bucket equals _count. Returns an empty string when the text is valid.
// (Hand-written rather than std::regex: GCC 12's <regex> warns under sanitizers.)
bool is_name_char(char c, bool first, bool metric) {
  const bool alpha = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_' || (metric && c == ':');
  return alpha || (!first && c >= '0' && c <= '9');
}

// Reads a name at `pos`; returns it, empty if there is none.
std::string read_name(std::string_view line, std::size_t& pos, bool metric) {
  const std::size_t start = pos;
  while (pos < line.size() && is_name_char(line[pos], pos == start, metric)) ++pos;
  return std::string(line.substr(start, pos - start));
}

bool is_sample_value(std::string_view v) {
  if (v == "+Inf" || v == "-Inf" || v == "NaN") return true;
  if (v.empty()) return false;
  const std::string s(v);
  char* end = nullptr;
  std::strtod(s.c_str(), &end);
  return end == s.c_str() + s.size() && s.find_first_of("iInN") == std::string::npos;
}

struct sample {
  std::string name;
  std::vector<std::pair<std::string, std::string>> labels;  // values still escaped
  std::string value;
};

// Parses `name{a="x",b="y"} value`; returns an error text or "".
std::string parse_sample(std::string_view line, sample& out) {
  std::size_t pos = 0;
  out.name = read_name(line, pos, true);
  if (out.name.empty()) return "no metric name";
  if (pos < line.size() && line[pos] == '{') {
    ++pos;
    while (pos < line.size() && line[pos] != '}') {
      std::string label = read_name(line, pos, false);
      if (label.empty()) return "bad label name";
      if (line.substr(pos, 2) != "=\"") return "label without =\"";
      pos += 2;
      std::string value;
      while (pos < line.size() && line[pos] != '"') {
        if (line[pos] == '\\') {
          if (pos + 1 >= line.size() || (line[pos + 1] != '\\' && line[pos + 1] != '"' && line[pos + 1] != 'n'))
            return "bad escape in label value";
          value += line.substr(pos, 2);
          pos += 2;
        } else {
          value += line[pos++];
        }
      }
      if (pos >= line.size()) return "unterminated label value";
      ++pos;  // closing quote
      out.labels.emplace_back(std::move(label), std::move(value));
      if (pos < line.size() && line[pos] == ',') ++pos;
      else if (pos < line.size() && line[pos] != '}') return "labels not separated by ','";
    }
    if (pos >= line.size()) return "unterminated label set";
    ++pos;  // '}'
  }
  if (pos >= line.size() || line[pos] != ' ') return "no space before the value";
  out.value = std::string(line.substr(pos + 1));
  if (!is_sample_value(out.value)) return "bad value '" + out.value + "'";
  return {};
}

std::string check_prometheus_text(const std::string& text) {
  if (!text.empty() && text.back() != '\n') return "text does not end with a newline";
  std::map<std::string, std::string> types;
  std::set<std::string> helped;
  std::string current;  // family whose samples may follow
  std::map<std::string, std::pair<double, bool>> last_bucket;  // series (labels without le) -> count, saw +Inf
  std::istringstream in(text);
  std::string line;
  int n = 0;
  while (std::getline(in, line)) {
    ++n;
    const std::string where = "line " + std::to_string(n) + " '" + line + "': ";
    if (line.starts_with("# HELP ")) {
      std::size_t pos = 7;
      const std::string name = read_name(line, pos, true);
      if (name.empty() || pos >= line.size() || line[pos] != ' ') return where + "bad HELP";
      for (std::size_t i = pos; i < line.size(); ++i)
        if (line[i] == '\\' && (++i >= line.size() || (line[i] != '\\' && line[i] != 'n'))) return where + "bad escape in HELP";
      if (!helped.insert(name).second) return where + "second HELP";
      current = name;
      continue;
    }
    if (line.starts_with("# TYPE ")) {
      std::size_t pos = 7;
      const std::string name = read_name(line, pos, true);
      const std::string type = pos < line.size() ? line.substr(pos + 1) : "";
      if (name.empty() || line[pos] != ' ' ||
          (type != "counter" && type != "gauge" && type != "histogram" && type != "summary" && type != "untyped"))
        return where + "bad TYPE";
      if (types.contains(name)) return where + "second TYPE";
      if (name != current) return where + "TYPE not right after its HELP";
      types[name] = type;
      continue;
    }
    if (line.starts_with("#")) return where + "unknown comment";
    sample smp;
    if (auto err = parse_sample(line, smp); !err.empty()) return where + err;
    const std::string type = types.contains(current) ? types[current] : "";
    if (type != "histogram") {
      if (smp.name != current) return where + "sample without a preceding TYPE for its family";
      continue;
    }
    std::string series;  // labels other than le, in order
    std::string le;
    bool has_le = false;
    for (const auto& [k, v] : smp.labels) {
      if (k == "le") {
        le = v;
        has_le = true;
      } else {
        series += k + "=" + v + ",";
      }
    }
    if (smp.name == current + "_bucket") {
      if (!has_le) return where + "bucket without le";
      const double v = std::stod(smp.value);
      auto& [prev, inf] = last_bucket[series];
      if (inf) return where + "bucket after +Inf";
      if (v < prev) return where + "buckets not cumulative";
      prev = v;
      inf = le == "+Inf";
    } else if (smp.name == current + "_count") {
      auto it = last_bucket.find(series);
      if (it == last_bucket.end() || !it->second.second) return where + "_count without a +Inf bucket";
      if (it->second.first != std::stod(smp.value)) return where + "_count differs from the +Inf bucket";
    } else if (smp.name != current + "_sum") {
      return where + "sample outside its histogram family";
    }
  }
  return {};
}

TEST(metrics_checker, rejects_malformed_text) {
  // The checker itself must be able to fail, or the tests that use it prove nothing.
  EXPECT_NE(check_prometheus_text("# TYPE x counter\nx 1\n"), "");                // TYPE without HELP
  EXPECT_NE(check_prometheus_text("# HELP x h\n# TYPE x counter\nx{a=\"b} 1\n"), "");  // broken quote
  EXPECT_NE(check_prometheus_text("# HELP x h\n# TYPE x counter\ny 1\n"), "");     // wrong family
  EXPECT_NE(check_prometheus_text("# HELP h h\n# TYPE h histogram\nh_bucket{le=\"1\"} 2\nh_bucket{le=\"+Inf\"} 1\n"
                                  "h_sum 1\nh_count 1\n"),
            "");  // not cumulative
  EXPECT_NE(check_prometheus_text("# HELP x h\n# TYPE x counter\nx{a=\"b\\q\"} 1\n"), "");  // bad escape
  EXPECT_NE(check_prometheus_text("# HELP x h\n# TYPE x counter\nx one\n"), "");        // bad value
  EXPECT_NE(check_prometheus_text("# HELP h h\n# TYPE h histogram\nh_bucket{le=\"1\"} 1\nh_sum 1\nh_count 1\n"),
            "");  // no +Inf bucket
  EXPECT_EQ(check_prometheus_text("# HELP x h\n# TYPE x counter\nx{a=\"b\"} 1\n"), "");
}

TEST(metrics_registry, counters_with_labels_are_separate_series) {
  metrics_registry r;
  r.describe_counter("kh_orders_total", "Orders by outcome.");
  r.inc("kh_orders_total", {{"outcome", "accepted"}});
  r.inc("kh_orders_total", {{"outcome", "accepted"}}, 2);
  r.inc("kh_orders_total", {{"outcome", "rejected"}, {"code", "out_of_stock"}});
  EXPECT_EQ(r.value("kh_orders_total", {{"outcome", "accepted"}}), 3);
  // Label order does not matter.
  EXPECT_EQ(r.value("kh_orders_total", {{"code", "out_of_stock"}, {"outcome", "rejected"}}), 1);
  EXPECT_EQ(r.value("kh_orders_total", {{"outcome", "other"}}), 0);
  EXPECT_EQ(r.value("kh_missing"), 0);
  const std::string text = r.render_prometheus();
  EXPECT_NE(text.find("# HELP kh_orders_total Orders by outcome.\n# TYPE kh_orders_total counter\n"), std::string::npos) << text;
  EXPECT_NE(text.find("kh_orders_total{outcome=\"accepted\"} 3\n"), std::string::npos) << text;
  EXPECT_NE(text.find("kh_orders_total{code=\"out_of_stock\",outcome=\"rejected\"} 1\n"), std::string::npos) << text;
  EXPECT_EQ(check_prometheus_text(text), "");
  EXPECT_EQ(r.dropped_updates(), 0u);
}

TEST(metrics_registry, gauge_goes_up_and_down) {
  metrics_registry r;
  r.describe_gauge("kh_devices_connected", "Devices online.");
  r.set("kh_devices_connected", 5);
  r.inc("kh_devices_connected", {}, -2);
  EXPECT_EQ(r.value("kh_devices_connected"), 3);
  r.set("kh_devices_connected", 1.5);
  const std::string text = r.render_prometheus();
  EXPECT_NE(text.find("# TYPE kh_devices_connected gauge\nkh_devices_connected 1.5\n"), std::string::npos) << text;
  EXPECT_EQ(check_prometheus_text(text), "");
}

TEST(metrics_registry, histogram_buckets_are_cumulative_with_inf_sum_and_count) {
  metrics_registry r;
  r.describe_histogram("kh_order_latency_seconds", "Submit to answer.", {0.25, 1, 4});
  // Binary-exact values, so the sum prints exactly.
  for (double v : {0.125, 0.25, 0.5, 2.0, 3.0, 8.0}) r.observe("kh_order_latency_seconds", v);
  const std::string text = r.render_prometheus();
  // 0.25 falls into le="0.25": bounds are inclusive.
  EXPECT_NE(text.find("kh_order_latency_seconds_bucket{le=\"0.25\"} 2\n"
                      "kh_order_latency_seconds_bucket{le=\"1\"} 3\n"
                      "kh_order_latency_seconds_bucket{le=\"4\"} 5\n"
                      "kh_order_latency_seconds_bucket{le=\"+Inf\"} 6\n"
                      "kh_order_latency_seconds_sum 13.875\n"
                      "kh_order_latency_seconds_count 6\n"),
            std::string::npos)
      << text;
  EXPECT_EQ(r.value("kh_order_latency_seconds"), 6);  // sample count
  EXPECT_EQ(check_prometheus_text(text), "");
}

TEST(metrics_registry, histogram_labels_come_before_le) {
  metrics_registry r;
  r.describe_histogram("h_seconds", "h", {1});
  r.observe("h_seconds", 0.5, {{"route", "/metrics"}});
  const std::string text = r.render_prometheus();
  EXPECT_NE(text.find("h_seconds_bucket{route=\"/metrics\",le=\"1\"} 1\n"), std::string::npos) << text;
  EXPECT_NE(text.find("h_seconds_count{route=\"/metrics\"} 1\n"), std::string::npos) << text;
  EXPECT_EQ(check_prometheus_text(text), "");
}

TEST(metrics_registry, label_values_and_help_are_escaped) {
  metrics_registry r;
  r.describe_counter("kh_errors_total", "Errors; a \\ backslash\nand a new line.");
  r.inc("kh_errors_total", {{"message", "say \"hi\"\\now\nplease"}});
  const std::string text = r.render_prometheus();
  EXPECT_NE(text.find("# HELP kh_errors_total Errors; a \\\\ backslash\\nand a new line.\n"), std::string::npos) << text;
  EXPECT_NE(text.find(R"(kh_errors_total{message="say \"hi\"\\now\nplease"} 1)"), std::string::npos) << text;
  EXPECT_EQ(check_prometheus_text(text), "");
  EXPECT_EQ(r.value("kh_errors_total", {{"message", "say \"hi\"\\now\nplease"}}), 1);
}

TEST(metrics_registry, concurrent_increments_are_all_counted) {
  metrics_registry r;
  r.describe_counter("kh_messages_total", "Messages.");
  r.describe_histogram("kh_h", "h", {0.5});
  constexpr int k_threads = 4;
  constexpr int k_per_thread = 20000;
  std::vector<std::thread> threads;
  for (int t = 0; t < k_threads; ++t) {
    threads.emplace_back([&r, t] {
      for (int i = 0; i < k_per_thread; ++i) {
        r.inc("kh_messages_total");
        // New series being created while others increment must not lose updates either.
        r.inc("kh_messages_total", {{"dir", i % 2 ? "in" : "out"}, {"t", std::to_string(t)}});
        r.observe("kh_h", 0.25);
      }
    });
  }
  for (auto& th : threads) th.join();
  EXPECT_EQ(r.value("kh_messages_total"), k_threads * k_per_thread);
  EXPECT_EQ(r.value("kh_messages_total", {{"dir", "in"}, {"t", "2"}}), k_per_thread / 2);
  EXPECT_EQ(r.value("kh_h"), k_threads * k_per_thread);
  EXPECT_EQ(check_prometheus_text(r.render_prometheus()), "");
}

TEST(metrics_registry, misuse_is_dropped_and_counted_not_thrown) {
  metrics_registry r;
  r.describe_counter("kh_c_total", "c");
  r.describe_gauge("kh_g", "g");
  r.inc("kh_c_total", {}, -1);                 // counters never go down
  r.set("kh_c_total", 7);                      // wrong type
  r.observe("kh_g", 1);                        // wrong type
  r.inc("bad name");                           // invalid metric name
  r.inc("kh_c_total", {{"1abc", "x"}});        // invalid label name
  r.inc("kh_c_total", {{"a", "x"}, {"a", "y"}});  // duplicate label
  r.inc("kh_c_total", {}, std::nan(""));
  EXPECT_EQ(r.dropped_updates(), 7u);
  EXPECT_EQ(r.value("kh_c_total"), 0);
  EXPECT_EQ(r.value("kh_g"), 0);
  const std::string text = r.render_prometheus();
  EXPECT_EQ(text.find("bad name"), std::string::npos);
  EXPECT_EQ(check_prometheus_text(text), "");
}

TEST(metrics_registry, bad_descriptions_throw_at_setup) {
  metrics_registry r;
  EXPECT_THROW(r.describe_counter("0starts_with_digit", "x"), std::invalid_argument);
  EXPECT_THROW(r.describe_histogram("h", "x", {1, 1}), std::invalid_argument);
  EXPECT_THROW(r.describe_histogram("h", "x", {2, 1}), std::invalid_argument);
  EXPECT_THROW(r.describe_histogram("h", "x", {INFINITY}), std::invalid_argument);
  r.describe_counter("kh_x_total", "x");
  EXPECT_THROW(r.describe_gauge("kh_x_total", "x"), std::invalid_argument);
  EXPECT_NO_THROW(r.describe_counter("kh_x_total", "new help"));
  EXPECT_NE(r.render_prometheus().find("# HELP kh_x_total new help\n"), std::string::npos);
}

TEST(metrics_registry, undescribed_names_get_a_type_from_first_use) {
  metrics_registry r;
  r.inc("kh_auto_total");
  r.set("kh_auto_gauge", 2);
  r.observe("kh_auto_seconds", 0.2);
  const std::string text = r.render_prometheus();
  EXPECT_NE(text.find("# TYPE kh_auto_total counter\n"), std::string::npos) << text;
  EXPECT_NE(text.find("# TYPE kh_auto_gauge gauge\n"), std::string::npos) << text;
  EXPECT_NE(text.find("kh_auto_seconds_bucket{le=\"0.25\"} 1\n"), std::string::npos) << text;  // default buckets
  EXPECT_EQ(check_prometheus_text(text), "");
}

TEST(metrics_registry, prometheus_response_has_the_exposition_content_type) {
  metrics_registry r;
  r.describe_counter("kh_c_total", "c");
  r.inc("kh_c_total", {}, 0);
  const auto res = kh::hub::prometheus_response(r);
  EXPECT_EQ(res.status, 200);
  EXPECT_EQ(res.content_type, "text/plain; version=0.0.4; charset=utf-8");
  EXPECT_EQ(res.body, "# HELP kh_c_total c\n# TYPE kh_c_total counter\nkh_c_total 0\n");
}

}  // namespace
