# HTTP server, router and metrics tests: part of hub_test (included from tests/hub/CMakeLists.txt).
target_sources(hub_test PRIVATE
  ${CMAKE_CURRENT_LIST_DIR}/http_router_test.cpp
  ${CMAKE_CURRENT_LIST_DIR}/http_server_test.cpp
  ${CMAKE_CURRENT_LIST_DIR}/metrics_registry_test.cpp
)
