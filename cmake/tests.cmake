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

# The database suites (tests/sql_*_test.cc) share one PostgreSQL and one
# MariaDB server per test process.  ctest runs each of them, per table
# type, as one process, so that a server starts once per suite rather than
# once per test; the other tests are one ctest test each.
set(MCTABLE_DATABASE_SUITES Types/SqlTableTest Cases/SqlPostmapDiffTest Cases/SqlBackupDiffTest
    Types/SqlFaultTest Types/SqlWriteModesTest)
set(MCTABLE_DATABASE_FILTER "SqlPostfixDiffers.*")
foreach(suite ${MCTABLE_DATABASE_SUITES})
  string(APPEND MCTABLE_DATABASE_FILTER ":${suite}.*")
endforeach()

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
gtest_discover_tests(mctable_integration_tests DISCOVERY_TIMEOUT 60
                     TEST_FILTER "-*WithPostfix.*:*WithSlapd.*:${MCTABLE_DATABASE_FILTER}"
                     PROPERTIES TIMEOUT 120 LABELS integration)
add_test(NAME WithPostfix.AllSuites
         COMMAND mctable_integration_tests --gtest_filter=*WithPostfix.*)
set_tests_properties(WithPostfix.AllSuites PROPERTIES TIMEOUT 900 LABELS integration)
# The ldap: suites ("...WithSlapd") share one slapd per test process.
add_test(NAME WithSlapd.AllSuites COMMAND mctable_integration_tests --gtest_filter=*WithSlapd.*)
set_tests_properties(WithSlapd.AllSuites PROPERTIES TIMEOUT 900 LABELS "integration;database")

foreach(suite ${MCTABLE_DATABASE_SUITES})
  set(types sqlite pgsql mysql)
  if(suite STREQUAL "Types/SqlFaultTest")
    set(types pgsql mysql)  # server faults: no server for sqlite
  endif()
  foreach(type ${types})
    set(name "${suite}/${type}")
    add_test(NAME ${name} COMMAND mctable_integration_tests "--gtest_filter=${suite}.*/${type}*")
    set_tests_properties(${name} PROPERTIES TIMEOUT 1200 LABELS "integration;database")
  endforeach()
endforeach()
add_test(NAME SqlPostfixDiffers COMMAND mctable_integration_tests "--gtest_filter=SqlPostfixDiffers.*")
set_tests_properties(SqlPostfixDiffers PROPERTIES TIMEOUT 300 LABELS "integration;database")
