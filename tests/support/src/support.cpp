#include "kh/test/support.hpp"

#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <poll.h>
#include <signal.h>
#include <spawn.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cctype>
#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <iterator>
#include <random>
#include <sstream>
#include <stdexcept>
#include <thread>

extern char** environ;

namespace kh::test {

temp_dir::temp_dir() {
  std::string tmpl = (std::filesystem::temp_directory_path() / "kh-test-XXXXXX").string();
  if (!mkdtemp(tmpl.data())) throw std::runtime_error("mkdtemp failed");
  path_ = tmpl;
}

temp_dir::~temp_dir() {
  std::error_code ec;
  if (std::getenv("KH_KEEP_TEMP") == nullptr) std::filesystem::remove_all(path_, ec);
}

std::uint16_t free_port() {
  int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  if (fd < 0) throw std::runtime_error("socket failed");
  sockaddr_in a{};
  a.sin_family = AF_INET;
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  a.sin_port = 0;
  if (::bind(fd, reinterpret_cast<sockaddr*>(&a), sizeof(a)) != 0) {
    ::close(fd);
    throw std::runtime_error("bind failed");
  }
  socklen_t len = sizeof(a);
  ::getsockname(fd, reinterpret_cast<sockaddr*>(&a), &len);
  ::close(fd);
  return ntohs(a.sin_port);
}

bool wait_for_port(std::uint16_t port, std::chrono::milliseconds timeout) {
  return eventually(
      [&] {
        int fd = ::socket(AF_INET, SOCK_STREAM, 0);
        sockaddr_in a{};
        a.sin_family = AF_INET;
        a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
        a.sin_port = htons(port);
        bool ok = ::connect(fd, reinterpret_cast<sockaddr*>(&a), sizeof(a)) == 0;
        ::close(fd);
        return ok;
      },
      timeout);
}

bool eventually(const std::function<bool()>& cond, std::chrono::milliseconds timeout) {
  auto deadline = std::chrono::steady_clock::now() + timeout;
  for (;;) {
    if (cond()) return true;
    if (std::chrono::steady_clock::now() >= deadline) return cond();
    std::this_thread::sleep_for(5ms);
  }
}

process::process(options opts) {
  int inp[2] = {-1, -1}, outp[2] = {-1, -1};
  if (opts.pipe_stdin && ::pipe2(inp, O_CLOEXEC) != 0) throw std::runtime_error("pipe failed");
  if (opts.pipe_stdout && ::pipe2(outp, O_CLOEXEC) != 0) throw std::runtime_error("pipe failed");
  posix_spawn_file_actions_t fa;
  posix_spawn_file_actions_init(&fa);
  if (opts.pipe_stdin) posix_spawn_file_actions_adddup2(&fa, inp[0], 0);
  if (opts.pipe_stdout) posix_spawn_file_actions_adddup2(&fa, outp[1], 1);
  if (!opts.stderr_file.empty())
    posix_spawn_file_actions_addopen(&fa, 2, opts.stderr_file.c_str(), O_WRONLY | O_CREAT | O_APPEND, 0644);
  std::vector<char*> argv;
  for (auto& a : opts.argv) argv.push_back(a.data());
  argv.push_back(nullptr);
  std::vector<std::string> envs;
  for (char** e = environ; *e; ++e) envs.emplace_back(*e);
  for (auto& e : opts.env) envs.push_back(e);
  std::vector<char*> envp;
  for (auto& e : envs) envp.push_back(e.data());
  envp.push_back(nullptr);
  int rc = posix_spawn(&pid_, argv[0], &fa, nullptr, argv.data(), envp.data());
  posix_spawn_file_actions_destroy(&fa);
  if (opts.pipe_stdin) ::close(inp[0]);
  if (opts.pipe_stdout) ::close(outp[1]);
  if (rc != 0) {
    if (opts.pipe_stdin) ::close(inp[1]);
    if (opts.pipe_stdout) ::close(outp[0]);
    throw std::runtime_error("cannot start " + opts.argv.at(0) + ": " + std::strerror(rc));
  }
  in_ = opts.pipe_stdin ? inp[1] : -1;
  out_ = opts.pipe_stdout ? outp[0] : -1;
}

process::~process() {
  if (running()) {
    ::kill(pid_, SIGKILL);
    wait(5s);
  }
  if (in_ >= 0) ::close(in_);
  if (out_ >= 0) ::close(out_);
}

bool process::running() {
  if (status_) return false;
  int st = 0;
  pid_t r = ::waitpid(pid_, &st, WNOHANG);
  if (r == pid_) {
    status_ = WIFEXITED(st) ? WEXITSTATUS(st) : 128 + WTERMSIG(st);
    return false;
  }
  return r == 0;
}

bool process::signal(int sig) { return running() && ::kill(pid_, sig) == 0; }

std::optional<int> process::wait(std::chrono::milliseconds timeout) {
  eventually([&] { return !running(); }, timeout);
  return status_;
}

bool process::write_line(const std::string& line) {
  if (in_ < 0) return false;
  std::string s = line + "\n";
  const char* p = s.data();
  std::size_t left = s.size();
  while (left > 0) {
    ssize_t n = ::write(in_, p, left);
    if (n < 0) {
      if (errno == EINTR) continue;
      return false;
    }
    p += n;
    left -= static_cast<std::size_t>(n);
  }
  return true;
}

void process::close_stdin() {
  if (in_ >= 0) ::close(in_);
  in_ = -1;
}

std::optional<std::string> process::read_line(std::chrono::milliseconds timeout) {
  auto deadline = std::chrono::steady_clock::now() + timeout;
  for (;;) {
    if (auto nl = buf_.find('\n'); nl != std::string::npos) {
      std::string line = buf_.substr(0, nl);
      buf_.erase(0, nl + 1);
      return line;
    }
    if (out_ < 0) return std::nullopt;
    auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - std::chrono::steady_clock::now());
    if (left.count() <= 0) return std::nullopt;
    pollfd p{out_, POLLIN, 0};
    int r = ::poll(&p, 1, static_cast<int>(left.count()));
    if (r < 0 && errno == EINTR) continue;
    if (r <= 0) return std::nullopt;
    char chunk[4096];
    ssize_t n = ::read(out_, chunk, sizeof(chunk));
    if (n <= 0) {
      ::close(out_);
      out_ = -1;
      continue;
    }
    buf_.append(chunk, static_cast<std::size_t>(n));
  }
}

