#include "kh/protocol/codec.hpp"

#include <algorithm>
#include <cstdint>
#include <cstdio>
#include <limits>
#include <vector>
#include <utility>

#include "kh/protocol/availability.hpp"
#include "kh/protocol/ids.hpp"
#include "kh/protocol/json_read.hpp"
#include "kh/protocol/staff.hpp"
#include "kh/protocol/time.hpp"

namespace kh::protocol {

using json = nlohmann::json;

namespace {

// ---------------------------------------------------------------------------------------------
// Failure helpers. Every decoder failure names the offending JSON path in details.field so a
// sender can fix its payload without guessing.

problem field_problem(code c, const std::string& field, const std::string& what,
                      json extra = json::object()) {
  json details = std::move(extra);
  details["field"] = field;
  return make_problem(c, field.empty() ? what : field + ": " + what, std::move(details));
}

problem malformed(const std::string& field, const std::string& what) {
  return field_problem(code::malformed, field, what);
}

std::string path_of(std::string_view prefix, std::string_view key) {
  std::string out;
  if (!prefix.empty()) {
    out.append(prefix);
    out.push_back('.');
  }
  out.append(key);
  return out;
}

std::string index_path(std::string_view key, std::size_t i) {
  std::string out(key);
  out.push_back('[');
  out += std::to_string(i);
  out.push_back(']');
  return out;
}

using maybe_problem = std::optional<problem>;

// Echoes a short offending word back to the sender; a long one is not worth repeating.
std::string quoted_word(std::string_view w) {
  if (w.size() > 40 || !is_valid_utf8(w)) return "(not shown)";
  std::string out = "\"";
  out.append(w);
  out.push_back('"');
  return out;
}

// Returns the member or nullptr; absent and JSON null both count as "not given".
const json* find_member(const json& obj, const char* key) {
  const auto it = obj.find(key);
  if (it == obj.end() || it->is_null()) return nullptr;
  return &*it;
}

struct string_rule {
  bool required = true;
  bool allow_empty = true;
  std::size_t max_len = 0;  // code points; 0 = no limit beyond the payload size
  // Free text typed on a device (names, notes, codes, firmware): one line of printable text. It
  // ends up on screens, tickets and log lines, where a control or bidi-override character forges
  // lines or reorders what staff read.
  bool plain_text = false;
};

// First code point in valid UTF-8 that is not allowed in plain text, or nullopt.
std::optional<std::uint32_t> first_control(std::string_view s) noexcept {
  std::size_t i = 0;
  while (i < s.size()) {
    const auto b0 = static_cast<unsigned char>(s[i]);
    std::uint32_t cp = b0;
    std::size_t len = 1;
    if (b0 >= 0xF0) {
      len = 4;
      cp = b0 & 0x07u;
    } else if (b0 >= 0xE0) {
      len = 3;
      cp = b0 & 0x0Fu;
    } else if (b0 >= 0xC0) {
      len = 2;
      cp = b0 & 0x1Fu;
    }
    for (std::size_t k = 1; k < len && i + k < s.size(); ++k) cp = (cp << 6) | (static_cast<unsigned char>(s[i + k]) & 0x3Fu);
    i += len;
    if (is_control_code_point(cp)) return cp;
  }
  return std::nullopt;
}

maybe_problem read_string(const json& obj, std::string_view prefix, const char* key,
                          std::string& out, string_rule rule) {
  const std::string field = path_of(prefix, key);
  const json* v = find_member(obj, key);
  if (v == nullptr) {
    if (rule.required) return malformed(field, "missing");
    out.clear();
    return std::nullopt;
  }
  if (!v->is_string()) return malformed(field, "must be a string");
  const auto& s = v->get_ref<const std::string&>();
  if (!is_valid_utf8(s)) return malformed(field, "not valid UTF-8");
  if (!rule.allow_empty && s.empty()) return malformed(field, "must not be empty");
  if (rule.plain_text) {
    if (const auto cp = first_control(s)) {
      char hex[16];
      std::snprintf(hex, sizeof hex, "U+%04X", static_cast<unsigned>(*cp));
      return field_problem(code::malformed, field,
                           std::string("control or bidi character ") + hex + " is not allowed",
                           {{"code_point", hex}});
    }
  }
  if (rule.max_len != 0 && utf8_length(s) > rule.max_len) {
    return field_problem(code::malformed, field,
                         "longer than " + std::to_string(rule.max_len) + " characters",
                         {{"max", rule.max_len}});
  }
  out = s;
  return std::nullopt;
}

// JSON integers only: 1.0 and 1e0 are floats on the wire and are refused.
bool as_int64(const json& v, std::int64_t& out) {
  if (v.is_number_unsigned()) {
    const auto u = v.get<std::uint64_t>();
    if (u > static_cast<std::uint64_t>(std::numeric_limits<std::int64_t>::max())) return false;
    out = static_cast<std::int64_t>(u);
    return true;
  }
  if (v.is_number_integer()) {
    out = v.get<std::int64_t>();
    return true;
  }
  return false;
}

maybe_problem read_int64(const json& obj, std::string_view prefix, const char* key,
                         std::int64_t& out,
                         std::int64_t min = std::numeric_limits<std::int64_t>::min(),
                         std::int64_t max = std::numeric_limits<std::int64_t>::max()) {
  const std::string field = path_of(prefix, key);
  const json* v = find_member(obj, key);
  if (v == nullptr) return malformed(field, "missing");
  std::int64_t n = 0;
  if (!as_int64(*v, n)) return malformed(field, "must be an integer");
  if (n < min || n > max) {
    return field_problem(code::malformed, field, "out of range", {{"min", min}, {"max", max}});
  }
  out = n;
  return std::nullopt;
}

template <class E>
maybe_problem read_enum(const json& obj, std::string_view prefix, const char* key, E& out) {
  std::string word;
  if (auto p = read_string(obj, prefix, key, word, {})) return p;
  if (!from_string(word, out))
    return malformed(path_of(prefix, key), "unknown value " + quoted_word(word));
  return std::nullopt;
}

maybe_problem read_slug(const json& obj, std::string_view prefix, const char* key,
                        std::string& out) {
  if (auto p = read_string(obj, prefix, key, out, {})) return p;
  if (!is_slug_id(out))
    return malformed(path_of(prefix, key), "must be 1-64 characters of [a-z0-9_-]");
  return std::nullopt;
}

maybe_problem read_uuid(const json& obj, std::string_view prefix, const char* key, std::string& out,
                        bool required = true) {
  if (auto p = read_string(obj, prefix, key, out, {.required = required})) return p;
  if (out.empty() && !required) return std::nullopt;
  if (!is_uuid(out)) return malformed(path_of(prefix, key), "must be a UUID");
  out = canonical_uuid(out);
  return std::nullopt;
}

maybe_problem read_timestamp(const json& obj, std::string_view prefix, const char* key,
                             std::string& out, bool required = true) {
  if (auto p = read_string(obj, prefix, key, out, {.required = required})) return p;
  if (out.empty() && !required) return std::nullopt;
  if (!parse_rfc3339(out)) return malformed(path_of(prefix, key), "must be an RFC 3339 timestamp");
  return std::nullopt;
}

maybe_problem read_money_at(const json& j, const std::string& field, money& out) {
  if (!j.is_object())
    return malformed(field, "must be an object {\"amount\":<integer>,\"currency\":\"AAA\"}");
  std::int64_t amount = 0;
  if (auto p = read_int64(j, field, "amount", amount)) return p;
  std::string currency;
  if (auto p = read_string(j, field, "currency", currency, {})) return p;
  if (!is_currency_code(currency))
    return malformed(path_of(field, "currency"), "must be three upper-case letters");
  out.amount = amount;
  out.currency = std::move(currency);
  return std::nullopt;
}

maybe_problem read_money(const json& obj, std::string_view prefix, const char* key, money& out) {
  const std::string field = path_of(prefix, key);
  const json* v = find_member(obj, key);
  if (v == nullptr) return malformed(field, "missing");
  return read_money_at(*v, field, out);
}

maybe_problem require_object(const json& j, const std::string& field) {
  if (!j.is_object()) return malformed(field, "must be an object");
  return std::nullopt;
}

// Cuts `s` to at most `max` code points without splitting one.
std::string truncate_code_points(const std::string& s, std::size_t max) {
  std::size_t count = 0;
  for (std::size_t i = 0; i < s.size(); ++i) {
    const auto b = static_cast<unsigned char>(s[i]);
    if ((b & 0xC0) != 0x80) {
      if (count == max) return s.substr(0, i);
      ++count;
    }
  }
  return s;
}

// Serialises without ever throwing: invalid UTF-8 in a caller-made string becomes U+FFFD.
std::string dump(const json& j) {
  return j.dump(-1, ' ', false, json::error_handler_t::replace);
}

// Runs a decoder body that fills `out` and reports the first problem, as a result<Decoded>.
template <class Decoded, class Fn>
result<Decoded> run(Fn&& fn) {
  Decoded out{};
  if (auto p = fn(out)) return std::move(*p);
  return out;
}


maybe_problem read_bool(const json& obj, std::string_view prefix, const char* key, bool& out,
                        bool required = true) {
  const std::string field = path_of(prefix, key);
  const json* v = find_member(obj, key);
  if (v == nullptr) {
    if (required) return malformed(field, "missing");
    return std::nullopt;
  }
  if (!v->is_boolean()) return malformed(field, "must be true or false");
  out = v->get<bool>();
  return std::nullopt;
}

maybe_problem read_int(const json& obj, std::string_view prefix, const char* key, int& out, int min,
                       int max) {
  std::int64_t n = 0;
  if (auto p = read_int64(obj, prefix, key, n, min, max)) return p;
  out = static_cast<int>(n);
  return std::nullopt;
}

// A required array member, with its size bounds.
maybe_problem read_array(const json& obj, std::string_view prefix, const char* key,
                         const json*& out, std::size_t min_size, std::size_t max_size) {
  const std::string field = path_of(prefix, key);
  out = find_member(obj, key);
  if (out == nullptr) return malformed(field, "missing");
  if (!out->is_array()) return malformed(field, "must be an array");
  if (out->size() < min_size || out->size() > max_size) {
    return field_problem(code::malformed, field,
                         "must have " + std::to_string(min_size) + " to " +
                             std::to_string(max_size) + " entries",
                         {{"min", min_size}, {"max", max_size}});
  }
  return std::nullopt;
}

maybe_problem read_nonnegative_money(const json& obj, std::string_view prefix, const char* key,
                                     money& out, const std::string* currency) {
  if (auto p = read_money(obj, prefix, key, out)) return p;
  if (out.amount < 0) return malformed(path_of(prefix, key) + ".amount", "must not be negative");
  if (currency != nullptr && out.currency != *currency) {
    return malformed(path_of(prefix, key) + ".currency", "must be " + *currency);
  }
  return std::nullopt;
}

maybe_problem read_issue_at(const json& j, const std::string& at, issue& out) {
  if (auto p = require_object(j, at)) return p;
  std::string word;
  if (auto p = read_string(j, at, "code", word, {})) return p;
  if (!from_string(word, out.code))
    return malformed(path_of(at, "code"), "unknown value " + quoted_word(word));
  if (auto p = read_string(j, at, "message", out.message, {.max_len = limits::max_message}))
    return p;
  const auto details = j.find("details");
  if (details == j.end() || details->is_null()) return malformed(path_of(at, "details"), "missing");
  if (!details->is_object()) return malformed(path_of(at, "details"), "must be an object");
  out.details = *details;
  return std::nullopt;
}

maybe_problem read_issues(const json& obj, std::string_view prefix, const char* key,
                          std::vector<issue>& out) {
  const json* arr = nullptr;
  if (auto p = read_array(obj, prefix, key, arr, 0, 2 * limits::max_lines)) return p;
  for (std::size_t i = 0; i < arr->size(); ++i) {
    issue is;
    if (auto p = read_issue_at((*arr)[i], index_path(path_of(prefix, key), i), is)) return p;
    out.push_back(std::move(is));
  }
  return std::nullopt;
}

// The "lines" of order.submit and order.quote: same rules, same codes.
maybe_problem read_order_lines(const json& body, std::vector<order_line>& out) {
  const json* lines = find_member(body, "lines");
  if (lines == nullptr) return malformed("lines", "missing");
  if (!lines->is_array()) return malformed("lines", "must be an array");
  if (lines->empty())
    return field_problem(code::empty_order, "lines", "an order needs at least one line");
  if (lines->size() > limits::max_lines) {
    return field_problem(code::too_many_lines, "lines",
                         "more than " + std::to_string(limits::max_lines) + " lines",
                         {{"max", limits::max_lines}, {"count", lines->size()}});
  }
  out.reserve(lines->size());
  for (std::size_t i = 0; i < lines->size(); ++i) {
    const std::string at = index_path("lines", i);
    const json& lj = (*lines)[i];
    if (auto p = require_object(lj, at)) return p;
    order_line line;
    if (auto p = read_slug(lj, at, "product_id", line.product_id)) return p;
    const std::string qty_field = path_of(at, "qty");
    const json* q = find_member(lj, "qty");
    if (q == nullptr) return malformed(qty_field, "missing");
    if (!q->is_number()) return malformed(qty_field, "must be an integer");
    const json range{{"min", limits::min_qty}, {"max", limits::max_qty}};
    std::int64_t n = 0;
    // A number that is not an integer (2.5, 1.0) or is out of range is a quantity problem.
    if (!as_int64(*q, n) || n < limits::min_qty || n > limits::max_qty) {
      return field_problem(code::invalid_quantity, qty_field,
                           "quantity must be an integer from " + std::to_string(limits::min_qty) +
                               " to " + std::to_string(limits::max_qty),
                           range);
    }
    line.qty = static_cast<int>(n);
    if (auto p = read_string(lj, at, "note", line.note,
                             {.required = false, .max_len = limits::max_note, .plain_text = true})) {
      return p;
    }
    if (find_member(lj, "options") != nullptr) {
      const json* opts = nullptr;
      if (auto p = read_array(lj, at, "options", opts, 0, limits::max_line_options)) return p;
      for (std::size_t k = 0; k < opts->size(); ++k) {
        const std::string oat = index_path(path_of(at, "options"), k);
        const json& oj = (*opts)[k];
        if (auto p = require_object(oj, oat)) return p;
        line_option o;
        if (auto p = read_slug(oj, oat, "group", o.group_id)) return p;
        if (auto p = read_slug(oj, oat, "option", o.option_id)) return p;
        line.options.push_back(std::move(o));
      }
    }
    out.push_back(std::move(line));
  }
  return std::nullopt;
}

json lines_to_json(const std::vector<order_line>& in) {
  json lines = json::array();
  for (const auto& l : in) {
    json lj{{"product_id", l.product_id}, {"qty", l.qty}};
    if (!l.note.empty()) lj["note"] = l.note;
    if (!l.options.empty()) {
      json opts = json::array();
      for (const auto& o : l.options) opts.push_back({{"group", o.group_id}, {"option", o.option_id}});
      lj["options"] = std::move(opts);
    }
    lines.push_back(std::move(lj));
  }
  return lines;
}

// Two-letter lower-case language code ("en", "fr").
bool is_language_code(const std::string& s) {
  return s.size() == 2 && s[0] >= 'a' && s[0] <= 'z' && s[1] >= 'a' && s[1] <= 'z';
}

// Shape of an IANA zone name ("Europe/Paris", "America/Argentina/Buenos_Aires", "UTC",
// "Etc/GMT+1"). Whether the zone exists is checked where the tz database is (the hub).
bool is_zone_name(const std::string& s) {
  if (s.empty() || s.size() > limits::max_time_zone || s.front() == '/' || s.back() == '/')
    return false;
  for (char c : s) {
    const bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
                    c == '/' || c == '_' || c == '-' || c == '+';
    if (!ok) return false;
  }
  return s.find("..") == std::string::npos;
}

// A product's "availability": 1–max windows of {"days":[…],"from":"HH:MM","until":"HH:MM"}.
maybe_problem read_availability_at(const json& arr, const std::string& at_key,
                                   std::vector<availability_window>& out) {
  if (!arr.is_array()) return malformed(at_key, "must be an array");
  if (arr.empty()) return malformed(at_key, "must not be empty (leave it out for always available)");
  if (arr.size() > limits::max_availability_windows) {
    return malformed(at_key, "at most " + std::to_string(limits::max_availability_windows) + " windows");
  }
  for (std::size_t i = 0; i < arr.size(); ++i) {
    const std::string at = index_path(at_key, i);
    const json& wj = arr[i];
    if (auto p = require_object(wj, at)) return p;
    availability_window w;
    const auto days = wj.find("days");
    if (days == wj.end() || days->is_null()) return malformed(path_of(at, "days"), "missing");
    if (!days->is_array()) return malformed(path_of(at, "days"), "must be an array of mon … sun");
    if (days->empty()) return malformed(path_of(at, "days"), "must name at least one day");
    for (const auto& d : *days) {
      const int wd = d.is_string() ? parse_weekday(d.get<std::string>()) : -1;
      if (wd < 0) return malformed(path_of(at, "days"), "must be mon, tue, … sun");
      if ((w.days & (1u << wd)) != 0) return malformed(path_of(at, "days"), "names a day twice");
      w.days |= 1u << wd;
    }
    std::string word;
    if (auto p = read_string(wj, at, "from", word, {})) return p;
    w.from_minute = parse_hhmm(word);
    if (auto p = read_string(wj, at, "until", word, {})) return p;
    w.until_minute = parse_hhmm(word);
    if (auto p = check_window(w, at)) return p;
    out.push_back(w);
  }
  return std::nullopt;
}

maybe_problem read_option_groups_at(const json& arr, const std::string& at_key,
                                    const std::string& currency, std::vector<option_group>& out) {
  if (!arr.is_array()) return malformed(at_key, "must be an array");
  if (arr.size() > limits::max_option_groups) {
    return field_problem(code::malformed, at_key,
                         "more than " + std::to_string(limits::max_option_groups) + " groups",
                         {{"max", limits::max_option_groups}});
  }
  for (std::size_t g = 0; g < arr.size(); ++g) {
    const std::string at = index_path(at_key, g);
    const json& gj = arr[g];
    if (auto p = require_object(gj, at)) return p;
    option_group grp;
    if (auto p = read_slug(gj, at, "id", grp.id)) return p;
    for (const auto& prev : out) {
      if (prev.id == grp.id) return malformed(path_of(at, "id"), "duplicate group id");
    }
    if (auto p = read_string(gj, at, "name", grp.name,
                             {.allow_empty = false, .max_len = limits::max_name, .plain_text = true})) {
      return p;
    }
    const json* opts = nullptr;
    if (auto p = read_array(gj, at, "options", opts, 1, limits::max_group_options)) return p;
    const int n = static_cast<int>(opts->size());
    if (auto p = read_int(gj, at, "max", grp.max_choices, 1, n)) return p;
    if (auto p = read_int(gj, at, "min", grp.min_choices, 0, grp.max_choices)) return p;
    int preselected = 0;
    for (std::size_t k = 0; k < opts->size(); ++k) {
      const std::string oat = index_path(path_of(at, "options"), k);
      const json& oj = (*opts)[k];
      if (auto p = require_object(oj, oat)) return p;
      option_choice c;
      if (auto p = read_slug(oj, oat, "id", c.id)) return p;
      for (const auto& prev : grp.options) {
        if (prev.id == c.id) return malformed(path_of(oat, "id"), "duplicate option id");
      }
      if (auto p = read_string(oj, oat, "name", c.name,
                               {.allow_empty = false, .max_len = limits::max_name, .plain_text = true})) {
        return p;
      }
      if (auto p = read_nonnegative_money(oj, oat, "price_delta", c.price_delta, &currency))
        return p;
      if (auto p = read_bool(oj, oat, "available", c.available)) return p;
      if (auto p = read_bool(oj, oat, "default", c.preselected, /*required=*/false)) return p;
      if (c.preselected) ++preselected;
      grp.options.push_back(std::move(c));
    }
    if (preselected > grp.max_choices)
      return malformed(path_of(at, "options"), "more defaults than max");
    out.push_back(std::move(grp));
  }
  return std::nullopt;
}

maybe_problem read_profile_at(const json& j, const std::string& at, store_profile& out,
                              const std::string& currency) {
  if (auto p = require_object(j, at)) return p;
  if (auto p = read_string(j, at, "time_zone", out.time_zone, {})) return p;
  if (!is_zone_name(out.time_zone))
    return malformed(path_of(at, "time_zone"), "must be an IANA zone name such as Europe/Paris");

  const std::string tax_at = path_of(at, "tax");
  const json* tax = find_member(j, "tax");
  if (tax == nullptr) return malformed(tax_at, "missing");
  if (auto p = require_object(*tax, tax_at)) return p;
  if (auto p = read_enum(*tax, tax_at, "mode", out.tax)) return p;
  if (auto p = read_int64(*tax, tax_at, "rate_bp", out.tax_rate_bp, 0, 100000)) return p;

  const json* types = nullptr;
  if (auto p = read_array(j, at, "order_types", types, 1, 4)) return p;
  for (std::size_t i = 0; i < types->size(); ++i) {
    const std::string tat = index_path(path_of(at, "order_types"), i);
    const json& tj = (*types)[i];
    if (auto p = require_object(tj, tat)) return p;
    order_type_offer o;
    if (auto p = read_enum(tj, tat, "type", o.type)) return p;
    if (out.offer(o.type) != nullptr) return malformed(path_of(tat, "type"), "listed twice");
    o.fee.currency = currency;
    o.minimum.currency = currency;
    switch (o.type) {
      case order_type::eat_in:
        if (auto p = read_bool(tj, tat, "table_numbers", o.table_numbers)) return p;
        break;
      case order_type::takeaway:
        break;
      case order_type::pickup:
        if (auto p = read_int(tj, tat, "slot_minutes", o.slot_minutes, 5, 240)) return p;
        if (auto p = read_int(tj, tat, "lead_minutes", o.lead_minutes, 0, 1440)) return p;
        break;
      case order_type::delivery:
        if (auto p = read_nonnegative_money(tj, tat, "fee", o.fee, &currency)) return p;
        if (auto p = read_nonnegative_money(tj, tat, "minimum", o.minimum, &currency)) return p;
        if (auto p = read_string(tj, tat, "area", o.area, {.max_len = limits::max_area, .plain_text = true}))
          return p;
        break;
    }
    out.order_types.push_back(std::move(o));
  }

  if (auto p = read_bool(j, at, "always_open", out.always_open)) return p;
  const json* hours = nullptr;
  if (auto p = read_array(j, at, "opening_hours", hours, 0, limits::max_hours_spans)) return p;
  for (std::size_t i = 0; i < hours->size(); ++i) {
    const std::string hat = index_path(path_of(at, "opening_hours"), i);
    const json& hj = (*hours)[i];
    if (auto p = require_object(hj, hat)) return p;
    hours_span h;
    std::string word;
    if (auto p = read_string(hj, hat, "day", word, {})) return p;
    h.weekday = parse_weekday(word);
    if (h.weekday < 0) return malformed(path_of(hat, "day"), "must be mon, tue, … sun");
    if (auto p = read_string(hj, hat, "opens", word, {})) return p;
    h.opens_minute = parse_hhmm(word);
    if (h.opens_minute < 0 || h.opens_minute >= 1440)
      return malformed(path_of(hat, "opens"), "must be HH:MM from 00:00 to 23:59");
    if (auto p = read_string(hj, hat, "closes", word, {})) return p;
    h.closes_minute = parse_hhmm(word);
    if (h.closes_minute <= h.opens_minute)
      return malformed(path_of(hat, "closes"), "must be HH:MM after opens (24:00 at most)");
    out.opening_hours.push_back(h);
  }

  const json* langs = nullptr;
  if (auto p = read_array(j, at, "languages", langs, 1, limits::max_languages)) return p;
  for (std::size_t i = 0; i < langs->size(); ++i) {
    const std::string lat = index_path(path_of(at, "languages"), i);
    const json& lj = (*langs)[i];
    if (!lj.is_string() || !is_language_code(lj.get_ref<const std::string&>()))
      return malformed(lat, "must be a two-letter lower-case language code");
    const auto& code_word = lj.get_ref<const std::string&>();
    for (const auto& prev : out.languages) {
      if (prev == code_word) return malformed(lat, "listed twice");
    }
    out.languages.push_back(code_word);
  }
  if (auto p = read_string(j, at, "banner", out.banner, {.max_len = limits::max_banner, .plain_text = true}))
    return p;

  const json* pays = nullptr;
  if (auto p = read_array(j, at, "payment_methods", pays, 1, 3)) return p;
  for (std::size_t i = 0; i < pays->size(); ++i) {
    const std::string pat = index_path(path_of(at, "payment_methods"), i);
    const json& pj = (*pays)[i];
    payment_method m{};
    if (!pj.is_string() || !from_string(pj.get_ref<const std::string&>(), m))
      return malformed(pat, "must be card_present, cash or wallet");
    if (out.accepts(m)) return malformed(pat, "listed twice");
    out.payment_methods.push_back(m);
  }
  // Counter card ages: optional (profiles from before them mean the defaults).
  for (auto [key, field] : {std::pair{"age_amber_seconds", &out.age_amber_seconds},
                            std::pair{"age_red_seconds", &out.age_red_seconds}})
    if (find_member(j, key) != nullptr)
      if (auto p = read_int(j, at, key, *field, 60, 14400)) return p;
  if (out.age_red_seconds < out.age_amber_seconds)
    return malformed(path_of(at, "age_red_seconds"), "must be at least age_amber_seconds");
  return std::nullopt;
}
}  // namespace

// ---------------------------------------------------------------------------------------------
// UTF-8

bool is_control_code_point(std::uint32_t cp) noexcept {
  return cp < 0x20 || (cp >= 0x7F && cp <= 0x9F) || cp == 0x2028 || cp == 0x2029 ||
         (cp >= 0x202A && cp <= 0x202E) || (cp >= 0x2066 && cp <= 0x2069);
}

bool is_valid_utf8(std::string_view s) noexcept {
  std::size_t i = 0;
  const std::size_t n = s.size();
  while (i < n) {
    const auto b0 = static_cast<unsigned char>(s[i]);
    if (b0 < 0x80) {
      ++i;
      continue;
    }
    std::size_t len = 0;
    std::uint32_t cp = 0;
    if ((b0 & 0xE0) == 0xC0) {
      len = 2;
      cp = b0 & 0x1Fu;
    } else if ((b0 & 0xF0) == 0xE0) {
      len = 3;
      cp = b0 & 0x0Fu;
    } else if ((b0 & 0xF8) == 0xF0) {
      len = 4;
      cp = b0 & 0x07u;
    } else {
      return false;
    }
    if (i + len > n) return false;
    for (std::size_t k = 1; k < len; ++k) {
      const auto b = static_cast<unsigned char>(s[i + k]);
      if ((b & 0xC0) != 0x80) return false;
      cp = (cp << 6) | (b & 0x3Fu);
    }
    const bool overlong =
        (len == 2 && cp < 0x80) || (len == 3 && cp < 0x800) || (len == 4 && cp < 0x10000);
    if (overlong || cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF)) return false;
    i += len;
  }
  return true;
}

