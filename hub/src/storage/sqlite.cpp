#include "kh/hub/storage/sqlite.hpp"

#include <sqlite3.h>

#include <algorithm>
#include <atomic>
#include <condition_variable>
#include <cstring>
#include <cstdlib>
#include <deque>
#include <mutex>
#include <thread>

namespace kh::hub::sqlite {

namespace {
// Twice the checkpointer's wake point (k_wake_frames): reached only when it could not restart the
// WAL (no gap between the writer's transactions); by then PASSIVE has copied most frames.
constexpr int k_backstop_frames = 8192;  // 32 MiB of 4 KiB pages

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

std::atomic<std::uint64_t> g_wal_syncs{0};
std::atomic<std::uint64_t> g_wal_sync_ns{0};

// A WAL sync is the durable part of a commit with synchronous=FULL (and of a checkpoint): timed,
// so the hub can show what its commits wait for the disk.
int wal_xSync(sqlite3_file* f, int flags) {
  auto* w = as_wal(f);
  if (const int rc = wal_flush(w); rc != SQLITE_OK) return rc;
  const auto t0 = std::chrono::steady_clock::now();
  const int rc = w->real->pMethods->xSync(w->real, flags);
  const auto ns = std::chrono::duration_cast<std::chrono::nanoseconds>(std::chrono::steady_clock::now() - t0).count();
  g_wal_syncs.fetch_add(1, std::memory_order_relaxed);
  g_wal_sync_ns.fetch_add(static_cast<std::uint64_t>(ns), std::memory_order_relaxed);
  return rc;
}

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

// The VFS a batching VFS wraps (each batching VFS keeps its base in pAppData).
sqlite3_vfs* base_of(sqlite3_vfs* v) { return static_cast<sqlite3_vfs*>(v->pAppData); }

int batch_open(sqlite3_vfs* vfs, sqlite3_filename name, sqlite3_file* f, int flags, int* out_flags) {
  sqlite3_vfs* base = base_of(vfs);
  if (!(flags & SQLITE_OPEN_WAL)) return base->xOpen(base, name, f, flags, out_flags);
  auto* w = as_wal(f);
  auto* real = reinterpret_cast<sqlite3_file*>(reinterpret_cast<char*>(f) + k_wal_file_size);
  std::memset(w, 0, sizeof(wal_file));
  const int rc = base->xOpen(base, name, real, flags, out_flags);
  if (rc != SQLITE_OK) return rc;  // pMethods stays null: SQLite will not call xClose
  // The WAL methods above forward to iVersion 3 methods; the unix VFS has them. Otherwise
  // (another default VFS) use the real file as it is.
  if (!real->pMethods || real->pMethods->iVersion < 3) {
    if (real->pMethods) real->pMethods->xClose(real);
    return base->xOpen(base, name, f, flags, out_flags);
  }
  w->real = real;
  w->base.pMethods = &k_wal_methods;
  return SQLITE_OK;
}

constexpr const char* k_batch_vfs_name = "kh-wal-batch";
std::mutex g_vfs_mu;

// One batching VFS per base VFS: "kh-wal-batch" over SQLite's default, "kh-wal-batch+NAME" over
// the VFS NAME (tests put a recording VFS under it). Registered once, never freed.
std::deque<sqlite3_vfs> g_batch_vfs;  // guarded by g_vfs_mu; element addresses are stable
std::deque<std::string> g_batch_names;

sqlite3_vfs* make_batch_vfs(sqlite3_vfs* base, std::string name) {
  auto* v = &g_batch_vfs.emplace_back(*base);
  v->pNext = nullptr;
  v->zName = g_batch_names.emplace_back(std::move(name)).c_str();
  v->szOsFile = static_cast<int>(k_wal_file_size) + base->szOsFile;
  v->xOpen = batch_open;
  v->pAppData = base;
  v->xDelete = [](sqlite3_vfs* s, const char* n, int sync) { return base_of(s)->xDelete(base_of(s), n, sync); };
  v->xAccess = [](sqlite3_vfs* s, const char* n, int fl, int* out) {
    return base_of(s)->xAccess(base_of(s), n, fl, out);
  };
  v->xFullPathname = [](sqlite3_vfs* s, const char* n, int sz, char* out) {
    return base_of(s)->xFullPathname(base_of(s), n, sz, out);
  };
  v->xDlOpen = [](sqlite3_vfs* s, const char* n) { return base_of(s)->xDlOpen(base_of(s), n); };
  v->xDlError = [](sqlite3_vfs* s, int n, char* out) { base_of(s)->xDlError(base_of(s), n, out); };
  v->xDlSym = [](sqlite3_vfs* s, void* h, const char* sym) { return base_of(s)->xDlSym(base_of(s), h, sym); };
  v->xDlClose = [](sqlite3_vfs* s, void* h) { base_of(s)->xDlClose(base_of(s), h); };
  v->xRandomness = [](sqlite3_vfs* s, int n, char* out) { return base_of(s)->xRandomness(base_of(s), n, out); };
  v->xSleep = [](sqlite3_vfs* s, int us) { return base_of(s)->xSleep(base_of(s), us); };
  v->xCurrentTime = [](sqlite3_vfs* s, double* t) { return base_of(s)->xCurrentTime(base_of(s), t); };
  v->xGetLastError = [](sqlite3_vfs* s, int n, char* out) { return base_of(s)->xGetLastError(base_of(s), n, out); };
  v->xCurrentTimeInt64 = base->iVersion >= 2 && base->xCurrentTimeInt64
                             ? +[](sqlite3_vfs* s, sqlite3_int64* t) {
                                 return base_of(s)->xCurrentTimeInt64(base_of(s), t);
                               }
                             : nullptr;
  v->xSetSystemCall = nullptr;
  v->xGetSystemCall = nullptr;
  v->xNextSystemCall = nullptr;
  v->iVersion = 2;
  if (sqlite3_vfs_register(v, 0) != SQLITE_OK) return nullptr;
  return v;
}

sqlite3_vfs* g_default_batch = nullptr;

// The batching VFS over `base_name` (empty: SQLite's default), or nullptr (then SQLite's own).
const char* writer_vfs(const std::string& base_name) {
  std::lock_guard lk(g_vfs_mu);
  if (base_name.empty()) {
    if (!g_default_batch) {
      if (auto* base = sqlite3_vfs_find(nullptr)) g_default_batch = make_batch_vfs(base, k_batch_vfs_name);
    }
    return g_default_batch ? g_default_batch->zName : nullptr;
  }
  const std::string name = std::string(k_batch_vfs_name) + "+" + base_name;
  if (auto* v = sqlite3_vfs_find(name.c_str())) return v->zName;
  auto* base = sqlite3_vfs_find(base_name.c_str());
  if (!base) return nullptr;
  auto* v = make_batch_vfs(base, name);
  return v ? v->zName : nullptr;
}

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

wal_sync_stats wal_syncs() noexcept {
  return {g_wal_syncs.load(std::memory_order_relaxed), g_wal_sync_ns.load(std::memory_order_relaxed)};
}

connection::connection(const std::string& path, open_options opts)
    : path_(path), busy_timeout_(opts.busy_timeout) {
  configure_library_once();
  const int flags = (opts.read_only ? SQLITE_OPEN_READONLY : SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE) |
                    SQLITE_OPEN_NOMUTEX;  // one thread per connection: skip SQLite's own mutexes
  if (!opts.vfs.empty() && !sqlite3_vfs_find(opts.vfs.c_str())) {
    throw error(SQLITE_ERROR, "cannot open database " + path + ": no SQLite VFS named " + opts.vfs);
  }
  const char* vfs = opts.read_only ? (opts.vfs.empty() ? nullptr : opts.vfs.c_str()) : writer_vfs(opts.vfs);
  const int rc = sqlite3_open_v2(path.c_str(), &db_, flags, vfs);
  if (rc != SQLITE_OK) {
    std::string msg = "cannot open database " + path + ": " +
                      (db_ ? sqlite3_errmsg(db_) : sqlite3_errstr(rc));
    sqlite3_close(db_);
    db_ = nullptr;
    throw error(rc, msg);
  }
  sqlite3_extended_result_codes(db_, 1);
  sqlite3_busy_handler(db_, &connection::on_busy, this);
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
      // With a background checkpointer the writer only checkpoints as a backstop (32 MiB of WAL,
      // see on_wal_commit); otherwise SQLite's default (every 1000 pages, on the committing thread).
      if (opts.background_checkpoint) {
        sqlite3_wal_hook(db_, &connection::on_wal_commit, this);
      } else {
        exec("PRAGMA wal_autocheckpoint=1000");
      }
    }
  } catch (...) {
    sqlite3_close(db_);
    db_ = nullptr;
    throw;
  }
}

