# cmake -P: runs EXAMPLE against a private Redis on a free loopback port.
# Inputs: EXAMPLE, REDIS_SERVER, REDIS_CLI, WORK_DIR. The example gets the
# address as its only argument (`127.0.0.1:<port>`) and must exit 0.
file(REMOVE_RECURSE "${WORK_DIR}")
file(MAKE_DIRECTORY "${WORK_DIR}")
set(pidfile "${WORK_DIR}/redis.pid")

# A port in the dynamic range that nothing answers on; a few tries, since
# another process may take it between the check and Redis' bind.
set(port "")
foreach(attempt RANGE 1 8)
  string(RANDOM LENGTH 4 ALPHABET 0123456789 digits)
  math(EXPR candidate "20000 + ${digits} % 20000")
  execute_process(COMMAND ${REDIS_CLI} -h 127.0.0.1 -p ${candidate} ping
                  RESULT_VARIABLE in_use OUTPUT_QUIET ERROR_QUIET TIMEOUT 5)
  if(in_use EQUAL 0)
    continue()
  endif()
  execute_process(COMMAND ${REDIS_SERVER} --bind 127.0.0.1 --port ${candidate} --save "" --appendonly no
                          --daemonize yes --pidfile ${pidfile} --dir ${WORK_DIR} --logfile ${WORK_DIR}/redis.log
                  RESULT_VARIABLE rc OUTPUT_QUIET ERROR_QUIET TIMEOUT 10)
  foreach(wait RANGE 1 50)
    execute_process(COMMAND ${REDIS_CLI} -h 127.0.0.1 -p ${candidate} ping
                    RESULT_VARIABLE ping OUTPUT_VARIABLE pong ERROR_QUIET TIMEOUT 5)
    if(ping EQUAL 0 AND pong MATCHES "PONG")
      set(port ${candidate})
      break()
    endif()
    execute_process(COMMAND ${CMAKE_COMMAND} -E sleep 0.1)
  endforeach()
  if(port)
    break()
  endif()
endforeach()
if(NOT port)
  message(FATAL_ERROR "could not start redis-server on a free loopback port (see ${WORK_DIR}/redis.log)")
endif()

execute_process(COMMAND ${EXAMPLE} 127.0.0.1:${port}
                RESULT_VARIABLE rc OUTPUT_VARIABLE out ERROR_VARIABLE err TIMEOUT 50)
execute_process(COMMAND ${REDIS_CLI} -h 127.0.0.1 -p ${port} shutdown nosave OUTPUT_QUIET ERROR_QUIET TIMEOUT 5)
message("${out}${err}")
if(NOT rc EQUAL 0)
  message(FATAL_ERROR "the example exited with ${rc}")
endif()
