#pragma once
// The shop mode's customer journey as a pure state machine: events in (a tap on an action, typed
// text, a scanned code, a clock tick, a catalog, the connection, the hub's answer, a print result),
// next state out plus the effects the caller must run (submit, print, verify a PIN). No SDL, no
// MQTT, no SQL, no clock of its own: every time is passed in as milliseconds, so tests drive idle
// timers and animations exactly.
//
//   attract → menu ⇄ product → cart → order_type → payment → processing → confirmation → rating
//   → attract;  any screen → still_there (idle) → attract;  attract (staff gesture) → staff_pin →
//   maintenance.

#include <array>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

#include "kh/kiosk/core/cart.hpp"
#include "kh/kiosk/core/catalog_view.hpp"
#include "kh/protocol/messages.hpp"
#include "kh/protocol/pricing.hpp"

namespace kh::kiosk::shop {

enum class screen {
  attract,
  menu,
  product,
  cart,
  order_type,
  payment,
  processing,
  confirmation,
  rating,
  still_there,
  staff_pin,
  maintenance,
};
/// "attract", "menu", … (the control socket's `state.screen`).
const char* to_string(screen s) noexcept;

/// What a touch target does. `arg` carries the product, category, line index, language, digit….
enum class action_kind {
  start,          ///< attract: "Touch to order"
  category,       ///< menu: select category `arg`
  open_product,   ///< menu: product `arg`
  back,           ///< one screen back
  qty_plus,       ///< product: +1
  qty_minus,      ///< product: −1
  edit_note,      ///< product: open the keyboard for the note
  add_to_cart,    ///< product: add the draft
  option,         ///< product: toggle option `arg` ("group/choice")
  open_cart,      ///< menu's cart bar
  line_plus,      ///< cart: line `arg` +1
  line_minus,     ///< cart: line `arg` −1 (removes at 0)
  line_remove,    ///< cart: remove line `arg`
  checkout,       ///< cart → order type
  order_type,     ///< order_type: choose `arg` (eat_in, takeaway, pickup, delivery)
  pickup_slot,    ///< order_type: slot `arg` ("HH:MM")
  edit_table,     ///< order_type: keyboard for the table number
  edit_address,   ///< order_type: keyboard for the delivery address
  continue_,      ///< order_type → payment
  pay,            ///< payment: method `arg` (cash, card_present, wallet)
  new_order,      ///< confirmation → rating
  rate,           ///< rating: `arg` 1..5
  skip_rating,    ///< rating → attract
  still_here,     ///< still_there: keep the session
  language,       ///< any: switch to language `arg`
  toggle_contrast,///< any: high contrast on/off
  toggle_reach,   ///< any: reach mode on/off
  key,            ///< on-screen keyboard: append `arg` (one UTF-8 character, or "space")
  key_backspace,  ///< on-screen keyboard
  key_done,       ///< on-screen keyboard: close it
  staff_corner,   ///< attract: hidden staff gesture (five taps within 3 s)
  pin_digit,      ///< staff_pin: append digit `arg`
  pin_clear,
  pin_cancel,
  test_print,     ///< maintenance
  reprint_last,   ///< maintenance
  exit_staff,     ///< maintenance → attract
  quit_app,       ///< maintenance: stop the kiosk
  page_next,      ///< menu / cart: next page of products or lines
  page_prev,
};
struct action {
  action_kind kind = action_kind::start;
  std::string arg;
  friend bool operator==(const action&, const action&) = default;
};
/// A stable id for a target: "start", "product:p-latte", "lang:fr", "key:a" ….
std::string action_id(const action& a);

/// The product being configured on the product screen.
struct product_draft {
  std::string product_id;
  int qty = 1;
  std::string note;
  std::vector<protocol::line_option> options;  ///< as chosen (protocol type: sent as is)
};

/// Which text field the on-screen keyboard edits (none = keyboard closed).
enum class text_field { none, note, table, address };

using printer_state = protocol::printer_state;

/// Timings (all in milliseconds). Defaults: "Still there?" after 60 s without a touch, then 15 s
/// to answer; the confirmation screen stays 20 s, the rating screen 15 s.
struct timings {
  std::int64_t idle_ms = 60'000;
  std::int64_t still_there_ms = 15'000;
  std::int64_t confirmation_ms = 20'000;
  std::int64_t rating_ms = 15'000;
  std::int64_t processing_timeout_ms = 15'000;  ///< no answer while connected: offline path
  std::int64_t staff_gesture_ms = 3'000;
  int staff_taps = 5;
  std::int64_t quote_delay_ms = 250;     ///< coalescing: changes within this send one quote
  std::int64_t quote_timeout_ms = 5'000; ///< no order.quoted by then: the next change may send
};

/// The prices the cart screen shows: the hub's `order.quoted` for the current cart, or the
/// offline estimate (kh::protocol::quote_cart over the cached catalog: the hub's own rules, minus
/// opening hours, slots and discount codes) until that answer comes or while offline.
struct cart_quote {
  enum class source { none, estimate, hub };
  source from = source::none;
  protocol::order_quoted q;  ///< lines[i] prices cart line i
  std::uint64_t rev = 0;     ///< the cart revision (state::cart_rev) it prices
};
/// What the maintenance screen's camera view shows (filled by the mode from the camera feed): the
/// newest preview frame is drawn from the image key "camera:view"; codes in its pixels.
struct camera_view {
  struct code {
    std::array<std::pair<int, int>, 4> corners{};  ///< preview pixels, as the scanner reports them
    std::string text;
  };
  int width = 0, height = 0;  ///< preview size; 0: no picture yet
  std::vector<code> codes;
  std::string status = "none";  ///< "none", "starting", "ok", or an error
};

/// "none", "estimate", "hub" (the control socket's `state.quote.source`).
const char* to_string(cart_quote::source s) noexcept;

/// Everything a screen shows. Copyable; the UI draws one of these.
struct state {
  screen current = screen::attract;
  screen before_idle = screen::attract;  ///< where "I'm still here" returns to
  std::string language = "en";
  std::vector<std::string> languages{"en", "fr"};
  bool high_contrast = false;
  bool reach = false;
  bool online = false;

