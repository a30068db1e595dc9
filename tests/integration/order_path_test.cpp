// The order path end to end: headless kiosk → Mosquitto → kioskhub → SQLite → back.
#include <gtest/gtest.h>

#include <atomic>
#include <algorithm>
#include <cctype>
#include <thread>

#include "hub_fixture.hpp"

using namespace std::chrono_literals;
using kh::test::json;

namespace {

// A product of the demo catalog that is available and untracked or well stocked.
json pick_product(const json& catalog, std::int64_t min_stock = 50) {
  for (auto& p : catalog["body"]["products"]) {
    if (p["available"].get<bool>() && (p["stock"].is_null() || p["stock"].get<std::int64_t>() >= min_stock)) return p;
  }
  return json();
}

}  // namespace

TEST(order_path, headless_kiosk_order_is_accepted_with_server_side_totals) {
  kh::test::mosquitto broker;
  kh::test::hub hub(broker);
  hub.serve();
  auto catalog = hub.catalog();
  auto product = pick_product(catalog);
  ASSERT_FALSE(product.is_null());

  kh::test::headless_kiosk kiosk(broker, hub);
  ASSERT_FALSE(kiosk.until("event", "catalog", 15s).is_null()) << hub.log() << kiosk.log();

  kiosk.send("catalog");
  auto cat = kiosk.until("cmd", "catalog", 5s);
  ASSERT_TRUE(cat.value("ok", false)) << cat.dump();
  EXPECT_EQ(cat["products"].size(), catalog["body"]["products"].size());

  kiosk.send("order " + product["sku"].get<std::string>() + ":2 takeaway cash");
  auto queued = kiosk.until("event", "queued", 5s);
  ASSERT_TRUE(queued.value("ok", false)) << queued.dump();
  auto order_id = queued["order_id"].get<std::string>();
  auto accepted = kiosk.until("cmd", "order", 10s);
  ASSERT_EQ(accepted.value("event", ""), "accepted") << accepted.dump() << hub.log();
  EXPECT_EQ(accepted["order_id"], order_id);
  // a letter, a dash, three digits (std::regex trips GCC 12's -Wmaybe-uninitialized under ASan).
  std::string number = accepted["number"];
  EXPECT_TRUE(number.size() == 5 && std::isupper(static_cast<unsigned char>(number[0])) && number[1] == '-' &&
              std::all_of(number.begin() + 2, number.end(), [](char c) { return std::isdigit(static_cast<unsigned char>(c)); }))
      << number;
  EXPECT_EQ(accepted["state"], "pending_payment");

  // Totals are the hub's own: 2 × the catalog price, tax per the business' rate and mode.
  auto price = product["price"]["amount"].get<std::int64_t>();
  auto subtotal = accepted["subtotal"]["amount"].get<std::int64_t>();
  auto tax = accepted["tax"]["amount"].get<std::int64_t>();
  auto total = accepted["total"]["amount"].get<std::int64_t>();
  EXPECT_EQ(subtotal, 2 * price);
  EXPECT_GT(tax, 0);
  kh::test::db db(hub.db_file());
  auto bps = db.count("SELECT tax_rate_bp FROM businesses WHERE id='" + hub.business_id() + "'");
  bool inclusive = db.count("SELECT tax_inclusive FROM businesses WHERE id='" + hub.business_id() + "'") != 0;
  if (inclusive) {
    EXPECT_EQ(total, subtotal);
    // tax = total - total / (1 + rate), rounded half away from zero
    auto net = kh::protocol::div_round_half_away(total * 10000, 10000 + bps);
    EXPECT_EQ(tax, total - net);
  } else {
    EXPECT_EQ(tax, kh::protocol::div_round_half_away(subtotal * bps, 10000));
    EXPECT_EQ(total, subtotal + tax);
  }
  // And the database holds exactly that order with that total.
  EXPECT_EQ(db.count("SELECT COUNT(*) FROM orders WHERE id='" + order_id + "'"), 1);
  EXPECT_EQ(db.count("SELECT total FROM orders WHERE id='" + order_id + "'"), total);

  kiosk.send("quit");
  EXPECT_EQ(kiosk.proc().wait(10s).value_or(-1), 0);
}