std::size_t utf8_length(std::string_view s) noexcept {
  std::size_t count = 0;
  for (char c : s) {
    if ((static_cast<unsigned char>(c) & 0xC0) != 0x80) ++count;
  }
  return count;
}

// ---------------------------------------------------------------------------------------------
// Envelope

result<envelope> decode_envelope(std::string_view payload) {
  return decode_envelope(payload, limits::max_payload);
}

result<envelope> decode_envelope(std::string_view payload, std::size_t max_bytes) {
  if (payload.size() > max_bytes) {
    return make_problem(code::too_large,
                        "payload of " + std::to_string(payload.size()) + " bytes exceeds " +
                            std::to_string(max_bytes),
                        {{"max", max_bytes}, {"size", payload.size()}});
  }
  // RFC 8259 lets a parser ignore a byte order mark, and nlohmann takes a NUL byte for the end of
  // the text ("{...}\0anything" parses as "{...}"). Both are refused, so that what a sender signs,
  // hashes or compares is exactly the JSON text. A raw NUL is never valid JSON anywhere else.
  if (payload.size() >= 3 && payload.substr(0, 3) == "\xEF\xBB\xBF") {
    return make_problem(code::malformed, "payload starts with a UTF-8 byte order mark");
  }
  if (payload.find('\0') != std::string_view::npos) {
    return make_problem(code::malformed, "payload contains a NUL byte");
  }
  // read_json accepts exactly what nlohmann's strict parse accepts (valid UTF-8 JSON) and builds
  // the same tree, in a third of the instructions. Beyond that it refuses nesting deeper than
  // max_depth as soon as the bracket that opens it is read, so a hostile payload ("[[[[…" 64 KiB
  // deep) never becomes a tree that recursive code (copy, dump, comparison) would walk on a small
  // thread stack; and a key repeated within an object: nlohmann keeps the last one, another parser
  // the first, so {"v":2,"v":1} would mean different things to different readers.
  json_read_result read = read_json(payload, limits::max_depth);
  switch (read.st) {
    case json_read_result::status::ok:
      break;
    case json_read_result::status::too_deep:
      return make_problem(code::malformed, "JSON nested deeper than " + std::to_string(limits::max_depth),
                          {{"max_depth", limits::max_depth}});
    case json_read_result::status::duplicate_key:
      return make_problem(code::malformed, "duplicate key " + quoted_word(read.duplicate) + " in a JSON object",
                          {{"key", is_valid_utf8(read.duplicate) && read.duplicate.size() <= 40 ? read.duplicate : std::string()}});
    case json_read_result::status::invalid:
      return make_problem(code::malformed, "not valid JSON (or not UTF-8)");
  }
  json doc = std::move(read.value);
  if (!doc.is_object()) return make_problem(code::malformed, "envelope must be a JSON object");

  const json* v = find_member(doc, "v");
  if (v == nullptr) return malformed("v", "missing");
  std::int64_t ver = 0;
  if (!v->is_number_integer()) return malformed("v", "must be an integer");
  if (!as_int64(*v, ver) || ver != version) {
    return make_problem(code::unsupported_version,
                        "protocol version not supported (this side speaks 1)",
                        {{"field", "v"}, {"supported", json::array({version})}});
  }

  envelope e;
  e.v = version;
  if (auto p = read_string(doc, "", "type", e.type, {})) return std::move(*p);
  if (!is_type_word(e.type)) return malformed("type", "must be 1-64 characters of [a-z0-9._-]");
  if (auto p = read_uuid(doc, "", "id", e.id)) return std::move(*p);
  if (auto p = read_timestamp(doc, "", "ts", e.ts)) return std::move(*p);
  const auto body = doc.find("body");
  if (body == doc.end()) return malformed("body", "missing");
  if (!body->is_object()) return malformed("body", "must be an object");
  e.body = std::move(*body);
  return e;
}

