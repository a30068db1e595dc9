# HTTP server (Boost.Beast) and metrics registry, part of kh::hub.
# Included from hub/CMakeLists.txt after it defines kh_hub. On its own (no kh_hub target yet) it
# builds a stand-alone library so this part can be developed and tested first.
set(KH_HTTP_SOURCES
  ${CMAKE_CURRENT_LIST_DIR}/src/http/http_router.cpp
  ${CMAKE_CURRENT_LIST_DIR}/src/http/http_server.cpp
  ${CMAKE_CURRENT_LIST_DIR}/src/http/request_target.cpp
  ${CMAKE_CURRENT_LIST_DIR}/src/metrics/metrics_registry.cpp
  ${CMAKE_CURRENT_LIST_DIR}/src/metrics/prometheus_response.cpp
)

if(TARGET kh_hub)
  set(KH_HTTP_TARGET kh_hub)
else()
  add_library(kh_hub_http STATIC)
  target_include_directories(kh_hub_http PUBLIC ${CMAKE_CURRENT_LIST_DIR}/include
                                         PRIVATE ${CMAKE_CURRENT_LIST_DIR}/src)
  target_link_libraries(kh_hub_http PRIVATE kh::warnings)
  set(KH_HTTP_TARGET kh_hub_http)
endif()

target_sources(${KH_HTTP_TARGET} PRIVATE ${KH_HTTP_SOURCES})
target_link_libraries(${KH_HTTP_TARGET} PUBLIC Boost::headers Threads::Threads PRIVATE spdlog::spdlog)
