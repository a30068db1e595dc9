#pragma once
// GET /img/{business_id}/{image_id}: product images stored in the database (shop_repository),
// served with Content-Type, a strong ETag (the content hash), Cache-Control and 304 answers to
// If-None-Match, so kiosks fetch each picture once and then revalidate cheaply.

#include <functional>
#include <optional>

#include "kh/hub/http/http_server.hpp"
#include "kh/hub/storage/shop_repository.hpp"
#include "kh/hub/storage/store.hpp"

namespace kh::hub {

/// Cache-Control of image answers: revalidate after an hour (URLs stay the same when the owner
/// replaces a picture; the ETag changes).
inline constexpr const char* image_cache_control = "public, max-age=3600";

/// Answers one image request (path "/img/BUSINESS/ID"): 200 with the bytes, 304 when
/// If-None-Match holds the current ETag, 404 for anything unknown or malformed. HEAD gets the
/// same headers. Runs on the thread that owns `s`.
http_response image_response(store& s, const http_request& r);

/// Finds one stored image; may throw (answered 503).
using image_lookup = std::function<std::optional<image_record>(const std::string& business_id, const std::string& id)>;
/// The same answer with the image read by `lookup` (the web room passes one that reads on its own
/// read-only connection, so pictures never wait for the writer).
http_response image_response(const http_request& r, const image_lookup& lookup);

/// Strong ETag (without quotes) of some bytes: 16 hex digits of FNV-1a 64.
std::string content_etag(std::string_view bytes);

}  // namespace kh::hub
