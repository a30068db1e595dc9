# HTTP server (Boost.Beast), router and metrics registry: part of kh::hub.
# Included from hub/CMakeLists.txt after it defines kh_hub.
target_sources(kh_hub PRIVATE
  ${CMAKE_CURRENT_LIST_DIR}/src/http/http_router.cpp
  ${CMAKE_CURRENT_LIST_DIR}/src/http/http_server.cpp
  ${CMAKE_CURRENT_LIST_DIR}/src/http/request_target.cpp
  ${CMAKE_CURRENT_LIST_DIR}/src/metrics/metrics_registry.cpp
  ${CMAKE_CURRENT_LIST_DIR}/src/metrics/prometheus_response.cpp
)
target_link_libraries(kh_hub PUBLIC Boost::headers Threads::Threads PRIVATE spdlog::spdlog)
