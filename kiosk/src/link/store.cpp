#include "kh/kiosk/link/store.hpp"

#include <sqlite3.h>

#include <spdlog/spdlog.h>

#include "kh/protocol/codec.hpp"

namespace kh::kiosk {

const char* to_string(outbox_status s) noexcept {
  switch (s) {
    case outbox_status::pending:
      return "pending";
    case outbox_status::done:
      return "done";
    case outbox_status::failed:
      return "failed";
  }
  return "pending";
}

namespace {

outbox_status status_from(std::string_view s) {
  if (s == "done") return outbox_status::done;
  if (s == "failed") return outbox_status::failed;
  return outbox_status::pending;
}

// A prepared statement, finalised on scope exit. Binding is positional from 1.
class stmt {
 public:
  stmt(sqlite3* db, const char* sql) {
    if (sqlite3_prepare_v2(db, sql, -1, &s_, nullptr) != SQLITE_OK) s_ = nullptr;
  }
  ~stmt() { sqlite3_finalize(s_); }
  stmt(const stmt&) = delete;
  stmt& operator=(const stmt&) = delete;

  bool ok() const noexcept { return s_ != nullptr; }
  stmt& bind(int i, std::string_view v) {
    if (s_) sqlite3_bind_text(s_, i, v.data(), static_cast<int>(v.size()), SQLITE_TRANSIENT);
    return *this;
  }
  stmt& bind(int i, std::int64_t v) {
    if (s_) sqlite3_bind_int64(s_, i, v);
    return *this;
  }
  /// SQLITE_ROW, SQLITE_DONE or an error code.
  int step() { return s_ ? sqlite3_step(s_) : SQLITE_ERROR; }
  std::int64_t i64(int col) const { return sqlite3_column_int64(s_, col); }
  std::string text(int col) const {
    const auto* p = reinterpret_cast<const char*>(sqlite3_column_text(s_, col));
    return p ? std::string(p, static_cast<std::size_t>(sqlite3_column_bytes(s_, col)))
             : std::string();
  }
  bool is_null(int col) const { return sqlite3_column_type(s_, col) == SQLITE_NULL; }

