#pragma once
// Test support: temp dirs, free loopback ports, a real Mosquitto broker, and child processes with
// line-based stdin/stdout (for black-box tests of kioskhub and kiosk).

#include <sys/types.h>

#include <chrono>
#include <cstdint>
#include <filesystem>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <vector>

namespace kh::test {

using namespace std::chrono_literals;

/// A fresh directory under /tmp, removed with everything in it on destruction.
class temp_dir {
 public:
  temp_dir();
  ~temp_dir();
  temp_dir(const temp_dir&) = delete;
  temp_dir& operator=(const temp_dir&) = delete;
  const std::filesystem::path& path() const { return path_; }
  std::string str() const { return path_.string(); }

 private:
  std::filesystem::path path_;
};

/// A TCP port on 127.0.0.1 that was free a moment ago (bind to 0, read, close).
std::uint16_t free_port();

/// True once something accepts TCP connections on 127.0.0.1:port (polls up to timeout).
bool wait_for_port(std::uint16_t port, std::chrono::milliseconds timeout);

/// Polls cond every few ms until true or timeout; returns the last value.
bool eventually(const std::function<bool()>& cond, std::chrono::milliseconds timeout = 10s);

/// A child process. stdin/stdout are pipes when requested; stderr goes to a log file.
class process {
 public:
  struct options {
    std::vector<std::string> argv;
    std::vector<std::string> env;  ///< extra NAME=value entries
    bool pipe_stdin = false;
    bool pipe_stdout = false;
    std::filesystem::path stderr_file;  ///< empty: inherit
  };
  explicit process(options opts);  ///< throws std::runtime_error if it cannot start
  ~process();                      ///< SIGKILL + reap if still running
  process(const process&) = delete;
  process& operator=(const process&) = delete;

  pid_t pid() const { return pid_; }
  bool running();
  /// Sends a signal; returns false if the process is gone.
  bool signal(int sig);
  /// Waits for exit up to timeout; exit code (or 128+signal) or nullopt on timeout.
  std::optional<int> wait(std::chrono::milliseconds timeout);
  /// Writes a line (adds '\n') to stdin.
  bool write_line(const std::string& line);
  void close_stdin();
  /// Next stdout line within timeout; nullopt on timeout or EOF.
  std::optional<std::string> read_line(std::chrono::milliseconds timeout);
  /// Reads lines until pred matches one (returned) or the timeout passes.
  std::optional<std::string> read_until(const std::function<bool(const std::string&)>& pred,
                                        std::chrono::milliseconds timeout);

 private:
  pid_t pid_ = -1;
  int in_ = -1, out_ = -1;
  std::string buf_;
  std::optional<int> status_;
};

/// A real Mosquitto on a free 127.0.0.1 port, with a generated config (TCP_NODELAY on, anonymous
/// access, no persistence to disk) in its own temp dir. Stops on destruction.
class mosquitto {
 public:
  /// `extra_config`: more lines for the generated config (e.g. "max_connections -1").
  explicit mosquitto(std::vector<std::string> extra_config = {});
  /// A broker on a config file written elsewhere (e.g. by `kioskctl broker-config`), which must
  /// listen on 127.0.0.1:port. Throws when it does not come up.
  mosquitto(const std::filesystem::path& config, std::uint16_t port);
  ~mosquitto();
  /// Kills the broker (SIGKILL: no clean disconnects, no wills) and starts it again on the same
  /// port with the same config; returns once it listens. Throws if it does not come back.
  void restart();
  std::uint16_t port() const { return port_; }
  std::string url() const { return "tcp://127.0.0.1:" + std::to_string(port_); }
  const std::filesystem::path& dir() const { return dir_.path(); }
  /// The broker's log file (for failure messages).
  std::string log() const;

 private:
  bool start();
  temp_dir dir_;
  std::vector<std::string> extra_;
  std::uint16_t port_ = 0;
  std::filesystem::path config_;
  std::unique_ptr<process> proc_;
};

/// A minimal HTTP/1.1 GET against 127.0.0.1:port (Connection: close). status 0 when unreachable.
struct http_result {
  int status = 0;
  std::string body;
  std::string headers;
};
http_result http_get(std::uint16_t port, const std::string& path, std::chrono::milliseconds timeout = 5s);

/// Runs a command to completion and returns its stdout (stderr to the log file if given) and code.
struct run_result {
  int code = -1;
  std::string out;
};
run_result run(const std::vector<std::string>& argv, std::chrono::milliseconds timeout = 60s,
               const std::filesystem::path& stderr_file = {});

/// Where the build put the executables (KH_BIN_DIR compile definition).
std::filesystem::path bin_dir();
/// Source tree root (KH_SOURCE_DIR compile definition).
std::filesystem::path source_dir();

/// Finds the mosquitto binary (/usr/sbin/mosquitto or PATH).
std::string mosquitto_binary();

/// Samples (e.g. microseconds) with nearest-rank percentiles, for the benchmarks.
struct stats {
  std::vector<double> us;
  /// p in [0, 100]; 0 when empty. Sorts the samples.
  double pct(double p);
};

/// utime + stime of a process (all threads) from /proc/PID/stat, seconds; 0 when unreadable.
double process_cpu_seconds(pid_t pid);

}  // namespace kh::test
