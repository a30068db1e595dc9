#pragma once
// Product pictures for the kiosk screens: fetched with libcurl on the cache's own worker thread
// (never on the render thread), kept on disk in a bounded directory (least recently used files
// go first), revalidated with the hub's ETag once per run, and announced with a "ready"
// callback so the UI can swap its placeholder for the picture.
//
// Usage from the UI:
//   image_cache cache({.dir = data_dir / "images"}, [&](const image_ready& r) { post_to_ui(r); });
//   if (auto file = cache.get(product.image_url)) draw(*file); else draw_placeholder();
//   cache.prefetch(all image urls of the catalog);   // after every new catalog
// Loading the file (SDL2_image) is the UI's job, off the render thread as well.

#include <chrono>
#include <cstddef>
#include <filesystem>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <vector>

namespace kh::kiosk {

struct image_cache_options {
  std::filesystem::path dir;                     ///< created when missing (e.g. DATA/images)
  std::size_t max_bytes = 64 * 1024 * 1024;      ///< disk budget of the cache (default 64 MiB)
  std::size_t max_image_bytes = 4 * 1024 * 1024;  ///< larger downloads are refused (default 4 MiB)
  std::chrono::milliseconds timeout{10'000};     ///< per request, connect included (default 10 s)
  std::size_t max_queue = 512;                   ///< fetches waiting; more are dropped (default 512)
  /// After a failed fetch, the URL is not tried again for this long (default 30 s).
  std::chrono::milliseconds retry_after{30'000};
};

/// A picture is on disk (first fetch, or a changed picture after revalidation).
struct image_ready {
  std::string url;
  std::filesystem::path file;
};

/// A fetch failed (HTTP error, timeout, too large, not http/https). The placeholder stays.
struct image_failed {
  std::string url;
  std::string reason;
};

class image_cache {
 public:
  using ready_fn = std::function<void(const image_ready&)>;
  using failed_fn = std::function<void(const image_failed&)>;

  /// Scans `opts.dir` (files kept from earlier runs count against the budget) and starts the
  /// worker. Callbacks run on the worker thread: they must be quick (post to the UI) and must not
  /// call back into the cache's blocking members. Throws std::filesystem::filesystem_error when the
  /// directory cannot be created.
  image_cache(image_cache_options opts, ready_fn on_ready, failed_fn on_failed = {});
  ~image_cache();  ///< stops the worker (an in-flight request ends within opts.timeout)
  image_cache(const image_cache&) = delete;
  image_cache& operator=(const image_cache&) = delete;

  /// Never blocks on the network. The file when the picture is on disk (marking it recently
  /// used; the first hit in a run also queues a revalidation), else nullopt and a fetch is queued
  /// (once; `ready` follows). Empty or non-http(s) URLs give nullopt and nothing is queued.
  std::optional<std::filesystem::path> get(const std::string& url);

  /// Queues fetches of every URL not yet on disk (a new catalog came).
  void prefetch(const std::vector<std::string>& urls);

  /// Bytes of pictures on disk now.
  std::size_t bytes_on_disk() const;
  /// Fetches waiting or running.
  std::size_t queued() const;
  /// Blocks until nothing is queued or `timeout` passes (tests, shutdown); true when idle.
  bool wait_idle(std::chrono::milliseconds timeout) const;

  /// The file name a URL is stored under (stable across runs).
  static std::string file_name_for(const std::string& url);

 private:
  struct impl;
  std::unique_ptr<impl> impl_;
};

}  // namespace kh::kiosk
