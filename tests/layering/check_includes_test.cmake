# Proves the layering check (cmake/check_includes.cmake) fails a build for a wrong include and
# passes a right one, on a small tree of two layers made here: `low` may use nothing above it,
# `high` may use `low`. Run as: cmake -DCHECK=<check_includes.cmake> -DWORK=<scratch dir> -P this.
set(root "${WORK}/layering_tree")
file(REMOVE_RECURSE "${root}")
file(WRITE "${root}/low/low.h" "#pragma once\n#include <vector>\n")
file(WRITE "${root}/high/high.h" "#pragma once\n#include \"low/low.h\"\n")

# check(<name> <folder> <allowed> <system> <expect: PASS or FAIL> <file text>)
function(check name folder allowed system expect text)
  file(WRITE "${root}/${folder}/case.cc" "${text}")
  set(stamp "${root}/${name}.ok")
  file(REMOVE "${stamp}")
  execute_process(
    COMMAND ${CMAKE_COMMAND} "-DFOLDER=${root}/${folder}" "-DROOT=${root}" "-DALLOWED=${allowed}"
            "-DSYSTEM=${system}" "-DSTAMP=${stamp}" -P "${CHECK}"
    RESULT_VARIABLE rc OUTPUT_QUIET ERROR_VARIABLE err)
  file(REMOVE "${root}/${folder}/case.cc")
  if(expect STREQUAL "PASS" AND (NOT rc EQUAL 0 OR NOT EXISTS "${stamp}"))
    message(FATAL_ERROR "${name}: the check refused a right include:\n${err}")
  endif()
  if(expect STREQUAL "FAIL" AND (rc EQUAL 0 OR EXISTS "${stamp}"))
    message(FATAL_ERROR "${name}: the check let a wrong include through")
  endif()
  if(expect STREQUAL "FAIL" AND NOT err MATCHES "case.cc")
    message(FATAL_ERROR "${name}: the failure does not name the file:\n${err}")
  endif()
endfunction()

check(down high "high,low" "" PASS "#include \"low/low.h\"\n#include <string>\n")
check(own low "low" "" PASS "#include \"low/low.h\"\n")
check(up low "low" "" FAIL "#include \"high/high.h\"\n")
check(up_spaced low "low" "" FAIL "  #  include \"high/high.h\"\n")
check(libuv low "low" "" FAIL "#include <uv.h>\n")
check(toml low "low" "" FAIL "#include <toml++/toml.hpp>\n")
check(libuv_allowed high "high,low" "uv.h" PASS "#include <uv.h>\n")
message(STATUS "layering check: 7 cases as expected")