std::optional<std::string> process::read_until(const std::function<bool(const std::string&)>& pred,
                                               std::chrono::milliseconds timeout) {
  auto deadline = std::chrono::steady_clock::now() + timeout;
  for (;;) {
    auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - std::chrono::steady_clock::now());
    if (left.count() <= 0) return std::nullopt;
    auto line = read_line(left);
    if (!line) return std::nullopt;
    if (pred(*line)) return line;
  }
}

std::string mosquitto_binary() {
  for (const char* p : {"/usr/sbin/mosquitto", "/usr/bin/mosquitto", "/usr/local/sbin/mosquitto"}) {
    if (::access(p, X_OK) == 0) return p;
  }
  throw std::runtime_error("mosquitto not found (apt-get install mosquitto)");
}

mosquitto::mosquitto(std::vector<std::string> extra_config) : extra_(std::move(extra_config)) {
  // A port can be taken between free_port() and the broker's bind: retry a few times.
  for (int attempt = 0; attempt < 5; ++attempt) {
    port_ = free_port();
    if (start()) return;
  }
  throw std::runtime_error("mosquitto did not start: " + log());
}

mosquitto::mosquitto(const std::filesystem::path& config, std::uint16_t port) : port_(port), config_(config) {
  if (!start()) throw std::runtime_error("mosquitto did not start: " + log());
}

bool mosquitto::start() {
  auto conf = config_.empty() ? dir_.path() / "mosquitto.conf" : config_;
  if (config_.empty()) {
    std::ofstream f(conf);
    f << "listener " << port_ << " 127.0.0.1\n"
      << "allow_anonymous true\n"
      << "set_tcp_nodelay true\n"
      << "persistence false\n"
      << "max_inflight_messages 0\n"
      << "max_queued_messages 100000\n"
      << "log_dest file " << (dir_.path() / "mosquitto.log").string() << "\n"
      << "log_type error\nlog_type warning\nlog_type notice\n";
    for (const auto& line : extra_) f << line << "\n";
    if (::geteuid() == 0) f << "user root\n";
  }
  proc_ = std::make_unique<process>(process::options{
      .argv = {mosquitto_binary(), "-c", conf.string()},
      .stderr_file = dir_.path() / "mosquitto.stderr"});
  if (wait_for_port(port_, 5s) && proc_->running()) return true;
  proc_.reset();
  return false;
}

void mosquitto::restart() {
  if (proc_) {
    proc_->signal(SIGKILL);
    proc_->wait(5s);
    proc_.reset();
  }
  for (int attempt = 0; attempt < 20; ++attempt) {
    if (start()) return;
    std::this_thread::sleep_for(100ms);
  }
  throw std::runtime_error("mosquitto did not come back on port " + std::to_string(port_) + ": " + log());
}

