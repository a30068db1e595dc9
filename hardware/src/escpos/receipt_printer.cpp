#include "kh/hardware/printer/receipt_printer.hpp"

#include <stdexcept>

#include "kh/hardware/printer/encoder.hpp"

namespace kh::hardware::printer {

receipt_printer::receipt_printer(std::unique_ptr<printer_transport> transport, printer_profile profile,
                                 layout_options layout, job_options job)
    : transport_(std::move(transport)), profile_(profile), layout_(layout), job_(job) {
  if (!transport_) throw std::invalid_argument("receipt_printer needs a transport");
}

std::unique_ptr<receipt_printer> receipt_printer::open(std::string_view uri, printer_profile profile,
                                                       std::error_code& ec, layout_options layout, job_options job) {
  auto t = make_transport(uri, ec);
  if (!t) return nullptr;
  return std::make_unique<receipt_printer>(std::move(t), profile, layout, job);
}

job_result receipt_printer::print(const receipt_doc& doc) { return print_raw(layout_receipt(doc, profile_, layout_)); }
job_result receipt_printer::print(const pickup_ticket_doc& doc) {
  return print_raw(layout_pickup_ticket(doc, profile_, layout_));
}
job_result receipt_printer::print(const kitchen_slip_doc& doc) {
  return print_raw(layout_kitchen_slip(doc, profile_, layout_));
}
job_result receipt_printer::print_raw(std::span<const std::uint8_t> bytes) { return print_job(*transport_, bytes, job_); }

job_result receipt_printer::open_drawer() {
  escpos::encoder e(layout_.cp);
  e.drawer_pulse();
  return print_raw(e.bytes());
}

std::error_code receipt_printer::status(printer_status& out) { return query_status(*transport_, out, job_.status_timeout); }

render_result receipt_printer::preview(const receipt_doc& doc) const {
  return render_escpos(layout_receipt(doc, profile_, layout_), profile_);
}

}  // namespace kh::hardware::printer