  std::shared_ptr<const catalog_view> catalog;
  std::string category_id;  ///< selected category (first one when empty)
  int page = 0;             ///< menu: page of the product grid; cart: page of lines
  product_draft draft;
  kiosk::cart cart;
  std::string notice;  ///< one-line message on the current screen (key into the string table)

  text_field editing = text_field::none;
  protocol::order_type type = protocol::order_type::takeaway;
  std::vector<protocol::order_type> types_offered{
      protocol::order_type::eat_in, protocol::order_type::takeaway, protocol::order_type::pickup};
  std::vector<protocol::payment_method> payments_offered{protocol::payment_method::cash};
  std::string table;
  std::string address;
  std::string pickup_slot;  ///< "HH:MM"
  std::string discount_code;  ///< applied by scanning a khd: code
  std::vector<std::string> pickup_slots;  ///< offered slots (filled by the caller)

  // Quotes. Every change of cart lines, order type, discount code or catalog version bumps
  // cart_rev and re-estimates at once; a tick `quote_delay_ms` after the last change (online,
  // cart not empty, no quote in flight) emits effects::send_quote. An answer for an older revision
  // or another quote id is dropped.
  cart_quote quote;
  std::uint64_t cart_rev = 0;
  std::string quote_key;          ///< what cart_rev was computed from (lines, type, code, catalog)
  bool quote_wanted = false;      ///< the hub has not priced cart_rev yet
  std::int64_t quote_due_ms = 0;  ///< send no earlier (coalescing)
  std::string quote_in_flight;    ///< quote id awaiting order.quoted (empty: none)
  std::uint64_t quote_in_flight_rev = 0;
  std::int64_t quote_sent_ms = 0;

  // The order being placed / just placed.
  std::string order_id;
  std::string number;        ///< the hub's number, or the local one when offline
  bool local_number = false; ///< number is the kiosk's own (offline)
  std::string eta;           ///< "12:40" (display)
  std::string tracking_url;
  protocol::money total;
  std::string reject_code;   ///< set when the hub refused the order
  printer_state printer = printer_state::absent;
  bool ticket_failed = false;  ///< this order's ticket did not print: "ask staff"
  int rating = 0;

  // Staff.
  std::string pin;
  int pin_failures = 0;
  bool pin_checking = false;
  int staff_taps = 0;
  std::int64_t staff_first_tap_ms = 0;
  std::string last_printed_order;
  /// Lines the maintenance screen shows (label key → value), filled by the mode: device id,
  /// firmware, broker, outbox, printer, camera.
  std::vector<std::pair<std::string, std::string>> staff_info;
  camera_view camera;
  std::string business_name;
  std::string banner;  ///< promo text on the attract screen (store profile)

