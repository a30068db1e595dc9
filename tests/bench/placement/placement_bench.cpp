// In-process cost of the hub's order path, without broker or Paho: the demo café (Europe/Paris
// profile, option groups) in a real SQLite file opened as the hub opens it (background
// checkpointer; --sync normal by default, as the "hub time per order" goal), and
//   - order_service::place for a plain order (espresso, no options), one transaction each;
//   - the same for a latte with two options;
//   - quote_order for that latte cart;
//   - plain orders through place_batch in batches of --batch (the hub's path under load: group
//     commit, one transaction per batch).
// Interleaved in rounds so machine load hits all of them alike. Prints, per call (median of
// rounds), wall µs and CPU µs of this process (all its threads, so the checkpointer's copying is
// counted): on a shared machine wall time mostly measures the other processes, CPU time is the
// hub's own cost. Ratios are to the plain order's CPU time.
//
// --drop-report-extras drops migration 8's orders_report index and its product_sales_line trigger
// first (never in a real database): run with and without it to see what they cost an order.
//
//   build/bin/placement_bench [--orders 2000] [--rounds 5] [--batch 32] [--sync normal|full]
//                             [--drop-report-extras]

#include <time.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <functional>
#include <string>
#include <vector>

#include "kh/hub/catalog/catalog_service.hpp"
#include "kh/hub/catalog/seed.hpp"
#include "kh/hub/orders/order_service.hpp"
#include "kh/protocol/ids.hpp"
#include "kh/test/support.hpp"

namespace kp = kh::protocol;
using steady = std::chrono::steady_clock;

namespace {
double cpu_seconds() {
  timespec ts{};
  clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts);
  return static_cast<double>(ts.tv_sec) + static_cast<double>(ts.tv_nsec) * 1e-9;
}
double median(std::vector<double> v) {
  std::sort(v.begin(), v.end());
  return v[v.size() / 2];
}
}  // namespace

int main(int argc, char** argv) {
  int orders = 2000, rounds = 5, batch = 32;
  bool full = false, drop_extras = false;
  for (int i = 1; i < argc; ++i) {
    const bool has_value = i + 1 < argc;
    if (std::strcmp(argv[i], "--drop-report-extras") == 0) {
      drop_extras = true;
    } else if (has_value && std::strcmp(argv[i], "--orders") == 0) {
      orders = std::atoi(argv[++i]);
    } else if (has_value && std::strcmp(argv[i], "--rounds") == 0) {
      rounds = std::atoi(argv[++i]);
    } else if (has_value && std::strcmp(argv[i], "--batch") == 0) {
      batch = std::max(1, std::atoi(argv[++i]));
    } else if (has_value && std::strcmp(argv[i], "--sync") == 0) {
      full = std::strcmp(argv[++i], "full") == 0;
    }
  }
  kh::test::temp_dir dir;
  auto s = kh::hub::open_sqlite_store(
      kh::hub::database_path(dir.str()),
      kh::hub::store_options{.sync = full ? kh::hub::sqlite::durability::full : kh::hub::sqlite::durability::normal,
                             .background_checkpoint = true});
  kh::hub::seed_demo(*s);
  {
    // Untracked stock, so thousands of orders never run out.
    auto tx = s->begin();
    const auto b = s->businesses().all().at(0);
    for (const char* p : {"espresso", "latte"}) s->catalog().set_stock(b.id, p, std::nullopt, 0);
    tx->commit();
  }
  if (drop_extras) {
    kh::hub::sqlite_connection(*s).exec("DROP INDEX orders_report; DROP TRIGGER product_sales_line;");
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

  int failures = 0;
  struct mode {
    const char* name;
    const char* unit;
    std::function<void()> run;  // `orders` calls
    std::vector<double> wall, cpu;
  };
  std::vector<mode> modes;
  modes.push_back({"plain order (espresso)", "order", [&] {
                     for (int i = 0; i < orders; ++i) failures += svc.place("kiosk-1", plain()).accepted ? 0 : 1;
                   }});
  modes.push_back({"order with 2 options (latte)", "order", [&] {
                     for (int i = 0; i < orders; ++i) failures += svc.place("kiosk-1", with_options()).accepted ? 0 : 1;
                   }});
  modes.push_back({"quote of the latte cart", "quote", [&] {
                     for (int i = 0; i < orders; ++i) {
                       failures += kh::hub::quote_order(*s, "kiosk-1", q, svc.now()).ok() ? 0 : 1;
                     }
                   }});
  const std::string batch_name = "plain, batches of " + std::to_string(batch) + " (place_batch)";
  modes.push_back({batch_name.c_str(), "order", [&] {
                     std::vector<kh::hub::order_submission> subs;
                     for (int done = 0; done < orders;) {
                       subs.clear();
                       for (int k = 0; k < batch && done < orders; ++k, ++done) subs.push_back({"kiosk-1", plain()});
                       for (const auto& p : svc.place_batch(subs)) failures += p.accepted ? 0 : 1;
                     }
                   }});
  for (int r = 0; r < rounds; ++r) {
    for (auto& m : modes) {
      const double c0 = cpu_seconds();
      const auto t0 = steady::now();
      m.run();
      const auto t1 = steady::now();
      const double c1 = cpu_seconds();
      m.wall.push_back(std::chrono::duration<double, std::micro>(t1 - t0).count() / orders);
      m.cpu.push_back((c1 - c0) * 1e6 / orders);
    }
  }
  std::printf("placement_bench: %d orders x %d rounds, --sync %s%s, failures %d\n", orders, rounds,
              full ? "full" : "normal", drop_extras ? ", without orders_report and product_sales_line" : "",
              failures);
  std::printf("  %-38s %10s %10s %7s\n", "", "wall us", "CPU us", "CPU/plain");
  const double base = median(modes[0].cpu);
  for (const auto& m : modes) {
    const double c = median(m.cpu);
    std::printf("  %-38s %10.1f %10.1f %7.2f   per %s\n", m.name, median(m.wall), c, c / base, m.unit);
  }
  return failures == 0 ? 0 : 1;
}
