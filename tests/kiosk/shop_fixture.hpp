#pragma once
// A demo café catalog and shop states on every screen, shared by the core, render and bench code.

#include <memory>
#include <string>
#include <vector>

#include "kh/kiosk/core/shop.hpp"

namespace kh::kiosk::shop_testing {

inline protocol::catalog cafe_catalog(int extra_products = 0) {
  protocol::catalog c;
  c.business_id = "demo-cafe";
  c.business_name = "Café Lumière";
  c.version = 3;
  c.categories = {{"hot", "Hot drinks", 1}, {"cold", "Cold drinks", 2}, {"food", "Pastries & food", 3}};
  auto add = [&](std::string id, std::string sku, std::string cat, std::string name, std::int64_t cents,
                 bool available = true, std::string desc = {}) {
    protocol::product p;
    p.id = std::move(id);
    p.sku = std::move(sku);
    p.category_id = std::move(cat);
    p.name = std::move(name);
    p.description = std::move(desc);
    p.price = {cents, "EUR"};
    p.available = available;
    c.products.push_back(p);
  };
  add("p-espresso", "4006381333931", "hot", "Espresso", 220, true, "A short, strong shot of our house blend.");
  add("p-latte", "LATTE", "hot", "Caffè latte", 360, true, "Espresso with steamed milk and a thin layer of foam. Ask for oat milk.");
  add("p-cappuccino", "CAPP", "hot", "Cappuccino", 340);
  add("p-flatwhite", "FLAT", "hot", "Flat white", 380);
  add("p-chocolate", "CHOC", "hot", "Hot chocolate with whipped cream and cinnamon", 390);
  add("p-tea", "TEA", "hot", "Earl Grey tea", 280, false);
  add("p-icedlatte", "ICED", "cold", "Iced latte", 420);
  add("p-lemonade", "LEMON", "cold", "Homemade lemonade", 350);
  add("p-croissant", "CROI", "food", "Butter croissant", 180);
  add("p-painchoc", "PCHOC", "food", "Pain au chocolat", 200);
  add("p-quiche", "QUICHE", "food", "Quiche lorraine", 650, true, "Bacon, cream and Comté, baked every morning.");
  // The latte has the option groups the demo café uses: size (required), milk, extras (up to 3).
  auto& latte = c.products[1];
  latte.option_groups = {
      {"size", "Size", 1, 1, {{"s", "Small", {0, "EUR"}}, {"m", "Medium", {40, "EUR"}, true, true}, {"l", "Large", {80, "EUR"}}}},
      {"milk", "Milk", 0, 1, {{"whole", "Whole milk", {0, "EUR"}}, {"oat", "Oat milk", {40, "EUR"}}, {"soy", "Soy milk", {40, "EUR"}, false}}},
      {"extras", "Extras", 0, 3, {{"shot", "Extra shot", {60, "EUR"}}, {"vanilla", "Vanilla syrup", {50, "EUR"}}, {"cream", "Whipped cream", {40, "EUR"}}, {"cinnamon", "Cinnamon", {0, "EUR"}}}}};
  for (int i = 0; i < extra_products; ++i)
    add("p-x" + std::to_string(i), "X" + std::to_string(i), "food", "Sandwich no. " + std::to_string(i + 1), 450 + i);
  return c;
}

/// A state showing `sc`, with a realistic cart and order.
inline shop::state state_on(shop::screen sc, bool online = true) {
  shop::state s;
  s.catalog = std::make_shared<catalog_view>(cafe_catalog());
  s.business_name = "Café Lumière";
  s.banner = "Fresh croissants until 11:00 — and a free cookie with every latte today";
  s.online = online;
  s.pickup_slots = {"12:15", "12:30", "12:45", "13:00", "13:15", "13:30"};
  s.staff_info = {{"info.device", "kiosk-1"}, {"info.firmware", "kiosk 0.1.0"},
                  {"info.broker", "connected"}, {"info.outbox", "0"},
                  {"info.printer", "ok"}, {"info.camera", "none"}};
  const auto& cat = s.catalog->catalog();
  (void)s.cart.add(cat.products[1], 2, "extra hot", {{"size", "l"}, {"milk", "oat"}});
  (void)s.cart.add(cat.products[8], 1);
  (void)s.cart.add(cat.products[10], 1);
  s.current = sc;
  s.pressed_ms = -1'000'000;
  if (sc == shop::screen::product) s.draft = {"p-latte", 2, "extra hot", {{"size", "m"}, {"milk", "oat"}, {"extras", "shot"}}};
  if (sc == shop::screen::order_type) { s.type = protocol::order_type::pickup; s.pickup_slot = "12:30"; }
  if (sc == shop::screen::confirmation || sc == shop::screen::processing || sc == shop::screen::rating) {
    s.order_id = "7f9c2b1e-4d3a-4c8b-9e21-5a6f0d1c2b3a";
  }
  if (sc == shop::screen::confirmation) {
    s.number = "A-042";
    s.eta = "12:40";
    s.tracking_url = "https://cafe.example/o/7f9c2b1e-4d3a-4c8b-9e21-5a6f0d1c2b3a";
  }
  if (sc == shop::screen::staff_pin) s.pin = "12";
  if (sc == shop::screen::cart || sc == shop::screen::payment) {
    // The hub's quote: 10 % off with a scanned code, the quiche sold out meanwhile.
    s.discount_code = "WELCOME10";
    protocol::order_quote q;
    q.lines = s.cart.order_lines();
    s.quote.q = protocol::quote_cart(s.catalog->catalog(), q, protocol::discount_rule{protocol::discount_kind::percent, 1000});
    if (sc == shop::screen::cart) {
      s.quote.q.lines[2].problems.push_back({protocol::code::out_of_stock, "Quiche lorraine is sold out", {}});
      s.quote.q.ok = false;
    }
    s.quote.from = shop::cart_quote::source::hub;
    s.quote.rev = s.cart_rev;
  }
  if (sc == shop::screen::maintenance) {
    // The camera view: a preview frame with one code read in it.
    s.camera.width = 320;
    s.camera.height = 240;
    s.camera.status = "ok";
    s.camera.codes.push_back({{{{110, 70}, {210, 70}, {210, 170}, {110, 170}}}, "khd:WELCOME10"});
  }
  return s;
}

inline const std::vector<shop::screen>& all_screens() {
  static const std::vector<shop::screen> v = {
      shop::screen::attract, shop::screen::menu, shop::screen::product, shop::screen::cart,
      shop::screen::order_type, shop::screen::payment, shop::screen::processing,
      shop::screen::confirmation, shop::screen::rating, shop::screen::still_there,
      shop::screen::staff_pin, shop::screen::maintenance};
  return v;
}

}  // namespace kh::kiosk::shop_testing
