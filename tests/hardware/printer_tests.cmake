# Receipt printer tests; included by tests/hardware/CMakeLists.txt (target hardware_test).
set(_kh_pt ${CMAKE_CURRENT_LIST_DIR})
target_sources(hardware_test PRIVATE
  ${_kh_pt}/escpos_encoder_test.cpp
  ${_kh_pt}/escpos_layout_test.cpp
  ${_kh_pt}/printer_render_test.cpp
  ${_kh_pt}/printer_transport_test.cpp
)
target_link_libraries(hardware_test PRIVATE ZXing::ZXing Threads::Threads)
# Golden .bin files live in tests/data/escpos.
target_compile_definitions(hardware_test PRIVATE KH_ESCPOS_DATA_DIR="${_kh_pt}/../data/escpos")
