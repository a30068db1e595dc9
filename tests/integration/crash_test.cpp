// A hub killed with SIGKILL in the middle of a stream of orders loses nothing and doubles nothing:
// the kiosk's durable outbox resends until answered, the hub answers only after commit and
// dedupes on order_id.
#include <gtest/gtest.h>

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

  kh::test::temp_dir kdir;
  kh::test::process kiosk({.argv = {(kh::test::bin_dir() / "kiosk").string(), "--headless", "--data",
                                    kdir.path().string(), "--device", "kiosk-1", "--mqtt", broker.url(),
                                    "--business", hub.business_id()},
                           .pipe_stdin = true,
                           .pipe_stdout = true,
                           .stderr_file = kdir.path() / "kiosk.stderr"});
  auto is = [](const std::string& key, const std::string& value) {
    return [=](const std::string& l) {
      auto j = json::parse(l, nullptr, false);
      return j.is_object() && j.value(key, "") == value;
    };
  };
  ASSERT_TRUE(kiosk.read_until(is("event", "catalog"), 15s));

  constexpr int total = 200;
  std::set<std::string> queued;
  int accepted = 0;
  bool killed = false;
  std::string sku = product["sku"];
  for (int i = 0; i < total; ++i) {
    ASSERT_TRUE(kiosk.write_line("order " + sku + ":1 takeaway cash"));
    // Read what is there: queued lines and accepted answers interleave.
    for (;;) {
      auto line = kiosk.read_line(i == total - 1 ? 100ms : 1ms);
      if (!line) break;
      auto j = json::parse(*line, nullptr, false);
      if (j.value("event", "") == "queued") queued.insert(j["order_id"].get<std::string>());
      if (j.value("event", "") == "accepted") ++accepted;
    }
    // Wait for our own "queued" line so every order really went through the outbox.
    while (queued.size() < static_cast<std::size_t>(i + 1)) {
      auto line = kiosk.read_line(5s);
      ASSERT_TRUE(line) << "kiosk did not queue order " << i;
      auto j = json::parse(*line, nullptr, false);
      if (j.value("event", "") == "queued") queued.insert(j["order_id"].get<std::string>());
      if (j.value("event", "") == "accepted") ++accepted;
    }
    if (!killed && i == 80) {
      hub.kill9();  // no chance to finish anything in flight
      killed = true;
    }
    if (killed && i == 120) hub.serve();  // the kiosk kept queueing meanwhile
  }
  ASSERT_EQ(queued.size(), static_cast<std::size_t>(total));
  kiosk.write_line("wait");
  auto done = kiosk.read_until(is("cmd", "wait"), 60s);
  ASSERT_TRUE(done);
  EXPECT_EQ(json::parse(*done)["outbox_pending"], 0) << hub.log();

  kh::test::db db(hub.db_file());
  EXPECT_EQ(db.count("SELECT COUNT(*) FROM orders"), total);
  EXPECT_EQ(db.count("SELECT COUNT(DISTINCT id) FROM orders"), total);
  int missing = 0;
  for (auto& id : queued) missing += db.count("SELECT COUNT(*) FROM orders WHERE id='" + id + "'") == 1 ? 0 : 1;
  EXPECT_EQ(missing, 0);
  // Order numbers are unique too: a crash must not reuse a number.
  EXPECT_EQ(db.count("SELECT COUNT(DISTINCT number) FROM orders"), total);
  kiosk.write_line("quit");
  kiosk.wait(10s);
}
