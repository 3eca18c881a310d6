# Installs the eqlc build tree to a scratch prefix, then configures, builds and runs the consumer project
# in tests/package against it. Run as a ctest (see tests/CMakeLists.txt) with:
#   cmake -DEQLC_BUILD_DIR=... -DWORK_DIR=... -DCONSUMER_SOURCE_DIR=... -DGENERATOR=... -DCXX_COMPILER=...
#         -DBUILD_TYPE=... -P run-package-test.cmake
foreach(var EQLC_BUILD_DIR WORK_DIR CONSUMER_SOURCE_DIR GENERATOR CXX_COMPILER)
  if(NOT DEFINED ${var})
    message(FATAL_ERROR "run-package-test.cmake: ${var} is not set")
  endif()
endforeach()

function(run_step name)
  message(STATUS "package test: ${name}: ${ARGN}")
  execute_process(COMMAND ${ARGN} RESULT_VARIABLE rc)
  if(NOT rc EQUAL 0)
    message(FATAL_ERROR "package test: ${name} failed (${rc})")
  endif()
endfunction()

file(REMOVE_RECURSE "${WORK_DIR}")
set(prefix "${WORK_DIR}/prefix")
set(consumer_build "${WORK_DIR}/consumer")

run_step(install "${CMAKE_COMMAND}" --install "${EQLC_BUILD_DIR}" --prefix "${prefix}")
if(NOT EXISTS "${prefix}/include/eqlc/diagnostics.hpp")
  message(FATAL_ERROR "package test: headers were not installed under ${prefix}/include")
endif()
file(GLOB_RECURSE config_files "${prefix}/*/eqlcConfig.cmake")
if(NOT config_files)
  message(FATAL_ERROR "package test: no eqlcConfig.cmake installed under ${prefix}")
endif()

set(configure_args -S "${CONSUMER_SOURCE_DIR}" -B "${consumer_build}" -G "${GENERATOR}"
    "-DCMAKE_PREFIX_PATH=${prefix}" "-DCMAKE_CXX_COMPILER=${CXX_COMPILER}")
if(BUILD_TYPE)
  list(APPEND configure_args "-DCMAKE_BUILD_TYPE=${BUILD_TYPE}")
endif()
run_step(configure "${CMAKE_COMMAND}" ${configure_args})
run_step(build "${CMAKE_COMMAND}" --build "${consumer_build}")

find_program(consumer_exe consumer PATHS "${consumer_build}" "${consumer_build}/${BUILD_TYPE}" NO_DEFAULT_PATH)
if(NOT consumer_exe)
  message(FATAL_ERROR "package test: the consumer executable was not built in ${consumer_build}")
endif()
run_step(run "${consumer_exe}")
