#pragma once
// Output escaping for server-rendered pages, one function per context, and a tiny template
// language that escapes by default.
//
// Template syntax (`render`):
//   {{name}}        HTML text       (& < > " ' escaped)
//   {{name|attr}}   attribute value (quoted by the template: value="{{x|attr}}"; also escapes ` and =)
//   {{name|url}}    one URL component (percent-encoding of everything but unreserved characters)
//   {{name|js}}     inside a JS string literal ('…' or "…"): \uXXXX for quotes, <, >, &, control chars
//   {{name|html}}   a `safe_html` fragment rendered by earlier templates (the only unescaped form)
// A name that is missing, or a raw string given to |html, throws std::invalid_argument: a
// template bug shows up in the first test rather than as a hole.

#include <map>
#include <string>
#include <string_view>
#include <variant>

namespace kh::hub::web {

/// HTML text context.
std::string escape_html(std::string_view s);
/// Quoted attribute context (same as text plus ` and =, so an unquoted slip stays inert).
std::string escape_attr(std::string_view s);
/// One URL path segment or query value: RFC 3986 unreserved characters kept, the rest %XX.
std::string escape_url_component(std::string_view s);
/// Inside a JavaScript string literal within a <script> or an event-free attribute: every
/// character that could end the string, the script or the attribute becomes \uXXXX.
std::string escape_js_string(std::string_view s);

/// HTML that the server produced (a rendered template). Only this type goes in unescaped.
struct safe_html {
  std::string html;
};

using template_value = std::variant<std::string, safe_html>;
using template_vars = std::map<std::string, template_value, std::less<>>;

/// Renders `tmpl` with `vars` (see the syntax above).
safe_html render(std::string_view tmpl, const template_vars& vars);

}  // namespace kh::hub::web
