# Camera and scanner tests; included by tests/hardware/CMakeLists.txt (target hardware_test).
# The corpus generator is a library of its own because tests/bench/scan uses the same frames.
if(NOT TARGET kh_scan_corpus)
  add_library(kh_scan_corpus STATIC ${CMAKE_CURRENT_LIST_DIR}/corpus.cpp)
  target_include_directories(kh_scan_corpus PUBLIC ${CMAKE_CURRENT_LIST_DIR})
  target_link_libraries(kh_scan_corpus PUBLIC kh::hardware PRIVATE kh::warnings)
endif()
find_package(JPEG REQUIRED)  # the image tests make their own JPEGs
# zbar: the reference reader the corpus test holds the scanner against (libzbar-dev).
pkg_check_modules(ZBAR REQUIRED IMPORTED_TARGET zbar)
target_link_libraries(hardware_test PRIVATE kh_scan_corpus JPEG::JPEG PkgConfig::ZBAR)
# The edge reader is internal to kh::hardware; its test reaches its header in hardware/src.
target_include_directories(hardware_test PRIVATE ${PROJECT_SOURCE_DIR}/hardware/src)
target_sources(hardware_test PRIVATE
  ${CMAKE_CURRENT_LIST_DIR}/camera_frame_test.cpp
  ${CMAKE_CURRENT_LIST_DIR}/camera_image_test.cpp
  ${CMAKE_CURRENT_LIST_DIR}/camera_replay_test.cpp
  ${CMAKE_CURRENT_LIST_DIR}/camera_v4l2_test.cpp
  ${CMAKE_CURRENT_LIST_DIR}/scanner_corpus_test.cpp
  ${CMAKE_CURRENT_LIST_DIR}/scanner_decoder_test.cpp
  ${CMAKE_CURRENT_LIST_DIR}/scanner_edge_test.cpp
  ${CMAKE_CURRENT_LIST_DIR}/scanner_qr_repair_test.cpp
  ${CMAKE_CURRENT_LIST_DIR}/scanner_worker_test.cpp
)
