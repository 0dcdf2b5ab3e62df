# Evidence upload and serving (services/gateway/evidence, see its README.md): the content-
# addressed stores (a directory, or S3 signed with AWS Signature V4 over OpenSSL and sent with
# cpp-httplib's TLS client) and the HTTP handler that authorises through the hazards service.
find_package(OpenSSL REQUIRED)
set(_evidence ${CMAKE_CURRENT_SOURCE_DIR}/evidence)

add_library(firegrid_gateway_evidence STATIC
  ${_evidence}/directory_store.cc
  ${_evidence}/evidence_handler.cc
  ${_evidence}/hashing.cc
  ${_evidence}/policy.cc
  ${_evidence}/s3_store.cc
  ${_evidence}/sigv4.cc)
target_include_directories(firegrid_gateway_evidence PUBLIC ${PROJECT_SOURCE_DIR})
target_link_libraries(firegrid_gateway_evidence
  PUBLIC gateway_http firegrid_gateway_config_proto firegrid_hazards_proto firegrid_common absl::status
         absl::statusor absl::strings gRPC::grpc++
  PRIVATE firegrid_auth nlohmann_json::nlohmann_json PkgConfig::HTTPLIB OpenSSL::SSL
          OpenSSL::Crypto absl::random_random absl::synchronization)

firegrid_test(NAME gateway_evidence_test
  SOURCES ${_evidence}/sigv4_test.cc ${_evidence}/policy_test.cc
          ${_evidence}/directory_store_test.cc ${_evidence}/s3_store_test.cc
          ${_evidence}/evidence_handler_test.cc
  DEPS firegrid_gateway_evidence firegrid_auth firegrid_test_support PkgConfig::HTTPLIB OpenSSL::SSL
       OpenSSL::Crypto
       nlohmann_json::nlohmann_json)

# Against the real buildings and hazards binaries, redis-server and the dev broker (label e2e).
firegrid_test(NAME gateway_evidence_e2e_test
  SOURCES ${_evidence}/evidence_e2e_test.cc
  DEPS firegrid_gateway_evidence firegrid_buildings_proto firegrid_hazards_proto firegrid_auth
       firegrid_e2e_support firegrid_test_kafka firegrid_test_support nlohmann_json::nlohmann_json
  LABELS e2e)
target_compile_definitions(gateway_evidence_e2e_test PRIVATE
  FIREGRID_CONFIG_DIR="${PROJECT_SOURCE_DIR}/config"
  FIREGRID_BUILDINGS_BIN="$<TARGET_FILE:firegrid-buildings>"
  FIREGRID_HAZARDS_BIN="$<TARGET_FILE:firegrid-hazards>")
add_dependencies(gateway_evidence_e2e_test firegrid-buildings firegrid-hazards firegrid-devbroker)
