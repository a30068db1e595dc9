// What reading a message's JSON costs: kh::protocol::read_json (decode_envelope's reader) against
// nlohmann::json::parse (the baseline, measured in the same run) on an order.submit envelope of
// the size kiosks send and on a 100-product catalog. Both build the same nlohmann tree.
//   build/bin/json_read_bench [--rounds N]   (default 15 rounds of 2,000 reads)
// For instruction counts, independent of the machine's load:
//   valgrind --tool=callgrind --toggle-collect='*read_once*' build/bin/json_read_bench --rounds 1
#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "kh/protocol/json_read.hpp"

namespace {
using nlohmann::json;
using clk = std::chrono::steady_clock;

std::string order_submit() {
  json lines = json::array();
  for (int i = 0; i < 3; ++i) {
    lines.push_back({{"product_id", "prod-" + std::to_string(i)}, {"qty", 1 + i}, {"options", {"oat", "large"}},
                     {"note", i == 0 ? "extra hot, please" : ""}});
  }
  return json{{"v", 1}, {"type", "order.submit"}, {"id", "7d1f2c7e-2c5a-4b7e-9a51-0d6f3c1e2b44"},
              {"ts", "2026-12-03T10:00:00.123Z"},
              {"body", {{"order_id", "a1b2c3d4-0000-4000-8000-000000000001"}, {"business_id", "cafe"},
                        {"device_id", "kiosk-1"}, {"order_type", "pickup"}, {"lines", lines},
                        {"total", {{"amount", 1240}, {"currency", "EUR"}}},
                        {"customer", {{"name", "Zoë"}, {"phone", "+49 30 1234567"}}}, {"payment", "card"}}}}
      .dump();
}

std::string catalog(int products) {
  json p = json::array();
  for (int i = 0; i < products; ++i) {
    p.push_back({{"id", "p-" + std::to_string(i)}, {"sku", "SKU-" + std::to_string(i)}, {"category_id", "c"},
                 {"name", "Product number " + std::to_string(i)}, {"description", "A fine thing to buy today"},
                 {"price", {{"amount", 100 + i}, {"currency", "EUR"}}}, {"available", true}, {"stock", nullptr}});
  }
  return json{{"v", 1}, {"type", "catalog"}, {"id", "9b2e4c1a-5f3d-4e8b-a7c6-1d2e3f4a5b6c"},
              {"ts", "2026-11-22T08:59:30Z"}, {"body", {{"business_id", "cafe"}, {"version", 42}, {"products", p}}}}
      .dump();
}

// Not inlined, so callgrind can count each reader alone (--toggle-collect).
[[gnu::noinline]] std::size_t read_once_nlohmann(const std::string& text) {
  return json::parse(text.begin(), text.end(), nullptr, false).size();
}
[[gnu::noinline]] std::size_t read_once_kh(const std::string& text) {
  return kh::protocol::read_json(text, 32).value.size();
}

template <class F>
double median_us(F f, int rounds, int per_round = 2000) {
  std::vector<double> t;
  for (int r = 0; r < rounds; ++r) {
    const auto a = clk::now();
    for (int i = 0; i < per_round; ++i) f();
    t.push_back(std::chrono::duration<double, std::micro>(clk::now() - a).count() / per_round);
  }
  std::sort(t.begin(), t.end());
  return t[t.size() / 2];
}
}  // namespace

int main(int argc, char** argv) {
  int rounds = 15;
  for (int i = 1; i + 1 < argc; ++i)
    if (std::strcmp(argv[i], "--rounds") == 0) rounds = std::max(1, std::atoi(argv[i + 1]));
  volatile std::size_t sink = 0;
  for (const auto& [what, text] : {std::pair{"order.submit", order_submit()}, std::pair{"catalog, 100 products", catalog(100)}}) {
    const int per_round = text.size() > 4096 ? 100 : 2000;
    const double base = median_us([&] { sink = sink + read_once_nlohmann(text); }, rounds, per_round);
    const double mine = median_us([&] { sink = sink + read_once_kh(text); }, rounds, per_round);
    std::printf("%-22s %6zu bytes  nlohmann::json::parse %8.2f us  read_json %8.2f us  = %.2fx baseline\n", what,
                text.size(), base, mine, mine / base);
  }
  return 0;
}
