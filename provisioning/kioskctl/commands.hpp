#pragma once
// Each command family registers its subcommands on the kioskctl app.
#include <CLI/CLI.hpp>

namespace kh::kioskctl {
/// receipt-preview, print-test
void add_printer_commands(CLI::App& app);
/// scan FILE… / scan --camera DEV
void add_scan_commands(CLI::App& app);
/// ca init|issue, broker-config, enroll create, devices list|show|revoke|rotate
void add_fleet_commands(CLI::App& app);
}  // namespace kh::kioskctl
