#include "kh/kiosk/core/shop.hpp"

#include "kh/protocol/cart_code.hpp"

#include <algorithm>
#include <charconv>

namespace kh::kiosk::shop {

const char* to_string(screen s) noexcept {
  switch (s) {
    case screen::attract: return "attract";
    case screen::menu: return "menu";
    case screen::product: return "product";
    case screen::cart: return "cart";
    case screen::order_type: return "order_type";
    case screen::payment: return "payment";
    case screen::processing: return "processing";
    case screen::confirmation: return "confirmation";
    case screen::rating: return "rating";
    case screen::still_there: return "still_there";
    case screen::staff_pin: return "staff_pin";
    case screen::maintenance: return "maintenance";
  }
  return "?";
}

const char* to_string(cart_quote::source s) noexcept {
  switch (s) {
    case cart_quote::source::none: return "none";
    case cart_quote::source::estimate: return "estimate";
    case cart_quote::source::hub: return "hub";
  }
  return "?";
}

namespace {

const char* kind_word(action_kind k) {
  switch (k) {
    case action_kind::start: return "start";
    case action_kind::category: return "category";
    case action_kind::open_product: return "product";
    case action_kind::back: return "back";
    case action_kind::qty_plus: return "qty+";
    case action_kind::qty_minus: return "qty-";
    case action_kind::edit_note: return "note";
    case action_kind::add_to_cart: return "add";
    case action_kind::option: return "option";
    case action_kind::open_cart: return "cart";
    case action_kind::line_plus: return "line+";
    case action_kind::line_minus: return "line-";
    case action_kind::line_remove: return "remove";
    case action_kind::checkout: return "checkout";
    case action_kind::order_type: return "type";
    case action_kind::pickup_slot: return "slot";
    case action_kind::edit_table: return "table";
    case action_kind::edit_address: return "address";
    case action_kind::continue_: return "continue";
    case action_kind::pay: return "pay";
    case action_kind::new_order: return "done";
    case action_kind::rate: return "rate";
    case action_kind::skip_rating: return "skip";
    case action_kind::still_here: return "still-here";
    case action_kind::language: return "lang";
    case action_kind::toggle_contrast: return "contrast";
    case action_kind::toggle_reach: return "reach";
    case action_kind::key: return "key";
    case action_kind::key_backspace: return "backspace";
    case action_kind::key_done: return "key-done";
    case action_kind::staff_corner: return "staff";
    case action_kind::pin_digit: return "pin";
    case action_kind::pin_clear: return "pin-clear";
    case action_kind::pin_cancel: return "pin-cancel";
    case action_kind::test_print: return "test-print";
    case action_kind::reprint_last: return "reprint";
    case action_kind::exit_staff: return "exit-staff";
    case action_kind::quit_app: return "quit";
    case action_kind::page_next: return "page-next";
    case action_kind::page_prev: return "page-prev";
  }
  return "?";
}

void estimate(state& s);  // below, with the quote rules

void go(state& s, screen to, std::int64_t now) {
  if (s.current != to) s.page = 0;
  s.current = to;
  s.screen_since_ms = now;
  s.notice.clear();
  s.editing = text_field::none;
}

void reset_session(state& s, std::int64_t now) {
  s.cart.clear();
  s.draft = {};
  s.table.clear();
  s.address.clear();
  s.pickup_slot.clear();
  s.discount_code.clear();
  s.order_id.clear();
  s.number.clear();
  s.local_number = false;
  s.eta.clear();
  s.tracking_url.clear();
  s.reject_code.clear();
  s.ticket_failed = false;
  s.rating = 0;
  s.category_id.clear();
  s.type = s.types_offered.empty() ? protocol::order_type::takeaway : s.types_offered.front();
  go(s, screen::attract, now);
}

std::optional<int> to_int(std::string_view v) {
  int out = 0;
  auto r = std::from_chars(v.data(), v.data() + v.size(), out);
  if (r.ec != std::errc{} || r.ptr != v.data() + v.size()) return std::nullopt;
  return out;
}

bool offered(const state& s, protocol::payment_method m) {
  if (!s.online && m != protocol::payment_method::cash) return false;  // offline: counter only
  return std::find(s.payments_offered.begin(), s.payments_offered.end(), m) !=
         s.payments_offered.end();
}

bool type_offered(const state& s, protocol::order_type t) {
  return std::find(s.types_offered.begin(), s.types_offered.end(), t) != s.types_offered.end();
}

void open_product(state& s, const protocol::product& p, std::int64_t now) {
  s.draft = product_draft{p.id, 1, {}, {}};
  // Start from the store's preselected choices ("default" on the wire): fewer taps for the usual.
  for (const auto& g : p.option_groups)
    for (const auto& c : g.options)
      if (c.preselected && c.available) s.draft.options.push_back({g.id, c.id});
  go(s, screen::product, now);
}

// Adds a product by a scanned SKU or id; true when added.
bool add_scanned(state& s, std::string_view code, int qty) {
  if (!s.catalog) return false;
  const auto* p = s.catalog->find_sku(code);
  if (p == nullptr) p = s.catalog->find_id(code);
  if (p == nullptr || !s.catalog->orderable(*p)) return false;
  return s.cart.add(*p, qty).ok();
}

void handle_key(state& s, const std::string& text) {
  std::string* field = nullptr;
  std::size_t max = 0;
  switch (s.editing) {
    case text_field::note: field = &s.draft.note; max = protocol::limits::max_note; break;
    case text_field::table: field = &s.table; max = 8; break;
    case text_field::address: field = &s.address; max = 200; break;
    case text_field::none: return;
  }
  // Count code points, not bytes: the protocol's note limit is in characters.
  auto cps = [](const std::string& x) {
    return static_cast<std::size_t>(
        std::count_if(x.begin(), x.end(), [](char c) { return (c & 0xC0) != 0x80; }));
  };
  for (char c : text)
    if (static_cast<unsigned char>(c) < 0x20) return;  // no control characters
  if (s.editing == text_field::table)
    for (char c : text)
      if (c < '0' || c > '9') return;  // table numbers are digits
  if (cps(*field) + cps(text) > max) return;
  *field += text;
}

void backspace(std::string& f) {
  while (!f.empty()) {
    const char c = f.back();
    f.pop_back();
    if ((c & 0xC0) != 0x80) break;  // removed a whole UTF-8 character
  }
}

std::vector<effect> on_tap(state& s, const action& a, std::int64_t now, const timings& t) {
  std::vector<effect> out;
  s.pressed_id = action_id(a);
  s.pressed_ms = now;
  // Settings that work on every screen.
  switch (a.kind) {
    case action_kind::language:
      if (std::find(s.languages.begin(), s.languages.end(), a.arg) != s.languages.end() &&
          s.language != a.arg) {
        s.language = a.arg;
        out.push_back(effects::language_changed{a.arg});
      }
      return out;
    case action_kind::toggle_contrast: s.high_contrast = !s.high_contrast; return out;
    case action_kind::toggle_reach: s.reach = !s.reach; return out;
    case action_kind::page_next: ++s.page; return out;  // the view clamps to the last page
    case action_kind::page_prev: s.page = std::max(0, s.page - 1); return out;
    default: break;
  }
  // The keyboard, when open, takes its keys on any screen that has one.
  if (s.editing != text_field::none) {
    switch (a.kind) {
      case action_kind::key: handle_key(s, a.arg == "space" ? std::string(" ") : a.arg); return out;
      case action_kind::key_backspace:
        if (s.editing == text_field::note) backspace(s.draft.note);
        if (s.editing == text_field::table) backspace(s.table);
        if (s.editing == text_field::address) backspace(s.address);
        return out;
      case action_kind::key_done: s.editing = text_field::none; return out;
      default: return out;  // everything else is under the keyboard
    }
  }

  switch (s.current) {
    case screen::attract:
      if (a.kind == action_kind::start) {
        go(s, screen::menu, now);
      } else if (a.kind == action_kind::staff_corner) {
        if (s.staff_taps == 0 || now - s.staff_first_tap_ms > t.staff_gesture_ms) {
          s.staff_taps = 0;
          s.staff_first_tap_ms = now;
        }
        if (++s.staff_taps >= t.staff_taps) {
          s.staff_taps = 0;
          s.pin.clear();
          go(s, screen::staff_pin, now);
        }
      }
      break;
    case screen::menu:
      if (a.kind == action_kind::category) {
        s.category_id = a.arg;
        s.page = 0;
      } else if (a.kind == action_kind::open_product && s.catalog) {
        const auto* p = s.catalog->find_id(a.arg);
        if (p != nullptr && s.catalog->orderable(*p)) open_product(s, *p, now);
      } else if (a.kind == action_kind::open_cart && !s.cart.empty()) {
        go(s, screen::cart, now);
      } else if (a.kind == action_kind::back) {
        reset_session(s, now);
      }
      break;
    case screen::product: {
      const protocol::product* p = s.catalog ? s.catalog->find_id(s.draft.product_id) : nullptr;
      if (a.kind == action_kind::back || p == nullptr) {
        go(s, screen::menu, now);
      } else if (a.kind == action_kind::qty_plus) {
        s.draft.qty = std::min(s.draft.qty + 1, protocol::limits::max_qty);
      } else if (a.kind == action_kind::qty_minus) {
        s.draft.qty = std::max(s.draft.qty - 1, protocol::limits::min_qty);
      } else if (a.kind == action_kind::edit_note) {
        s.editing = text_field::note;
      } else if (a.kind == action_kind::option) {
        const auto slash = a.arg.find('/');
        if (slash == std::string::npos) break;
        const protocol::line_option pick{a.arg.substr(0, slash), a.arg.substr(slash + 1)};
        auto g = std::find_if(p->option_groups.begin(), p->option_groups.end(),
                              [&](const protocol::option_group& x) { return x.id == pick.group_id; });
        if (g == p->option_groups.end()) break;
        auto c = std::find_if(g->options.begin(), g->options.end(),
                              [&](const protocol::option_choice& x) { return x.id == pick.option_id; });
        if (c == g->options.end() || !c->available) break;
        auto& opts = s.draft.options;
        auto it = std::find(opts.begin(), opts.end(), pick);
        if (it != opts.end()) {
          // A required single choice stays chosen: tapping it again does not empty the group.
          if (!(g->max_choices == 1 && g->min_choices >= 1)) opts.erase(it);
          break;
        }
        const auto in_group = [&](const protocol::line_option& o) { return o.group_id == g->id; };
        const auto chosen = std::count_if(opts.begin(), opts.end(), in_group);
        if (g->max_choices == 1) {
          opts.erase(std::remove_if(opts.begin(), opts.end(), in_group), opts.end());
        } else if (chosen >= g->max_choices) {
          s.notice = "notice.max_choices";
          break;
        }
        opts.push_back(pick);
      } else if (a.kind == action_kind::add_to_cart) {
        if (!draft_complete(s)) {
          s.notice = "notice.choose_options";
          break;
        }
        if (s.cart.add(*p, s.draft.qty, s.draft.note, s.draft.options).ok()) {
          s.cart_changed_ms = now;
          go(s, screen::menu, now);
        } else {
          s.notice = "notice.cart_limit";
        }
      }
      break;
    }
    case screen::cart: {
      const auto idx = to_int(a.arg);
      if (a.kind == action_kind::back) {
        go(s, screen::menu, now);
      } else if ((a.kind == action_kind::line_plus || a.kind == action_kind::line_minus ||
                  a.kind == action_kind::line_remove) &&
                 idx && *idx >= 0 && static_cast<std::size_t>(*idx) < s.cart.lines().size()) {
        const auto i = static_cast<std::size_t>(*idx);
        const int q = s.cart.lines()[i].qty;
        if (a.kind == action_kind::line_plus && q < protocol::limits::max_qty)
          (void)s.cart.set_qty(i, q + 1);
        if (a.kind == action_kind::line_minus) (void)s.cart.set_qty(i, q - 1);
        if (a.kind == action_kind::line_remove) (void)s.cart.set_qty(i, 0);
        s.cart_changed_ms = now;
        if (s.cart.empty()) go(s, screen::menu, now);
      } else if (a.kind == action_kind::checkout && !s.cart.empty()) {
        // The estimate again at checkout: a window may have closed since the cart last changed.
        if (s.quote.from == cart_quote::source::estimate) estimate(s);
        if (cart_has_problems(s)) {
          s.notice = "notice.fix_cart";
          break;
        }
        if (!type_offered(s, s.type) && !s.types_offered.empty()) s.type = s.types_offered.front();
        go(s, screen::order_type, now);
      }
      break;
    }
    case screen::order_type: {
      protocol::order_type ty{};
      if (a.kind == action_kind::back) {
        go(s, screen::cart, now);
      } else if (a.kind == action_kind::order_type && protocol::from_string(a.arg, ty) &&
                 type_offered(s, ty)) {
        s.type = ty;
        s.notice.clear();
      } else if (a.kind == action_kind::pickup_slot &&
                 std::find(s.pickup_slots.begin(), s.pickup_slots.end(), a.arg) !=
                     s.pickup_slots.end()) {
        s.pickup_slot = a.arg;
      } else if (a.kind == action_kind::edit_table && s.type == protocol::order_type::eat_in) {
        s.editing = text_field::table;
      } else if (a.kind == action_kind::edit_address && s.type == protocol::order_type::delivery) {
        s.editing = text_field::address;
      } else if (a.kind == action_kind::continue_) {
        // Each order type needs its one detail before payment.
        if (s.type == protocol::order_type::eat_in && s.table.empty()) {
          s.notice = "notice.need_table";
        } else if (s.type == protocol::order_type::pickup && s.pickup_slot.empty()) {
          s.notice = "notice.need_slot";
        } else if (s.type == protocol::order_type::delivery && s.address.size() < 5) {
          s.notice = "notice.need_address";
        } else {
          go(s, screen::payment, now);
        }
      }
      break;
    }
    case screen::payment: {
      protocol::payment_method m{};
      if (a.kind == action_kind::back) {
        go(s, screen::order_type, now);
      } else if (a.kind == action_kind::pay && protocol::from_string(a.arg, m) && offered(s, m)) {
        s.order_id.clear();
        s.number.clear();
        s.reject_code.clear();
        s.ticket_failed = false;
        s.total = s.quote.from == cart_quote::source::hub && s.quote.rev == s.cart_rev
                      ? s.quote.q.total
                      : s.cart.estimated_total();
        go(s, screen::processing, now);
        out.push_back(effects::submit{s.type, m, s.table, s.address, s.pickup_slot, s.discount_code});
      }
      break;
    }
    case screen::processing:
      // Only a refused order offers a way back (to the cart, which is kept).
      if (a.kind == action_kind::back && !s.reject_code.empty()) go(s, screen::cart, now);
      break;
    case screen::confirmation:
      if (a.kind == action_kind::new_order) go(s, screen::rating, now);
      break;
    case screen::rating:
      if (a.kind == action_kind::rate) {
        const auto r = to_int(a.arg);
        if (r && *r >= 1 && *r <= 5) {
          s.rating = *r;
          if (!s.order_id.empty()) out.push_back(effects::feedback{s.order_id, *r});
          reset_session(s, now);
        }
      } else if (a.kind == action_kind::skip_rating) {
        reset_session(s, now);
      }
      break;
    case screen::still_there:
      if (a.kind == action_kind::still_here) go(s, s.before_idle, now);
      break;
    case screen::staff_pin:
      if (a.kind == action_kind::pin_digit && a.arg.size() == 1 && a.arg[0] >= '0' &&
          a.arg[0] <= '9' && s.pin.size() < 12 && !s.pin_checking) {
        s.pin += a.arg;
      } else if (a.kind == action_kind::pin_clear) {
        s.pin.clear();
      } else if (a.kind == action_kind::pin_cancel) {
        s.pin.clear();
        go(s, screen::attract, now);
      } else if (a.kind == action_kind::key_done && !s.pin.empty() && !s.pin_checking) {
        s.pin_checking = true;
        out.push_back(effects::verify_pin{s.pin});
      }
      break;
    case screen::maintenance:
      if (a.kind == action_kind::test_print) out.push_back(effects::print_test{});
      if (a.kind == action_kind::reprint_last && !s.last_printed_order.empty())
        out.push_back(effects::reprint{s.last_printed_order});
      if (a.kind == action_kind::exit_staff) reset_session(s, now);
      if (a.kind == action_kind::quit_app) out.push_back(effects::quit{});
      break;
  }
  return out;
}

bool parse_cart_qr(state& s, std::string_view text) {
  // khc:1 / khc:2 cart codes: protocol's decoder (docs/protocol.md, "Codes the kiosk scans").
  const auto lines = protocol::decode_cart_code(text);
  if (!lines || !s.catalog) return false;
  kiosk::cart next;
  for (const auto& l : *lines) {
    const auto* p = s.catalog->find_id(l.product_id);
    if (p == nullptr || !s.catalog->orderable(*p) || !next.add(*p, l.qty, {}, l.options).ok()) return false;
  }
  s.cart = std::move(next);  // all or nothing: a bad cart code changes nothing
  return true;
}

}  // namespace

std::string action_id(const action& a) {
  std::string id = kind_word(a.kind);
  if (!a.arg.empty()) id += ":" + a.arg;
  return id;
}

namespace {
const protocol::product* draft_product(const state& s) {
  return s.catalog ? s.catalog->find_id(s.draft.product_id) : nullptr;
}
}  // namespace

protocol::money draft_unit_price(const state& s) {
  const auto* p = draft_product(s);
  if (p == nullptr) return {};
  const auto unit = protocol::price_options(p->price.amount, p->option_groups, s.draft.options);
  return {unit ? *unit : p->price.amount, p->price.currency};
}

bool draft_complete(const state& s) {
  const auto* p = draft_product(s);
  return p != nullptr &&
         protocol::price_options(p->price.amount, p->option_groups, s.draft.options).operator bool();
}

bool idle_due(const state& s, std::int64_t now, const timings& t) {
  switch (s.current) {
    case screen::attract:
    case screen::processing:
    case screen::still_there:
    case screen::confirmation:
    case screen::rating:
      return false;
    default:
      return now - s.last_input_ms >= t.idle_ms;
  }
}

protocol::order_quote quote_request(const state& s) {
  protocol::order_quote q;
  q.type = s.type;
  q.lines = s.cart.order_lines();
  q.discount_code = s.discount_code;
  return q;
}

bool cart_has_problems(const state& s) {
  if (s.quote.rev != s.cart_rev || s.quote.from == cart_quote::source::none) return false;
  return std::any_of(s.quote.q.lines.begin(), s.quote.q.lines.end(),
                     [](const protocol::quoted_line& l) { return !l.problems.empty(); });
}

namespace {

// What the prices depend on; a change bumps cart_rev.
std::string pricing_key(const state& s) {
  std::string k = std::to_string(s.catalog ? s.catalog->version() : -1);
  k += '|';
  k += protocol::to_string(s.type);
  k += '|' + s.discount_code + '|' + s.pickup_slot + '|';
  for (const auto& l : s.cart.lines()) {
    k += l.product_id + '*' + std::to_string(l.qty);
    for (const auto& o : l.options) k += ';' + o.group_id + '/' + o.option_id;
    k += ',';
  }
  return k;
}

void estimate(state& s) {
  s.quote = {};
  if (s.cart.empty() || !s.catalog) return;
  s.quote.from = cart_quote::source::estimate;
  // At the catalog's wall clock: a line outside its product's availability window gets
  // not_available_now here too, so an offline order is held as the hub would refuse it.
  s.quote.q = protocol::quote_cart(s.catalog->catalog(), quote_request(s), std::nullopt, s.catalog->now());
  s.quote.rev = s.cart_rev;
}

// After every event: re-estimate on a change, and ask the hub when the changes have settled.
void refresh_quote(state& s, std::int64_t now, const timings& t, std::vector<effect>& out) {
  if (auto key = pricing_key(s); key != s.quote_key) {
    s.quote_key = std::move(key);
    ++s.cart_rev;
    estimate(s);
    s.quote_wanted = !s.cart.empty();
    s.quote_due_ms = now + t.quote_delay_ms;
  }
  if (!s.quote_in_flight.empty() && now - s.quote_sent_ms >= t.quote_timeout_ms) {
    s.quote_in_flight.clear();  // no answer: let the next tick ask again
    if (s.quote.from != cart_quote::source::hub) s.quote_wanted = !s.cart.empty();
  }
  if (s.quote_wanted && s.online && s.quote_in_flight.empty() && !s.cart.empty() && s.catalog &&
      now >= s.quote_due_ms) {
    s.quote_wanted = false;
    s.quote_in_flight = "-";  // until events::quote_sent names it
    s.quote_in_flight_rev = s.cart_rev;
    s.quote_sent_ms = now;
    out.push_back(effects::send_quote{quote_request(s)});
  }
}

std::vector<effect> step_event(state& s, const event& e, std::int64_t now, const timings& t);

}  // namespace

std::vector<effect> step(state& s, const event& e, std::int64_t now, const timings& t) {
  auto out = step_event(s, e, now, t);
  refresh_quote(s, now, t, out);
  return out;
}

namespace {

std::vector<effect> step_event(state& s, const event& e, std::int64_t now, const timings& t) {
  std::vector<effect> out;
  if (const auto* tp = std::get_if<events::tap>(&e)) {
    s.last_input_ms = now;
    return on_tap(s, tp->what, now, t);
  }
  if (const auto* tx = std::get_if<events::text>(&e)) {
    s.last_input_ms = now;
    if (s.current == screen::staff_pin) {
      for (char c : tx->utf8)
        if (c >= '0' && c <= '9' && s.pin.size() < 12) s.pin += c;
    } else {
      handle_key(s, tx->utf8);
    }
    return out;
  }
  if (const auto* sc = std::get_if<events::scan>(&e)) {
    s.last_input_ms = now;
    // Scans count on the shopping screens only (not while paying or on staff screens).
    const bool shopping = s.current == screen::attract || s.current == screen::menu ||
                          s.current == screen::product || s.current == screen::cart;
    if (!shopping) return out;
    if (sc->text.rfind("khd:", 0) == 0) {
      const std::string code = sc->text.substr(4);
      if (!code.empty() && code.size() <= protocol::limits::max_discount_code) {
        s.discount_code = code;
        if (s.current == screen::attract) go(s, screen::menu, now);
        s.notice = "notice.discount_applied";
      }
      return out;
    }
    if (sc->text.rfind("khc:", 0) == 0) {
      const bool ok = parse_cart_qr(s, sc->text);
      if (ok) {
        s.cart_changed_ms = now;
        go(s, screen::cart, now);
      } else {
        s.notice = "notice.bad_code";
      }
      return out;
    }
    if (add_scanned(s, sc->text, 1)) {
      s.cart_changed_ms = now;
      if (s.current == screen::attract || s.current == screen::product) go(s, screen::menu, now);
      s.notice = "notice.added";
    } else {
      s.notice = "notice.unknown_code";
    }
    return out;
  }
  if (std::holds_alternative<events::tick>(e)) {
    if (s.current == screen::still_there) {
      if (now - s.screen_since_ms >= t.still_there_ms) reset_session(s, now);
    } else if (idle_due(s, now, t)) {
      s.before_idle = s.current;
      const auto editing = s.editing;
      go(s, screen::still_there, now);
      (void)editing;
    } else if (s.current == screen::confirmation && now - s.screen_since_ms >= t.confirmation_ms) {
      go(s, screen::rating, now);
    } else if (s.current == screen::rating && now - s.screen_since_ms >= t.rating_ms) {
      reset_session(s, now);
    } else if (s.current == screen::processing && s.number.empty() && s.reject_code.empty() &&
               !s.order_id.empty() && now - s.screen_since_ms >= t.processing_timeout_ms) {
      // No answer in time: treat the hub as unreachable; the caller gives the local number.
      s.online = false;
    }
    return out;
  }
  if (const auto* c = std::get_if<events::catalog>(&e)) {
    s.catalog = c->view;
    // A product opened on the product screen may have gone: back to the menu.
    if (s.current == screen::product &&
        (!s.catalog || s.catalog->find_id(s.draft.product_id) == nullptr ||
         !s.catalog->orderable(*s.catalog->find_id(s.draft.product_id)))) {
      go(s, screen::menu, now);
      s.notice = "notice.sold_out";
    }
    return out;
  }
  if (const auto* c = std::get_if<events::connection>(&e)) {
    s.online = c->online;
    if (!s.online) {
      // Offline: the estimate again (the hub's prices may be stale by the time it is back).
      s.quote_in_flight.clear();
      if (s.quote.from == cart_quote::source::hub) estimate(s);
    }
    if (s.quote.from != cart_quote::source::hub && !s.cart.empty()) {
      s.quote_wanted = true;
      s.quote_due_ms = now;
    }
    return out;
  }
  if (const auto* q = std::get_if<events::quote_sent>(&e)) {
    if (q->rev == s.quote_in_flight_rev && s.quote_in_flight == "-") {
      s.quote_in_flight = q->quote_id;
      if (q->quote_id.empty()) s.quote_wanted = true;  // could not send: try again later
    }
    return out;
  }
  if (const auto* q = std::get_if<events::quoted>(&e)) {
    if (s.quote_in_flight.empty() || q->q.quote_id != s.quote_in_flight) return out;  // not ours / old
    s.quote_in_flight.clear();
    if (s.quote_in_flight_rev != s.cart_rev || !s.online) return out;  // the cart moved on
    s.quote.from = cart_quote::source::hub;
    s.quote.q = q->q;
    s.quote.rev = s.cart_rev;
    return out;
  }
  if (const auto* q = std::get_if<events::queued>(&e)) {
    if (s.current == screen::processing) s.order_id = q->order_id;
    return out;
  }
  if (const auto* f = std::get_if<events::submit_failed>(&e)) {
    if (s.current == screen::processing) s.reject_code = f->code;
    return out;
  }
  if (const auto* a = std::get_if<events::accepted>(&e)) {
    if (a->order_id != s.order_id) return out;  // an old order's late answer
    const bool first = s.number.empty();
    s.number = a->number;
    s.local_number = false;
    s.eta = a->eta;
    s.tracking_url = a->tracking_url;
    s.total = a->total;
    if (s.current == screen::processing) {
      go(s, screen::confirmation, now);
      if (first) out.push_back(effects::print_order{s.order_id});
    }
    return out;
  }
  if (const auto* l = std::get_if<events::local_number>(&e)) {
    if (l->order_id != s.order_id || !s.number.empty()) return out;
    s.number = l->number;
    s.local_number = true;
    if (s.current == screen::processing) {
      go(s, screen::confirmation, now);
      out.push_back(effects::print_order{s.order_id});
    }
    return out;
  }
  if (const auto* r = std::get_if<events::rejected>(&e)) {
    if (r->order_id != s.order_id || s.current != screen::processing) return out;
    s.reject_code = r->code.empty() ? "rejected" : r->code;
    return out;
  }
  if (const auto* p = std::get_if<events::printed>(&e)) {
    s.printer = p->printer;
    if (!p->order_id.empty()) {
      if (p->ok) s.last_printed_order = p->order_id;
      if (p->order_id == s.order_id) s.ticket_failed = !p->ok;
    }
    return out;
  }
  if (const auto* p = std::get_if<events::pin_result>(&e)) {
    if (s.current != screen::staff_pin) return out;
    s.pin_checking = false;
    s.pin.clear();
    if (p->ok) {
      s.pin_failures = 0;
      go(s, screen::maintenance, now);
    } else {
      ++s.pin_failures;
      s.notice = "notice.wrong_pin";
    }
    return out;
  }
  return out;
}

}  // namespace

}  // namespace kh::kiosk::shop
