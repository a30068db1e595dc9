// The web against a running kioskhub over real sockets: the demo shop, a phone order sharing the
// kiosk's numbering and stock, the catalog republished over MQTT after a portal change, and the
// server's request limits on the web's routes.
#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <gtest/gtest.h>

#include <condition_variable>
#include <mutex>
#include <thread>

#include "hub_fixture.hpp"
#include "kh/protocol/codec.hpp"

using namespace std::chrono_literals;
using kh::test::json;

namespace {

struct reply {
  int status = 0;
  std::string head;
  std::string body;
  std::string header(const std::string& name) const {
    const std::string key = "\r\n" + name + ": ";
    const auto at = head.find(key);
    if (at == std::string::npos) return {};
    return head.substr(at + key.size(), head.find("\r\n", at + key.size()) - at - key.size());
  }
};

// One request on a fresh connection (Connection: close); the raw target is sent as given.
reply request(std::uint16_t port, const std::string& method, const std::string& target, const std::string& extra_headers = {},
              const std::string& body = {}) {
  reply r;
  const int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  timeval tv{10, 0};
  ::setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
  sockaddr_in a{};
  a.sin_family = AF_INET;
  a.sin_port = htons(port);
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  if (::connect(fd, reinterpret_cast<sockaddr*>(&a), sizeof a) != 0) {
    ::close(fd);
    return r;
  }
  std::string req = method + " " + target + " HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n" + extra_headers;
  if (!body.empty() || method == "POST") req += "Content-Length: " + std::to_string(body.size()) + "\r\n";
  req += "\r\n" + body;
  std::size_t sent = 0;
  while (sent < req.size()) {
    const auto n = ::send(fd, req.data() + sent, req.size() - sent, MSG_NOSIGNAL);
    if (n <= 0) break;  // the server may answer and stop reading early (413)
    sent += static_cast<std::size_t>(n);
  }
  std::string resp;
  char buf[16384];
  for (;;) {
    const auto n = ::recv(fd, buf, sizeof buf, 0);
    if (n <= 0) break;
    resp.append(buf, static_cast<std::size_t>(n));
  }
  ::close(fd);
  const auto end = resp.find("\r\n\r\n");
  if (resp.size() < 12 || end == std::string::npos) return r;
  r.status = std::atoi(resp.c_str() + 9);
  r.head = resp.substr(0, end);
  r.body = resp.substr(end + 4);
  return r;
}

std::string pct(const std::string& s) {
  std::string o;
  for (unsigned char c : s) {
    if (std::isalnum(c) || c == '-' || c == '_' || c == '.') o += static_cast<char>(c);
    else {
      char b[4];
      std::snprintf(b, sizeof b, "%%%02X", c);
      o += b;
    }
  }
  return o;
}

std::string form(const std::vector<std::pair<std::string, std::string>>& f) {
  std::string b;
  for (const auto& [k, v] : f) b += (b.empty() ? "" : "&") + pct(k) + "=" + pct(v);
  return b;
}

// (No std::regex: GCC 12's trips -Werror under sanitizers.)
std::string cookie_value(const reply& r, const std::string& name) {
  const std::string key = "Set-Cookie: " + name + "=";
  const auto at = r.head.find(key);
  if (at == std::string::npos) return {};
  return r.head.substr(at + key.size(), r.head.find(';', at) - at - key.size());
}

std::string field_value(const std::string& html, const std::string& name) {
  const std::string key = "name=\"" + name + "\" value=\"";
  const auto at = html.find(key);
  if (at == std::string::npos) return {};
  return html.substr(at + key.size(), html.find('"', at + key.size()) - at - key.size());
}

// The retained message on `topic` now, as a device subscribing would get it.
std::optional<std::string> retained(kh::test::mosquitto& broker, const std::string& topic, std::chrono::milliseconds timeout) {
  std::mutex mu;
  std::condition_variable cv;
  std::optional<std::string> payload;
  kh::mqtt::client c(kh::mqtt::options{.uri = broker.url(), .client_id = "web-test-" + kh::protocol::new_uuid().substr(0, 8),
                                       .clean_session = true});
  c.subscribe_on_connect({{topic, 1}});
  c.on_message([&](kh::mqtt::message m) {
    std::lock_guard lk(mu);
    payload = m.payload;
    cv.notify_all();
  });
  c.start();
  {
    std::unique_lock lk(mu);
    cv.wait_for(lk, timeout, [&] { return payload.has_value(); });
  }
  c.stop();
  std::lock_guard lk(mu);
  return payload;
}

}  // namespace

