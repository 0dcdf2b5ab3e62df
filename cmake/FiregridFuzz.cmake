# Fuzz targets: a function `LLVMFuzzerTestOneInput(const uint8_t*, size_t)` in `<name>_fuzzer.cc`
# beside the code it fuzzes, and its seed corpus in tests/fuzz/corpus/<name>/ (where the inputs
# of crashes found are kept too, as regression inputs).
#
# With -DFIREGRID_FUZZ=ON (clang only; bench/fuzz.sh configures such a build in build-fuzz/) the
# whole tree is compiled with -fsanitize=fuzzer-no-link,address,undefined and each target links
# libFuzzer: `build-fuzz/.../<name>_fuzzer CORPUS_DIR` fuzzes.
#
# In every other build each target links a replay driver (tests/fuzz/replay_main.cc) instead, and
# CTest runs it over its corpus (`fuzz_<name>_replay`, label unit): every seed and every input
# that once crashed is replayed by the test command with any compiler.
option(FIREGRID_FUZZ "Build the fuzz targets with libFuzzer and sanitizers (clang)" OFF)
if(FIREGRID_FUZZ)
  if(NOT CMAKE_CXX_COMPILER_ID MATCHES "Clang")
    message(FATAL_ERROR "FIREGRID_FUZZ needs clang (CXX=clang++): libFuzzer is part of clang")
  endif()
  # vptr checks need RTTI of every library (Debian's protobuf and gRPC are built without UBSan).
  add_compile_options(-fsanitize=fuzzer-no-link,address,undefined -fno-sanitize=vptr
                      -fno-sanitize-recover=undefined -fno-omit-frame-pointer)
  add_link_options(-fsanitize=address,undefined -fno-sanitize=vptr)
endif()

add_library(firegrid_fuzz_replay STATIC ${PROJECT_SOURCE_DIR}/tests/fuzz/replay_main.cc)

# firegrid_fuzzer(NAME <name> SOURCES <files...> DEPS <targets...> [SEEDS <dirs...>])
# SEEDS: more seed directories (e.g. generated in the build tree) beside the corpus directory.
function(firegrid_fuzzer)
  cmake_parse_arguments(F "" "NAME" "SOURCES;DEPS;SEEDS" ${ARGN})
  set(target ${F_NAME}_fuzzer)
  add_executable(${target} ${F_SOURCES})
  target_link_libraries(${target} PRIVATE ${F_DEPS})
  set(inputs ${F_SEEDS})
  if(EXISTS ${PROJECT_SOURCE_DIR}/tests/fuzz/corpus/${F_NAME})
    list(APPEND inputs ${PROJECT_SOURCE_DIR}/tests/fuzz/corpus/${F_NAME})
  endif()
  if(FIREGRID_FUZZ)
    target_link_options(${target} PRIVATE -fsanitize=fuzzer)
  else()
    target_link_libraries(${target} PRIVATE firegrid_fuzz_replay)
    add_test(NAME fuzz_${F_NAME}_replay COMMAND ${target} ${inputs})
    set_tests_properties(fuzz_${F_NAME}_replay PROPERTIES LABELS unit TIMEOUT 120)
  endif()
endfunction()
