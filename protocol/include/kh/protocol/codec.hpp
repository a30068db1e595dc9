#pragma once
// JSON codec with strict validation. Decoders never throw: a bad payload gives a `problem` with
// the machine code the sender will see in its `error` reply.

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

result<money> decode_money(const nlohmann::json& j);
result<hello> decode_hello(const nlohmann::json& body);
result<catalog> decode_catalog(const nlohmann::json& body);
result<order_submit> decode_order_submit(const nlohmann::json& body);
result<order_accepted> decode_order_accepted(const nlohmann::json& body);
result<rejection> decode_rejection(const nlohmann::json& body);
result<order_status> decode_order_status(const nlohmann::json& body);

/// Number of Unicode code points in valid UTF-8 (the decoders' string limits count these).
std::size_t utf8_length(std::string_view s) noexcept;

}  // namespace kh::protocol
