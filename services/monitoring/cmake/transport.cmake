# ---- transport ----
# The ways signals come in and alarms go out: the MQTT payload format and subscriber, the gRPC
# service (with the Ingest stream), the gRPC links to hazards and notify, the dispatch pusher,
# the metrics; and the firegrid-monitoring binary.

# libmosquitto (PkgConfig::MOSQUITTO, found by the top-level CMakeLists.txt; here too when it
# is not).
if(NOT TARGET PkgConfig::MOSQUITTO)
  find_package(PkgConfig REQUIRED)
  pkg_check_modules(MOSQUITTO REQUIRED IMPORTED_TARGET GLOBAL libmosquitto)
endif()

add_library(monitoring_transport
  payload.cc mqtt_subscriber.cc grpc_service.cc grpc_links.cc pusher.cc metrics.cc)
target_include_directories(monitoring_transport PUBLIC ${PROJECT_SOURCE_DIR})
target_link_libraries(monitoring_transport
  PUBLIC monitoring_rules firegrid_monitoring_proto firegrid_events_proto firegrid_hazards_proto
         firegrid_notify_proto firegrid_common firegrid_server firegrid_auth gRPC::grpc++
         absl::status absl::statusor absl::strings absl::time absl::hash protobuf::libprotobuf
  PRIVATE PkgConfig::MOSQUITTO)

# The gRPC adapter calls DeviceApi and AlarmApi (services/monitoring/cmake/devices.cmake and
# alarms.cmake), which binaries and its test link.
set(MONITORING_APIS)
foreach(part monitoring_devices monitoring_alarms monitoring_engine)
  if(TARGET ${part})
    list(APPEND MONITORING_APIS ${part})
  endif()
endforeach()

firegrid_test(NAME monitoring_transport_test
  SOURCES payload_test.cc grpc_links_test.cc pusher_test.cc metrics_test.cc
  DEPS monitoring_transport firegrid_test_support)

if(TARGET monitoring_devices AND TARGET monitoring_alarms)
  firegrid_test(NAME monitoring_grpc_service_test
    SOURCES grpc_service_test.cc
    DEPS monitoring_transport ${MONITORING_APIS})
endif()

# The subscriber against a real mosquitto (tests/support MosquittoBroker): QoS 1, the ACL, shared
# subscriptions, reconnects.
firegrid_test(NAME monitoring_mqtt_integration_test
  SOURCES mqtt_subscriber_integration_test.cc
  DEPS monitoring_transport firegrid_test_support PkgConfig::MOSQUITTO
  LABELS integration)

# The service binary: every part of the service (the others' libraries) wired in main.cc.
if(TARGET monitoring_devices AND TARGET monitoring_alarms AND TARGET monitoring_engine)
  add_executable(firegrid-monitoring main.cc)
  firegrid_service_allocator(firegrid-monitoring)
  target_link_libraries(firegrid-monitoring PRIVATE
    monitoring_transport ${MONITORING_APIS} firegrid_runtime firegrid_events firegrid_auth)
endif()

# The binary with redis-server, the dev broker and mosquitto: signals over MQTT and over the
# Ingest stream, re-sent batches, the MQTT health across a broker restart.
if(TARGET firegrid-monitoring)
  firegrid_test(NAME monitoring_service_e2e_test
    SOURCES service_e2e_test.cc
    DEPS monitoring_transport monitoring_devices firegrid_test_support firegrid_test_kafka
         firegrid_redis firegrid_events firegrid_auth firegrid_monitoring_proto
         PkgConfig::MOSQUITTO
    LABELS e2e)
  target_compile_definitions(monitoring_service_e2e_test PRIVATE
    FIREGRID_MONITORING_BIN="$<TARGET_FILE:firegrid-monitoring>"
    FIREGRID_MONITORING_RULES="${PROJECT_SOURCE_DIR}/config/monitoring_rules.textproto")
  add_dependencies(monitoring_service_e2e_test firegrid-monitoring)
endif()

firegrid_fuzzer(NAME mqtt_payload SOURCES ${CMAKE_CURRENT_SOURCE_DIR}/mqtt_payload_fuzzer.cc
                DEPS monitoring_transport)

# The authorisation matrix (docs/authorization.md): every RPC × caller × relation through the
# gRPC surface, one server and one redis-server (devices and alarms live in Redis) for all rows.
firegrid_test(NAME monitoring_authz_matrix_test ONE_PROCESS
  SOURCES authz_matrix_test.cc
  DEPS monitoring_transport monitoring_devices monitoring_alarms firegrid_authz_matrix
       firegrid_test_redis
  LABELS integration)
target_compile_definitions(monitoring_authz_matrix_test PRIVATE
  FIREGRID_MONITORING_RULES="${PROJECT_SOURCE_DIR}/config/monitoring_rules.textproto")
