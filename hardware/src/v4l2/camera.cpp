// V4L2 capture through libv4l2: negotiation, mmap streaming, select() with timeout, unplug handling.
#include <kh/hardware/camera/camera.hpp>
#include <kh/hardware/camera/pixel_format.hpp>

#include <fcntl.h>
#include <libv4l2.h>
#include <linux/videodev2.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <poll.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <array>
#include <cerrno>
#include <cstring>
#include <filesystem>

namespace kh::hardware {
namespace {

// ioctl that retries when a signal interrupts it.
int xioctl(int fd, unsigned long request, void* arg) {
  int r;
  do {
    r = v4l2_ioctl(fd, request, arg);
  } while (r == -1 && errno == EINTR);
  return r;
}

int raw_ioctl(int fd, unsigned long request, void* arg) {
  int r;
  do {
    r = ::ioctl(fd, request, arg);
  } while (r == -1 && errno == EINTR);
  return r;
}

std::error_code from_errno(int e) {
  switch (e) {
    case ENOENT: return camera_errc::no_device;
    case EACCES:
    case EPERM: return camera_errc::permission_denied;
    case EBUSY: return camera_errc::busy;
    case ENODEV:
    case ENXIO:
    case EIO: return camera_errc::disconnected;
    case ENOTTY:
    case EINVAL: return camera_errc::not_a_camera;
    default: return camera_errc::io_error;
  }
}

// Formats in the order we prefer them: GREY needs no work, YUYV/UYVY a strided copy, MJPEG a
// JPEG decode per frame.
constexpr std::array k_preference{pixel_format::grey, pixel_format::yuyv, pixel_format::uyvy, pixel_format::mjpeg};

class v4l2_camera final : public camera {
 public:
  explicit v4l2_camera(v4l2_camera_config config) : config_(std::move(config)) {}
  ~v4l2_camera() override { close_device(); }

  std::error_code open() override {
    if (fd_ >= 0) return {};
    struct stat st{};
    if (::stat(config_.device.c_str(), &st) != 0) return from_errno(errno);
    if (!S_ISCHR(st.st_mode)) return camera_errc::not_a_camera;
    // O_NONBLOCK: DQBUF never blocks; select() does the waiting, with our timeout.
    const int raw = ::open(config_.device.c_str(), O_RDWR | O_NONBLOCK | O_CLOEXEC);
    if (raw < 0) return from_errno(errno);
    // Ask the kernel first: libv4l2 would print its own complaints about a non-V4L2 node.
    v4l2_capability probe{};
    if (raw_ioctl(raw, VIDIOC_QUERYCAP, &probe) != 0) {
      const int e = errno;
      ::close(raw);
      return e == ENODEV ? camera_errc::disconnected : camera_errc::not_a_camera;
    }
    // libv4l2 wraps the descriptor (and emulates formats some drivers lack); we only ask for
    // native formats, so no conversion runs inside it.
    fd_ = v4l2_fd_open(raw, V4L2_DISABLE_CONVERSION);
    if (fd_ < 0) {
      ::close(raw);
      return camera_errc::io_error;
    }
    if (auto ec = negotiate(); ec) {
      close_device();
      return ec;
    }
    return {};
  }

  std::error_code start() override {
    if (fd_ < 0) return camera_errc::not_started;
    if (streaming_) return {};
    v4l2_requestbuffers req{};
    req.count = static_cast<std::uint32_t>(std::clamp(config_.buffers, 2, 32));
    req.type = V4L2_BUF_TYPE_VIDEO_CAPTURE;
    req.memory = V4L2_MEMORY_MMAP;
    if (xioctl(fd_, VIDIOC_REQBUFS, &req) != 0) return from_errno(errno);
    if (req.count < 2) return camera_errc::io_error;
    for (std::uint32_t i = 0; i < req.count; ++i) {
      v4l2_buffer buf{};
      buf.type = V4L2_BUF_TYPE_VIDEO_CAPTURE;
      buf.memory = V4L2_MEMORY_MMAP;
      buf.index = i;
      if (xioctl(fd_, VIDIOC_QUERYBUF, &buf) != 0) return fail_start(from_errno(errno));
      void* p = v4l2_mmap(nullptr, buf.length, PROT_READ | PROT_WRITE, MAP_SHARED, fd_, buf.m.offset);
      if (p == MAP_FAILED) return fail_start(from_errno(errno));
      buffers_.push_back({p, buf.length});
      if (xioctl(fd_, VIDIOC_QBUF, &buf) != 0) return fail_start(from_errno(errno));
    }
    int type = V4L2_BUF_TYPE_VIDEO_CAPTURE;
    if (xioctl(fd_, VIDIOC_STREAMON, &type) != 0) return fail_start(from_errno(errno));
    streaming_ = true;
    sequence_ = 0;
    return {};
  }

