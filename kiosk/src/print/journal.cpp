#include "kh/kiosk/print/journal.hpp"

#include <cctype>
#include <cstdio>

#include <spdlog/spdlog.h>
#include <sqlite3.h>

namespace kh::kiosk {

std::unique_ptr<print_journal> print_journal::open(const std::filesystem::path& file, std::error_code& ec) {
  ec.clear();
  std::unique_ptr<print_journal> j(new print_journal());
  if (sqlite3_open_v2(file.c_str(), &j->db_, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE | SQLITE_OPEN_FULLMUTEX,
                      nullptr) != SQLITE_OK) {
    ec = std::make_error_code(std::errc::io_error);
    return nullptr;
  }
  sqlite3_busy_timeout(j->db_, 5000);  // the link writes the same file from its own connection
  if (!j->exec("PRAGMA journal_mode=WAL") ||
      !j->exec("CREATE TABLE IF NOT EXISTS print_journal(order_id TEXT NOT NULL, doc TEXT NOT NULL,"
               " status TEXT NOT NULL, attempts INTEGER NOT NULL DEFAULT 0,"
               " updated TEXT NOT NULL DEFAULT (datetime('now')), PRIMARY KEY(order_id, doc))") ||
      !j->exec("UPDATE print_journal SET status='uncertain' WHERE status='printing'")) {
    ec = std::make_error_code(std::errc::io_error);
    return nullptr;
  }
  return j;
}

print_journal::~print_journal() {
  if (db_ != nullptr) sqlite3_close(db_);
}

bool print_journal::exec(const char* sql) {
  char* err = nullptr;
  if (sqlite3_exec(db_, sql, nullptr, nullptr, &err) != SQLITE_OK) {
    spdlog::error("print journal: {}: {}", sql, err ? err : "?");
    sqlite3_free(err);
    return false;
  }
  return true;
}

namespace {
struct stmt {
  sqlite3_stmt* s = nullptr;
  stmt(sqlite3* db, const char* sql) { sqlite3_prepare_v2(db, sql, -1, &s, nullptr); }
  ~stmt() { sqlite3_finalize(s); }
  stmt& bind(int i, const std::string& v) {
    sqlite3_bind_text(s, i, v.c_str(), static_cast<int>(v.size()), SQLITE_TRANSIENT);
    return *this;
  }
};
}  // namespace

std::string print_journal::status(const std::string& order_id, const std::string& doc) {
  stmt q(db_, "SELECT status FROM print_journal WHERE order_id=? AND doc=?");
  if (q.s == nullptr) return {};
  q.bind(1, order_id).bind(2, doc);
  if (sqlite3_step(q.s) != SQLITE_ROW) return {};
  return reinterpret_cast<const char*>(sqlite3_column_text(q.s, 0));
}

print_journal::claim print_journal::begin(const std::string& order_id, const std::string& doc) {
  if (!exec("BEGIN IMMEDIATE")) return claim::storage_error;
  const std::string st = status(order_id, doc);
  claim out = claim::print;
  if (st == "printed") out = claim::already_printed;
  else if (st == "uncertain" || st == "printing") out = claim::uncertain;
  if (out == claim::print) {
    stmt up(db_, "INSERT INTO print_journal(order_id, doc, status, attempts) VALUES(?, ?, 'printing', 1)"
                 " ON CONFLICT(order_id, doc) DO UPDATE SET status='printing', attempts=attempts+1,"
                 " updated=datetime('now')");
    up.bind(1, order_id).bind(2, doc);
    if (up.s == nullptr || sqlite3_step(up.s) != SQLITE_DONE) out = claim::storage_error;
  }
  // Committed before the printer sees a byte: a crash from here on leaves `printing`.
  if (!exec(out == claim::storage_error ? "ROLLBACK" : "COMMIT")) return claim::storage_error;
  return out;
}

void print_journal::finish(const std::string& order_id, const std::string& doc, bool printed) {
  stmt up(db_, "UPDATE print_journal SET status=?, updated=datetime('now') WHERE order_id=? AND doc=?");
  up.bind(1, printed ? "printed" : "failed").bind(2, order_id).bind(3, doc);
  if (up.s == nullptr || sqlite3_step(up.s) != SQLITE_DONE)
    spdlog::error("print journal: could not record {} {}", order_id, doc);
}

std::string local_prefix(const std::string& device_id) {
  std::string digits;
  for (auto it = device_id.rbegin(); it != device_id.rend() && std::isdigit(static_cast<unsigned char>(*it)); ++it)
    digits.insert(digits.begin(), *it);
  if (!digits.empty() && digits.size() <= 7) return "K" + digits;
  std::string out;
  for (char c : device_id)
    if (std::isalnum(static_cast<unsigned char>(c)) && out.size() < 8)
      out += static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
  return out.empty() ? "K" : out;
}

}  // namespace kh::kiosk