TEST(order_path, same_order_id_three_times_gives_one_order_and_identical_answers) {
  kh::test::mosquitto broker;
  kh::test::hub hub(broker);
  hub.serve();
  auto product = pick_product(hub.catalog());
  kh::test::raw_device dev(broker, "kiosk-1");
  auto body = kh::test::order_body({{product["id"], 1}});
  std::string order_id = body["order_id"];
  std::vector<json> answers;
  for (int i = 0; i < 3; ++i) {
    dev.send("order.submit", body);
    auto r = dev.next_for(order_id);
    ASSERT_TRUE(r) << hub.log();
    EXPECT_EQ(r->type, "order.accepted");
    answers.push_back(r->body());
  }
  EXPECT_EQ(answers[0].dump(), answers[1].dump());
  EXPECT_EQ(answers[0].dump(), answers[2].dump());
  kh::test::db db(hub.db_file());
  EXPECT_EQ(db.count("SELECT COUNT(*) FROM orders"), 1);
}

TEST(order_path, concurrent_kiosks_never_oversell) {
  kh::test::mosquitto broker;
  kh::test::hub hub(broker);
  hub.serve();
  auto product = pick_product(hub.catalog());
  std::string pid = product["id"];
  ASSERT_EQ(hub.stop(), 0);
  hub.set_stock(pid, 100);
  for (int k = 0; k < 8; ++k) hub.add_device("conc-" + std::to_string(k));
  // 40 orders at once per kiosk is past the per-device rate limit's burst (30): this test is about
  // stock, not rate, so the limit is off.
  hub.serve_args = {"--device-order-rate", "0"};
  hub.serve();

  constexpr int kiosks = 8, per_kiosk = 40;
  std::atomic<int> accepted{0}, out_of_stock{0}, other{0};
  std::vector<std::thread> threads;
  for (int k = 0; k < kiosks; ++k) {
    threads.emplace_back([&, k] {
      kh::test::raw_device dev(broker, "conc-" + std::to_string(k));
      std::vector<std::string> ids;
      for (int i = 0; i < per_kiosk; ++i) {
        auto body = kh::test::order_body({{pid, 1}});
        ids.push_back(body["order_id"]);
        dev.send("order.submit", body);  // all in flight at once
      }
      for (auto& id : ids) {
        auto r = dev.next_for(id, 30s);
        if (!r) {
          ++other;
        } else if (r->type == "order.accepted") {
          ++accepted;
        } else if (r->type == "order.rejected" && r->body()["code"] == "out_of_stock") {
          ++out_of_stock;
        } else {
          ++other;
        }
      }
    });
  }
  for (auto& t : threads) t.join();
  EXPECT_EQ(accepted.load(), 100);
  EXPECT_EQ(out_of_stock.load(), 220);
  EXPECT_EQ(other.load(), 0) << hub.log();
  kh::test::db db(hub.db_file());
  EXPECT_EQ(db.count("SELECT stock FROM products WHERE id='" + pid + "'"), 0);
  EXPECT_EQ(db.count("SELECT COUNT(*) FROM orders"), 100);
  // The retained catalog now shows the product sold out.
  json last;
  bool sold_out = kh::test::eventually([&] {
    for (auto& p : hub.products())
      if (p["id"] == pid) {
        last = p;
        return p["available"] == false && p["stock"] == 0;
      }
    return false;
  }, 10s);
  EXPECT_TRUE(sold_out) << last.dump();
}

