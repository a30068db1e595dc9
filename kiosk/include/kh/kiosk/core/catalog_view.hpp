#pragma once
// Read-only lookups over a catalog (by SKU, by product id). Pure: no I/O, no threads. The SDL2 UI
// and the headless CLI browse through this.

#include <cstddef>
#include <string>
#include <string_view>
#include <unordered_map>

#include "kh/protocol/messages.hpp"

namespace kh::kiosk {

class catalog_view {
 public:
  /// Takes a copy of the catalog and indexes it. SKUs are matched exactly (case-sensitive); when
  /// two products share a SKU the first one wins.
  explicit catalog_view(protocol::catalog c);

  const protocol::catalog& catalog() const noexcept { return catalog_; }
  std::int64_t version() const noexcept { return catalog_.version; }

  /// nullptr when no product has that SKU.
  const protocol::product* find_sku(std::string_view sku) const;
  /// nullptr when no product has that id.
  const protocol::product* find_id(std::string_view id) const;

 private:
  protocol::catalog catalog_;
  std::unordered_map<std::string, std::size_t> by_sku_;
  std::unordered_map<std::string, std::size_t> by_id_;
};

}  // namespace kh::kiosk
