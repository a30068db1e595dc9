// A hub killed with SIGKILL in the middle of a stream of orders loses nothing and doubles nothing:
// the kiosk's durable outbox resends until answered, the hub answers only after commit and
// dedupes on order_id.
#include <gtest/gtest.h>

#include <signal.h>

#include <iostream>
#include <mutex>
#include <set>

#include "hub_fixture.hpp"

using namespace std::chrono_literals;
using kh::test::json;

TEST(crash, hub_sigkill_mid_stream_loses_and_doubles_no_order) {
  kh::test::mosquitto broker;
  kh::test::hub hub(broker);
  // 200 orders from one kiosk in a few seconds, on purpose: no placement rate or hold limit.
  hub.serve_args = {"--device-order-rate", "0", "--unpaid-hold-limit", "0"};
  hub.serve();
  auto product = hub.product_with_stock(200);
  ASSERT_FALSE(product.is_null()) << "the demo has products with 200 units";

  kh::test::headless_kiosk kiosk(broker, hub);
  ASSERT_FALSE(kiosk.until("event", "catalog", 15s).is_null()) << kiosk.log();

  constexpr int total = 200;
  std::set<std::string> queued, answered;
  std::string sku = product["sku"];
  auto read_until_queued = [&](std::size_t n) {
    while (queued.size() < n) {
      auto j = kiosk.next(10s);
      if (!j.is_object()) return false;
      const auto ev = j.value("event", "");
      if (ev == "queued") queued.insert(j["order_id"].get<std::string>());
      if (ev == "accepted") answered.insert(j["order_id"].get<std::string>());
    }
    return true;
  };
  auto queue_gauge = [&] {
    const auto body = kh::test::http_get(hub.http_port(), "/metrics").body;
    const std::string key = "\nkh_intake_queue_messages ";
    const auto at = body.find(key);
    return at == std::string::npos ? -1.0 : std::stod(body.substr(at + key.size()));
  };
  // Phase 1: a stream of orders that the hub answers.
  for (int i = 0; i < 60; ++i) ASSERT_TRUE(kiosk.send("order " + sku + ":1 takeaway cash"));
  ASSERT_TRUE(read_until_queued(60)) << kiosk.log();
  // Phase 2: the database is held by another process, so the next 40 orders reach the hub (Paho
  // has acknowledged them to the broker) but cannot be committed: their answers are certainly
  // outstanding when the hub is killed.
  auto lock = std::make_unique<kh::test::db>(hub.db_file());
  lock->exec("BEGIN EXCLUSIVE");
  for (int i = 60; i < 100; ++i) ASSERT_TRUE(kiosk.send("order " + sku + ":1 takeaway cash"));
  ASSERT_TRUE(read_until_queued(100)) << kiosk.log();
  ASSERT_TRUE(kh::test::eventually([&] { return queue_gauge() >= 39; }, 15s))
      << "the hub holds the orders it could not write yet: " << queue_gauge();
  hub.kill9();  // no chance to finish anything in flight
  lock->exec("ROLLBACK");
  lock.reset();
  // Phase 3: the kiosk keeps queueing while the hub is down, then the hub comes back.
  for (int i = 100; i < total; ++i) ASSERT_TRUE(kiosk.send("order " + sku + ":1 takeaway cash"));
  ASSERT_TRUE(read_until_queued(total)) << kiosk.log();
  hub.serve();
  kiosk.send("wait");
  auto done = kiosk.until("cmd", "wait", 60s);
  ASSERT_FALSE(done.is_null());
  EXPECT_EQ(done["outbox_pending"], 0) << hub.log();

  // Compared by id, the client's idempotency key: every queued order exists exactly once.
  kh::test::db db(hub.db_file());
  EXPECT_EQ(db.count("SELECT COUNT(*) FROM orders"), total);
  int missing = 0;
  for (auto& id : queued) missing += db.count("SELECT COUNT(*) FROM orders WHERE id='" + id + "'") == 1 ? 0 : 1;
  EXPECT_EQ(missing, 0);
  // No number is reused within a business day (a crash must not hand one out twice); across
  // local midnight the numbering starts over, so numbers alone are not compared.
  EXPECT_EQ(db.count("SELECT COUNT(*) FROM (SELECT 1 FROM orders GROUP BY business_id, day, number HAVING COUNT(*) > 1)"),
            0);
  kiosk.send("quit");
  EXPECT_EQ(kiosk.proc().wait(10s).value_or(-1), 0);
}

// A kiosk that dies without saying goodbye is shown offline: the broker publishes its Last Will
// (retained "offline"), and the hub records the device as offline.
TEST(crash, killed_kiosk_is_reported_offline_by_its_last_will) {
  kh::test::mosquitto broker;
  kh::test::hub hub(broker);
  hub.serve();
  kh::test::headless_kiosk kiosk(broker, hub);
  ASSERT_FALSE(kiosk.until("event", "catalog", 15s).is_null()) << kiosk.log();
  kh::test::db db(hub.db_file());
  auto online = [&] { return db.count("SELECT online FROM devices WHERE id='kiosk-1'"); };
  ASSERT_TRUE(kh::test::eventually([&] { return online() == 1; }, 10s)) << "hub saw the kiosk come online";

  kiosk.proc().signal(SIGKILL);
  kiosk.proc().wait(5s);
  EXPECT_TRUE(kh::test::eventually([&] { return online() == 0; }, 10s)) << hub.log();

  // A device connecting now still reads the retained presence.
  std::mutex mu;
  std::string presence;
  kh::mqtt::client watcher(kh::mqtt::options{.uri = broker.url(), .client_id = "presence-watch", .clean_session = true});
  watcher.subscribe_on_connect({{kh::protocol::topics::presence("kiosk-1"), 1}});
  watcher.on_message([&](kh::mqtt::message m) {
    std::lock_guard lk(mu);
    presence = m.payload;
  });
  ASSERT_TRUE(watcher.start());
  EXPECT_TRUE(kh::test::eventually([&] {
    std::lock_guard lk(mu);
    return presence == "offline";
  }, 10s));
}
