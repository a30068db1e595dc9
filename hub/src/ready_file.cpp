#include "kh/hub/ready_file.hpp"

#include <fcntl.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <filesystem>

#include <nlohmann/json.hpp>

namespace kh::hub {

std::string ready_file_path(const std::string& data_dir) {
  return (std::filesystem::path(data_dir) / "hub.json").string();
}

std::string write_ready_file(const std::string& data_dir, std::uint16_t http_port, long pid) {
  const std::string path = ready_file_path(data_dir);
  const std::string tmp = path + ".tmp";
  const std::string text = nlohmann::json{{"http_port", http_port}, {"pid", pid}}.dump() + "\n";
  const int fd = ::open(tmp.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
  if (fd < 0) return "cannot create " + tmp + ": " + std::strerror(errno);
  std::size_t done = 0;
  while (done < text.size()) {
    const auto n = ::write(fd, text.data() + done, text.size() - done);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) {
      const std::string err = std::strerror(errno);
      ::close(fd);
      ::unlink(tmp.c_str());
      return "cannot write " + tmp + ": " + err;
    }
    done += static_cast<std::size_t>(n);
  }
  ::fsync(fd);
  ::close(fd);
  // rename() is atomic: a reader sees the old file or the whole new one, never half of it.
  if (::rename(tmp.c_str(), path.c_str()) != 0) {
    const std::string err = std::strerror(errno);
    ::unlink(tmp.c_str());
    return "cannot rename " + tmp + ": " + err;
  }
  return {};
}

void remove_ready_file(const std::string& data_dir) noexcept {
  std::error_code ec;
  std::filesystem::remove(ready_file_path(data_dir), ec);
}

}  // namespace kh::hub
