# Warning flags applied to every musicbot target (never to consumers).
# -Wnull-dereference is left out: GCC 12 reports false positives with it in
# optimised builds (the ci preset), inside std::optional and Asio code.
set(MUSICBOT_WARNING_FLAGS
  -Wall -Wextra -Wpedantic -Wconversion -Wsign-conversion -Wshadow
  -Wnon-virtual-dtor -Wold-style-cast -Wcast-align -Woverloaded-virtual
  -Wdouble-promotion -Wformat=2 -Wimplicit-fallthrough
  -Wmisleading-indentation)

function(musicbot_set_warnings target)
  get_target_property(_type ${target} TYPE)
  if(_type STREQUAL "INTERFACE_LIBRARY")
    return()
  endif()
  target_compile_options(${target} PRIVATE ${MUSICBOT_WARNING_FLAGS})
  if(MUSICBOT_WARNINGS_AS_ERRORS)
    target_compile_options(${target} PRIVATE -Werror)
  endif()
endfunction()
