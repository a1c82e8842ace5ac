# runnel_layer(<target> <folder> USES <folder> ...  [LIBRARIES <header> ...])
#
# Declares that <target>'s sources live in <folder> and may include headers of its own folder
# and of the folders it USES — the layers below it — and no others; and which of the library
# headers kept for particular layers (uv.h, toml++, hiredis) it may include. Every build checks
# the folder's files first (check_includes.cmake), so a wrong include fails the build even where
# the compiler could find the header.
function(runnel_layer target folder)
  cmake_parse_arguments(LAYER "" "" "USES;LIBRARIES" ${ARGN})
  set(dir "${CMAKE_SOURCE_DIR}/${folder}")
  file(GLOB_RECURSE watched CONFIGURE_DEPENDS "${dir}/*.h" "${dir}/*.cc")
  string(MAKE_C_IDENTIFIER "${target}" id)
  set(stamp "${CMAKE_BINARY_DIR}/layering/${id}.ok")
  file(MAKE_DIRECTORY "${CMAKE_BINARY_DIR}/layering")  # the check touches its stamp there
  # Lists travel as comma-separated text: a ';' would split the command line.
  string(REPLACE ";" "," allowed "${folder};${LAYER_USES}")
  string(REPLACE ";" "," libraries "${LAYER_LIBRARIES}")
  add_custom_command(
    OUTPUT "${stamp}"
    COMMAND ${CMAKE_COMMAND} "-DFOLDER=${dir}" "-DROOT=${CMAKE_SOURCE_DIR}"
            "-DALLOWED=${allowed}" "-DSYSTEM=${libraries}" "-DSTAMP=${stamp}"
            -P "${CMAKE_SOURCE_DIR}/cmake/check_includes.cmake"
    DEPENDS ${watched} "${CMAKE_SOURCE_DIR}/cmake/check_includes.cmake"
    COMMENT "Checking the includes of ${folder}/"
    VERBATIM)
  add_custom_target(${id}_layering DEPENDS "${stamp}")
  add_dependencies(${target} ${id}_layering)
endfunction()
