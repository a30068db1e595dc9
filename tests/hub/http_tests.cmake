# HTTP server and metrics tests, part of hub_test (included from tests/hub/CMakeLists.txt).
# Without a hub_test target (stand-alone development) they get their own executable.
set(KH_HTTP_TEST_SOURCES
  ${CMAKE_CURRENT_LIST_DIR}/http_router_test.cpp
  ${CMAKE_CURRENT_LIST_DIR}/http_server_test.cpp
  ${CMAKE_CURRENT_LIST_DIR}/metrics_registry_test.cpp
)

if(TARGET hub_test)
  target_sources(hub_test PRIVATE ${KH_HTTP_TEST_SOURCES})
else()
  add_executable(hub_http_test ${KH_HTTP_TEST_SOURCES})
  target_link_libraries(hub_http_test PRIVATE kh_hub_http GTest::gtest_main kh::warnings)
  gtest_discover_tests(hub_http_test DISCOVERY_TIMEOUT 30)
endif()
