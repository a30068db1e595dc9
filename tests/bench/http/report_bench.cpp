// Report benchmark (issue 12): the demo store with a year of generated orders (default 200,000,
// with 1–2 lines each, feedback on every 10th), then the busiest report — the reports page over
// the whole year, which computes every report (sales, channels, types, payments, best sellers,
// heat map, cancellations, ratings, low stock) — requested back to back by one signed-in owner,
// while one kiosk places orders one at a time over MQTT. The same order round trip is measured
// first without the report load (the baseline).
//   build/bin/report_bench [--orders 200000] [--roundtrips 600] [--group day|week|month]
// Goals (docs/benchmarks.md): report p99 ≤ 200 ms; order p99 under report load ≤ 2 × without.
#include <arpa/inet.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <openssl/sha.h>
#include <sys/socket.h>
#include <unistd.h>

#include <CLI/CLI.hpp>

#include <atomic>
#include <cstdio>
#include <filesystem>
#include <functional>
#include <thread>

#include "hub_fixture.hpp"

using namespace std::chrono;
using namespace std::chrono_literals;
using kh::test::json;
using kh::test::stats;

namespace {

double since_us(steady_clock::time_point t) { return duration<double, std::micro>(steady_clock::now() - t).count(); }

std::string sha256_hex(const std::string& s) {
  unsigned char d[SHA256_DIGEST_LENGTH];
  SHA256(reinterpret_cast<const unsigned char*>(s.data()), s.size(), d);
  static const char* hex = "0123456789abcdef";
  std::string out;
  for (unsigned char c : d) out += hex[c >> 4], out += hex[c & 15];
  return out;
}

// A keep-alive HTTP/1.1 client with one cookie (the hub always sends Content-Length).
class conn {
 public:
  conn(std::uint16_t port, std::string cookie) : cookie_(std::move(cookie)) {
    fd_ = ::socket(AF_INET, SOCK_STREAM, 0);
    int one = 1;
    ::setsockopt(fd_, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
    timeval tv{30, 0};
    ::setsockopt(fd_, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
    sockaddr_in a{};
    a.sin_family = AF_INET;
    a.sin_port = htons(port);
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    ok_ = ::connect(fd_, reinterpret_cast<sockaddr*>(&a), sizeof a) == 0;
  }
  ~conn() { ::close(fd_); }
  int get(const std::string& path, std::string* body = nullptr) {
    if (!ok_) return 0;
    const std::string req = "GET " + path + " HTTP/1.1\r\nHost: 127.0.0.1\r\nAccept-Encoding: br, gzip\r\nCookie: " + cookie_ + "\r\n\r\n";
    if (::send(fd_, req.data(), req.size(), MSG_NOSIGNAL) != static_cast<ssize_t>(req.size())) return ok_ = false, 0;
    std::size_t end;
    while ((end = buf_.find("\r\n\r\n")) == std::string::npos)
      if (!fill()) return 0;
    std::string head = buf_.substr(0, end);
    for (auto& c : head) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    const int status = std::atoi(head.c_str() + 9);
    std::size_t len = 0;
    const auto cl = head.find("content-length: ");
    if (cl != std::string::npos) len = std::stoul(head.substr(cl + 16));
    while (buf_.size() < end + 4 + len)
      if (!fill()) return 0;
    if (body) *body = buf_.substr(end + 4, len);
    buf_.erase(0, end + 4 + len);
    return status;
  }

 private:
  bool fill() {
    char b[65536];
    const auto n = ::recv(fd_, b, sizeof b, 0);
    if (n <= 0) return ok_ = false;
    buf_.append(b, static_cast<std::size_t>(n));
    return true;
  }
  std::string cookie_;
  int fd_ = -1;
  bool ok_ = false;
  std::string buf_;
};

// Orders one at a time; at least `n` measured (after 30 warm-up ones), and on until `more` says stop.
stats sequential_orders(kh::test::mosquitto& broker, const std::string& product, int n, const std::string& device,
                        const std::function<bool()>& more = {}) {
  kh::test::raw_device kiosk(broker, device);
  stats s;
  int accepted = 0, refused = 0;
  std::string refusal;
  for (int i = 0; i < n + 30 || (more && more() && i < 200'000); ++i) {
    auto body = kh::test::order_body({{product, 1}});
    const std::string id = body["order_id"];
    const auto t = steady_clock::now();
    kiosk.send("order.submit", body);
    auto r = kiosk.next_for(id, 10s);
    if (!r) {
      std::fprintf(stderr, "order %d: no answer\n", i);
      break;
    }
    if (i >= 30) s.us.push_back(since_us(t));
    if (r->type == "order.accepted") ++accepted;
    else if (++refused == 1) refusal = r->body().dump();
  }
  // Refused orders cost the writer almost nothing: a run with refusals measures nothing.
  std::printf("orders from %s: %d accepted, %d refused%s%s\n", device.c_str(), accepted, refused, refused ? ", first: " : "", refusal.c_str());
  return s;
}

std::string date_of(system_clock::time_point t) {
  const auto d = floor<days>(t);
  const year_month_day ymd{d};
  char buf[16];
  std::snprintf(buf, sizeof buf, "%04d-%02u-%02u", static_cast<int>(ymd.year()), static_cast<unsigned>(ymd.month()),
                static_cast<unsigned>(ymd.day()));
  return buf;
}

}  // namespace

int main(int argc, char** argv) {
  CLI::App app{"report_bench: the busiest report over a year of orders, and the order round trip with and without it"};
  int n_orders = 200'000, roundtrips = 600, reports = 100;
  std::string group = "day";
  app.add_option("--orders", n_orders, "generated orders over the last 365 days (default 200000)");
  app.add_option("--roundtrips", roundtrips, "one-at-a-time orders measured per phase (default 600)");
  app.add_option("--reports", reports, "reports measured during the loaded phase (default 100)");
  app.add_option("--group", group, "report period: day, week or month (default day)");
  std::string keep;
  app.add_option("--keep-db", keep, "copy the generated database there (to study the queries with sqlite3)");
  CLI11_PARSE(app, argc, argv);

  kh::test::mosquitto broker;
  kh::test::hub hub(broker);
  hub.add_device("kiosk-bench");
  hub.set_stock("espresso", std::nullopt);
  // No per-device order rate or unpaid-order limit: every order of the run is placed.
  hub.serve_args = {"--device-order-rate", "0", "--unpaid-hold-limit", "0"};
  const std::string biz = hub.business_id();
  const std::string token = sha256_hex("report bench session").substr(0, 64);
  const auto now_ms = duration_cast<milliseconds>(system_clock::now().time_since_epoch()).count();
  const auto year_ago = now_ms - 365LL * 86'400'000;
  const auto t_gen = steady_clock::now();
  {
    kh::test::db db(hub.db_file());
    db.exec("INSERT OR IGNORE INTO devices(id, business_id, name, mode, created_at_ms) VALUES ('web-" + biz + "', '" + biz + "', 'Phone shop', 'shop', 0)");
    db.exec("INSERT INTO owners(id, business_id, email, password_hash, role, created_at_ms) VALUES ('bench-owner', '" + biz +
            "', 'bench@example.com', 'x', 'owner', 0)");
    db.exec("INSERT INTO web_sessions(token_hash, owner_id, csrf, created_at_ms, expires_at_ms) VALUES ('" + sha256_hex(token) +
            "', 'bench-owner', 'c', 0, " + std::to_string(now_ms + 86'400'000) + ")");
    // Orders spread over the year, most of them in the day's busy hours (07–19 UTC), a channel,
    // type and payment mix, 5 % cancelled; 1–2 lines from the demo's products; feedback on 10 %.
    db.exec("PRAGMA journal_mode = WAL");
    db.exec("BEGIN");
    db.exec("CREATE TEMP TABLE p AS SELECT row_number() OVER (ORDER BY id) - 1 AS k, id, sku, name, price FROM products WHERE business_id = '" + biz + "'");
    const std::string np = *db.scalar("SELECT COUNT(*) FROM temp.p");
    db.exec("WITH RECURSIVE n(i) AS (SELECT 0 UNION ALL SELECT i + 1 FROM n WHERE i < " + std::to_string(n_orders - 1) + ") "
            "INSERT INTO orders(id, business_id, device_id, day, seq, number, order_type, payment_method, state, currency, subtotal, discount, tax, "
            "delivery_fee, total, tax_rate_bp, tax_inclusive, customer_name, eta_ms, created_at_ms, updated_at_ms) "
            "SELECT printf('%08x-0000-4000-8000-%012x', abs(random()) % 4294967296, i), '" + biz + "', "
            "CASE WHEN i % 3 = 0 THEN 'web-" + biz + "' ELSE 'kiosk-1' END, 'x', i, 'A-' || (i % 1000), "
            "CASE i % 4 WHEN 0 THEN 'eat_in' ELSE 'takeaway' END, CASE i % 3 WHEN 0 THEN 'cash' WHEN 1 THEN 'card_present' ELSE 'wallet' END, "
            "CASE WHEN i % 20 = 0 THEN 'cancelled' WHEN i % 50 = 1 THEN 'pending_payment' ELSE 'collected' END, 'EUR', 0, 0, 0, 0, 300 + (i % 9) * 70, 1000, 1, '', t, t, t "
            "FROM (SELECT i, " + std::to_string(year_ago) + " + (i * 365 / " + std::to_string(n_orders) + ") * 86400000 + 25200000 + abs(random()) % 43200000 AS t FROM n)");
    db.exec("INSERT INTO order_lines(order_id, line_no, product_id, sku, name, unit_price, qty, line_total) "
            "SELECT o.id, 0, p.id, p.sku, p.name, p.price, 1 + o.seq % 2, p.price * (1 + o.seq % 2) FROM orders o JOIN temp.p p ON p.k = o.seq % " + np +
            " WHERE o.business_id = '" + biz + "' AND o.day = 'x'");
    db.exec("INSERT INTO order_lines(order_id, line_no, product_id, sku, name, unit_price, qty, line_total) "
            "SELECT o.id, 1, p.id, p.sku, p.name, p.price, 1, p.price FROM orders o JOIN temp.p p ON p.k = (o.seq * 7 + 3) % " + np +
            " WHERE o.business_id = '" + biz + "' AND o.day = 'x' AND o.seq % 2 = 0");
    db.exec("INSERT INTO order_feedback(order_id, business_id, rating, comment, created_at_ms) SELECT id, business_id, 1 + seq % 5, '', created_at_ms + 3600000 "
            "FROM orders WHERE business_id = '" + biz + "' AND day = 'x' AND seq % 10 = 0 AND state = 'collected'");
    db.exec("UPDATE orders SET day = '2000-01-01' WHERE day = 'x'");
    db.exec("COMMIT");
    db.exec("ANALYZE");
  }
  if (!keep.empty()) std::filesystem::copy_file(hub.db_file(), keep, std::filesystem::copy_options::overwrite_existing);
  std::printf("report_bench: generated %d orders in %.1f s\n", n_orders, duration<double>(steady_clock::now() - t_gen).count());
  hub.serve();
  const auto port = hub.http_port();
  std::string product;
  for (auto& p : hub.products())
    if (p["available"].get<bool>() && p["stock"].is_null()) product = p["id"];

  const std::string path = "/portal/reports?from=" + date_of(system_clock::now() - days(364)) + "&to=" + date_of(system_clock::now()) + "&group=" + group;
  const std::string cookie = "kh_session=" + token;
  {
    conn c(port, cookie);
    std::string body;
    const int st = c.get(path, &body);
    if (st != 200) {
      std::fprintf(stderr, "GET %s: %d\n", path.c_str(), st);
      return 1;
    }
  }
  // The report alone, before any order load, for reference: computed (each request a period
  // not asked before: 364 … 335 days back, so no finished page is reused) and reloaded (the same
  // page again, business unchanged: the kept answer).
  stats alone, reload;
  {
    conn c(port, cookie);
    for (int i = 0; i < 30; ++i) {
      const std::string other = "/portal/reports?from=" + date_of(system_clock::now() - days(364 - i)) + "&to=" +
                                date_of(system_clock::now()) + "&group=" + group;
      auto t = steady_clock::now();
      if (c.get(other) != 200) return 1;
      alone.us.push_back(since_us(t));
      t = steady_clock::now();
      if (c.get(path) != 200) return 1;
      reload.us.push_back(since_us(t));
    }
  }

  auto base = sequential_orders(broker, product, roundtrips, "kiosk-bench");

  std::atomic<bool> stop{false};
  std::atomic<long> errors{0};
  std::atomic<int> reported{0};
  stats loaded_reports;
  std::thread reporter([&] {
    conn c(port, cookie);
    while (!stop.load() && reported.load() < reports) {
      const auto t = steady_clock::now();
      if (c.get(path) != 200) {
        ++errors;
        return;
      }
      loaded_reports.us.push_back(since_us(t));
      ++reported;
    }
  });
  std::this_thread::sleep_for(300ms);
  // The orders go on for as long as the reports do (at least --roundtrips of them).
  auto loaded = sequential_orders(broker, product, roundtrips, "kiosk-bench", [&] { return reported.load() < reports && errors.load() == 0; });
  stop = true;
  reporter.join();

  const double a50 = alone.pct(50) / 1000, a99 = alone.pct(99) / 1000;
  const double r50 = loaded_reports.pct(50) / 1000, r99 = loaded_reports.pct(99) / 1000;
  const double b50 = base.pct(50) / 1000, b99 = base.pct(99) / 1000, l50 = loaded.pct(50) / 1000, l99 = loaded.pct(99) / 1000;
  std::printf("report: %s (every report over a year, %d orders)\n", path.c_str(), n_orders);
  std::printf("%-40s %10s %10s %8s\n", "", "p50 (ms)", "p99 (ms)", "n");
  std::printf("%-40s %10.1f %10.1f %8zu\n", "reports page, alone (computed)", a50, a99, alone.us.size());
  std::printf("%-40s %10.1f %10.1f %8zu\n", "reports page, reloaded unchanged", reload.pct(50) / 1000, reload.pct(99) / 1000,
              reload.us.size());
  std::printf("%-40s %10.1f %10.1f %8zu\n", "reports page, during the orders", r50, r99, loaded_reports.us.size());
  std::printf("%-40s %10.2f %10.2f %8zu\n", "order round trip, no report load", b50, b99, base.us.size());
  std::printf("%-40s %10.2f %10.2f %8zu\n", "order round trip, reports back to back", l50, l99, loaded.us.size());
  std::printf("order p99 under report load / without: %.2f\n", b99 > 0 ? l99 / b99 : 0.0);
  json out = {{"report_alone", {{"p50_ms", a50}, {"p99_ms", a99}}}, {"report_loaded", {{"p50_ms", r50}, {"p99_ms", r99}}},
              {"order_no_load", {{"p50_ms", b50}, {"p99_ms", b99}}}, {"order_report_load", {{"p50_ms", l50}, {"p99_ms", l99}}}};
  std::printf("%s\n", out.dump().c_str());
  return errors.load() == 0 ? 0 : 1;
}