std::string encode_envelope(const envelope& e) {
  json j = json::object();
  j["v"] = e.v;
  j["type"] = e.type;
  j["id"] = e.id;
  j["ts"] = e.ts;
  j["body"] = e.body;
  return dump(j);
}

std::string make_message(std::string_view type, nlohmann::json body) {
  envelope e;
  e.type = std::string(type);
  e.id = new_uuid();
  e.ts = format_rfc3339(clock::now());
  e.body = std::move(body);
  return encode_envelope(e);
}

// ---------------------------------------------------------------------------------------------
// Encoders

json to_json(const money& m) {
  return json{{"amount", m.amount}, {"currency", m.currency}};
}

json to_json(const hello& m) {
  json j{{"firmware", m.firmware}, {"mode", to_string(m.mode)}};
  if (m.catalog_version) j["catalog_version"] = *m.catalog_version;
  return j;
}

json to_json(const catalog& m) {
  json cats = json::array();
  for (const auto& c : m.categories) {
    cats.push_back(json{{"id", c.id}, {"name", c.name}, {"position", c.position}});
  }
  json prods = json::array();
  for (const auto& p : m.products) {
    json pj{{"id", p.id},
            {"sku", p.sku},
            {"category_id", p.category_id},
            {"name", p.name},
            {"description", p.description},
            {"price", to_json(p.price)},
            {"image_url", p.image_url},
            {"available", p.available}};
    pj["stock"] = p.stock ? json(*p.stock) : json(nullptr);
    if (!p.option_groups.empty()) {
      json groups = json::array();
      for (const auto& g : p.option_groups) groups.push_back(to_json(g));
      pj["option_groups"] = std::move(groups);
    }
    if (!p.availability.empty()) {
      json windows = json::array();
      for (const auto& w : p.availability) {
        json days = json::array();
        for (int d = 0; d < 7; ++d) {
          if ((w.days & (1u << d)) != 0) days.push_back(weekday_word(d));
        }
        windows.push_back({{"days", std::move(days)},
                           {"from", format_hhmm(w.from_minute)},
                           {"until", format_hhmm(w.until_minute)}});
      }
      pj["availability"] = std::move(windows);
    }
    prods.push_back(std::move(pj));
  }
  json j{{"business_id", m.business_id},  {"business_name", m.business_name},
         {"currency", m.currency},        {"version", m.version},
         {"categories", std::move(cats)}, {"products", std::move(prods)}};
  if (m.profile) j["profile"] = to_json(*m.profile);
  return j;
}

