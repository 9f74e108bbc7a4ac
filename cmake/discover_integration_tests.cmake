# Registers the integration tests with ctest by the naming convention of
# cmake/tests.cmake, each time ctest starts (like GoogleTest's PRE_TEST
# discovery): lists the binary's tests (--gtest_list_tests) and adds
#   - one ctest test per suite that needs a server started once per
#     process (suite named ...With<Kind>), or per (suite, table type) for a
#     value-parameterized suite whose parameter names a server type
#     (pgsql..., mysql...); split into GoogleTest shards of at most
#     TESTS_PER_SHARD tests each, so that two cores stay busy;
#   - one ctest test per GoogleTest test for everything else.
# Inputs (set by the include file tests.cmake generates): TEST_BINARY,
# TESTS_PER_SHARD, TEST_TIMEOUT, GROUP_TIMEOUT_PER_TEST.
# How it fails: a binary that is missing or cannot list its tests becomes
# one failing ctest test that says so (ctest itself never errors out).

set(server_kinds Postfix Postgres Mariadb Slapd)
string(JOIN "|" server_kind_regex ${server_kinds})

if(NOT EXISTS "${TEST_BINARY}")
  add_test(mctable_integration_tests_NOT_BUILT "${TEST_BINARY}_NOT_BUILT")
  return()
endif()
execute_process(COMMAND "${TEST_BINARY}" --gtest_list_tests
                OUTPUT_VARIABLE listing ERROR_VARIABLE listing_err RESULT_VARIABLE listing_status
                TIMEOUT 60)
if(NOT listing_status EQUAL 0)
  add_test(mctable_integration_tests_CANNOT_LIST "${TEST_BINARY}" --gtest_list_tests)
  return()
endif()

# The listing: "Suite." lines (maybe "  # TypeParam = ..."), then "  Test"
# lines (maybe "  # GetParam() = ...").  Lines are split on newlines; a
# ';' (none in GoogleTest names) would split a list element.
string(REPLACE ";" "," listing "${listing}")
string(REPLACE "\n" ";" lines "${listing}")
set(suite "")
set(groups "")
foreach(line IN LISTS lines)
  if(line MATCHES "^([^ #][^ ]*)\\.( .*)?$")
    set(suite "${CMAKE_MATCH_1}")
    continue()
  endif()
  if(NOT line MATCHES "^  ([^ ]+)( .*)?$" OR suite STREQUAL "")
    continue()
  endif()
  set(test "${CMAKE_MATCH_1}")
  if(test MATCHES "^DISABLED_" OR suite MATCHES "(^|/)DISABLED_")
    continue()
  endif()
  string(REGEX REPLACE "^.*/" "" suite_base "${suite}")
  set(group "")
  set(kind "")
  set(filter "")
  if(suite_base MATCHES "With(${server_kind_regex})$")
    set(kind "${CMAKE_MATCH_1}")
    set(group "${suite}")
    set(filter "${suite}.*")
  elseif(test MATCHES "/(pgsql|mysql)(_[^/]*)?$")
    set(type "${CMAKE_MATCH_1}")
    if(type STREQUAL "pgsql")
      set(kind Postgres)
    else()
      set(kind Mariadb)
    endif()
    set(group "${suite}/${type}")
    set(filter "${suite}.*/${type}:${suite}.*/${type}_*")
  endif()
  # Differential suites (name says Diff) run once more per database server
  # type: the same keys through postmap and mctable (.ci/sanitize.sh leaves
  # these out; see there why).
  set(labels integration)
  if(NOT kind STREQUAL "")
    string(TOLOWER "${kind}" kind_label)
    list(APPEND labels ${kind_label})
    if(suite_base MATCHES "Diff(Test$|With)" AND kind MATCHES "^(Postgres|Mariadb)$")
      list(APPEND labels differential)
    endif()
  endif()
  if(group STREQUAL "")
    set(name "${suite}.${test}")
    add_test("${name}" "${TEST_BINARY}" "--gtest_filter=${name}")
    set_tests_properties("${name}" PROPERTIES LABELS "${labels}" TIMEOUT ${TEST_TIMEOUT}
                         SKIP_REGULAR_EXPRESSION "\\[  SKIPPED \\]")
    continue()
  endif()
  string(MAKE_C_IDENTIFIER "${group}" group_id)
  if(NOT DEFINED group_count_${group_id})
    set(group_count_${group_id} 0)
    list(APPEND groups "${group}")
    set(group_filter_${group_id} "${filter}")
    set(group_labels_${group_id} "${labels}")
  endif()
  math(EXPR group_count_${group_id} "${group_count_${group_id}} + 1")
endforeach()

foreach(group IN LISTS groups)
  string(MAKE_C_IDENTIFIER "${group}" group_id)
  set(count ${group_count_${group_id}})
  math(EXPR shards "(${count} + ${TESTS_PER_SHARD} - 1) / ${TESTS_PER_SHARD}")
  math(EXPR timeout "60 + ${GROUP_TIMEOUT_PER_TEST} * ((${count} + ${shards} - 1) / ${shards})")
  math(EXPR last "${shards} - 1")
  foreach(shard RANGE ${last})
    if(shards EQUAL 1)
      set(name "${group}")
    else()
      math(EXPR shown "${shard} + 1")
      set(name "${group}:${shown}of${shards}")
    endif()
    add_test("${name}" "${TEST_BINARY}" "--gtest_filter=${group_filter_${group_id}}")
    set_tests_properties("${name}" PROPERTIES LABELS "${group_labels_${group_id}}" TIMEOUT ${timeout}
                         ENVIRONMENT "GTEST_TOTAL_SHARDS=${shards};GTEST_SHARD_INDEX=${shard}")
  endforeach()
endforeach()