TEST(order_path, accepted_order_is_announced_on_the_business_orders_topic) {
  kh::test::mosquitto broker;
  kh::test::hub hub(broker);
  hub.serve();
  auto product = pick_product(hub.catalog());
  std::mutex mu;
  std::vector<json> events;
  kh::mqtt::client board(kh::mqtt::options{.uri = broker.url(), .client_id = "board-watch", .clean_session = true});
  board.subscribe_on_connect({{kh::protocol::topics::business_orders(hub.business_id()), 1}});
  board.on_message([&](kh::mqtt::message m) {
    std::lock_guard lk(mu);
    events.push_back(json::parse(m.payload, nullptr, false));
  });
  ASSERT_TRUE(board.start());
  kh::test::raw_device dev(broker, "kiosk-1");
  auto body = kh::test::order_body({{product["id"], 1}});
  dev.send("order.submit", body);
  auto r = dev.next_for(body["order_id"]);
  ASSERT_TRUE(r);
  ASSERT_EQ(r->type, "order.accepted");
  ASSERT_TRUE(kh::test::eventually([&] {
    std::lock_guard lk(mu);
    return !events.empty();
  }));
  std::lock_guard lk(mu);
  auto& e = events.front();
  EXPECT_EQ(e["type"], "order.status");
  auto st = kh::protocol::decode_order_status(e["body"]);
  ASSERT_TRUE(st.ok()) << e.dump();
  EXPECT_EQ(st->order_id, body["order_id"]);
  EXPECT_EQ(st->number, r->body()["number"]);
  EXPECT_EQ(st->state, kh::protocol::order_state::pending_payment);
}

// Multi-line orders, a discount, and rounding ties, each priced by hand from the demo's prices.
// The café is switched to 5 % tax on top of prices and given a 2.5 % code, so halves occur:
// tax = round(net × 500 / 10000), discount = round(subtotal × 250 / 10000), half away from zero.
TEST(order_path, multi_line_discount_and_tie_rounding_are_priced_as_documented) {
  kh::test::mosquitto broker;
  kh::test::hub hub(broker);
  {
    kh::test::db db(hub.db_file());
    db.exec("UPDATE businesses SET tax_rate_bp = 500, tax_inclusive = 0");
    db.exec("INSERT INTO discount_codes(business_id, code, kind, value, active) VALUES ('" + hub.business_id() +
            "', 'TIE25', 'percent', 250, 1)");
  }
  hub.serve();
  kh::test::raw_device dev(broker, "kiosk-1");
  struct want {
    std::vector<std::pair<std::string, int>> lines;
    std::string code;
    std::int64_t subtotal, discount, tax, total;
  };
  const want cases[] = {
      // espresso 2.20: discount 220 × 2.5 % = 5.5 → 6 (tie); net 214; tax 10.7 → 11; total 225.
      {{{"espresso", 1}}, "TIE25", 220, 6, 11, 225},
      // tea 2.50, no code: tax 250 × 5 % = 12.5 → 13 (tie); total 263.
      {{{"tea", 1}}, "", 250, 0, 13, 263},
      // 2 × latte 3.60 + orange juice 4.00 + cookie 1.80 = 13.00; discount 32.5 → 33 (tie);
      // net 12.67; tax 63.35 → 63; total 13.30.
      {{{"latte", 2}, {"orange-juice", 1}, {"cookie", 1}}, "tie25", 1300, 33, 63, 1330},
      // The same product on two lines is summed: 3 × cookie = 5.40; tax 27; total 5.67.
      {{{"cookie", 1}, {"cookie", 2}}, "", 540, 0, 27, 567},
  };
  for (const auto& c : cases) {
    auto body = kh::test::order_body(c.lines);
    if (!c.code.empty()) body["discount_code"] = c.code;
    dev.send("order.submit", body);
    auto r = dev.next_for(body["order_id"]);
    ASSERT_TRUE(r) << hub.log();
    ASSERT_EQ(r->type, "order.accepted") << r->envelope.dump();
    const auto b = r->body();
    SCOPED_TRACE(body.dump());
    EXPECT_EQ(b["subtotal"]["amount"], c.subtotal);
    EXPECT_EQ(b["discount"]["amount"], c.discount);
    EXPECT_EQ(b["tax"]["amount"], c.tax);
    EXPECT_EQ(b["total"]["amount"], c.total);
    EXPECT_EQ(b["total"]["currency"], "EUR");
  }
}
