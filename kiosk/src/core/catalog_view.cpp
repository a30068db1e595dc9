#include "kh/kiosk/core/catalog_view.hpp"

#include "kh/protocol/availability.hpp"

namespace kh::kiosk {

catalog_view::catalog_view(protocol::catalog c)
    : catalog_view(std::move(c), [] { return std::chrono::system_clock::now(); }) {}

catalog_view::catalog_view(protocol::catalog c, std::function<std::chrono::system_clock::time_point()> wall_clock)
    : catalog_(std::move(c)), wall_clock_(std::move(wall_clock)) {
  for (std::size_t i = 0; i < catalog_.products.size(); ++i) {
    const auto& p = catalog_.products[i];
    if (!p.sku.empty()) by_sku_.emplace(p.sku, i);  // emplace keeps the first on a duplicate
    by_id_.emplace(p.id, i);
  }
}

const protocol::product* catalog_view::find_sku(std::string_view sku) const {
  const auto it = by_sku_.find(std::string(sku));
  return it == by_sku_.end() ? nullptr : &catalog_.products[it->second];
}

const protocol::product* catalog_view::find_id(std::string_view id) const {
  const auto it = by_id_.find(std::string(id));
  return it == by_id_.end() ? nullptr : &catalog_.products[it->second];
}

bool catalog_view::orderable(const protocol::product& p) const {
  if (!p.available) return false;
  if (p.availability.empty()) return true;
  return protocol::available_at(p, catalog_.profile ? catalog_.profile->time_zone : std::string("UTC"), wall_clock_());
}

}  // namespace kh::kiosk
