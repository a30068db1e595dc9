#include "kh/hub/catalog/seed.hpp"

#include <chrono>

#include "kh/hub/catalog/product_images.hpp"
#include "kh/hub/http/images.hpp"
#include "kh/hub/orders/order_rules.hpp"
#include "kh/protocol/codec.hpp"
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
    const char* emoji;          // the picture: a Noto Color Emoji glyph on a card
    std::uint32_t card;         // card colour 0xRRGGBB
    const char* groups;         // option groups (JSON), "" for none
  };
  // Milk-based coffees: a required size and optional milk and extras (the kiosk's options screen).
  constexpr const char* milk_coffee = R"([
    {"id":"size","name":"Size","min":0,"max":1,"options":[
      {"id":"s","name":"Small","price_delta":{"amount":0,"currency":"EUR"},"available":true},
      {"id":"m","name":"Medium","price_delta":{"amount":40,"currency":"EUR"},"available":true,"default":true},
      {"id":"l","name":"Large","price_delta":{"amount":80,"currency":"EUR"},"available":true}]},
    {"id":"milk","name":"Milk","min":0,"max":1,"options":[
      {"id":"oat","name":"Oat milk","price_delta":{"amount":40,"currency":"EUR"},"available":true},
      {"id":"soy","name":"Soy milk","price_delta":{"amount":40,"currency":"EUR"},"available":true},
      {"id":"lactose-free","name":"Lactose-free milk","price_delta":{"amount":30,"currency":"EUR"},"available":false}]},
    {"id":"extras","name":"Extras","min":0,"max":2,"options":[
      {"id":"shot","name":"Extra shot","price_delta":{"amount":60,"currency":"EUR"},"available":true},
      {"id":"vanilla","name":"Vanilla syrup","price_delta":{"amount":50,"currency":"EUR"},"available":true},
      {"id":"caramel","name":"Caramel syrup","price_delta":{"amount":50,"currency":"EUR"},"available":true}]}])";
  constexpr const char* espresso_opts = R"([
    {"id":"extras","name":"Extras","min":0,"max":1,"options":[
      {"id":"shot","name":"Extra shot","price_delta":{"amount":60,"currency":"EUR"},"available":true}]}])";
  constexpr const char* tea_opts = R"([
    {"id":"with","name":"Served with","min":0,"max":1,"options":[
      {"id":"milk","name":"Milk","price_delta":{"amount":0,"currency":"EUR"},"available":true},
      {"id":"lemon","name":"Lemon","price_delta":{"amount":0,"currency":"EUR"},"available":true}]}])";
  constexpr const char* juice_opts = R"([
    {"id":"ice","name":"Ice","min":0,"max":1,"options":[
      {"id":"no-ice","name":"No ice","price_delta":{"amount":0,"currency":"EUR"},"available":true},
      {"id":"extra-ice","name":"Extra ice","price_delta":{"amount":0,"currency":"EUR"},"available":true}]}])";
  const prod prods[] = {
      {"espresso", "coffee", "CF-ESP", "Espresso", "Double shot, house blend", 220, 200, true, "\u2615", 0x6F4E37, espresso_opts},
      {"cappuccino", "coffee", "CF-CAP", "Cappuccino", "Espresso, steamed milk, foam", 340, 200, true, "\u2615", 0xC8A27A, milk_coffee},
      {"latte", "coffee", "CF-LAT", "Caffè latte", "Espresso with plenty of milk", 360, 200, true, "\U0001F95B", 0xE9D7BE, milk_coffee},
      {"flat-white", "coffee", "CF-FLW", "Flat white", "Double ristretto, velvety milk", 380, 200, true, "\u2615", 0xF1E3CF, milk_coffee},
      {"tea", "coffee", "CF-TEA", "Black tea", "Assam, pot for one", 250, 100, true, "\U0001FAD6", 0xB5651D, tea_opts},
      {"croissant", "bakery", "BK-CRO", "Croissant", "All-butter, baked this morning", 240, 5, true, "\U0001F950", 0xF6C453, ""},
      {"pain-au-chocolat", "bakery", "BK-PAC", "Pain au chocolat", "Two bars of dark chocolate", 260, 20, true, "\U0001F36B", 0xE8B27D, ""},
      {"muffin", "bakery", "BK-MUF", "Blueberry muffin", "With fresh blueberries", 300, 30, true, "\U0001F9C1", 0x9DB4E0, ""},
      {"cookie", "bakery", "BK-COO", "Cookie", "Chocolate chip", 180, 100, true, "\U0001F36A", 0xF0D9A8, ""},
      {"orange-juice", "cold", "CD-OJ", "Orange juice", "Freshly squeezed, 25 cl", 400, 40, true, "\U0001F34A", 0xFFB347, juice_opts},
      {"lemonade", "cold", "CD-LEM", "Lemonade", "Homemade, 33 cl", 350, 40, true, "\U0001F34B", 0xFFF1A8, juice_opts},
      {"iced-latte", "cold", "CD-ICL", "Iced latte", "Back in summer", 420, 0, false, "\U0001F9CA", 0xBFE3F2, milk_coffee},
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
    // Served by the hub at GET /img/…; the catalog makes the path absolute with the hub's URL.
    r.image_url = "/img/" + b.id + "/" + p.id + ".png";
    s.catalog().insert_product(r, now_ms);
    if (*p.groups != 0) {
      auto groups = protocol::decode_option_groups(nlohmann::json::parse(p.groups), b.currency);
      if (!groups) throw std::logic_error("demo option groups: " + groups.error().message);
      s.shop().set_option_groups(b.id, p.id, *groups);
    }
    image_record img;
    img.business_id = b.id;
    img.id = std::string(p.id) + ".png";
    img.content_type = "image/png";
    img.data = draw_product_card(p.emoji, {.background = p.card});
    img.etag = content_etag(img.data);
    img.updated_at_ms = now_ms;
    s.shop().put_image(img);
  }
  // A realistic profile for a Paris café. always_open stays on so the demo and its tests work at
  // any hour; the hours are what the portal shows and what applies once it is switched off.
  const auto profile = protocol::decode_store_profile(nlohmann::json::parse(R"({
    "time_zone": "Europe/Paris",
    "tax": {"mode": "inclusive", "rate_bp": 1000},
    "order_types": [
      {"type": "takeaway"},
      {"type": "eat_in", "table_numbers": false},
      {"type": "pickup", "slot_minutes": 15, "lead_minutes": 20},
      {"type": "delivery", "fee": {"amount": 250, "currency": "EUR"},
       "minimum": {"amount": 1500, "currency": "EUR"}, "area": "Within 3 km of the café"}
    ],
    "always_open": true,
    "opening_hours": [
      {"day": "mon", "opens": "07:30", "closes": "19:00"}, {"day": "tue", "opens": "07:30", "closes": "19:00"},
      {"day": "wed", "opens": "07:30", "closes": "19:00"}, {"day": "thu", "opens": "07:30", "closes": "19:00"},
      {"day": "fri", "opens": "07:30", "closes": "21:00"}, {"day": "sat", "opens": "08:30", "closes": "21:00"},
      {"day": "sun", "opens": "09:00", "closes": "14:00"}
    ],
    "languages": ["en", "fr"],
    "banner": "Coffee + croissant for 5.00 before 10:00",
    "payment_methods": ["card_present", "cash"],
    "age_amber_seconds": 240, "age_red_seconds": 480
  })"), b.currency);
  if (!profile) throw std::logic_error("demo profile: " + profile.error().message);
  s.shop().set_profile(b.id, *profile);
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
