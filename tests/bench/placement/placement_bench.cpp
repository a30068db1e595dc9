// In-process cost of the hub's order path with the store profile and options (issue 9): the demo
// café (Europe/Paris profile, option groups), order_service::place for a plain order (espresso,
// no options) vs a latte with two options, and quote_order for that latte cart; interleaved in
// rounds so machine load hits all three alike. Prints µs per call (median of rounds) and the
// ratios to the plain order. Real SQLite file, synchronous=NORMAL, one transaction per order.
//
//   build/bin/placement_bench [--orders 2000] [--rounds 5]

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <string>
#include <vector>

#include "kh/hub/catalog/catalog_service.hpp"
#include "kh/hub/catalog/seed.hpp"
#include "kh/hub/orders/order_service.hpp"
#include "kh/protocol/ids.hpp"
#include "kh/test/support.hpp"

namespace kp = kh::protocol;
using steady = std::chrono::steady_clock;

int main(int argc, char** argv) {
  int orders = 2000, rounds = 5;
  for (int i = 1; i + 1 < argc; i += 2) {
    if (std::strcmp(argv[i], "--orders") == 0) orders = std::atoi(argv[i + 1]);
    if (std::strcmp(argv[i], "--rounds") == 0) rounds = std::atoi(argv[i + 1]);
  }
  kh::test::temp_dir dir;
  auto s = kh::hub::open_sqlite_store(kh::hub::database_path(dir.str()));
  kh::hub::seed_demo(*s);
  {
    // Untracked stock, so thousands of orders never run out.
    auto tx = s->begin();
    const auto b = s->businesses().all().at(0);
    for (const char* p : {"espresso", "latte"}) s->catalog().set_stock(b.id, p, std::nullopt, 0);
    tx->commit();
  }
  kh::hub::order_service svc(*s);

  auto plain = [] {
    auto o = kp::order_submit{};
    o.order_id = kp::new_uuid();
    o.payment = kp::payment_method::cash;
    o.lines.push_back({"espresso", 1, ""});
    return o;
  };
  auto with_options = [] {
    auto o = kp::order_submit{};
    o.order_id = kp::new_uuid();
    o.payment = kp::payment_method::cash;
    o.lines.push_back({"latte", 1, "", {{"size", "l"}, {"milk", "oat"}}});
    return o;
  };
  kp::order_quote q;
  q.quote_id = kp::new_uuid();
  q.lines.push_back({"latte", 1, "", {{"size", "l"}, {"milk", "oat"}}});

  std::vector<double> a, b, c;
  int failures = 0;
  for (int r = 0; r < rounds; ++r) {
    auto t0 = steady::now();
    for (int i = 0; i < orders; ++i) failures += svc.place("kiosk-1", plain()).accepted ? 0 : 1;
    auto t1 = steady::now();
    for (int i = 0; i < orders; ++i) failures += svc.place("kiosk-1", with_options()).accepted ? 0 : 1;
    auto t2 = steady::now();
    for (int i = 0; i < orders; ++i) failures += kh::hub::quote_order(*s, "kiosk-1", q, svc.now()).ok() ? 0 : 1;
    auto t3 = steady::now();
    auto us = [&](auto d) { return std::chrono::duration<double, std::micro>(d).count() / orders; };
    a.push_back(us(t1 - t0));
    b.push_back(us(t2 - t1));
    c.push_back(us(t3 - t2));
  }
  auto median = [](std::vector<double> v) {
    std::sort(v.begin(), v.end());
    return v[v.size() / 2];
  };
  const double ma = median(a), mb = median(b), mc = median(c);
  std::printf("placement_bench: %d orders x %d rounds, failures %d\n", orders, rounds, failures);
  std::printf("  plain order (espresso)          %8.1f us/order   1.00\n", ma);
  std::printf("  order with 2 options (latte)    %8.1f us/order   %.2f\n", mb, mb / ma);
  std::printf("  quote of the latte cart         %8.1f us/quote   %.2f\n", mc, mc / ma);
  return failures == 0 ? 0 : 1;
}
