# Run at every build (cmake -P): stamps the git revision into version.h, so a result names the code that
# made it even after commits that needed no reconfigure; "-dirty" when tracked files differ from it.
# configure_file rewrites the header only when its text changes, so an unchanged revision rebuilds nothing.
execute_process(COMMAND git rev-parse --short=12 HEAD WORKING_DIRECTORY "${SOURCE_DIR}"
                OUTPUT_VARIABLE FORMBENCH_GIT_REV OUTPUT_STRIP_TRAILING_WHITESPACE RESULT_VARIABLE rc ERROR_QUIET)
if(rc OR NOT FORMBENCH_GIT_REV)
  set(FORMBENCH_GIT_REV "unknown")
else()
  execute_process(COMMAND git diff --quiet HEAD -- WORKING_DIRECTORY "${SOURCE_DIR}" RESULT_VARIABLE dirty ERROR_QUIET)
  if(dirty EQUAL 1)
    string(APPEND FORMBENCH_GIT_REV "-dirty")
  endif()
endif()
configure_file("${SOURCE_DIR}/src/core/version.h.in" "${OUT}" @ONLY)