TEST(web_http, phone_orders_share_the_kiosks_numbering_and_stock) {
  kh::test::mosquitto broker;
  kh::test::hub hub(broker);
  hub.serve();
  const auto port = hub.http_port();
  auto shop = request(port, "GET", "/s/demo-cafe", "Accept-Encoding: identity\r\n");
  ASSERT_EQ(shop.status, 200) << hub.log();
  EXPECT_NE(shop.body.find("Espresso"), std::string::npos);

  // A kiosk order first, then a phone order: A-002 from the same counter.
  auto product = hub.product_with_stock(10);
  const std::string pid = product["id"];
  const auto stock_before = product["stock"].is_null() ? -1 : product["stock"].get<std::int64_t>();
  kh::test::raw_device kiosk(broker, "kiosk-1");
  const auto kid = kh::test::order_body({{pid, 1}})["order_id"].get<std::string>();
  kiosk.send("order.submit", kh::test::order_body({{pid, 1}}, kid));
  auto acc = kiosk.next_for(kid);
  ASSERT_TRUE(acc);
  ASSERT_EQ(acc->type, "order.accepted");
  EXPECT_EQ(acc->body()["number"], "A-001");

  auto cart = request(port, "GET", "/s/demo-cafe/cart");
  ASSERT_EQ(cart.status, 200);
  const auto pre = cookie_value(cart, "kh_pre");
  ASSERT_FALSE(pre.empty());
  const auto oid = field_value(cart.body, "order_id");
  auto placed = request(port, "POST", "/s/demo-cafe/checkout",
                        "Cookie: kh_pre=" + pre + "\r\nContent-Type: application/x-www-form-urlencoded\r\n",
                        form({{"csrf", pre}, {"order_id", oid}, {"cart", pid + ":2"}, {"type", "takeaway"}, {"name", "Web"}, {"phone", "1"}}));
  ASSERT_EQ(placed.status, 303) << placed.body << hub.log();
  EXPECT_EQ(placed.header("Location"), "/s/demo-cafe/o/" + oid);
  kh::test::db db(hub.db_file());
  EXPECT_EQ(db.scalar("SELECT number FROM orders WHERE id = '" + oid + "'"), "A-002");
  EXPECT_EQ(db.scalar("SELECT device_id FROM orders WHERE id = '" + oid + "'"), "web-" + hub.business_id());
  if (stock_before >= 0) {
    EXPECT_EQ(db.count("SELECT stock FROM products WHERE id = '" + pid + "'"), stock_before - 3);
  }
  auto page = request(port, "GET", "/s/demo-cafe/o/" + oid);
  EXPECT_NE(page.body.find("A-002"), std::string::npos);
  auto ev = request(port, "GET", "/s/demo-cafe/o/" + oid + "/events");
  EXPECT_EQ(ev.header("Content-Type"), "text/event-stream");
  EXPECT_NE(ev.body.find("\"number\":\"A-002\""), std::string::npos);
}

TEST(web_http, request_limits_and_traversal_on_web_routes) {
  kh::test::mosquitto broker;
  kh::test::hub hub(broker);
  hub.serve();
  const auto port = hub.http_port();
  // Over the 5 MiB request limit: 413 before the body is read.
  EXPECT_EQ(request(port, "POST", "/register", "Content-Type: application/x-www-form-urlencoded\r\n", std::string(6 * 1024 * 1024, 'a')).status, 413);
  // A header block over 16 KiB: 431.
  std::string many;
  for (int i = 0; i < 200; ++i) many += "X-Filler-" + std::to_string(i) + ": " + std::string(100, 'x') + "\r\n";
  EXPECT_EQ(request(port, "GET", "/s/demo-cafe", many).status, 431);
  // A form over 64 KiB (under the request limit) is refused as a form, nothing written.
  auto reg = request(port, "GET", "/register");
  const auto pre = cookie_value(reg, "kh_pre");
  auto big = request(port, "POST", "/register", "Cookie: kh_pre=" + pre + "\r\nContent-Type: application/x-www-form-urlencoded\r\n",
                     "csrf=" + pre + "&business_name=" + std::string(70 * 1024, 'a'));
  EXPECT_EQ(big.status, 400);
  kh::test::db db(hub.db_file());
  EXPECT_EQ(db.count("SELECT COUNT(*) FROM businesses"), 1);
  for (const std::string& t : std::vector<std::string>{"/static/bootstrap/../../../../etc/passwd", "/static/bootstrap/%2e%2e/%2e%2e/%2e%2e/%2e%2e/etc/passwd",
                              "/static/bootstrap/css/%2F..%2F..%2F..%2Fetc%2Fpasswd", "/img/..%2Fkioskhub.db", "/img/../../etc/passwd"}) {
    auto r = request(port, "GET", t);
    EXPECT_TRUE(r.status == 404 || r.status == 400) << t << " " << r.status;
    EXPECT_EQ(r.body.find("root:"), std::string::npos) << t;
  }
  auto css = request(port, "GET", "/static/bootstrap/css/bootstrap.min.css", "Accept-Encoding: br\r\n");
  EXPECT_EQ(css.status, 200);
  EXPECT_EQ(css.header("Content-Encoding"), "br");
}

