#pragma once
// Frame-time samples shared by the kiosk_frame and kiosk_shop_frame benchmarks.
#include <algorithm>
#include <cstddef>
#include <fstream>
#include <string>
#include <vector>

namespace kh::bench {

struct frame_stats {
  std::vector<double> v;      // whole frame, ms
  std::vector<double> build;  // of which building the scene, ms
  double build_p50() {
    std::sort(build.begin(), build.end());
    return build.empty() ? 0 : build[build.size() / 2];
  }
  double pct(double p) {
    if (v.empty()) return 0;
    std::sort(v.begin(), v.end());
    return v[static_cast<std::size_t>(p / 100.0 * static_cast<double>(v.size() - 1))];
  }
};

// "1.25 2.53 3.85": the machine is shared, so every result line carries the load average.
inline std::string load_average() {
  std::ifstream f("/proc/loadavg");
  std::string a, b, c;
  if (!(f >> a >> b >> c)) return "?";
  return a + " " + b + " " + c;
}

}  // namespace kh::bench
