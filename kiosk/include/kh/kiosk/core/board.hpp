#pragma once
// The order board (customer-facing "Preparing / Ready" screen) as a pure state machine: events in
// (hub snapshot and status events, connection changes, ticks, store profile), next state and
// effects out. No SDL, MQTT or SQL; times are passed in (steady ms for animation and staleness).

#include <cstdint>
#include <map>
#include <string>
#include <variant>
#include <vector>

#include "kh/kiosk/core/order_feed.hpp"

namespace kh::kiosk::board {

struct timings {
  std::int64_t highlight_ms = 5'000;         ///< a number that turns ready is highlighted this long
  std::int64_t ready_clear_ms = 15 * 60'000; ///< a ready number nobody collected leaves after this
  /// Offline longer than this: the orders are no longer shown as current (default: 20 s, the
  /// link's keep-alive window).
  std::int64_t keepalive_ms = 20'000;
};

struct state {
  order_feed feed;
  bool online = false;
  std::int64_t offline_since_ms = 0;  ///< steady ms the connection went down (valid when !online)
  bool stale = false;                 ///< offline past the keep-alive window: orders hidden
  bool resyncing = false;             ///< a snapshot was asked for and has not arrived yet
  std::map<std::string, std::int64_t> ready_since;  ///< order id → steady ms it turned ready here
  std::string store_name;
  std::string banner;  ///< the store's banner line (may be empty)
  std::string language = "en";
  std::int64_t chimes = 0;  ///< how many chimes were asked for (tests, control socket)
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
struct profile {
  std::string store_name, banner;
};
struct language {
  std::string code;
};
struct tick {};
}  // namespace events
using event = std::variant<events::connection, events::snapshot, events::status, events::profile,
                           events::language, events::tick>;

namespace effects {
struct request_snapshot {};  ///< ask the hub for the business' open orders
struct chime {};             ///< play the "ready" chime
}  // namespace effects
using effect = std::variant<effects::request_snapshot, effects::chime>;

std::vector<effect> step(state& s, const event& e, std::int64_t now_ms, const timings& t = {});

/// What the board shows now: numbers per column (Preparing oldest first; Ready newest first),
/// with the ready ones still highlighted flagged.
struct shown_number {
  std::string order_id, number;
  bool highlight = false;
};
struct columns {
  std::vector<shown_number> preparing, ready;
};
columns visible(const state& s, std::int64_t now_ms, const timings& t = {});

/// True while a highlight is running (the loop redraws at display rate).
bool animating(const state& s, std::int64_t now_ms, const timings& t = {});

}  // namespace kh::kiosk::board
