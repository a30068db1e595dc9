# Receipt printer: ESC/POS encoder and layouts, transports (file, TCP, sim), PNG renderer.
# Paths are relative to this file so it can be included from anywhere.
set(_kh_printer ${CMAKE_CURRENT_LIST_DIR})
target_sources(kh_hardware PRIVATE
  ${_kh_printer}/src/escpos/codepage.cpp
  ${_kh_printer}/src/escpos/encoder.cpp
  ${_kh_printer}/src/escpos/errc.cpp
  ${_kh_printer}/src/escpos/image.cpp
  ${_kh_printer}/src/escpos/layout.cpp
  ${_kh_printer}/src/escpos/receipt_printer.cpp
  ${_kh_printer}/src/escpos/status.cpp
  ${_kh_printer}/src/escpos/symbols.cpp
  ${_kh_printer}/src/file/printer_transport.cpp
  ${_kh_printer}/src/tcp/printer_transport.cpp
  ${_kh_printer}/src/sim/printer_transport.cpp
  ${_kh_printer}/src/render/font.cpp
  ${_kh_printer}/src/render/png.cpp
  ${_kh_printer}/src/render/renderer.cpp
)
# ZXing 1.4's Result::text() is a wide string unless this is defined (the camera half sets it too).
target_compile_definitions(kh_hardware PUBLIC ZX_USE_UTF8)
target_link_libraries(kh_hardware PUBLIC ZXing::ZXing PRIVATE PNG::PNG)
# In a clang fuzz build, instrument the printer code for libFuzzer's coverage feedback.
if(KH_FUZZ AND CMAKE_CXX_COMPILER_ID MATCHES "Clang")
  target_compile_options(kh_hardware PRIVATE -fsanitize=fuzzer-no-link)
endif()
