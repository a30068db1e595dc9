#pragma once
// The headless front-end: the link without a display, driven by line commands on a file
// descriptor (stdin), answering with exactly one JSON line per result on stdout (flushed), plus
// asynchronous event lines. Logs go to stderr. See command.hpp for the commands.

#include <cstdio>
#include <optional>
#include <string>

#include <nlohmann/json.hpp>

#include "kh/kiosk/core/catalog_view.hpp"
#include "kh/kiosk/core/command.hpp"
#include "kh/kiosk/link/engine.hpp"
#include "kh/kiosk/core/error.hpp"
#include "kh/kiosk/link/events.hpp"
#include "kh/kiosk/link/link.hpp"

namespace kh::kiosk::headless {

// Reply builders (pure), one per line kind. Field names are a contract with scripts and the
// integration tests.

/// {"ok":true,"cmd":"catalog","version":N,"business_id":…,"products":[{"id","sku","name",
/// "price":{"amount","currency"},"available","stock"}…]}, or the no_catalog error when null.
nlohmann::ordered_json catalog_reply(const catalog_view* view);
/// {"ok":true,"cmd":"order","event":"queued","order_id":…}
nlohmann::ordered_json queued_reply(const std::string& order_id);
/// {"ok":false,"cmd":<cmd>,"error":<code word>,"message":…}; "cmd" left out when empty.
nlohmann::ordered_json error_reply(const std::string& cmd, const failure& f);
/// {"ok":true,"cmd":"status","connected","device","business_id" (null when unknown),
/// "catalog_version" (null when none),"outbox_pending","orders":[{"order_id","state","number"}…]}
nlohmann::ordered_json status_reply(const link_status& s);
/// {"ok":true,"cmd":"wait","outbox_pending":N}
nlohmann::ordered_json wait_reply(std::size_t pending);
/// Event lines: {"event":"connected"}, {"event":"disconnected"}, {"event":"catalog","version":N},
/// and the asynchronous order answers
///   {"ok":true,"cmd":"order","event":"accepted","order_id","number","state","subtotal","tax",
///    "discount","total","eta"}
///   {"ok":false,"cmd":"order","event":"rejected","order_id","code","message"}   (order.rejected)
///   {"ok":false,"cmd":"order","event":"failed","order_id","code","message"}     (non-retryable
///   error)
/// nullopt for events that print nothing (business learned, order.status).
std::optional<nlohmann::ordered_json> event_line(const link_event& ev);

/// Compact one-line JSON; invalid UTF-8 is replaced rather than thrown on.
std::string to_line(const nlohmann::ordered_json& j);

/// Runs the headless kiosk until `quit`, end of input, SIGINT or SIGTERM: opens the link, starts
/// it, reads commands from `in_fd`, writes lines to `out`. Returns the process exit code (0 on a
/// clean stop, 1 when the database cannot be opened).
int run(link_options opts, int in_fd = 0, std::FILE* out = stdout);

}  // namespace kh::kiosk::headless
