#pragma once

#include <map>
#include <optional>
#include <string>
#include <string_view>

namespace kh::hub::detail {

struct parsed_target {
  std::string path;
  std::map<std::string, std::string> query;
};

/// Splits an origin-form target ("/a/b?x=1&y=%20") into its raw path and its decoded query.
/// Returns nullopt for a target that is not origin-form or has a broken percent escape.
std::optional<parsed_target> parse_request_target(std::string_view target);

/// Percent-decodes `in` ('+' as space when `plus_is_space`); nullopt on a broken escape.
std::optional<std::string> percent_decode(std::string_view in, bool plus_is_space);

}  // namespace kh::hub::detail
