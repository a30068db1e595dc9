#pragma once
// Frames → ZXing-C++ → scan events, decoded on a worker thread with a per-frame budget.
#include <kh/hardware/camera/camera.hpp>
#include <kh/hardware/frame.hpp>

#include <array>
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <deque>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace kh::hardware {

/// The symbologies the scanner reads.
enum class code_format {
  qr,       ///< QR Code (model 2)
  ean13,    ///< EAN-13
  upca,     ///< UPC-A (an EAN-13 starting with 0 is reported as UPC-A when both are enabled)
  code128,  ///< Code 128
};

/// "QRCode", "EAN-13", "UPC-A", "Code128".
std::string_view to_string(code_format f) noexcept;

/// Which symbologies to look for; fewer is faster (default: all four).
struct format_set {
  bool qr = true;
  bool ean13 = true;
  bool upca = true;
  bool code128 = true;
  [[nodiscard]] bool contains(code_format f) const noexcept;
  [[nodiscard]] bool any_linear() const noexcept { return ean13 || upca || code128; }
};

struct pixel_point {
  int x = 0;
  int y = 0;
  friend bool operator==(const pixel_point&, const pixel_point&) = default;
};

/// A code found in one frame. Corners are in frame pixels: top-left, top-right, bottom-right,
/// bottom-left of the symbol as printed (so they rotate with it). For linear codes the four points
/// are the two ends of the scan line that read it.
struct decoded_code {
  code_format format = code_format::qr;
  std::string text;  ///< UTF-8
  std::array<pixel_point, 4> corners{};
};

/// Settings for decoding one frame.
struct decoder_options {
  /// Symbologies (default: QR, EAN-13, UPC-A, Code128).
  format_set formats{};
  /// Also read linear codes turned by 90°/270° (default: true). QR is read at any angle regardless.
  bool try_rotate = true;
  /// Also read light-on-dark (inverted) codes (default: true). ZXing 1.4 has no such option, so the
  /// decoder inverts the frame itself as a later pass.
  bool try_invert = true;
  /// Time a frame may take (default: 8 ms). A live frame is read in passes: full size (ZXing,
  /// fast), then linear codes by edges (our own line reader: sub-pixel edges decoded by similar-edge
  /// distances on lines at 0°, 45°, 90° and 135°, so small, blurred, turned and inverted EAN/UPC and
  /// Code 128 read in a few ms), then recovery passes — half size (noise averaged out), contrast
  /// doubled, one global threshold (codes partly under a grey patch), double size (small QR codes;
  /// frames up to 640×480), QR repair (a QR with a finder pattern under a cover: the finder is
  /// painted back where the others say it must be), inverted, turned by 45°, full size "try
  /// harder". The first pass always runs; the edge pass whenever its expected cost fits (a
  /// full-size pass's cost is its recent worst ratio to the same frame's first pass times that
  /// pass's time, a half-size pass's its recent worst in microseconds, plus 1/8 of the budget as
  /// margin); a recovery pass only when nothing was read yet (after a read, only "try harder",
  /// which finds the other codes of a frame holding several) and its expected cost still fits in
  /// what is left of the budget, and the recovery pass tried first rotates from frame to frame, so
  /// a code held in view for a few frames meets every pass. When the first pass alone overruns on
  /// consecutive frames, frames start at half size instead, and so does the frame after one that
  /// read nothing and had room for no other pass. A busy frame thus costs about one fast pass and
  /// never queues up work.
  std::chrono::microseconds budget{8000};
  /// Most codes reported from one frame (default: 4).
  int max_codes = 4;
};

/// What the last decode() did (for benchmarks, tuning and tests).
struct decode_report {
  int passes = 0;                         ///< ZXing passes run
  bool downscaled = false;                ///< first pass ran at half resolution
  bool over_budget = false;               ///< the frame took longer than the budget
  std::chrono::microseconds elapsed{0};  ///< wall time of decode()
  /// The pass during which the budget ran out ("" when it did not): "full", "edges", "half", …
  const char* overran_in = "";
};

/// Decodes single frames: synchronous, one thread at a time, reusable (keeps its scratch buffers).
class frame_decoder {
 public:
  explicit frame_decoder(decoder_options options = {});

  /// Decodes one camera frame within the budget (see decoder_options::budget).
  [[nodiscard]] std::vector<decoded_code> decode(const luminance_view& frame);
  /// Decodes a still image with every pass regardless of the budget (files, kioskctl scan).
  [[nodiscard]] std::vector<decoded_code> decode_thoroughly(const luminance_view& frame);

  [[nodiscard]] const decode_report& last_report() const noexcept { return report_; }
  [[nodiscard]] const decoder_options& options() const noexcept { return options_; }

 private:
  enum class pass_id { full, edges, half, contrast, global, doubled, repaired, inverted, inverted_half, rotated, harder, count_ };
  std::vector<decoded_code> run(const luminance_view& frame, bool thorough);
  static luminance_view half_size(const luminance_view& frame, bool invert, std::vector<std::uint8_t>& out);

  decoder_options options_;
  decode_report report_;
  std::vector<std::uint8_t> scratch_;  // inverted / downscaled copies of the frame
  int over_budget_streak_ = 0;         // frames whose first pass alone overran: start them downscaled
  bool half_first_next_ = false;       // the last frame read nothing and had room for no other pass
  // What each live pass is expected to cost (see run()): a multiple of the same frame's first pass
  // for passes that scale with it, microseconds for the half-size ones. A moving average and the
  // recent worst (decaying by 1/8 a run); `prior` is the multiple on the scanner corpus.
  struct pass_cost {
    float average = 0;
    float peak = 0;
    float prior = 1;
    bool learnt = false;
  };
  static bool scales_with_first(pass_id id) noexcept;
  std::array<pass_cost, static_cast<std::size_t>(pass_id::count_)> pass_costs_;
  std::size_t next_recovery_ = 0;  // live frames: which recovery pass goes first this time
};

/// "Report once": a code seen again within `window` of its last sighting is suppressed; a code held
/// in view stays suppressed, and is reported again once it has been out of view for `window`.
/// Times are the frames' capture times, so replays and tests behave like live capture.
class dedupe_filter {
 public:
  /// `window` 0 reports every sighting.
  explicit dedupe_filter(std::chrono::milliseconds window = std::chrono::milliseconds{2000},
                         std::size_t max_tracked = 256);
  /// True when the code should be reported now; records the sighting either way.
  bool admit(code_format format, std::string_view text, std::chrono::steady_clock::time_point seen);

 private:
  struct entry {
    code_format format;
    std::string text;
    std::chrono::steady_clock::time_point last_seen;
  };
  std::chrono::milliseconds window_;
  std::size_t max_tracked_;
  std::deque<entry> entries_;  // few codes are ever in view at once: a linear scan is fastest
};

/// A code reported by the scanner.
struct scan_event {
  code_format format = code_format::qr;
  std::string text;
  std::array<pixel_point, 4> corners{};
  /// Capture time of the frame it was read in.
  std::chrono::steady_clock::time_point timestamp{};
  /// That frame's camera sequence number.
  std::uint64_t frame_sequence = 0;
};

/// Settings for the scanner.
struct scanner_options {
  decoder_options decoder{};
  /// Same code within this time reported once (default: 2 s; 0 disables deduplication).
  std::chrono::milliseconds dedupe_window{2000};
  /// Events kept for poll() when no callback is set (default: 32); when full the oldest is dropped
  /// and counted.
  std::size_t queue_capacity = 32;
};

/// Counters since construction.
struct scanner_stats {
  std::uint64_t frames_submitted = 0;
  std::uint64_t frames_decoded = 0;
  std::uint64_t frames_dropped = 0;      ///< replaced in the mailbox before the worker took them
  std::uint64_t frames_over_budget = 0;  ///< decoded, but slower than the budget
  std::uint64_t codes_read = 0;          ///< every code in every frame, duplicates included
  std::uint64_t events = 0;              ///< reported (after deduplication)
  std::uint64_t events_suppressed = 0;   ///< suppressed as duplicates
  std::uint64_t events_overflowed = 0;   ///< dropped because the poll queue was full
};

/// Decodes frames on its own worker thread. submit() copies the frame into a single-slot mailbox and
/// returns at once: when decoding falls behind, the newest frame replaces the waiting one (counted
/// in frames_dropped), so the caller (the UI or capture thread) never waits for the decoder.
/// Events go to the callback (called on the worker thread; exceptions it throws are caught and
/// dropped) or, without one, into a bounded queue read with poll(). All members are thread-safe.
class scanner {
 public:
  using callback = std::function<void(const scan_event&)>;

  explicit scanner(scanner_options options = {}, callback on_event = {});
  ~scanner();
  scanner(const scanner&) = delete;
  scanner& operator=(const scanner&) = delete;

  /// Queues a frame for decoding (copies its pixels). Ignored after stop().
  void submit(const luminance_view& frame, std::chrono::steady_clock::time_point timestamp,
              std::uint64_t sequence = 0);
  /// Queues a camera frame (ignored when it has no image).
  void submit(const camera_frame& frame);

  /// The oldest queued event, if any (only used when no callback was given).
  [[nodiscard]] std::optional<scan_event> poll();
  /// Waits until every submitted frame has been decoded or dropped and its events delivered.
  /// False when `timeout` passed first.
  bool wait_idle(std::chrono::milliseconds timeout);
  [[nodiscard]] scanner_stats stats() const;
  /// Stops the worker (a frame being decoded is finished first). Idempotent; the destructor calls it.
  void stop();

 private:
  struct state;
  std::unique_ptr<state> state_;
};

}  // namespace kh::hardware
