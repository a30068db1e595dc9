#pragma once
// Shared helpers for the kiosk tests: a temp directory and a small demo catalog.

#include <atomic>
#include <chrono>
#include <filesystem>
#include <random>
#include <string>

#include <unistd.h>

#include "kh/protocol/messages.hpp"

namespace kh::kiosk::test {

/// A fresh directory under the system temp dir, removed with everything in it at scope exit.
class temp_dir {
 public:
  temp_dir() {
    static std::atomic<int> counter{0};
    path_ = std::filesystem::temp_directory_path() /
            ("kh-kiosk-test-" + std::to_string(::getpid()) + "-" + std::to_string(counter++) + "-" +
             std::to_string(std::random_device{}()));
    std::filesystem::create_directories(path_);
  }
  ~temp_dir() {
    std::error_code ec;
    std::filesystem::remove_all(path_, ec);
  }
  temp_dir(const temp_dir&) = delete;
  temp_dir& operator=(const temp_dir&) = delete;
  const std::filesystem::path& path() const { return path_; }

 private:
  std::filesystem::path path_;
};

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
