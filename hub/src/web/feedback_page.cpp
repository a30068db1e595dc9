// /portal/feedback: ratings and comments from kiosks and phones, newest first, each linked to
// its order (number, channel, local time).
#include "kh/hub/reports/reports.hpp"
#include "web/dashboard.hpp"

namespace kh::hub::web {

http_response feedback_page(app::impl& d, const http_request& req, const session& s) {
  if (req.method != "GET" && req.method != "HEAD") return d.not_found(req, &s);
  auto db = d.reads.get();
  const auto cal = reports::calendar_of(*db, s.business_id);
  const auto rq = req.query.find("rating");
  std::optional<std::int64_t> only;
  if (rq != req.query.end() && !rq->second.empty()) {
    only = parse_int(rq->second, 1, 5);
    if (!only) return d.bad_field(req, {"rating", "1 to 5"}, &s);
  }
  auto q = db->prepare(
      "SELECT f.rating, f.comment, f.created_at_ms, o.number, o.device_id, o.id, o.customer_name FROM order_feedback f JOIN orders o ON o.id = f.order_id "
      "WHERE f.business_id = ? AND o.business_id = f.business_id AND (? IS NULL OR f.rating = ?) ORDER BY f.created_at_ms DESC LIMIT 300");
  q.bind(1, s.business_id).bind(2, only).bind(3, only);
  std::string rows;
  std::int64_t n = 0, sum = 0;
  while (q.step()) {
    ++n;
    sum += q.int64(0);
    const auto c = cal.at(q.int64(2));
    char at[32];
    std::snprintf(at, sizeof at, "%04d-%02d-%02d %02d:%02d", c.year, c.month, c.day, c.minute / 60, c.minute % 60);
    const std::string dev = q.text(4);
    const int stars = q.int32(0);
    rows += render(R"(<tr data-order="{{oid|attr}}"><td class="text-nowrap" aria-label="{{r}} of 5"><span class="text-warning">{{stars}}</span><span class="text-muted">{{rest}}</span></td><td class="text-break">{{comment}}</td><td class="fw-bold">{{num}}</td><td>{{ch}}</td><td>{{name}}</td><td class="text-nowrap">{{at}}</td></tr>)",
                   {{"oid", q.text(5)}, {"r", std::to_string(stars)}, {"stars", [&] { std::string t; for (int i = 0; i < stars; ++i) t += "★"; return t; }()},
                    {"rest", [&] { std::string t; for (int i = stars; i < 5; ++i) t += "★"; return t; }()},
                    {"comment", q.text(1)}, {"num", q.text(3)}, {"ch", dev.empty() || dev.starts_with("web-") ? "phone" : "kiosk"}, {"name", q.text(6)}, {"at", at}}).html;
  }
  std::string filters = render(R"(<a class="btn btn-sm {{c}}" href="/portal/feedback">all</a> )", {{"c", only ? "btn-outline-secondary" : "btn-secondary"}}).html;
  for (int r = 5; r >= 1; --r)
    filters += render(R"(<a class="btn btn-sm {{c}}" href="/portal/feedback?rating={{r}}">{{r}}★</a> )",
                      {{"c", only && *only == r ? "btn-secondary" : "btn-outline-secondary"}, {"r", std::to_string(r)}}).html;
  char avg[16];
  std::snprintf(avg, sizeof avg, "%.2f", n ? static_cast<double>(sum) / static_cast<double>(n) : 0.0);
  auto body = render(R"(<h1 class="h3">Feedback</h1><p>{{n}} rating(s){{avg|html}}. Ratings over time are in <a href="/portal/reports#r-ratings">Reports</a>.</p><p>{{filters|html}}</p>
<div class="table-responsive"><table class="table align-middle" id="feedback"><thead><tr><th>Rating</th><th>Comment</th><th>Order</th><th>Channel</th><th>Name</th><th>When</th></tr></thead>
<tbody>{{rows|html}}</tbody></table></div>)",
                     {{"n", std::to_string(n)}, {"avg", n ? render(", average <strong>{{a}}</strong>", {{"a", avg}}) : safe_html{}},
                      {"filters", safe_html{filters}}, {"rows", safe_html{rows.empty() ? "<tr><td colspan=\"6\" class=\"text-muted\">No feedback yet.</td></tr>" : rows}}});
  return d.page(req, 200, "Feedback", body, &s);
}

}  // namespace kh::hub::web
