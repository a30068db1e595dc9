#pragma once
// A thin RAII layer over the SQLite C API: one connection, cached prepared statements, and
// write transactions that begin IMMEDIATE (take the write lock up front, so two writers never
// deadlock on a read-to-write upgrade).
//
// Error policy: SQLite failures here are unexpected (disk full, corruption, schema bug), so they
// throw `sqlite::error`. Callers at a boundary (order placement, message handlers) catch it and
// answer `internal`; expected outcomes (out of stock, …) never go through exceptions.

#include <chrono>
#include <cstdint>
#include <optional>
#include <stdexcept>
#include <string>
#include <string_view>
#include <functional>
#include <memory>
#include <unordered_map>

struct sqlite3;
struct sqlite3_stmt;

namespace kh::hub::sqlite {

class error : public std::runtime_error {
 public:
  error(int code, const std::string& what) : std::runtime_error(what), code_(code) {}
  int code() const noexcept { return code_; }

 private:
  int code_;
};

/// How much a commit waits for the disk.
enum class durability {
  /// WAL + synchronous=NORMAL: a commit survives any process crash (SIGKILL included) because
  /// the WAL frames are in the OS before COMMIT returns; an OS crash or power cut can lose every
  /// transaction committed since the WAL was last synced (at a checkpoint). The library's
  /// default (tests, tools that rebuild what they write); `kioskhub serve --sync normal`.
  normal,
  /// WAL + synchronous=FULL: every commit fsyncs the WAL before it returns, so a committed
  /// transaction survives power loss too. One fsync per commit: the hub groups orders into one
  /// commit (order_service::place_batch). `kioskhub serve`'s default.
  full,
};

struct open_options {
  durability sync = durability::normal;
  std::chrono::milliseconds busy_timeout{5000};  ///< default 5 s
  bool read_only = false;
  /// Someone else checkpoints the WAL (see `checkpointer`, `watch_wal`): the connection then
  /// checkpoints only as a backstop when the WAL passes 8,192 frames, 32 MiB (default: false,
  /// SQLite's 1000 pages).
  bool background_checkpoint = false;
  /// Name of a registered SQLite VFS the files go through (tests: the power-cut recorder); a
  /// writer still batches its WAL appends on top of it. Default empty: SQLite's default VFS.
  std::string vfs;
};

/// What one checkpointer pass found, in WAL frames as `sqlite3_wal_checkpoint_v2` counts them.
struct checkpoint_result {
  int rc = 0;              ///< SQLite result code of the pass (SQLITE_BUSY: try again next round)
  int wal_frames = -1;     ///< frames in the WAL when the pass ended (-1: no WAL)
  int backfilled = -1;     ///< of those, copied into the database file
  bool restarted = false;  ///< every frame copied and no reader left in the WAL: the writer's
                           ///< next commit starts the WAL over from its beginning
  bool copied = false;     ///< some round of the pass copied frames into the database file
};

/// Checkpoints a WAL database from its own connection on its own thread, so the copying and the
/// fsyncs of checkpointing stay off the order path, and keeps the WAL from growing under
/// sustained writes. Each pass:
///   1. PASSIVE (no lock the writer needs): copies the frames committed so far, and again while a
///      big backlog remains, so that little is left for step 2;
///   2. when the writer committed meanwhile, RESTART: takes the write lock only between two of
///      the writer's transactions (waits at most ~2 ms for that, else tries next round), copies
///      the last few frames and fsyncs. The writer's next commit then reuses the WAL from its
///      start. It runs every `interval`, and as soon as the writer's WAL passes 4,096 frames.
/// A writer that leaves no gap for step 2 restarts the WAL itself at 8,192 frames (see
/// `wal_committed`). Stops in the destructor.
class checkpointer {
 public:
  /// `interval`: time between passes (default 250 ms).
  explicit checkpointer(const std::string& path,
                        std::chrono::milliseconds interval = std::chrono::milliseconds(250));
  ~checkpointer();
  checkpointer(const checkpointer&) = delete;
  checkpointer& operator=(const checkpointer&) = delete;

  /// Called by the writer after each commit with the frames in the WAL (see
  /// `connection::watch_wal`): past 4,096 frames (16 MiB) it starts a pass now rather than at the
  /// end of the interval; past 8,192 (the thread could not restart the WAL) the writer
  /// checkpoints itself, unless a pass is running. Never waits for a pass.
  void wal_committed(sqlite3* writer, const char* schema, int frames) noexcept;
  /// Runs one pass now on the calling thread (the background thread waits meanwhile).
  checkpoint_result checkpoint_now();
  /// Passes that ended with `restarted` so far, by the thread or `checkpoint_now`.
  std::uint64_t restarts() const;
  /// Passes that copied frames into the database file (whether or not they restarted), so far.
  std::uint64_t copying_passes() const;

 private:
  struct state;
  std::unique_ptr<state> s_;
};

/// WAL syncs (fsync/fdatasync) made so far by this process's writer connections, and the time
/// they took: with synchronous=FULL one per commit, plus the checkpoints'.
struct wal_sync_stats {
  std::uint64_t syncs = 0;
  std::uint64_t nanos = 0;
};
wal_sync_stats wal_syncs() noexcept;

class statement;

/// One SQLite connection. Not thread-safe: owned by one thread (the hub's writer thread).
class connection {
 public:
  /// Opens (creating when needed) the database file with WAL, foreign keys on, busy_timeout.
  /// Throws `error` when the file cannot be opened.
  explicit connection(const std::string& path, open_options opts = {});
  ~connection();
  connection(const connection&) = delete;
  connection& operator=(const connection&) = delete;

