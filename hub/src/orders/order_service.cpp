#include "kh/hub/orders/order_service.hpp"

#include <algorithm>
#include <cstdio>
#include <exception>

#include <spdlog/spdlog.h>

#include "kh/hub/catalog/store_profile.hpp"
#include "kh/protocol/availability.hpp"
#include "kh/protocol/codec.hpp"
#include "kh/protocol/time.hpp"

namespace kh::hub {

namespace {

using protocol::code;
using protocol::make_problem;
using protocol::order_state;

constexpr const char* k_accepted = "order.accepted";
constexpr const char* k_rejected = "order.rejected";

std::string rejection_body(const std::string& order_id, const protocol::problem& p) {
  protocol::rejection r;
  r.order_id = order_id;
  r.code = p.code;
  r.message = p.message;
  r.details = p.details.is_object() ? p.details : nlohmann::json::object();
  return protocol::to_json(r).dump();
}

struct wanted {
  std::string product_id;
  std::int64_t qty = 0;
};

}  // namespace

std::string request_fingerprint(const protocol::order_submit& req) {
  const std::string canonical = protocol::to_json_text(req);
  std::uint64_t h = 1469598103934665603ull;
  for (unsigned char c : canonical) {
    h ^= c;
    h *= 1099511628211ull;
  }
  char buf[17];
  std::snprintf(buf, sizeof buf, "%016llx", static_cast<unsigned long long>(h));
  return buf;
}

struct order_service::shop_view {
  std::int64_t generation = 0;
  std::optional<protocol::store_profile> profile;
  std::unordered_map<std::string, std::vector<protocol::option_group>> groups;         // by product, as asked for
  std::unordered_map<std::string, std::vector<protocol::availability_window>> windows;  // by product, as asked for
};

order_service::shop_view& order_service::shop_of(const business_record& b) {
  auto it = shops_.find(b.id);
  if (it != shops_.end() && it->second->generation == b.shop_generation) return *it->second;
  if (it == shops_.end()) {
    if (shops_.size() >= 1024) shops_.clear();  // a hub of many stores: start over rather than grow
    it = shops_.emplace(b.id, std::make_unique<shop_view>()).first;
  }
  auto profile = store_.shop().profile(b.id);  // may throw: then the entry stays as it was
  auto& v = *it->second;
  v = shop_view{};
  v.generation = b.shop_generation;
  v.profile = std::move(profile);
  return v;
}

void order_service::set_public_url(std::string base) {
  while (!base.empty() && base.back() == '/') base.pop_back();
  public_url_ = std::move(base);
}

order_service::order_service(store& s, clock_fn clock)
    : store_(s),
      clock_(clock ? std::move(clock) : clock_fn([] { return std::chrono::system_clock::now(); })),
      events_(std::make_unique<order_event_log>(sqlite_connection(s))) {}

order_service::~order_service() = default;

void order_service::wrote(bool ok, const std::string& error) noexcept {
  if (!on_write_) return;
  try {
    on_write_(ok, error);
  } catch (...) {
  }
}

placement order_service::reject(const std::string& device_id, const protocol::order_submit& req, const std::string& fp,
                                const std::string& business_id, protocol::problem p, bool store_answer) {
  placement out;
  out.accepted = false;
  out.type = k_rejected;
  out.code = p.code;
  out.business_id = business_id;
  out.body = rejection_body(req.order_id, p);
  if (store_answer) {
    store_.answers().insert({req.order_id, device_id, k_rejected, out.body, fp, to_ms(clock_())});
    out.stored = true;
  }
  return out;
}

std::string order_service::accepted_body(const order_record& o) const {
  protocol::order_accepted acc;
  acc.order_id = o.id;
  acc.number = o.number;
  acc.state = order_state::pending_payment;  // as placed, whatever it is now
  acc.subtotal = {o.totals.subtotal, o.currency};
  acc.tax = {o.totals.tax, o.currency};
  acc.discount = {o.totals.discount, o.currency};
  acc.total = {o.totals.total, o.currency};
  acc.eta = protocol::format_rfc3339(from_ms(o.eta_ms));
  if (o.type == protocol::order_type::delivery) acc.delivery_fee = protocol::money{o.totals.delivery_fee, o.currency};
  if (!public_url_.empty()) acc.tracking_url = public_url_ + "/o/" + o.id;
  return protocol::to_json_text(acc);
}

std::optional<stored_answer> order_service::answer_for(const std::string& order_id) {
  if (auto a = store_.answers().find(order_id)) return a;
  auto o = store_.orders().find(order_id);
  if (!o || o->request_fp.empty()) return std::nullopt;
  return stored_answer{o->id, o->device_id, k_accepted, accepted_body(*o), o->request_fp, o->created_at_ms};
}

placement order_service::place(const std::string& device_id, const protocol::order_submit& req) {
  try {
    const auto now = clock_();
    const auto now_ms = to_ms(now);
    const std::string fp = request_fingerprint(req);
    auto tx = store_.begin();

    // 1. Dedupe on order_id.
    if (auto prev = answer_for(req.order_id)) {
      if (prev->device_id != device_id) {
        return reject(device_id, req, fp, {},
                      make_problem(code::order_conflict, "order_id already used by another device"), false);
      }
      if (prev->fingerprint != fp) {
        return reject(device_id, req, fp, {},
                      make_problem(code::order_conflict, "order_id already used for a different order"), false);
      }
      placement out;
      out.accepted = prev->type == k_accepted;
      out.duplicate = true;
      out.stored = true;
      out.type = prev->type;
      out.body = std::move(prev->body);
      if (!out.accepted) {
        // Recover the code for metrics; the body is replayed untouched.
        const auto j = nlohmann::json::parse(out.body, nullptr, false);
        if (j.is_object() && j.contains("code") && j["code"].is_string()) {
          protocol::from_string(j["code"].get<std::string>(), out.code);
        }
      }
      if (auto d = store_.devices().find(device_id)) out.business_id = d->business_id;
      return out;
    }

    // 2. The device is the identity: it must exist, be enabled and be able to order.
    const auto device = store_.devices().find(device_id);
    if (!device || !device->enabled) {
      return reject(device_id, req, fp, {}, make_problem(code::forbidden, "unknown or disabled device"), false);
    }
    if (device->mode == protocol::device_mode::board) {
      return reject(device_id, req, fp, device->business_id,
                    make_problem(code::forbidden, "board devices cannot place orders"), false);
    }
    const auto business = store_.businesses().find(device->business_id);
    if (!business) {
      return reject(device_id, req, fp, {}, make_problem(code::forbidden, "device has no business"), false);
    }
    const std::string& bid = business->id;
    auto rejected = [&](protocol::problem p) {
      auto out = reject(device_id, req, fp, bid, std::move(p), true);
      tx->commit();
      if (!in_batch_) wrote(true);  // in a batch: told after the batch's commit
      return out;
    };

    // 3. The store profile: order type, payment method, hours, table / address, pickup slot
    // (kh::hub::check_order, in the documented order). An offline order is checked at the time
    // the customer placed it (within the last 24 hours), not at its late arrival.
    const bool offline = !req.local_number.empty();
    std::chrono::system_clock::time_point placed = now;
    if (offline && !req.placed_at.empty()) {
      if (auto t = protocol::parse_rfc3339(req.placed_at);
          t && *t <= now + std::chrono::minutes(5) && *t >= now - std::chrono::hours(24)) {
        placed = *t;
      }
    }
    const std::string& zone = business->time_zone;
    shop_view& shop = shop_of(*business);
    if (!shop.profile) throw std::runtime_error("business without profile");
    const protocol::store_profile* prof = &*shop.profile;
    protocol::store_profile fixed_offset;
    if (zone.empty()) {
      // Rows from before migration 3: hours at the fixed UTC offset (no DST), as they were.
      if (!business->always_open && req.type != protocol::order_type::pickup &&
          !is_open_at(placed, business->utc_offset_minutes, store_.businesses().opening_hours(bid))) {
        return rejected(make_problem(code::business_closed, "the business is closed now"));
      }
      fixed_offset = *prof;
      fixed_offset.always_open = true;  // hours done above
      prof = &fixed_offset;
    }
    if (auto p = check_order(*prof, {req.type, req.payment, req.table, req.pickup_at, req.delivery_address, placed},
                             now)) {
      return rejected(std::move(*p));
    }

    // 4. Discount code.
    std::optional<discount_rule> discount;
    std::string discount_code;
    std::int64_t discount_min_order = 0;
    if (!req.discount_code.empty()) {
      const auto d = store_.catalog().find_discount(bid, req.discount_code);
      if (!d || !d->active) {
        return rejected(make_problem(code::invalid_discount, "unknown or inactive discount code",
                                     {{"discount_code", req.discount_code}}));
      }
      if ((d->valid_from_ms && now_ms < *d->valid_from_ms) || (d->valid_until_ms && now_ms >= *d->valid_until_ms)) {
        return rejected(make_problem(code::invalid_discount, "discount code not valid at this time",
                                     {{"discount_code", req.discount_code}, {"reason", "expired"}}));
      }
      if (d->max_uses && d->uses >= *d->max_uses) {
        return rejected(make_problem(code::invalid_discount, "discount code used up",
                                     {{"discount_code", req.discount_code}, {"reason", "used_up"}}));
      }
      discount = d->rule;
      discount_code = d->code;
      discount_min_order = d->min_order;
    }

    // 5. Products: known, active, enough stock for the summed quantity of each product.
    std::vector<wanted> totals;  // first-seen order, few lines: a linear scan beats a map
    for (const auto& l : req.lines) {
      auto it = std::find_if(totals.begin(), totals.end(), [&](const wanted& w) { return w.product_id == l.product_id; });
      if (it == totals.end()) {
        totals.push_back({l.product_id, l.qty});
      } else {
        it->qty += l.qty;
      }
    }
    std::vector<product_record> products;
    products.reserve(totals.size());
    for (const auto& w : totals) {
      auto p = store_.catalog().find_product(bid, w.product_id);
      if (!p) {
        return rejected(make_problem(code::unknown_product, "unknown product " + w.product_id,
                                     {{"product_id", w.product_id}}));
      }
      if (!p->active) {
        return rejected(make_problem(code::product_unavailable, p->name + " is not available",
                                     {{"product_id", w.product_id}}));
      }
      auto windows = shop.windows.find(w.product_id);
      if (windows == shop.windows.end())
        windows = shop.windows.emplace(w.product_id, store_.shop().availability(bid, w.product_id)).first;
      if (auto na = protocol::check_available(windows->second, w.product_id, p->name,
                                    prof->time_zone, protocol::availability_instant(req.type, req.pickup_at, placed))) {
        return rejected(std::move(*na));
      }
      // An offline order is accepted without stock (the goods were promised at the kiosk): it
      // takes what is left and is flagged stock_conflict below.
      if (p->stock && *p->stock < w.qty && !offline) {
        return rejected(make_problem(code::out_of_stock, p->name + " is out of stock",
                                     {{"product_id", w.product_id}, {"requested", w.qty}, {"available", *p->stock}}));
      }
      products.push_back(std::move(*p));
    }
    // A device may not take the shelf hostage with unpaid orders (they hold stock until expiry).
    if (hold_limit_ > 0) {
      std::int64_t tracked = 0;
      for (std::size_t i = 0; i < totals.size(); ++i) {
        if (products[i].stock) tracked += totals[i].qty;
      }
      if (tracked > 0) {
        const auto held = store_.orders().unpaid_units_held(device_id);
        if (held + tracked > hold_limit_) {
          return reject(device_id, req, fp, bid,
                        make_problem(code::hold_limit, "this device holds too much stock in unpaid orders; retry later",
                                     {{"held", held}, {"requested", tracked}, {"limit", hold_limit_}}),
                        false);
        }
      }
    }
    auto product_of = [&](const std::string& id) -> const product_record& {
      for (const auto& p : products) {
        if (p.id == id) return p;
      }
      throw std::logic_error("product vanished");  // unreachable: every line's product was loaded
    };
    // 5b. Options on every line (kh::protocol::price_options: the kiosk estimates with the same).
    std::vector<std::int64_t> unit_prices;
    order_details details;
    unit_prices.reserve(req.lines.size());
    {
      auto groups_for = [&](const std::string& pid) -> const std::vector<protocol::option_group>& {
        auto it = shop.groups.find(pid);
        if (it == shop.groups.end()) it = shop.groups.emplace(pid, store_.shop().option_groups(bid, pid)).first;
        return it->second;
      };
      int line_no = 0;
      for (const auto& l : req.lines) {
        ++line_no;
        const auto& p = product_of(l.product_id);
        const auto& groups = groups_for(l.product_id);
        auto unit = protocol::price_options(p.price, groups, l.options);
        if (!unit) {
          auto e = std::move(unit).error();
          e.details["product_id"] = p.id;
          e.details["line"] = line_no - 1;
          e.message = p.name + ": " + e.message;
          return rejected(std::move(e));
        }
        unit_prices.push_back(*unit);
        for (const auto& o : l.options) {
          for (const auto& g : groups) {
            if (g.id != o.group_id) continue;
            for (const auto& c : g.options) {
              if (c.id == o.option_id) {
                details.line_options[line_no].push_back({g.id, c.id, g.name, c.name, c.price_delta.amount});
              }
            }
          }
        }
      }
    }

    // 6. Price on the server.
    std::vector<priced_line> priced;
    priced.reserve(req.lines.size());
    for (std::size_t i = 0; i < req.lines.size(); ++i) priced.push_back({unit_prices[i], req.lines[i].qty});
    std::int64_t delivery_fee = 0;
    if (req.type == protocol::order_type::delivery) {
      if (const auto* offer = prof->offer(req.type)) delivery_fee = offer->fee.amount;
    }
    auto totals_r =
        price_order(priced, tax_rule{business->tax_rate_bp, business->tax_inclusive}, discount, delivery_fee);
    if (!totals_r) {
      // Not stored: corrupt prices are the hub's problem, not a final answer.
      spdlog::error("pricing failed for order {}: {}", req.order_id, totals_r.error().message);
      return reject(device_id, req, fp, bid, make_problem(code::internal, "pricing failed"), false);
    }
    if (auto p = check_minimum(*prof, req.type, totals_r->subtotal)) return rejected(std::move(*p));

    if (discount && totals_r->subtotal < discount_min_order) {
      return rejected(make_problem(code::invalid_discount, "order below the discount code's minimum",
                                   {{"discount_code", req.discount_code}, {"reason", "below_minimum"},
                                    {"min_order", discount_min_order}}));
    }
    // The use is counted with a conditional UPDATE in this transaction (as stock below): two
    // orders can never both take a code's last use.
    if (discount && !store_.catalog().take_discount_use(bid, discount_code)) {
      return rejected(make_problem(code::invalid_discount, "discount code used up",
                                   {{"discount_code", req.discount_code}, {"reason", "used_up"}}));
    }

    // 7. Take the stock. The conditional UPDATE is the guarantee against oversell; the check
    // above only gives the nicer answer. If it ever fails here, undo everything and store the
    // rejection on its own.
    bool stock_changed = false;
    for (const auto& w : totals) {
      const auto& p = product_of(w.product_id);
      // Untracked (stock NULL, read in this transaction, which has held the write lock since
      // BEGIN IMMEDIATE, so it cannot have changed): nothing to take, and skipping the UPDATE
      // keeps a products page out of the commit.
      if (!p.stock) continue;
      if (offline && *p.stock < w.qty) {
        // Documented exception: sold offline, stock ran out meanwhile. Take what is left (never
        // below zero) and flag the order for staff.
        store_.catalog().set_stock(bid, w.product_id, std::int64_t{0}, now_ms);
        details.stock_conflict = true;
        stock_changed = true;
        continue;
      }
      if (!store_.catalog().take_stock(bid, w.product_id, w.qty, now_ms)) {
        tx.reset();  // roll back the decrements so far
        tx = store_.begin();
        return rejected(make_problem(code::out_of_stock, p.name + " is out of stock",
                                     {{"product_id", w.product_id}, {"requested", w.qty}}));
      }
      stock_changed = true;
    }

    // 8. Number, ETA, write the order.
    order_record o;
    o.id = req.order_id;
    o.business_id = bid;
    o.device_id = device_id;
    o.day = business_day(*business, zone, now);
    // The business row's part of the order: its event seq, the queue counter, the day's number.
    const auto slot = events_->claim_new(bid, offline ? nullptr : &o.day, 1);
    if (offline) {
      // The kiosk's local number stays the order's number (ticket, board and dashboard agree);
      // the daily counter is not used.
      o.seq = 0;
      o.number = req.local_number;
    } else {
      o.seq = slot.order_seq != 0 ? slot.order_seq : store_.businesses().next_order_seq(bid, o.day);  // a new day
      o.number = format_order_number(o.seq);
    }
    o.type = req.type;
    o.payment = req.payment;
    o.state = order_state::pending_payment;
    o.currency = business->currency;
    o.totals = *totals_r;
    o.tax_rate_bp = business->tax_rate_bp;
    o.tax_inclusive = business->tax_inclusive;
    o.discount_code = discount_code;
    o.cust = req.cust;
    // ETA: base preparation time plus a fixed time per order already in the queue.
    o.eta_ms = now_ms + 1000 * (business->base_prep_seconds +
                                business->queue_seconds_per_order * business->active_orders);
    std::optional<std::int64_t> pickup_ms;
    if (!req.pickup_at.empty()) {
      if (auto t = protocol::parse_rfc3339(req.pickup_at)) pickup_ms = to_ms(*t);
    }
    if (req.type == protocol::order_type::pickup && pickup_ms) o.eta_ms = std::max(o.eta_ms, *pickup_ms);
    o.created_at_ms = now_ms;
    o.updated_at_ms = now_ms;
    o.request_fp = fp;  // the answer lives in the row (answer_for)
    int line_no = 0;
    for (const auto& l : req.lines) {
      const auto& p = product_of(l.product_id);
      const auto unit = unit_prices[static_cast<std::size_t>(line_no)];
      o.lines.push_back({++line_no, p.id, p.sku, p.name, unit, l.qty, unit * l.qty, l.note, p.stock.has_value()});
    }
    store_.orders().insert(o);
    if (req.type == protocol::order_type::eat_in) details.table = req.table;
    if (req.type == protocol::order_type::delivery) details.delivery_address = req.delivery_address;
    if (req.type == protocol::order_type::pickup) details.pickup_at_ms = pickup_ms;
    details.offline = offline;
    if (offline) details.placed_at_ms = to_ms(placed);
    if (!details.empty()) store_.shop().insert_order_details(o.id, details);
    // The creation step of the history is the orders row itself (schema v15: the order_history
    // view), not a row of its own.
    const std::string actor = "device:" + device_id;

    // The new_order notification (notification_outbox.payload), written as text: a JSON object
    // built for one dump() cost as much as the order's insert.
    std::string note;
    note.reserve(256);
    note += "{\"device_id\":";
    note += protocol::json_quote(device_id);
    note += ",\"number\":";
    note += protocol::json_quote(o.number);
    note += ",\"order_id\":";
    note += protocol::json_quote(o.id);
    note += ",\"order_type\":\"";
    note += protocol::to_string(o.type);
    note += "\"";
    if (details.stock_conflict) note += ",\"stock_conflict\":true";
    note += ",\"total\":{\"amount\":";
    note += std::to_string(o.totals.total);
    note += ",\"currency\":";
    note += protocol::json_quote(o.currency);
    note += "}}";
    store_.outbox().enqueue({0, bid, o.id, "new_order", std::move(note), now_ms, now_ms, 0});

    placement out;
    out.accepted = true;
    out.stored = true;
    out.type = k_accepted;
    out.body = accepted_body(o);
    out.business_id = bid;
    // The new order's event: the seq claimed above, stored in this transaction, built from what
    // is in hand (no read back).
    out.status = events_->append_new(o, details, actor, now_ms, slot.event_seq, out.status_body);
    out.stock_changed = stock_changed;
    out.stock_conflict = details.stock_conflict;
    tx->commit();
    if (!in_batch_) wrote(true);
    return out;
  } catch (const std::exception& e) {
    spdlog::error("order {} from {} failed: {}", req.order_id, device_id, e.what());
    wrote(false, e.what());
    placement out;
    out.type = k_rejected;
    out.code = code::internal;
    out.body = rejection_body(req.order_id, make_problem(code::internal, "the hub could not store the order; retry"));
    return out;
  }
}

protocol::result<transition_outcome> order_service::transition(const std::string& order_id, order_state to,
                                                               const std::string& actor, const std::string& reason,
                                                               bool restock) {
  try {
    const auto now_ms = to_ms(clock_());
    auto tx = store_.begin();
    auto o = store_.orders().find_with_lines(order_id);
    if (!o) return make_problem(code::unknown_order, "unknown order " + order_id);
    if (!can_transition(o->state, to, o->type)) {
      if (o->state == order_state::collected) {
        return make_problem(code::already_collected, "the order was collected already",
                            {{"from", protocol::to_string(o->state)}, {"to", protocol::to_string(to)}});
      }
      return make_problem(code::invalid_transition, std::string("an order cannot go from ") + protocol::to_string(o->state) +
                                               " to " + protocol::to_string(to),
                          {{"from", protocol::to_string(o->state)}, {"to", protocol::to_string(to)}});
    }
    const order_state from = o->state;
    store_.orders().set_state(order_id, to, now_ms);
    store_.orders().add_history(order_id, {from, to, actor, reason, now_ms});
    if (is_queued(from) && !is_queued(to)) store_.businesses().add_active_orders(o->business_id, -1);

    transition_outcome out;
    out.business_id = o->business_id;
    out.device_id = o->device_id;
    // Stock goes back when a pending order is cancelled (the goods never left), and on a refund
    // only when the caller says the goods are back on the shelf.
    if ((to == order_state::cancelled && from == order_state::pending_payment) ||
        (to == order_state::refunded && restock)) {
      for (const auto& l : o->lines) {
        if (!l.stock_tracked) continue;
        store_.catalog().return_stock(o->business_id, l.product_id, l.qty, now_ms);
        out.stock_changed = true;
      }
    }
    // A cancelled order never happened for the discount's usage limit: its use goes back.
    if (to == order_state::cancelled && !o->discount_code.empty()) {
      sqlite_connection(store_)
          .prepare("UPDATE discount_codes SET uses = uses - 1 WHERE business_id = ? AND code = ? AND uses > 0")
          .bind(1, o->business_id)
          .bind(2, o->discount_code)
          .run();
    }
    // The event (next seq of the business) in the same transaction; published after the commit.
    out.status = events_->append(order_id, from, actor, now_ms);
    tx->commit();
    wrote(true);
    return out;
  } catch (const std::exception& e) {
    spdlog::error("transition of order {} failed: {}", order_id, e.what());
    wrote(false, e.what());
    return make_problem(code::internal, "the hub could not store the change");
  }
}

std::vector<transition_outcome> order_service::expire_unpaid(std::chrono::minutes older_than, int limit) {
  std::vector<transition_outcome> out;
  std::vector<std::string> ids;
  try {
    const auto cutoff = to_ms(clock_() - older_than);
    ids = store_.orders().in_state_before(order_state::pending_payment, cutoff, limit);
  } catch (const std::exception& e) {
    spdlog::error("expiry scan failed: {}", e.what());
    return out;
  }
  const std::string reason = "unpaid after " + std::to_string(older_than.count()) + " min";
  for (const auto& id : ids) {
    auto r = transition(id, order_state::cancelled, "system:expiry", reason);
    if (r) out.push_back(std::move(*r));
  }
  return out;
}

}  // namespace kh::hub
