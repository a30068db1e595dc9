// Owner portal: the store settings page, everything the catalog's store profile carries (time
// zone, opening hours, order types and their settings, languages, banner, payment methods, tax)
// plus what the business row keeps beside it (name, currency, about text, base preparation time).
// Every field is checked before anything is written; a bad one answers 400 naming it. Saving
// republishes the retained catalog, so kiosks update live.
#include <algorithm>
#include <array>
#include <cstdlib>
#include <set>

#include <spdlog/spdlog.h>

#include "kh/hub/catalog/store_profile.hpp"
#include "kh/protocol/codec.hpp"
#include "storage/sqlite_shop.hpp"
#include "web/app_impl.hpp"

namespace kh::hub::web {

using sqlite::connection;
namespace kp = protocol;

std::optional<std::int64_t> parse_percent_bp(const std::string& s);

namespace {

using form_t = std::map<std::string, std::string>;

std::string get(const form_t& f, const std::string& k) {
  auto it = f.find(k);
  return it == f.end() ? std::string() : trim(it->second);
}
bool on(const form_t& f, const std::string& k) { return get(f, k) == "1"; }

constexpr std::array<const char*, 7> k_days = {"mon", "tue", "wed", "thu", "fri", "sat", "sun"};
constexpr std::array<const char*, 7> k_day_names = {"Monday", "Tuesday", "Wednesday", "Thursday",
                                                    "Friday", "Saturday", "Sunday"};

std::string hhmm(int minute) {
  char buf[16];
  std::snprintf(buf, sizeof buf, "%02d:%02d", minute / 60, minute % 60);
  return buf;
}

/// "08:00" → 480; "24:00" only when `allow_24`.
std::optional<int> parse_clock(const std::string& s, bool allow_24) {
  if (s.size() != 5 || s[2] != ':') return std::nullopt;
  auto h = parse_int(s.substr(0, 2), 0, 24);
  auto m = parse_int(s.substr(3, 2), 0, 59);
  if (!h || !m || (*h == 24 && (*m != 0 || !allow_24))) return std::nullopt;
  return static_cast<int>(*h * 60 + *m);
}

std::string money_text(std::int64_t v) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "%lld.%02lld", static_cast<long long>(v / 100), static_cast<long long>(v % 100));
  return buf;
}

bool plain_text(const std::string& s) {
  for (unsigned char c : s)
    if (c < 0x20 && c != '\t') return false;
  return true;
}

/// What the settings form carries besides the profile.
struct store_row {
  std::string name, currency, about;
  int prep_minutes = 0;
};