  /// Runs one or more statements without results.
  void exec(std::string_view sql);

  /// A prepared statement cached for the connection's lifetime, keyed by the SQL text. The
  /// returned handle resets the statement when it goes out of scope. While the cached one is
  /// still in use (an open handle of the same SQL, e.g. a helper called inside a row loop), a
  /// fresh statement is prepared for this handle alone and finalised with it.
  statement prepare(std::string_view sql);

  /// Tells `cp` the WAL's size after each commit (`background_checkpoint` connections only;
  /// nullptr stops it). `cp` must outlive the connection or be unset first.
  void watch_wal(checkpointer* cp) noexcept { wal_listener_ = cp; }

  std::int64_t last_insert_rowid() const noexcept;
  int changes() const noexcept;
  bool in_transaction() const noexcept;
  const std::string& path() const noexcept { return path_; }
  sqlite3* handle() const noexcept { return db_; }

 private:
  sqlite3* db_ = nullptr;
  std::string path_;
  std::chrono::milliseconds busy_timeout_;
  std::chrono::steady_clock::time_point busy_since_{};
  checkpointer* wal_listener_ = nullptr;
  static int on_busy(void* self, int count) noexcept;
  static int on_wal_commit(void* self, sqlite3* db, const char* name, int frames) noexcept;
  // Heterogeneous lookup: finding a cached statement by string_view allocates nothing. The hash
  // reads the length and the text's two ends only (where statements differ: the table, the
  // WHERE clause), not all of a 400-character INSERT on every prepare; equal hashes still
  // compare the whole text, so a collision costs a comparison, never a wrong statement.
  struct sv_hash {
    using is_transparent = void;
    std::size_t operator()(std::string_view s) const noexcept {
      constexpr std::size_t k_end = 48;
      if (s.size() <= 2 * k_end) return std::hash<std::string_view>{}(s);
      const std::size_t h = std::hash<std::string_view>{}(s.substr(0, k_end));
      return h ^ (std::hash<std::string_view>{}(s.substr(s.size() - k_end)) + 0x9e3779b97f4a7c15ULL + (h << 6) +
                  (h >> 2) + s.size());
    }
  };
  struct cached {
    sqlite3_stmt* stmt = nullptr;
    bool in_use = false;  ///< a statement handle holds it now
  };
  std::unordered_map<std::string, cached, sv_hash, std::equal_to<>> cache_;
};

/// A borrowed, cached prepared statement. Bind with 1-based indices, then step().
class statement {
 public:
  /// `in_use`: the cache entry's flag, cleared when this handle ends; nullptr for a statement
  /// of this handle alone (finalised when it ends).
  statement(connection& c, sqlite3_stmt* s, bool* in_use) noexcept : conn_(&c), stmt_(s), in_use_(in_use) {}
  ~statement();
  statement(statement&& o) noexcept : conn_(o.conn_), stmt_(o.stmt_), in_use_(o.in_use_) { o.stmt_ = nullptr; }
  statement(const statement&) = delete;
  statement& operator=(const statement&) = delete;
  statement& operator=(statement&&) = delete;

  statement& bind(int i, std::int64_t v);
  statement& bind(int i, int v) { return bind(i, static_cast<std::int64_t>(v)); }
  statement& bind(int i, bool v) { return bind(i, static_cast<std::int64_t>(v ? 1 : 0)); }
  statement& bind(int i, std::string_view v);
  statement& bind(int i, const char* v) { return bind(i, std::string_view(v)); }
  statement& bind(int i, const std::string& v) { return bind(i, std::string_view(v)); }
  statement& bind(int i, std::nullopt_t);
  /// Binds bytes as a BLOB (images).
  statement& bind_blob(int i, std::string_view bytes);
  statement& bind(int i, const std::optional<std::int64_t>& v) {
    return v ? bind(i, *v) : bind(i, std::nullopt);
  }

  /// True when a row is available; false when done. Throws on error.
  bool step();
  /// Steps to completion (for INSERT/UPDATE/DELETE); returns sqlite3_changes().
  int run();

  bool is_null(int col) const noexcept;
  std::int64_t int64(int col) const noexcept;
  int int32(int col) const noexcept { return static_cast<int>(int64(col)); }
  std::string text(int col) const;
  /// The column's bytes (a BLOB, or any value as bytes).
  std::string blob(int col) const;
  std::optional<std::int64_t> opt_int64(int col) const noexcept;

 private:
  connection* conn_;
  sqlite3_stmt* stmt_;
  bool* in_use_ = nullptr;
};

/// BEGIN IMMEDIATE … COMMIT; rolls back in the destructor unless committed.
class transaction {
 public:
  explicit transaction(connection& c);
  ~transaction();
  transaction(const transaction&) = delete;
  transaction& operator=(const transaction&) = delete;
  void commit();
  void rollback() noexcept;
  bool active() const noexcept { return active_; }

 private:
  connection& c_;
  bool active_ = false;
};

}  // namespace kh::hub::sqlite
