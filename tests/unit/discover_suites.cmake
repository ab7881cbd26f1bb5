# Registers one CTest test per GoogleTest suite of the unit-test binary (run after each link of it).
#
# One process per suite rather than one per test (what gtest_discover_tests does): starting the binary costs
# about 0.4 s under ASan, and with ~500 tests that was two minutes of the ASan suite for ten seconds of
# testing. `ctest -R Balancer` still selects a suite; `unit_tests --gtest_filter=...` selects single tests.
#
# Inputs: TEST_EXECUTABLE, CTEST_FILE, WORKING_DIRECTORY.
execute_process(COMMAND "${TEST_EXECUTABLE}" --gtest_list_tests
                OUTPUT_VARIABLE listing RESULT_VARIABLE status TIMEOUT 60
                WORKING_DIRECTORY "${WORKING_DIRECTORY}")
if(NOT status EQUAL 0)
  message(FATAL_ERROR "${TEST_EXECUTABLE} --gtest_list_tests failed (${status}):\n${listing}")
endif()

# Suite lines start in column 0 ("Balancer." or "X509Limbo/Limbo."); test lines are indented. Parameter
# values printed after a test name may hold ';', CMake's list separator, so those go first.
string(REPLACE ";" "," listing "${listing}")
string(REPLACE "\n" ";" lines "${listing}")
set(script "")
foreach(line IN LISTS lines)
  if(line MATCHES "^([A-Za-z_][A-Za-z0-9_/]*)\\.( |$)")
    set(suite "${CMAKE_MATCH_1}")
    string(APPEND script
      "add_test([=[unit.${suite}]=] [=[${TEST_EXECUTABLE}]=] [=[--gtest_filter=${suite}.*]=] --gtest_brief=1)\n"
      "set_tests_properties([=[unit.${suite}]=] PROPERTIES LABELS unit TIMEOUT 300 "
      "WORKING_DIRECTORY [=[${WORKING_DIRECTORY}]=])\n")
  endif()
endforeach()
if(script STREQUAL "")
  message(FATAL_ERROR "${TEST_EXECUTABLE} lists no test suites")
endif()
file(WRITE "${CTEST_FILE}" "${script}")
