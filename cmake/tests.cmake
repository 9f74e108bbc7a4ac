# Tests, in two GoogleTest binaries with ctest labels:
#   unit         src/**/foo_test.cc beside their module: no server, no
#                external program; `ctest -L unit` runs in seconds anywhere.
#   integration  tests/*_test.cc: start memcached (and other servers) on
#                loopback, run Debian's postmap, fault servers, the command.
# Test utilities (test servers, the fault server, temp dirs) are in tests/testutil/.
enable_testing()
find_package(GTest REQUIRED)
include(GoogleTest)

file(GLOB_RECURSE MCTABLE_UNIT_TEST_SOURCES CONFIGURE_DEPENDS ${CMAKE_SOURCE_DIR}/src/*_test.cc)
file(GLOB MCTABLE_INTEGRATION_TEST_SOURCES CONFIGURE_DEPENDS ${CMAKE_SOURCE_DIR}/tests/*_test.cc)
file(GLOB_RECURSE MCTABLE_TESTUTIL_SOURCES CONFIGURE_DEPENDS ${CMAKE_SOURCE_DIR}/tests/testutil/*.cc)
list(FILTER MCTABLE_TESTUTIL_SOURCES EXCLUDE REGEX "_test\\.cc$")

add_library(mctable_testutil STATIC ${MCTABLE_TESTUTIL_SOURCES})
target_link_libraries(mctable_testutil PUBLIC mctable_static GTest::gtest)
mctable_library_setup(mctable_testutil)
target_include_directories(mctable_testutil PUBLIC ${CMAKE_SOURCE_DIR}/tests)
target_compile_definitions(mctable_testutil PUBLIC
  MCTABLE_BINARY="$<TARGET_FILE:mctable>" MCTABLE_SOURCE_DIR="${CMAKE_SOURCE_DIR}")

foreach(kind unit integration)
  string(TOUPPER ${kind} KIND)
  add_executable(mctable_${kind}_tests ${MCTABLE_${KIND}_TEST_SOURCES})
  target_link_libraries(mctable_${kind}_tests PRIVATE mctable_testutil GTest::gtest_main)
  add_dependencies(mctable_${kind}_tests mctable)
endforeach()
gtest_discover_tests(mctable_unit_tests DISCOVERY_TIMEOUT 60 PROPERTIES TIMEOUT 120 LABELS unit)

# ctest runs each discovered test in a process of its own.  Suites named
# "...WithPostfix" share one private Postfix instance per suite (started in
# SetUpTestSuite: seconds, not milliseconds), so they run together as one
# ctest entry instead: one start per suite rather than one per test.
gtest_discover_tests(mctable_integration_tests DISCOVERY_TIMEOUT 60 TEST_FILTER "-*WithPostfix.*"
                     PROPERTIES TIMEOUT 120 LABELS integration)
add_test(NAME WithPostfix.AllSuites
         COMMAND mctable_integration_tests --gtest_filter=*WithPostfix.*)
set_tests_properties(WithPostfix.AllSuites PROPERTIES TIMEOUT 900 LABELS integration)
