#include "kh/hub/catalog/seed.hpp"

#include <chrono>

#include "kh/hub/orders/order_rules.hpp"
#include "kh/protocol/ids.hpp"

namespace kh::hub {

namespace {

nlohmann::json describe(store& s, const business_record& b) {
  nlohmann::json devices = nlohmann::json::array();
  for (const auto& d : s.devices().by_business(b.id)) {
    devices.push_back({{"id", d.id}, {"name", d.name}, {"mode", protocol::to_string(d.mode)}});
  }
  return {{"business", {{"id", b.id}, {"slug", b.slug}, {"name", b.name}}}, {"devices", devices}};
}

}  // namespace

nlohmann::json seed_demo(store& s) {
  auto tx = s.begin();
  if (auto existing = s.businesses().find_by_slug(demo_slug)) return describe(s, *existing);

  const auto now_ms = to_ms(std::chrono::system_clock::now());
  business_record b;
  // Ids are immutable (they are MQTT topic levels); the slug is the name in URLs and may change.
  b.id = "b-" + protocol::new_uuid().substr(0, 8);
  b.slug = demo_slug;
  b.name = "Demo Café";
  b.currency = "EUR";
  b.tax_rate_bp = 1000;  // 10 % VAT, included in the shelf prices
  b.tax_inclusive = true;
  b.base_prep_seconds = 300;
  b.queue_seconds_per_order = 60;
  b.utc_offset_minutes = 0;
  b.always_open = true;
  s.businesses().insert(b, now_ms);

  struct cat {
    const char* id;
    const char* name;
  };
  const cat cats[] = {{"coffee", "Coffee & tea"}, {"bakery", "Bakery"}, {"cold", "Cold drinks"}};
  int pos = 0;
  for (const auto& c : cats) s.catalog().insert_category({b.id, c.id, c.name, pos++});

  struct prod {
    const char* id;
    const char* category;
    const char* sku;
    const char* name;
    const char* description;
    std::int64_t price;
    std::optional<std::int64_t> stock;
    bool active;
  };
  const prod prods[] = {
      {"espresso", "coffee", "CF-ESP", "Espresso", "Double shot, house blend", 220, 200, true},
      {"cappuccino", "coffee", "CF-CAP", "Cappuccino", "Espresso, steamed milk, foam", 340, 200, true},
      {"latte", "coffee", "CF-LAT", "Caffè latte", "Espresso with plenty of milk", 360, 200, true},
      {"flat-white", "coffee", "CF-FLW", "Flat white", "Double ristretto, velvety milk", 380, 200, true},
      {"tea", "coffee", "CF-TEA", "Black tea", "Assam, pot for one", 250, 100, true},
      {"croissant", "bakery", "BK-CRO", "Croissant", "All-butter, baked this morning", 240, 5, true},
      {"pain-au-chocolat", "bakery", "BK-PAC", "Pain au chocolat", "Two bars of dark chocolate", 260, 20, true},
      {"muffin", "bakery", "BK-MUF", "Blueberry muffin", "With fresh blueberries", 300, 30, true},
      {"cookie", "bakery", "BK-COO", "Cookie", "Chocolate chip", 180, 100, true},
      {"orange-juice", "cold", "CD-OJ", "Orange juice", "Freshly squeezed, 25 cl", 400, 40, true},
      {"lemonade", "cold", "CD-LEM", "Lemonade", "Homemade, 33 cl", 350, 40, true},
      {"iced-latte", "cold", "CD-ICL", "Iced latte", "Back in summer", 420, 0, false},
  };
  pos = 0;
  for (const auto& p : prods) {
    product_record r;
    r.business_id = b.id;
    r.id = p.id;
    r.category_id = p.category;
    r.sku = p.sku;
    r.name = p.name;
    r.description = p.description;
    r.price = p.price;
    r.active = p.active;
    r.stock = p.stock;
    r.position = pos++;
    s.catalog().insert_product(r, now_ms);
  }
  s.catalog().insert_discount({b.id, "WELCOME10", {discount_kind::percent, 1000}, true});
  s.devices().insert({"kiosk-1", b.id, "Kiosk 1", protocol::device_mode::shop, true, false, std::nullopt, ""}, now_ms);
  s.devices().insert({"board-1", b.id, "Order board", protocol::device_mode::board, true, false, std::nullopt, ""},
                     now_ms);
  s.devices().insert({"counter-1", b.id, "Pickup counter", protocol::device_mode::counter, true, false, std::nullopt, ""},
                     now_ms);
  auto out = describe(s, b);
  tx->commit();
  return out;
}

}  // namespace kh::hub
