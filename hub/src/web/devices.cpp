// /portal/devices: every kiosk, counter and board of the business with presence (the retained
// kh/v1/d/{id}/presence the ingress stores in devices.online / last_seen_ms), the latest
// device.status (printer, camera, outbox, firmware) and orders placed today. A device offline for
// more than 5 minutes is flagged.
#include "kh/hub/reports/reports.hpp"
#include "web/dashboard.hpp"

namespace kh::hub::web {

namespace {
std::int64_t now_ms() { return to_ms(std::chrono::system_clock::now()); }

bool has_table(sqlite::connection& db, const char* name) {
  auto q = db.prepare("SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = ?");
  q.bind(1, name);
  return q.step();
}

std::string ago(std::int64_t ms) {
  const auto s = ms / 1000;
  if (s < 60) return std::to_string(s) + " s ago";
  if (s < 3600) return std::to_string(s / 60) + " min ago";
  if (s < 86400) return std::to_string(s / 3600) + " h ago";
  return std::to_string(s / 86400) + " days ago";
}
}  // namespace

/// Offline for longer than this: flagged on the page.
constexpr std::int64_t k_offline_flag_ms = 5 * 60 * 1000;

http_response devices_page(app::impl& d, const http_request& req, const session& s) {
  if (req.method != "GET" && req.method != "HEAD") return d.not_found(req, &s);
  auto db = d.reads.get();
  const auto cal = reports::calendar_of(*db, s.business_id);
  const auto now = now_ms();
  const auto today = cal.at(now);
  const auto day_start = cal.day_start_ms(today.year, today.month, today.day);
  const bool status_table = has_table(*db, "device_status");
  // device.status arrives with the kiosk shop (issue 9); without its table the columns stay empty.
  const std::string sql = std::string("SELECT d.id, d.name, d.mode, d.enabled, d.online, d.last_seen_ms, COALESCE(d.firmware, ''), ") +
                          (status_table ? "st.printer, st.camera, st.outbox, st.firmware, st.updated_at_ms, st.detail, " : "NULL, NULL, NULL, NULL, NULL, NULL, ") +
                          "(SELECT COUNT(*) FROM orders o WHERE o.business_id = d.business_id AND o.device_id = d.id AND o.created_at_ms >= ?) "
                          "FROM devices d " + (status_table ? "LEFT JOIN device_status st ON st.device_id = d.id " : "") +
                          "WHERE d.business_id = ? ORDER BY d.mode, d.name, d.id";
  auto q = db->prepare(sql);
  q.bind(1, day_start).bind(2, s.business_id);
  std::string rows;
  int flagged = 0, total = 0;
  while (q.step()) {
    const std::string id = q.text(0);
    const bool web = id.starts_with("web-");
    ++total;
    const bool online = q.int64(4) != 0;
    const auto last = q.opt_int64(5);
    const bool stale = !web && !online && (!last || now - *last > k_offline_flag_ms);
    if (stale) ++flagged;
    std::string presence;
    if (web) presence = R"(<span class="badge bg-info text-dark">web</span>)";
    else if (online) presence = R"(<span class="badge bg-success">online</span>)";
    else presence = render(R"(<span class="badge {{c|attr}}">offline</span>{{flag|html}})",
                           {{"c", stale ? "bg-danger" : "bg-warning text-dark"},
                            {"flag", stale ? safe_html{R"( <span class="text-danger fw-bold" data-flag="offline">offline &gt; 5 min</span>)"} : safe_html{}}}).html;
    const std::string firmware = !q.is_null(10) && !q.text(10).empty() ? q.text(10) : q.text(6);
    auto cell = [&](int col) { return q.is_null(col) ? std::string("–") : q.text(col); };
    rows += render(R"(<tr data-device="{{id|attr}}" class="{{cls|attr}}"><td><div class="fw-semibold">{{name}}</div><div class="small text-muted text-break">{{id}}</div></td><td>{{mode}}{{disabled|html}}</td>
<td>{{presence|html}}<div class="small text-muted">{{seen}}</div></td><td>{{fw}}</td><td>{{printer}}</td><td>{{camera}}</td><td class="text-end">{{outbox}}</td><td class="text-end">{{today}}</td></tr>)",
                   {{"id", id}, {"cls", stale ? "table-danger" : ""}, {"name", q.text(1)}, {"mode", web ? "phone shop" : q.text(2)},
                    {"disabled", q.int64(3) ? safe_html{} : safe_html{R"( <span class="badge bg-secondary">disabled</span>)"}},
                    {"presence", safe_html{presence}}, {"seen", web ? "" : last ? "last seen " + ago(now - *last) : "never seen"},
                    {"fw", firmware.empty() ? "–" : firmware}, {"printer", cell(7)}, {"camera", cell(8)}, {"outbox", cell(9)},
                    {"today", std::to_string(q.int64(13))}}).html;
  }
  auto body = render(R"(<h1 class="h3">Devices</h1>
<p>{{total}} device(s){{flag|html}}. Presence is live from the broker; printer, camera and outbox come from each device's last status report.</p>
<div class="table-responsive"><table class="table align-middle" id="devices"><thead><tr><th>Device</th><th>Mode</th><th>Presence</th><th>Firmware</th><th>Printer</th><th>Camera</th><th class="text-end">Outbox</th><th class="text-end">Orders today</th></tr></thead>
<tbody>{{rows|html}}</tbody></table></div>)",
                     {{"total", std::to_string(total)},
                      {"flag", flagged ? render(R"(, <strong class="text-danger" id="offline-count">{{n}} offline for more than 5 minutes</strong>)", {{"n", std::to_string(flagged)}}) : safe_html{}},
                      {"rows", safe_html{rows}}});
  return d.page(req, 200, "Devices", body, &s);
}

}  // namespace kh::hub::web
