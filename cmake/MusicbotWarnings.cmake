# Warning flags applied to every musicbot target (never to consumers).
# -Wnull-dereference is left out: GCC 12 reports false positives with it in
# optimised builds (the ci preset), inside std::optional and Asio code.
set(MUSICBOT_WARNING_FLAGS
  -Wall -Wextra -Wpedantic -Wconversion -Wsign-conversion -Wshadow
  -Wnon-virtual-dtor -Wold-style-cast -Wcast-align -Woverloaded-virtual
  -Wdouble-promotion -Wformat=2 -Wimplicit-fallthrough
  -Wmisleading-indentation)
if(CMAKE_CXX_COMPILER_ID STREQUAL "GNU")
  # GCC 12 pairs a coroutine frame's class-specific operator delete with the
  # global operator new in optimised builds and reports every Asio
  # awaitable as a mismatch: a false positive (GCC bug 109224).
  list(APPEND MUSICBOT_WARNING_FLAGS -Wno-mismatched-new-delete)
endif()

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
