#include "kh/hub/sqlite.hpp"

#include <sqlite3.h>

#include <algorithm>
#include <condition_variable>
#include <cstring>
#include <cstdlib>
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

// ---- WAL write batching ---------------------------------------------------------------------
//
// SQLite appends every WAL frame with two write() calls (24-byte frame header, then the page), so
// an order commit touching ten pages costs twenty system calls. This VFS wraps the default one
// and, for WAL files only, gathers consecutive appends in memory and hands them to the OS in one
// write when the page of the commit frame arrives (a frame header whose "database size" field is
// non-zero marks the commit). That write happens inside COMMIT, before SQLite publishes the new
// WAL index header, so:
//   - COMMIT still returns only after the frames are in the OS (durable against a process crash,
//     as before); a failed write fails the COMMIT as before;
//   - readers (other connections, other processes) never see a frame that is not in the file.
// Anything other than an append (read, sync, truncate, size, lock, file control, close, or a write
// elsewhere) first writes out what is buffered, so SQLite always sees the file it wrote. With
// synchronous=FULL the commit's xSync writes the buffer out before syncing.
namespace {

constexpr int k_wal_frame_header = 24;           // WAL_FRAME_HDRSIZE in SQLite's wal.c
constexpr std::size_t k_max_batch = 256 * 1024;  // bound the buffer for big transactions
constexpr std::size_t k_write_chunk = 64 * 1024;

sqlite3_vfs* g_base_vfs = nullptr;

struct wal_file {
  sqlite3_file base;  // pMethods = k_wal_methods
  sqlite3_file* real;
  char* buf;
  std::size_t len;
  std::size_t cap;
  sqlite3_int64 start;  // file offset of buf[0]
  bool commit_page_next;
};

constexpr std::size_t k_wal_file_size = (sizeof(wal_file) + 15) & ~std::size_t(15);

wal_file* as_wal(sqlite3_file* f) { return reinterpret_cast<wal_file*>(f); }

int wal_flush(wal_file* w) {
  int rc = SQLITE_OK;
  // The unix VFS writes at most 128 KiB per call (seekAndWriteFd masks the size): chunk.
  for (std::size_t done = 0; done < w->len && rc == SQLITE_OK; done += k_write_chunk) {
    const std::size_t n = std::min(k_write_chunk, w->len - done);
    rc = w->real->pMethods->xWrite(w->real, w->buf + done, static_cast<int>(n),
                                   w->start + static_cast<sqlite3_int64>(done));
  }
  w->len = 0;
  return rc;
}

int wal_close(sqlite3_file* f) {
  auto* w = as_wal(f);
  const int frc = wal_flush(w);
  const int rc = w->real->pMethods->xClose(w->real);
  sqlite3_free(w->buf);
  w->buf = nullptr;
  return frc != SQLITE_OK ? frc : rc;
}

int wal_read(sqlite3_file* f, void* out, int amt, sqlite3_int64 off) {
  auto* w = as_wal(f);
  if (const int rc = wal_flush(w); rc != SQLITE_OK) return rc;
  return w->real->pMethods->xRead(w->real, out, amt, off);
}

int wal_write(sqlite3_file* f, const void* data, int amt, sqlite3_int64 off) {
  auto* w = as_wal(f);
  if (w->len > 0 && off != w->start + static_cast<sqlite3_int64>(w->len)) {
    if (const int rc = wal_flush(w); rc != SQLITE_OK) return rc;
  }
  const auto n = static_cast<std::size_t>(amt);
  if (w->len + n > w->cap) {
    const std::size_t cap = std::max<std::size_t>(w->len + n, std::max<std::size_t>(2 * w->cap, 64 * 1024));
    auto* nb = static_cast<char*>(sqlite3_realloc64(w->buf, cap));
    if (!nb) {
      // No memory for the batch: write through.
      if (const int rc = wal_flush(w); rc != SQLITE_OK) return rc;
      return w->real->pMethods->xWrite(w->real, data, amt, off);
    }
    w->buf = nb;
    w->cap = cap;
  }
  if (w->len == 0) w->start = off;
  std::memcpy(w->buf + w->len, data, n);
  w->len += n;
  if (amt == k_wal_frame_header) {
    // Bytes 4..7 of a frame header: database size after the commit for a commit frame, else 0.
    const auto* h = static_cast<const unsigned char*>(data);
    w->commit_page_next = (h[4] | h[5] | h[6] | h[7]) != 0;
    return SQLITE_OK;
  }
  if (w->commit_page_next || w->len >= k_max_batch) {
    w->commit_page_next = false;
    return wal_flush(w);
  }
  return SQLITE_OK;
}

// Every other method writes the batch out first, then forwards.
#define KH_WAL_FORWARD(name, sig, args)                                  \
  int wal_##name sig {                                                  \
    auto* w = as_wal(f);                                                 \
    if (const int rc = wal_flush(w); rc != SQLITE_OK) return rc;         \
    return w->real->pMethods->name args;                                 \
  }
