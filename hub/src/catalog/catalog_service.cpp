#include "kh/hub/catalog/catalog_service.hpp"

#include <spdlog/spdlog.h>

#include "kh/hub/catalog/store_profile.hpp"
#include "kh/hub/orders/order_rules.hpp"
#include "kh/protocol/pricing.hpp"

namespace kh::hub {

namespace {

// A stored product as devices see it in the catalog.
protocol::product catalog_product(product_record&& p, std::vector<protocol::option_group> groups,
                                  std::vector<protocol::availability_window> windows, const std::string& currency,
                                  const std::string& image_base) {
  protocol::product out;
  out.available = p.active && (!p.stock || *p.stock > 0);
  out.option_groups = std::move(groups);
  out.availability = std::move(windows);
  out.id = std::move(p.id);
  out.sku = std::move(p.sku);
  out.category_id = std::move(p.category_id);
  out.name = std::move(p.name);
  out.description = std::move(p.description);
  out.price = {p.price, currency};
  out.image_url = std::move(p.image_url);
  if (!image_base.empty() && !out.image_url.empty() && out.image_url.front() == '/') {
    out.image_url = image_base + out.image_url;
  }
  out.stock = p.stock;
  return out;
}

}  // namespace

std::optional<protocol::catalog> load_catalog(store& s, const std::string& business_id,
                                              const std::string& image_base) {
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
  auto groups = s.shop().all_option_groups(business_id);
  auto windows = s.shop().all_availability(business_id);
  for (auto& p : s.catalog().products(business_id)) {
    std::vector<protocol::option_group> g;
    std::vector<protocol::availability_window> w;
    if (auto it = groups.find(p.id); it != groups.end()) g = std::move(it->second);
    if (auto it = windows.find(p.id); it != windows.end()) w = std::move(it->second);
    c.products.push_back(catalog_product(std::move(p), std::move(g), std::move(w), b->currency, image_base));
  }
  c.profile = s.shop().profile(business_id);
  return c;
}

std::optional<protocol::catalog> next_catalog(store& s, const std::string& business_id,
                                              const std::string& image_base) {
  auto tx = s.begin();
  if (!s.businesses().find(business_id)) return std::nullopt;
  s.businesses().bump_catalog_version(business_id);
  auto c = load_catalog(s, business_id, image_base);
  tx->commit();
  return c;
}

protocol::result<protocol::order_quoted> quote_order(store& s, const std::string& device_id,
                                                     const protocol::order_quote& q,
                                                     std::chrono::system_clock::time_point now) {
  using protocol::code;
  try {
    const auto device = s.devices().find(device_id);
    if (!device || !device->enabled || device->mode == protocol::device_mode::board) {
      return protocol::make_problem(code::forbidden, "unknown, disabled or board device");
    }
    // The catalog of the quoted products only (a quote costs its lines, not the store's whole
    // menu: a 500-product store was read in full for every cart change).
    const auto business = s.businesses().find(device->business_id);
    std::optional<protocol::catalog> cat;
    if (business) {
      cat.emplace();
      cat->business_id = business->id;
      cat->currency = business->currency;
      cat->version = business->catalog_version;
      cat->profile = s.shop().profile(business->id);
      for (const auto& l : q.lines) {
        if (cat->find_product(l.product_id) != nullptr) continue;
        if (auto p = s.catalog().find_product(business->id, l.product_id)) {
          auto groups = s.shop().option_groups(business->id, p->id);
          auto windows = s.shop().availability(business->id, p->id);
          cat->products.push_back(catalog_product(std::move(*p), std::move(groups), std::move(windows), business->currency, {}));
        }
      }
    }
    if (!cat || !cat->profile) return protocol::make_problem(code::forbidden, "device has no business");

    std::optional<protocol::discount_rule> discount;
    bool bad_discount = false;
    if (!q.discount_code.empty()) {
      const auto d = s.catalog().find_discount(device->business_id, q.discount_code);
      if (d && d->active) {
        discount = d->rule;
      } else {
        bad_discount = true;
      }
    }
    auto out = protocol::quote_cart(*cat, q, discount, now);
    if (bad_discount) {
      protocol::add_problem(out, code::invalid_discount, "unknown or inactive discount code",
                            {{"discount_code", q.discount_code}});
    }
    // The hours and slot rules, as at placement. quote_cart already reported a missing type.
    auto prof = *cat->profile;
    const std::string zone = s.shop().time_zone(device->business_id);
    if (zone.empty() && business) {
      if (!business->always_open && q.type != protocol::order_type::pickup &&
          !is_open_at(now, business->utc_offset_minutes, s.businesses().opening_hours(business->id))) {
        protocol::add_problem(out, code::business_closed, "the business is closed now");
      }
      prof.always_open = true;
    }
    if (prof.offer(q.type) != nullptr) {
      order_request_view view{q.type, std::nullopt, "-", q.pickup_at, "-", now};
      if (auto p = check_order(prof, view, now)) {
        protocol::add_problem(out, p->code, std::move(p->message), std::move(p->details));
      }
    }
    return out;
  } catch (const std::exception& e) {
    spdlog::error("quote {} from {} failed: {}", q.quote_id, device_id, e.what());
    return protocol::make_problem(code::internal, "the hub could not price the quote; retry");
  }
}

}  // namespace kh::hub
