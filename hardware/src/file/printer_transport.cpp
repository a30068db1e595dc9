// Character device / file transport (e.g. /dev/usb/lp0). One-way: no status.
#include <fcntl.h>
#include <unistd.h>

#include <cerrno>

#include "kh/hardware/printer/transport.hpp"

namespace kh::hardware::printer {
namespace {

class file_transport final : public printer_transport {
 public:
  explicit file_transport(std::string path) : path_(std::move(path)) {}
  ~file_transport() override { close(); }

  std::error_code write(std::span<const std::uint8_t> bytes) override {
    if (fd_ < 0) {
      fd_ = ::open(path_.c_str(), O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0644);
      if (fd_ < 0) return errc::open_failed;
    }
    std::size_t done = 0;
    // Bounded: every iteration either advances or returns (EINTR retries are finite in practice
    // but we cap them anyway so a signal storm cannot spin us forever).
    for (int interrupts = 0; done < bytes.size();) {
      const auto n = ::write(fd_, bytes.data() + done, bytes.size() - done);
      if (n > 0) {
        done += static_cast<std::size_t>(n);
        continue;
      }
      if (n < 0 && errno == EINTR && ++interrupts < 100) continue;
      close();
      return errc::io_error;
    }
    return {};
  }
  std::error_code read(std::span<std::uint8_t>, std::chrono::milliseconds) override { return errc::not_supported; }
  bool two_way() const noexcept override { return false; }
  void close() noexcept override {
    if (fd_ >= 0) ::close(fd_);
    fd_ = -1;
  }
  std::string describe() const override { return "file:" + path_; }

 private:
  std::string path_;
  int fd_ = -1;
};

}  // namespace

std::unique_ptr<printer_transport> make_file_transport(std::string path) {
  return std::make_unique<file_transport>(std::move(path));
}

}  // namespace kh::hardware::printer
