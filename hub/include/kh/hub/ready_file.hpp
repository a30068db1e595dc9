#pragma once
// DIR/hub.json tells scripts and tests that the hub is up: {"http_port":<port>,"pid":<pid>}.

#include <cstdint>
#include <string>

namespace kh::hub {

/// `DIR/hub.json`.
std::string ready_file_path(const std::string& data_dir);

/// Writes the ready file atomically (temp file, fsync, rename). Returns an empty string on
/// success, else the error.
std::string write_ready_file(const std::string& data_dir, std::uint16_t http_port, long pid);

/// Removes it (clean shutdown). Never throws.
void remove_ready_file(const std::string& data_dir) noexcept;

}  // namespace kh::hub
