#pragma once
// Each command family registers its subcommands on the kioskctl app.
#include <CLI/CLI.hpp>

namespace kh::kioskctl {
/// receipt-preview, print-test
void add_printer_commands(CLI::App& app);
/// scan FILE… / scan --camera DEV
void add_scan_commands(CLI::App& app);
}  // namespace kh::kioskctl
