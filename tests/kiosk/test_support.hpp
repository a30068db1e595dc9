#pragma once
// Shared helpers for the kiosk tests: a temp directory and a small demo catalog.

#include <atomic>
#include <chrono>
#include <filesystem>
#include <random>
#include <string>

#include <unistd.h>

#include "kh/protocol/messages.hpp"
#include "kh/test/support.hpp"

namespace kh::kiosk::test {

/// A fresh directory under /tmp, removed at scope exit (the project-wide test helper).
using kh::test::temp_dir;

inline protocol::product make_product(std::string id, std::string sku, std::int64_t cents,
                                      std::optional<std::int64_t> stock = std::nullopt) {
  protocol::product p;
  p.id = std::move(id);
  p.sku = std::move(sku);
  p.category_id = "drinks";
  p.name = "Product " + p.id;
  p.price = protocol::money{cents, "EUR"};
  p.stock = stock;
  p.available = !stock || *stock > 0;
  return p;
}

inline protocol::catalog make_catalog(std::int64_t version, std::string business = "cafe") {
  protocol::catalog c;
  c.business_id = std::move(business);
  c.business_name = "Demo Cafe";
  c.version = version;
  c.categories.push_back(protocol::category{"drinks", "Drinks", 0});
  c.products.push_back(make_product("espresso", "ESP", 250));
  c.products.push_back(make_product("latte", "LAT", 380, 5));
  c.products.push_back(make_product("muffin", "MUF", 300, 0));
  return c;
}

}  // namespace kh::kiosk::test
