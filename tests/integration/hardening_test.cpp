// What an adversarial review of the running hub broke (issue 7), end to end: real Mosquitto, real
// kioskhub and kiosk processes, real SQLite files.
#include <gtest/gtest.h>

#include <sys/resource.h>

#include <algorithm>
#include <cstring>
#include <iostream>
#include <set>

#include "hub_fixture.hpp"

using namespace std::chrono_literals;
using kh::test::json;

namespace {

// RLIMIT_FSIZE of another process: every write to a regular file at or past `bytes` fails with
// EFBIG, which SQLite reports like a full disk. The hub ignores SIGXFSZ, so it lives on.
// Only the soft limit moves (raising a hard limit needs CAP_SYS_RESOURCE).
void limit_file_size(pid_t pid, rlim_t bytes) {
  rlimit now{};
  ASSERT_EQ(::prlimit(pid, RLIMIT_FSIZE, nullptr, &now), 0) << std::strerror(errno);
  rlimit r{std::min(bytes, now.rlim_max), now.rlim_max};
  ASSERT_EQ(::prlimit(pid, RLIMIT_FSIZE, &r, nullptr), 0) << std::strerror(errno);
}

double metric(std::uint16_t port, const std::string& series) {
  const auto body = kh::test::http_get(port, "/metrics").body;
  const auto at = body.find("\n" + series + " ");
  if (at == std::string::npos) return -1;
  return std::stod(body.substr(at + series.size() + 2));
}

json health(std::uint16_t port, int* status = nullptr, std::chrono::milliseconds timeout = 5s) {
  const auto h = kh::test::http_get(port, "/healthz", timeout);
  if (status) *status = h.status;
  return json::parse(h.body, nullptr, false);
}

}  // namespace

// The hub used to answer a failed write `order.rejected` / `internal`, which the kiosk took as
// final: the order was dropped from the outbox and never placed, even after the disk was freed.
TEST(hardening, disk_full_order_is_kept_by_the_kiosk_and_placed_once_when_the_disk_is_freed) {
  kh::test::mosquitto broker;
  kh::test::hub hub(broker);
  hub.serve();
  auto product = hub.product_with_stock(10);
  kh::test::headless_kiosk kiosk(broker, hub);
  ASSERT_FALSE(kiosk.until("event", "catalog", 15s).is_null()) << kiosk.log();

  limit_file_size(hub.proc().pid(), 0);  // the disk is full
  kiosk.send("order " + product["sku"].get<std::string>() + ":1 takeaway cash");
  auto queued = kiosk.until("event", "queued", 5s);
  ASSERT_FALSE(queued.is_null());
  const std::string id = queued["order_id"];
  // The hub tried and failed at least once, and says so on /healthz.
  ASSERT_TRUE(kh::test::eventually(
      [&] { return metric(hub.http_port(), "kh_orders_rejected_total{code=\"internal\"}") >= 1; }, 15s))
      << hub.log();
  int status = 0;
  auto h = health(hub.http_port(), &status);
  EXPECT_EQ(status, 503) << h.dump();
  EXPECT_EQ(h.value("database", ""), "unavailable") << h.dump();
  EXPECT_NE(h.value("reason", "").find("database cannot be written"), std::string::npos) << h.dump();
  // The kiosk keeps it.
  kiosk.send("status");
  auto st = kiosk.until("cmd", "status", 5s);
  EXPECT_EQ(st["outbox_pending"], 1) << st.dump() << kiosk.log();

  limit_file_size(hub.proc().pid(), RLIM_INFINITY);  // space again
  auto accepted = kiosk.until("event", "accepted", 40s);
  ASSERT_FALSE(accepted.is_null()) << kiosk.log() << hub.log();
  EXPECT_EQ(accepted["order_id"], id);
  kh::test::db db(hub.db_file());
  EXPECT_EQ(db.count("SELECT COUNT(*) FROM orders WHERE id = '" + id + "'"), 1);
  EXPECT_EQ(db.count("SELECT COUNT(*) FROM orders"), 1);
  EXPECT_TRUE(kh::test::eventually([&] { return health(hub.http_port()).value("database", "") == "ok"; }, 10s))
      << "health recovers once a write (order or probe) succeeds";
}

// kiosk/README.md promised that a kiosk started without --business learns it from the first
// catalog on its own down/catalog; nothing sent one.
TEST(hardening, a_kiosk_given_only_its_device_id_learns_its_business_from_the_hello_answer) {
  kh::test::mosquitto broker;
  kh::test::hub hub(broker);
  hub.serve();
  kh::test::headless_kiosk kiosk(broker, hub, "kiosk-1", /*with_business=*/false);
  auto cat = kiosk.until("event", "catalog", 15s);
  ASSERT_FALSE(cat.is_null()) << kiosk.log();
  kiosk.send("status");
  auto st = kiosk.until("cmd", "status", 5s);
  EXPECT_EQ(st["business_id"], hub.business_id()) << st.dump();
  // And it can order (it now follows the business topics too).
  auto product = hub.product_with_stock(10);
  kiosk.send("order " + product["sku"].get<std::string>() + ":1 takeaway cash");
  auto accepted = kiosk.until("event", "accepted", 15s);
  EXPECT_FALSE(accepted.is_null()) << kiosk.log();
}

