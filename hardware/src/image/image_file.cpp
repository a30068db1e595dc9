// Image files: read whole (bounded), tell PNG from JPEG by signature.
#include <kh/hardware/camera/errc.hpp>
#include <kh/hardware/camera/image_file.hpp>

#include <fstream>
#include <vector>

namespace kh::hardware {

luminance_image load_image_file(const std::filesystem::path& path, std::error_code& ec) {
  ec.clear();
  std::error_code fs_ec;
  const auto status = std::filesystem::status(path, fs_ec);
  if (!std::filesystem::exists(status)) {
    ec = camera_errc::no_device;
    return {};
  }
  if (!std::filesystem::is_regular_file(status)) {
    ec = camera_errc::unsupported_format;
    return {};
  }
  const auto size = std::filesystem::file_size(path, fs_ec);
  // Compressed images far beyond what any sane frame needs are refused before reading.
  if (fs_ec || size > (std::uintmax_t{256} << 20)) {
    ec = fs_ec ? camera_errc::io_error : camera_errc::too_large;
    return {};
  }
  std::ifstream in(path, std::ios::binary);
  if (!in) {
    ec = camera_errc::permission_denied;
    return {};
  }
  std::vector<std::uint8_t> bytes(static_cast<std::size_t>(size));
  if (size > 0 && !in.read(reinterpret_cast<char*>(bytes.data()), static_cast<std::streamsize>(size))) {
    ec = camera_errc::io_error;
    return {};
  }
  static constexpr std::uint8_t png_sig[] = {0x89, 'P', 'N', 'G', '\r', '\n', 0x1a, '\n'};
  if (bytes.size() >= 8 && std::equal(std::begin(png_sig), std::end(png_sig), bytes.begin()))
    return decode_png(bytes, ec);
  if (bytes.size() >= 3 && bytes[0] == 0xFF && bytes[1] == 0xD8 && bytes[2] == 0xFF) return decode_jpeg(bytes, ec);
  ec = camera_errc::unsupported_format;
  return {};
}

}  // namespace kh::hardware
