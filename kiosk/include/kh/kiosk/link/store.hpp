#pragma once
// The kiosk's own SQLite file (DIR/kiosk.db, WAL, synchronous=FULL): settings, the catalog cache
// and the durable order outbox. One connection, used from one thread at a time (the link's worker).
//
// Schema (version 1, PRAGMA user_version):
//   settings(key TEXT PRIMARY KEY, value TEXT)
//   catalog(id = 1, business_id, version, body TEXT /* catalog body JSON */, received_ms)
//   outbox(seq INTEGER PRIMARY KEY, order_id TEXT UNIQUE, payload TEXT /* exact MQTT payload */,
//          status TEXT 'pending'|'done'|'failed', attempts, next_attempt_ms, created_ms,
//          answered_ms, answer_type TEXT, answer TEXT /* answer body JSON */,
//          number TEXT, state TEXT /* queued | order state word | rejected | failed */)

#include <cstdint>
#include <filesystem>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "kh/kiosk/core/error.hpp"
#include "kh/protocol/messages.hpp"

struct sqlite3;

namespace kh::kiosk {

enum class outbox_status { pending, done, failed };
const char* to_string(outbox_status s) noexcept;

/// Tracking state before the hub answered.
inline constexpr std::string_view state_queued = "queued";
/// Tracking state after order.rejected.
inline constexpr std::string_view state_rejected = "rejected";
/// Tracking state after a non-retryable `error` reply.
inline constexpr std::string_view state_failed = "failed";

struct outbox_entry {
  std::int64_t seq = 0;  ///< insertion order
  std::string order_id;
  std::string payload;  ///< the envelope sent, byte for byte the same on every re-send
  outbox_status status = outbox_status::pending;
  int attempts = 0;                  ///< sends so far
  std::int64_t next_attempt_ms = 0;  ///< Unix ms
  std::int64_t created_ms = 0;
  std::string answer_type;  ///< "order.accepted", "order.rejected", "error" or empty
  std::string answer;       ///< answer body JSON or empty
  std::string number;       ///< order number once known
  std::string state;        ///< see state_* above, or an order state word ("pending_payment", …)
};

enum class catalog_saved { stored, not_newer };

class store {
 public:
  /// Opens (creating if needed) the database file and runs migrations. The parent directory must
  /// exist. storage_error when SQLite cannot open or migrate it.
  static outcome<std::unique_ptr<store>> open(const std::filesystem::path& file);
  ~store();
  store(const store&) = delete;
  store& operator=(const store&) = delete;

  std::optional<std::string> setting(std::string_view key);
  outcome<bool> set_setting(std::string_view key, std::string_view value);

  /// Keeps the catalog if it is for another business than the cached one or has a higher version;
  /// otherwise not_newer and nothing changes.
  outcome<catalog_saved> save_catalog(const protocol::catalog& c, std::int64_t now_ms);
  /// The cached catalog, nullopt when none (or when the cached row no longer decodes).
  std::optional<protocol::catalog> load_catalog();

  /// Inserts a pending entry in one transaction, refusing with outbox_full when `max_pending`
  /// entries are already pending. Committed when this returns.
  outcome<outbox_entry> add_order(std::string_view order_id, std::string_view payload,
                                  std::int64_t now_ms, std::size_t max_pending);
  /// Pending entries, oldest first.
  std::vector<outbox_entry> pending();
  std::size_t pending_count();
  std::optional<outbox_entry> find(std::string_view order_id);
  /// Most recent entries first (any status), at most `limit`.
  std::vector<outbox_entry> recent(std::size_t limit);

  outcome<bool> record_attempt(std::string_view order_id, int attempts,
                               std::int64_t next_attempt_ms);
  /// Stores the hub's answer and moves a pending entry to done/failed. Returns false (changing
  /// nothing) when the entry is not pending: a duplicate answer is handled once. The tracking state
  /// is set to `state` only while it is still "queued" (an order.status may have come first).
  outcome<bool> complete(std::string_view order_id, outbox_status status,
                         std::string_view answer_type, std::string_view answer,
                         std::string_view number, std::string_view state, std::int64_t now_ms);
  /// Updates the tracking number/state of a known order; false when the order is not ours.
  outcome<bool> update_tracking(std::string_view order_id, std::string_view number,
                                std::string_view state);

 private:
  explicit store(sqlite3* db) noexcept;
  sqlite3* db_;
};

}  // namespace kh::kiosk