KH_WAL_FORWARD(xTruncate, (sqlite3_file * f, sqlite3_int64 size), (w->real, size))
KH_WAL_FORWARD(xSync, (sqlite3_file * f, int flags), (w->real, flags))
KH_WAL_FORWARD(xFileSize, (sqlite3_file * f, sqlite3_int64* size), (w->real, size))
KH_WAL_FORWARD(xLock, (sqlite3_file * f, int lock), (w->real, lock))
KH_WAL_FORWARD(xUnlock, (sqlite3_file * f, int lock), (w->real, lock))
KH_WAL_FORWARD(xCheckReservedLock, (sqlite3_file * f, int* out), (w->real, out))
KH_WAL_FORWARD(xFileControl, (sqlite3_file * f, int op, void* arg), (w->real, op, arg))
KH_WAL_FORWARD(xShmMap, (sqlite3_file * f, int pg, int sz, int extend, void volatile** pp),
               (w->real, pg, sz, extend, pp))
KH_WAL_FORWARD(xShmLock, (sqlite3_file * f, int offset, int n, int flags), (w->real, offset, n, flags))
KH_WAL_FORWARD(xShmUnmap, (sqlite3_file * f, int del), (w->real, del))
KH_WAL_FORWARD(xFetch, (sqlite3_file * f, sqlite3_int64 off, int amt, void** pp), (w->real, off, amt, pp))
KH_WAL_FORWARD(xUnfetch, (sqlite3_file * f, sqlite3_int64 off, void* p), (w->real, off, p))
#undef KH_WAL_FORWARD

int wal_sector_size(sqlite3_file* f) { return as_wal(f)->real->pMethods->xSectorSize(as_wal(f)->real); }
int wal_device_characteristics(sqlite3_file* f) {
  return as_wal(f)->real->pMethods->xDeviceCharacteristics(as_wal(f)->real);
}
void wal_shm_barrier(sqlite3_file* f) {
  auto* w = as_wal(f);
  wal_flush(w);  // never reached for a WAL file (shared memory belongs to the database file)
  w->real->pMethods->xShmBarrier(w->real);
}

const sqlite3_io_methods k_wal_methods = {
    3,           wal_close,        wal_read,         wal_write,
    wal_xTruncate, wal_xSync,      wal_xFileSize,    wal_xLock,
    wal_xUnlock, wal_xCheckReservedLock, wal_xFileControl, wal_sector_size,
    wal_device_characteristics, wal_xShmMap, wal_xShmLock, wal_shm_barrier,
    wal_xShmUnmap, wal_xFetch,     wal_xUnfetch,
};

int batch_open(sqlite3_vfs*, sqlite3_filename name, sqlite3_file* f, int flags, int* out_flags) {
  if (!(flags & SQLITE_OPEN_WAL)) return g_base_vfs->xOpen(g_base_vfs, name, f, flags, out_flags);
  auto* w = as_wal(f);
  auto* real = reinterpret_cast<sqlite3_file*>(reinterpret_cast<char*>(f) + k_wal_file_size);
  std::memset(w, 0, sizeof(wal_file));
  const int rc = g_base_vfs->xOpen(g_base_vfs, name, real, flags, out_flags);
  if (rc != SQLITE_OK) return rc;  // pMethods stays null: SQLite will not call xClose
  // The WAL methods above forward to iVersion 3 methods; the unix VFS has them. Otherwise
  // (another default VFS) use the real file as it is.
  if (!real->pMethods || real->pMethods->iVersion < 3) {
    if (real->pMethods) real->pMethods->xClose(real);
    return g_base_vfs->xOpen(g_base_vfs, name, f, flags, out_flags);
  }
  w->real = real;
  w->base.pMethods = &k_wal_methods;
  return SQLITE_OK;
}

