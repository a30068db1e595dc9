// Support tickets: a customer raises a problem with an order on its tracking page (category and
// message), staff answer in the portal's inbox and resolve; both sides see the whole thread.
// Status: open (the customer wrote last), answered (staff wrote last), resolved (staff closed
// it; a new customer message opens it again). One ticket per order, its thread grows.
#include <algorithm>

#include "kh/hub/reports/reports.hpp"
#include "web/dashboard.hpp"

namespace kh::hub::web {

using sqlite::connection;

namespace {

std::int64_t now_ms() { return to_ms(std::chrono::system_clock::now()); }

constexpr std::size_t k_max_message = 2000;
constexpr int k_per_order_per_hour = 5;     // customer messages on one order
constexpr int k_per_address_per_hour = 20;  // customer messages from one client address

struct category {
  const char* id;
  const char* label;
};
constexpr category k_categories[] = {{"missing_item", "Something is missing"}, {"wrong_item", "I got the wrong item"},
                                     {"quality", "Quality of the food or drink"}, {"waiting", "Still waiting"},
                                     {"payment", "Payment or price"},           {"other", "Something else"}};

const char* category_label(const std::string& id) {
  for (const auto& c : k_categories)
    if (id == c.id) return c.label;
  return "Other";
}

std::string local_time(const reports::local_calendar& cal, std::int64_t ms) {
  const auto c = cal.at(ms);
  char buf[32];
  std::snprintf(buf, sizeof buf, "%04d-%02d-%02d %02d:%02d", c.year, c.month, c.day, c.minute / 60, c.minute % 60);
  return buf;
}

std::string status_badge_class(const std::string& st) {
  return st == "open" ? "bg-danger" : st == "answered" ? "bg-primary" : "bg-secondary";
}

struct message {
  std::string author, body;
  std::int64_t at = 0;
};

std::vector<message> thread_of(connection& db, const std::string& ticket) {
  std::vector<message> out;
  auto q = db.prepare("SELECT author, body, at_ms FROM support_messages WHERE ticket_id = ? ORDER BY id LIMIT 500");
  q.bind(1, ticket);
  while (q.step()) out.push_back({q.text(0), q.text(1), q.int64(2)});
  return out;
}

std::string thread_html(const std::vector<message>& msgs, const reports::local_calendar& cal, bool for_staff) {
  std::string out;
  for (const auto& m : msgs) {
    const bool customer = m.author == "customer";
    const std::string who = customer ? (for_staff ? "Customer" : "You") : (for_staff ? "Staff (" + m.author.substr(0, m.author.find(':')) + ")" : "Staff");
    out += render(R"(<li class="list-group-item support-msg {{cls|attr}}" data-author="{{a|attr}}"><div class="small text-muted">{{who}} · {{at}}</div><div class="support-body">{{body}}</div></li>)",
                  {{"cls", customer ? "from-customer" : "from-staff"}, {"a", customer ? "customer" : "staff"}, {"who", who},
                   {"at", local_time(cal, m.at)}, {"body", m.body}}).html;
  }
  return out;
}

}  // namespace

// ---- the customer's side -------------------------------------------------------------------

safe_html support_section(connection& db, const std::string& slug, const std::string& order_id, const std::string& csrf,
                          const std::string& notice) {
  std::string ticket, status, cat, business;
  {
    auto q = db.prepare("SELECT t.id, t.status, t.category, t.business_id FROM support_tickets t WHERE t.order_id = ? ORDER BY t.created_at_ms DESC LIMIT 1");
    q.bind(1, order_id);
    if (q.step()) {
      ticket = q.text(0);
      status = q.text(1);
      cat = q.text(2);
      business = q.text(3);
    }
  }
  const safe_html alert = notice.empty() ? safe_html{} : render(R"(<div class="alert alert-success" id="support-notice" role="status">{{n}}</div>)", {{"n", notice}});
  if (ticket.empty()) {
    std::string opts;
    for (const auto& c : k_categories) opts += render(R"(<option value="{{v|attr}}">{{l}}</option>)", {{"v", c.id}, {"l", c.label}}).html;
    return render(R"(<details class="card mt-3" id="support"><summary class="card-header">A problem with this order?</summary><div class="card-body">{{alert|html}}
<form method="post" action="/s/{{slug|url}}/o/{{oid|url}}/support" id="support-form">
<input type="hidden" name="csrf" value="{{csrf|attr}}">
<label class="form-label" for="support-category">What happened?</label><select class="form-select mb-2" id="support-category" name="category">{{opts|html}}</select>
<label class="form-label" for="support-message">Message</label><textarea class="form-control mb-2" id="support-message" name="message" rows="3" maxlength="2000" required></textarea>
<button class="btn btn-outline-primary" type="submit">Send to the store</button></form></div></details>)",
                  {{"alert", alert}, {"slug", slug}, {"oid", order_id}, {"csrf", csrf}, {"opts", safe_html{opts}}});
  }
  const auto cal = reports::calendar_of(db, business);
  return render(R"(<section class="card mt-3" id="support" data-status="{{st|attr}}"><div class="card-header d-flex justify-content-between align-items-start gap-2"><span>Your message: {{cat}}</span><span class="badge {{bc|attr}}" id="support-status">{{st}}</span></div>
<div class="card-body">{{alert|html}}<ul class="list-group mb-3" id="support-thread">{{thread|html}}</ul>
<form method="post" action="/s/{{slug|url}}/o/{{oid|url}}/support" id="support-form">
<input type="hidden" name="csrf" value="{{csrf|attr}}">
<label class="form-label" for="support-message">Add a message</label><textarea class="form-control mb-2" id="support-message" name="message" rows="2" maxlength="2000" required></textarea>
<button class="btn btn-outline-primary" type="submit">Send</button></form></div></section>)",
                {{"st", status}, {"bc", status_badge_class(status)}, {"cat", category_label(cat)}, {"alert", alert},
                 {"thread", safe_html{thread_html(thread_of(db, ticket), cal, false)}}, {"slug", slug}, {"oid", order_id}, {"csrf", csrf}});
}

