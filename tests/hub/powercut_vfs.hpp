#pragma once
// A recording SQLite VFS for power-cut tests. "kh-powercut" wraps SQLite's default VFS: files
// work as usual, and while recording, every write, truncate and sync of a named file (database,
// WAL) is appended to one log, in the order they happen, together with marks the test adds
// (e.g. "order X was answered"). `image_at` then rebuilds what the disk would hold if the power
// failed at a given point of the log: for each file, only what was written before its last
// completed sync survives (optionally with the last unsynced write torn: only its first bytes).

#include <cstdint>
#include <map>
#include <mutex>
#include <string>
#include <vector>

namespace kh::hub::test {

struct powercut_op {
  enum kind_t { write, truncate, sync, mark } kind = write;
  std::string file;   ///< full path as SQLite opened it (empty for marks)
  std::int64_t offset = 0;  ///< write: offset; truncate: new size
  std::string data;   ///< write: bytes; mark: the test's note
};

class powercut_log {
 public:
  void start() {
    std::lock_guard lk(mu_);
    ops_.clear();
    recording_ = true;
  }
  void stop() {
    std::lock_guard lk(mu_);
    recording_ = false;
  }
  void add(powercut_op op) {
    std::lock_guard lk(mu_);
    if (recording_) ops_.push_back(std::move(op));
  }
  void mark(std::string note) { add({powercut_op::mark, {}, 0, std::move(note)}); }
  std::vector<powercut_op> ops() const {
    std::lock_guard lk(mu_);
    return ops_;
  }

 private:
  mutable std::mutex mu_;
  bool recording_ = false;
  std::vector<powercut_op> ops_;
};

/// Registers "kh-powercut" (once) and returns its log.
powercut_log& powercut_vfs();
inline constexpr const char* k_powercut_vfs = "kh-powercut";

/// The files' contents if the power failed just before ops[cut] (ops[cut], a sync, did not
/// complete; cut == ops.size(): after the last one). `initial`: contents when recording
/// started (absent files are empty). With `torn`, each file's last write after its last
/// completed sync lands half (its first half of bytes), the rest of the unsynced ones not at all.
std::map<std::string, std::string> image_at(const std::vector<powercut_op>& ops, std::size_t cut,
                                            const std::map<std::string, std::string>& initial, bool torn);

}  // namespace kh::hub::test
