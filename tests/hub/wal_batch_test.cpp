// The writer connection appends WAL frames through a batching VFS (hub/src/sqlite.cpp). These
// tests check what that must never change: a commit is in the file when COMMIT returns (other
// connections see it, a killed process keeps it), and transactions of any size commit whole.
#include <sqlite3.h>
#include <sys/wait.h>
#include <unistd.h>

#include <csignal>
#include <string>

#include <gtest/gtest.h>

#include "kh/hub/storage/sqlite.hpp"
#include "test_support.hpp"

namespace kh::hub {
namespace {

using test::temp_dir;

// A plain connection through SQLite's default VFS, as another process (backup, CLI) would open it.
struct plain_db {
  sqlite3* db = nullptr;
  explicit plain_db(const std::string& path) {
    EXPECT_EQ(sqlite3_open_v2(path.c_str(), &db, SQLITE_OPEN_READONLY, nullptr), SQLITE_OK);
  }
  ~plain_db() { sqlite3_close_v2(db); }
  std::int64_t scalar(const char* sql) {
    sqlite3_stmt* s = nullptr;
    EXPECT_EQ(sqlite3_prepare_v2(db, sql, -1, &s, nullptr), SQLITE_OK) << sqlite3_errmsg(db);
    std::int64_t v = -1;
    if (sqlite3_step(s) == SQLITE_ROW) v = sqlite3_column_int64(s, 0);
    sqlite3_finalize(s);
    return v;
  }
};

TEST(wal_batching, the_writer_connection_uses_the_batching_vfs) {
  temp_dir dir;
  sqlite::connection db((dir.path() / "t.db").string());
  sqlite3_vfs* vfs = nullptr;
  ASSERT_EQ(sqlite3_file_control(db.handle(), "main", SQLITE_FCNTL_VFS_POINTER, &vfs), SQLITE_OK);
  ASSERT_NE(vfs, nullptr);
  EXPECT_STREQ(vfs->zName, "kh-wal-batch");
}

TEST(wal_batching, every_commit_is_visible_to_another_connection_when_commit_returns) {
  temp_dir dir;
  const auto path = (dir.path() / "t.db").string();
  sqlite::connection db(path);
  db.exec("CREATE TABLE t (id INTEGER PRIMARY KEY, v TEXT NOT NULL)");
  plain_db other(path);
  for (int i = 1; i <= 50; ++i) {
    sqlite::transaction tx(db);
    db.prepare("INSERT INTO t(v) VALUES (?)").bind(1, std::string(300, 'a' + i % 26)).run();
    tx.commit();
    ASSERT_EQ(other.scalar("SELECT COUNT(*) FROM t"), i);
  }
  // A rolled-back transaction leaves nothing behind, and the next commit still lands.
  {
    sqlite::transaction tx(db);
    db.prepare("INSERT INTO t(v) VALUES ('gone')").run();
  }
  {
    sqlite::transaction tx(db);
    db.prepare("INSERT INTO t(v) VALUES ('kept')").run();
    tx.commit();
  }
  EXPECT_EQ(other.scalar("SELECT COUNT(*) FROM t WHERE v = 'gone'"), 0);
  EXPECT_EQ(other.scalar("SELECT COUNT(*) FROM t WHERE v = 'kept'"), 1);
}

TEST(wal_batching, transactions_larger_than_one_batch_commit_whole) {
  temp_dir dir;
  const auto path = (dir.path() / "t.db").string();
  sqlite::connection db(path);
  db.exec("CREATE TABLE t (id INTEGER PRIMARY KEY, v BLOB NOT NULL)");
  {
    sqlite::transaction tx(db);
    // 3 MiB in one transaction: many batches and many 64 KiB writes.
    for (int i = 0; i < 768; ++i) db.prepare("INSERT INTO t(v) VALUES (zeroblob(4096))").run();
    tx.commit();
  }
  plain_db other(path);
  EXPECT_EQ(other.scalar("SELECT COUNT(*) FROM t"), 768);
  EXPECT_EQ(other.scalar("SELECT SUM(length(v)) FROM t"), 768 * 4096);
  sqlite3_stmt* s = nullptr;
  ASSERT_EQ(sqlite3_prepare_v2(other.db, "PRAGMA integrity_check", -1, &s, nullptr), SQLITE_OK);
  ASSERT_EQ(sqlite3_step(s), SQLITE_ROW);
  EXPECT_STREQ(reinterpret_cast<const char*>(sqlite3_column_text(s, 0)), "ok");
  sqlite3_finalize(s);
}

TEST(wal_batching, a_commit_survives_the_process_being_killed_right_after_it) {
  temp_dir dir;
  const auto path = (dir.path() / "t.db").string();
  {
    sqlite::connection db(path);
    db.exec("CREATE TABLE t (id INTEGER PRIMARY KEY, v TEXT NOT NULL)");
  }
  const pid_t child = fork();
  ASSERT_GE(child, 0);
  if (child == 0) {
    // No destructors, no close, no checkpoint: only what COMMIT put in the OS survives.
    try {
      auto* db = new sqlite::connection(path);
      for (int i = 0; i < 20; ++i) {
        sqlite::transaction tx(*db);
        db->prepare("INSERT INTO t(v) VALUES (?)").bind(1, std::string(500, 'x')).run();
        tx.commit();
      }
    } catch (...) {
      _exit(3);
    }
    raise(SIGKILL);
    _exit(4);
  }
  int status = 0;
  ASSERT_EQ(waitpid(child, &status, 0), child);
  ASSERT_TRUE(WIFSIGNALED(status)) << "child exited with " << WEXITSTATUS(status);
  EXPECT_EQ(WTERMSIG(status), SIGKILL);
  plain_db other(path);
  EXPECT_EQ(other.scalar("SELECT COUNT(*) FROM t"), 20);
}

}  // namespace
}  // namespace kh::hub