mosquitto::~mosquitto() {
  if (proc_) {
    proc_->signal(SIGTERM);
    if (!proc_->wait(3s)) proc_->signal(SIGKILL);
  }
}

std::string mosquitto::log() const {
  std::ostringstream s;
  for (auto name : {"mosquitto.log", "mosquitto.stderr"}) {
    std::ifstream f(dir_.path() / name);
    // Via a string: inserting an empty rdbuf would set failbit on `s` and drop the next file.
    s << std::string((std::istreambuf_iterator<char>(f)), std::istreambuf_iterator<char>());
  }
  return s.str();
}

std::filesystem::path bin_dir() { return KH_BIN_DIR; }
std::filesystem::path source_dir() { return KH_SOURCE_DIR; }

}  // namespace kh::test

namespace kh::test {

http_result http_get(std::uint16_t port, const std::string& path, std::chrono::milliseconds timeout) {
  http_result r;
  int fd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (fd < 0) return r;
  timeval tv{};
  tv.tv_sec = static_cast<time_t>(timeout.count() / 1000);
  tv.tv_usec = static_cast<suseconds_t>((timeout.count() % 1000) * 1000);
  ::setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
  ::setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof(tv));
  sockaddr_in a{};
  a.sin_family = AF_INET;
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  a.sin_port = htons(port);
  if (::connect(fd, reinterpret_cast<sockaddr*>(&a), sizeof(a)) != 0) {
    ::close(fd);
    return r;
  }
  std::string req = "GET " + path + " HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n";
  if (::send(fd, req.data(), req.size(), MSG_NOSIGNAL) != static_cast<ssize_t>(req.size())) {
    ::close(fd);
    return r;
  }
  std::string resp;
  char buf[8192];
  for (;;) {
    ssize_t n = ::recv(fd, buf, sizeof(buf), 0);
    if (n <= 0) break;
    resp.append(buf, static_cast<std::size_t>(n));
    if (resp.size() > (16u << 20)) break;
  }
  ::close(fd);
  auto sp = resp.find(' ');
  auto hdr_end = resp.find("\r\n\r\n");
  if (sp == std::string::npos || hdr_end == std::string::npos) return r;
  r.status = std::atoi(resp.c_str() + sp + 1);
  r.headers = resp.substr(0, hdr_end);
  r.body = resp.substr(hdr_end + 4);
  // De-chunk if needed (Beast uses chunked only for bodies of unknown size).
  std::string lower = r.headers;
  for (auto& c : lower) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  if (lower.find("transfer-encoding: chunked") != std::string::npos) {
    std::string out;
    std::size_t pos = 0;
    while (pos < r.body.size()) {
      auto eol = r.body.find("\r\n", pos);
      if (eol == std::string::npos) break;
      std::size_t len = std::stoul(r.body.substr(pos, eol - pos), nullptr, 16);
      if (len == 0) break;
      out += r.body.substr(eol + 2, len);
      pos = eol + 2 + len + 2;
    }
    r.body = out;
  }
  return r;
}

run_result run(const std::vector<std::string>& argv, std::chrono::milliseconds timeout,
               const std::filesystem::path& stderr_file) {
  process p(process::options{.argv = argv, .pipe_stdout = true, .stderr_file = stderr_file});
  run_result r;
  auto deadline = std::chrono::steady_clock::now() + timeout;
  for (;;) {
    auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - std::chrono::steady_clock::now());
    if (left.count() <= 0) break;
    auto line = p.read_line(left);
    if (!line) break;
    r.out += *line + "\n";
  }
  auto code = p.wait(std::chrono::milliseconds(5000));
  r.code = code ? *code : -1;
  return r;
}

double stats::pct(double p) {
  if (us.empty()) return 0;
  std::sort(us.begin(), us.end());
  return us[static_cast<std::size_t>(p / 100.0 * static_cast<double>(us.size() - 1))];
}

double process_cpu_seconds(pid_t pid) {
  std::ifstream f("/proc/" + std::to_string(pid) + "/stat");
  std::string all((std::istreambuf_iterator<char>(f)), std::istreambuf_iterator<char>());
  const auto close = all.rfind(')');  // the command name may hold spaces and parentheses
  if (close == std::string::npos || close + 2 > all.size()) return 0;
  std::istringstream in(all.substr(close + 2));
  std::string field;
  double ticks = 0;
  for (int i = 3; i <= 15 && in >> field; ++i) {
    if (i == 14 || i == 15) ticks += std::stod(field);
  }
  return ticks / static_cast<double>(::sysconf(_SC_CLK_TCK));
}

}  // namespace kh::test
