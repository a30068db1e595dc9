#include "kh/kiosk/link/store.hpp"

#include <gtest/gtest.h>

#include <fstream>

#include "kh/protocol/ids.hpp"
#include "test_support.hpp"

namespace k = kh::kiosk;
using kh::kiosk::test::make_catalog;
using kh::kiosk::test::temp_dir;

namespace {
std::unique_ptr<k::store> open_store(const temp_dir& d) {
  auto s = k::store::open(d.path() / "kiosk.db");
  if (!s) ADD_FAILURE() << s.error().message;
  return s ? std::move(s).value() : nullptr;
}
}  // namespace

TEST(kiosk_store, outbox_entries_survive_a_reopen_in_order) {
  temp_dir d;
  std::vector<std::string> ids;
  {
    auto s = open_store(d);
    ASSERT_TRUE(s);
    for (int i = 0; i < 3; ++i) {
      ids.push_back(kh::protocol::new_uuid());
      ASSERT_TRUE(s->add_order(ids.back(), "payload-" + std::to_string(i), 1000 + i, 1000));
    }
    ASSERT_TRUE(s->record_attempt(ids[1], 2, 5000));
  }
  auto s = open_store(d);
  ASSERT_TRUE(s);
  const auto p = s->pending();
  ASSERT_EQ(p.size(), 3u);
  for (int i = 0; i < 3; ++i) {
    EXPECT_EQ(p[i].order_id, ids[i]);
    EXPECT_EQ(p[i].payload, "payload-" + std::to_string(i));
    EXPECT_EQ(p[i].status, k::outbox_status::pending);
    EXPECT_EQ(p[i].state, "queued");
  }
  EXPECT_EQ(p[1].attempts, 2);
  EXPECT_EQ(p[1].next_attempt_ms, 5000);
  EXPECT_EQ(s->pending_count(), 3u);
}

TEST(kiosk_store, database_runs_in_wal_mode) {
  temp_dir d;
  auto s = open_store(d);
  ASSERT_TRUE(s);
  ASSERT_TRUE(s->add_order(kh::protocol::new_uuid(), "x", 1, 10));
  EXPECT_TRUE(std::filesystem::exists(d.path() / "kiosk.db-wal"));
}

TEST(kiosk_store, a_full_outbox_refuses_new_orders_and_keeps_the_old_ones) {
  temp_dir d;
  auto s = open_store(d);
  ASSERT_TRUE(s);
  std::string first;
  for (int i = 0; i < 5; ++i) {
    auto id = kh::protocol::new_uuid();
    if (i == 0) first = id;
    ASSERT_TRUE(s->add_order(id, "p", i, 5));
  }
  auto r = s->add_order(kh::protocol::new_uuid(), "p", 9, 5);
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().code, k::errc::outbox_full);
  EXPECT_EQ(s->pending_count(), 5u);
  // An answered entry frees a slot.
  ASSERT_TRUE(s->complete(first, k::outbox_status::done, "order.accepted", "{}", "A-001",
                          "pending_payment", 10));
  EXPECT_TRUE(s->add_order(kh::protocol::new_uuid(), "p", 11, 5));
}

TEST(kiosk_store, an_answer_is_recorded_once_and_kept_for_lookup) {
  temp_dir d;
  auto s = open_store(d);
  ASSERT_TRUE(s);
  const auto id = kh::protocol::new_uuid();
  ASSERT_TRUE(s->add_order(id, "p", 1, 10));
  auto first = s->complete(id, k::outbox_status::done, "order.accepted", R"({"number":"A-001"})",
                           "A-001", "pending_payment", 2);
  ASSERT_TRUE(first);
  EXPECT_TRUE(*first);
  auto again = s->complete(id, k::outbox_status::failed, "error", "{}", "", "failed", 3);
  ASSERT_TRUE(again);
  EXPECT_FALSE(*again);
  auto e = s->find(id);
  ASSERT_TRUE(e);
  EXPECT_EQ(e->status, k::outbox_status::done);
  EXPECT_EQ(e->answer_type, "order.accepted");
  EXPECT_EQ(e->number, "A-001");
  EXPECT_EQ(e->state, "pending_payment");
  EXPECT_EQ(s->pending_count(), 0u);
  EXPECT_FALSE(s->find(kh::protocol::new_uuid()));
}

