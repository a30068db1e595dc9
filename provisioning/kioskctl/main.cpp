// kioskctl: the operator CLI (printer, scanner, certificates, broker configuration, enrollment, devices).
#include <CLI/CLI.hpp>

#include "commands.hpp"

int main(int argc, char** argv) {
  CLI::App app{"kioskctl: Kioskhub operator tool"};
  app.require_subcommand(1);
  kh::kioskctl::add_printer_commands(app);
  kh::kioskctl::add_scan_commands(app);
  kh::kioskctl::add_fleet_commands(app);
  CLI11_PARSE(app, argc, argv);
  return 0;
}
