// kioskctl receipt-preview / print-test: thin wrappers over kh::hardware's printer API.
#include <fstream>
#include <iostream>
#include <iterator>
#include <memory>
#include <string>

#include "commands.hpp"
#include "kh/hardware/printer/layout.hpp"
#include "kh/hardware/printer/render.hpp"
#include "kh/hardware/printer/transport.hpp"

namespace kh::kioskctl {
namespace {

namespace hp = kh::hardware::printer;

struct printer_args {
  bool sample = false;
  std::string in, out, printer, kind = "receipt";
  int width = 80;
  bool raster_qr = false, no_status = false;
};

[[noreturn]] void fail(const std::string& msg, int code = 1) {
  std::cerr << "kioskctl: " << msg << "\n";
  throw CLI::RuntimeError(code);
}

hp::printer_profile profile_for(const printer_args& a) {
  auto p = a.width == 58 ? hp::printer_profile::mm58() : hp::printer_profile::mm80();
  return a.raster_qr ? p.without_native_qr() : p;
}

std::vector<std::uint8_t> sample_bytes(const printer_args& a, const hp::printer_profile& p) {
  if (a.kind == "ticket") return hp::layout_pickup_ticket(hp::sample_pickup_ticket(), p);
  if (a.kind == "kitchen") {
    const auto r = hp::sample_receipt();
    return hp::layout_kitchen_slip({r.order_number, r.order_type, r.date_time, r.lines, "Allergy: nuts"}, p);
  }
  return hp::layout_receipt(hp::sample_receipt(), p);
}

void receipt_preview(const printer_args& a) {
  if (a.sample == !a.in.empty()) fail("receipt-preview needs exactly one of --sample or --in FILE", 2);
  const auto p = profile_for(a);
  std::vector<std::uint8_t> bytes;
  if (a.sample) {
    bytes = sample_bytes(a, p);
  } else {
    std::ifstream f(a.in, std::ios::binary);
    if (!f) fail("cannot read " + a.in);
    bytes.assign(std::istreambuf_iterator<char>(f), {});
  }
  const auto r = hp::render_escpos(bytes, p);
  for (const auto& w : r.warnings) std::cerr << "kioskctl: warning: " << w << "\n";
  if (const auto ec = hp::write_png(r.image, a.out)) fail("cannot write " + a.out + ": " + ec.message());
  std::cout << a.out << ": " << r.image.width << "x" << r.image.height << " dots (" << p.name << ")\n";
}

void print_test(const printer_args& a) {
  std::error_code ec;
  auto t = hp::make_transport(a.printer, ec);
  if (!t) fail("bad printer URI '" + a.printer + "': " + ec.message(), 2);
  const auto p = profile_for(a);
  hp::job_options o;
  o.check_status = !a.no_status;
  const auto r = hp::print_job(*t, sample_bytes(a, p), o);
  if (r.error) fail(t->describe() + ": " + r.error.message());
  if (r.paper_near_end) std::cerr << "kioskctl: warning: paper near end\n";
  std::cout << "printed " << r.bytes_written << " bytes to " << t->describe() << "\n";
}

void add_common(CLI::App* c, printer_args& a) {
  c->add_option("--width", a.width, "paper width in mm: 58 or 80")->check(CLI::IsMember({58, 80}))->capture_default_str();
  c->add_option("--kind", a.kind, "sample document: receipt, ticket or kitchen")
      ->check(CLI::IsMember({"receipt", "ticket", "kitchen"}))
      ->capture_default_str();
  c->add_flag("--raster-qr", a.raster_qr, "send QR codes as raster images (printers without GS ( k)");
}

}  // namespace

void add_printer_commands(CLI::App& app) {
  // Options outlive parsing: the callbacks run after CLI11 has filled them in.
  auto a = std::make_shared<printer_args>();

  auto* prev = app.add_subcommand("receipt-preview", "render ESC/POS as a PNG print preview");
  prev->add_flag("--sample", a->sample, "render a built-in sample document");
  prev->add_option("--in", a->in, "ESC/POS byte file to render instead of the sample");
  prev->add_option("--out", a->out, "PNG file to write")->required();
  add_common(prev, *a);
  prev->callback([a] { receipt_preview(*a); });

  auto* pt = app.add_subcommand("print-test", "print a sample receipt on a real printer");
  pt->add_option("--printer", a->printer, "printer URI: file:/dev/usb/lp0 or tcp://host:9100")->required();
  pt->add_flag("--no-status", a->no_status, "skip the DLE EOT status check");
  add_common(pt, *a);
  pt->callback([a] { print_test(*a); });
}

}  // namespace kh::kioskctl
