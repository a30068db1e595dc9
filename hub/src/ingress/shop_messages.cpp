// The kiosk shop's device messages: order.quote, feedback, device.status (issue 9).
#include <array>

#include <spdlog/spdlog.h>

#include "kh/hub/catalog/catalog_service.hpp"
#include "kh/hub/ingress/ingress.hpp"
#include "kh/protocol/codec.hpp"
#include "kh/protocol/topics.hpp"

namespace kh::hub {

namespace topics = protocol::topics;
using protocol::code;
using protocol::make_problem;

void ingress::on_quote(const std::string& device, const nlohmann::json& body) {
  auto q = protocol::decode_order_quote(body);
  if (!q) return send_error(device, {}, q.error(), protocol::types::error);
  auto r = quote_order(store_, device, *q, orders_.now());
  if (!r) return send_error(device, {}, r.error(), protocol::types::error);
  metrics_.inc(metric::quotes, {{"ok", r->ok ? "true" : "false"}});
  publish_(topics::device_down(device, protocol::types::order_quoted),
           protocol::make_message(protocol::types::order_quoted, protocol::to_json(*r)), false);
}

void ingress::on_feedback(const std::string& device, const nlohmann::json& body) {
  auto f = protocol::decode_feedback(body);
  if (!f) return send_error(device, protocol::peek_order_id(body), f.error(), protocol::types::error);
  auto tx = store_.begin();
  const auto order = store_.orders().find(f->order_id);
  // Only the device that placed the order may rate it: another kiosk cannot overwrite ratings.
  if (!order || order->device_id != device) {
    return send_error(device, f->order_id,
                      make_problem(code::unknown_order, "no order " + f->order_id + " from this device",
                                   {{"order_id", f->order_id}}),
                      protocol::types::error);
  }
  feedback_record rec{f->order_id, order->business_id, device, f->rating, f->comment, to_ms(orders_.now())};
  const bool stored = store_.shop().insert_feedback_once(rec);
  tx->commit();
  if (stored) {
    metrics_.inc(metric::feedback, {{"rating", std::to_string(f->rating)}});
    spdlog::info("device {}: order {} rated {}", device, f->order_id, f->rating);
  } else {
    metrics_.inc(metric::feedback_repeats);
  }
}

void ingress::set_device_gauges(const std::string& device, const protocol::device_status& st) {
  constexpr std::array printers = {protocol::printer_state::ok,         protocol::printer_state::paper_low,
                                   protocol::printer_state::paper_out,  protocol::printer_state::cover_open,
                                   protocol::printer_state::offline,    protocol::printer_state::absent};
  constexpr std::array cameras = {protocol::camera_state::ok, protocol::camera_state::error,
                                  protocol::camera_state::absent};
  for (auto p : printers) {
    metrics_.set(metric::device_printer, p == st.printer ? 1 : 0, {{"device", device}, {"state", protocol::to_string(p)}});
  }
  for (auto c : cameras) {
    metrics_.set(metric::device_camera, c == st.camera ? 1 : 0, {{"device", device}, {"state", protocol::to_string(c)}});
  }
  metrics_.set(metric::device_outbox, static_cast<double>(st.outbox), {{"device", device}});
}

void ingress::on_device_status(const std::string& device, const nlohmann::json& body) {
  auto st = protocol::decode_device_status(body);
  if (!st) return send_error(device, {}, st.error(), protocol::types::error);
  auto tx = store_.begin();
  const auto d = store_.devices().find(device);
  if (!d) return send_error(device, {}, make_problem(code::forbidden, "unknown device"), protocol::types::error);
  store_.shop().set_device_status({device, d->business_id, *st, to_ms(orders_.now())});
  tx->commit();
  // Gauges only for known devices (stored above), so forged ids cannot grow /metrics.
  set_device_gauges(device, *st);
  if (st->printer != protocol::printer_state::ok && st->printer != protocol::printer_state::absent) {
    spdlog::warn("device {}: printer {}{}", device, protocol::to_string(st->printer),
                 st->detail.empty() ? std::string() : " (" + st->detail + ")");
  }
}

void ingress::restore_device_metrics() {
  try {
    for (const auto& r : store_.shop().all_device_statuses()) set_device_gauges(r.device_id, r.status);
  } catch (const std::exception& e) {
    spdlog::error("loading device statuses failed: {}", e.what());
  }
}

}  // namespace kh::hub
