#pragma once
// Versioned, forward-only migrations. Each migration runs in its own transaction and records its
// number in `schema_version`; a database newer than this binary is refused.

#include "kh/hub/storage/sqlite.hpp"

namespace kh::hub {

/// Highest schema version this binary knows.
int latest_schema_version() noexcept;

/// Current version of an open database (0 for a fresh file).
int schema_version(sqlite::connection& db);

/// Applies every missing migration in order; returns how many ran (0 when already current).
/// Throws `sqlite::error` when the database is newer than this binary or a migration fails.
int migrate(sqlite::connection& db);
/// The same, only the migrations up to `up_to` (tests: a database as an older hub left it).
int migrate(sqlite::connection& db, int up_to);

}  // namespace kh::hub