// Waits for a lock for up to busy_timeout_, as sqlite3_busy_timeout would, but in short steps
// first: what usually holds the lock is the checkpointer's RESTART step (a few hundred pages and
// two fsyncs, 1–4 ms measured), and SQLite's own handler sleeps 1, 2, 5, 10, … ms, overshooting.
int connection::on_busy(void* self, int count) noexcept {
  auto* c = static_cast<connection*>(self);
  const auto now = std::chrono::steady_clock::now();
  if (count == 0) c->busy_since_ = now;
  if (now - c->busy_since_ >= c->busy_timeout_) return 0;
  const auto step = std::chrono::microseconds(count < 40 ? std::min(200, 25 << std::min(count, 3)) : 1000);
  std::this_thread::sleep_for(step);
  return 1;
}

int connection::on_wal_commit(void* self, sqlite3* db, const char* name, int frames) noexcept {
  auto* c = static_cast<connection*>(self);
  // What wal_autocheckpoint would do (this hook replaces it), at a backstop past where the
  // checkpointer restarts the WAL: only if that fails does the writer copy frames itself. PASSIVE
  // never waits: while the checkpointer holds the checkpoint lock this returns BUSY at once.
  if (c->wal_listener_) {
    c->wal_listener_->wal_committed(db, name, frames);
  } else if (frames >= k_backstop_frames) {
    sqlite3_wal_checkpoint_v2(db, name, SQLITE_CHECKPOINT_PASSIVE, nullptr, nullptr);
  }
  return SQLITE_OK;
}