json to_json(const option_group& g) {
  json opts = json::array();
  for (const auto& c : g.options) {
    json cj{{"id", c.id},
            {"name", c.name},
            {"price_delta", to_json(c.price_delta)},
            {"available", c.available}};
    if (c.preselected) cj["default"] = true;
    opts.push_back(std::move(cj));
  }
  return json{{"id", g.id},
              {"name", g.name},
              {"min", g.min_choices},
              {"max", g.max_choices},
              {"options", std::move(opts)}};
}

json to_json(const store_profile& m) {
  json types = json::array();
  for (const auto& o : m.order_types) {
    json oj{{"type", to_string(o.type)}};
    switch (o.type) {
      case order_type::eat_in:
        oj["table_numbers"] = o.table_numbers;
        break;
      case order_type::takeaway:
        break;
      case order_type::pickup:
        oj["slot_minutes"] = o.slot_minutes;
        oj["lead_minutes"] = o.lead_minutes;
        break;
      case order_type::delivery:
        oj["fee"] = to_json(o.fee);
        oj["minimum"] = to_json(o.minimum);
        oj["area"] = o.area;
        break;
    }
    types.push_back(std::move(oj));
  }
  json hours = json::array();
  for (const auto& h : m.opening_hours) {
    hours.push_back({{"day", weekday_word(h.weekday)},
                     {"opens", format_hhmm(h.opens_minute)},
                     {"closes", format_hhmm(h.closes_minute)}});
  }
  json pays = json::array();
  for (auto p : m.payment_methods) pays.push_back(to_string(p));
  json j{{"time_zone", m.time_zone},
         {"tax", {{"mode", to_string(m.tax)}, {"rate_bp", m.tax_rate_bp}}},
         {"order_types", std::move(types)},
         {"always_open", m.always_open},
         {"opening_hours", std::move(hours)},
         {"languages", m.languages},
         {"banner", m.banner},
         {"payment_methods", std::move(pays)}};
  // Left out at their defaults, so profiles from before them stay byte-for-byte the same.
  const store_profile defaults;
  if (m.age_amber_seconds != defaults.age_amber_seconds) j["age_amber_seconds"] = m.age_amber_seconds;
  if (m.age_red_seconds != defaults.age_red_seconds) j["age_red_seconds"] = m.age_red_seconds;
  return j;
}

