# HTTP server, router and metrics tests: part of hub_test (included from tests/hub/CMakeLists.txt).
target_sources(hub_test PRIVATE
  ${CMAKE_CURRENT_LIST_DIR}/http_router_test.cpp
  ${CMAKE_CURRENT_LIST_DIR}/http_server_test.cpp
  ${CMAKE_CURRENT_LIST_DIR}/metrics_registry_test.cpp
)

# The web room (portal, shop, escaping, images, QR): white-box parts include hub/src.
target_sources(hub_test PRIVATE ${CMAKE_CURRENT_LIST_DIR}/web_test.cpp ${CMAKE_CURRENT_LIST_DIR}/web_live_test.cpp)
# Dashboard: reports, devices, feedback, support (issue 12).
target_sources(hub_test PRIVATE ${CMAKE_CURRENT_LIST_DIR}/web_dashboard_test.cpp)
target_include_directories(hub_test PRIVATE ${PROJECT_SOURCE_DIR}/hub/src)
pkg_check_modules(KH_BROTLIDEC REQUIRED IMPORTED_TARGET libbrotlidec)
find_package(ZLIB REQUIRED)
target_link_libraries(hub_test PRIVATE PkgConfig::KH_BROTLIDEC ZLIB::ZLIB)
# The order page's receipt preview is checked against the printer renderer's own drawing.
target_link_libraries(hub_test PRIVATE kh::hardware)
