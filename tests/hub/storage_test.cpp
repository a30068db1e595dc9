#include <fstream>

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "kh/hub/storage/backup.hpp"
#include "kh/hub/ready_file.hpp"
#include "kh/hub/storage/schema.hpp"
#include "kh/hub/storage/store.hpp"
#include "test_support.hpp"

namespace kh::hub {
namespace {

using test::biz;
using test::temp_dir;

TEST(storage, migrations_run_once_and_reopening_is_a_no_op) {
  temp_dir dir;
  const auto path = database_path(dir.str());
  int ran = 0;
  {
    sqlite::connection db(path);
    // Versions may skip numbers (parallel branches take their own), so count what ran.
    ran = migrate(db);
    EXPECT_GE(ran, 1);
    EXPECT_EQ(schema_version(db), latest_schema_version());
    EXPECT_EQ(migrate(db), 0);
  }
  {
    auto s = open_sqlite_store(path);
    test::seed_small(*s);
  }
  // Reopen: data intact, nothing re-run.
  sqlite::connection db(path);
  EXPECT_EQ(migrate(db), 0);
  auto q = db.prepare("SELECT COUNT(*) FROM schema_version");
  ASSERT_TRUE(q.step());
  EXPECT_EQ(q.int64(0), ran);
  auto s = open_sqlite_store(path);
  EXPECT_TRUE(s->businesses().find(biz).has_value());
}

TEST(storage, a_database_from_a_newer_hub_is_refused) {
  temp_dir dir;
  const auto path = database_path(dir.str());
  {
    sqlite::connection db(path);
    migrate(db);
    db.exec("INSERT INTO schema_version(version, applied_at_ms) VALUES (999, 0)");
  }
  EXPECT_THROW(open_sqlite_store(path), sqlite::error);
}

TEST(storage, database_runs_in_wal_mode_with_foreign_keys) {
  temp_dir dir;
  sqlite::connection db(database_path(dir.str()));
  {
    auto mode = db.prepare("PRAGMA journal_mode");
    ASSERT_TRUE(mode.step());
    EXPECT_EQ(mode.text(0), "wal");
    auto fk = db.prepare("PRAGMA foreign_keys");
    ASSERT_TRUE(fk.step());
    EXPECT_EQ(fk.int64(0), 1);
  }  // statements reset: a pending read would block the migration's COMMIT
  migrate(db);
  // A device of an unknown business violates the foreign key.
  EXPECT_THROW(db.exec("INSERT INTO devices(id, business_id, name, mode, created_at_ms) VALUES ('d','nope','x','shop',0)"),
               sqlite::error);
}

TEST(storage, the_order_path_builds_no_temporary_btree_and_its_checks_still_refuse_bad_values) {
  // SQLite builds a temporary b-tree each time a statement runs an IN list of more than two values
  // or a RETURNING clause; migration 13 took the lists off the order path (the orders table's
  // CHECKs, the best-seller triggers; RETURNING went from the order path's statements). The checks
  // must still hold.
  temp_dir dir;
  sqlite::connection db(database_path(dir.str()));
  migrate(db);
  {
    auto q = db.prepare("SELECT name, sql FROM sqlite_schema WHERE name = 'orders' OR name LIKE 'product_sales_%'");
    int n = 0;
    while (q.step()) {
      ++n;
      EXPECT_EQ(q.text(1).find(" IN ('"), std::string::npos) << q.text(0) << ": " << q.text(1);
    }
    EXPECT_EQ(n, 5);  // the table, the hourly table and its three triggers
  }
  {
    // The generation triggers: the businesses row, and insert / update / delete on five tables.
    auto q = db.prepare("SELECT COUNT(*) FROM sqlite_schema WHERE type = 'trigger' AND name LIKE 'shop_generation_%'");
    ASSERT_TRUE(q.step());
    EXPECT_EQ(q.int64(0), 16);
  }
  auto explain_has_ephemeral = [&](const std::string& sql) {
    auto q = db.prepare("EXPLAIN " + sql);
    bool found = false;
    while (q.step()) found = found || q.text(1) == "OpenEphemeral";
    return found;
  };
  EXPECT_FALSE(explain_has_ephemeral(
      "INSERT INTO orders(id, business_id, device_id, day, seq, number, order_type, payment_method, state, currency, "
      "subtotal, discount, tax, total, tax_rate_bp, tax_inclusive, eta_ms, created_at_ms, updated_at_ms) "
      "VALUES ('o', 'b', NULL, 'd', 1, 'A-001', 'pickup', 'cash', 'paid', 'EUR', 0, 0, 0, 0, 0, 1, 0, 0, 0)"));
  EXPECT_TRUE(explain_has_ephemeral("SELECT 1 WHERE 'a' IN ('a', 'b', 'c')")) << "the probe itself must see one";

  {
    auto s = open_sqlite_store(database_path(dir.str()));
    test::seed_small(*s);
  }
  auto insert = [&](const std::string& id, const char* type, const char* method, const char* state) {
    db.exec(std::string("INSERT INTO orders(id, business_id, device_id, day, seq, number, order_type, payment_method, "
                        "state, currency, subtotal, discount, tax, total, tax_rate_bp, tax_inclusive, eta_ms, "
                        "created_at_ms, updated_at_ms) VALUES ('") +
            id + "', '" + biz + "', NULL, 'd', 1, 'A-001', '" + type + "', '" + method + "', '" + state +
            "', 'EUR', 0, 0, 0, 0, 0, 1, 0, 0, 0)");
  };
  EXPECT_NO_THROW(insert("o1", "pickup", "cash", "paid"));
  EXPECT_NO_THROW(insert("o2", "delivery", "wallet", "refunded"));
  EXPECT_THROW(insert("o3", "drive_in", "cash", "paid"), sqlite::error);
  EXPECT_THROW(insert("o4", "pickup", "cheque", "paid"), sqlite::error);
  EXPECT_THROW(insert("o5", "pickup", "cash", "lost"), sqlite::error);
  EXPECT_THROW(db.exec("UPDATE orders SET state = 'Paid' WHERE id = 'o1'"), sqlite::error);
  auto ok = db.prepare("PRAGMA integrity_check");
  ASSERT_TRUE(ok.step());
  EXPECT_EQ(ok.text(0), "ok");
}

TEST(storage, a_database_an_older_hub_left_with_orders_migrates_through_13_intact) {
  // Migration 13 rewrites the orders table's text in sqlite_schema: on a database with orders,
  // the rows, the checks, the best-seller triggers and the file's integrity must all survive it.
  temp_dir dir;
  const auto path = database_path(dir.str());
  {
    sqlite::connection db(path);
    migrate(db, 12);
    EXPECT_LT(schema_version(db), 13);
    // Foreign keys are on: a business for the orders (raw SQL: the store's code is the new one).
    db.exec("INSERT INTO businesses(id, slug, name, created_at_ms) VALUES ('" + std::string(biz) + "', 'old', 'Old café', 0)");
    for (int i = 1; i <= 3; ++i) {
      const std::string id = "00000000-0000-4000-8000-00000000000" + std::to_string(i);
      db.exec("INSERT INTO orders(id, business_id, device_id, day, seq, number, order_type, payment_method, state, "
              "currency, subtotal, discount, tax, total, tax_rate_bp, tax_inclusive, eta_ms, created_at_ms, updated_at_ms) "
              "VALUES ('" + id + "', '" + std::string(biz) + "', NULL, 'd', " + std::to_string(i) +
              ", 'A-00" + std::to_string(i) + "', 'pickup', 'cash', 'paid', 'EUR', 240, 0, 22, 240, 1000, 1, 0, 0, 0)");
      db.exec("INSERT INTO order_lines(order_id, line_no, product_id, sku, name, unit_price, qty, line_total) VALUES ('" + id +
              "', 1, 'bun', 'BUN', 'Bun', 240, 1, 240)");
    }
    EXPECT_EQ(migrate(db), 3);  // 13, 14 and 15
    EXPECT_EQ(schema_version(db), latest_schema_version());
    auto count = [&](const char* sql) {
      auto q = db.prepare(sql);
      q.step();
      return q.int64(0);
    };
    EXPECT_EQ(count("SELECT COUNT(*) FROM orders"), 3);
    EXPECT_EQ(count("SELECT SUM(qty) FROM product_sales_hourly"), 3);
    {
      auto q = db.prepare("SELECT sql FROM sqlite_schema WHERE name = 'orders'");
      ASSERT_TRUE(q.step());
      EXPECT_EQ(q.text(0).find(" IN ('"), std::string::npos) << q.text(0);
    }
    EXPECT_THROW(db.exec("UPDATE orders SET state = 'lost' WHERE number = 'A-001'"), sqlite::error);
    db.exec("UPDATE orders SET state = 'refunded' WHERE number = 'A-001'");  // the unsold trigger, as rewritten
    EXPECT_EQ(count("SELECT SUM(qty) FROM product_sales_hourly"), 2);
    auto ok = db.prepare("PRAGMA integrity_check");
    ASSERT_TRUE(ok.step());
    EXPECT_EQ(ok.text(0), "ok");
  }
  // Another connection opened afterwards reads the new text too.
  sqlite::connection other(path);
  auto q = other.prepare("SELECT COUNT(*) FROM orders WHERE state = 'refunded'");
  ASSERT_TRUE(q.step());
  EXPECT_EQ(q.int64(0), 1);
}

TEST(storage, take_stock_is_conditional_and_stock_never_negative) {
  temp_dir dir;
  auto s = open_sqlite_store(database_path(dir.str()));
  test::seed_small(*s);
  auto tx = s->begin();
  EXPECT_TRUE(s->catalog().take_stock(biz, "bun", 5, 1));
  EXPECT_FALSE(s->catalog().take_stock(biz, "bun", 1, 1));
  EXPECT_TRUE(s->catalog().take_stock(biz, "coffee", 99, 1));  // untracked: always
  EXPECT_FALSE(s->catalog().take_stock(biz, "nothing", 1, 1));
  tx->commit();
  EXPECT_EQ(test::stock_of(*s, "bun"), 0);
  EXPECT_EQ(test::stock_of(*s, "coffee"), std::nullopt);
  // The schema refuses a negative stock even if code forgot the condition.
  auto tx2 = s->begin();
  EXPECT_THROW(s->catalog().set_stock(biz, "bun", -1, 1), sqlite::error);
}

TEST(storage, order_counter_is_per_business_per_day) {
  temp_dir dir;
  auto s = open_sqlite_store(database_path(dir.str()));
  test::seed_small(*s);
  auto tx = s->begin();
  business_record other;
  other.id = "b-other";
  other.slug = "other";
  other.name = "Other";
  s->businesses().insert(other, 0);
  EXPECT_EQ(s->businesses().next_order_seq(biz, "2026-11-22"), 1);
  EXPECT_EQ(s->businesses().next_order_seq(biz, "2026-11-22"), 2);
  EXPECT_EQ(s->businesses().next_order_seq("b-other", "2026-11-22"), 1);
  EXPECT_EQ(s->businesses().next_order_seq(biz, "2026-11-23"), 1);
  EXPECT_EQ(s->businesses().next_order_seq(biz, "2026-11-22"), 3);
  tx->commit();
}

TEST(storage, uncommitted_writes_roll_back) {
  temp_dir dir;
  auto s = open_sqlite_store(database_path(dir.str()));
  test::seed_small(*s);
  {
    auto tx = s->begin();
    EXPECT_TRUE(s->catalog().take_stock(biz, "bun", 2, 1));
  }  // no commit
  EXPECT_EQ(test::stock_of(*s, "bun"), 5);
}

TEST(storage, backup_copies_a_live_database) {
  temp_dir dir;
  auto s = open_sqlite_store(database_path(dir.str()));
  test::seed_small(*s);
  const auto out = (dir.path() / "copy.db").string();
  EXPECT_EQ(backup_database(database_path(dir.str()), out), "");
  auto copy = open_sqlite_store(out);
  ASSERT_TRUE(copy->businesses().find(biz).has_value());
  EXPECT_EQ(copy->catalog().products(biz).size(), 4u);
  EXPECT_NE(backup_database((dir.path() / "missing.db").string(), out), "");
}

TEST(ready_file, is_written_whole_and_removed) {
  temp_dir dir;
  ASSERT_EQ(write_ready_file(dir.str(), 43117, 1234), "");
  std::ifstream in(ready_file_path(dir.str()));
  const auto j = nlohmann::json::parse(in);
  EXPECT_EQ(j, (nlohmann::json{{"http_port", 43117}, {"pid", 1234}}));
  EXPECT_FALSE(std::filesystem::exists(ready_file_path(dir.str()) + ".tmp"));
  remove_ready_file(dir.str());
  EXPECT_FALSE(std::filesystem::exists(ready_file_path(dir.str())));
}

}  // namespace
}  // namespace kh::hub