json to_json(const order_quote& m) {
  json j{{"quote_id", m.quote_id},
         {"order_type", to_string(m.type)},
         {"lines", lines_to_json(m.lines)}};
  if (!m.discount_code.empty()) j["discount_code"] = m.discount_code;
  if (!m.pickup_at.empty()) j["pickup_at"] = m.pickup_at;
  return j;
}

json to_json(const issue& m) {
  return json{{"code", to_string(m.code)},
              {"message", truncate_code_points(m.message, limits::max_message)},
              {"details", m.details.is_object() ? m.details : json{{"value", m.details}}}};
}

json to_json(const order_quoted& m) {
  json lines = json::array();
  for (const auto& l : m.lines) {
    json probs = json::array();
    for (const auto& p : l.problems) probs.push_back(to_json(p));
    lines.push_back({{"line", l.line},
                     {"unit_price", to_json(l.unit_price)},
                     {"line_total", to_json(l.line_total)},
                     {"problems", std::move(probs)}});
  }
  json probs = json::array();
  for (const auto& p : m.problems) probs.push_back(to_json(p));
  return json{{"quote_id", m.quote_id},
              {"ok", m.ok},
              {"subtotal", to_json(m.subtotal)},
              {"discount", to_json(m.discount)},
              {"tax", to_json(m.tax)},
              {"delivery_fee", to_json(m.delivery_fee)},
              {"total", to_json(m.total)},
              {"lines", std::move(lines)},
              {"problems", std::move(probs)}};
}

json to_json(const feedback& m) {
  json j{{"order_id", m.order_id}, {"rating", m.rating}};
  if (!m.comment.empty()) j["comment"] = m.comment;
  return j;
}

json to_json(const device_status& m) {
  json j{{"printer", to_string(m.printer)},
         {"camera", to_string(m.camera)},
         {"outbox", m.outbox},
         {"firmware", m.firmware}};
  if (!m.detail.empty()) j["detail"] = m.detail;
  return j;
}

json to_json(const order_submit& m) {
  json j{{"order_id", m.order_id},
         {"order_type", to_string(m.type)},
         {"lines", lines_to_json(m.lines)},
         {"payment_method", to_string(m.payment)}};
  json cust = json::object();
  if (!m.cust.name.empty()) cust["name"] = m.cust.name;
  if (!m.cust.phone.empty()) cust["phone"] = m.cust.phone;
  if (!m.cust.email.empty()) cust["email"] = m.cust.email;
  if (!cust.empty()) j["customer"] = std::move(cust);
  if (!m.discount_code.empty()) j["discount_code"] = m.discount_code;
  if (!m.table.empty()) j["table"] = m.table;
  if (!m.pickup_at.empty()) j["pickup_at"] = m.pickup_at;
  if (!m.delivery_address.empty()) j["delivery_address"] = m.delivery_address;
  if (!m.local_number.empty()) j["local_number"] = m.local_number;
  if (!m.placed_at.empty()) j["placed_at"] = m.placed_at;
  return j;
}

json to_json(const order_accepted& m) {
  json j{{"order_id", m.order_id},      {"number", m.number},
         {"state", to_string(m.state)}, {"subtotal", to_json(m.subtotal)},
         {"tax", to_json(m.tax)},       {"discount", to_json(m.discount)},
         {"total", to_json(m.total)},   {"eta", m.eta}};
  if (m.delivery_fee) j["delivery_fee"] = to_json(*m.delivery_fee);
  if (!m.tracking_url.empty()) j["tracking_url"] = m.tracking_url;
  return j;
}

json to_json(const rejection& m) {
  json j = json::object();
  if (!m.order_id.empty()) j["order_id"] = m.order_id;
  j["code"] = to_string(m.code);
  // The decoder caps messages; cutting here keeps every encoded rejection decodable.
  j["message"] = truncate_code_points(m.message, limits::max_message);
  // details is an object on the wire; anything else a caller put there is kept under "value".
  j["details"] = m.details.is_object() ? m.details : json{{"value", m.details}};
  return j;
}

json to_json(const order_status& m) {
  json j{{"order_id", m.order_id}, {"number", m.number}, {"state", to_string(m.state)}};
  if (!m.eta.empty()) j["eta"] = m.eta;
  if (m.seq) j["seq"] = *m.seq;
  if (m.previous) j["previous"] = to_string(*m.previous);
  if (!m.at.empty()) j["at"] = m.at;
  if (!m.by.empty()) j["by"] = m.by;
  if (m.order) j["order"] = to_json(*m.order);
  return j;
}

json to_json(const device_config& m) {
  return json{{"device_id", m.device_id}, {"business_id", m.business_id}, {"mode", to_string(m.mode)}};
}

// ---------------------------------------------------------------------------------------------
// Decoders

result<device_config> decode_device_config(const json& body) {
  return run<device_config>([&](device_config& out) -> maybe_problem {
    if (auto p = require_object(body, "body")) return p;
    if (auto p = read_slug(body, "", "device_id", out.device_id)) return p;
    if (auto p = read_slug(body, "", "business_id", out.business_id)) return p;
    if (auto p = read_enum(body, "", "mode", out.mode)) return p;
    return std::nullopt;
  });
}

result<money> decode_money(const json& j) {
  money m;
  if (auto p = read_money_at(j, "", m)) return std::move(*p);
  return m;
}

result<hello> decode_hello(const json& body) {
  return run<hello>([&](hello& out) -> maybe_problem {
    if (auto p = require_object(body, "body")) return p;
    if (auto p = read_string(
            body, "", "firmware", out.firmware,
            {.required = true, .allow_empty = false, .max_len = limits::max_firmware, .plain_text = true})) {
      return p;
    }
    if (auto p = read_enum(body, "", "mode", out.mode)) return p;
    if (find_member(body, "catalog_version") != nullptr) {
      std::int64_t v = 0;
      if (auto p = read_int64(body, "", "catalog_version", v, 0)) return p;
      out.catalog_version = v;
    }
    return std::nullopt;
  });
}

result<catalog> decode_catalog(const json& body) {
  return run<catalog>([&](catalog& out) -> maybe_problem {
    if (auto p = require_object(body, "body")) return p;
    if (auto p = read_slug(body, "", "business_id", out.business_id)) return p;
    if (auto p = read_string(body, "", "business_name", out.business_name, {})) return p;
    if (auto p = read_string(body, "", "currency", out.currency, {})) return p;
    if (!is_currency_code(out.currency))
      return malformed("currency", "must be three upper-case letters");
    if (auto p = read_int64(body, "", "version", out.version, 0)) return p;

    const json* cats = find_member(body, "categories");
    if (cats == nullptr) return malformed("categories", "missing");
    if (!cats->is_array()) return malformed("categories", "must be an array");
    out.categories.reserve(cats->size());
    for (std::size_t i = 0; i < cats->size(); ++i) {
      const std::string at = index_path("categories", i);
      const json& cj = (*cats)[i];
      if (auto p = require_object(cj, at)) return p;
      category c;
      if (auto p = read_slug(cj, at, "id", c.id)) return p;
      if (auto p = read_string(cj, at, "name", c.name, {})) return p;
      std::int64_t pos = 0;
      if (auto p = read_int64(cj, at, "position", pos, std::numeric_limits<int>::min(),
                              std::numeric_limits<int>::max())) {
        return p;
      }
      c.position = static_cast<int>(pos);
      out.categories.push_back(std::move(c));
    }

    const json* prods = find_member(body, "products");
    if (prods == nullptr) return malformed("products", "missing");
    if (!prods->is_array()) return malformed("products", "must be an array");
    out.products.reserve(prods->size());
    for (std::size_t i = 0; i < prods->size(); ++i) {
      const std::string at = index_path("products", i);
      const json& pj = (*prods)[i];
      if (auto p = require_object(pj, at)) return p;
      product pr;
      if (auto p = read_slug(pj, at, "id", pr.id)) return p;
      if (auto p = read_string(pj, at, "sku", pr.sku, {})) return p;
      if (auto p = read_slug(pj, at, "category_id", pr.category_id)) return p;
      if (auto p = read_string(pj, at, "name", pr.name, {})) return p;
      if (auto p = read_string(pj, at, "description", pr.description, {})) return p;
      if (auto p = read_money(pj, at, "price", pr.price)) return p;
      if (pr.price.amount < 0)
        return malformed(path_of(at, "price.amount"), "must not be negative");
      if (auto p = read_string(pj, at, "image_url", pr.image_url, {})) return p;
      const auto avail = pj.find("available");
      if (avail == pj.end() || avail->is_null())
        return malformed(path_of(at, "available"), "missing");
      if (!avail->is_boolean()) return malformed(path_of(at, "available"), "must be true or false");
      pr.available = avail->get<bool>();
      // stock is required but may be null (= not tracked).
      const auto stock = pj.find("stock");
      if (stock == pj.end())
        return malformed(path_of(at, "stock"), "missing (use null when not tracked)");
      if (!stock->is_null()) {
        std::int64_t n = 0;
        if (auto p = read_int64(pj, at, "stock", n, 0)) return p;
        pr.stock = n;
      }
      if (const json* groups = find_member(pj, "option_groups")) {
        if (auto p = read_option_groups_at(*groups, path_of(at, "option_groups"), pr.price.currency,
                                           pr.option_groups)) {
          return p;
        }
      }
      if (const json* windows = find_member(pj, "availability")) {
        if (auto p = read_availability_at(*windows, path_of(at, "availability"), pr.availability)) return p;
      }
      out.products.push_back(std::move(pr));
    }
    if (const json* prof = find_member(body, "profile")) {
      store_profile sp;
      if (auto p = read_profile_at(*prof, "profile", sp, out.currency)) return p;
      out.profile = std::move(sp);
    }
    return std::nullopt;
  });
}

