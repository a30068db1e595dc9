#include "powercut_vfs.hpp"

#include <sqlite3.h>

#include <algorithm>
#include <cstring>
#include <new>

namespace kh::hub::test {

namespace {

sqlite3_vfs* g_base = nullptr;

struct rec_file {
  sqlite3_file base;  // pMethods = k_methods
  sqlite3_file* real;
  std::string* name;  // null: not recorded (temp files)
};

constexpr std::size_t k_rec_size = (sizeof(rec_file) + 15) & ~std::size_t(15);

rec_file* as_rec(sqlite3_file* f) { return reinterpret_cast<rec_file*>(f); }
sqlite3_file* real(sqlite3_file* f) { return as_rec(f)->real; }

void record(sqlite3_file* f, powercut_op::kind_t k, std::int64_t off, std::string data = {}) {
  if (const auto* n = as_rec(f)->name) powercut_vfs().add({k, *n, off, std::move(data)});
}

int x_close(sqlite3_file* f) {
  const int rc = real(f)->pMethods->xClose(real(f));
  delete as_rec(f)->name;
  as_rec(f)->name = nullptr;
  return rc;
}
int x_read(sqlite3_file* f, void* out, int n, sqlite3_int64 off) { return real(f)->pMethods->xRead(real(f), out, n, off); }
int x_write(sqlite3_file* f, const void* d, int n, sqlite3_int64 off) {
  const int rc = real(f)->pMethods->xWrite(real(f), d, n, off);
  if (rc == SQLITE_OK) record(f, powercut_op::write, off, std::string(static_cast<const char*>(d), static_cast<std::size_t>(n)));
  return rc;
}
int x_truncate(sqlite3_file* f, sqlite3_int64 size) {
  const int rc = real(f)->pMethods->xTruncate(real(f), size);
  if (rc == SQLITE_OK) record(f, powercut_op::truncate, size);
  return rc;
}
int x_sync(sqlite3_file* f, int flags) {
  // Logged before it runs: a cut "at" this op is a cut while the sync is in progress.
  record(f, powercut_op::sync, 0);
  return real(f)->pMethods->xSync(real(f), flags);
}
int x_file_size(sqlite3_file* f, sqlite3_int64* out) { return real(f)->pMethods->xFileSize(real(f), out); }
int x_lock(sqlite3_file* f, int l) { return real(f)->pMethods->xLock(real(f), l); }
int x_unlock(sqlite3_file* f, int l) { return real(f)->pMethods->xUnlock(real(f), l); }
int x_check_reserved(sqlite3_file* f, int* out) { return real(f)->pMethods->xCheckReservedLock(real(f), out); }
int x_file_control(sqlite3_file* f, int op, void* arg) { return real(f)->pMethods->xFileControl(real(f), op, arg); }
int x_sector_size(sqlite3_file* f) { return real(f)->pMethods->xSectorSize(real(f)); }
int x_device_characteristics(sqlite3_file* f) { return real(f)->pMethods->xDeviceCharacteristics(real(f)); }
int x_shm_map(sqlite3_file* f, int pg, int sz, int ext, void volatile** pp) {
  return real(f)->pMethods->xShmMap(real(f), pg, sz, ext, pp);
}
int x_shm_lock(sqlite3_file* f, int off, int n, int flags) { return real(f)->pMethods->xShmLock(real(f), off, n, flags); }
void x_shm_barrier(sqlite3_file* f) { real(f)->pMethods->xShmBarrier(real(f)); }
int x_shm_unmap(sqlite3_file* f, int del) { return real(f)->pMethods->xShmUnmap(real(f), del); }
int x_fetch(sqlite3_file*, sqlite3_int64 off, int n, void** pp) {
  // No memory-mapped I/O: every read goes through xRead (and so sees what the log models).
  (void)off;
  (void)n;
  *pp = nullptr;
  return SQLITE_OK;
}
int x_unfetch(sqlite3_file*, sqlite3_int64, void*) { return SQLITE_OK; }

const sqlite3_io_methods k_methods = {
    3,          x_close,          x_read,       x_write,         x_truncate,       x_sync,
    x_file_size, x_lock,          x_unlock,     x_check_reserved, x_file_control,  x_sector_size,
    x_device_characteristics, x_shm_map, x_shm_lock, x_shm_barrier, x_shm_unmap, x_fetch,
    x_unfetch,
};

int x_open(sqlite3_vfs*, sqlite3_filename name, sqlite3_file* f, int flags, int* out_flags) {
  auto* r = as_rec(f);
  std::memset(r, 0, sizeof(rec_file));
  r->real = reinterpret_cast<sqlite3_file*>(reinterpret_cast<char*>(f) + k_rec_size);
  const int rc = g_base->xOpen(g_base, name, r->real, flags, out_flags);
  if (rc != SQLITE_OK) return rc;
  if (!r->real->pMethods) return rc;
  if (name && (flags & (SQLITE_OPEN_MAIN_DB | SQLITE_OPEN_WAL | SQLITE_OPEN_MAIN_JOURNAL))) {
    r->name = new std::string(name);
  }
  r->base.pMethods = &k_methods;
  return SQLITE_OK;
}

sqlite3_vfs g_vfs;

}  // namespace

powercut_log& powercut_vfs() {
  static powercut_log log;
  static const bool registered = [] {
    g_base = sqlite3_vfs_find(nullptr);
    g_vfs = *g_base;
    g_vfs.pNext = nullptr;
    g_vfs.zName = k_powercut_vfs;
    g_vfs.szOsFile = static_cast<int>(k_rec_size) + g_base->szOsFile;
    g_vfs.xOpen = x_open;
    // Every other VFS method of the unix VFS ignores its first argument's identity except for
    // pAppData, which we keep: forwarding the struct copy is enough.
    return sqlite3_vfs_register(&g_vfs, 0) == SQLITE_OK;
  }();
  (void)registered;
  return log;
}

std::map<std::string, std::string> image_at(const std::vector<powercut_op>& ops, std::size_t cut,
                                            const std::map<std::string, std::string>& initial, bool torn) {
  // Each file's last completed sync before the cut.
  std::map<std::string, std::size_t> synced_upto;  // ops before this index are durable
  for (std::size_t i = 0; i < cut && i < ops.size(); ++i) {
    if (ops[i].kind == powercut_op::sync) synced_upto[ops[i].file] = i;
  }
  std::map<std::string, std::string> files = initial;
  std::map<std::string, std::size_t> last_unsynced;
  for (std::size_t i = 0; i < cut && i < ops.size(); ++i) {
    const auto& op = ops[i];
    if (op.kind != powercut_op::write && op.kind != powercut_op::truncate) continue;
    const auto it = synced_upto.find(op.file);
    const bool durable = it != synced_upto.end() && i < it->second;
    if (!durable) {
      if (op.kind == powercut_op::write) last_unsynced[op.file] = i;
      continue;
    }
    auto& f = files[op.file];
    if (op.kind == powercut_op::truncate) {
      f.resize(static_cast<std::size_t>(op.offset));
    } else {
      const auto end = static_cast<std::size_t>(op.offset) + op.data.size();
      if (f.size() < end) f.resize(end, '\0');
      std::memcpy(f.data() + op.offset, op.data.data(), op.data.size());
    }
  }
  if (torn) {
    for (const auto& [file, i] : last_unsynced) {
      const auto& op = ops[i];
      const std::size_t n = std::max<std::size_t>(1, op.data.size() / 2);
      auto& f = files[file];
      const auto end = static_cast<std::size_t>(op.offset) + n;
      if (f.size() < end) f.resize(end, '\0');
      std::memcpy(f.data() + op.offset, op.data.data(), n);
    }
  }
  return files;
}

}  // namespace kh::hub::test
