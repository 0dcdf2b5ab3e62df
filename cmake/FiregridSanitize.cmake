# Sanitizer builds. FIREGRID_SANITIZE chooses the set the whole tree is compiled and linked with:
#
#   OFF (default)       none
#   address,undefined   AddressSanitizer (with LeakSanitizer) and UBSan; ON means the same
#   thread              ThreadSanitizer
#
# UBSan is built with -fno-sanitize-recover, so undefined behaviour aborts the process and fails
# its test instead of printing a line nobody reads. Debian's gRPC, protobuf, abseil and
# librdkafka are not instrumented: ASan still sees their heap through its interceptors, LSan and
# TSan report inside them what is not ours; those reports are suppressed by library in the
# reviewed files of tools/sanitizers/ (each entry says why). deploy/sanitize.sh configures such
# builds in build-asan/ and build-tsan/ and runs their tests (docs/sanitizers.md).
#
# CTest runs every test of a sanitizer build with ASAN_OPTIONS, LSAN_OPTIONS, UBSAN_OPTIONS and
# TSAN_OPTIONS set (suppression files, halt_on_error): a plain `ctest` in the build directory is
# right, and the service binaries an e2e test starts inherit the same settings.
set(FIREGRID_SANITIZE OFF CACHE STRING
    "Sanitizers to build with: OFF, address,undefined (ON: the same) or thread")
set_property(CACHE FIREGRID_SANITIZE PROPERTY STRINGS OFF address,undefined thread)

string(TOLOWER "${FIREGRID_SANITIZE}" _fg_san)
if(_fg_san MATCHES "^(on|yes|true|y|1)$")
  set(_fg_san address,undefined)
elseif(_fg_san MATCHES "^(off|no|false|n|0|)$")
  set(_fg_san "")
endif()
string(REPLACE "," ";" _fg_san_list "${_fg_san}")
list(REMOVE_DUPLICATES _fg_san_list)
foreach(_s IN LISTS _fg_san_list)
  if(NOT _s MATCHES "^(address|undefined|thread)$")
    message(FATAL_ERROR "FIREGRID_SANITIZE=${FIREGRID_SANITIZE}: unknown sanitizer '${_s}' "
                        "(OFF, address,undefined or thread)")
  endif()
endforeach()
if("thread" IN_LIST _fg_san_list AND "address" IN_LIST _fg_san_list)
  message(FATAL_ERROR "FIREGRID_SANITIZE: thread and address cannot be combined")
endif()
if(_fg_san_list AND FIREGRID_FUZZ)
  message(FATAL_ERROR "FIREGRID_FUZZ brings its own sanitizers: leave FIREGRID_SANITIZE OFF")
endif()
# The chosen set, normalised (e.g. "address;undefined"), for the rest of the build.
set(FIREGRID_SANITIZERS ${_fg_san_list})

