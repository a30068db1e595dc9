#pragma once
// The SQLite shop_repository, owned by the SQLite store (same connection, same transactions).

#include <memory>

#include "kh/hub/storage/shop_repository.hpp"
#include "kh/hub/storage/sqlite.hpp"

namespace kh::hub {

std::unique_ptr<shop_repository> make_sqlite_shop(sqlite::connection& db);

}  // namespace kh::hub
