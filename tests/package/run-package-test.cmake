# Installs the eqlc build tree to a scratch prefix, then configures, builds and runs the consumer project
# in tests/package against it. Run as a ctest (see tests/CMakeLists.txt) with:
#   cmake -DEQLC_BUILD_DIR=... -DWORK_DIR=... -DCONSUMER_SOURCE_DIR=... -DGENERATOR=... -DCXX_COMPILER=...
#         -DBUILD_TYPE=... [-DSHARED=ON -DLIBDIR=lib -DSOURCE_DIR=... -DSANITIZE=OFF] -P run-package-test.cmake
# With SHARED, it also builds the C example (c/c_example.c) with nothing but `cc` and pkg-config against the installed
# libeqlc.so, checks that the library exports only the C API, and runs the example: the WMI rule over rules/samples
# must give exactly the alerts of rules/samples/expected_alerts.json.
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

if(NOT SHARED)
  return()
endif()
foreach(var LIBDIR SOURCE_DIR)
  if(NOT DEFINED ${var})
    message(FATAL_ERROR "run-package-test.cmake: ${var} is not set")
  endif()
endforeach()

set(libdir "${prefix}/${LIBDIR}")
if(NOT EXISTS "${libdir}/libeqlc.so" OR NOT EXISTS "${libdir}/pkgconfig/eqlc.pc")
  message(FATAL_ERROR "package test: libeqlc.so or pkgconfig/eqlc.pc was not installed under ${libdir}")
endif()

# Only the C API is exported.
find_program(nm_exe nm)
if(nm_exe)
  execute_process(COMMAND "${nm_exe}" -D --defined-only "${libdir}/libeqlc.so" OUTPUT_VARIABLE symbols RESULT_VARIABLE rc)
  string(REGEX MATCHALL "[^\n]+" symbols "${symbols}")
  set(foreign "")
  foreach(line IN LISTS symbols)
    if(NOT line MATCHES " eqlc_[a-z0-9_]+(@@EQLC_0)?$" AND NOT line MATCHES " EQLC_0$")
      list(APPEND foreign "${line}")
    endif()
  endforeach()
  if(foreign)
    message(FATAL_ERROR "package test: libeqlc.so exports more than the C API: ${foreign}")
  endif()
endif()

# The C example, built the way a C user would: plain cc and pkg-config.
find_program(cc_exe NAMES cc gcc clang REQUIRED)
set(example "${WORK_DIR}/c_example")
set(extra_flags "")
if(SANITIZE)
  set(extra_flags "-fsanitize=address,undefined")  # the library's sanitizer runtimes must come first
endif()
run_step(build-c-example sh -c "PKG_CONFIG_PATH='${libdir}/pkgconfig' && export PKG_CONFIG_PATH && \
'${cc_exe}' -std=c99 -Wall -Wextra -Wpedantic -Werror ${extra_flags} '${CONSUMER_SOURCE_DIR}/c/c_example.c' \
-o '${example}' $(pkg-config --cflags --libs eqlc)")

set(samples "${SOURCE_DIR}/rules/samples")
file(READ "${samples}/expected_alerts.json" truth)
string(JSON files_count LENGTH "${truth}" files)
set(sample_files "")
set(expected "")  # per alert: its events' labels.event, in file order
math(EXPR last_file "${files_count} - 1")
foreach(f RANGE ${last_file})
  string(JSON file_name MEMBER "${truth}" files ${f})
  list(APPEND sample_files "${samples}/${file_name}")
  string(JSON alert_count LENGTH "${truth}" files "${file_name}" alerts)
  if(alert_count GREATER 0)
    math(EXPR last_alert "${alert_count} - 1")
    foreach(a RANGE ${last_alert})
      string(JSON first GET "${truth}" files "${file_name}" alerts ${a} events 0)
      string(JSON second GET "${truth}" files "${file_name}" alerts ${a} events 1)
      list(APPEND expected "${first} ${second}")
    endforeach()
  endif()
endforeach()

message(STATUS "package test: run-c-example")
execute_process(COMMAND "${CMAKE_COMMAND}" -E env "LD_LIBRARY_PATH=${libdir}"
                        "${example}" "${SOURCE_DIR}/rules/wmi_incoming_lateral_movement.toml" ${sample_files}
                OUTPUT_VARIABLE alerts_out ERROR_VARIABLE alerts_err RESULT_VARIABLE rc)
if(NOT rc EQUAL 1 OR alerts_err MATCHES "Sanitizer")  # 1: alerts found (also ASan's status: look at stderr)
  message(FATAL_ERROR "package test: the C example exited with ${rc}: ${alerts_err}")
endif()
string(REGEX MATCHALL "[^\n]+" alert_lines "${alerts_out}")
set(got "")
foreach(line IN LISTS alert_lines)
  string(JSON first GET "${line}" events 0 _source labels event)
  string(JSON second GET "${line}" events 1 _source labels event)
  list(APPEND got "${first} ${second}")
endforeach()
list(LENGTH got got_count)
list(LENGTH expected expected_count)
if(NOT got STREQUAL expected)
  message(FATAL_ERROR "package test: the C example gave ${got_count} alerts, expected ${expected_count}\n"
                      "got: ${got}\nexpected: ${expected}\n${alerts_err}")
endif()
message(STATUS "package test: the C example gave the ${got_count} expected alerts")