result<order_submit> decode_order_submit(const json& body) {
  return run<order_submit>([&](order_submit& out) -> maybe_problem {
    if (auto p = require_object(body, "body")) return p;
    if (auto p = read_uuid(body, "", "order_id", out.order_id)) return p;
    if (auto p = read_enum(body, "", "order_type", out.type)) return p;

    if (auto p = read_order_lines(body, out.lines)) return p;

    if (auto p = read_enum(body, "", "payment_method", out.payment)) return p;

    if (const json* c = find_member(body, "customer")) {
      if (auto p = require_object(*c, "customer")) return p;
      if (auto p = read_string(*c, "customer", "name", out.cust.name,
                               {.required = false, .max_len = limits::max_name, .plain_text = true})) {
        return p;
      }
      if (auto p = read_string(*c, "customer", "phone", out.cust.phone,
                               {.required = false, .max_len = limits::max_phone, .plain_text = true})) {
        return p;
      }
      if (auto p = read_string(*c, "customer", "email", out.cust.email,
                               {.required = false, .max_len = limits::max_email, .plain_text = true})) {
        return p;
      }
    }
    if (auto p = read_string(body, "", "discount_code", out.discount_code,
                             {.required = false, .max_len = limits::max_discount_code, .plain_text = true})) {
      return p;
    }
    if (auto p = read_string(body, "", "table", out.table,
                             {.required = false, .max_len = limits::max_table, .plain_text = true})) {
      return p;
    }
    if (auto p = read_timestamp(body, "", "pickup_at", out.pickup_at, /*required=*/false)) return p;
    if (auto p = read_string(body, "", "delivery_address", out.delivery_address,
                             {.required = false, .max_len = limits::max_address, .plain_text = true})) {
      return p;
    }
    if (auto p = read_string(body, "", "local_number", out.local_number, {.required = false}))
      return p;
    if (!out.local_number.empty() && !is_local_number(out.local_number))
      return malformed("local_number", "must look like K1-007 (1-8 of A-Z0-9, '-', 1-4 digits)");
    if (auto p = read_timestamp(body, "", "placed_at", out.placed_at, /*required=*/false)) return p;
    // Client totals ("subtotal", "total", …) and any other unknown members are ignored on purpose:
    // the hub prices every order itself, and newer clients may send fields this version ignores.
    return std::nullopt;
  });
}

result<order_accepted> decode_order_accepted(const json& body) {
  return run<order_accepted>([&](order_accepted& out) -> maybe_problem {
    if (auto p = require_object(body, "body")) return p;
    if (auto p = read_uuid(body, "", "order_id", out.order_id)) return p;
    if (auto p =
            read_string(body, "", "number", out.number,
                        {.required = true, .allow_empty = false, .max_len = limits::max_number})) {
      return p;
    }
    if (auto p = read_enum(body, "", "state", out.state)) return p;
    if (auto p = read_money(body, "", "subtotal", out.subtotal)) return p;
    if (auto p = read_money(body, "", "tax", out.tax)) return p;
    if (auto p = read_money(body, "", "discount", out.discount)) return p;
    if (auto p = read_money(body, "", "total", out.total)) return p;
    if (auto p = read_timestamp(body, "", "eta", out.eta)) return p;
    if (find_member(body, "delivery_fee") != nullptr) {
      money fee;
      if (auto p = read_money(body, "", "delivery_fee", fee)) return p;
      out.delivery_fee = std::move(fee);
    }
    if (auto p = read_string(body, "", "tracking_url", out.tracking_url,
                             {.required = false, .max_len = limits::max_url})) {
      return p;
    }
    return std::nullopt;
  });
}

result<store_profile> decode_store_profile(const json& j, const std::string& currency) {
  return run<store_profile>([&](store_profile& out) -> maybe_problem {
    return read_profile_at(j, "", out, currency);
  });
}

result<std::vector<option_group>> decode_option_groups(const json& j, const std::string& currency) {
  return run<std::vector<option_group>>([&](std::vector<option_group>& out) -> maybe_problem {
    return read_option_groups_at(j, "option_groups", currency, out);
  });
}

result<order_quote> decode_order_quote(const json& body) {
  return run<order_quote>([&](order_quote& out) -> maybe_problem {
    if (auto p = require_object(body, "body")) return p;
    if (auto p = read_uuid(body, "", "quote_id", out.quote_id)) return p;
    if (auto p = read_enum(body, "", "order_type", out.type)) return p;
    if (auto p = read_order_lines(body, out.lines)) return p;
    if (auto p = read_string(body, "", "discount_code", out.discount_code,
                             {.required = false, .max_len = limits::max_discount_code, .plain_text = true})) {
      return p;
    }
    if (auto p = read_timestamp(body, "", "pickup_at", out.pickup_at, /*required=*/false)) return p;
    return std::nullopt;
  });
}

result<order_quoted> decode_order_quoted(const json& body) {
  return run<order_quoted>([&](order_quoted& out) -> maybe_problem {
    if (auto p = require_object(body, "body")) return p;
    if (auto p = read_uuid(body, "", "quote_id", out.quote_id)) return p;
    if (auto p = read_bool(body, "", "ok", out.ok)) return p;
    if (auto p = read_money(body, "", "subtotal", out.subtotal)) return p;
    if (auto p = read_money(body, "", "discount", out.discount)) return p;
    if (auto p = read_money(body, "", "tax", out.tax)) return p;
    if (auto p = read_money(body, "", "delivery_fee", out.delivery_fee)) return p;
    if (auto p = read_money(body, "", "total", out.total)) return p;
    const json* lines = nullptr;
    if (auto p = read_array(body, "", "lines", lines, 0, limits::max_lines)) return p;
    for (std::size_t i = 0; i < lines->size(); ++i) {
      const std::string at = index_path("lines", i);
      const json& lj = (*lines)[i];
      if (auto p = require_object(lj, at)) return p;
      quoted_line l;
      if (auto p = read_int(lj, at, "line", l.line, 0, static_cast<int>(limits::max_lines) - 1))
        return p;
      if (auto p = read_money(lj, at, "unit_price", l.unit_price)) return p;
      if (auto p = read_money(lj, at, "line_total", l.line_total)) return p;
      if (auto p = read_issues(lj, at, "problems", l.problems)) return p;
      out.lines.push_back(std::move(l));
    }
    if (auto p = read_issues(body, "", "problems", out.problems)) return p;
    return std::nullopt;
  });
}

result<feedback> decode_feedback(const json& body) {
  return run<feedback>([&](feedback& out) -> maybe_problem {
    if (auto p = require_object(body, "body")) return p;
    if (auto p = read_uuid(body, "", "order_id", out.order_id)) return p;
    if (auto p = read_int(body, "", "rating", out.rating, 1, 5)) return p;
    if (auto p = read_string(body, "", "comment", out.comment,
                             {.required = false, .max_len = limits::max_comment, .plain_text = true})) {
      return p;
    }
    return std::nullopt;
  });
}

result<device_status> decode_device_status(const json& body) {
  return run<device_status>([&](device_status& out) -> maybe_problem {
    if (auto p = require_object(body, "body")) return p;
    if (auto p = read_enum(body, "", "printer", out.printer)) return p;
    if (auto p = read_enum(body, "", "camera", out.camera)) return p;
    if (auto p = read_int64(body, "", "outbox", out.outbox, 0, limits::max_outbox_report)) return p;
    if (auto p = read_string(
            body, "", "firmware", out.firmware,
            {.required = true, .allow_empty = false, .max_len = limits::max_firmware, .plain_text = true})) {
      return p;
    }
    if (auto p = read_string(body, "", "detail", out.detail,
                             {.required = false, .max_len = limits::max_status_detail, .plain_text = true})) {
      return p;
    }
    return std::nullopt;
  });
}

int parse_hhmm(std::string_view s) noexcept {
  if (s.size() != 5 || s[2] != ':') return -1;
  for (std::size_t i : {0u, 1u, 3u, 4u}) {
    if (s[i] < '0' || s[i] > '9') return -1;
  }
  const int h = (s[0] - '0') * 10 + (s[1] - '0');
  const int m = (s[3] - '0') * 10 + (s[4] - '0');
  if (m > 59 || h > 24 || (h == 24 && m != 0)) return -1;
  return h * 60 + m;
}

