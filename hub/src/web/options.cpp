// Option groups in the portal editor and the phone shop (see options.hpp).
#include "web/options.hpp"

#include <set>

#include "kh/protocol/codec.hpp"
#include "kh/protocol/ids.hpp"
#include "web/util.hpp"

namespace kh::hub::web {

namespace {

std::string get(const std::map<std::string, std::string>& f, const std::string& k) {
  auto it = f.find(k);
  return it == f.end() ? std::string() : trim(it->second);
}

std::string money_text(std::int64_t v) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "%lld.%02lld", static_cast<long long>(v / 100), static_cast<long long>(v % 100));
  return buf;
}

// A slug id from a name ("Oat milk" → "oat-milk"), unique among `taken`.
std::string make_id(const std::string& name, const char* fallback, std::set<std::string>& taken) {
  std::string s;
  for (unsigned char c : name) {
    if (std::isalnum(c) && c < 0x80) s += static_cast<char>(std::tolower(c));
    else if (!s.empty() && s.back() != '-') s += '-';
    if (s.size() >= 40) break;
  }
  while (!s.empty() && s.back() == '-') s.pop_back();
  if (s.empty()) s = fallback;
  std::string id = s;
  for (int n = 2; taken.count(id); ++n) id = s + "-" + std::to_string(n);
  taken.insert(id);
  return id;
}

}  // namespace

safe_html options_editor_fields(const std::vector<protocol::option_group>& groups, const std::string& currency) {
  std::string html;
  const std::size_t n_groups = std::min(groups.size() + k_blank_groups, protocol::limits::max_option_groups);
  for (std::size_t i = 0; i < n_groups; ++i) {
    const protocol::option_group* g = i < groups.size() ? &groups[i] : nullptr;
    const std::string gp = "g" + std::to_string(i) + "_";
    std::string rows;
    const std::size_t n_opts = std::min((g ? g->options.size() : 0) + k_blank_option_rows + (g ? 0 : 1),
                                        protocol::limits::max_group_options);
    for (std::size_t k = 0; k < n_opts; ++k) {
      const protocol::option_choice* c = g && k < g->options.size() ? &g->options[k] : nullptr;
      const std::string op = gp + "o" + std::to_string(k) + "_";
      rows += render(R"(<div class="row g-2 align-items-center option-row mb-1"><input type="hidden" name="{{p|attr}}id" value="{{id|attr}}">
<div class="col-12 col-sm-5"><input class="form-control form-control-sm" name="{{p|attr}}name" value="{{name|attr}}" maxlength="60" placeholder="Option name" aria-label="option name"></div>
<div class="col-5 col-sm-3"><div class="input-group input-group-sm"><span class="input-group-text">+</span><input class="form-control" name="{{p|attr}}delta" value="{{delta|attr}}" inputmode="decimal" placeholder="0.00" aria-label="price delta in {{cur}}"></div></div>
<div class="col-auto form-check ms-2"><input class="form-check-input" type="checkbox" id="{{p|attr}}avail" name="{{p|attr}}avail" value="1" {{avail}}><label class="form-check-label small" for="{{p|attr}}avail">available</label></div>
<div class="col-auto form-check ms-2"><input class="form-check-input" type="checkbox" id="{{p|attr}}default" name="{{p|attr}}default" value="1" {{def}}><label class="form-check-label small" for="{{p|attr}}default">preselected</label></div></div>)",
                     {{"p", op}, {"id", c ? c->id : ""}, {"name", c ? c->name : ""},
                      {"delta", c && c->price_delta.amount ? money_text(c->price_delta.amount) : ""}, {"cur", currency},
                      {"avail", !c || c->available ? "checked" : ""}, {"def", c && c->preselected ? "checked" : ""}}).html;
    }
    html += render(R"(<fieldset class="border rounded p-2 mb-3 option-group"><legend class="h6 float-none w-auto px-1 mb-1">{{legend}}</legend><input type="hidden" name="{{p|attr}}id" value="{{id|attr}}">
<div class="row g-2 mb-2"><div class="col-12 col-sm-6"><label class="form-label small mb-0" for="{{p|attr}}name">Group name</label><input class="form-control form-control-sm" id="{{p|attr}}name" name="{{p|attr}}name" value="{{name|attr}}" maxlength="60" placeholder="e.g. Size, Milk, Extras"></div>
<div class="col-6 col-sm-3"><label class="form-label small mb-0" for="{{p|attr}}min">At least</label><input class="form-control form-control-sm" id="{{p|attr}}min" name="{{p|attr}}min" value="{{min|attr}}" inputmode="numeric"></div>
<div class="col-6 col-sm-3"><label class="form-label small mb-0" for="{{p|attr}}max">At most</label><input class="form-control form-control-sm" id="{{p|attr}}max" name="{{p|attr}}max" value="{{max|attr}}" inputmode="numeric"></div></div>
{{rows|html}}</fieldset>)",
                   {{"p", gp}, {"legend", g ? g->name : "New group"}, {"id", g ? g->id : ""}, {"name", g ? g->name : ""},
                    {"min", std::to_string(g ? g->min_choices : 0)}, {"max", std::to_string(g ? g->max_choices : 1)},
                    {"rows", safe_html{rows}}}).html;
  }
  return safe_html{html};
}

