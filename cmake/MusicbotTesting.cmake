# Helpers for tests, benchmarks, fuzzers and examples. Every test binary gets
# MUSICBOT_TESTDATA_DIR (../shared/testdata) and MUSICBOT_SOURCE_DIR defined.
include(CMakeParseArguments)

# Unit tests: one GoogleTest binary per component; each TEST becomes its own
# ctest entry (label "unit"), and these are the tests re-run under ASan+UBSan.
# Unit tests never need a server.
function(musicbot_add_unit_test name)
  cmake_parse_arguments(PARSE_ARGV 1 arg "" "TIMEOUT" "SOURCES;LIBS")
  _musicbot_test_executable(${name} "${arg_SOURCES}" "${arg_LIBS}")
  if(NOT arg_TIMEOUT)
    set(arg_TIMEOUT 60)
  endif()
  gtest_discover_tests(${name}
    TEST_PREFIX "${name}."
    DISCOVERY_MODE PRE_TEST
    DISCOVERY_TIMEOUT 60
    PROPERTIES LABELS unit TIMEOUT ${arg_TIMEOUT})
  set_property(GLOBAL APPEND PROPERTY MUSICBOT_UNIT_TEST_TARGETS ${name})
endfunction()

# Integration tests: the binary runs as a single ctest entry (label
# "integration") so its fixture starts real servers (Redis, PostgreSQL,
# Prometheus, the testing kit's fakes) once, on loopback.
function(musicbot_add_integration_test name)
  cmake_parse_arguments(PARSE_ARGV 1 arg "" "TIMEOUT" "SOURCES;LIBS;RESOURCE_LOCK")
  _musicbot_test_executable(${name} "${arg_SOURCES}" "${arg_LIBS}")
  if(NOT arg_TIMEOUT)
    set(arg_TIMEOUT 300)
  endif()
  add_test(NAME ${name} COMMAND ${name} --gtest_brief=1)
  set_tests_properties(${name} PROPERTIES LABELS integration TIMEOUT ${arg_TIMEOUT})
  if(arg_RESOURCE_LOCK)
    set_tests_properties(${name} PROPERTIES RESOURCE_LOCK "${arg_RESOURCE_LOCK}")
  endif()
endfunction()

function(_musicbot_test_executable name sources libs)
  add_executable(${name} ${sources})
  target_link_libraries(${name} PRIVATE ${libs} GTest::gmock GTest::gtest_main)
  target_compile_definitions(${name} PRIVATE
    MUSICBOT_TESTDATA_DIR="${MUSICBOT_TESTDATA_DIR}"
    MUSICBOT_SOURCE_DIR="${PROJECT_SOURCE_DIR}"
    MUSICBOT_BINARY_DIR="${PROJECT_BINARY_DIR}")
  musicbot_set_warnings(${name})
endfunction()

# Benchmarks: Google Benchmark binaries, each measuring a component against
# a baseline in the same binary. ctest runs each once, very briefly (label
# "bench"), only to prove it still runs; the figures come from scripts/bench.
function(musicbot_add_benchmark name)
  cmake_parse_arguments(PARSE_ARGV 1 arg "NO_SMOKE" "" "SOURCES;LIBS;SMOKE_ARGS")
  add_executable(${name} ${arg_SOURCES})
  target_link_libraries(${name} PRIVATE ${arg_LIBS} benchmark::benchmark)
  target_compile_definitions(${name} PRIVATE
    MUSICBOT_TESTDATA_DIR="${MUSICBOT_TESTDATA_DIR}"
    MUSICBOT_SOURCE_DIR="${PROJECT_SOURCE_DIR}")
  musicbot_set_warnings(${name})
  if(MUSICBOT_BUILD_TESTS AND NOT arg_NO_SMOKE)
    add_test(NAME ${name}.smoke COMMAND ${name} --benchmark_min_time=0.001 ${arg_SMOKE_ARGS})
    set_tests_properties(${name}.smoke PROPERTIES LABELS bench TIMEOUT 300)
  endif()
endfunction()

# Fuzz targets: a file defining LLVMFuzzerTestOneInput. With clang and
# MUSICBOT_BUILD_FUZZ they link against libFuzzer (+ASan/UBSan); with any
# other compiler they link a small driver that replays the seed corpus, and
# ctest runs that replay (label "unit", so it also runs under ASan+UBSan).
function(musicbot_add_fuzzer name)
  cmake_parse_arguments(PARSE_ARGV 1 arg "" "CORPUS" "SOURCES;LIBS")
  if(CMAKE_CXX_COMPILER_ID MATCHES "Clang" AND NOT MUSICBOT_FUZZ_REPLAY_ONLY)
    add_executable(${name} ${arg_SOURCES})
    target_compile_options(${name} PRIVATE -fsanitize=fuzzer,address,undefined)
    target_link_options(${name} PRIVATE -fsanitize=fuzzer,address,undefined)
  else()
    add_executable(${name} ${arg_SOURCES} ${PROJECT_SOURCE_DIR}/fuzz/driver/replay_main.cpp)
  endif()
  target_link_libraries(${name} PRIVATE ${arg_LIBS})
  musicbot_set_warnings(${name})
  if(MUSICBOT_BUILD_TESTS AND arg_CORPUS)
    add_test(NAME fuzz.${name}.replay COMMAND ${name} ${arg_CORPUS})
    set_tests_properties(fuzz.${name}.replay PROPERTIES LABELS "unit;fuzz" TIMEOUT 120)
    set_property(GLOBAL APPEND PROPERTY MUSICBOT_UNIT_TEST_TARGETS ${name})
  endif()
endfunction()

# Examples: examples/<name>.cpp, compiled in CI, run by ctest (label "example").
function(musicbot_add_example name)
  cmake_parse_arguments(PARSE_ARGV 1 arg "NO_RUN" "" "LIBS;ARGS")
  add_executable(example_${name} ${name}.cpp)
  target_link_libraries(example_${name} PRIVATE ${arg_LIBS})
  musicbot_set_warnings(example_${name})
  if(MUSICBOT_BUILD_TESTS AND NOT arg_NO_RUN)
    add_test(NAME example.${name} COMMAND example_${name} ${arg_ARGS})
    set_tests_properties(example.${name} PROPERTIES LABELS example TIMEOUT 60)
  endif()
endfunction()
