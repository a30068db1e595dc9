// Replay camera: a folder of images played like a camera.
#include <kh/hardware/camera/camera.hpp>
#include <kh/hardware/camera/image_file.hpp>

#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>

#include <unistd.h>

namespace kh::hardware {
namespace {

namespace fs = std::filesystem;
using std::chrono::milliseconds;

struct replay_folder {
  fs::path path = fs::temp_directory_path() / ("kh-replay-" + std::to_string(::getpid()) + "-" +
                                               ::testing::UnitTest::GetInstance()->current_test_info()->name());
  explicit replay_folder(int frames) {
    fs::create_directories(path);
    // Frame i is a flat image of grey level 10·(i+1); names sort in play order.
    for (int i = 0; i < frames; ++i) {
      luminance_image img(16, 8, static_cast<std::uint8_t>(10 * (i + 1)));
      EXPECT_FALSE(write_png(path / ("frame-" + std::to_string(i) + ".png"), *img.view()));
    }
    std::ofstream(path / "README.txt") << "ignored: not an image name";
  }
  ~replay_folder() {
    std::error_code ec;
    fs::remove_all(path, ec);
  }
};

TEST(camera_replay, plays_every_image_in_name_order_then_ends) {
  replay_folder folder(3);
  auto cam = make_replay_camera({.folder = folder.path, .fps = 0});
  ASSERT_FALSE(cam->open());
  EXPECT_EQ(cam->info().width, 16);
  EXPECT_EQ(cam->info().height, 8);
  ASSERT_FALSE(cam->start());
  for (int i = 0; i < 3; ++i) {
    camera_frame f;
    ASSERT_FALSE(cam->next_frame(f, milliseconds{100}));
    ASSERT_TRUE(f.image);
    EXPECT_EQ(f.image->at(3, 3), 10 * (i + 1));
    EXPECT_EQ(f.sequence, static_cast<std::uint64_t>(i));
  }
  camera_frame f;
  EXPECT_EQ(cam->next_frame(f, milliseconds{100}), camera_errc::end_of_stream);
  EXPECT_FALSE(f.image);
}

TEST(camera_replay, loops_when_asked) {
  replay_folder folder(2);
  auto cam = make_replay_camera({.folder = folder.path, .fps = 0, .loop = true});
  ASSERT_FALSE(cam->open());
  ASSERT_FALSE(cam->start());
  std::vector<int> levels;
  for (int i = 0; i < 5; ++i) {
    camera_frame f;
    ASSERT_FALSE(cam->next_frame(f, milliseconds{100}));
    levels.push_back(f.image->at(0, 0));
  }
  EXPECT_EQ(levels, (std::vector<int>{10, 20, 10, 20, 10}));
}

TEST(camera_replay, paces_frames_on_the_steady_clock) {
  replay_folder folder(3);
  auto cam = make_replay_camera({.folder = folder.path, .fps = 50});
  ASSERT_FALSE(cam->open());
  ASSERT_FALSE(cam->start());
  std::vector<std::chrono::steady_clock::time_point> times;
  for (int i = 0; i < 3; ++i) {
    camera_frame f;
    ASSERT_FALSE(cam->next_frame(f, milliseconds{1000}));
    times.push_back(f.timestamp);
  }
  // A lower bound only (sleeping never ends early): frames are at least one period (20 ms) apart.
  EXPECT_GE(times[2] - times[0], milliseconds{40});
}

TEST(camera_replay, a_frame_not_due_within_the_timeout_is_a_timeout_and_the_camera_goes_on) {
  replay_folder folder(2);
  auto cam = make_replay_camera({.folder = folder.path, .fps = 0.5});  // one frame every 2 s
  ASSERT_FALSE(cam->open());
  ASSERT_FALSE(cam->start());
  camera_frame f;
  ASSERT_FALSE(cam->next_frame(f, milliseconds{100}));  // the first is due at once
  EXPECT_EQ(cam->next_frame(f, milliseconds{5}), camera_errc::timeout);
  EXPECT_FALSE(f.image);
}

TEST(camera_replay, bad_folders_and_files_fail_open_with_nothing_played) {
  EXPECT_EQ(make_replay_camera({.folder = "/nonexistent/kh"})->open(), camera_errc::no_device);
  replay_folder empty(0);
  EXPECT_EQ(make_replay_camera({.folder = empty.path})->open(), camera_errc::not_a_camera);
  EXPECT_EQ(make_replay_camera({.folder = empty.path / "README.txt"})->open(), camera_errc::not_a_camera);

  replay_folder folder(2);
  std::ofstream(folder.path / "frame-9.png") << "text, named like an image";
  auto cam = make_replay_camera({.folder = folder.path});
  EXPECT_EQ(cam->open(), camera_errc::unsupported_format);
  EXPECT_EQ(cam->start(), camera_errc::not_started);

  // A real PNG cut short.
  std::ofstream(folder.path / "frame-9.png", std::ios::binary | std::ios::trunc) << "\x89PNG\r\n\x1a\n" << "IHDR cut";
  EXPECT_EQ(make_replay_camera({.folder = folder.path})->open(), camera_errc::corrupt_frame);
}

TEST(camera_replay, refuses_folders_beyond_its_memory_cap) {
  replay_folder folder(3);  // 3 × 128 bytes decoded
  EXPECT_EQ(make_replay_camera({.folder = folder.path, .max_bytes = 200})->open(), camera_errc::too_large);
}

}  // namespace
}  // namespace kh::hardware