std::string format_hhmm(int minute) {
  if (minute < 0) minute = 0;
  if (minute > 1440) minute = 1440;
  char buf[8];
  std::snprintf(buf, sizeof buf, "%02d:%02d", minute / 60, minute % 60);
  return buf;
}

namespace {
constexpr const char* k_weekdays[7] = {"mon", "tue", "wed", "thu", "fri", "sat", "sun"};
}

const char* weekday_word(int weekday) noexcept {
  return weekday >= 0 && weekday < 7 ? k_weekdays[weekday] : "mon";
}

int parse_weekday(std::string_view s) noexcept {
  for (int i = 0; i < 7; ++i) {
    if (s == k_weekdays[i]) return i;
  }
  return -1;
}

result<rejection> decode_rejection(const json& body) {
  return run<rejection>([&](rejection& out) -> maybe_problem {
    if (auto p = require_object(body, "body")) return p;
    if (auto p = read_uuid(body, "", "order_id", out.order_id, /*required=*/false)) return p;
    std::string word;
    if (auto p = read_string(body, "", "code", word, {})) return p;
    if (!from_string(word, out.code))
      return malformed("code", "unknown value " + quoted_word(word));
    if (auto p = read_string(body, "", "message", out.message, {.max_len = limits::max_message}))
      return p;
    const auto details = body.find("details");
    if (details == body.end() || details->is_null()) return malformed("details", "missing");
    if (!details->is_object()) return malformed("details", "must be an object");
    out.details = *details;
    return std::nullopt;
  });
}

result<order_status> decode_order_status(const json& body) {
  return run<order_status>([&](order_status& out) -> maybe_problem {
    if (auto p = require_object(body, "body")) return p;
    if (auto p = read_uuid(body, "", "order_id", out.order_id)) return p;
    if (auto p =
            read_string(body, "", "number", out.number,
                        {.required = true, .allow_empty = false, .max_len = limits::max_number})) {
      return p;
    }
    if (auto p = read_enum(body, "", "state", out.state)) return p;
    if (auto p = read_timestamp(body, "", "eta", out.eta, /*required=*/false)) return p;
    if (find_member(body, "seq") != nullptr) {
      std::int64_t n = 0;
      if (auto p = read_int64(body, "", "seq", n, 1)) return p;
      out.seq = n;
    }
    if (find_member(body, "previous") != nullptr) {
      order_state prev{};
      if (auto p = read_enum(body, "", "previous", prev)) return p;
      out.previous = prev;
    }
    if (auto p = read_timestamp(body, "", "at", out.at, /*required=*/false)) return p;
    if (auto p = read_string(body, "", "by", out.by, {.required = false, .max_len = 128})) return p;
    if (const json* o = find_member(body, "order")) {
      auto r = decode_open_order(*o);
      if (!r) {
        problem p = std::move(r).error();
        const std::string inner = p.details.value("field", std::string{});
        p.details["field"] = inner.empty() ? "order" : "order." + inner;
        p.message = "order." + p.message;
        return p;
      }
      out.order = std::move(r).value();
    }
    return std::nullopt;
  });
}

// ---------------------------------------------------------------------------------------------
// Helpers

std::optional<problem> validate_body(std::string_view type, const json& body) {
  auto check = [](auto r) -> std::optional<problem> {
    if (r) return std::nullopt;
    return std::move(r).error();
  };
  if (type == types::hello) return check(decode_hello(body));
  if (type == types::catalog) return check(decode_catalog(body));
  if (type == types::order_submit) return check(decode_order_submit(body));
  if (type == types::order_accepted) return check(decode_order_accepted(body));
  if (type == types::order_rejected || type == types::error) return check(decode_rejection(body));
  if (type == types::order_status) return check(decode_order_status(body));
  if (type == types::order_quote) return check(decode_order_quote(body));
  if (type == types::order_quoted) return check(decode_order_quoted(body));
  if (type == types::feedback) return check(decode_feedback(body));
  if (type == types::device_status) return check(decode_device_status(body));
  if (type == types::device_config) return check(decode_device_config(body));
  if (type == types::order_action) return check(decode_order_action(body));
  if (type == types::order_action_result) return check(decode_order_action_result(body));
  if (type == types::orders_sync) return check(decode_orders_sync(body));
  if (type == types::orders_snapshot) return check(decode_orders_snapshot(body));
  return make_problem(code::unknown_type, "unknown message type " + quoted_word(type),
                      {{"field", "type"}});
}

std::string peek_order_id(const json& body) {
  if (!body.is_object()) return {};
  const auto it = body.find("order_id");
  if (it == body.end() || !it->is_string()) return {};
  const auto& s = it->get_ref<const std::string&>();
  return is_uuid(s) ? canonical_uuid(s) : std::string{};
}

rejection make_rejection(problem p, std::string order_id) {
  rejection r;
  r.order_id = std::move(order_id);
  r.code = p.code;
  r.message = std::move(p.message);
  r.details = std::move(p.details);
  return r;
}

// ---------------------------------------------------------------------------------------------
// Staff actions, snapshot (staff.hpp)

bool is_open_state(order_state s) noexcept {
  return s == order_state::pending_payment || s == order_state::paid || s == order_state::preparing ||
         s == order_state::ready || s == order_state::out_for_delivery;
}

std::optional<std::string> parse_ticket(std::string_view t) {
  while (!t.empty() && (t.front() == ' ' || t.front() == '\t' || t.front() == '\r' || t.front() == '\n'))
    t.remove_prefix(1);
  while (!t.empty() && (t.back() == ' ' || t.back() == '\t' || t.back() == '\r' || t.back() == '\n'))
    t.remove_suffix(1);
  if (t.size() > limits::max_ticket) return std::nullopt;
  if (is_uuid(t)) return canonical_uuid(t);
  // A URL whose path ends in /o/<uuid> (the receipt's tracking QR); query/fragment cut off.
  if (t.rfind("https://", 0) != 0 && t.rfind("http://", 0) != 0) return std::nullopt;
  if (const auto q = t.find_first_of("?#"); q != std::string_view::npos) t = t.substr(0, q);
  while (!t.empty() && t.back() == '/') t.remove_suffix(1);
  if (t.size() < 39) return std::nullopt;
  const auto id = t.substr(t.size() - 36);
  if (t.substr(t.size() - 39, 3) != "/o/" || !is_uuid(id)) return std::nullopt;
  return canonical_uuid(id);
}

std::string ticket_payload(std::string_view order_id) { return canonical_uuid(order_id); }

json to_json(const open_order& m) {
  json lines = json::array();
  for (const auto& l : m.lines) {
    json lj{{"product_id", l.product_id}, {"name", l.name}, {"qty", l.qty}};
    if (!l.note.empty()) lj["note"] = l.note;
    if (!l.options.empty()) {
      json opts = json::array();
      for (const auto& o : l.options) opts.push_back({{"group", o.group}, {"option", o.option}, {"name", o.name}});
      lj["options"] = std::move(opts);
    }
    lines.push_back(std::move(lj));
  }
  json j{{"order_id", m.order_id},
         {"number", m.number},
         {"state", to_string(m.state)},
         {"order_type", to_string(m.type)},
         {"channel", to_string(m.channel)},
         {"payment_method", to_string(m.payment)},
         {"lines", std::move(lines)},
         {"created_at", m.created_at},
         {"subtotal", to_json(m.subtotal)},
         {"discount", to_json(m.discount)},
         {"tax", to_json(m.tax)},
         {"total", to_json(m.total)},
         {"ticket", m.ticket}};
  if (!m.customer_name.empty()) j["customer_name"] = m.customer_name;
  if (!m.table.empty()) j["table"] = m.table;
  if (!m.paid_at.empty()) j["paid_at"] = m.paid_at;
  if (!m.eta.empty()) j["eta"] = m.eta;
  return j;
}