std::variant<std::vector<protocol::option_group>, field_error> parse_options_form(
    const std::map<std::string, std::string>& f, const std::string& currency) {
  std::vector<protocol::option_group> groups;
  std::set<std::string> group_ids;
  // Ids kept from the page first, so a new group's made-up id never takes an existing one.
  for (std::size_t i = 0; i <= protocol::limits::max_option_groups; ++i) {
    const std::string id = get(f, "g" + std::to_string(i) + "_id");
    if (!id.empty() && !get(f, "g" + std::to_string(i) + "_name").empty()) group_ids.insert(id);
  }
  std::set<std::string> seen_groups;
  // Bounded: one more index than the limits allow, so "too many" is reported, not ignored.
  for (std::size_t i = 0; i <= protocol::limits::max_option_groups; ++i) {
    const std::string gp = "g" + std::to_string(i) + "_";
    protocol::option_group g;
    g.name = get(f, gp + "name");
    std::vector<protocol::option_choice> opts;
    std::set<std::string> opt_ids;
    for (std::size_t k = 0; k <= protocol::limits::max_group_options; ++k) {
      const std::string id = get(f, gp + "o" + std::to_string(k) + "_id");
      if (!id.empty() && !get(f, gp + "o" + std::to_string(k) + "_name").empty()) opt_ids.insert(id);
    }
    std::set<std::string> seen_opts;
    for (std::size_t k = 0; k <= protocol::limits::max_group_options; ++k) {
      const std::string op = gp + "o" + std::to_string(k) + "_";
      protocol::option_choice c;
      c.name = get(f, op + "name");
      const std::string delta = get(f, op + "delta");
      if (c.name.empty()) {
        if (!delta.empty() && delta != "0" && delta != "0.00" && !g.name.empty())
          return field_error{op + "name", "an option with a price needs a name"};
        continue;
      }
      auto d = delta.empty() ? std::optional<std::int64_t>(0) : parse_money(delta);
      if (!d) return field_error{op + "delta", "an amount such as 0.40 (0 or more)"};
      c.price_delta = {*d, currency};
      c.available = get(f, op + "avail") == "1";
      c.preselected = get(f, op + "default") == "1";
      c.id = get(f, op + "id");
      if (!c.id.empty() && (!protocol::is_slug_id(c.id) || seen_opts.count(c.id))) c.id.clear();
      if (c.id.empty()) c.id = make_id(c.name, "option", opt_ids);
      seen_opts.insert(c.id);
      opts.push_back(std::move(c));
    }
    if (g.name.empty()) {
      if (!opts.empty()) return field_error{gp + "name", "options need a group name (clear the options to remove the group)"};
      continue;
    }
    if (opts.empty()) return field_error{gp + "name", "group '" + g.name + "' needs at least one option"};
    auto mn = parse_int(get(f, gp + "min").empty() ? "0" : get(f, gp + "min"), 0, static_cast<std::int64_t>(opts.size()));
    if (!mn) return field_error{gp + "min", "group '" + g.name + "': at least 0–" + std::to_string(opts.size()) + " choices"};
    auto mx = parse_int(get(f, gp + "max").empty() ? "1" : get(f, gp + "max"), 1, static_cast<std::int64_t>(opts.size()));
    if (!mx) return field_error{gp + "max", "group '" + g.name + "': at most 1–" + std::to_string(opts.size()) + " choices"};
    if (*mn > *mx) return field_error{gp + "min", "group '" + g.name + "': 'at least' is more than 'at most'"};
    g.min_choices = static_cast<int>(*mn);
    g.max_choices = static_cast<int>(*mx);
    g.options = std::move(opts);
    g.id = get(f, gp + "id");
    if (!g.id.empty() && (!protocol::is_slug_id(g.id) || seen_groups.count(g.id))) g.id.clear();
    if (g.id.empty()) g.id = make_id(g.name, "group", group_ids);
    seen_groups.insert(g.id);
    groups.push_back(std::move(g));
  }
  // The one validation kiosks and the catalog use (names as plain text, limits, defaults ≤ max).
  nlohmann::json arr = nlohmann::json::array();
  for (const auto& g : groups) arr.push_back(protocol::to_json(g));
  auto checked = protocol::decode_option_groups(arr, currency);
  if (!checked) return field_error{"options", checked.error().message};
  return std::move(*checked);
}

std::optional<std::vector<protocol::line_option>> parse_line_options(const std::string& s) {
  std::vector<protocol::line_option> out;
  if (s.empty() || s.back() == ';') return std::nullopt;
  std::size_t i = 0;
  while (i < s.size()) {
    auto semi = s.find(';', i);
    if (semi == std::string::npos) semi = s.size();
    const std::string item = s.substr(i, semi - i);
    const auto slash = item.find('/');
    if (slash == std::string::npos) return std::nullopt;
    protocol::line_option o{item.substr(0, slash), item.substr(slash + 1)};
    if (!protocol::is_slug_id(o.group_id) || !protocol::is_slug_id(o.option_id)) return std::nullopt;
    out.push_back(std::move(o));
    if (out.size() > protocol::limits::max_option_groups * protocol::limits::max_group_options) return std::nullopt;
    i = semi + 1;
  }
  return out;
}

}  // namespace kh::hub::web
