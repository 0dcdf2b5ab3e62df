# ---- devices ----
# The device registry and the buildings projection in Redis (device_store.h), the buildings
# events handler (projection.h), the device fields' rules (device_fields.h), the device RPCs
# (device_api.h) and their CSV import (device_csv.h, device_import.cc).
add_library(monitoring_devices
  device_store.cc projection.cc device_fields.cc device_csv.cc device_api.cc device_import.cc)
target_include_directories(monitoring_devices PUBLIC ${PROJECT_SOURCE_DIR})
target_link_libraries(monitoring_devices
  PUBLIC monitoring_rules firegrid_redis firegrid_events firegrid_monitoring_proto
         firegrid_buildings_proto buildings_csv firegrid_common firegrid_auth absl::status
         absl::statusor absl::strings absl::time protobuf::libprotobuf)
# Decommissioning clears alarms through Engine::OnDecommission (engine.cc, cmake/engine.cmake).
set(MONITORING_DEVICES_HAVE_ENGINE OFF)
if(TARGET monitoring_engine)
  target_link_libraries(monitoring_devices PUBLIC monitoring_engine)
  set(MONITORING_DEVICES_HAVE_ENGINE ON)
endif()

# Pure parts: the projection's views, the device fields' rules, the CSV rows.
firegrid_test(NAME monitoring_devices_test
  SOURCES projection_test.cc device_fields_test.cc device_csv_test.cc
  DEPS monitoring_devices)

# The registry and the projection against a real redis-server: create/update/list, building
# views by version, the nearest micro stations by real coordinates; and the device RPCs and the
# CSV import on that store with an in-memory StateRepository and the real engine.
set(monitoring_device_store_integration_sources device_store_integration_test.cc)
if(MONITORING_DEVICES_HAVE_ENGINE)
  list(APPEND monitoring_device_store_integration_sources device_api_integration_test.cc)
endif()
firegrid_test(NAME monitoring_device_store_integration_test
  SOURCES ${monitoring_device_store_integration_sources}
  DEPS monitoring_devices firegrid_test_redis
  LABELS integration)
target_compile_definitions(monitoring_device_store_integration_test PRIVATE
  FIREGRID_MONITORING_RULES="${PROJECT_SOURCE_DIR}/config/monitoring_rules.textproto")
