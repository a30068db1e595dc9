#include "kh/hub/sqlite.hpp"

#include <sqlite3.h>

#include <condition_variable>
#include <mutex>
#include <thread>

namespace kh::hub::sqlite {

namespace {
[[noreturn]] void fail(sqlite3* db, int rc, std::string_view what) {
  std::string msg(what);
  msg += ": ";
  msg += db ? sqlite3_errmsg(db) : sqlite3_errstr(rc);
  throw error(rc, msg);
}
}  // namespace

namespace {
void configure_library_once() {
  static std::once_flag once;
  std::call_once(once, [] {
    // Memory statistics make every SQLite allocation take a global mutex; we never read them.
    // Must run before SQLite initialises; if someone else initialised it first this is a no-op
    // (SQLITE_MISUSE), which only costs speed.
    sqlite3_config(SQLITE_CONFIG_MEMSTATUS, 0);
  });
}
}  // namespace

connection::connection(const std::string& path, open_options opts) : path_(path) {
  configure_library_once();
  const int flags = (opts.read_only ? SQLITE_OPEN_READONLY : SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE) |
                    SQLITE_OPEN_NOMUTEX;  // one thread per connection: skip SQLite's own mutexes
  const int rc = sqlite3_open_v2(path.c_str(), &db_, flags, nullptr);
  if (rc != SQLITE_OK) {
    std::string msg = "cannot open database " + path + ": " +
                      (db_ ? sqlite3_errmsg(db_) : sqlite3_errstr(rc));
    sqlite3_close(db_);
    db_ = nullptr;
    throw error(rc, msg);
  }
  sqlite3_extended_result_codes(db_, 1);
  sqlite3_busy_timeout(db_, static_cast<int>(opts.busy_timeout.count()));
  try {
    if (!opts.read_only) exec("PRAGMA journal_mode=WAL");
    exec(opts.sync == durability::full ? "PRAGMA synchronous=FULL" : "PRAGMA synchronous=NORMAL");
    exec("PRAGMA foreign_keys=ON");
    // Temp b-trees (ORDER BY, GROUP BY) in memory: they are small here.
    exec("PRAGMA temp_store=MEMORY");
    // Random UUID keys spread inserts over many index pages; a 16 MiB page cache keeps the hot
    // ones in memory (bigger caches measured no faster: SQLite walks its page hash at commits).
    exec("PRAGMA cache_size=-16384");
    if (!opts.read_only) {
      // With a background checkpointer the writer only checkpoints as a backstop (80 MiB of WAL);
      // otherwise SQLite's default (every 1000 pages, on the committing thread).
      exec(opts.background_checkpoint ? "PRAGMA wal_autocheckpoint=20000" : "PRAGMA wal_autocheckpoint=1000");
    }
  } catch (...) {
    sqlite3_close(db_);
    db_ = nullptr;
    throw;
  }
}

connection::~connection() {
  for (auto& [sql, s] : cache_) sqlite3_finalize(s);
  // sqlite3_close_v2 defers the close until every statement is finalised; all are, above.
  sqlite3_close_v2(db_);
}

void connection::exec(std::string_view sql) {
  std::string s(sql);
  char* err = nullptr;
  const int rc = sqlite3_exec(db_, s.c_str(), nullptr, nullptr, &err);
  if (rc != SQLITE_OK) {
    std::string msg = err ? err : sqlite3_errstr(rc);
    sqlite3_free(err);
    throw error(rc, "sql failed: " + msg + " in: " + s.substr(0, 120));
  }
}

statement connection::prepare(std::string_view sql) {
  auto it = cache_.find(sql);
  if (it == cache_.end()) {
    sqlite3_stmt* s = nullptr;
    const int rc = sqlite3_prepare_v3(db_, sql.data(), static_cast<int>(sql.size()),
                                      SQLITE_PREPARE_PERSISTENT, &s, nullptr);
    if (rc != SQLITE_OK) fail(db_, rc, "prepare failed for: " + std::string(sql.substr(0, 120)));
    it = cache_.emplace(std::string(sql), s).first;
  }
  return statement(*this, it->second);
}

std::int64_t connection::last_insert_rowid() const noexcept { return sqlite3_last_insert_rowid(db_); }
int connection::changes() const noexcept { return sqlite3_changes(db_); }
bool connection::in_transaction() const noexcept { return sqlite3_get_autocommit(db_) == 0; }

statement::~statement() {
  if (stmt_) {
    sqlite3_reset(stmt_);
    sqlite3_clear_bindings(stmt_);
  }
}

statement& statement::bind(int i, std::int64_t v) {
  const int rc = sqlite3_bind_int64(stmt_, i, v);
  if (rc != SQLITE_OK) fail(conn_->handle(), rc, "bind");
  return *this;
}

statement& statement::bind(int i, std::string_view v) {
  const int rc = sqlite3_bind_text64(stmt_, i, v.data(), v.size(), SQLITE_TRANSIENT, SQLITE_UTF8);
  if (rc != SQLITE_OK) fail(conn_->handle(), rc, "bind");
  return *this;
}

statement& statement::bind(int i, std::nullopt_t) {
  const int rc = sqlite3_bind_null(stmt_, i);
  if (rc != SQLITE_OK) fail(conn_->handle(), rc, "bind");
  return *this;
}

bool statement::step() {
  const int rc = sqlite3_step(stmt_);
  if (rc == SQLITE_ROW) return true;
  if (rc == SQLITE_DONE) return false;
  fail(conn_->handle(), rc, "step");
}

int statement::run() {
  while (step()) {
  }
  return sqlite3_changes(conn_->handle());
}

bool statement::is_null(int col) const noexcept { return sqlite3_column_type(stmt_, col) == SQLITE_NULL; }
std::int64_t statement::int64(int col) const noexcept { return sqlite3_column_int64(stmt_, col); }

std::string statement::text(int col) const {
  const auto* p = sqlite3_column_text(stmt_, col);
  if (!p) return {};
  return std::string(reinterpret_cast<const char*>(p), static_cast<std::size_t>(sqlite3_column_bytes(stmt_, col)));
}

std::optional<std::int64_t> statement::opt_int64(int col) const noexcept {
  if (is_null(col)) return std::nullopt;
  return int64(col);
}

transaction::transaction(connection& c) : c_(c) {
  c_.prepare("BEGIN IMMEDIATE").run();
  active_ = true;
}

transaction::~transaction() { rollback(); }

void transaction::commit() {
  c_.prepare("COMMIT").run();
  active_ = false;
}

void transaction::rollback() noexcept {
  if (!active_) return;
  active_ = false;
  // ROLLBACK can only fail when no transaction is open (SQLite already rolled back on an I/O
  // error); nothing more to do then.
  sqlite3_exec(c_.handle(), "ROLLBACK", nullptr, nullptr, nullptr);
}

}  // namespace kh::hub::sqlite

