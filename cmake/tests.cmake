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

# The tests of the OpenSSL classes call them directly (the library reaches
# them in mctable-openssl.so), so they are compiled in here too.
add_library(mctable_testutil STATIC ${MCTABLE_TESTUTIL_SOURCES} ${MCTABLE_OPENSSL_SOURCES})
target_link_libraries(mctable_testutil PUBLIC mctable_static GTest::gtest ${MCTABLE_OPENSSL_LIBRARIES})
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

# Integration tests are registered by convention, so that a new suite needs
# no edit here (cmake/discover_integration_tests.cmake, run when ctest
# starts, lists the binary's tests):
#   - A suite that needs a server which costs seconds to start is named for
#     it: ...WithPostfix (a private Postfix), ...WithPostgres, ...WithMariadb,
#     ...WithSlapd.  Its tests share one server per test process
#     (testutil's SharedServer, started on first use; Postfix suites may
#     start theirs in SetUpTestSuite), and ctest runs the suite as one
#     process, or as GoogleTest shards of at most
#     MCTABLE_TESTS_PER_SHARD tests each when it is longer, so that two
#     cores stay balanced.  Labels: integration and the kind (postfix,
#     postgres, mariadb, slapd).
#   - A value-parameterized suite over table types (parameter name "pgsql",
#     "mysql", or beginning "pgsql_" / "mysql_") runs per (suite, type) the
#     same way: PostgreSQL for pgsql, MariaDB for mysql.  Its sqlite and
#     file-type parameters are tests of their own.
#   - Such a PostgreSQL or MariaDB suite whose name says Diff (postmap
#     against mctable) is also labelled differential: .ci/sanitize.sh leaves
#     those out.
#   - Every other test is one ctest test (label integration), as
#     gtest_discover_tests would make it.
# Each test keeps its own keys, tables or files, so shards and order do
# not matter.
set(MCTABLE_TESTS_PER_SHARD 8 CACHE STRING "Most tests of a server suite that ctest runs in one process")
file(GENERATE OUTPUT ${CMAKE_BINARY_DIR}/mctable_integration_tests_include.cmake CONTENT "\
set(TEST_BINARY \"$<TARGET_FILE:mctable_integration_tests>\")
set(TESTS_PER_SHARD ${MCTABLE_TESTS_PER_SHARD})
set(TEST_TIMEOUT 120)
set(GROUP_TIMEOUT_PER_TEST 60)
include(\"${CMAKE_SOURCE_DIR}/cmake/discover_integration_tests.cmake\")
")
set_property(DIRECTORY APPEND PROPERTY TEST_INCLUDE_FILES ${CMAKE_BINARY_DIR}/mctable_integration_tests_include.cmake)
