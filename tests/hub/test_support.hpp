#pragma once
// Shared fixtures for hub unit tests: a real SQLite file in a fresh temp dir, a tiny business and
// a movable clock.

#include <atomic>
#include <chrono>
#include <filesystem>
#include <memory>
#include <random>
#include <string>

#include <gtest/gtest.h>

#include "kh/hub/orders/order_service.hpp"
#include "kh/hub/storage/store.hpp"
#include "kh/protocol/ids.hpp"
#include "kh/test/support.hpp"

namespace kh::hub::test {

/// A temp directory removed at scope exit (the project-wide test helper).
using kh::test::temp_dir;

/// A clock tests move by hand. Starts at 2026-11-22T10:00:00Z (a Sunday).
struct manual_clock {
  std::chrono::system_clock::time_point now =
      std::chrono::sys_days{std::chrono::year{2026} / 11 / 22} + std::chrono::hours(10);
  clock_fn fn() {
    return [this] { return now; };
  }
};

inline constexpr const char* biz = "b-test";

/// Business "b-test" (EUR, tax as given, always open unless told), device kiosk-1 (shop),
/// board-1 (board), kiosk-off (disabled), products:
///   coffee 3.00 untracked; bun 2.00 stock 5; cake 4.50 stock 1; old 1.00 inactive.
inline void seed_small(store& s, std::int64_t tax_bp = 1000, bool inclusive = true, bool always_open = true) {
  auto tx = s.begin();
  business_record b;
  b.id = biz;
  b.slug = "test-shop";
  b.name = "Test shop";
  b.tax_rate_bp = tax_bp;
  b.tax_inclusive = inclusive;
  b.base_prep_seconds = 300;
  b.queue_seconds_per_order = 60;
  b.always_open = always_open;
  s.businesses().insert(b, 0);
  s.catalog().insert_category({biz, "food", "Food", 0});
  auto prod = [&](const char* id, std::int64_t price, std::optional<std::int64_t> stock, bool active) {
    product_record p;
    p.business_id = biz;
    p.id = id;
    p.category_id = "food";
    p.sku = std::string("SKU-") + id;
    p.name = id;
    p.price = price;
    p.stock = stock;
    p.active = active;
    s.catalog().insert_product(p, 0);
  };
  prod("coffee", 300, std::nullopt, true);
  prod("bun", 200, 5, true);
  prod("cake", 450, 1, true);
  prod("old", 100, 3, false);
  s.catalog().insert_discount({biz, "TENOFF", {discount_kind::percent, 1000}, true});
  s.catalog().insert_discount({biz, "ONEEURO", {discount_kind::fixed, 100}, true});
  s.catalog().insert_discount({biz, "EXPIRED", {discount_kind::fixed, 100}, false});
  s.devices().insert({"kiosk-1", biz, "Kiosk 1", protocol::device_mode::shop, true, false, std::nullopt, ""}, 0);
  s.devices().insert({"kiosk-2", biz, "Kiosk 2", protocol::device_mode::shop, true, false, std::nullopt, ""}, 0);
  s.devices().insert({"board-1", biz, "Board", protocol::device_mode::board, true, false, std::nullopt, ""}, 0);
  s.devices().insert({"kiosk-off", biz, "Old kiosk", protocol::device_mode::shop, false, false, std::nullopt, ""}, 0);
  tx->commit();
}

inline protocol::order_submit make_order(std::vector<std::pair<std::string, int>> lines, std::string order_id = {}) {
  protocol::order_submit o;
  o.order_id = order_id.empty() ? protocol::new_uuid() : std::move(order_id);
  o.type = protocol::order_type::takeaway;
  o.payment = protocol::payment_method::card_present;
  for (auto& [p, q] : lines) o.lines.push_back({p, q, ""});
  return o;
}

inline std::optional<std::int64_t> stock_of(store& s, const std::string& product) {
  auto p = s.catalog().find_product(biz, product);
  EXPECT_TRUE(p.has_value());
  return p ? p->stock : std::nullopt;
}

}  // namespace kh::hub::test