result<open_order> decode_open_order(const json& j) {
  return run<open_order>([&](open_order& out) -> maybe_problem {
    if (auto p = require_object(j, "")) return p;
    if (auto p = read_uuid(j, "", "order_id", out.order_id)) return p;
    if (auto p = read_string(j, "", "number", out.number,
                             {.required = true, .allow_empty = false, .max_len = limits::max_number}))
      return p;
    if (auto p = read_enum(j, "", "state", out.state)) return p;
    if (auto p = read_enum(j, "", "order_type", out.type)) return p;
    if (auto p = read_enum(j, "", "channel", out.channel)) return p;
    if (auto p = read_enum(j, "", "payment_method", out.payment)) return p;
    const json* lines = find_member(j, "lines");
    if (lines == nullptr) return malformed("lines", "missing");
    if (!lines->is_array()) return malformed("lines", "must be an array");
    if (lines->size() > limits::max_lines) return malformed("lines", "too many lines");
    for (std::size_t i = 0; i < lines->size(); ++i) {
      const std::string at = index_path("lines", i);
      const json& lj = (*lines)[i];
      if (auto p = require_object(lj, at)) return p;
      open_order_line l;
      if (auto p = read_slug(lj, at, "product_id", l.product_id)) return p;
      if (auto p = read_string(lj, at, "name", l.name, {})) return p;
      std::int64_t q = 0;
      if (auto p = read_int64(lj, at, "qty", q, limits::min_qty, limits::max_qty)) return p;
      l.qty = static_cast<int>(q);
      if (auto p = read_string(lj, at, "note", l.note, {.required = false, .max_len = limits::max_note}))
        return p;
      if (const json* opts = find_member(lj, "options")) {
        const std::string oat = path_of(at, "options");
        if (!opts->is_array()) return malformed(oat, "must be an array");
        for (std::size_t k = 0; k < opts->size(); ++k) {
          const std::string o_at = index_path(oat, k);
          const json& oj = (*opts)[k];
          if (auto p = require_object(oj, o_at)) return p;
          ordered_option o;
          if (auto p = read_slug(oj, o_at, "group", o.group)) return p;
          if (auto p = read_slug(oj, o_at, "option", o.option)) return p;
          if (auto p = read_string(oj, o_at, "name", o.name, {})) return p;
          l.options.push_back(std::move(o));
        }
      }
      out.lines.push_back(std::move(l));
    }
    if (auto p = read_string(j, "", "customer_name", out.customer_name,
                             {.required = false, .max_len = limits::max_name}))
      return p;
    if (auto p = read_string(j, "", "table", out.table, {.required = false, .max_len = 16})) return p;
    if (auto p = read_timestamp(j, "", "created_at", out.created_at)) return p;
    if (auto p = read_timestamp(j, "", "paid_at", out.paid_at, false)) return p;
    if (auto p = read_timestamp(j, "", "eta", out.eta, false)) return p;
    if (auto p = read_money(j, "", "subtotal", out.subtotal)) return p;
    if (auto p = read_money(j, "", "discount", out.discount)) return p;
    if (auto p = read_money(j, "", "tax", out.tax)) return p;
    if (auto p = read_money(j, "", "total", out.total)) return p;
    if (auto p = read_string(j, "", "ticket", out.ticket,
                             {.required = true, .allow_empty = false, .max_len = limits::max_ticket}))
      return p;
    return std::nullopt;
  });
}

json to_json(const order_action& m) {
  json j{{"action_id", m.action_id}, {"action", to_string(m.action)}};
  if (!m.order_id.empty()) j["order_id"] = m.order_id;
  if (!m.ticket.empty()) j["ticket"] = m.ticket;
  if (m.tendered) j["tendered"] = to_json(*m.tendered);
  if (!m.reason.empty()) j["reason"] = m.reason;
  if (m.restock) j["restock"] = true;
  return j;
}

result<order_action> decode_order_action(const json& body) {
  return run<order_action>([&](order_action& out) -> maybe_problem {
    if (auto p = require_object(body, "body")) return p;
    if (auto p = read_uuid(body, "", "action_id", out.action_id)) return p;
    if (auto p = read_enum(body, "", "action", out.action)) return p;
    const bool collect = out.action == staff_action::collect;
    if (auto p = read_string(body, "", "ticket", out.ticket,
                             {.required = false, .max_len = limits::max_ticket, .plain_text = true}))
      return p;
    if (auto p = read_uuid(body, "", "order_id", out.order_id, /*required=*/!(collect && !out.ticket.empty())))
      return p;
    if (collect && out.ticket.empty() && out.order_id.empty()) return malformed("ticket", "missing");
    if (out.action == staff_action::take_cash) {
      money m;
      if (auto p = read_money(body, "", "tendered", m)) return p;
      if (m.amount < 0) return malformed("tendered.amount", "must not be negative");
      out.tendered = m;
    }
    if (auto p = read_string(body, "", "reason", out.reason,
                             {.required = out.action == staff_action::cancel,
                              .allow_empty = out.action != staff_action::cancel,
                              .max_len = limits::max_reason,
                              .plain_text = true}))
      return p;
    if (const json* r = find_member(body, "restock")) {
      if (!r->is_boolean()) return malformed("restock", "must be true or false");
      out.restock = r->get<bool>();
    }
    return std::nullopt;
  });
}

json to_json(const order_action_result& m) {
  json j{{"action_id", m.action_id}, {"ok", m.ok}};
  if (!m.order_id.empty()) j["order_id"] = m.order_id;
  if (!m.number.empty()) j["number"] = m.number;
  if (m.state) j["state"] = to_string(*m.state);
  if (m.seq) j["seq"] = *m.seq;
  if (m.change) j["change"] = to_json(*m.change);
  if (!m.ok) {
    j["code"] = to_string(m.code);
    j["message"] = truncate_code_points(m.message, limits::max_message);
    j["details"] = m.details.is_object() ? m.details : json{{"value", m.details}};
  }
  return j;
}

result<order_action_result> decode_order_action_result(const json& body) {
  return run<order_action_result>([&](order_action_result& out) -> maybe_problem {
    if (auto p = require_object(body, "body")) return p;
    if (auto p = read_uuid(body, "", "action_id", out.action_id)) return p;
    const json* ok = find_member(body, "ok");
    if (ok == nullptr) return malformed("ok", "missing");
    if (!ok->is_boolean()) return malformed("ok", "must be true or false");
    out.ok = ok->get<bool>();
    if (auto p = read_uuid(body, "", "order_id", out.order_id, false)) return p;
    if (auto p = read_string(body, "", "number", out.number, {.required = false, .max_len = limits::max_number}))
      return p;
    if (find_member(body, "state") != nullptr) {
      order_state st{};
      if (auto p = read_enum(body, "", "state", st)) return p;
      out.state = st;
    }
    if (find_member(body, "seq") != nullptr) {
      std::int64_t n = 0;
      if (auto p = read_int64(body, "", "seq", n, 1)) return p;
      out.seq = n;
    }
    if (find_member(body, "change") != nullptr) {
      money m;
      if (auto p = read_money(body, "", "change", m)) return p;
      out.change = m;
    }
    if (!out.ok) {
      std::string word;
      if (auto p = read_string(body, "", "code", word, {})) return p;
      if (!from_string(word, out.code)) return malformed("code", "unknown value " + quoted_word(word));
      if (auto p = read_string(body, "", "message", out.message, {.max_len = limits::max_message})) return p;
      const auto details = body.find("details");
      if (details == body.end() || details->is_null()) return malformed("details", "missing");
      if (!details->is_object()) return malformed("details", "must be an object");
      out.details = *details;
    }
    return std::nullopt;
  });
}

json to_json(const orders_sync& m) {
  json j = json::object();
  if (m.known_seq) j["known_seq"] = *m.known_seq;
  return j;
}

result<orders_sync> decode_orders_sync(const json& body) {
  return run<orders_sync>([&](orders_sync& out) -> maybe_problem {
    if (auto p = require_object(body, "body")) return p;
    if (find_member(body, "known_seq") != nullptr) {
      std::int64_t n = 0;
      if (auto p = read_int64(body, "", "known_seq", n, 0)) return p;
      out.known_seq = n;
    }
    return std::nullopt;
  });
}

json to_json(const orders_snapshot& m) {
  json orders = json::array();
  for (const auto& o : m.orders) orders.push_back(to_json(o));
  json j{{"business_id", m.business_id}, {"seq", m.seq}, {"at", m.at}, {"orders", std::move(orders)}};
  if (m.truncated) j["truncated"] = true;
  return j;
}

result<orders_snapshot> decode_orders_snapshot(const json& body) {
  return run<orders_snapshot>([&](orders_snapshot& out) -> maybe_problem {
    if (auto p = require_object(body, "body")) return p;
    if (auto p = read_slug(body, "", "business_id", out.business_id)) return p;
    if (auto p = read_int64(body, "", "seq", out.seq, 0)) return p;
    if (auto p = read_timestamp(body, "", "at", out.at)) return p;
    if (const json* t = find_member(body, "truncated")) {
      if (!t->is_boolean()) return malformed("truncated", "must be true or false");
      out.truncated = t->get<bool>();
    }
    const json* orders = find_member(body, "orders");
    if (orders == nullptr) return malformed("orders", "missing");
    if (!orders->is_array()) return malformed("orders", "must be an array");
    if (orders->size() > limits::max_snapshot_orders) return malformed("orders", "too many orders");
    for (std::size_t i = 0; i < orders->size(); ++i) {
      auto r = decode_open_order((*orders)[i]);
      if (!r) {
        problem p = std::move(r).error();
        const std::string inner = p.details.value("field", std::string{});
        const std::string at = index_path("orders", i);
        p.details["field"] = inner.empty() ? at : at + "." + inner;
        p.message = at + "." + p.message;
        return p;
      }
      out.orders.push_back(std::move(r).value());
    }
    return std::nullopt;
  });
}

}  // namespace kh::protocol
