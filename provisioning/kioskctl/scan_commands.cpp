// kioskctl scan: decode codes from image files, or scan live from a camera (V4L2 or a replayed
// folder), with the same kh::hardware scanner the kiosk runs. One JSON line per code on stdout.
//   exit 0: read at least one code · 1: a file/camera error · 2: usage · 3: nothing read
#include <atomic>
#include <chrono>
#include <filesystem>
#include <iostream>
#include <memory>
#include <mutex>
#include <sstream>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "commands.hpp"
#include "kh/hardware/camera/camera.hpp"
#include "kh/hardware/camera/image_file.hpp"
#include "kh/hardware/scanner/scanner.hpp"

namespace kh::kioskctl {
namespace {

namespace hw = kh::hardware;

struct scan_args {
  std::vector<std::string> files;
  std::string camera;
  double seconds = 10;
  double fps = 30;
  std::string formats = "qr,ean13,upca,code128";
  bool list = false;
};

[[noreturn]] void fail(const std::string& msg, int code = 1) {
  std::cerr << "kioskctl scan: " << msg << "\n";
  throw CLI::RuntimeError(code);
}

hw::format_set parse_formats(const std::string& list) {
  hw::format_set f{false, false, false, false};
  std::stringstream in(list);
  for (std::string item; std::getline(in, item, ',');) {
    if (item == "qr") f.qr = true;
    else if (item == "ean13") f.ean13 = true;
    else if (item == "upca") f.upca = true;
    else if (item == "code128") f.code128 = true;
    else fail("unknown format '" + item + "' (use qr, ean13, upca, code128)", 2);
  }
  return f;
}

nlohmann::json points_json(const std::array<hw::pixel_point, 4>& corners) {
  auto points = nlohmann::json::array();
  for (const auto& p : corners) points.push_back({p.x, p.y});
  return points;
}

void scan_files(const scan_args& a) {
  hw::frame_decoder decoder({.formats = parse_formats(a.formats)});
  int errors = 0, codes = 0;
  for (const auto& file : a.files) {
    std::error_code ec;
    const auto image = hw::load_image_file(file, ec);
    if (ec) {
      std::cerr << "kioskctl scan: " << file << ": " << ec.message() << "\n";
      ++errors;
      continue;
    }
    for (const auto& c : decoder.decode_thoroughly(*image.view())) {
      ++codes;
      std::cout << nlohmann::ordered_json{{"file", file},
                                  {"format", std::string(hw::to_string(c.format))},
                                  {"text", c.text},
                                  {"points", points_json(c.corners)}}
                       .dump(-1, ' ', false, nlohmann::ordered_json::error_handler_t::replace)
                << "\n";
    }
  }
  std::cout.flush();
  if (errors > 0) throw CLI::RuntimeError(1);
  if (codes == 0) fail("no code found", 3);
}

void scan_camera(const scan_args& a) {
  std::error_code fs_ec;
  const bool folder = std::filesystem::is_directory(a.camera, fs_ec);
  std::unique_ptr<hw::camera> cam =
      folder ? hw::make_replay_camera({.folder = a.camera, .fps = a.fps, .loop = true})
             : hw::make_v4l2_camera({.device = a.camera, .fps = static_cast<int>(a.fps)});
  if (auto ec = cam->open()) fail(a.camera + ": " + ec.message());
  if (auto ec = cam->start()) fail(a.camera + ": " + ec.message());
  const auto info = cam->info();
  std::cerr << "kioskctl scan: " << info.name << " " << info.width << "x" << info.height << " " << info.format << " @ "
            << info.fps << " fps for " << a.seconds << " s\n";

  const auto start = std::chrono::steady_clock::now();
  std::mutex out_mutex;
  std::atomic<int> codes{0};
  // Printing happens on the scanner's thread; nothing here can throw out of the callback (JSON
  // dump replaces bad UTF-8 instead of throwing).
  hw::scanner scanner({.decoder = {.formats = parse_formats(a.formats)}}, [&](const hw::scan_event& e) {
    const auto ms = std::chrono::duration_cast<std::chrono::milliseconds>(e.timestamp - start).count();
    std::lock_guard lock(out_mutex);
    std::cout << nlohmann::ordered_json{{"camera", a.camera},
                                {"format", std::string(hw::to_string(e.format))},
                                {"text", e.text},
                                {"points", points_json(e.corners)},
                                {"frame", e.frame_sequence},
                                {"t_ms", ms}}
                     .dump(-1, ' ', false, nlohmann::ordered_json::error_handler_t::replace)
              << std::endl;
    ++codes;
  });
  const auto deadline = start + std::chrono::duration_cast<std::chrono::steady_clock::duration>(std::chrono::duration<double>(a.seconds));
  std::string error;
  while (std::chrono::steady_clock::now() < deadline) {
    hw::camera_frame frame;
    const auto ec = cam->next_frame(frame, std::chrono::milliseconds{200});
    if (ec == hw::camera_errc::timeout || ec == hw::camera_errc::corrupt_frame) continue;
    if (ec) {
      error = a.camera + ": " + ec.message();
      break;
    }
    scanner.submit(frame);
  }
  cam->stop();
  scanner.wait_idle(std::chrono::seconds{2});
  scanner.stop();
  const auto st = scanner.stats();
  std::cerr << "kioskctl scan: " << st.frames_submitted << " frames, " << st.frames_decoded << " decoded, "
            << st.frames_dropped << " dropped (decoder behind), " << st.frames_over_budget << " over budget, "
            << st.events << " codes reported\n";
  if (!error.empty()) fail(error);
  if (codes == 0) fail("no code seen", 3);
}

void list_cameras() {
  const auto devices = hw::enumerate_v4l2_devices();
  for (const auto& d : devices)
    std::cout << nlohmann::json{{"path", d.path}, {"card", d.card}, {"driver", d.driver}, {"bus", d.bus}}.dump() << "\n";
  if (devices.empty()) std::cerr << "kioskctl scan: no V4L2 capture device found\n";
}

}  // namespace

void add_scan_commands(CLI::App& app) {
  // Options outlive parsing: the callback runs after CLI11 has filled them in.
  auto a = std::make_shared<scan_args>();
  auto* scan = app.add_subcommand(
      "scan",
      "decode QR / EAN-13 / UPC-A / Code128 from PNG or JPEG files, or live from a camera; prints one JSON "
      "line per code. Exit 0 when a code was read, 1 on a file or camera error, 2 on bad usage, 3 when none "
      "was read");
  scan->add_option("files", a->files, "image files (PNG or JPEG) to decode");
  scan->add_option("--camera", a->camera, "scan live from a V4L2 device (/dev/video0) or replay a folder of images");
  scan->add_option("--seconds", a->seconds, "how long to scan live (default: 10)")->check(CLI::Range(0.1, 86400.0));
  scan->add_option("--fps", a->fps, "frame rate asked of the camera or replay (default: 30)")->check(CLI::Range(1.0, 240.0));
  scan->add_option("--formats", a->formats, "comma-separated: qr,ean13,upca,code128 (default: all)");
  scan->add_flag("--list-cameras", a->list, "list V4L2 capture devices as JSON lines and exit");
  scan->callback([a] {
    if (a->list) return list_cameras();
    if (a->files.empty() == a->camera.empty()) fail("give image files or --camera DEV, not both or neither", 2);
    if (!a->camera.empty()) return scan_camera(*a);
    scan_files(*a);
  });
}

}  // namespace kh::kioskctl
