#include "kh/kiosk/link/image_cache.hpp"

#include <algorithm>
#include <condition_variable>
#include <cstdio>
#include <deque>
#include <fstream>
#include <map>
#include <mutex>
#include <set>
#include <thread>
#include <unordered_map>

#include <curl/curl.h>
#include <spdlog/spdlog.h>

namespace kh::kiosk {

namespace fs = std::filesystem;

namespace {

bool is_http_url(const std::string& url) {
  return url.rfind("http://", 0) == 0 || url.rfind("https://", 0) == 0;
}

// curl_global_init is not thread-safe: do it once for the process.
void curl_once() {
  static std::once_flag flag;
  std::call_once(flag, [] { curl_global_init(CURL_GLOBAL_DEFAULT); });
}

struct download {
  std::string body;
  std::size_t limit = 0;
  bool too_large = false;
  std::string etag;
};

std::size_t on_body(char* data, std::size_t size, std::size_t n, void* user) {
  auto* d = static_cast<download*>(user);
  const std::size_t len = size * n;
  if (d->body.size() + len > d->limit) {
    d->too_large = true;
    return 0;  // aborts the transfer
  }
  d->body.append(data, len);
  return len;
}

std::size_t on_header(char* data, std::size_t size, std::size_t n, void* user) {
  auto* d = static_cast<download*>(user);
  std::string line(data, size * n);
  if (line.size() > 5) {
    std::string lower = line.substr(0, 5);
    std::transform(lower.begin(), lower.end(), lower.begin(), [](unsigned char c) { return std::tolower(c); });
    if (lower == "etag:") {
      auto v = line.substr(5);
      v.erase(0, v.find_first_not_of(" \t"));
      while (!v.empty() && (v.back() == '\r' || v.back() == '\n' || v.back() == ' ')) v.pop_back();
      d->etag = v;
    }
  }
  return size * n;
}

std::string read_small_file(const fs::path& p) {
  std::ifstream in(p, std::ios::binary);
  std::string s((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  return s;
}

bool write_atomically(const fs::path& p, const std::string& bytes) {
  const fs::path tmp = p.string() + ".tmp";
  {
    std::ofstream out(tmp, std::ios::binary | std::ios::trunc);
    if (!out) return false;
    out.write(bytes.data(), static_cast<std::streamsize>(bytes.size()));
    if (!out) return false;
  }
  std::error_code ec;
  fs::rename(tmp, p, ec);
  return !ec;
}

}  // namespace

struct image_cache::impl {
  image_cache_options opts;
  ready_fn on_ready;
  failed_fn on_failed;

  mutable std::mutex mu;
  mutable std::condition_variable cv;       // work for the worker
  mutable std::condition_variable idle_cv;  // queue drained
  std::deque<std::string> queue;
  std::set<std::string> queued_urls;  // queued or running: each URL once
  std::set<std::string> revalidated;  // URLs checked with the hub in this run
  std::unordered_map<std::string, std::chrono::steady_clock::time_point> failed_at;
  struct entry {
    std::size_t bytes = 0;
    std::uint64_t last_used = 0;
  };
  std::map<std::string, entry> files;  // file name → size, recency
  std::uint64_t tick = 0;
  std::size_t total = 0;
  int running = 0;
  bool stopping = false;
  std::thread worker;

  fs::path file_of(const std::string& url) const { return opts.dir / file_name_for(url); }

  // Under mu.
  bool enqueue(const std::string& url) {
    if (stopping || queued_urls.count(url) || queue.size() >= opts.max_queue) return false;
    if (auto f = failed_at.find(url);
        f != failed_at.end() && std::chrono::steady_clock::now() - f->second < opts.retry_after) {
      return false;
    }
    queued_urls.insert(url);
    queue.push_back(url);
    cv.notify_one();
    return true;
  }

  // Under mu: drops least recently used files until the budget holds (never `keep`).
  void evict(const std::string& keep) {
    while (total > opts.max_bytes && files.size() > 1) {
      auto oldest = files.end();
      for (auto it = files.begin(); it != files.end(); ++it) {
        if (it->first == keep) continue;
        if (oldest == files.end() || it->second.last_used < oldest->second.last_used) oldest = it;
      }
      if (oldest == files.end()) break;
      std::error_code ec;
      fs::remove(opts.dir / oldest->first, ec);
      fs::remove(opts.dir / (oldest->first + ".etag"), ec);
      total -= std::min(total, oldest->second.bytes);
      files.erase(oldest);
    }
  }

  void fetch(const std::string& url) {
    curl_once();
    const fs::path file = file_of(url);
    const fs::path etag_file = file.string() + ".etag";
    std::string known_etag;
    {
      std::lock_guard lk(mu);
      if (files.count(file.filename().string())) known_etag = read_small_file(etag_file);
    }
    download d;
    d.limit = opts.max_image_bytes;
    CURL* h = curl_easy_init();
    if (!h) return fail(url, "curl_easy_init failed");
    curl_slist* headers = nullptr;
    if (!known_etag.empty()) headers = curl_slist_append(headers, ("If-None-Match: " + known_etag).c_str());
    curl_easy_setopt(h, CURLOPT_URL, url.c_str());
#if CURL_AT_LEAST_VERSION(7, 85, 0)
    curl_easy_setopt(h, CURLOPT_PROTOCOLS_STR, "http,https");
#else
    curl_easy_setopt(h, CURLOPT_PROTOCOLS, CURLPROTO_HTTP | CURLPROTO_HTTPS);
#endif
    curl_easy_setopt(h, CURLOPT_NOSIGNAL, 1L);
    curl_easy_setopt(h, CURLOPT_TIMEOUT_MS, static_cast<long>(opts.timeout.count()));
    curl_easy_setopt(h, CURLOPT_CONNECTTIMEOUT_MS, static_cast<long>(opts.timeout.count()));
    curl_easy_setopt(h, CURLOPT_WRITEFUNCTION, on_body);
    curl_easy_setopt(h, CURLOPT_WRITEDATA, &d);
    curl_easy_setopt(h, CURLOPT_HEADERFUNCTION, on_header);
    curl_easy_setopt(h, CURLOPT_HEADERDATA, &d);
    if (headers) curl_easy_setopt(h, CURLOPT_HTTPHEADER, headers);
    const CURLcode rc = curl_easy_perform(h);
    long status = 0;
    curl_easy_getinfo(h, CURLINFO_RESPONSE_CODE, &status);
    curl_slist_free_all(headers);
    curl_easy_cleanup(h);

    if (d.too_large) return fail(url, "larger than " + std::to_string(opts.max_image_bytes) + " bytes");
    if (rc != CURLE_OK) return fail(url, curl_easy_strerror(rc));
    if (status == 304) return;  // unchanged: the file on disk is current
    if (status != 200) return fail(url, "HTTP " + std::to_string(status));
    if (d.body.empty()) return fail(url, "empty body");
    if (!write_atomically(file, d.body)) return fail(url, "cannot write " + file.string());
    if (!d.etag.empty()) write_atomically(etag_file, d.etag);
    {
      std::lock_guard lk(mu);
      auto& e = files[file.filename().string()];
      total -= std::min(total, e.bytes);
      e.bytes = d.body.size();
      e.last_used = ++tick;
      total += e.bytes;
      evict(file.filename().string());
      failed_at.erase(url);
    }
    if (on_ready) {
      try {
        on_ready({url, file});
      } catch (...) {
        spdlog::error("kiosk: image ready handler threw");
      }
    }
  }

  void fail(const std::string& url, const std::string& why) {
    {
      std::lock_guard lk(mu);
      failed_at[url] = std::chrono::steady_clock::now();
    }
    spdlog::debug("kiosk: image {} not fetched: {}", url, why);
    if (on_failed) {
      try {
        on_failed({url, why});
      } catch (...) {
        spdlog::error("kiosk: image failed handler threw");
      }
    }
  }

  void run() {
    std::unique_lock lk(mu);
    for (;;) {
      cv.wait(lk, [&] { return stopping || !queue.empty(); });
      if (stopping) return;
      const std::string url = queue.front();
      queue.pop_front();
      ++running;
      lk.unlock();
      try {
        fetch(url);
      } catch (const std::exception& e) {
        fail(url, e.what());
      }
      lk.lock();
      --running;
      queued_urls.erase(url);
      if (queue.empty() && running == 0) idle_cv.notify_all();
    }
  }
};

std::string image_cache::file_name_for(const std::string& url) {
  std::uint64_t h = 1469598103934665603ull;
  for (unsigned char c : url) {
    h ^= c;
    h *= 1099511628211ull;
  }
  char buf[24];
  std::snprintf(buf, sizeof buf, "%016llx.img", static_cast<unsigned long long>(h));
  return buf;
}

image_cache::image_cache(image_cache_options opts, ready_fn on_ready, failed_fn on_failed)
    : impl_(std::make_unique<impl>()) {
  auto& d = *impl_;
  d.opts = std::move(opts);
  d.on_ready = std::move(on_ready);
  d.on_failed = std::move(on_failed);
  fs::create_directories(d.opts.dir);
  // Files from earlier runs: oldest modification first, so they are evicted first.
  std::vector<std::pair<fs::file_time_type, fs::directory_entry>> found;
  for (const auto& e : fs::directory_iterator(d.opts.dir)) {
    if (!e.is_regular_file()) continue;
    const auto name = e.path().filename().string();
    if (name.size() < 4 || name.substr(name.size() - 4) != ".img") {
      if (name.size() > 4 && name.substr(name.size() - 4) == ".tmp") fs::remove(e.path());
      continue;
    }
    found.emplace_back(e.last_write_time(), e);
  }
  std::sort(found.begin(), found.end(), [](const auto& a, const auto& b) { return a.first < b.first; });
  for (const auto& [t, e] : found) {
    auto& entry = d.files[e.path().filename().string()];
    entry.bytes = static_cast<std::size_t>(e.file_size());
    entry.last_used = ++d.tick;
    d.total += entry.bytes;
  }
  {
    std::lock_guard lk(d.mu);
    d.evict({});
  }
  d.worker = std::thread([p = impl_.get()] { p->run(); });
}

image_cache::~image_cache() {
  {
    std::lock_guard lk(impl_->mu);
    impl_->stopping = true;
  }
  impl_->cv.notify_all();
  if (impl_->worker.joinable()) impl_->worker.join();
}

std::optional<fs::path> image_cache::get(const std::string& url) {
  if (!is_http_url(url)) return std::nullopt;
  auto& d = *impl_;
  std::lock_guard lk(d.mu);
  const auto name = file_name_for(url);
  auto it = d.files.find(name);
  if (it == d.files.end()) {
    d.enqueue(url);
    return std::nullopt;
  }
  it->second.last_used = ++d.tick;
  if (d.revalidated.insert(url).second) d.enqueue(url);  // the hub may have a new picture
  return d.opts.dir / name;
}

void image_cache::prefetch(const std::vector<std::string>& urls) {
  auto& d = *impl_;
  std::lock_guard lk(d.mu);
  for (const auto& u : urls) {
    if (!is_http_url(u) || d.files.count(file_name_for(u))) continue;
    d.enqueue(u);
  }
}

std::size_t image_cache::bytes_on_disk() const {
  std::lock_guard lk(impl_->mu);
  return impl_->total;
}

std::size_t image_cache::queued() const {
  std::lock_guard lk(impl_->mu);
  return impl_->queue.size() + static_cast<std::size_t>(impl_->running);
}

bool image_cache::wait_idle(std::chrono::milliseconds timeout) const {
  std::unique_lock lk(impl_->mu);
  return impl_->idle_cv.wait_for(lk, timeout, [&] { return impl_->queue.empty() && impl_->running == 0; });
}

}  // namespace kh::kiosk
