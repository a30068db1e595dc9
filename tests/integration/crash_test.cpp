// A hub killed with SIGKILL in the middle of a stream of orders loses nothing and doubles nothing:
// the kiosk's durable outbox resends until answered, the hub answers only after commit and
// dedupes on order_id.
#include <gtest/gtest.h>

#include <signal.h>

#include <mutex>
#include <set>

#include "hub_fixture.hpp"

using namespace std::chrono_literals;
using kh::test::json;

TEST(crash, hub_sigkill_mid_stream_loses_and_doubles_no_order) {
  kh::test::mosquitto broker;
  kh::test::hub hub(broker);
  hub.serve();
  auto product = hub.product_with_stock(200);
  ASSERT_FALSE(product.is_null()) << "the demo has products with 200 units";

  kh::test::headless_kiosk kiosk(broker, hub);
  ASSERT_FALSE(kiosk.until("event", "catalog", 15s).is_null()) << kiosk.log();

  constexpr int total = 200;
  std::set<std::string> queued;
  bool killed = false;
  std::string sku = product["sku"];
  for (int i = 0; i < total; ++i) {
    ASSERT_TRUE(kiosk.send("order " + sku + ":1 takeaway cash"));
    // Wait for this order's "queued" line, so every order really went through the outbox; answers
    // of earlier orders interleave.
    while (queued.size() < static_cast<std::size_t>(i + 1)) {
      auto j = kiosk.next(5s);
      ASSERT_TRUE(j.is_object()) << "kiosk did not queue order " << i << kiosk.log();
      if (j.value("event", "") == "queued") queued.insert(j["order_id"].get<std::string>());
    }
    if (!killed && i == 80) {
      hub.kill9();  // no chance to finish anything in flight
      killed = true;
    }
    if (killed && i == 120) hub.serve();  // the kiosk kept queueing meanwhile
  }
  ASSERT_EQ(queued.size(), static_cast<std::size_t>(total));
  kiosk.send("wait");
  auto done = kiosk.until("cmd", "wait", 60s);
  ASSERT_FALSE(done.is_null());
  EXPECT_EQ(done["outbox_pending"], 0) << hub.log();

  kh::test::db db(hub.db_file());
  EXPECT_EQ(db.count("SELECT COUNT(*) FROM orders"), total);
  EXPECT_EQ(db.count("SELECT COUNT(DISTINCT id) FROM orders"), total);
  int missing = 0;
  for (auto& id : queued) missing += db.count("SELECT COUNT(*) FROM orders WHERE id='" + id + "'") == 1 ? 0 : 1;
  EXPECT_EQ(missing, 0);
  // Order numbers are unique too: a crash must not reuse a number.
  EXPECT_EQ(db.count("SELECT COUNT(DISTINCT number) FROM orders"), total);
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
