# firegrid_proto_library(<target> PROTOS <files...> [DEPS <proto targets...>] [GRPC])
#
# Compiles .proto files (paths relative to the current source dir) into a static library.
# Import paths are rooted at ${PROJECT_SOURCE_DIR}/protos, so a proto imports another as
# "firegrid/<domain>/v1/<file>.proto". With GRPC, service stubs are generated too.
# Generated code lives in the build tree only; it is never committed.
function(firegrid_proto_library target)
  cmake_parse_arguments(P "GRPC" "" "PROTOS;DEPS" ${ARGN})
  add_library(${target} STATIC ${P_PROTOS})
  target_link_libraries(${target} PUBLIC protobuf::libprotobuf ${P_DEPS})
  if(P_GRPC)
    target_link_libraries(${target} PUBLIC gRPC::grpc++)
  endif()
  set(out_dir ${PROJECT_BINARY_DIR}/gen)
  file(MAKE_DIRECTORY ${out_dir})
  target_include_directories(${target} PUBLIC ${out_dir})
  set(import_dirs ${PROJECT_SOURCE_DIR}/protos)
  protobuf_generate(
    TARGET ${target}
    LANGUAGE cpp
    IMPORT_DIRS ${import_dirs}
    PROTOC_OUT_DIR ${out_dir})
  if(P_GRPC)
    get_target_property(grpc_plugin gRPC::grpc_cpp_plugin LOCATION)
    protobuf_generate(
      TARGET ${target}
      LANGUAGE grpc
      GENERATE_EXTENSIONS .grpc.pb.h .grpc.pb.cc
      PLUGIN "protoc-gen-grpc=${grpc_plugin}"
      IMPORT_DIRS ${import_dirs}
      PROTOC_OUT_DIR ${out_dir})
  endif()
endfunction()
