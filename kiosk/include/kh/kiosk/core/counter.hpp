#pragma once
// The pickup counter (staff screen) as a pure state machine: the business' open orders in lanes
// (to pay, paid, preparing, ready), one touch per step, cash with tendered and change, cancel with
// the staff PIN and a reason, ticket scans that hand an order over exactly once (the hub decides),
// routing to some categories, the "all day" counts. Events in, next state and effects out; no
// SDL, MQTT or SQL. Times are wall-clock ms (order ages come from the hub's placement time).

#include <cstdint>
#include <map>
#include <optional>
#include <set>
#include <string>
#include <variant>
#include <vector>

#include "kh/kiosk/core/order_feed.hpp"

namespace kh::kiosk::counter {

enum class lane { to_pay, paid, preparing, ready };
inline constexpr lane k_lanes[] = {lane::to_pay, lane::paid, lane::preparing, lane::ready};
const char* to_string(lane l) noexcept;

enum class dialog { none, detail, cash, cash_done, cancel_pin, cancel_reason };
const char* to_string(dialog d) noexcept;

enum class age_level { fresh, amber, red };

/// Why an order is cancelled (machine words sent to the hub).
inline constexpr const char* k_cancel_reasons[] = {"customer_request", "out_of_stock", "mistake", "other"};

/// A message on screen: green (ok) or red (error), text key + arguments, until a time.
struct notice {
  enum class kind { ok, error, info } how = kind::info;
  std::string key;  ///< i18n key, e.g. "counter.collected"
  std::vector<std::string> args;
  std::int64_t until_ms = 0;
};

struct settings {
  std::string device_id = "counter-1";
  std::string business_id;
  std::vector<std::string> categories;  ///< routing: only these categories' lines (empty: all)
  std::int64_t amber_ms = 5 * 60'000;   ///< age past which a card turns amber
  std::int64_t red_ms = 10 * 60'000;    ///< … and red
  std::int64_t notice_ms = 6'000;       ///< how long a scan/step result stays on screen
  std::string currency = "EUR";
};

struct state {
  settings cfg;
  order_feed feed;
  bool online = false;
  bool resyncing = false;
  bool large_text = false;
  bool portrait_lanes_2x2 = false;  ///< set by the mode from the layout (informational)
  dialog open = dialog::none;
  std::string focus;  ///< order id of the open dialog
  std::string entry;  ///< keypad digits: cash tendered (minor units) or the PIN
  protocol::money tendered{0, "EUR"}, change{0, "EUR"};  ///< last cash answer
  std::set<std::string> pending;  ///< orders with a staff action in flight (their button waits)
  std::set<std::string> seen;     ///< orders already announced by a tone
  notice note;
  std::int64_t tones = 0;  ///< tones asked for (tests, control socket)
  std::int64_t pin_attempts = 0;
};

/// What a tap does (the view maps target ids to these).
struct action {
  enum class kind {
    advance,      ///< order → `to` (preparing, ready, collected, out_for_delivery, delivered)
    open_detail,  ///< the order's detail (reprint, cancel)
    take_cash,    ///< open the cash dialog for the order
    digit,        ///< keypad digit `arg` (cash or PIN)
    backspace,
    quick_cash,   ///< tendered = `amount`
    confirm,      ///< cash: take it; PIN: check it
    cancel_order, ///< detail: start cancelling (PIN first)
    reason,       ///< cancel with reason `arg`
    reprint,
    close,
    toggle_large_text,
  } what = kind::close;
  std::string order_id;
  protocol::order_state to = protocol::order_state::preparing;
  std::string arg;
  std::int64_t amount = 0;
  friend bool operator==(const action&, const action&) = default;
};

/// The hub's answer to a staff action (or a local failure: not sent, timeout).
struct answer {
  enum class kind { advance, collect, cash, cancel } what = kind::advance;
  std::string order_id;
  std::string number;
  bool ok = false;
  std::string code;  ///< machine code when !ok: not_ready, already_collected, not_paid, forbidden,
                     ///< unknown_order, wrong_business, offline, …
  protocol::order_state state = protocol::order_state::paid;
  protocol::money tendered{0, "EUR"}, change{0, "EUR"};
  std::string at_hhmm;    ///< already_collected: local time of the first collection
  std::string by_device;  ///< already_collected: the device that collected it
};

namespace events {
struct connection {
  bool connected = false;
};
struct snapshot {
  std::int64_t seq = 0;
  std::vector<feed_order> orders;
};
struct status {
  std::int64_t seq = 0;
  feed_order order;
};
struct tap {
  action a;
};
/// A code read by the camera or the hardware scanner: the pickup ticket's QR payload.
struct scan {
  std::string payload;
};
struct answered {
  answer a;
};
struct pin_result {
  bool ok = false;
};
struct tick {};
}  // namespace events
using event = std::variant<events::connection, events::snapshot, events::status, events::tap,
                           events::scan, events::answered, events::pin_result, events::tick>;

namespace effects {
struct request_snapshot {};
struct advance {
  std::string order_id;
  protocol::order_state to;
};
struct collect {
  std::string order_id;  ///< from the ticket (may be unknown here: the hub decides)
  std::string payload;   ///< the ticket's QR text as scanned
};
struct take_cash {
  std::string order_id;
  protocol::money tendered;
};
struct cancel {
  std::string order_id, reason;
};
struct reprint {
  std::string order_id;
};
struct verify_pin {
  std::string pin;
};
struct tone {};  ///< a new order arrived
}  // namespace effects
using effect = std::variant<effects::request_snapshot, effects::advance, effects::collect,
                            effects::take_cash, effects::cancel, effects::reprint,
                            effects::verify_pin, effects::tone>;

std::vector<effect> step(state& s, const event& e, std::int64_t now_ms);

/// The ticket QR payload → order id (docs/protocol.md "Ticket QR payload": the order UUID, or the
/// receipt's tracking URL ending in /o/<uuid>; lower-cased). Empty when it is neither. Which
/// business a ticket belongs to only the hub knows (`forbidden`).
struct ticket {
  std::string business_id, order_id;
};
ticket parse_ticket(const std::string& payload);

/// The lane an order sits in, or false when the counter does not show it.
bool lane_of(const feed_order& o, lane& out) noexcept;
/// The order's lines this counter makes (routing), all when no categories are set.
std::vector<const feed_line*> routed_lines(const settings& c, const feed_order& o);
/// Orders of a lane in the order staff work them (oldest first), routing applied.
std::vector<const feed_order*> lane_orders(const state& s, lane l);
/// The next step's target state for the card's one button (false: none, e.g. to pay uses cash).
bool next_step(const feed_order& o, protocol::order_state& to) noexcept;
age_level age_of(const state& s, const feed_order& o, std::int64_t now_ms) noexcept;
/// The card age thresholds in force (ms): each flag when given (an override), else the store
/// profile's value, else the defaults (5 / 10 min); red is never below amber.
struct age_sources {
  std::optional<std::int64_t> flag_amber_s, flag_red_s;        ///< --age-amber/red-seconds
  std::optional<std::int64_t> profile_amber_s, profile_red_s;  ///< the catalog's store profile
};
void apply_age_thresholds(settings& c, const age_sources& src) noexcept;
/// "All day": quantity of each product (by name) in paid and preparing orders, routing applied,
/// most first.
std::vector<std::pair<std::string, int>> all_day(const state& s);
/// Cash quick amounts for a total: exact, then the next round 5, 10, 20, 50 above it (minor units).
std::vector<std::int64_t> quick_amounts(std::int64_t total);

}  // namespace kh::kiosk::counter