// Retained messages on up/ used to be replayed to the hub on every resubscribe and answered
// again. (The first, live delivery carries no retain flag under MQTT 3.1.1, so it is processed
// like any message; only the replays are recognisable.)
TEST(hardening, a_retained_message_on_an_up_topic_is_not_answered_again_on_resubscribe) {
  kh::test::mosquitto broker;
  kh::test::hub hub(broker);
  hub.serve();
  auto product = hub.product_with_stock(10);
  kh::test::raw_device dev(broker, "kiosk-1");
  auto body = kh::test::order_body({{product["id"], 1}});
  const std::string id = body["order_id"];
  kh::protocol::envelope e{1, "order.submit", kh::protocol::new_uuid(),
                           kh::protocol::format_rfc3339(kh::protocol::clock::now()), body};
  kh::mqtt::client c(kh::mqtt::options{.uri = broker.url(), .client_id = "retainer", .clean_session = true});
  ASSERT_TRUE(c.start());
  const auto topic = kh::protocol::topics::device_up("kiosk-1", "order.submit");
  ASSERT_TRUE(c.publish_and_wait(topic, kh::protocol::encode_envelope(e), 1, /*retained=*/true));
  ASSERT_TRUE(dev.next_for(id, 10s)) << "the live delivery is answered once";
  // The hub restarts and resubscribes: the broker hands it the retained copy, flagged retained.
  hub.stop();
  hub.serve();
  ASSERT_TRUE(kh::test::eventually([&] { return metric(hub.http_port(), "kh_mqtt_retained_ignored_total") >= 1; }, 10s))
      << hub.log();
  EXPECT_FALSE(dev.next_for(id, 2s)) << "answered again";
  kh::test::db db(hub.db_file());
  EXPECT_EQ(db.count("SELECT COUNT(*) FROM orders"), 1);
  c.publish_and_wait(topic, "", 1, true);  // clear it
}

// A writer stuck on the database used to stall /healthz and /metrics (they ran on its thread),
// and a burst beyond the intake queue was dropped. Here the database is locked from outside while
// a kiosk floods: health answers at once, the queue refuses what does not fit with `busy`
// (counted), and in the end every order is placed exactly once.
TEST(hardening, a_flood_past_the_intake_limit_is_answered_busy_and_every_order_is_placed_once) {
  kh::test::mosquitto broker;
  kh::test::hub hub(broker);
  hub.serve_args = {"--intake-max-messages", "64", "--device-order-rate", "0", "--unpaid-hold-limit", "0"};
  hub.serve();
  auto product = hub.product_with_stock(200);
  ASSERT_FALSE(product.is_null());
  kh::test::headless_kiosk kiosk(broker, hub);
  ASSERT_FALSE(kiosk.until("event", "catalog", 15s).is_null()) << kiosk.log();

  auto lock = std::make_unique<kh::test::db>(hub.db_file());
  lock->exec("BEGIN EXCLUSIVE");  // the order writer now waits (up to its 5 s busy timeout) per order
  constexpr int total = 150;
  std::set<std::string> queued;
  for (int i = 0; i < total; ++i) kiosk.send("order " + product["sku"].get<std::string>() + ":1 takeaway cash");
  while (queued.size() < static_cast<std::size_t>(total)) {
    auto j = kiosk.next(10s);
    ASSERT_TRUE(j.is_object()) << kiosk.log();
    if (j.value("event", "") == "queued") queued.insert(j["order_id"].get<std::string>());
  }
  // Health and metrics answer while the writer is stuck (before: they waited behind it).
  double slowest_ms = 0;
  for (int i = 0; i < 5; ++i) {
    int status = 0;
    const auto t0 = std::chrono::steady_clock::now();
    const auto h = health(hub.http_port(), &status, 1s);
    slowest_ms = std::max(slowest_ms, std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - t0).count());
    EXPECT_NE(status, 0) << "no /healthz answer within 1 s while the writer is blocked";
    EXPECT_TRUE(h.is_object());
  }
  std::cout << "[ flood    ] slowest /healthz while the writer was blocked: " << slowest_ms << " ms\n";
  ASSERT_TRUE(kh::test::eventually(
      [&] {
        return metric(hub.http_port(), "kh_intake_refused_total{reason=\"device_share\"}") +
                   metric(hub.http_port(), "kh_intake_refused_total{reason=\"queue_full\"}") >
               0;
      },
      15s))
      << "the queue of 64 (8 per device) overflowed and said so";
  lock->exec("ROLLBACK");
  lock.reset();

  kiosk.send("wait");
  auto done = kiosk.until("cmd", "wait", 90s);
  ASSERT_FALSE(done.is_null());
  EXPECT_EQ(done["outbox_pending"], 0) << hub.log();
  kh::test::db db(hub.db_file());
  EXPECT_EQ(db.count("SELECT COUNT(*) FROM orders"), total);
  int missing = 0;
  for (const auto& id : queued) missing += db.count("SELECT COUNT(*) FROM orders WHERE id='" + id + "'") == 1 ? 0 : 1;
  EXPECT_EQ(missing, 0);
  const double refused = metric(hub.http_port(), "kh_intake_refused_total{reason=\"device_share\"}") +
                         metric(hub.http_port(), "kh_intake_refused_total{reason=\"queue_full\"}");
  std::cout << "[ flood    ] " << refused << " messages answered busy, all " << total << " orders placed once\n";
}
