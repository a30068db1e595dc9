#pragma once
// A deterministic scanner corpus: codes generated with ZXing's writer, placed in camera-like frames
// with the image transforms below. Shared by the scanner tests and tests/bench/scan.
#include <kh/hardware/frame.hpp>
#include <kh/hardware/scanner/scanner.hpp>

#include <array>
#include <cstdint>
#include <random>
#include <string>
#include <string_view>
#include <vector>

namespace kh::scan_corpus {

using kh::hardware::code_format;
using kh::hardware::luminance_image;

/// The conditions of the corpus; each sample is made under one of them.
enum class condition {
  clean,         ///< 3–5 px modules, near upright, slight camera softness and noise
  scaled,        ///< module size from about 1.5 px up to what fits the frame
  rotated,       ///< any angle in [0°, 360°)
  perspective,   ///< the code plane tilted 20–50° away from the camera
  blurred,       ///< gaussian blur, sigma 0.3–0.55 of a module
  noisy,         ///< gaussian noise, sigma 18–32 grey levels
  low_contrast,  ///< 25–50 grey levels between dark and light modules
  inverted,      ///< light modules on a dark ground
  covered,       ///< a part of the code hidden (QR: a patch; linear: a band over the bars)
  multiple,      ///< three codes in one frame
  no_code,       ///< clutter only: anything read is a false positive
};
inline constexpr std::array k_all_conditions{
    condition::clean,   condition::scaled,       condition::rotated,  condition::perspective,
    condition::blurred, condition::noisy,        condition::low_contrast, condition::inverted,
    condition::covered, condition::multiple,     condition::no_code};

std::string_view to_string(condition c) noexcept;

struct expected_code {
  code_format format;
  std::string text;
};

struct sample {
  condition cond;
  int index = 0;
  luminance_image image;
  std::vector<expected_code> codes;  ///< what a perfect reader finds (empty for no_code)
  std::string name() const;          ///< e.g. "rotated-640x480-07"
};

/// Makes sample `index` of a condition at the given frame size. Deterministic: the same arguments
/// give the same pixels on every run and machine (own RNG transforms, no std distributions).
sample make_sample(condition cond, int width, int height, int index, std::uint32_t seed = 20261122);

/// `per_condition` samples of every condition in `conditions`.
std::vector<sample> make_corpus(int width, int height, int per_condition,
                                const std::vector<condition>& conditions = {k_all_conditions.begin(),
                                                                            k_all_conditions.end()},
                                std::uint32_t seed = 20261122);

/// Whether a read (format, text) is the expected code. EAN-13 with a leading 0 and UPC-A are the
/// same code (readers may report either).
bool matches(const expected_code& want, code_format got_format, std::string_view got_text);

/// How many of the expected codes appear among the reads (each read counts once).
struct read_result {
  code_format format;
  std::string text;
};
int count_found(const sample& s, const std::vector<read_result>& reads);
/// Reads that match no expected code (false positives).
int count_unexpected(const sample& s, const std::vector<read_result>& reads);

// ---- image transforms (exposed for their own tests) ----

/// A small deterministic RNG: splitmix64, same sequence everywhere.
class rng {
 public:
  explicit rng(std::uint64_t seed) : state_(seed) {}
  std::uint64_t next();
  double uniform(double lo, double hi);  ///< [lo, hi)
  int uniform_int(int lo, int hi);       ///< [lo, hi]
  double gaussian();                     ///< mean 0, sigma 1 (Box–Muller)

 private:
  std::uint64_t state_;
};

struct point_f {
  double x = 0;
  double y = 0;
};
/// Corners of a quadrilateral: top-left, top-right, bottom-right, bottom-left.
using quad = std::array<point_f, 4>;

/// Draws `src` into `dst` so that src's corners land on `where` (a projective warp), sampling src
/// bilinearly with supersampling where src is shrunk. Pixels outside the quad are left alone.
void warp_onto(const luminance_image& src, const quad& where, luminance_image& dst);
/// Draws `src` into `dst` centred at (cx, cy) and turned by `degrees` (clockwise on screen).
void draw_turned(const luminance_image& src, double cx, double cy, double degrees, luminance_image& dst);
/// Separable gaussian blur in place (edges clamped). sigma <= 0 does nothing.
void gaussian_blur(luminance_image& img, double sigma);
/// Adds gaussian noise of the given sigma (grey levels), clamped to [0, 255].
void add_noise(luminance_image& img, double sigma, rng& r);

/// The code's modules drawn `px_per_module` pixels each, with its quiet zone, dark modules `dark`
/// and light `light`. Exposed so tests can check the writer round trip.
luminance_image render_code(code_format format, const std::string& text, int px_per_module,
                            std::uint8_t dark = 0, std::uint8_t light = 255);

}  // namespace kh::scan_corpus
