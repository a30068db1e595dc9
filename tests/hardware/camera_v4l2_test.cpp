// V4L2 backend without a camera: what can be checked is that absence and wrong nodes are clean errors.
#include <kh/hardware/camera/camera.hpp>

#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>

#include <unistd.h>

namespace kh::hardware {
namespace {

namespace fs = std::filesystem;

TEST(camera_v4l2, enumeration_returns_only_real_capture_devices_and_never_throws) {
  // On a machine without cameras this is empty; with cameras every entry must be a /dev/video node.
  for (const auto& d : enumerate_v4l2_devices()) EXPECT_EQ(d.path.rfind("/dev/video", 0), 0u) << d.path;

  const fs::path dir = fs::temp_directory_path() / ("kh-fake-dev-" + std::to_string(::getpid()));
  fs::create_directories(dir);
  std::ofstream(dir / "video0") << "not a device";
  fs::create_directories(dir / "video1");
  fs::create_symlink("/dev/null", dir / "video2");
  EXPECT_TRUE(enumerate_v4l2_devices(dir).empty());
  EXPECT_TRUE(enumerate_v4l2_devices(dir / "missing").empty());
  fs::remove_all(dir);
}

TEST(camera_v4l2, a_missing_device_is_no_device) {
  auto cam = make_v4l2_camera({.device = "/dev/video-kh-does-not-exist"});
  EXPECT_EQ(cam->open(), camera_errc::no_device);
  camera_frame f;
  EXPECT_EQ(cam->start(), camera_errc::not_started);
  EXPECT_EQ(cam->next_frame(f, std::chrono::milliseconds{0}), camera_errc::not_started);
  EXPECT_FALSE(f.image);
  cam->stop();  // harmless in any state
}

TEST(camera_v4l2, a_character_device_that_is_not_a_camera_is_refused) {
  auto cam = make_v4l2_camera({.device = "/dev/null"});
  EXPECT_EQ(cam->open(), camera_errc::not_a_camera);
  EXPECT_EQ(cam->start(), camera_errc::not_started);
}

TEST(camera_v4l2, a_regular_file_or_folder_is_refused) {
  const fs::path file = fs::temp_directory_path() / ("kh-not-a-camera-" + std::to_string(::getpid()));
  std::ofstream(file) << "x";
  EXPECT_EQ(make_v4l2_camera({.device = file.string()})->open(), camera_errc::not_a_camera);
  fs::remove(file);
  EXPECT_EQ(make_v4l2_camera({.device = "/tmp"})->open(), camera_errc::not_a_camera);
}

}  // namespace
}  // namespace kh::hardware
