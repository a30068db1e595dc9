#pragma once
// The dashboard's pages beyond the portal (issue 12): reports with SVG charts and CSV exports,
// devices, feedback, support tickets (staff inbox here, the customer's side on the tracking page).
// Routes: docs/web.md, section "Dashboard".

#include <cstdint>
#include <string>
#include <vector>

#include "kh/hub/http/http_server.hpp"
#include "kh/hub/storage/sqlite.hpp"
#include "web/app_impl.hpp"

namespace kh::hub::web {

/// Registers /portal/reports…, /portal/devices, /portal/feedback, /portal/support… (more
/// specific than the portal's own /portal/ prefix, so they win).
void add_dashboard_routes(http_router& router, app::impl& d);

/// One CSV cell (RFC 4180): quoted when it holds `,` `"` CR or LF; a cell starting with
/// `=` `+` `-` `@` (or tab / CR) gets a leading `'` so a spreadsheet shows it instead of running it.
std::string csv_cell(std::string v);

// ---- support on the phone's tracking page (shop.cpp calls these) ---------------------------

/// The tracking page's support block: the order's ticket thread (if any) and the form.
safe_html support_section(sqlite::connection& db, const std::string& slug, const std::string& order_id,
                          const std::string& csrf, const std::string& notice);
/// POST /s/{slug}/o/{order_id}/support (the order is known to be the business').
http_response post_customer_support(app::impl& d, const http_request& req, const std::string& business_id,
                                    const std::string& slug, const std::string& order_id);

// ---- charts (svg_chart.cpp): inline SVG, presentation attributes only (the CSP forbids style) --

struct chart_bar {
  std::string label;
  std::int64_t value = 0;
  std::string shown;  ///< the value as printed (money, count, …)
};
/// Vertical bars (a time series); about five labels are printed under the axis, every bar has a
/// tooltip with its label and value.
safe_html svg_columns(const std::string& aria, const std::vector<chart_bar>& bars);
/// Horizontal bars with the label on the left and the value on the right.
safe_html svg_bars(const std::string& aria, const std::vector<chart_bar>& bars);
/// A grid: rows × columns of counts, shaded by value.
safe_html svg_heatmap(const std::string& aria, const std::vector<std::string>& rows, const std::vector<std::string>& cols,
                      const std::vector<std::vector<std::int64_t>>& values);

}  // namespace kh::hub::web
