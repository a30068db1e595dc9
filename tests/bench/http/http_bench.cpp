// Web benchmark (issue 11): with the demo store, 64 keep-alive HTTP clients load the shop page, a
// product page and a tracking page while, in the same run, one kiosk places orders one at a time
// over MQTT; the same order round trip is measured first without web load (the baseline).
//   build/bin/http_bench [--clients 64] [--orders 600]
// Page times are measured by the client (request written → last byte read), so they are an upper
// bound of the server's time. Goals (docs/benchmarks.md): page p99 ≤ 20 ms; order p99 under web
// load ≤ 2 × without.
#include <arpa/inet.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/socket.h>
#include <unistd.h>

#include <CLI/CLI.hpp>

#include <algorithm>
#include <atomic>
#include <cstdio>
#include <map>
#include <thread>

#include "hub_fixture.hpp"

using namespace std::chrono;
using namespace std::chrono_literals;
using kh::test::json;

namespace {

using kh::test::stats;

double since_us(steady_clock::time_point t) { return duration<double, std::micro>(steady_clock::now() - t).count(); }

// A keep-alive HTTP/1.1 client (the hub always sends Content-Length).
class conn {
 public:
  explicit conn(std::uint16_t port) {
    fd_ = ::socket(AF_INET, SOCK_STREAM, 0);
    int one = 1;
    ::setsockopt(fd_, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
    timeval tv{10, 0};
    ::setsockopt(fd_, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
    sockaddr_in a{};
    a.sin_family = AF_INET;
    a.sin_port = htons(port);
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    ok_ = ::connect(fd_, reinterpret_cast<sockaddr*>(&a), sizeof a) == 0;
  }
  ~conn() { ::close(fd_); }
  /// Status, or 0 on a broken connection.
  int get(const std::string& path, std::string* body = nullptr) {
    if (!ok_) return 0;
    const std::string req = "GET " + path + " HTTP/1.1\r\nHost: 127.0.0.1\r\nAccept-Encoding: br, gzip\r\n\r\n";
    if (::send(fd_, req.data(), req.size(), MSG_NOSIGNAL) != static_cast<ssize_t>(req.size())) return ok_ = false, 0;
    std::size_t end;
    while ((end = buf_.find("\r\n\r\n")) == std::string::npos)
      if (!fill()) return 0;
    const std::string head = buf_.substr(0, end);
    const int status = std::atoi(head.c_str() + 9);
    std::size_t len = 0;
    const auto cl = head.find("Content-Length: ");
    if (cl != std::string::npos) len = std::stoul(head.substr(cl + 16));
    while (buf_.size() < end + 4 + len)
      if (!fill()) return 0;
    if (body) *body = buf_.substr(end + 4, len);
    buf_.erase(0, end + 4 + len);
    return status;
  }

 private:
  bool fill() {
    char b[16384];
    const auto n = ::recv(fd_, b, sizeof b, 0);
    if (n <= 0) return ok_ = false;
    buf_.append(b, static_cast<std::size_t>(n));
    return true;
  }
  int fd_ = -1;
  bool ok_ = false;
  std::string buf_;
};

// Orders one at a time from kiosk-1; round trip in µs (first 30 are warm-up).
stats sequential_orders(kh::test::mosquitto& broker, const std::string& product, int n, const std::string& device) {
  kh::test::raw_device kiosk(broker, device);
  stats s;
  for (int i = 0; i < n + 30; ++i) {
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
  }
  return s;
}

}  // namespace

int main(int argc, char** argv) {
  CLI::App app{"http_bench: web pages under load and the order round trip with and without it"};
  int clients = 64, orders = 600;
  app.add_option("--clients", clients, "concurrent keep-alive web clients (default 64)");
  app.add_option("--orders", orders, "one-at-a-time orders measured per phase (default 600)");
  CLI11_PARSE(app, argc, argv);

  kh::test::mosquitto broker;
  kh::test::hub hub(broker);
  hub.add_device("kiosk-bench");
  hub.set_stock("espresso", std::nullopt);  // untracked: the orders never run it out
  hub.serve();
  const auto port = hub.http_port();
  std::string product, tracked_product;
  for (auto& p : hub.products())
    if (p["available"].get<bool>() && p["stock"].is_null()) product = p["id"];
  if (product.empty()) {
    std::fprintf(stderr, "no untracked product in the demo\n");
    return 1;
  }
  // One order to track (placed from a kiosk: the tracking page is the same for every order).
  kh::test::raw_device k(broker, "kiosk-1");
  auto ob = kh::test::order_body({{product, 1}});
  const std::string track_id = ob["order_id"];
  k.send("order.submit", ob);
  if (!k.next_for(track_id)) return 1;
  const std::vector<std::string> pages = {"/s/demo-cafe", "/s/demo-cafe/p/" + product, "/s/demo-cafe/o/" + track_id};
  {
    conn c(port);
    for (const auto& p : pages)
      if (c.get(p) != 200) {
        std::fprintf(stderr, "GET %s failed\n", p.c_str());
        return 1;
      }
  }

  // Server time from the hub's own histogram (kh_http_request_duration_seconds: complete request
  // → answer queued), as the difference of two scrapes around the load phase.
  auto scrape = [&] {
    std::map<double, double> buckets;
    conn c(port);
    std::string body;
    c.get("/metrics", &body);
    const std::string key = "kh_http_request_duration_seconds_bucket{le=\"";
    for (auto at = body.find(key); at != std::string::npos; at = body.find(key, at + 1)) {
      const auto q = body.find('"', at + key.size());
      const std::string le = body.substr(at + key.size(), q - at - key.size());
      buckets[le == "+Inf" ? 1e9 : std::stod(le)] = std::stod(body.substr(body.find(' ', q) + 1));
    }
    return buckets;
  };
  auto server_pct = [](const std::map<double, double>& a, const std::map<double, double>& b, double p) {
    const double total = b.rbegin()->second - a.rbegin()->second;
    for (const auto& [le, n] : b)
      if (n - a.at(le) >= p / 100.0 * total) return le * 1000;  // bucket upper bound, ms
    return 0.0;
  };

  // Phase 1: orders without web load.
  auto base = sequential_orders(broker, product, orders, "kiosk-bench");

  // Phase 2: the same with `clients` web clients looping over the three pages.
  std::atomic<bool> stop{false};
  std::vector<stats> per_page(pages.size() * static_cast<std::size_t>(clients));
  std::atomic<long> errors{0}, requests{0};
  std::vector<std::thread> threads;
  for (int c = 0; c < clients; ++c) {
    threads.emplace_back([&, c] {
      conn cn(port);
      std::size_t i = static_cast<std::size_t>(c);
      while (!stop.load()) {
        const auto which = i++ % pages.size();
        const auto t = steady_clock::now();
        if (cn.get(pages[which]) != 200) {
          ++errors;
          return;
        }
        per_page[static_cast<std::size_t>(c) * pages.size() + which].us.push_back(since_us(t));
        ++requests;
      }
    });
  }
  std::this_thread::sleep_for(500ms);  // let the load settle
  const auto m0 = scrape();
  const auto t0 = steady_clock::now();
  const long r0 = requests.load();
  auto loaded = sequential_orders(broker, product, orders, "kiosk-bench");
  const double secs = duration<double>(steady_clock::now() - t0).count();
  const long served = requests.load() - r0;
  const auto m1 = scrape();
  stop = true;
  for (auto& t : threads) t.join();

  std::printf("http_bench: %d keep-alive clients, %d orders per phase, %.1f s under load, %.0f pages/s, %ld errors\n",
              clients, orders, secs, static_cast<double>(served) / secs, errors.load());
  std::printf("%-34s %10s %10s %8s\n", "", "p50 (ms)", "p99 (ms)", "n");
  json out = json::object();
  const char* names[] = {"shop page", "product page", "tracking page"};
  for (std::size_t p = 0; p < pages.size(); ++p) {
    stats all;
    for (int c = 0; c < clients; ++c) {
      auto& v = per_page[static_cast<std::size_t>(c) * pages.size() + p].us;
      all.us.insert(all.us.end(), v.begin(), v.end());
    }
    const auto n = all.us.size();
    const double p50 = all.pct(50) / 1000, p99 = all.pct(99) / 1000;
    std::printf("%-34s %10.2f %10.2f %8zu\n", names[p], p50, p99, n);
    out[names[p]] = {{"p50_ms", p50}, {"p99_ms", p99}, {"n", n}};
  }
  const double b50 = base.pct(50) / 1000, b99 = base.pct(99) / 1000, l50 = loaded.pct(50) / 1000, l99 = loaded.pct(99) / 1000;
  std::printf("%-34s %10.2f %10.2f %8zu\n", "order round trip, no web load", b50, b99, base.us.size());
  std::printf("%-34s %10.2f %10.2f %8zu\n", "order round trip, under web load", l50, l99, loaded.us.size());
  std::printf("order p99 under load / without: %.2f\n", b99 > 0 ? l99 / b99 : 0.0);
  const double s50 = m0.empty() ? 0 : server_pct(m0, m1, 50), s99 = m0.empty() ? 0 : server_pct(m0, m1, 99);
  std::printf("server time, all pages (histogram bucket bounds): p50 <= %.2f ms, p99 <= %.2f ms\n", s50, s99);
  out["server_time_all_pages"] = {{"p50_le_ms", s50}, {"p99_le_ms", s99}};
  out["order_no_load"] = {{"p50_ms", b50}, {"p99_ms", b99}};
  out["order_web_load"] = {{"p50_ms", l50}, {"p99_ms", l99}};
  std::printf("%s\n", out.dump().c_str());
  return errors.load() == 0 ? 0 : 1;
}
