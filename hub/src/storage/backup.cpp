#include "kh/hub/storage/backup.hpp"

#include <filesystem>

#include <sqlite3.h>

namespace kh::hub {

std::string backup_database(const std::string& db_path, const std::string& out_path) {
  std::error_code ec;
  if (!std::filesystem::exists(db_path, ec)) return "no database at " + db_path;
  sqlite3* src = nullptr;
  sqlite3* dst = nullptr;
  std::string err;
  const std::string tmp = out_path + ".tmp";
  std::filesystem::remove(tmp, ec);
  if (sqlite3_open_v2(db_path.c_str(), &src, SQLITE_OPEN_READONLY, nullptr) != SQLITE_OK) {
    err = std::string("cannot open ") + db_path + ": " + sqlite3_errmsg(src);
  } else if (sqlite3_open_v2(tmp.c_str(), &dst, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE, nullptr) != SQLITE_OK) {
    err = std::string("cannot create ") + tmp + ": " + sqlite3_errmsg(dst);
  } else {
    sqlite3_busy_timeout(src, 5000);
    sqlite3_backup* b = sqlite3_backup_init(dst, "main", src, "main");
    if (!b) {
      err = std::string("backup failed: ") + sqlite3_errmsg(dst);
    } else {
      // Copy in steps so a busy writer is not blocked for the whole copy; a change by another
      // connection restarts the copy, which SQLite handles inside step().
      int rc = SQLITE_OK;
      for (int rounds = 0; rounds < 100000; ++rounds) {
        rc = sqlite3_backup_step(b, 256);
        if (rc == SQLITE_DONE) break;
        if (rc == SQLITE_OK) continue;
        if (rc == SQLITE_BUSY || rc == SQLITE_LOCKED) {
          sqlite3_sleep(10);
          continue;
        }
        break;
      }
      sqlite3_backup_finish(b);
      if (rc != SQLITE_DONE) err = std::string("backup failed: ") + sqlite3_errstr(rc);
    }
  }
  sqlite3_close(src);
  sqlite3_close(dst);
  if (err.empty()) {
    std::filesystem::rename(tmp, out_path, ec);
    if (ec) err = "cannot move backup into place: " + ec.message();
  }
  if (!err.empty()) std::filesystem::remove(tmp, ec);
  return err;
}

}  // namespace kh::hub
