#pragma once
// JSON codec with strict validation. Decoders never throw: a bad payload gives a `problem` with
// the machine code the sender will see in its `error` reply.

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include <nlohmann/json.hpp>

#include "kh/protocol/messages.hpp"
#include "kh/protocol/result.hpp"

namespace kh::protocol {

inline constexpr int version = 1;

/// {"v":1,"type":…,"id":<uuid>,"ts":<RFC 3339>,"body":{…}}
struct envelope {
  int v = version;
  std::string type;
  std::string id;  ///< message id (UUID)
  std::string ts;  ///< RFC 3339
  nlohmann::json body = nlohmann::json::object();
};

/// Checks size (too_large), JSON syntax and UTF-8 (malformed), "v" (unsupported_version), and the
/// shape of id/ts/type/body (malformed). Does not check that the type is known.
result<envelope> decode_envelope(std::string_view payload);

/// Same with a different size cap (default of the other overload: limits::max_payload). Meant for a
/// consumer that deliberately accepts more, e.g. a large retained catalog; everything else is
/// equal.
result<envelope> decode_envelope(std::string_view payload, std::size_t max_bytes);

/// Serialises compactly.
std::string encode_envelope(const envelope& e);

/// Wraps a body in a fresh envelope (new UUID, current time) and serialises it.
std::string make_message(std::string_view type, nlohmann::json body);

// Body codecs. decode_* validate strictly; to_json never fails.
nlohmann::json to_json(const money& m);
nlohmann::json to_json(const hello& m);
nlohmann::json to_json(const catalog& m);
nlohmann::json to_json(const order_submit& m);
nlohmann::json to_json(const order_accepted& m);
nlohmann::json to_json(const rejection& m);
nlohmann::json to_json(const order_status& m);
nlohmann::json to_json(const option_group& m);
nlohmann::json to_json(const store_profile& m);
nlohmann::json to_json(const order_quote& m);
nlohmann::json to_json(const order_quoted& m);
nlohmann::json to_json(const issue& m);
nlohmann::json to_json(const feedback& m);
nlohmann::json to_json(const device_status& m);
nlohmann::json to_json(const device_config& m);

/// The same bytes as to_json(m).dump(), written without a JSON tree: the order path's bodies (the
/// tree and its dump were a fifth of the hub's work per order). Throws std::invalid_argument on
/// text that is not UTF-8, where dump() throws its type_error.
std::string to_json_text(const order_status& m);
std::string to_json_text(const order_accepted& m);
std::string to_json_text(const order_submit& m);
/// A JSON string token (quotes included) for `text`, as dump() writes it; throws as above.
std::string json_quote(std::string_view text);

result<money> decode_money(const nlohmann::json& j);
result<hello> decode_hello(const nlohmann::json& body);
result<catalog> decode_catalog(const nlohmann::json& body);
result<order_submit> decode_order_submit(const nlohmann::json& body);
result<order_accepted> decode_order_accepted(const nlohmann::json& body);
result<rejection> decode_rejection(const nlohmann::json& body);
result<order_status> decode_order_status(const nlohmann::json& body);
/// A catalog's "profile" object on its own (also what the hub's web API takes); `currency` is the
/// business' (every fee and minimum must use it).
result<store_profile> decode_store_profile(const nlohmann::json& j, const std::string& currency);
/// One product's "option_groups" array on its own; `currency` is the product price's currency
/// (every price_delta must use it).
result<std::vector<option_group>> decode_option_groups(const nlohmann::json& j,
                                                       const std::string& currency);
result<order_quote> decode_order_quote(const nlohmann::json& body);
result<order_quoted> decode_order_quoted(const nlohmann::json& body);
result<feedback> decode_feedback(const nlohmann::json& body);
result<device_status> decode_device_status(const nlohmann::json& body);

/// "07:30" ↔ 450; "24:00" ↔ 1440 (only as a closing time). -1 when `s` is not HH:MM.
int parse_hhmm(std::string_view s) noexcept;
std::string format_hhmm(int minute);
/// "mon" … "sun" ↔ 0 … 6.
const char* weekday_word(int weekday) noexcept;
int parse_weekday(std::string_view s) noexcept;
result<device_config> decode_device_config(const nlohmann::json& body);

/// Validates `body` with the decoder that belongs to `type` (order.rejected and error share one).
/// nullopt when valid; a problem with code::unknown_type when the type is not in `types::all`.
std::optional<problem> validate_body(std::string_view type, const nlohmann::json& body);

/// The body's "order_id" when it is a string in UUID form, else "". Lets a receiver name the order
/// in a rejection even when the rest of the body does not decode.
std::string peek_order_id(const nlohmann::json& body);

/// A rejection/error body carrying a decoder's (or the hub's) problem.
rejection make_rejection(problem p, std::string order_id = {});

/// Code points refused in device-typed plain text (`customer.*`, line `note`, `discount_code`,
/// `hello.firmware`): C0 controls (NUL, ESC, CR, LF, TAB, …), DEL and C1 controls, the line and
/// paragraph separators U+2028/U+2029, and the bidi embeddings, overrides and isolates
/// U+202A–U+202E, U+2066–U+2069.
bool is_control_code_point(std::uint32_t cp) noexcept;

/// True when `s` is well-formed UTF-8 (no overlong forms, no surrogates, nothing above U+10FFFF).
bool is_valid_utf8(std::string_view s) noexcept;

/// Number of Unicode code points in valid UTF-8 (the decoders' string limits count these).
std::size_t utf8_length(std::string_view s) noexcept;

}  // namespace kh::protocol
