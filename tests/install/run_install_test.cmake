# cmake -P script: install the build tree, then build consumers against it.
#  1. core only, with Boost hidden from find_package: core needs std only;
#  2. every installed component (no COMPONENTS): musicbot::musicbot;
#  3. an unknown component: configure must fail with a clear message.
file(REMOVE_RECURSE ${WORK_DIR})
set(prefix ${WORK_DIR}/prefix)

function(run)
  execute_process(COMMAND ${ARGN} RESULT_VARIABLE rc OUTPUT_VARIABLE out ERROR_VARIABLE err)
  if(NOT rc EQUAL 0)
    message(FATAL_ERROR "command failed (${rc}): ${ARGN}\n${out}\n${err}")
  endif()
endfunction()

run(${CMAKE_COMMAND} --install ${BUILD_DIR} --prefix ${prefix})

# 1. core only; Boost must not be needed.
run(${CMAKE_COMMAND} -S ${CONSUMER_DIR} -B ${WORK_DIR}/core -G ${GENERATOR}
    -DCMAKE_CXX_COMPILER=${CXX_COMPILER}
    -DCMAKE_PREFIX_PATH=${prefix} -DCMAKE_DISABLE_FIND_PACKAGE_Boost=ON
    -DMUSICBOT_CONSUMER_COMPONENTS=core)
run(${CMAKE_COMMAND} --build ${WORK_DIR}/core)
run(${WORK_DIR}/core/consumer)

# 2. everything that was installed.
run(${CMAKE_COMMAND} -S ${CONSUMER_DIR} -B ${WORK_DIR}/all -G ${GENERATOR}
    -DCMAKE_CXX_COMPILER=${CXX_COMPILER}
    -DCMAKE_PREFIX_PATH=${prefix} -DMUSICBOT_CONSUMER_COMPONENTS=)
run(${CMAKE_COMMAND} --build ${WORK_DIR}/all)
run(${WORK_DIR}/all/consumer)

# 3. an unknown component fails clearly.
execute_process(
  COMMAND ${CMAKE_COMMAND} -S ${CONSUMER_DIR} -B ${WORK_DIR}/unknown -G ${GENERATOR}
    -DCMAKE_CXX_COMPILER=${CXX_COMPILER}
    -DCMAKE_PREFIX_PATH=${prefix} "-DMUSICBOT_CONSUMER_COMPONENTS=core;no_such_component"
  RESULT_VARIABLE rc OUTPUT_VARIABLE out ERROR_VARIABLE err)
if(rc EQUAL 0)
  message(FATAL_ERROR "find_package accepted an unknown component")
endif()
if(NOT "${out}${err}" MATCHES "no_such_component' is unknown or was not built")
  message(FATAL_ERROR "unclear error for an unknown component:\n${out}\n${err}")
endif()
message(STATUS "install test: all consumers passed")
