#pragma once
// Secret files (identity, signing key, broker admin password): written atomically with mode 0600
// (temp file in the same directory created 0600, fsync, rename, fsync of the directory), so a
// crash leaves either the old file or the new one, and no reader ever sees a partial secret.

#include <filesystem>
#include <optional>
#include <string>
#include <string_view>

namespace kh::provisioning {

/// Returns an empty string on success, else what failed. Creates the parent directory.
std::string write_file_atomic(const std::filesystem::path& file, std::string_view content, unsigned mode = 0600);
/// Whole file, or nullopt when it cannot be read.
std::optional<std::string> read_file(const std::filesystem::path& file);
/// Permission bits of a file (e.g. 0600), or -1.
int file_mode(const std::filesystem::path& file);

/// `n` random bytes (libsodium).
std::string random_bytes(std::size_t n);
/// A random password: 32 characters of [A-Za-z0-9] (about 190 bits).
std::string random_password();

}  // namespace kh::provisioning