/// The form → row + profile, or the first bad field. Nothing is written here.
std::optional<field_error> read_settings(const form_t& f, store_row& row, kp::store_profile& p) {
  row.name = get(f, "name");
  if (row.name.empty() || row.name.size() > 100) return field_error{"name", "required, at most 100 characters"};
  row.currency = get(f, "currency");
  for (auto& c : row.currency) c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
  if (!kp::is_currency_code(row.currency)) return field_error{"currency", "a three-letter ISO 4217 code such as EUR"};
  auto tax = parse_percent_bp(get(f, "tax_rate"));
  if (!tax) return field_error{"tax_rate", "a percentage such as 10 or 7.5"};
  p.tax_rate_bp = *tax;
  const std::string mode = get(f, "tax_mode");
  if (mode == "inclusive") p.tax = kp::tax_mode::inclusive;
  else if (mode == "exclusive") p.tax = kp::tax_mode::exclusive;
  else return field_error{"tax_mode", "inclusive or exclusive"};
  auto prep = parse_int(get(f, "prep_minutes"), 0, 240);
  if (!prep) return field_error{"prep_minutes", "whole minutes, 0–240"};
  row.prep_minutes = static_cast<int>(*prep);
  row.about = get(f, "about");
  if (row.about.size() > 2000) return field_error{"about", "at most 2000 characters"};

  p.time_zone = get(f, "time_zone");
  if (p.time_zone.size() > kp::limits::max_time_zone || !is_known_time_zone(p.time_zone))
    return field_error{"time_zone", "choose a time zone from the list"};

  p.always_open = on(f, "always_open");
  for (int d = 0; d < 7; ++d) {
    int prev_close = -1;
    for (const char* n : {"", "2"}) {
      const std::string ok = std::string(k_days[d]) + "_opens" + n, ck = std::string(k_days[d]) + "_closes" + n;
      const std::string o = get(f, ok), c = get(f, ck);
      if (o.empty() && c.empty()) continue;
      auto om = parse_clock(o, false);
      if (!om) return field_error{ok, "a time like 08:00 (or leave both empty: closed)"};
      auto cm = parse_clock(c, true);
      if (!cm || *cm <= *om) return field_error{ck, "a time after the opening time, 24:00 at most"};
      if (*om < prev_close) return field_error{ok, "the second span must start after the first one closes"};
      prev_close = *cm;
      p.opening_hours.push_back({d, *om, *cm});
    }
  }
  if (!p.always_open && p.opening_hours.empty())
    return field_error{"mon_opens", "give opening hours for at least one day, or tick \"always open\""};

  if (on(f, "type_eat_in")) {
    kp::order_type_offer o;
    o.type = kp::order_type::eat_in;
    o.table_numbers = on(f, "eat_in_tables");
    p.order_types.push_back(o);
  }
  if (on(f, "type_takeaway")) {
    kp::order_type_offer o;
    o.type = kp::order_type::takeaway;
    p.order_types.push_back(o);
  }
  if (on(f, "type_pickup")) {
    kp::order_type_offer o;
    o.type = kp::order_type::pickup;
    auto slot = parse_int(get(f, "pickup_slot_minutes"), 5, 240);
    if (!slot) return field_error{"pickup_slot_minutes", "whole minutes, 5–240"};
    auto lead = parse_int(get(f, "pickup_lead_minutes"), 0, 1440);
    if (!lead) return field_error{"pickup_lead_minutes", "whole minutes, 0–1440"};
    o.slot_minutes = static_cast<int>(*slot);
    o.lead_minutes = static_cast<int>(*lead);
    p.order_types.push_back(o);
  }
  if (on(f, "type_delivery")) {
    kp::order_type_offer o;
    o.type = kp::order_type::delivery;
    auto fee = parse_money(get(f, "delivery_fee").empty() ? "0" : get(f, "delivery_fee"));
    if (!fee) return field_error{"delivery_fee", "an amount such as 2.50"};
    auto min = parse_money(get(f, "delivery_minimum").empty() ? "0" : get(f, "delivery_minimum"));
    if (!min) return field_error{"delivery_minimum", "an amount such as 15.00"};
    o.fee = {*fee, row.currency};
    o.minimum = {*min, row.currency};
    o.area = get(f, "delivery_area");
    if (o.area.size() > kp::limits::max_area || !plain_text(o.area))
      return field_error{"delivery_area", "plain text, at most 200 characters"};
    p.order_types.push_back(o);
  }
  if (p.order_types.empty()) return field_error{"order_types", "offer at least one order type"};

  // "en, fr": the first is the default language.
  const std::string langs = get(f, "languages");
  std::size_t start = 0;
  while (start <= langs.size()) {
    const auto comma = langs.find(',', start);
    const std::string w = trim(std::string_view(langs).substr(start, comma == std::string::npos ? std::string::npos : comma - start));
    if (!w.empty()) {
      const bool code = w.size() == 2 && std::islower(static_cast<unsigned char>(w[0])) &&
                        std::islower(static_cast<unsigned char>(w[1]));
      if (!code) return field_error{"languages", "two-letter lower-case codes separated by commas, e.g. en, fr"};
      if (std::find(p.languages.begin(), p.languages.end(), w) != p.languages.end())
        return field_error{"languages", w + " is listed twice"};
      p.languages.push_back(w);
    }
    if (comma == std::string::npos) break;
    start = comma + 1;
  }
  if (p.languages.empty() || p.languages.size() > kp::limits::max_languages)
    return field_error{"languages", "1–8 two-letter codes, e.g. en, fr"};

  p.banner = get(f, "banner");
  if (p.banner.size() > kp::limits::max_banner || !plain_text(p.banner))
    return field_error{"banner", "plain text, at most 200 characters"};

  for (auto m : {kp::payment_method::card_present, kp::payment_method::cash, kp::payment_method::wallet})
    if (on(f, std::string("pay_") + kp::to_string(m))) p.payment_methods.push_back(m);
  if (p.payment_methods.empty()) return field_error{"payment_methods", "offer at least one payment method"};

  // Counter card ages; left empty: the defaults (5 and 10 minutes).
  const std::string amber_text = get(f, "age_amber_minutes"), red_text = get(f, "age_red_minutes");
  auto amber = amber_text.empty() ? std::optional<std::int64_t>{5} : parse_int(amber_text, 1, 240);
  if (!amber) return field_error{"age_amber_minutes", "whole minutes, 1–240"};
  auto red = red_text.empty() ? std::optional<std::int64_t>{std::max<std::int64_t>(10, *amber)} : parse_int(red_text, 1, 240);
  if (!red || *red < *amber) return field_error{"age_red_minutes", "whole minutes, 1–240, not below the amber time"};
  p.age_amber_seconds = static_cast<int>(*amber) * 60;
  p.age_red_seconds = static_cast<int>(*red) * 60;

  // The protocol's own rules are the last word (what kiosks will decode): round-trip once.
  auto checked = kp::decode_store_profile(kp::to_json(p), row.currency);
  if (!checked) return field_error{"profile", checked.error().message};
  if (auto bad = check_profile(*checked)) return field_error{"time_zone", bad->message};
  p = std::move(*checked);
  return std::nullopt;
}
}  // namespace

