#pragma once
// Option groups of a product in the portal editor (a form with one block per group and one row
// per option) and in the phone shop (radio buttons or check boxes on the product page, the cart
// line's "group/option" list). Validation is protocol::decode_option_groups, the same check the
// catalog and kiosks use; prices on the page are estimates, the hub prices every order itself.
#include <map>
#include <string>
#include <variant>
#include <vector>

#include "kh/hub/web/escape.hpp"
#include "kh/protocol/messages.hpp"
#include "web/app_impl.hpp"

namespace kh::hub::web {

/// Blank option rows offered under each group, and blank groups offered after the last one.
inline constexpr int k_blank_option_rows = 2;
inline constexpr int k_blank_groups = 1;

/// The editor's fields (g{i}_name, g{i}_min, g{i}_max, g{i}_o{k}_name, _delta, _avail, _default,
/// hidden g{i}_id / g{i}_o{k}_id keeping the ids of what already exists).
safe_html options_editor_fields(const std::vector<protocol::option_group>& groups, const std::string& currency);

/// Form → groups: a group or option with an empty name is dropped (that is how one is removed);
/// new ids are made from the names. The result has passed protocol::decode_option_groups.
std::variant<std::vector<protocol::option_group>, field_error> parse_options_form(
    const std::map<std::string, std::string>& form, const std::string& currency);

/// "size/large;milk/oat" ↔ line options (group and option ids are slugs, so never contain '/' ';').
std::optional<std::vector<protocol::line_option>> parse_line_options(const std::string& s);

}  // namespace kh::hub::web