  // Timers.
  std::int64_t last_input_ms = 0;
  std::int64_t screen_since_ms = 0;
  std::int64_t pressed_ms = 0;     ///< press feedback animation start
  std::string pressed_id;
  std::int64_t cart_changed_ms = -1'000'000;  ///< cart bar bounce animation start
};

namespace effects {
/// Build an order.submit from the cart (order id made by the caller) and hand it to the link.
struct submit {
  protocol::order_type type;
  protocol::payment_method payment;
  std::string table, address, pickup_slot, discount_code;
};
/// Print receipt + pickup ticket for the current order (journaled, exactly once per order).
struct print_order {
  std::string order_id;
};
struct print_test {};
struct reprint {
  std::string order_id;
};
/// Check a PIN against the stored argon2id hash, off the render thread; answer with pin_result.
struct verify_pin {
  std::string pin;
};
/// Send `feedback` for an order.
struct feedback {
  std::string order_id;
  int rating = 0;
};
struct quit {};
/// Send this order.quote (quote_id empty: the caller makes one, sends it off the render thread
/// and answers with events::quote_sent at once).
struct send_quote {
  protocol::order_quote q;
};
/// The language changed (reload strings, fonts stay).
struct language_changed {
  std::string language;
};
}  // namespace effects
using effect = std::variant<effects::submit, effects::print_order, effects::print_test,
                            effects::reprint, effects::verify_pin, effects::feedback,
                            effects::quit, effects::language_changed, effects::send_quote>;

namespace events {
struct tap {
  action what;
};
struct text {
  std::string utf8;  ///< typed into the open field (control socket `type`, hardware keyboard)
};
struct scan {
  std::string text;  ///< a code the camera read
};
struct tick {};
struct catalog {
  std::shared_ptr<const catalog_view> view;
};
struct connection {
  bool online = false;
};
/// The link queued our order (order id known now).
struct queued {
  std::string order_id;
};
/// The caller could not queue the order (outbox full, storage error).
struct submit_failed {
  std::string code;
};
struct accepted {
  std::string order_id;
  std::string number;
  std::string eta;
  std::string tracking_url;
  protocol::money total;
};
struct rejected {
  std::string order_id;
  std::string code;
};
/// Result of a print job (order_id empty for a test print).
struct printed {
  std::string order_id;
  printer_state printer = printer_state::absent;
  bool ok = true;
};
struct pin_result {
  bool ok = false;
};
/// The caller took a send_quote effect and sent it with this id (for cart revision `rev`).
struct quote_sent {
  std::string quote_id;
  std::uint64_t rev = 0;
};
/// The hub's order.quoted.
struct quoted {
  protocol::order_quoted q;
};
/// The kiosk assigned its own number to an order placed offline.
struct local_number {
  std::string order_id;
  std::string number;
};
}  // namespace events
using event = std::variant<events::tap, events::text, events::scan, events::tick, events::catalog,
                           events::connection, events::queued, events::submit_failed,
                           events::accepted, events::rejected, events::printed, events::pin_result,
                           events::local_number, events::quote_sent, events::quoted>;

/// Applies one event at time `now_ms`; returns the effects to run, in order. Never throws on any
/// event in any state: an action that makes no sense on the current screen is ignored.
std::vector<effect> step(state& s, const event& e, std::int64_t now_ms, const timings& t = {});

/// Unit price of the draft including option deltas (kh::protocol::price_options; base price when
/// the choice is not complete yet).
protocol::money draft_unit_price(const state& s);
/// Whether the draft satisfies every group's min/max (the add button is enabled only then).
bool draft_complete(const state& s);
/// The order.quote for the current cart (quote_id empty), as send_quote carries it.
protocol::order_quote quote_request(const state& s);
/// Whether checkout is held back: the quote for the current cart has a line problem (sold out,
/// option gone…); the customer removes or changes those lines first.
bool cart_has_problems(const state& s);
/// True when the session is idle at `now_ms` (no touch for `t.idle_ms` outside attract).
bool idle_due(const state& s, std::int64_t now_ms, const timings& t);

}  // namespace kh::kiosk::shop