if(FIREGRID_SANITIZERS)
  list(JOIN FIREGRID_SANITIZERS "," _fg_san_flag)
  set(_fg_san_compile -fsanitize=${_fg_san_flag} -fno-omit-frame-pointer)
  set(_fg_san_link -fsanitize=${_fg_san_flag})
  if("undefined" IN_LIST FIREGRID_SANITIZERS)
    # vptr is left out as in the fuzz build (cmake/FiregridFuzz.cmake: it needs the RTTI of
    # every library); every other UBSan check is on and fatal.
    list(APPEND _fg_san_compile -fno-sanitize=vptr -fno-sanitize-recover=all)
    list(APPEND _fg_san_link -fno-sanitize=vptr)
  endif()
  if(CMAKE_CXX_COMPILER_ID STREQUAL "GNU")
    # Link the runtimes statically, as clang does: an ASan runtime must be the first library of
    # a process, and FakeTime preloads a library into the service binaries (LD_PRELOAD).
    foreach(_s IN ITEMS address thread undefined)
      if(_s IN_LIST FIREGRID_SANITIZERS)
        string(REPLACE address asan _lib "${_s}")
        string(REPLACE thread tsan _lib "${_lib}")
        string(REPLACE undefined ubsan _lib "${_lib}")
        list(APPEND _fg_san_link -static-lib${_lib})
      endif()
    endforeach()
  endif()
  add_compile_options(${_fg_san_compile})
  add_link_options(${_fg_san_link})
  message(STATUS "firegrid: sanitizers ${_fg_san_flag}")

  set(_fg_supp ${PROJECT_SOURCE_DIR}/tools/sanitizers)
  set(FIREGRID_SANITIZER_ENV
      "ASAN_OPTIONS=halt_on_error=1:detect_leaks=1:check_initialization_order=1"
      "LSAN_OPTIONS=suppressions=${_fg_supp}/lsan.supp:print_suppressions=0"
      "UBSAN_OPTIONS=halt_on_error=1:print_stacktrace=1:suppressions=${_fg_supp}/ubsan.supp"
      "TSAN_OPTIONS=halt_on_error=1:second_deadlock_stack=1:suppressions=${_fg_supp}/tsan.supp")
  # Set in CTest's own environment before any test runs, so it reaches every test, including
  # those gtest_discover_tests adds at test time.
  # The same settings as shell assignments (firegrid_sanitizer.env), for running a test binary
  # by hand: `set -a; . build-asan/firegrid_sanitizer.env; set +a`.
  set(_fg_env_script "")
  set(_fg_env_shell "")
  foreach(_e IN LISTS FIREGRID_SANITIZER_ENV)
    string(REGEX MATCH "^[A-Z_]+" _name "${_e}")
    string(REGEX REPLACE "^[A-Z_]+=" "" _value "${_e}")
    string(APPEND _fg_env_script "set(ENV{${_name}} \"${_value}\")\n")
    string(APPEND _fg_env_shell "${_name}='${_value}'\n")
  endforeach()
  set(_fg_header "# Written by cmake/FiregridSanitize.cmake (FIREGRID_SANITIZE=${FIREGRID_SANITIZE}).\n")
  file(WRITE ${PROJECT_BINARY_DIR}/firegrid_sanitizer_env.cmake "${_fg_header}${_fg_env_script}")
  file(WRITE ${PROJECT_BINARY_DIR}/firegrid_sanitizer.env "${_fg_header}${_fg_env_shell}")
  # Every directory includes it, so that `ctest --test-dir build-asan/libs` is right too; done
  # when the whole tree has been read.
  function(_firegrid_sanitizer_env_in dir)
    set_property(DIRECTORY ${dir} APPEND PROPERTY TEST_INCLUDE_FILES
                 ${PROJECT_BINARY_DIR}/firegrid_sanitizer_env.cmake)
    get_property(subdirs DIRECTORY ${dir} PROPERTY SUBDIRECTORIES)
    foreach(sub IN LISTS subdirs)
      _firegrid_sanitizer_env_in(${sub})
    endforeach()
  endfunction()
  cmake_language(DEFER DIRECTORY ${PROJECT_SOURCE_DIR} CALL _firegrid_sanitizer_env_in
                 ${PROJECT_SOURCE_DIR})
endif()

# firegrid_no_sanitize(<target>): builds <target> without sanitizers, for a library preloaded
# into binaries that are not instrumented (an ASan runtime must come first in a process).
function(firegrid_no_sanitize target)
  if(FIREGRID_SANITIZERS)
    target_compile_options(${target} PRIVATE -fno-sanitize=all)
    target_link_options(${target} PRIVATE -fno-sanitize=all)
  endif()
endfunction()

# With ThreadSanitizer, every executable makes the synchronisation of two uninstrumented
# libraries visible to TSan: absl::Mutex, CondVar and Notification
# (tools/sanitizers/tsan_absl_sync.cc) and librdkafka's C11 threads
# (tools/sanitizers/tsan_c11_threads.cc); each file says why. Linked into every executable of
# the tree (tests, services, the dev broker) once the whole tree has been read.
if("thread" IN_LIST FIREGRID_SANITIZERS)
  add_library(firegrid_tsan_support OBJECT
    ${PROJECT_SOURCE_DIR}/tools/sanitizers/tsan_absl_sync.cc
    ${PROJECT_SOURCE_DIR}/tools/sanitizers/tsan_c11_threads.cc)
  target_link_libraries(firegrid_tsan_support PUBLIC ${CMAKE_DL_LIBS} Threads::Threads)
  function(_firegrid_tsan_support_in dir)
    get_property(targets DIRECTORY ${dir} PROPERTY BUILDSYSTEM_TARGETS)
    foreach(t IN LISTS targets)
      get_target_property(type ${t} TYPE)
      if(type STREQUAL "EXECUTABLE")
        target_link_libraries(${t} PRIVATE firegrid_tsan_support)
      endif()
    endforeach()
    get_property(subdirs DIRECTORY ${dir} PROPERTY SUBDIRECTORIES)
    foreach(sub IN LISTS subdirs)
      _firegrid_tsan_support_in(${sub})
    endforeach()
  endfunction()
  cmake_language(DEFER DIRECTORY ${PROJECT_SOURCE_DIR} CALL _firegrid_tsan_support_in
                 ${PROJECT_SOURCE_DIR})
endif()
