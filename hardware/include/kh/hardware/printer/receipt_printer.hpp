#pragma once
// receipt_printer: the device-kind interface the kiosk uses. It owns a transport and a profile,
// lays documents out, sends them as one job and can show what a job would look like.
#include <memory>
#include <span>
#include <string_view>
#include <system_error>

#include "kh/hardware/printer/layout.hpp"
#include "kh/hardware/printer/profile.hpp"
#include "kh/hardware/printer/render.hpp"
#include "kh/hardware/printer/transport.hpp"

namespace kh::hardware::printer {

class receipt_printer {
 public:
  /// Takes ownership of `transport` (must not be null: that is a programming error and throws
  /// std::invalid_argument).
  receipt_printer(std::unique_ptr<printer_transport> transport, printer_profile profile,
                  layout_options layout = {}, job_options job = {});

  /// Opens the printer named by `uri` (file:…, tcp://…, sim:). Nothing is connected until the
  /// first job. Returns nullptr and sets `ec` (errc::bad_uri) when the URI is not understood.
  static std::unique_ptr<receipt_printer> open(std::string_view uri, printer_profile profile, std::error_code& ec,
                                               layout_options layout = {}, job_options job = {});

  job_result print(const receipt_doc& doc);
  job_result print(const pickup_ticket_doc& doc);
  job_result print(const kitchen_slip_doc& doc);
  /// Sends ESC/POS bytes made elsewhere as one job.
  job_result print_raw(std::span<const std::uint8_t> bytes);
  /// Kicks the cash drawer (ESC p on pin 2, 100 ms).
  job_result open_drawer();
  /// DLE EOT status (errc::not_supported on one-way transports).
  std::error_code status(printer_status& out);

  /// The job bytes for a document and their rendering, without printing.
  render_result preview(const receipt_doc& doc) const;

  const printer_profile& profile() const noexcept { return profile_; }
  printer_transport& transport() noexcept { return *transport_; }

 private:
  std::unique_ptr<printer_transport> transport_;
  printer_profile profile_;
  layout_options layout_;
  job_options job_;
};

}  // namespace kh::hardware::printer
