# tests/bench/order_roundtrip: bare broker QoS 1 round trip vs order round trip vs sustained
# orders/s with N simulated kiosks, all through one real Mosquitto and a real kioskhub.
add_executable(order_roundtrip order_roundtrip/order_roundtrip.cpp)
target_link_libraries(order_roundtrip PRIVATE kh_hub_fixture CLI11::CLI11 kh::warnings)
add_dependencies(order_roundtrip kioskhub)
