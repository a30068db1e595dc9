#pragma once
// A kiosk process with a window on SDL's offscreen driver and a control socket (docs/kiosk.md),
// for integration tests of every mode: one JSON line per command.

#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include <fstream>
#include <memory>
#include <string>
#include <vector>

#include "hub_fixture.hpp"

namespace kh::test {

class screen_process {
 public:
  /// `args` come after the common ones (--data, --device, --mqtt, --business, --control).
  screen_process(mosquitto& broker, hub& h, const std::string& device, std::vector<std::string> args,
                 std::chrono::milliseconds connect_timeout = std::chrono::seconds(15)) {
    sock_path_ = dir_.path() / "ctl";
    std::vector<std::string> argv = {(bin_dir() / "kiosk").string(), "--data", (dir_.path() / "data").string(),
                                     "--device", device, "--mqtt", broker.url(), "--business", h.business_id(),
                                     "--control", sock_path_.string()};
    argv.insert(argv.end(), args.begin(), args.end());
    started_ = std::chrono::steady_clock::now();
    proc_ = std::make_unique<process>(process::options{
        .argv = argv, .env = {"SDL_VIDEODRIVER=offscreen", "SDL_AUDIODRIVER=dummy"},
        .stderr_file = dir_.path() / "kiosk.stderr"});
    eventually([&] { return connect(); }, connect_timeout);
  }
  ~screen_process() {
    if (fd_ >= 0) ::close(fd_);
  }
  bool connect() {
    if (fd_ >= 0) return true;
    const int fd = ::socket(AF_UNIX, SOCK_STREAM, 0);
    sockaddr_un a{};
    a.sun_family = AF_UNIX;
    std::snprintf(a.sun_path, sizeof a.sun_path, "%s", sock_path_.c_str());
    if (::connect(fd, reinterpret_cast<sockaddr*>(&a), sizeof a) != 0) {
      ::close(fd);
      return false;
    }
    fd_ = fd;
    return true;
  }
  json cmd(const std::string& line) {
    if (fd_ < 0) return json();
    const std::string l = line + "\n";
    if (::send(fd_, l.data(), l.size(), MSG_NOSIGNAL) != static_cast<ssize_t>(l.size())) return json();
    std::string out;
    char c = 0;
    while (::recv(fd_, &c, 1, 0) == 1 && c != '\n') out += c;
    return json::parse(out, nullptr, false);
  }
  json state() { return cmd("state"); }
  std::string log() const {
    std::ifstream f(dir_.path() / "kiosk.stderr");
    return {std::istreambuf_iterator<char>(f), {}};
  }
  const std::filesystem::path& dir() const { return dir_.path(); }
  std::chrono::steady_clock::time_point started() const { return started_; }
  process& proc() { return *proc_; }

 private:
  temp_dir dir_;
  std::filesystem::path sock_path_;
  std::unique_ptr<process> proc_;
  std::chrono::steady_clock::time_point started_;
  int fd_ = -1;
};

}  // namespace kh::test
