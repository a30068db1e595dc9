// frame_decoder: ZXing-C++ 1.4 passes within a per-frame budget, and dedupe_filter.
#include <kh/hardware/scanner/scanner.hpp>

#include "edge_reader.hpp"
#include "qr_repair.hpp"

#include <ZXing/ReadBarcode.h>

#include <algorithm>
#include <cmath>
#include <cstdlib>
#include <iterator>
#include <optional>

namespace kh::hardware {
namespace {

using clock_type = std::chrono::steady_clock;

ZXing::BarcodeFormats zxing_formats(const format_set& f) {
  ZXing::BarcodeFormats out;
  if (f.qr) out |= ZXing::BarcodeFormat::QRCode;
  if (f.ean13) out |= ZXing::BarcodeFormat::EAN13;
  if (f.upca) out |= ZXing::BarcodeFormat::UPCA;
  if (f.code128) out |= ZXing::BarcodeFormat::Code128;
  return out;
}

std::optional<code_format> from_zxing(ZXing::BarcodeFormat f) {
  switch (f) {
    case ZXing::BarcodeFormat::QRCode: return code_format::qr;
    case ZXing::BarcodeFormat::EAN13: return code_format::ean13;
    case ZXing::BarcodeFormat::UPCA: return code_format::upca;
    case ZXing::BarcodeFormat::Code128: return code_format::code128;
    default: return std::nullopt;
  }
}

// Appends codes not found yet (same format and text), up to max_codes.
void merge(std::vector<decoded_code>&& codes, std::vector<decoded_code>& out, int max_codes) {
  for (auto& c : codes) {
    if (static_cast<int>(out.size()) >= max_codes) return;
    const bool seen = std::any_of(out.begin(), out.end(), [&](const decoded_code& f) { return f.format == c.format && f.text == c.text; });
    if (!seen) out.push_back(std::move(c));
  }
}

// Appends ZXing's valid results, scaling positions back to full-frame pixels, skipping codes that an
// earlier pass already found.
void collect(const ZXing::Results& results, int scale, std::vector<decoded_code>& out, int max_codes) {
  for (const auto& r : results) {
    if (static_cast<int>(out.size()) >= max_codes) return;
    if (!r.isValid()) continue;
    const auto format = from_zxing(r.format());
    if (!format) continue;
    std::string text = r.text();
    const bool seen = std::any_of(out.begin(), out.end(), [&](const decoded_code& c) {
      return c.format == *format && c.text == text;
    });
    if (seen) continue;
    decoded_code code{*format, std::move(text), {}};
    const auto& pos = r.position();
    for (std::size_t i = 0; i < 4; ++i) code.corners[i] = {pos[i].x * scale, pos[i].y * scale};
    out.push_back(std::move(code));
  }
}

}  // namespace

std::string_view to_string(code_format f) noexcept {
  switch (f) {
    case code_format::qr: return "QRCode";
    case code_format::ean13: return "EAN-13";
    case code_format::upca: return "UPC-A";
    case code_format::code128: return "Code128";
  }
  return "?";
}

bool format_set::contains(code_format f) const noexcept {
  switch (f) {
    case code_format::qr: return qr;
    case code_format::ean13: return ean13;
    case code_format::upca: return upca;
    case code_format::code128: return code128;
  }
  return false;
}

frame_decoder::frame_decoder(decoder_options options) : options_(options) {
  options_.max_codes = std::clamp(options_.max_codes, 1, 255);
  // Each pass's cost as a multiple of the full-size fast pass's: medians on the 640×480 corpus
  // beside the kiosk's render thread (kiosk_shop_frame), in pass_id's order. A pass that scales
  // with the first starts from these (its recent worst a quarter above); a half-size pass's first
  // run is expected to cost this times the frame's first pass.
  constexpr std::array<float, static_cast<std::size_t>(pass_id::count_)> k_prior{
      1.0F, 1.3F, 0.9F, 2.3F, 0.9F, 4.8F, 0.5F, 1.1F, 0.9F, 0.5F, 2.6F};
  for (std::size_t i = 0; i < k_prior.size(); ++i) {
    auto& c = pass_costs_[i];
    c.prior = k_prior[i];
    if (scales_with_first(static_cast<pass_id>(i))) c = {k_prior[i], k_prior[i] * 1.25F, k_prior[i], true};
  }
}

bool frame_decoder::scales_with_first(pass_id id) noexcept { return id != pass_id::half && id != pass_id::inverted_half; }

std::vector<decoded_code> frame_decoder::decode(const luminance_view& frame) { return run(frame, false); }

std::vector<decoded_code> frame_decoder::decode_thoroughly(const luminance_view& frame) { return run(frame, true); }

// Writes a half-size, 2×2-averaged copy of `frame` (optionally inverted) into `out`. Averaging
// also halves the noise, which is why the half-size pass reads noisy and low-contrast frames the
// full-size pass misses.
luminance_view frame_decoder::half_size(const luminance_view& frame, bool invert, std::vector<std::uint8_t>& out) {
  const int w = frame.width() / 2, h = frame.height() / 2;
  out.resize(static_cast<std::size_t>(w) * static_cast<std::size_t>(h));
  const int flip = invert ? 255 : 0;
  for (int y = 0; y < h; ++y) {
    const std::uint8_t* r0 = frame.row(2 * y);
    const std::uint8_t* r1 = frame.row(2 * y + 1);
    std::uint8_t* o = out.data() + static_cast<std::size_t>(y) * static_cast<std::size_t>(w);
    for (int x = 0; x < w; ++x)
      o[x] = static_cast<std::uint8_t>(std::abs(flip - (r0[2 * x] + r0[2 * x + 1] + r1[2 * x] + r1[2 * x + 1] + 2) / 4));
  }
  return *luminance_view::make(out.data(), w, h);
}

namespace {

luminance_view inverted_copy(const luminance_view& frame, std::vector<std::uint8_t>& out) {
  const int w = frame.width(), h = frame.height();
  out.resize(static_cast<std::size_t>(w) * static_cast<std::size_t>(h));
  for (int y = 0; y < h; ++y) {
    const std::uint8_t* in = frame.row(y);
    std::uint8_t* o = out.data() + static_cast<std::size_t>(y) * static_cast<std::size_t>(w);
    for (int x = 0; x < w; ++x) o[x] = static_cast<std::uint8_t>(255 - in[x]);
  }
  return *luminance_view::make(out.data(), w, h);
}

// The frame at twice its size, bilinear with pixel centres aligned (weights 9:3:3:1 / 16). ZXing's
// QR detector needs about 3 px a module; this pass reads the small QR codes (2–3 px a module) of a
// ticket held far from the camera.
luminance_view doubled(const luminance_view& frame, std::vector<std::uint8_t>& out) {
  const int w = frame.width(), h = frame.height(), W = 2 * w;
  out.resize(static_cast<std::size_t>(W) * static_cast<std::size_t>(2 * h));
  for (int y = 0; y < h; ++y) {
    const std::uint8_t* r = frame.row(y);
    // Output rows 2y and 2y+1 lean towards the rows above and below.
    const std::uint8_t* up = frame.row(std::max(0, y - 1));
    const std::uint8_t* down = frame.row(std::min(h - 1, y + 1));
    for (int half = 0; half < 2; ++half) {
      const std::uint8_t* n = half == 0 ? up : down;
      std::uint8_t* o = out.data() + static_cast<std::size_t>(2 * y + half) * static_cast<std::size_t>(W);
      for (int x = 0; x < w; ++x) {
        const int xl = std::max(0, x - 1), xr = std::min(w - 1, x + 1);
        const int c = 3 * r[x] + n[x];  // vertical blend at x, weight 4
        const int left = 3 * r[xl] + n[xl], right = 3 * r[xr] + n[xr];
        o[2 * x] = static_cast<std::uint8_t>((3 * c + left + 8) / 16);
        o[2 * x + 1] = static_cast<std::uint8_t>((3 * c + right + 8) / 16);
      }
    }
  }
  return *luminance_view::make(out.data(), W, 2 * h);
}

// The frame with its contrast doubled around the mean grey level. ZXing's local binarizer treats
// blocks whose grey range is under 24 levels as flat; this pass lifts faint (low-contrast or
// blurred) codes above that.
luminance_view contrast_boosted(const luminance_view& frame, std::vector<std::uint8_t>& out) {
  const int w = frame.width(), h = frame.height();
  std::uint64_t sum = 0;
  for (int y = 0; y < h; ++y)
    for (int x = 0; x < w; ++x) sum += frame.row(y)[x];
  const int mean = static_cast<int>(sum / (static_cast<std::uint64_t>(w) * static_cast<std::uint64_t>(h)));
  std::array<std::uint8_t, 256> lut{};
  for (int v = 0; v < 256; ++v) lut[static_cast<std::size_t>(v)] = static_cast<std::uint8_t>(std::clamp(2 * v - mean, 0, 255));
  out.resize(static_cast<std::size_t>(w) * static_cast<std::size_t>(h));
  for (int y = 0; y < h; ++y) {
    const std::uint8_t* in = frame.row(y);
    std::uint8_t* o = out.data() + static_cast<std::size_t>(y) * static_cast<std::size_t>(w);
    for (int x = 0; x < w; ++x) o[x] = lut[in[x]];
  }
  return *luminance_view::make(out.data(), w, h);
}

// The frame turned by 45° (nearest neighbour) into a square of side (w + h) / √2. ZXing reads
// linear codes along rows and, with tryRotate, columns: 0° and 90°. A linear code tilted by about
// 45° crosses neither far enough; in this copy it lies near 0° or 90°.
constexpr double k_cos45 = 0.70710678118654752;

luminance_view rotated_45(const luminance_view& frame, std::vector<std::uint8_t>& out) {
  const int w = frame.width(), h = frame.height();
  const int side = static_cast<int>((w + h) * k_cos45) + 2;
  out.assign(static_cast<std::size_t>(side) * static_cast<std::size_t>(side), 128);
  // Fixed point (16.16) stepping along each output row.
  constexpr int k_one = 1 << 16;
  const auto step = static_cast<std::int64_t>(k_cos45 * k_one);
  for (int y = 0; y < side; ++y) {
    const double dy = y - side / 2.0, dx0 = -side / 2.0;
    auto sx = static_cast<std::int64_t>((k_cos45 * (dx0 - dy) + w / 2.0) * k_one);
    auto sy = static_cast<std::int64_t>((k_cos45 * (dx0 + dy) + h / 2.0) * k_one);
    std::uint8_t* o = out.data() + static_cast<std::size_t>(y) * static_cast<std::size_t>(side);
    for (int x = 0; x < side; ++x, sx += step, sy += step) {
      const auto ix = static_cast<int>(sx >> 16), iy = static_cast<int>(sy >> 16);
      if (sx >= 0 && sy >= 0 && ix < w && iy < h) o[x] = frame.row(iy)[ix];
    }
  }
  return *luminance_view::make(out.data(), side, side);
}

// Back from rotated_45 coordinates to the frame's.
pixel_point unrotate_45(pixel_point p, int side, int w, int h) {
  const double dx = p.x - side / 2.0, dy = p.y - side / 2.0;
  return {static_cast<int>(std::lround(k_cos45 * (dx - dy) + w / 2.0)),
          static_cast<int>(std::lround(k_cos45 * (dx + dy) + h / 2.0))};
}

// In frame_decoder::pass_id's order (checked in run()).
constexpr const char* k_pass_names[] = {"full", "edges", "half", "contrast", "global", "doubled",
                                        "repaired", "inverted", "inverted_half", "rotated", "harder"};

}  // namespace

std::vector<decoded_code> frame_decoder::run(const luminance_view& frame, bool thorough) {
  static_assert(std::size(k_pass_names) == static_cast<std::size_t>(pass_id::count_));
  const auto start = clock_type::now();
  report_ = {};
  std::vector<decoded_code> found;
  const ZXing::BarcodeFormats formats = zxing_formats(options_.formats);
  if (formats.empty()) return found;

  const auto hints = ZXing::DecodeHints()
                         .setFormats(formats)
                         .setTryRotate(options_.try_rotate)
                         // Debian's ZXing 1.4 is built with assertions, and its pyramid (downscale)
                         // merge asserts on linear codes seen on several layers
                         // (Result::operator==, lineCount() == 1): the process aborts. So ZXing never
                         // downscales; the half-size passes below do it themselves.
                         .setTryDownscale(false)
                         .setTryHarder(false)
                         .setMaxNumberOfSymbols(static_cast<std::uint8_t>(options_.max_codes));
  const auto harder = ZXing::DecodeHints(hints).setTryHarder(true);
  // One threshold for the whole frame instead of ZXing's local averages: a QR code with a grey patch
  // over it (a thumb, a sticker, glare) is read where the local binarizer turns the patch into a
  // finder-pattern-breaking mess.
  const auto global_hints = ZXing::DecodeHints(hints).setBinarizer(ZXing::Binarizer::GlobalHistogram);
  // At half size, narrow bars of a linear code fall below a pixel and ZXing occasionally read a
  // wrong but checksum-valid EAN/UPC from 3–4 scan lines (seen on the blurred corpus). A real code
  // agrees on many more lines, so the half-size passes demand more of them.
  const auto half_hints = ZXing::DecodeHints(harder).setMinLineCount(6);
  const bool can_halve = frame.width() >= 160 && frame.height() >= 120;
  auto elapsed = [&] { return std::chrono::duration_cast<std::chrono::microseconds>(clock_type::now() - start); };

  // Live frames: the first pass's time, in full-size-pass terms (a half-size first pass reads a
  // quarter of the pixels), the unit the other passes' expected costs are measured in.
  std::chrono::microseconds unit{0};
  pass_id first = pass_id::full;

  auto run_pass = [&](pass_id id) {
    const auto t0 = clock_type::now();
    switch (id) {
      case pass_id::full: collect(ZXing::ReadBarcodes(frame, hints), 1, found, options_.max_codes); break;
      case pass_id::half:
        collect(ZXing::ReadBarcodes(half_size(frame, false, scratch_), half_hints), 2, found, options_.max_codes);
        break;
      case pass_id::doubled: {
        std::vector<decoded_code> codes;
        collect(ZXing::ReadBarcodes(doubled(frame, scratch_), ZXing::DecodeHints(hints).setFormats(ZXing::BarcodeFormat::QRCode)),
                1, codes, options_.max_codes);
        for (auto& c : codes)
          for (auto& p : c.corners) p = {p.x / 2, p.y / 2};
        merge(std::move(codes), found, options_.max_codes);
        break;
      }
      case pass_id::repaired: {
        // Each candidate is a ZXing read of its own; a live frame stops trying them when another
        // like the slowest so far would overrun (a cluttered frame has a dozen).
        std::chrono::microseconds slowest{0};
        for (const auto& region : detail::repair_qr_candidates(frame)) {
          if (!thorough && elapsed() + slowest + options_.budget / 8 > options_.budget) break;
          const auto r0 = clock_type::now();
          std::vector<decoded_code> codes;
          const auto view = luminance_view::make(region.pixels.data(), region.width, region.height);
          collect(ZXing::ReadBarcodes(*view, ZXing::DecodeHints(hints).setFormats(ZXing::BarcodeFormat::QRCode)), 1, codes,
                  options_.max_codes);
          for (auto& c : codes)
            for (auto& p : c.corners) p = {p.x + region.left, p.y + region.top};
          const bool read = !codes.empty();
          merge(std::move(codes), found, options_.max_codes);
          if (read) break;
          slowest = std::max(slowest, std::chrono::duration_cast<std::chrono::microseconds>(clock_type::now() - r0));
        }
        break;
      }
      case pass_id::global:
        collect(ZXing::ReadBarcodes(frame, global_hints), 1, found, options_.max_codes);
        break;
      case pass_id::contrast:
        collect(ZXing::ReadBarcodes(contrast_boosted(frame, scratch_), hints), 1, found, options_.max_codes);
        break;
      case pass_id::inverted:
        collect(ZXing::ReadBarcodes(inverted_copy(frame, scratch_), hints), 1, found, options_.max_codes);
        break;
      case pass_id::inverted_half:
        collect(ZXing::ReadBarcodes(half_size(frame, true, scratch_), half_hints), 2, found, options_.max_codes);
        break;
      case pass_id::rotated: {
        const luminance_view turned = rotated_45(frame, scratch_);
        format_set linear_only = options_.formats;
        linear_only.qr = false;
        std::vector<decoded_code> codes;
        collect(ZXing::ReadBarcodes(turned, ZXing::DecodeHints(hints).setFormats(zxing_formats(linear_only))), 1, codes,
                options_.max_codes);
        for (auto& c : codes)
          for (auto& p : c.corners) p = unrotate_45(p, turned.width(), frame.width(), frame.height());
        merge(std::move(codes), found, options_.max_codes);
        break;
      }
      case pass_id::edges: {
        detail::edge_reader_options edge_options;
        edge_options.formats = options_.formats;
        edge_options.turned = options_.try_rotate;
        edge_options.inverted = options_.try_invert;
        edge_options.max_codes = options_.max_codes;
        merge(detail::read_linear_by_edges(frame, edge_options), found, options_.max_codes);
        break;
      }
      case pass_id::harder: collect(ZXing::ReadBarcodes(frame, harder), 1, found, options_.max_codes); break;
      case pass_id::count_: break;
    }
    ++report_.passes;
    if (*report_.overran_in == '\0' && elapsed() > options_.budget) report_.overran_in = k_pass_names[static_cast<std::size_t>(id)];
    // Learn the pass's cost (see fits()).
    if (unit.count() > 0 && id != first && !report_.downscaled) {
      const auto took = std::chrono::duration_cast<std::chrono::microseconds>(clock_type::now() - t0);
      const float r = static_cast<float>(took.count()) / (scales_with_first(id) ? static_cast<float>(unit.count()) : 1.0F);
      auto& c = pass_costs_[static_cast<std::size_t>(id)];
      c.average = c.learnt ? (c.average * 3 + r) / 4 : r;
      c.peak = c.learnt ? std::max(r, c.peak * 7 / 8) : r;
      c.learnt = true;
    }
  };
  // A pass starts when its expected cost, plus 1/8 of the budget as margin for the scheduler (on 2
  // cores the render thread and the camera share them), fits in what is left. A pass that reads
  // the full-size frame (or a larger copy, or its pixels turned) costs what this frame's first pass
  // did times that pass's recent worst ratio to it: its cost varies with the frame's content
  // (edges, noise, finder-like clutter) and with the machine's load, and the first pass of the same
  // frame at the same moment shows both. (An estimate in microseconds learnt on earlier frames let
  // every dense frame's "try harder" overrun, and had to decay on skipped passes, which then
  // overran when it had decayed far enough.) A half-size pass does not follow the full one: noise
  // that makes the full pass slow is averaged out at half size. Its estimate is its recent worst in
  // microseconds.
  auto fits = [&](pass_id id) {
    const auto& c = pass_costs_[static_cast<std::size_t>(id)];
    const float worst = std::max(c.average, c.peak);
    const float expected = scales_with_first(id) ? static_cast<float>(unit.count()) * worst
                           : c.learnt             ? worst
                                                  : static_cast<float>(unit.count()) * c.prior;
    return elapsed() + std::chrono::microseconds(static_cast<std::int64_t>(expected)) + options_.budget / 8 <= options_.budget;
  };
  // A skipped pass's worst decays towards its average, or one slow run (a preemption) would bar it
  // for good; the average stays, so a pass too dear for this machine stays skipped.
  auto skip = [&](pass_id id) {
    auto& c = pass_costs_[static_cast<std::size_t>(id)];
    c.peak = std::max(c.average, c.peak * 7 / 8);
  };

  // The recovery passes, most rewarding first (half size reads noisy, faint and blurred frames;
  // inverted, QR on dark-mode phone screens); each exists only when it can apply.
  std::vector<pass_id> recovery;
  if (can_halve) recovery.push_back(pass_id::half);
  if (options_.try_invert) recovery.push_back(pass_id::inverted);
  recovery.push_back(pass_id::contrast);
  recovery.push_back(pass_id::global);
  // Doubling pays for small frames only: at 1280×720 codes are bigger and the pass costs 4×.
  if (options_.formats.qr && static_cast<long>(frame.width()) * frame.height() <= 640L * 480L) recovery.push_back(pass_id::doubled);
  if (options_.formats.qr) recovery.push_back(pass_id::repaired);
  if (options_.try_rotate && options_.formats.any_linear()) recovery.push_back(pass_id::rotated);
  if (thorough && options_.try_invert && can_halve) recovery.push_back(pass_id::inverted_half);
  recovery.push_back(pass_id::harder);  // about ten times the fast pass: live frames rarely afford it

  // Linear codes by edges: a few ms, reads the small, blurred, turned and inverted EAN/UPC and
  // Code 128 that ZXing's binarizer loses, and other such codes of a frame where something was read.
  const bool edge_pass = options_.formats.any_linear();

  if (thorough) {
    run_pass(pass_id::full);
    if (edge_pass && static_cast<int>(found.size()) < options_.max_codes) run_pass(pass_id::edges);
    for (pass_id id : recovery)
      if (static_cast<int>(found.size()) < options_.max_codes) run_pass(id);
    report_.elapsed = elapsed();
    report_.over_budget = report_.elapsed > options_.budget;
    return found;
  }

  // Live: after frames whose first pass alone ran over budget (slow CPU, huge frames), start from
  // the half-size frame (a quarter of the pixels) instead; and after a frame where nothing was read
  // and the full-size pass left no room for any other (a noisy 1280×720 frame: ZXing's fast pass
  // takes 5 ms of the 8), the next one starts at half size, which averages the noise out. A code
  // held in view then meets both. (A half-size first pass is counted as 4 full-size units, so the
  // full-size passes do not follow it in the same frame.)
  const bool downscale_first = (over_budget_streak_ >= 2 || half_first_next_) && can_halve;
  report_.downscaled = downscale_first;
  first = downscale_first ? pass_id::half : pass_id::full;
  run_pass(first);
  const auto first_pass_time = elapsed();
  unit = std::max(std::chrono::microseconds(1), downscale_first ? first_pass_time * 4 : first_pass_time);
  if (edge_pass && static_cast<int>(found.size()) < options_.max_codes) {
    if (fits(pass_id::edges)) run_pass(pass_id::edges);
    else skip(pass_id::edges);
  }
  // Then recovery passes while nothing was read and the next pass's measured cost still fits the
  // budget (after a read: see below). Where the budget affords only some, the next frame starts
  // after the last pass this one ran: a code held in view for a few frames meets every pass, and no
  // frame pays for all of them. (Not at the first pass refused: "try harder" rarely fits, and
  // starting there every frame would stall the rotation on the passes just after it.)
  const std::size_t n = recovery.size();
  std::optional<std::size_t> last_ran;
  for (std::size_t k = 0; k < n && static_cast<int>(found.size()) < options_.max_codes; ++k) {
    const std::size_t at = (next_recovery_ + k) % n;
    const pass_id id = recovery[at];
    if (downscale_first && id == pass_id::half) continue;
    // Once something was read, only "try harder" is still worth its time: it finds the other codes
    // of a frame holding several (its denser scan lines catch short linear codes the fast pass
    // stepped over).
    if (!found.empty() && id != pass_id::harder) continue;
    if (!fits(id)) {
      skip(id);
      continue;
    }
    run_pass(id);
    last_ran = at;
  }
  half_first_next_ = !downscale_first && found.empty() && !last_ran;
  if (last_ran) next_recovery_ = (*last_ran + 1) % n;
  else if (found.empty() && n > 0) next_recovery_ = (next_recovery_ + 1) % n;  // none fitted: move on
  report_.elapsed = elapsed();
  report_.over_budget = report_.elapsed > options_.budget;
  over_budget_streak_ = first_pass_time > options_.budget ? over_budget_streak_ + 1 : 0;
  return found;
}

dedupe_filter::dedupe_filter(std::chrono::milliseconds window, std::size_t max_tracked)
    : window_(window), max_tracked_(std::max<std::size_t>(1, max_tracked)) {}

bool dedupe_filter::admit(code_format format, std::string_view text, std::chrono::steady_clock::time_point seen) {
  if (window_.count() <= 0) return true;
  // Forget codes not seen for a whole window: they would be reported again anyway.
  std::erase_if(entries_, [&](const entry& e) { return seen - e.last_seen >= window_; });
  for (auto& e : entries_) {
    if (e.format == format && e.text == text) {
      const bool report = seen < e.last_seen ? false : seen - e.last_seen >= window_;
      e.last_seen = std::max(e.last_seen, seen);
      return report;
    }
  }
  if (entries_.size() >= max_tracked_) entries_.pop_front();
  entries_.push_back({format, std::string(text), seen});
  return true;
}

}  // namespace kh::hardware