connection::~connection() {
  for (auto& [sql, s] : cache_) sqlite3_finalize(s.stmt);
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
    it = cache_.emplace(std::string(sql), cached{s, false}).first;
  } else if (it->second.in_use) {
    // The cached statement belongs to a handle that is still alive (it may be stepping):
    // binding or resetting it here would break that handle ("bad parameter or other API
    // misuse"). This handle gets its own statement.
    sqlite3_stmt* s = nullptr;
    const int rc = sqlite3_prepare_v3(db_, sql.data(), static_cast<int>(sql.size()), 0, &s, nullptr);
    if (rc != SQLITE_OK) fail(db_, rc, "prepare failed for: " + std::string(sql.substr(0, 120)));
    return statement(*this, s, nullptr);
  }
  it->second.in_use = true;
  return statement(*this, it->second.stmt, &it->second.in_use);
}

std::int64_t connection::last_insert_rowid() const noexcept { return sqlite3_last_insert_rowid(db_); }
int connection::changes() const noexcept { return sqlite3_changes(db_); }
bool connection::in_transaction() const noexcept { return sqlite3_get_autocommit(db_) == 0; }

statement::~statement() {
  if (!stmt_) return;
  if (!in_use_) {
    sqlite3_finalize(stmt_);
    return;
  }
  sqlite3_reset(stmt_);
  sqlite3_clear_bindings(stmt_);
  *in_use_ = false;
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

statement& statement::bind_blob(int i, std::string_view bytes) {
  const int rc = sqlite3_bind_blob64(stmt_, i, bytes.data(), bytes.size(), SQLITE_TRANSIENT);
  if (rc != SQLITE_OK) fail(conn_->handle(), rc, "bind");
  return *this;
}

std::string statement::blob(int col) const {
  const auto* p = sqlite3_column_blob(stmt_, col);
  if (!p) return {};
  return std::string(static_cast<const char*>(p), static_cast<std::size_t>(sqlite3_column_bytes(stmt_, col)));
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

namespace {
// A PASSIVE round runs again while the one before saw more than this many new frames (committed
// while it copied); the RESTART step then copies only about that many under the write lock
// (256 frames: about 1 MiB, well under a millisecond of copying).
constexpr int k_small_backlog = 256;
constexpr int k_max_passive_rounds = 8;
// The writer wakes the checkpointer when the WAL holds this many frames (16 MiB of 4 KiB pages),
// so the WAL restarts at about this size however fast orders come; a quiet hub is checkpointed every
// interval. Each restart costs the writer one small fsync (the new WAL header), so not much less.
constexpr int k_wake_frames = 4096;
// How long the RESTART step waits for a moment between two of the writer's transactions (and
// then for readers to leave the WAL) before it gives up until the next pass.
constexpr auto k_restart_wait = std::chrono::milliseconds(2);

struct restart_wait {
  std::chrono::steady_clock::time_point since;
};

// The writer takes its lock again right after each commit: retry often, for a short while.
int on_checkpointer_busy(void* arg, int count) noexcept {
  auto* w = static_cast<restart_wait*>(arg);
  const auto now = std::chrono::steady_clock::now();
  if (count == 0) w->since = now;
  if (now - w->since >= k_restart_wait) return 0;
  std::this_thread::sleep_for(std::chrono::microseconds(20));
  return 1;
}

checkpoint_result checkpoint(sqlite3* db, int mode) {
  checkpoint_result r;
  r.rc = sqlite3_wal_checkpoint_v2(db, nullptr, mode, &r.wal_frames, &r.backfilled);
  return r;
}

checkpoint_result checkpoint_pass(sqlite3* db) {
  auto r = checkpoint(db, SQLITE_CHECKPOINT_PASSIVE);
  if (r.rc == SQLITE_OK && r.wal_frames < 0) {
    // SQLite (3.40) opens a connection's WAL only when it first reads the database; until then a
    // checkpoint is a silent no-op (SQLITE_OK, -1 frames). Read once, then checkpoint.
    sqlite3_exec(db, "PRAGMA schema_version", nullptr, nullptr, nullptr);
    r = checkpoint(db, SQLITE_CHECKPOINT_PASSIVE);
  }
  // A round copies the frames that were there when it started; what the writer committed
  // meanwhile shows up in the next round's count.
  // Past the writer's backstop the writer copies the rest itself at its next commit, which it
  // cannot while this holds the checkpoint lock: stop then.
  bool copied = r.rc == SQLITE_OK && r.backfilled > 0;
  for (int i = 1; i < k_max_passive_rounds && r.rc == SQLITE_OK && r.wal_frames < k_backstop_frames; ++i) {
    const auto next = checkpoint(db, SQLITE_CHECKPOINT_PASSIVE);
    const bool caught_up = next.rc == SQLITE_OK && next.wal_frames - r.wal_frames <= k_small_backlog;
    r = next;
    copied = copied || (r.rc == SQLITE_OK && r.backfilled > 0);
    if (caught_up) break;
  }
  r.copied = copied;
  // Errors (SQLITE_BUSY while another checkpoint runs) are harmless: the next pass tries again.
  if (r.rc != SQLITE_OK || r.wal_frames <= 0) return r;
  // Under steady writes a PASSIVE round never ends with every frame copied: the writer commits
  // while it copies, so its next transaction keeps appending and the WAL only grows, up to the
  // writer's own backstop checkpoint on the order path. RESTART copies the last frames with the
  // write lock held and waits out readers of old frames, so the writer's next commit starts the
  // WAL over from its beginning.
  r = checkpoint(db, SQLITE_CHECKPOINT_RESTART);
  r.restarted = r.rc == SQLITE_OK;
  r.copied = copied || (r.restarted && r.backfilled > 0);
  return r;
}
}  // namespace

struct checkpointer::state {
  std::mutex mu;  // guards stop and the wait; held only briefly (wal_committed is on the order path)
  std::condition_variable cv;
  bool stop = false;
  std::atomic<bool> woken{false};
  std::mutex db_mu;  // guards db: a pass, on the thread or in checkpoint_now()
  sqlite3* db = nullptr;
  restart_wait wait;
  std::atomic<std::uint64_t> restarts{0};
  std::atomic<std::uint64_t> copying{0};
  std::thread worker;

  checkpoint_result pass() {  // with db_mu held
    auto r = checkpoint_pass(db);
    if (r.restarted) restarts.fetch_add(1, std::memory_order_relaxed);
    if (r.copied) copying.fetch_add(1, std::memory_order_relaxed);
    return r;
  }
};

checkpointer::checkpointer(const std::string& path, std::chrono::milliseconds interval)
    : s_(std::make_unique<state>()) {
  sqlite3* db = nullptr;
  if (sqlite3_open_v2(path.c_str(), &db, SQLITE_OPEN_READWRITE | SQLITE_OPEN_NOMUTEX, nullptr) != SQLITE_OK) {
    std::string msg = std::string("checkpointer cannot open ") + path + ": " + sqlite3_errmsg(db);
    sqlite3_close(db);
    throw error(SQLITE_CANTOPEN, msg);
  }
  sqlite3_busy_handler(db, on_checkpointer_busy, &s_->wait);
  s_->db = db;
  s_->worker = std::thread([st = s_.get(), interval] {
    std::unique_lock lk(st->mu);
    // After a pass that found no gap between the writer's transactions (a saturated writer),
    // wake-ups are ignored until the next interval: the writer's own backstop (twice the wake
    // point) then copies the few frames PASSIVE left, which needs no gap, and finds the
    // checkpoint lock free because this thread is not in a pass.
    bool muted = false;
    while (true) {
      st->cv.wait_for(lk, interval, [st, &muted] { return st->stop || (!muted && st->woken.load()); });
      if (st->stop) break;
      lk.unlock();
      int rc = 0;
      {
        std::lock_guard db_lk(st->db_mu);
        rc = st->pass().rc;
      }
      lk.lock();
      muted = rc == SQLITE_BUSY;
      // Cleared after the pass: commits during it that woke it again are served by this pass
      // (a restarted WAL starts over at the writer's next commit). Left set while muted, so the
      // writer's commits skip the wake-up.
      if (!muted) st->woken.store(false);
    }
  });
}

checkpoint_result checkpointer::checkpoint_now() {
  std::lock_guard lk(s_->db_mu);
  return s_->pass();
}

void checkpointer::wal_committed(sqlite3* writer, const char* schema, int frames) noexcept {
  if (frames >= k_backstop_frames) {
    // The thread could not restart the WAL (no gap between the writer's transactions). The
    // writer copies what PASSIVE left (little) between two of its own transactions, so its next
    // one starts the WAL over; it is not woken for this, and while it is in a pass (checkpoint
    // lock held, READ_LOCK(0) taken while it copies, which would make the writer's restart miss)
    // the writer skips this and tries again after its next commit.
    std::unique_lock lk(s_->db_mu, std::try_to_lock);
    if (lk) sqlite3_wal_checkpoint_v2(writer, schema, SQLITE_CHECKPOINT_PASSIVE, nullptr, nullptr);
    return;
  }
  // Once per pass at most: commits past the threshold while a pass runs find the flag set.
  if (frames < k_wake_frames || s_->woken.exchange(true)) return;
  {
    // Taking the mutex orders this with the thread's check of the flag, so the wake-up is not lost.
    std::lock_guard lk(s_->mu);
  }
  s_->cv.notify_one();
}

std::uint64_t checkpointer::restarts() const { return s_->restarts.load(std::memory_order_relaxed); }
std::uint64_t checkpointer::copying_passes() const { return s_->copying.load(std::memory_order_relaxed); }

checkpointer::~checkpointer() {
  {
    std::lock_guard lk(s_->mu);
    s_->stop = true;
  }
  s_->cv.notify_all();
  if (s_->worker.joinable()) s_->worker.join();
  sqlite3_close_v2(s_->db);
}

}  // namespace kh::hub::sqlite