TEST(kiosk_store, a_status_seen_before_the_answer_is_not_overwritten) {
  temp_dir d;
  auto s = open_store(d);
  ASSERT_TRUE(s);
  const auto id = kh::protocol::new_uuid();
  ASSERT_TRUE(s->add_order(id, "p", 1, 10));
  ASSERT_TRUE(s->update_tracking(id, "A-007", "paid"));
  ASSERT_TRUE(s->complete(id, k::outbox_status::done, "order.accepted", "{}", "A-007",
                          "pending_payment", 2));
  EXPECT_EQ(s->find(id)->state, "paid");
  auto unknown = s->update_tracking(kh::protocol::new_uuid(), "B-1", "ready");
  ASSERT_TRUE(unknown);
  EXPECT_FALSE(*unknown);
}

TEST(kiosk_store, recent_lists_newest_first_up_to_the_limit) {
  temp_dir d;
  auto s = open_store(d);
  ASSERT_TRUE(s);
  std::vector<std::string> ids;
  for (int i = 0; i < 25; ++i) {
    ids.push_back(kh::protocol::new_uuid());
    ASSERT_TRUE(s->add_order(ids.back(), "p", i, 1000));
  }
  auto r = s->recent(20);
  ASSERT_EQ(r.size(), 20u);
  EXPECT_EQ(r.front().order_id, ids[24]);
  EXPECT_EQ(r.back().order_id, ids[5]);
}

TEST(kiosk_store, catalog_cache_keeps_the_newest_version_across_reopen) {
  temp_dir d;
  {
    auto s = open_store(d);
    ASSERT_TRUE(s);
    EXPECT_FALSE(s->load_catalog());
    EXPECT_EQ(*s->save_catalog(make_catalog(5), 1), k::catalog_saved::stored);
    EXPECT_EQ(*s->save_catalog(make_catalog(4), 2), k::catalog_saved::not_newer);
    EXPECT_EQ(*s->save_catalog(make_catalog(5), 3), k::catalog_saved::not_newer);
  }
  auto s = open_store(d);
  ASSERT_TRUE(s);
  auto c = s->load_catalog();
  ASSERT_TRUE(c);
  EXPECT_EQ(*c, make_catalog(5));
  EXPECT_EQ(*s->save_catalog(make_catalog(6), 4), k::catalog_saved::stored);
  EXPECT_EQ(s->load_catalog()->version, 6);
  // Another business replaces it whatever the version (the kiosk was moved).
  EXPECT_EQ(*s->save_catalog(make_catalog(1, "bakery"), 5), k::catalog_saved::stored);
  EXPECT_EQ(s->load_catalog()->business_id, "bakery");
}

TEST(kiosk_store, settings_round_trip) {
  temp_dir d;
  {
    auto s = open_store(d);
    ASSERT_TRUE(s);
    EXPECT_FALSE(s->setting("business_id"));
    ASSERT_TRUE(s->set_setting("business_id", "cafe"));
    ASSERT_TRUE(s->set_setting("business_id", "cafe-2"));
  }
  EXPECT_EQ(open_store(d)->setting("business_id"), "cafe-2");
}

TEST(kiosk_store, unopenable_path_is_a_storage_error) {
  auto s = k::store::open("/nonexistent-dir-kh/kiosk.db");
  ASSERT_FALSE(s);
  EXPECT_EQ(s.error().code, k::errc::storage_error);
  temp_dir d;
  {
    std::ofstream junk(d.path() / "kiosk.db");
    junk << "this is not a sqlite database, just text that is long enough to have a "
            "header............";
  }
  auto j = k::store::open(d.path() / "kiosk.db");
  ASSERT_FALSE(j);
  EXPECT_EQ(j.error().code, k::errc::storage_error);
}
