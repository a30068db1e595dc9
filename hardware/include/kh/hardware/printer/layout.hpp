#pragma once
// Receipt, pickup ticket and kitchen slip layouts. The documents are plain data: amounts arrive as
// preformatted text (the caller owns money formatting and knows nothing of ESC/POS).
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "kh/hardware/printer/codepage.hpp"
#include "kh/hardware/printer/profile.hpp"

namespace kh::hardware::printer {

/// One order line as printed.
struct doc_line {
  int quantity = 1;
  std::string name;           ///< product name (UTF-8), wrapped at the column width
  std::vector<std::string> notes;  ///< options / notes, printed indented under the name
  std::string amount;         ///< line total, preformatted ("€ 7.00"), right-aligned
};

/// Customer receipt.
struct receipt_doc {
  std::vector<std::string> header;  ///< business name first (printed big), then address/VAT lines
  std::string order_number;         ///< e.g. "A-042", printed huge
  std::string order_type;           ///< "Take away", "Eat in", …  (optional)
  std::string date_time;            ///< preformatted (optional)
  std::vector<doc_line> lines;
  std::string subtotal, discount, tax, total;  ///< preformatted; empty discount/tax are omitted
  std::string tax_label = "Tax";
  std::string payment_method;       ///< "Card", "Cash", …
  std::string eta;                  ///< "Ready around 12:40" (optional)
  std::string qr_url;               ///< tracking/feedback URL (optional; no QR if empty)
  std::string qr_caption = "Track your order / rate us";
  std::vector<std::string> footer;  ///< centered closing lines
};

/// One order as its customer receipt tells it, every field already text (money, time and labels
/// formatted by the caller in the store's language).
struct order_receipt_text {
  std::string business;  ///< printed big at the top
  std::string order_number, order_type, date_time;
  std::vector<doc_line> lines;
  std::string total, payment_method, eta, tracking_url;
  std::string thanks;    ///< closing line ("Thank you!")
  std::string order_id;  ///< printed last: staff find the order by it
};

/// The customer receipt of an order: what the kiosk prints and the hub's order page previews
/// (one composition for both, so the preview is the paper).
receipt_doc customer_receipt(const order_receipt_text& o);

/// Pickup ticket the customer keeps; the counter scans its QR.
struct pickup_ticket_doc {
  std::string business_name;
  std::string order_number;  ///< printed huge
  std::string order_type;
  std::string qr_payload;    ///< usually the order id
  std::string note;          ///< e.g. "Show this at the counter" (optional)
};

/// Kitchen / packing slip: big number, items in large print, no prices.
struct kitchen_slip_doc {
  std::string order_number;
  std::string order_type;
  std::string date_time;
  std::vector<doc_line> lines;  ///< amount is ignored
  std::string note;             ///< customer note (optional)
};

/// Layout options. Defaults: CP858, partial cut with 48 dots feed, no drawer pulse.
struct layout_options {
  code_page cp = code_page::cp858;
  bool partial_cut = true;
  bool open_drawer = false;  ///< add an ESC p pulse (cash payments)
};

/// Word-wraps UTF-8 text to lines of at most `columns` code points. Breaks at spaces; a word longer
/// than a line is split. Never returns an empty vector for non-empty input; `columns` < 1 is 1.
std::vector<std::string> wrap_text(std::string_view utf8, int columns);

/// `left` and `right` on one line of `columns` with the gap filled by spaces; if they do not fit,
/// `left` wraps and `right` ends the last line (or gets a line of its own).
std::vector<std::string> two_column(std::string_view left, std::string_view right, int columns);

/// ESC/POS bytes for the documents. QR goes native or raster according to the profile.
std::vector<std::uint8_t> layout_receipt(const receipt_doc& doc, const printer_profile& p, const layout_options& o = {});
std::vector<std::uint8_t> layout_pickup_ticket(const pickup_ticket_doc& doc, const printer_profile& p, const layout_options& o = {});
std::vector<std::uint8_t> layout_kitchen_slip(const kitchen_slip_doc& doc, const printer_profile& p, const layout_options& o = {});

/// A realistic sample receipt (used by `kioskctl receipt-preview --sample` and tests).
receipt_doc sample_receipt();
/// A sample pickup ticket for order id `order_id`.
pickup_ticket_doc sample_pickup_ticket(std::string order_id = "7f9c2b1e-4d3a-4c8b-9e21-5a6f0d1c2b3a");

}  // namespace kh::hardware::printer
