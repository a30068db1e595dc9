// scan_bench: the kh::hardware scanner (ZXing-C++ 1.4) against zbar on the SAME generated frames.
// Per resolution: decode time per frame (median, p99) and detection rate per corpus condition.
//   scan_bench [--samples N] [--seed S] [--budget-us U] [--dump DIR] [--misses]
// Not run by ctest: figures go to docs/benchmarks.md.
#include "corpus.hpp"
#include "zbar_reader.hpp"

#include <kh/hardware/camera/image_file.hpp>
#include <kh/hardware/scanner/scanner.hpp>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <map>
#include <string>
#include <vector>

namespace {

using namespace kh::scan_corpus;
using kh::hardware::code_format;
using clock_type = std::chrono::steady_clock;

double percentile(std::vector<double> v, double p) {
  if (v.empty()) return 0;
  std::sort(v.begin(), v.end());
  const auto i = static_cast<std::size_t>(std::min<double>(v.size() - 1, p * static_cast<double>(v.size() - 1) + 0.5));
  return v[i];
}

struct tally {
  int frames = 0, codes = 0, zx = 0, zx_held = 0, zx_still = 0, zb = 0, zx_false = 0, zb_false = 0;
};

}  // namespace

int main(int argc, char** argv) {
  int samples = 40;
  std::uint32_t seed = 20261122;
  long budget_us = 8000;
  std::string dump;
  bool misses = false;
  for (int i = 1; i < argc; ++i) {
    const std::string a = argv[i];
    auto value = [&]() -> std::string {
      if (i + 1 >= argc) {
        std::fprintf(stderr, "scan_bench: %s needs a value\n", a.c_str());
        std::exit(2);
      }
      return argv[++i];
    };
    if (a == "--samples") samples = std::max(1, std::atoi(value().c_str()));
    else if (a == "--seed") seed = static_cast<std::uint32_t>(std::strtoul(value().c_str(), nullptr, 10));
    else if (a == "--budget-us") budget_us = std::atol(value().c_str());
    else if (a == "--dump") dump = value();
    else if (a == "--misses") misses = true;
    else {
      std::fprintf(stderr, "usage: scan_bench [--samples N] [--seed S] [--budget-us U] [--dump DIR] [--misses]\n");
      return 2;
    }
  }

  std::printf("scan_bench: %d samples per condition, seed %u, decode budget %ld us\n", samples, seed, budget_us);
  for (const auto& [w, h] : {std::pair{640, 480}, std::pair{1280, 720}}) {
    const auto corpus = make_corpus(w, h, samples, {k_all_conditions.begin(), k_all_conditions.end()}, seed);
    kh::hardware::decoder_options opts;
    opts.budget = std::chrono::microseconds{budget_us};
    kh::hardware::frame_decoder live(opts);
    kh::hardware::frame_decoder still(opts);
    kh::hardware::frame_decoder held(opts);  // the same frame 4 times: a code held in view ~130 ms
    zbar_reader zbar;
    std::map<condition, tally> by_condition;
    std::map<std::pair<condition, code_format>, tally> by_format;
    std::vector<double> zx_ms, zb_ms, zx_empty_ms, zb_empty_ms;
    int over_budget = 0;
    std::map<std::string, int> overran_in;  // the pass during which the budget ran out
    for (const auto& s : corpus) {
      if (!dump.empty()) {
        std::filesystem::create_directories(dump);
        (void)kh::hardware::write_png(std::filesystem::path(dump) / (s.name() + ".png"), *s.image.view());
      }
      auto t0 = clock_type::now();
      const auto codes = live.decode(*s.image.view());
      auto t1 = clock_type::now();
      const auto zb_reads = zbar.read(s.image);
      auto t2 = clock_type::now();
      const auto still_codes = still.decode_thoroughly(*s.image.view());
      std::vector<read_result> held_reads;
      for (int k = 0; k < 4; ++k)
        for (const auto& c : held.decode(*s.image.view())) held_reads.push_back({c.format, c.text});
      if (live.last_report().over_budget) {
        ++over_budget;
        ++overran_in[live.last_report().overran_in];
      }
      const double zx_t = std::chrono::duration<double, std::milli>(t1 - t0).count();
      const double zb_t = std::chrono::duration<double, std::milli>(t2 - t1).count();
      zx_ms.push_back(zx_t);
      zb_ms.push_back(zb_t);
      if (s.cond == condition::no_code) {
        zx_empty_ms.push_back(zx_t);
        zb_empty_ms.push_back(zb_t);
      }
      std::vector<read_result> zx_reads, still_reads;
      for (const auto& c : codes) zx_reads.push_back({c.format, c.text});
      for (const auto& c : still_codes) still_reads.push_back({c.format, c.text});
      for (const auto& r : zx_reads)
        if (count_unexpected(s, {r}) > 0)
          std::printf("misread (kh): %s read %s \"%s\"\n", s.name().c_str(), std::string(kh::hardware::to_string(r.format)).c_str(), r.text.c_str());
      for (const auto& r : zb_reads)
        if (count_unexpected(s, {r}) > 0)
          std::printf("misread (zbar): %s read %s \"%s\"\n", s.name().c_str(), std::string(kh::hardware::to_string(r.format)).c_str(), r.text.c_str());
      if (misses) {
        // Frames where a kh column found fewer codes than zbar: the ones worth looking at.
        const int live_n = count_found(s, zx_reads), held_n = count_found(s, held_reads);
        const int still_n = count_found(s, still_reads), zbar_n = count_found(s, zb_reads);
        if (std::min({live_n, held_n, still_n}) < zbar_n)
          std::printf("miss: %-26s kh 1 frame %d, 4 frames %d, still %d, zbar %d of %zu\n", s.name().c_str(), live_n,
                      held_n, still_n, zbar_n, s.codes.size());
      }
      auto& t = by_condition[s.cond];
      ++t.frames;
      t.codes += static_cast<int>(s.codes.size());
      t.zx += count_found(s, zx_reads);
      t.zx_still += count_found(s, still_reads);
      t.zx_held += count_found(s, held_reads);
      t.zb += count_found(s, zb_reads);
      t.zx_false += count_unexpected(s, zx_reads);
      t.zb_false += count_unexpected(s, zb_reads);
      for (const auto& want : s.codes) {
        auto& f = by_format[{s.cond, want.format}];
        ++f.codes;
        sample one{s.cond, s.index, {}, {want}};
        f.zx += count_found(one, zx_reads) > 0;
        f.zb += count_found(one, zb_reads) > 0;
      }
    }
    std::printf("\n## %dx%d (%zu frames)\n\n", w, h, corpus.size());
    std::printf("| decode time per frame | median ms | p99 ms | max ms |\n|---|---:|---:|---:|\n");
    std::printf("| kh scanner (ZXing 1.4), all frames | %.2f | %.2f | %.2f |\n", percentile(zx_ms, 0.5), percentile(zx_ms, 0.99), percentile(zx_ms, 1));
    std::printf("| kh scanner, frames without a code | %.2f | %.2f | %.2f |\n", percentile(zx_empty_ms, 0.5), percentile(zx_empty_ms, 0.99), percentile(zx_empty_ms, 1));
    std::printf("| zbar 0.23, all frames | %.2f | %.2f | %.2f |\n", percentile(zb_ms, 0.5), percentile(zb_ms, 0.99), percentile(zb_ms, 1));
    std::printf("| zbar, frames without a code | %.2f | %.2f | %.2f |\n", percentile(zb_empty_ms, 0.5), percentile(zb_empty_ms, 0.99), percentile(zb_empty_ms, 1));
    std::printf("\nframes over the %ld us budget: %d of %zu (ran out in:", budget_us, over_budget, corpus.size());
    for (const auto& [pass, n] : overran_in) std::printf(" %s %d", pass.empty() ? "after the last pass" : pass.c_str(), n);
    std::printf(")\n\n");
    std::printf("| condition | codes | kh 1 frame | kh 4 frames | kh still | zbar | kh misreads | zbar misreads |\n|---|---:|---:|---:|---:|---:|---:|---:|\n");
    auto pct = [](int n, int d) { return d ? 100.0 * n / d : 0.0; };
    for (const auto& [c, t] : by_condition) {
      if (c == condition::no_code)
        std::printf("| %s | 0 (%d frames) | – | – | – | – | %d | %d |\n", std::string(to_string(c)).c_str(), t.frames, t.zx_false, t.zb_false);
      else
        std::printf("| %s | %d | %.1f%% | %.1f%% | %.1f%% | %.1f%% | %d | %d |\n", std::string(to_string(c)).c_str(), t.codes,
                    pct(t.zx, t.codes), pct(t.zx_held, t.codes), pct(t.zx_still, t.codes), pct(t.zb, t.codes), t.zx_false, t.zb_false);
    }
    std::printf("\nby format (kh live / zbar found of codes):\n");
    for (const auto& [key, f] : by_format)
      std::printf("  %-13s %-8s %3d/%-3d  %3d/%-3d\n", std::string(to_string(key.first)).c_str(),
                  std::string(kh::hardware::to_string(key.second)).c_str(), f.zx, f.codes, f.zb, f.codes);
  }
  return 0;
}
