#include "kh/hub/catalog/catalog_service.hpp"

namespace kh::hub {

std::optional<protocol::catalog> load_catalog(store& s, const std::string& business_id) {
  const auto b = s.businesses().find(business_id);
  if (!b) return std::nullopt;
  protocol::catalog c;
  c.business_id = b->id;
  c.business_name = b->name;
  c.currency = b->currency;
  c.version = b->catalog_version;
  for (auto& cat : s.catalog().categories(business_id)) {
    c.categories.push_back({std::move(cat.id), std::move(cat.name), cat.position});
  }
  for (auto& p : s.catalog().products(business_id)) {
    protocol::product out;
    out.available = p.active && (!p.stock || *p.stock > 0);
    out.id = std::move(p.id);
    out.sku = std::move(p.sku);
    out.category_id = std::move(p.category_id);
    out.name = std::move(p.name);
    out.description = std::move(p.description);
    out.price = {p.price, b->currency};
    out.image_url = std::move(p.image_url);
    out.stock = p.stock;
    c.products.push_back(std::move(out));
  }
  return c;
}

std::optional<protocol::catalog> next_catalog(store& s, const std::string& business_id) {
  auto tx = s.begin();
  if (!s.businesses().find(business_id)) return std::nullopt;
  s.businesses().bump_catalog_version(business_id);
  auto c = load_catalog(s, business_id);
  tx->commit();
  return c;
}

}  // namespace kh::hub
