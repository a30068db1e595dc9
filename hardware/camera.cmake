# Camera (V4L2, replay), image files and the ZXing scanner; included by hardware/CMakeLists.txt.
pkg_check_modules(V4L2 REQUIRED IMPORTED_TARGET libv4l2)
find_package(JPEG REQUIRED)  # libjpeg62-turbo-dev: replay JPEGs and MJPEG camera frames

target_sources(kh_hardware PRIVATE
  src/image/errc.cpp
  src/image/image_file.cpp
  src/image/jpeg.cpp
  src/image/pixel_format.cpp
  src/image/png.cpp
  src/replay/camera.cpp
  src/scanner/decoder.cpp
  src/scanner/edge_reader.cpp
  src/scanner/qr_repair.cpp
  src/scanner/scanner.cpp
  src/v4l2/camera.cpp
)
target_link_libraries(kh_hardware
  PUBLIC ZXing::ZXing Threads::Threads
  PRIVATE PNG::PNG JPEG::JPEG PkgConfig::V4L2)
# ZXing 1.4's Result::text() is a wide string unless this is defined; our headers expose ZXing types.
target_compile_definitions(kh_hardware PUBLIC ZX_USE_UTF8)
