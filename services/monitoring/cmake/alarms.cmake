# ---- alarms ----
# The alarm store (alarms, their indexes, counters, hazard queues and the devices' handled
# state in Redis, each change atomic with its audit entry and outbox event), the alarm API
# (validation and scope of the alarm RPCs) and the hazard filer (lasting alarm → one hazard).
add_library(monitoring_alarms alarm_store.cc alarm_api.cc hazard_filer.cc)
target_include_directories(monitoring_alarms PUBLIC ${PROJECT_SOURCE_DIR})
target_link_libraries(monitoring_alarms
  PUBLIC monitoring_rules firegrid_redis firegrid_events firegrid_common firegrid_auth
         absl::status absl::statusor absl::strings absl::time protobuf::libprotobuf)

# The store against a real redis-server: commit, read, list and count at every tier; one
# active alarm per device and type; versions; acknowledge and clear; the hazard and offline
# queues; the outbox and audit entries. The alarm API on it: validation, scope, the role
# table. The hazard filer on it with a fake hazards service: one hazard per alarm, clears
# noted once.
firegrid_test(NAME monitoring_alarm_store_integration_test
  SOURCES alarm_store_integration_test.cc alarm_api_integration_test.cc
          hazard_filer_integration_test.cc
  DEPS monitoring_alarms firegrid_test_redis
  LABELS integration)
target_compile_definitions(monitoring_alarm_store_integration_test PRIVATE
  FIREGRID_MONITORING_RULES="${PROJECT_SOURCE_DIR}/config/monitoring_rules.textproto")