TEST(web_http, a_portal_change_republishes_the_retained_catalog) {
  kh::test::mosquitto broker;
  kh::test::hub hub(broker);
  hub.serve();
  const auto port = hub.http_port();
  // Register a second business, add a product: its catalog appears on MQTT with the product.
  auto reg = request(port, "GET", "/register");
  const auto pre = cookie_value(reg, "kh_pre");
  auto r = request(port, "POST", "/register", "Cookie: kh_pre=" + pre + "\r\nContent-Type: application/x-www-form-urlencoded\r\n",
                   form({{"csrf", pre}, {"business_name", "Second"}, {"slug", "second"}, {"currency", "EUR"}, {"tax_rate", "0"},
                         {"utc_offset", "+00:00"}, {"prep_minutes", "5"}, {"always_open", "1"}, {"type_takeaway", "1"},
                         {"email", "o@second.example"}, {"password", "0123456789abc"}}));
  ASSERT_EQ(r.status, 303) << r.body;
  const auto session = cookie_value(r, "kh_session");
  auto editor = request(port, "GET", "/portal/products/new", "Cookie: kh_session=" + session + "\r\n");
  const auto csrf = field_value(editor.body, "csrf");
  ASSERT_FALSE(csrf.empty());
  auto made = request(port, "POST", "/portal/products/new",
                      "Cookie: kh_session=" + session + "\r\nContent-Type: application/x-www-form-urlencoded\r\n",
                      form({{"csrf", csrf}, {"name", "Lemonade"}, {"price", "2.80"}, {"category_id", "menu"}, {"active", "1"}}));
  ASSERT_EQ(made.status, 303) << made.body;
  kh::test::db db(hub.db_file());
  const auto bid = *db.scalar("SELECT id FROM businesses WHERE slug = 'second'");
  // The retained catalog of the new business, as a device of it would get it.
  bool seen = false;
  for (int i = 0; i < 50 && !seen; ++i) {
    auto m = retained(broker, "kh/v1/b/" + bid + "/catalog", 2s);
    if (m && m->find("Lemonade") != std::string::npos) seen = true;
    else std::this_thread::sleep_for(100ms);
  }
  EXPECT_TRUE(seen) << hub.log();

  // A device already subscribed (a kiosk) gets the new store profile live when the owner saves
  // the settings page.
  std::mutex mu;
  std::condition_variable cv;
  std::vector<std::string> got;
  kh::mqtt::client kiosk(kh::mqtt::options{.uri = broker.url(), .client_id = "web-test-kiosk", .clean_session = true});
  kiosk.subscribe_on_connect({{"kh/v1/b/" + bid + "/catalog", 1}});
  kiosk.on_message([&](kh::mqtt::message m) {
    std::lock_guard lk(mu);
    got.push_back(m.payload);
    cv.notify_all();
  });
  kiosk.start();
  {
    std::unique_lock lk(mu);
    ASSERT_TRUE(cv.wait_for(lk, 5s, [&] { return !got.empty(); }));  // the retained one first
  }
  auto settings = request(port, "GET", "/portal/store", "Cookie: kh_session=" + session + "\r\n");
  ASSERT_NE(settings.body.find("<option value=\"Europe/Paris\">"), std::string::npos);
  auto saved = request(port, "POST", "/portal/store",
                       "Cookie: kh_session=" + session + "\r\nContent-Type: application/x-www-form-urlencoded\r\n",
                       form({{"csrf", csrf}, {"name", "Second"}, {"currency", "EUR"}, {"tax_rate", "5.5"}, {"tax_mode", "exclusive"},
                             {"prep_minutes", "4"}, {"time_zone", "Europe/Paris"}, {"tue_opens", "08:00"}, {"tue_closes", "17:00"},
                             {"type_pickup", "1"}, {"pickup_slot_minutes", "20"}, {"pickup_lead_minutes", "15"},
                             {"languages", "fr,en"}, {"banner", "Nouveau : citronnade"}, {"pay_cash", "1"}}));
  ASSERT_EQ(saved.status, 303) << saved.body;
  std::optional<kh::protocol::store_profile> profile;
  {
    std::unique_lock lk(mu);
    cv.wait_for(lk, 10s, [&] {
      for (const auto& g : got)
        if (g.find("Nouveau") != std::string::npos) return true;
      return false;
    });
    for (const auto& g : got) {
      if (g.find("Nouveau") == std::string::npos) continue;
      auto cat = kh::protocol::decode_catalog(nlohmann::json::parse(g)["body"]);
      ASSERT_TRUE(cat) << cat.error().message;
      profile = cat->profile;
    }
  }
  kiosk.stop();
  ASSERT_TRUE(profile.has_value()) << hub.log();
  EXPECT_EQ(profile->time_zone, "Europe/Paris");
  EXPECT_EQ(profile->tax, kh::protocol::tax_mode::exclusive);
  EXPECT_EQ(profile->tax_rate_bp, 550);
  ASSERT_EQ(profile->order_types.size(), 1u);
  EXPECT_EQ(profile->order_types[0].slot_minutes, 20);
  EXPECT_EQ(profile->languages, (std::vector<std::string>{"fr", "en"}));
  EXPECT_EQ(profile->payment_methods, std::vector<kh::protocol::payment_method>{kh::protocol::payment_method::cash});
  ASSERT_EQ(profile->opening_hours.size(), 1u);
  EXPECT_EQ(profile->opening_hours[0].weekday, 1);
}
