#include "kh/provisioning/files.hpp"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <fstream>
#include <sstream>

#include <sodium.h>

namespace kh::provisioning {

namespace {
bool write_all(int fd, std::string_view s) {
  while (!s.empty()) {
    const ssize_t n = ::write(fd, s.data(), s.size());
    if (n < 0) {
      if (errno == EINTR) continue;
      return false;
    }
    s.remove_prefix(static_cast<std::size_t>(n));
  }
  return true;
}
}  // namespace

std::string write_file_atomic(const std::filesystem::path& file, std::string_view content, unsigned mode) {
  std::error_code ec;
  const auto dir = file.has_parent_path() ? file.parent_path() : std::filesystem::path(".");
  std::filesystem::create_directories(dir, ec);
  if (ec) return "cannot create " + dir.string() + ": " + ec.message();
  std::string tmp = (dir / ("." + file.filename().string() + ".XXXXXX")).string();
  const int fd = ::mkstemp(tmp.data());  // created 0600
  if (fd < 0) return "cannot create a temp file in " + dir.string() + ": " + std::strerror(errno);
  const auto fail = [&](const std::string& what) {
    const std::string err = what + ": " + std::strerror(errno);
    ::close(fd);
    ::unlink(tmp.c_str());
    return err;
  };
  if (::fchmod(fd, static_cast<mode_t>(mode)) != 0) return fail("chmod " + tmp);
  if (!write_all(fd, content)) return fail("write " + tmp);
  if (::fsync(fd) != 0) return fail("fsync " + tmp);
  if (::close(fd) != 0) {
    ::unlink(tmp.c_str());
    return "close " + tmp + ": " + std::strerror(errno);
  }
  if (::rename(tmp.c_str(), file.c_str()) != 0) {
    const std::string err = "rename to " + file.string() + ": " + std::strerror(errno);
    ::unlink(tmp.c_str());
    return err;
  }
  if (const int dfd = ::open(dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC); dfd >= 0) {
    ::fsync(dfd);
    ::close(dfd);
  }
  return {};
}

std::optional<std::string> read_file(const std::filesystem::path& file) {
  std::ifstream f(file, std::ios::binary);
  if (!f) return std::nullopt;
  std::ostringstream s;
  s << f.rdbuf();
  if (f.bad()) return std::nullopt;
  return s.str();
}

int file_mode(const std::filesystem::path& file) {
  struct stat st {};
  if (::stat(file.c_str(), &st) != 0) return -1;
  return static_cast<int>(st.st_mode & 07777);
}

std::string random_bytes(std::size_t n) {
  if (sodium_init() < 0) throw std::runtime_error("libsodium failed to initialise");
  std::string out(n, '\0');
  randombytes_buf(out.data(), n);
  return out;
}

std::string random_password() {
  static constexpr std::string_view alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789";
  if (sodium_init() < 0) throw std::runtime_error("libsodium failed to initialise");
  std::string out(32, '\0');
  for (auto& c : out) c = alphabet[randombytes_uniform(static_cast<std::uint32_t>(alphabet.size()))];
  return out;
}

}  // namespace kh::provisioning