 private:
  sqlite3_stmt* s_ = nullptr;
};

failure db_fail(sqlite3* db, std::string_view what) {
  std::string msg = std::string(what) + ": " + sqlite3_errmsg(db);
  spdlog::error("kiosk db: {}", msg);
  return fail(errc::storage_error, std::move(msg));
}

bool exec(sqlite3* db, const char* sql) {
  return sqlite3_exec(db, sql, nullptr, nullptr, nullptr) == SQLITE_OK;
}

constexpr const char* k_schema_v1 = R"sql(
CREATE TABLE IF NOT EXISTS settings(key TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS catalog(
  id INTEGER PRIMARY KEY CHECK (id = 1),
  business_id TEXT NOT NULL,
  version INTEGER NOT NULL,
  body TEXT NOT NULL,
  received_ms INTEGER NOT NULL);
CREATE TABLE IF NOT EXISTS outbox(
  seq INTEGER PRIMARY KEY AUTOINCREMENT,
  order_id TEXT NOT NULL UNIQUE,
  payload TEXT NOT NULL,
  status TEXT NOT NULL DEFAULT 'pending' CHECK (status IN ('pending','done','failed')),
  attempts INTEGER NOT NULL DEFAULT 0,
  next_attempt_ms INTEGER NOT NULL,
  created_ms INTEGER NOT NULL,
  answered_ms INTEGER,
  answer_type TEXT NOT NULL DEFAULT '',
  answer TEXT NOT NULL DEFAULT '',
  number TEXT NOT NULL DEFAULT '',
  state TEXT NOT NULL DEFAULT 'queued');
CREATE INDEX IF NOT EXISTS outbox_pending ON outbox(status, seq);
PRAGMA user_version = 1;
)sql";

constexpr const char* k_entry_cols =
    "seq, order_id, payload, status, attempts, next_attempt_ms, created_ms, answer_type, answer, "
    "number, state";

outbox_entry read_entry(const stmt& s) {
  outbox_entry e;
  e.seq = s.i64(0);
  e.order_id = s.text(1);
  e.payload = s.text(2);
  e.status = status_from(s.text(3));
  e.attempts = static_cast<int>(s.i64(4));
  e.next_attempt_ms = s.i64(5);
  e.created_ms = s.i64(6);
  e.answer_type = s.text(7);
  e.answer = s.text(8);
  e.number = s.text(9);
  e.state = s.text(10);
  return e;
}

}  // namespace

store::store(sqlite3* db) noexcept : db_(db) {}
store::~store() {
  sqlite3_close_v2(db_);
}

outcome<std::unique_ptr<store>> store::open(const std::filesystem::path& file) {
  sqlite3* db = nullptr;
  const int rc = sqlite3_open_v2(
      file.c_str(), &db, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE | SQLITE_OPEN_NOMUTEX, nullptr);
  if (rc != SQLITE_OK) {
    std::string msg =
        "cannot open " + file.string() + ": " + (db ? sqlite3_errmsg(db) : sqlite3_errstr(rc));
    sqlite3_close_v2(db);
    return fail(errc::storage_error, std::move(msg));
  }
  std::unique_ptr<store> s(new store(db));
  sqlite3_busy_timeout(db, 5000);
  // FULL: an order acknowledged as "queued" survives a power cut too; a kiosk writes few rows.
  if (!exec(db, "PRAGMA journal_mode=WAL") || !exec(db, "PRAGMA synchronous=FULL")) {
    return db_fail(db, "cannot configure " + file.string());
  }
  int user_version = -1;
  {
    stmt q(db, "PRAGMA user_version");
    if (q.step() == SQLITE_ROW) user_version = static_cast<int>(q.i64(0));
  }
  if (user_version < 0) return db_fail(db, "cannot read schema version of " + file.string());
  if (user_version > 1) {
    return fail(errc::storage_error, file.string() + " has schema version " +
                                         std::to_string(user_version) +
                                         ", newer than this firmware knows (1)");
  }
  if (user_version < 1) {
    if (!exec(db, "BEGIN IMMEDIATE")) return db_fail(db, "cannot migrate " + file.string());
    if (!exec(db, k_schema_v1) || !exec(db, "COMMIT")) {
      auto f = db_fail(db, "cannot migrate " + file.string());
      exec(db, "ROLLBACK");
      return f;
    }
  }
  return s;
}

std::optional<std::string> store::setting(std::string_view key) {
  stmt q(db_, "SELECT value FROM settings WHERE key = ?");
  q.bind(1, key);
  if (q.step() == SQLITE_ROW) return q.text(0);
  return std::nullopt;
}

outcome<bool> store::set_setting(std::string_view key, std::string_view value) {
  stmt q(db_,
         "INSERT INTO settings(key, value) VALUES(?, ?) ON CONFLICT(key) DO UPDATE SET value = "
         "excluded.value");
  q.bind(1, key).bind(2, value);
  if (q.step() != SQLITE_DONE) return db_fail(db_, "cannot store setting");
  return true;
}

outcome<catalog_saved> store::save_catalog(const protocol::catalog& c, std::int64_t now_ms) {
  // One statement decides and writes, so "newest wins" holds even with a second writer.
  stmt q(
      db_,
      "INSERT INTO catalog(id, business_id, version, body, received_ms) VALUES(1, ?1, ?2, ?3, ?4) "
      "ON CONFLICT(id) DO UPDATE SET business_id = excluded.business_id, version = "
      "excluded.version, "
      "body = excluded.body, received_ms = excluded.received_ms "
      "WHERE catalog.business_id <> excluded.business_id OR excluded.version > catalog.version");
  const auto body = protocol::to_json(c).dump();
  q.bind(1, c.business_id).bind(2, c.version).bind(3, body).bind(4, now_ms);
  if (q.step() != SQLITE_DONE) return db_fail(db_, "cannot store catalog");
  return sqlite3_changes(db_) > 0 ? catalog_saved::stored : catalog_saved::not_newer;
}

std::optional<protocol::catalog> store::load_catalog() {
  stmt q(db_, "SELECT body FROM catalog WHERE id = 1");
  if (q.step() != SQLITE_ROW) return std::nullopt;
  auto j = nlohmann::json::parse(q.text(0), nullptr, false);
  if (j.is_discarded()) {
    spdlog::warn("kiosk db: cached catalog is not JSON; ignoring it");
    return std::nullopt;
  }
  auto c = protocol::decode_catalog(j);
  if (!c) {
    spdlog::warn("kiosk db: cached catalog does not decode ({}); ignoring it", c.error().message);
    return std::nullopt;
  }
  return std::move(c).value();
}

outcome<outbox_entry> store::add_order(std::string_view order_id, std::string_view payload,
                                       std::int64_t now_ms, std::size_t max_pending) {
  if (!exec(db_, "BEGIN IMMEDIATE")) return db_fail(db_, "cannot begin outbox transaction");
  auto rollback = [&](failure f) {
    exec(db_, "ROLLBACK");
    return f;
  };
  {
    stmt c(db_, "SELECT count(*) FROM outbox WHERE status = 'pending'");
    if (c.step() != SQLITE_ROW) return rollback(db_fail(db_, "cannot count outbox"));
    if (static_cast<std::size_t>(c.i64(0)) >= max_pending) {
      return rollback(fail(
          errc::outbox_full,
          std::to_string(c.i64(0)) + " orders are still waiting for the hub; try again later"));
    }
  }
  stmt q(db_,
         "INSERT INTO outbox(order_id, payload, next_attempt_ms, created_ms) VALUES(?, ?, ?, ?)");
  q.bind(1, order_id).bind(2, payload).bind(3, now_ms).bind(4, now_ms);
  if (q.step() != SQLITE_DONE) return rollback(db_fail(db_, "cannot write outbox entry"));
  const auto seq = sqlite3_last_insert_rowid(db_);
  if (!exec(db_, "COMMIT")) return rollback(db_fail(db_, "cannot commit outbox entry"));
  outbox_entry e;
  e.seq = seq;
  e.order_id = std::string(order_id);
  e.payload = std::string(payload);
  e.next_attempt_ms = now_ms;
  e.created_ms = now_ms;
  e.state = std::string(state_queued);
  return e;
}

std::vector<outbox_entry> store::pending() {
  std::vector<outbox_entry> out;
  stmt q(db_, (std::string("SELECT ") + k_entry_cols +
               " FROM outbox WHERE status = 'pending' ORDER BY seq")
                  .c_str());
  while (q.step() == SQLITE_ROW) out.push_back(read_entry(q));
  return out;
}

std::size_t store::pending_count() {
  stmt q(db_, "SELECT count(*) FROM outbox WHERE status = 'pending'");
  return q.step() == SQLITE_ROW ? static_cast<std::size_t>(q.i64(0)) : 0;
}

std::optional<outbox_entry> store::find(std::string_view order_id) {
  stmt q(db_, (std::string("SELECT ") + k_entry_cols + " FROM outbox WHERE order_id = ?").c_str());
  q.bind(1, order_id);
  if (q.step() == SQLITE_ROW) return read_entry(q);
  return std::nullopt;
}

std::vector<outbox_entry> store::recent(std::size_t limit) {
  std::vector<outbox_entry> out;
  stmt q(
      db_,
      (std::string("SELECT ") + k_entry_cols + " FROM outbox ORDER BY seq DESC LIMIT ?").c_str());
  q.bind(1, static_cast<std::int64_t>(limit));
  while (q.step() == SQLITE_ROW) out.push_back(read_entry(q));
  return out;
}

outcome<bool> store::record_attempt(std::string_view order_id, int attempts,
                                    std::int64_t next_attempt_ms) {
  stmt q(db_,
         "UPDATE outbox SET attempts = ?, next_attempt_ms = ? WHERE order_id = ? AND status = "
         "'pending'");
  q.bind(1, static_cast<std::int64_t>(attempts)).bind(2, next_attempt_ms).bind(3, order_id);
  if (q.step() != SQLITE_DONE) return db_fail(db_, "cannot record send attempt");
  return sqlite3_changes(db_) > 0;
}

outcome<bool> store::complete(std::string_view order_id, outbox_status status,
                              std::string_view answer_type, std::string_view answer,
                              std::string_view number, std::string_view state,
                              std::int64_t now_ms) {
  stmt q(db_,
         "UPDATE outbox SET status = ?1, answer_type = ?2, answer = ?3, answered_ms = ?4, "
         "number = CASE WHEN ?5 <> '' THEN ?5 ELSE number END, "
         "state = CASE WHEN state = 'queued' THEN ?6 ELSE state END "
         "WHERE order_id = ?7 AND status = 'pending'");
  q.bind(1, to_string(status))
      .bind(2, answer_type)
      .bind(3, answer)
      .bind(4, now_ms)
      .bind(5, number)
      .bind(6, state);
  q.bind(7, order_id);
  if (q.step() != SQLITE_DONE) return db_fail(db_, "cannot store answer");
  return sqlite3_changes(db_) > 0;
}

outcome<bool> store::update_tracking(std::string_view order_id, std::string_view number,
                                     std::string_view state) {
  stmt q(db_,
         "UPDATE outbox SET number = CASE WHEN ?1 <> '' THEN ?1 ELSE number END, state = ?2 WHERE "
         "order_id = ?3");
  q.bind(1, number).bind(2, state).bind(3, order_id);
  if (q.step() != SQLITE_DONE) return db_fail(db_, "cannot update order state");
  return sqlite3_changes(db_) > 0;
}

}  // namespace kh::kiosk
