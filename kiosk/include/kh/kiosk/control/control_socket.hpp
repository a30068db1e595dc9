#pragma once
// The kiosk's control socket (tests, remote support): a Unix stream socket, mode 0600, taking one
// command per line and answering one JSON line per command. Mode-agnostic: it only moves lines;
// the handler (the running mode) gives them meaning through the same event path as a touch. See
// docs/kiosk.md for the commands.

#include <filesystem>
#include <functional>
#include <memory>
#include <string>
#include <system_error>
#include <thread>

namespace kh::kiosk {

class control_socket {
 public:
  /// Called on the socket's own thread with one line (no newline); returns the answer line.
  using handler = std::function<std::string(const std::string& line)>;

  /// Longest command line (default: 4 KiB); longer lines are answered with an error and skipped.
  static constexpr std::size_t max_line = 4096;

  /// Binds `path` (a stale socket file there is replaced; any other file is an error), mode 0600,
  /// and starts serving clients one at a time. Returns nullptr with `ec` set on failure.
  static std::unique_ptr<control_socket> open(const std::filesystem::path& path, handler h,
                                              std::error_code& ec);
  ~control_socket();
  control_socket(const control_socket&) = delete;
  control_socket& operator=(const control_socket&) = delete;

 private:
  control_socket() = default;
  void run();
  std::filesystem::path path_;
  handler handler_;
  int listen_fd_ = -1;
  int stop_pipe_[2] = {-1, -1};
  std::thread thread_;
};

}  // namespace kh::kiosk
