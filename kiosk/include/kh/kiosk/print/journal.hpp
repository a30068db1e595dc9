#pragma once
// The print journal (table `print_journal` in DIR/kiosk.db, on its own connection): every order's
// receipt and pickup ticket print exactly once, also across a restart. A document is claimed
// before it is sent and marked printed after; one whose job was cut by a crash is marked
// `uncertain` on the next start and never printed again automatically (staff can reprint).

#include <filesystem>
#include <memory>
#include <string>
#include <system_error>

struct sqlite3;

namespace kh::kiosk {

class print_journal {
 public:
  /// Opens (creating) the journal in `db_file`. Rows left `printing` become `uncertain`.
  static std::unique_ptr<print_journal> open(const std::filesystem::path& db_file, std::error_code& ec);
  ~print_journal();
  print_journal(const print_journal&) = delete;
  print_journal& operator=(const print_journal&) = delete;

  enum class claim { print, already_printed, uncertain, storage_error };
  /// Claims document `doc` ("receipt", "ticket") of an order: `print` means send it now, then
  /// call finish(). A failed earlier attempt may be claimed again.
  claim begin(const std::string& order_id, const std::string& doc);
  /// Records the outcome of a claimed job.
  void finish(const std::string& order_id, const std::string& doc, bool printed);
  /// "printed", "failed", "printing", "uncertain", or "" when never claimed.
  std::string status(const std::string& order_id, const std::string& doc);

 private:
  print_journal() = default;
  bool exec(const char* sql);
  sqlite3* db_ = nullptr;
};

/// The offline number prefix for a device id (engine_config::local_prefix): "K" + the id's
/// trailing digits ("kiosk-1" → "K1"), else its first 8 letters/digits upper-cased; "K" if none.
std::string local_prefix(const std::string& device_id);

}  // namespace kh::kiosk