http_response post_customer_support(app::impl& d, const http_request& req, const std::string& business_id, const std::string& slug,
                                    const std::string& order_id) {
  const std::string back = "/s/" + escape_url_component(slug) + "/o/" + order_id;
  auto fail = [&](int status, const std::string& field, const std::string& msg) {
    auto body = render(R"(<div class="alert alert-danger" role="alert" data-field="{{f|attr}}">{{m}}</div><p><a href="{{back|attr}}">Back to your order</a></p>)",
                       {{"f", field}, {"m", msg}, {"back", back}});
    auto r = d.page(req, status, "Support", body, nullptr);
    return r;
  };
  auto f = d.form(req);
  if (!f) return fail(400, "form", "Expected a form.");
  if (!d.csrf_ok(req, *f, nullptr)) return fail(403, "csrf", "The page expired. Reload it and try again.");
  const std::string msg = f->count("message") ? trim(f->at("message")) : "";
  if (msg.empty()) return fail(400, "message", "message: please write what happened.");
  if (msg.size() > k_max_message) return fail(400, "message", "message: at most 2000 characters.");
  const std::string cat = f->count("category") ? trim(f->at("category")) : "";
  const auto now = now_ms();
  // Per client address, in memory (a spray of orders from one place); per order in the database.
  {
    const std::string addr = req.remote.substr(0, req.remote.rfind(':'));
    std::lock_guard lock(d.support_mu);
    auto& v = d.support_posts[addr];
    v.erase(std::remove_if(v.begin(), v.end(), [&](std::int64_t t) { return t <= now - 3'600'000; }), v.end());
    if (static_cast<int>(v.size()) >= k_per_address_per_hour) {
      auto r = fail(429, "rate", "Too many messages. Please try again in an hour, or ask at the counter.");
      r.headers.emplace_back("Retry-After", "3600");
      return r;
    }
    v.push_back(now);
    if (d.support_posts.size() > 100'000) d.support_posts.clear();
  }
  enum class outcome { ok, bad_category, too_many } out = outcome::ok;
  d.write([&](connection& c) {
    std::string ticket;
    {
      auto q = c.prepare("SELECT id FROM support_tickets WHERE order_id = ? AND business_id = ? ORDER BY created_at_ms DESC LIMIT 1");
      q.bind(1, order_id).bind(2, business_id);
      if (q.step()) ticket = q.text(0);
    }
    if (ticket.empty()) {
      if (std::none_of(std::begin(k_categories), std::end(k_categories), [&](const category& k) { return cat == k.id; })) {
        out = outcome::bad_category;
        return;
      }
      ticket = random_hex(16);
      c.prepare("INSERT INTO support_tickets(id, business_id, order_id, category, status, created_at_ms, updated_at_ms) VALUES (?,?,?,?, 'open', ?, ?)")
          .bind(1, ticket).bind(2, business_id).bind(3, order_id).bind(4, cat).bind(5, now).bind(6, now).run();
    } else {
      auto q = c.prepare("SELECT COUNT(*) FROM support_messages WHERE ticket_id = ? AND author = 'customer' AND at_ms > ?");
      q.bind(1, ticket).bind(2, now - 3'600'000);
      q.step();
      if (q.int64(0) >= k_per_order_per_hour) {
        out = outcome::too_many;
        return;
      }
      c.prepare("UPDATE support_tickets SET status = 'open', updated_at_ms = ? WHERE id = ?").bind(1, now).bind(2, ticket).run();
    }
    c.prepare("INSERT INTO support_messages(ticket_id, author, body, at_ms) VALUES (?, 'customer', ?, ?)").bind(1, ticket).bind(2, msg).bind(3, now).run();
  });
  if (out == outcome::bad_category) return fail(400, "category", "category: choose what happened.");
  if (out == outcome::too_many) {
    auto r = fail(429, "rate", "Too many messages on this order. Please try again in an hour, or ask at the counter.");
    r.headers.emplace_back("Retry-After", "3600");
    return r;
  }
  return redirect(back + "?support=sent#support");
}

// ---- the staff's side ----------------------------------------------------------------------

http_response support_inbox(app::impl& d, const http_request& req, const session& s, const std::vector<std::string>& rest) {
  auto is_ticket_id = [](const std::string& id) {
    return id.size() == 32 && id.find_first_not_of("0123456789abcdef") == std::string::npos;
  };
  if (req.method == "POST") {
    if (rest.size() != 2 || !is_ticket_id(rest[0]) || (rest[1] != "reply" && rest[1] != "resolve")) return d.not_found(req, &s);
    auto f = d.form(req);
    if (!f || !d.csrf_ok(req, *f, &s)) return d.error_page(req, 403, "The form expired. Reload the page and try again.", &s);
    const std::string body = f->count("message") ? trim(f->at("message")) : "";
    if (rest[1] == "reply") {
      if (body.empty()) return d.bad_field(req, {"message", "write a reply"}, &s);
      if (body.size() > k_max_message) return d.bad_field(req, {"message", "at most 2000 characters"}, &s);
    }
    bool missing = false;
    const auto now = now_ms();
    d.write([&](connection& c) {
      missing = c.prepare("UPDATE support_tickets SET status = ?, updated_at_ms = ? WHERE id = ? AND business_id = ?")
                    .bind(1, rest[1] == "reply" ? "answered" : "resolved").bind(2, now).bind(3, rest[0]).bind(4, s.business_id).run() == 0;
      if (missing) return;
      if (rest[1] == "reply")
        c.prepare("INSERT INTO support_messages(ticket_id, author, body, at_ms) VALUES (?,?,?,?)").bind(1, rest[0]).bind(2, s.actor()).bind(3, body).bind(4, now).run();
    });
    if (missing) return d.not_found(req, &s);
    return redirect("/portal/support/" + rest[0] + (rest[1] == "reply" ? "?saved=reply" : "?saved=resolved"));
  }
  auto db = d.reads.get();
  const auto cal = reports::calendar_of(*db, s.business_id);
  if (rest.size() == 1) {
    if (!is_ticket_id(rest[0])) return d.not_found(req, &s);
    auto q = db->prepare(
        "SELECT t.status, t.category, t.created_at_ms, o.number, o.customer_name, o.id FROM support_tickets t JOIN orders o ON o.id = t.order_id "
        "WHERE t.id = ? AND t.business_id = ?");
    q.bind(1, rest[0]).bind(2, s.business_id);
    if (!q.step()) return d.not_found(req, &s);
    const std::string status = q.text(0);
    const auto saved = req.query.find("saved");
    auto body = render(R"(<p><a href="/portal/support">← Support inbox</a></p>{{saved|html}}
<h1 class="h4">Order {{num}} · {{cat}} <span class="badge {{bc|attr}}" id="ticket-status">{{st}}</span></h1>
<p class="text-muted">{{name}} · opened {{at}}</p>
<ul class="list-group mb-3" id="support-thread">{{thread|html}}</ul>
<form method="post" action="/portal/support/{{id|url}}/reply" class="mb-2" id="reply-form">{{csrf|html}}
<label class="form-label" for="reply">Reply (the customer sees it on the order's tracking page)</label>
<textarea class="form-control mb-2" id="reply" name="message" rows="3" maxlength="2000" required></textarea>
<button class="btn btn-primary" type="submit">Send reply</button></form>
<form method="post" action="/portal/support/{{id|url}}/resolve" id="resolve-form">{{csrf|html}}<button class="btn btn-outline-secondary" type="submit" {{dis}}>Mark resolved</button></form>)",
                       {{"saved", saved == req.query.end() ? safe_html{} : render(R"(<div class="alert alert-success" role="status">{{m}}</div>)", {{"m", saved->second == "reply" ? "Reply sent." : "Marked resolved."}})},
                        {"num", q.text(3)}, {"cat", category_label(q.text(1))}, {"bc", status_badge_class(status)}, {"st", status},
                        {"name", q.text(4).empty() ? "No name" : q.text(4)}, {"at", local_time(cal, q.int64(2))},
                        {"thread", safe_html{thread_html(thread_of(*db, rest[0]), cal, true)}}, {"id", rest[0]}, {"csrf", csrf_input(s)},
                        {"dis", status == "resolved" ? "disabled" : ""}});
    return d.page(req, 200, "Support · " + q.text(3), body, &s);
  }
  if (!rest.empty()) return d.not_found(req, &s);
  const auto st = req.query.find("status");
  const std::string filter = st == req.query.end() ? "active" : st->second;
  if (filter != "active" && filter != "open" && filter != "answered" && filter != "resolved" && filter != "all")
    return d.bad_field(req, {"status", "active, open, answered, resolved or all"}, &s);
  std::string where = filter == "active" ? "t.status IN ('open','answered')" : filter == "all" ? "1" : "t.status = ?";
  auto q = db->prepare(
      "SELECT t.id, t.status, t.category, t.updated_at_ms, o.number, "
      "(SELECT body FROM support_messages m WHERE m.ticket_id = t.id ORDER BY m.id DESC LIMIT 1) FROM support_tickets t "
      "JOIN orders o ON o.id = t.order_id WHERE t.business_id = ? AND " + where + " ORDER BY t.status = 'open' DESC, t.updated_at_ms DESC LIMIT 200");
  q.bind(1, s.business_id);
  if (where == "t.status = ?") q.bind(2, filter);
  std::string rows;
  while (q.step()) {
    std::string last = q.text(5);
    if (last.size() > 120) {
      std::size_t cut = 119;
      while (cut > 0 && (static_cast<unsigned char>(last[cut]) & 0xC0) == 0x80) --cut;
      last = last.substr(0, cut) + "…";
    }
    rows += render(R"(<tr data-ticket="{{id|attr}}"><td><a href="/portal/support/{{id|url}}">{{num}}</a></td><td>{{cat}}</td><td><span class="badge {{bc|attr}}">{{st}}</span></td><td class="text-break">{{last}}</td><td class="text-nowrap">{{at}}</td></tr>)",
                   {{"id", q.text(0)}, {"num", q.text(4)}, {"cat", category_label(q.text(2))}, {"bc", status_badge_class(q.text(1))},
                    {"st", q.text(1)}, {"last", last}, {"at", local_time(cal, q.int64(3))}}).html;
  }
  std::string tabs;
  for (const char* f : {"active", "open", "answered", "resolved", "all"})
    tabs += render(R"(<li class="nav-item"><a class="nav-link {{a}}" href="/portal/support?status={{f|url}}">{{f}}</a></li>)",
                   {{"f", f}, {"a", filter == f ? "active" : ""}}).html;
  auto body = render(R"(<h1 class="h3">Support</h1><ul class="nav nav-pills mb-3">{{tabs|html}}</ul>
<div class="table-responsive"><table class="table align-middle" id="support-inbox"><thead><tr><th>Order</th><th>Problem</th><th>Status</th><th>Last message</th><th>Updated</th></tr></thead>
<tbody>{{rows|html}}</tbody></table></div>)",
                     {{"tabs", safe_html{tabs}}, {"rows", safe_html{rows.empty() ? "<tr><td colspan=\"5\" class=\"text-muted\">No tickets here.</td></tr>" : rows}}});
  return d.page(req, 200, "Support", body, &s);
}

}  // namespace kh::hub::web
