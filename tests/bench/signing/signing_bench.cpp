// What signing costs the hub per catalog publish and the kiosk per catalog received: Ed25519 sign
// and verify (libsodium) of a catalog envelope, against the JSON parse + dump that every publish
// and receive does anyway (the baseline, measured in the same run).
//   build/bin/signing_bench [--products N]   (default 100)
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <string>
#include <vector>
#include <algorithm>

#include <nlohmann/json.hpp>

#include "kh/provisioning/signing.hpp"

namespace {
using nlohmann::json;
using clk = std::chrono::steady_clock;

std::string catalog(int products) {
  json p = json::array();
  for (int i = 0; i < products; ++i) {
    p.push_back({{"id", "p-" + std::to_string(i)}, {"sku", "SKU-" + std::to_string(i)}, {"category_id", "c"},
                 {"name", "Product number " + std::to_string(i)}, {"description", "A fine thing to buy today"},
                 {"price", {{"amount", 100 + i}, {"currency", "EUR"}}}, {"image_url", ""}, {"available", true},
                 {"stock", nullptr}});
  }
  return json{{"v", 1}, {"type", "catalog"}, {"id", "9b2e4c1a-5f3d-4e8b-a7c6-1d2e3f4a5b6c"},
              {"ts", "2026-11-22T08:59:30Z"},
              {"body", {{"business_id", "cafe"}, {"currency", "EUR"}, {"version", 42}, {"categories", json::array()},
                        {"products", p}}}}
      .dump();
}

template <class F>
double median_us(F f, int rounds = 15, int per_round = 200) {
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
  int products = 100;
  for (int i = 1; i + 1 < argc; ++i)
    if (std::strcmp(argv[i], "--products") == 0) products = std::atoi(argv[i + 1]);
  const auto key = kh::provisioning::signing_key::generate();
  const std::string payload = catalog(products);
  const std::string signed_payload = key.sign_payload(payload);
  volatile std::size_t sink = 0;
  const double base = median_us([&] { sink = sink + json::parse(payload).dump().size(); });
  const double sign = median_us([&] { sink = sink + key.sign_payload(payload).size(); });
  const double verify = median_us([&] {
    sink = sink + static_cast<std::size_t>(kh::provisioning::verify_payload(signed_payload, key.public_half()));
  });
  std::printf("catalog of %d products, %zu bytes (%zu signed)\n", products, payload.size(), signed_payload.size());
  std::printf("baseline parse+dump  %8.1f us\n", base);
  std::printf("sign (parse+sign+dump) %6.1f us  = %.2fx baseline\n", sign, sign / base);
  std::printf("verify (parse+verify)  %6.1f us  = %.2fx baseline\n", verify, verify / base);
  return 0;
}
