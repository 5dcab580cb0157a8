# Not registered yet: the multi-process test waits for the Redis identify
# coordinator to be wired into the bot (its last assertion needs it). Rename
# this file to CMakeLists.txt to build and run it.
# End-to-end tests of the reference bot as it is deployed: real `musicbot`
# processes against the testing kit's fakes, real Redis and PostgreSQL.
if(NOT TARGET musicbot OR NOT TARGET musicbot_testing OR NOT TARGET musicbot_store)
  return()
endif()

musicbot_add_integration_test(musicbot_test_e2e_multiprocess
  SOURCES multiprocess_test.cpp
  LIBS musicbot::testing musicbot::store musicbot::lavalink musicbot_test_support
  TIMEOUT 240
  RESOURCE_LOCK e2e)
target_compile_definitions(musicbot_test_e2e_multiprocess PRIVATE
  MUSICBOT_BOT_EXECUTABLE="$<TARGET_FILE:musicbot>")
add_dependencies(musicbot_test_e2e_multiprocess musicbot)
