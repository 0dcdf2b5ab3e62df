# ---- devices ----
# The device registry and the buildings projection in Redis (device_store.h), the buildings
# events handler (projection.h), the device RPCs (device_api.h) and their CSV import
# (device_csv.h).
add_library(monitoring_devices device_store.cc projection.cc)
target_include_directories(monitoring_devices PUBLIC ${PROJECT_SOURCE_DIR})
target_link_libraries(monitoring_devices
  PUBLIC monitoring_rules firegrid_redis firegrid_events firegrid_monitoring_proto
         firegrid_buildings_proto firegrid_common firegrid_auth absl::status absl::statusor
         absl::strings absl::time protobuf::libprotobuf)

# The projection and the device API with fakes (no Redis).
firegrid_test(NAME monitoring_devices_test
  SOURCES projection_test.cc
  DEPS monitoring_devices)

# The registry and the projection against a real redis-server: create/update/list, building
# views by version, the nearest micro stations by real coordinates.
firegrid_test(NAME monitoring_device_store_integration_test
  SOURCES device_store_integration_test.cc
  DEPS monitoring_devices firegrid_test_redis
  LABELS integration)