// ---- checkpointer --------------------------------------------------------------------------

namespace kh::hub::sqlite {

struct checkpointer::state {
  std::mutex mu;
  std::condition_variable cv;
  bool stop = false;
  std::thread worker;
};

checkpointer::checkpointer(const std::string& path, std::chrono::milliseconds interval)
    : s_(std::make_unique<state>()) {
  sqlite3* db = nullptr;
  if (sqlite3_open_v2(path.c_str(), &db, SQLITE_OPEN_READWRITE | SQLITE_OPEN_NOMUTEX, nullptr) != SQLITE_OK) {
    std::string msg = std::string("checkpointer cannot open ") + path + ": " + sqlite3_errmsg(db);
    sqlite3_close(db);
    throw error(SQLITE_CANTOPEN, msg);
  }
  sqlite3_busy_timeout(db, 0);  // PASSIVE never waits anyway; never hold the writer up
  s_->worker = std::thread([st = s_.get(), db, interval] {
    std::unique_lock lk(st->mu);
    while (!st->cv.wait_for(lk, interval, [st] { return st->stop; })) {
      lk.unlock();
      int log = 0;
      int done = 0;
      // Errors (SQLITE_BUSY while another checkpoint runs) are harmless: try again next round.
      sqlite3_wal_checkpoint_v2(db, nullptr, SQLITE_CHECKPOINT_PASSIVE, &log, &done);
      lk.lock();
    }
    lk.unlock();
    sqlite3_close_v2(db);
  });
}

checkpointer::~checkpointer() {
  {
    std::lock_guard lk(s_->mu);
    s_->stop = true;
  }
  s_->cv.notify_all();
  if (s_->worker.joinable()) s_->worker.join();
}

}  // namespace kh::hub::sqlite
