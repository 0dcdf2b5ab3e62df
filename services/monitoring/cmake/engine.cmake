# ---- rules and access (pure) ----
# The alarm rules (config/monitoring_rules.textproto), the access rules, and the state-only
# parts of the engine.
add_library(monitoring_rules rules.cc access.cc engine_state.cc)
target_include_directories(monitoring_rules PUBLIC ${PROJECT_SOURCE_DIR})
target_link_libraries(monitoring_rules
  PUBLIC firegrid_monitoring_proto firegrid_monitoring_config_proto firegrid_hazards_proto
         firegrid_common firegrid_auth absl::status absl::statusor absl::strings absl::time
         protobuf::libprotobuf)

firegrid_test(NAME monitoring_rules_test
  SOURCES rules_test.cc access_test.cc
  DEPS monitoring_rules)
target_compile_definitions(monitoring_rules_test PRIVATE
  FIREGRID_MONITORING_RULES="${PROJECT_SOURCE_DIR}/config/monitoring_rules.textproto")

# ---- the engine, the dispatch and the ingest pipeline (pure; stores behind interfaces) ----
add_library(monitoring_engine engine.cc dispatch.cc ingestor.cc)
# firegrid_redis: alarm_store.h (the commit types of the pipeline) includes the pool's header.
target_link_libraries(monitoring_engine PUBLIC monitoring_rules firegrid_events_proto firegrid_redis)

firegrid_test(NAME monitoring_engine_test
  SOURCES engine_test.cc dispatch_test.cc ingestor_test.cc
  DEPS monitoring_engine)
target_compile_definitions(monitoring_engine_test PRIVATE
  FIREGRID_MONITORING_RULES="${PROJECT_SOURCE_DIR}/config/monitoring_rules.textproto")