  std::error_code next_frame(camera_frame& out, std::chrono::milliseconds timeout) override {
    out = {};
    if (!streaming_) return camera_errc::not_started;
    // poll() rather than select(): no FD_SETSIZE limit on the descriptor number.
    const auto deadline = std::chrono::steady_clock::now() + std::max(timeout, std::chrono::milliseconds{0});
    for (;;) {
      const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - std::chrono::steady_clock::now());
      pollfd pfd{fd_, POLLIN, 0};
      const int r = ::poll(&pfd, 1, static_cast<int>(std::clamp<std::chrono::milliseconds::rep>(left.count(), 0, 60'000)));
      if (r < 0) {
        if (errno == EINTR) continue;  // a signal: wait for the rest of the timeout
        return from_errno(errno);
      }
      if (r == 0) {
        if (std::chrono::steady_clock::now() >= deadline) return camera_errc::timeout;
        continue;
      }
      // An unplugged device hangs up (and DQBUF would give ENODEV).
      if ((pfd.revents & (POLLHUP | POLLNVAL)) && !(pfd.revents & POLLIN)) return camera_errc::disconnected;
      v4l2_buffer buf{};
      buf.type = V4L2_BUF_TYPE_VIDEO_CAPTURE;
      buf.memory = V4L2_MEMORY_MMAP;
      if (xioctl(fd_, VIDIOC_DQBUF, &buf) != 0) {
        if (errno == EAGAIN) {
          // Woken without a buffer ready (spurious): wait again, but never past the deadline.
          if (std::chrono::steady_clock::now() >= deadline) return camera_errc::timeout;
          continue;
        }
        return from_errno(errno);  // ENODEV when unplugged → disconnected
      }
      std::error_code ec;
      if (buf.index >= buffers_.size() || (buf.flags & V4L2_BUF_FLAG_ERROR) != 0) {
        ec = camera_errc::corrupt_frame;
      } else {
        const auto* data = static_cast<const std::uint8_t*>(buffers_[buf.index].start);
        const std::size_t used = std::min<std::size_t>(buf.bytesused ? buf.bytesused : buf.length, buffers_[buf.index].length);
        ec = convert_to_luminance(format_, {data, used}, width_, height_, bytes_per_line_, frame_);
      }
      // Give the buffer back at once: we converted into our own frame_, so the driver keeps all
      // its buffers and never stalls waiting for the scanner.
      if (xioctl(fd_, VIDIOC_QBUF, &buf) != 0 && errno == ENODEV) return camera_errc::disconnected;
      if (ec) return ec;  // one bad frame (MJPEG glitch): the caller just asks again
      out.image = frame_.view();
      out.timestamp = std::chrono::steady_clock::now();
      out.sequence = sequence_++;
      return {};
    }
  }

  void stop() noexcept override {
    if (fd_ < 0) return;
    if (streaming_) {
      int type = V4L2_BUF_TYPE_VIDEO_CAPTURE;
      xioctl(fd_, VIDIOC_STREAMOFF, &type);
      streaming_ = false;
    }
    release_buffers();
  }

  camera_info info() const override { return info_; }

 private:
  struct mapping {
    void* start;
    std::size_t length;
  };

  std::error_code negotiate() {
    v4l2_capability cap{};
    if (xioctl(fd_, VIDIOC_QUERYCAP, &cap) != 0) return errno == ENODEV ? camera_errc::disconnected : camera_errc::not_a_camera;
    const std::uint32_t caps = (cap.capabilities & V4L2_CAP_DEVICE_CAPS) ? cap.device_caps : cap.capabilities;
    if (!(caps & V4L2_CAP_VIDEO_CAPTURE) || !(caps & V4L2_CAP_STREAMING)) return camera_errc::not_a_camera;
    info_.name = reinterpret_cast<const char*>(cap.card);

    // Which of our formats does the device offer natively?
    std::vector<pixel_format> offered;
    for (std::uint32_t i = 0; i < 64; ++i) {
      v4l2_fmtdesc desc{};
      desc.index = i;
      desc.type = V4L2_BUF_TYPE_VIDEO_CAPTURE;
      if (xioctl(fd_, VIDIOC_ENUM_FMT, &desc) != 0) break;
      if (desc.flags & V4L2_FMT_FLAG_EMULATED) continue;
      if (auto f = pixel_format_from_fourcc(desc.pixelformat)) offered.push_back(*f);
    }
    for (pixel_format want : k_preference) {
      if (std::find(offered.begin(), offered.end(), want) == offered.end()) continue;
      v4l2_format fmt{};
      fmt.type = V4L2_BUF_TYPE_VIDEO_CAPTURE;
      fmt.fmt.pix.width = static_cast<std::uint32_t>(config_.width);
      fmt.fmt.pix.height = static_cast<std::uint32_t>(config_.height);
      fmt.fmt.pix.pixelformat = fourcc_of(want);
      fmt.fmt.pix.field = V4L2_FIELD_NONE;
      if (xioctl(fd_, VIDIOC_S_FMT, &fmt) != 0) {
        if (errno == EBUSY || errno == ENODEV) return from_errno(errno);
        continue;
      }
      // The driver may substitute another format or size: take what it says it chose.
      const auto chosen = pixel_format_from_fourcc(fmt.fmt.pix.pixelformat);
      if (!chosen || fmt.fmt.pix.width == 0 || fmt.fmt.pix.height == 0 ||
          fmt.fmt.pix.width > static_cast<std::uint32_t>(luminance_view::k_max_dimension) ||
          fmt.fmt.pix.height > static_cast<std::uint32_t>(luminance_view::k_max_dimension))
        continue;
      format_ = *chosen;
      width_ = static_cast<int>(fmt.fmt.pix.width);
      height_ = static_cast<int>(fmt.fmt.pix.height);
      bytes_per_line_ = format_ == pixel_format::mjpeg ? 0 : static_cast<int>(fmt.fmt.pix.bytesperline);
      info_.format = fourcc_name(fmt.fmt.pix.pixelformat);
      info_.width = width_;
      info_.height = height_;
      set_frame_rate();
      return {};
    }
    return camera_errc::unsupported_format;
  }

  void set_frame_rate() {
    v4l2_streamparm parm{};
    parm.type = V4L2_BUF_TYPE_VIDEO_CAPTURE;
    if (config_.fps > 0 && xioctl(fd_, VIDIOC_G_PARM, &parm) == 0 &&
        (parm.parm.capture.capability & V4L2_CAP_TIMEPERFRAME)) {
      parm.parm.capture.timeperframe.numerator = 1;
      parm.parm.capture.timeperframe.denominator = static_cast<std::uint32_t>(config_.fps);
      xioctl(fd_, VIDIOC_S_PARM, &parm);  // best effort: the driver rounds to what it can do
    }
    if (xioctl(fd_, VIDIOC_G_PARM, &parm) == 0 && parm.parm.capture.timeperframe.numerator != 0)
      info_.fps = static_cast<double>(parm.parm.capture.timeperframe.denominator) / parm.parm.capture.timeperframe.numerator;
  }

  std::error_code fail_start(std::error_code ec) {
    release_buffers();
    return ec;
  }

  void release_buffers() noexcept {
    for (const auto& b : buffers_) v4l2_munmap(b.start, b.length);
    buffers_.clear();
    if (fd_ >= 0) {
      // Hand the buffers back to the driver so a later start() can request them again.
      v4l2_requestbuffers req{};
      req.type = V4L2_BUF_TYPE_VIDEO_CAPTURE;
      req.memory = V4L2_MEMORY_MMAP;
      xioctl(fd_, VIDIOC_REQBUFS, &req);
    }
  }

  void close_device() noexcept {
    stop();
    if (fd_ >= 0) v4l2_close(fd_);
    fd_ = -1;
  }

  v4l2_camera_config config_;
  int fd_ = -1;
  bool streaming_ = false;
  pixel_format format_ = pixel_format::grey;
  int width_ = 0;
  int height_ = 0;
  int bytes_per_line_ = 0;
  std::vector<mapping> buffers_;
  luminance_image frame_;
  std::uint64_t sequence_ = 0;
  camera_info info_;
};

}  // namespace

std::unique_ptr<camera> make_v4l2_camera(v4l2_camera_config config) {
  return std::make_unique<v4l2_camera>(std::move(config));
}

std::vector<v4l2_device_info> enumerate_v4l2_devices(const std::filesystem::path& dev_dir) {
  std::vector<v4l2_device_info> out;
  std::error_code ec;
  std::vector<std::filesystem::path> nodes;
  for (std::filesystem::directory_iterator it(dev_dir, ec), end; !ec && it != end; it.increment(ec)) {
    const std::string name = it->path().filename().string();
    if (name.rfind("video", 0) == 0) nodes.push_back(it->path());
  }
  std::sort(nodes.begin(), nodes.end());
  for (const auto& node : nodes) {
    // Plain open (no libv4l2): querying capabilities needs no format emulation.
    const int fd = ::open(node.c_str(), O_RDWR | O_NONBLOCK | O_CLOEXEC);
    if (fd < 0) continue;
    v4l2_capability cap{};
    const int r = raw_ioctl(fd, VIDIOC_QUERYCAP, &cap);
    ::close(fd);
    if (r != 0) continue;
    const std::uint32_t caps = (cap.capabilities & V4L2_CAP_DEVICE_CAPS) ? cap.device_caps : cap.capabilities;
    if (!(caps & V4L2_CAP_VIDEO_CAPTURE) || !(caps & V4L2_CAP_STREAMING)) continue;
    out.push_back({node.string(), reinterpret_cast<const char*>(cap.card), reinterpret_cast<const char*>(cap.driver),
                   reinterpret_cast<const char*>(cap.bus_info)});
  }
  return out;
}

}  // namespace kh::hardware
