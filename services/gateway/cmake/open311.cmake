# Open311 GeoReport v2 (/open311/v2/) for the public reporting channels: a Handler of the
# gateway's HTTP server (open311/open311_handler.h, open311/README.md).
find_package(OpenSSL REQUIRED)

add_library(firegrid_gateway_open311
  open311/open311_handler.cc
  open311/services_table.cc
  open311/params.cc
  open311/render.cc)
target_include_directories(firegrid_gateway_open311 PUBLIC ${PROJECT_SOURCE_DIR})
target_link_libraries(firegrid_gateway_open311
  PUBLIC firegrid_gateway_config_proto firegrid_hazards_proto firegrid_buildings_proto
         firegrid_auth firegrid_common gateway_http gRPC::grpc++ absl::status absl::statusor absl::strings
         absl::time nlohmann_json::nlohmann_json
  PRIVATE OpenSSL::Crypto)

# Rendering (JSON and XML, escaping), parameters and dates, and the handler against in-process
# fakes of the hazards and buildings services (127.0.0.1, port 0) with a fake clock.
firegrid_test(NAME gateway_open311_test
  SOURCES open311/render_test.cc open311/params_test.cc open311/open311_handler_test.cc
  DEPS firegrid_gateway_open311 OpenSSL::Crypto firegrid_test_support)
