// Fuzz target for the ESC/POS renderer's parser (kh::hardware::printer::render_escpos).
//
// With clang and -DKH_FUZZ=ON this file is linked with libFuzzer. Under any compiler it is also
// built with KH_FUZZ_REPLAY into a plain program that runs the entry point over the checked-in
// corpus plus deterministic mutations of it, so ctest exercises the same code path in every build.
#include <cstdint>
#include <cstdlib>
#include <cstdio>
#include <span>

#include "kh/hardware/printer/render.hpp"

namespace hp = kh::hardware::printer;

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  // The first byte picks the paper so both widths are explored; the whole input is rendered.
  const auto profile = (size > 0 && (data[0] & 1)) ? hp::printer_profile::mm58() : hp::printer_profile::mm80();
  hp::render_options opt;
  opt.max_height = 4000;  // keep each run cheap; the bound itself is part of what is tested
  const auto r = hp::render_escpos(std::span<const std::uint8_t>(data, size), profile, opt);
  // Invariants: the page is the paper's width, never longer than the bound, pixels match size.
  if (r.image.width != profile.dot_width || r.image.height < 1 || r.image.height > opt.max_height ||
      r.image.pixels.size() != static_cast<std::size_t>(r.image.width) * r.image.height ||
      r.warnings.size() > opt.max_warnings + 1)
    std::abort();
  return 0;
}

#ifdef KH_FUZZ_REPLAY
#include <algorithm>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <vector>

// Replay: each argument is a file or a directory of files. For each input, also run a fixed number
// of seeded mutations (byte flips, truncations, splices) so GCC builds get some fuzzing too.
int main(int argc, char** argv) {
  std::vector<std::filesystem::path> files;
  for (int i = 1; i < argc; ++i) {
    const std::filesystem::path p(argv[i]);
    if (std::filesystem::is_directory(p)) {
      for (const auto& e : std::filesystem::directory_iterator(p))
        if (e.is_regular_file()) files.push_back(e.path());
    } else {
      files.push_back(p);
    }
  }
  std::sort(files.begin(), files.end());
  if (files.empty()) {
    std::fprintf(stderr, "usage: %s CORPUS_DIR|FILE...\n", argv[0]);
    return 2;
  }
  std::uint32_t seed = 0x9E3779B9u;
  const auto rnd = [&seed] {
    seed ^= seed << 13;
    seed ^= seed >> 17;
    seed ^= seed << 5;
    return seed;
  };
  std::size_t runs = 0;
  for (const auto& f : files) {
    std::ifstream in(f, std::ios::binary);
    const std::vector<std::uint8_t> base{std::istreambuf_iterator<char>(in), {}};
    LLVMFuzzerTestOneInput(base.data(), base.size());
    ++runs;
    for (int m = 0; m < 64; ++m) {
      auto v = base;
      const int edits = 1 + static_cast<int>(rnd() % 8);
      for (int e = 0; e < edits && !v.empty(); ++e) {
        const std::size_t at = rnd() % v.size();
        switch (rnd() % 4) {
          case 0: v[at] = static_cast<std::uint8_t>(rnd()); break;                       // random byte
          case 1: v[at] = static_cast<std::uint8_t>(v[at] ^ (1u << (rnd() % 8))); break;  // bit flip
          case 2: v.resize(at); break;                                                    // truncate
          default: v.insert(v.begin() + static_cast<std::ptrdiff_t>(at), static_cast<std::uint8_t>(0xFF)); break;
        }
      }
      LLVMFuzzerTestOneInput(v.data(), v.size());
      ++runs;
    }
  }
  std::printf("escpos_render_fuzz replay: %zu files, %zu runs, no crash\n", files.size(), runs);
  return 0;
}
#endif
