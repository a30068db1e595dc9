#pragma once
// `kioskhub backup`: a consistent copy of a live database via SQLite's online backup API.

#include <string>
#include <system_error>

namespace kh::hub {

/// Copies `db_path` to `out_path` (replaced if present) while other connections keep writing.
/// Returns an empty string on success, else a description of the failure.
std::string backup_database(const std::string& db_path, const std::string& out_path);

}  // namespace kh::hub
