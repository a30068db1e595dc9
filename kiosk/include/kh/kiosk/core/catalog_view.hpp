#pragma once
// Read-only lookups over a catalog (by SKU, by product id). No threads; `orderable` reads the
// wall clock (injectable) and tzdata. The SDL2 UI
// and the headless CLI browse through this.

#include <chrono>
#include <cstddef>
#include <functional>
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
  /// The same, with the wall clock `orderable` reads (tests pass a fixed one).
  catalog_view(protocol::catalog c, std::function<std::chrono::system_clock::time_point()> wall_clock);

  const protocol::catalog& catalog() const noexcept { return catalog_; }
  std::int64_t version() const noexcept { return catalog_.version; }

  /// nullptr when no product has that SKU.
  const protocol::product* find_sku(std::string_view sku) const;
  /// nullptr when no product has that id.
  const protocol::product* find_id(std::string_view id) const;
  /// True when `p` can be ordered now: `available` (active, stock left) and inside its
  /// availability windows in the store's zone (kh::protocol::available_at, the hub's rule; no
  /// profile: UTC). What the shop core checks before a product is opened, scanned or added.
  bool orderable(const protocol::product& p) const;
  /// The wall clock `orderable` reads (the offline estimate checks the windows at the same time).
  std::chrono::system_clock::time_point now() const { return wall_clock_(); }

 private:
  protocol::catalog catalog_;
  std::function<std::chrono::system_clock::time_point()> wall_clock_;
  std::unordered_map<std::string, std::size_t> by_sku_;
  std::unordered_map<std::string, std::size_t> by_id_;
};

}  // namespace kh::kiosk