safe_html time_zone_options(const std::string& selected) {
  std::string out;
  auto zones = known_time_zones();
  if (std::find(zones.begin(), zones.end(), selected) == zones.end()) zones.insert(zones.begin(), selected);
  out.reserve(zones.size() * 48);
  for (const auto& z : zones) {
    out += render(R"(<option value="{{z|attr}}"{{sel}}>{{z}}</option>)", {{"z", z}, {"sel", z == selected ? " selected" : ""}}).html;
  }
  return safe_html{std::move(out)};
}


http_response app::impl::portal_store(const http_request& req, const session& s) {
  if (req.method == "POST") {
    if (!s.owner()) return error_page(req, 403, "Only the owner can change the store settings.", &s);
    auto f = form(req);
    if (!f || !csrf_ok(req, *f, &s)) return error_page(req, 403, "The form expired. Reload the page and try again.", &s);
    store_row row;
    kp::store_profile p;
    if (auto bad = read_settings(*f, row, p)) return bad_field(req, *bad, &s);
    bool found = false;
    write([&](connection& c) {
      c.prepare("UPDATE businesses SET name = ?, currency = ?, base_prep_seconds = ?, about = ? WHERE id = ?")
          .bind(1, row.name)
          .bind(2, row.currency)
          .bind(3, row.prep_minutes * 60)
          .bind(4, row.about)
          .bind(5, s.business_id)
          .run();
      found = make_sqlite_shop(c)->set_profile(s.business_id, p);
    });
    if (!found) return not_found(req, &s);
    spdlog::info("web: store settings of {} saved", s.business_id);
    catalog_changed(s.business_id);
    return redirect("/portal/store?saved=1");
  }
  auto db = reads.get();
  auto q = db->prepare("SELECT name, currency, base_prep_seconds, about, COALESCE(time_zone, ''), utc_offset_minutes FROM businesses WHERE id = ?");
  q.bind(1, s.business_id);
  if (!q.step()) return not_found(req, &s);
  auto profile = make_sqlite_shop(*db)->profile(s.business_id);
  if (!profile) return not_found(req, &s);
  // A row from before IANA zones keeps a fixed offset: preselect the tz database's fixed zone for
  // it (Etc/GMT-1 is UTC+01:00), so saving the page does not move the store's clock to UTC.
  if (q.text(4).empty() && q.int64(5) != 0 && q.int64(5) % 60 == 0 && std::abs(q.int64(5)) <= 12 * 60) {
    const auto h = q.int64(5) / 60;
    profile->time_zone = "Etc/GMT" + std::string(h > 0 ? "-" : "+") + std::to_string(h > 0 ? h : -h);
  }
  const auto& p = *profile;
  const bool saved = req.query.count("saved") > 0;

  std::string hours;
  for (int d = 0; d < 7; ++d) {
    std::vector<kp::hours_span> spans;
    for (const auto& h : p.opening_hours)
      if (h.weekday == d) spans.push_back(h);
    auto val = [&](std::size_t i, bool close) {
      if (i >= spans.size()) return std::string();
      return hhmm(close ? spans[i].closes_minute : spans[i].opens_minute);
    };
    const std::string day = k_days[d];
    hours += render(R"(<label for="{{d}}_opens">{{name}}</label>
<input class="form-control form-control-sm" id="{{d}}_opens" name="{{d}}_opens" value="{{o1|attr}}" placeholder="08:00" aria-label="{{name}} opens">
<input class="form-control form-control-sm" name="{{d}}_closes" value="{{c1|attr}}" placeholder="18:00" aria-label="{{name}} closes">
<input class="form-control form-control-sm" name="{{d}}_opens2" value="{{o2|attr}}" aria-label="{{name}} opens again">
<input class="form-control form-control-sm" name="{{d}}_closes2" value="{{c2|attr}}" aria-label="{{name}} closes again">
)",
                    {{"d", day}, {"name", std::string(k_day_names[d]).substr(0, 3)}, {"o1", val(0, false)},
                     {"c1", val(0, true)}, {"o2", val(1, false)}, {"c2", val(1, true)}}).html;
  }
  const auto* eat = p.offer(kp::order_type::eat_in);
  const auto* take = p.offer(kp::order_type::takeaway);
  const auto* pick = p.offer(kp::order_type::pickup);
  const auto* del = p.offer(kp::order_type::delivery);
  std::string langs;
  for (const auto& l : p.languages) langs += (langs.empty() ? "" : ", ") + l;
  auto chk = [](bool b) { return std::string(b ? "checked" : ""); };

  auto body = render(R"(<h1>Store settings</h1>{{saved|html}}
<form method="post" action="/portal/store" class="w-max-48 settings">{{csrf|html}}
<h2 class="h5 mt-3">Business</h2>
<div class="row g-3">
<div class="col-12"><label class="form-label" for="name">Business name</label><input class="form-control" id="name" name="name" value="{{name|attr}}" required maxlength="100"></div>
<div class="col-6"><label class="form-label" for="currency">Currency (ISO 4217)</label><input class="form-control" id="currency" name="currency" value="{{currency|attr}}" maxlength="3"></div>
<div class="col-6"><label class="form-label" for="prep_minutes">Base preparation (minutes)</label><input class="form-control" id="prep_minutes" name="prep_minutes" value="{{prep|attr}}" inputmode="numeric"></div>
<div class="col-6"><label class="form-label" for="tax_rate">Tax rate %</label><input class="form-control" id="tax_rate" name="tax_rate" value="{{tax|attr}}" inputmode="decimal"></div>
<div class="col-6"><label class="form-label" for="tax_mode">Prices</label><select class="form-select" id="tax_mode" name="tax_mode"><option value="inclusive" {{incl}}>include tax</option><option value="exclusive" {{excl}}>exclude tax (added at checkout)</option></select></div>
<div class="col-12"><label class="form-label" for="time_zone">Time zone</label><select class="form-select" id="time_zone" name="time_zone">{{zones|html}}</select></div>
</div>
<h2 class="h5 mt-4">Opening hours</h2>
<p class="text-muted small">Local time in the store's zone. Leave a day empty when closed; the second pair is for a second span (e.g. dinner).</p>
<div class="form-check mb-2"><input class="form-check-input" type="checkbox" id="always_open" name="always_open" value="1" {{open}}><label class="form-check-label" for="always_open">Always open (ignore the hours)</label></div>
<div class="hours-grid mb-3"><span></span><span class="small">opens</span><span class="small">closes</span><span class="small">opens</span><span class="small">closes</span>
{{hours|html}}</div>
<h2 class="h5 mt-4">Order types</h2>
<div class="border rounded p-2 mb-2"><div class="form-check"><input class="form-check-input" type="checkbox" id="type_eat_in" name="type_eat_in" value="1" {{eat}}><label class="form-check-label" for="type_eat_in">Eat in</label></div>
<div class="form-check ms-4"><input class="form-check-input" type="checkbox" id="eat_in_tables" name="eat_in_tables" value="1" {{tables}}><label class="form-check-label" for="eat_in_tables">Ask for a table number (table QR codes fill it in)</label></div></div>
<div class="border rounded p-2 mb-2"><div class="form-check"><input class="form-check-input" type="checkbox" id="type_takeaway" name="type_takeaway" value="1" {{take}}><label class="form-check-label" for="type_takeaway">Takeaway</label></div></div>
<div class="border rounded p-2 mb-2"><div class="form-check"><input class="form-check-input" type="checkbox" id="type_pickup" name="type_pickup" value="1" {{pick}}><label class="form-check-label" for="type_pickup">Pickup later (the customer chooses a time slot)</label></div>
<div class="row g-2 ms-3"><div class="col-6"><label class="form-label small" for="pickup_slot_minutes">Slot length (minutes, 5–240)</label><input class="form-control form-control-sm" id="pickup_slot_minutes" name="pickup_slot_minutes" value="{{slot|attr}}" inputmode="numeric"></div>
<div class="col-6"><label class="form-label small" for="pickup_lead_minutes">Earliest slot from now (minutes)</label><input class="form-control form-control-sm" id="pickup_lead_minutes" name="pickup_lead_minutes" value="{{lead|attr}}" inputmode="numeric"></div></div></div>
<div class="border rounded p-2 mb-2"><div class="form-check"><input class="form-check-input" type="checkbox" id="type_delivery" name="type_delivery" value="1" {{del}}><label class="form-check-label" for="type_delivery">Delivery</label></div>
<div class="row g-2 ms-3"><div class="col-6"><label class="form-label small" for="delivery_fee">Fee ({{currency}})</label><input class="form-control form-control-sm" id="delivery_fee" name="delivery_fee" value="{{fee|attr}}" inputmode="decimal"></div>
<div class="col-6"><label class="form-label small" for="delivery_minimum">Minimum order ({{currency}})</label><input class="form-control form-control-sm" id="delivery_minimum" name="delivery_minimum" value="{{min|attr}}" inputmode="decimal"></div>
<div class="col-12"><label class="form-label small" for="delivery_area">Area (shown to customers)</label><input class="form-control form-control-sm" id="delivery_area" name="delivery_area" value="{{area|attr}}" maxlength="200"></div></div></div>
<h2 class="h5 mt-4">Payment</h2>
<div class="mb-3"><label class="me-3"><input type="checkbox" name="pay_card_present" value="1" {{card}}> Card at the kiosk</label>
<label class="me-3"><input type="checkbox" name="pay_cash" value="1" {{cash}}> Pay at the counter</label>
<label class="me-3"><input type="checkbox" name="pay_wallet" value="1" {{wallet}}> Phone wallet</label></div>
<h2 class="h5 mt-4">Shop and kiosks</h2>
<div class="mb-3"><label class="form-label" for="languages">Languages (two-letter codes, the first is the default)</label><input class="form-control" id="languages" name="languages" value="{{langs|attr}}"></div>
<div class="mb-3"><label class="form-label" for="banner">Banner (attract screen and shop page, at most 200 characters)</label><input class="form-control" id="banner" name="banner" value="{{banner|attr}}" maxlength="200"></div>
<div class="mb-3"><label class="form-label" for="about">About (shown on the shop page and kiosks)</label><textarea class="form-control" id="about" name="about" rows="3">{{about}}</textarea></div>
<h2 class="h5 mt-4">Pickup counter</h2>
<p class="text-muted small">An order card on the counter screens turns amber, then red, when the order has waited this long.</p>
<div class="row g-3 mb-3"><div class="col-6"><label class="form-label" for="age_amber_minutes">Amber after (minutes)</label><input class="form-control" id="age_amber_minutes" name="age_amber_minutes" value="{{amber|attr}}" inputmode="numeric"></div>
<div class="col-6"><label class="form-label" for="age_red_minutes">Red after (minutes)</label><input class="form-control" id="age_red_minutes" name="age_red_minutes" value="{{red|attr}}" inputmode="numeric"></div></div>
<button class="btn btn-primary" type="submit">Save</button></form>)",
                     {{"csrf", csrf_input(s)},
                      {"saved", saved ? safe_html{R"(<div class="alert alert-success">Saved. Kiosks and the shop page show it now.</div>)"} : safe_html{}},
                      {"name", q.text(0)}, {"currency", q.text(1)}, {"prep", std::to_string(q.int64(2) / 60)},
                      {"about", q.text(3)}, {"tax", money_text(p.tax_rate_bp)},
                      {"incl", p.tax == kp::tax_mode::inclusive ? "selected" : ""},
                      {"excl", p.tax == kp::tax_mode::exclusive ? "selected" : ""},
                      {"zones", time_zone_options(p.time_zone)}, {"open", chk(p.always_open)}, {"hours", safe_html{hours}},
                      {"eat", chk(eat)}, {"tables", chk(eat && eat->table_numbers)}, {"take", chk(take)},
                      {"pick", chk(pick)}, {"slot", std::to_string(pick ? pick->slot_minutes : 15)},
                      {"lead", std::to_string(pick ? pick->lead_minutes : 20)}, {"del", chk(del)},
                      {"fee", money_text(del ? del->fee.amount : 0)}, {"min", money_text(del ? del->minimum.amount : 0)},
                      {"area", del ? del->area : ""}, {"card", chk(p.accepts(kp::payment_method::card_present))},
                      {"cash", chk(p.accepts(kp::payment_method::cash))}, {"wallet", chk(p.accepts(kp::payment_method::wallet))},
                      {"langs", langs}, {"banner", p.banner}, {"amber", std::to_string(p.age_amber_seconds / 60)},
                      {"red", std::to_string(p.age_red_seconds / 60)}});
  return page(req, 200, "Store settings", body, &s);
}

}  // namespace kh::hub::web