sqlite3_vfs g_batch_vfs;
constexpr const char* k_batch_vfs_name = "kh-wal-batch";

void register_batch_vfs() {
  g_base_vfs = sqlite3_vfs_find(nullptr);
  if (!g_base_vfs) return;
  g_batch_vfs = *g_base_vfs;
  g_batch_vfs.pNext = nullptr;
  g_batch_vfs.zName = k_batch_vfs_name;
  g_batch_vfs.szOsFile = static_cast<int>(k_wal_file_size) + g_base_vfs->szOsFile;
  g_batch_vfs.xOpen = batch_open;
  // The other methods are the base VFS's own; give them the base VFS, not this copy.
  g_batch_vfs.pAppData = nullptr;
  g_batch_vfs.xDelete = [](sqlite3_vfs*, const char* n, int sync) { return g_base_vfs->xDelete(g_base_vfs, n, sync); };
  g_batch_vfs.xAccess = [](sqlite3_vfs*, const char* n, int fl, int* out) {
    return g_base_vfs->xAccess(g_base_vfs, n, fl, out);
  };
  g_batch_vfs.xFullPathname = [](sqlite3_vfs*, const char* n, int sz, char* out) {
    return g_base_vfs->xFullPathname(g_base_vfs, n, sz, out);
  };
  g_batch_vfs.xDlOpen = [](sqlite3_vfs*, const char* n) { return g_base_vfs->xDlOpen(g_base_vfs, n); };
  g_batch_vfs.xDlError = [](sqlite3_vfs*, int n, char* out) { g_base_vfs->xDlError(g_base_vfs, n, out); };
  g_batch_vfs.xDlSym = [](sqlite3_vfs*, void* h, const char* sym) { return g_base_vfs->xDlSym(g_base_vfs, h, sym); };
  g_batch_vfs.xDlClose = [](sqlite3_vfs*, void* h) { g_base_vfs->xDlClose(g_base_vfs, h); };
  g_batch_vfs.xRandomness = [](sqlite3_vfs*, int n, char* out) { return g_base_vfs->xRandomness(g_base_vfs, n, out); };
  g_batch_vfs.xSleep = [](sqlite3_vfs*, int us) { return g_base_vfs->xSleep(g_base_vfs, us); };
  g_batch_vfs.xCurrentTime = [](sqlite3_vfs*, double* t) { return g_base_vfs->xCurrentTime(g_base_vfs, t); };
  g_batch_vfs.xGetLastError = [](sqlite3_vfs*, int n, char* out) {
    return g_base_vfs->xGetLastError(g_base_vfs, n, out);
  };
  g_batch_vfs.xCurrentTimeInt64 = g_base_vfs->iVersion >= 2 && g_base_vfs->xCurrentTimeInt64
                                      ? +[](sqlite3_vfs*, sqlite3_int64* t) {
                                          return g_base_vfs->xCurrentTimeInt64(g_base_vfs, t);
                                        }
                                      : nullptr;
  g_batch_vfs.xSetSystemCall = nullptr;
  g_batch_vfs.xGetSystemCall = nullptr;
  g_batch_vfs.xNextSystemCall = nullptr;
  g_batch_vfs.iVersion = 2;
  if (sqlite3_vfs_register(&g_batch_vfs, 0) != SQLITE_OK) g_base_vfs = nullptr;
}

void configure_library_once() {
  static std::once_flag once;
  std::call_once(once, [] {
    // Memory statistics make every SQLite allocation take a global mutex; we never read them.
    // Must run before SQLite initialises; if someone else initialised it first this is a no-op
    // (SQLITE_MISUSE), which only costs speed.
    sqlite3_config(SQLITE_CONFIG_MEMSTATUS, 0);
    register_batch_vfs();
  });
}

const char* writer_vfs() { return g_base_vfs ? k_batch_vfs_name : nullptr; }
}  // namespace

connection::connection(const std::string& path, open_options opts) : path_(path) {
  configure_library_once();
  const int flags = (opts.read_only ? SQLITE_OPEN_READONLY : SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE) |
                    SQLITE_OPEN_NOMUTEX;  // one thread per connection: skip SQLite's own mutexes
  const int rc = sqlite3_open_v2(path.c_str(), &db_, flags, opts.read_only ? nullptr : writer_vfs());
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
