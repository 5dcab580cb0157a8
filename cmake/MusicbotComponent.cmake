# musicbot_add_component(<name>
#     [HEADER_ONLY]
#     [SOURCES <file>...]
#     [DEPENDS <musicbot component>...]     # public, other musicbot components
#     [LINK_PUBLIC <target>...]             # public third-party targets
#     [LINK_PRIVATE <target>...]            # private third-party targets
#     [PACKAGES "<find_dependency args>"...]) # what a consumer must find for it
#
# Creates target musicbot_<name>, its alias musicbot::<name>, installs its
# headers (include/musicbot/<name>) and exports it as its own CMake component,
# so find_package(musicbot COMPONENTS <name>) pulls in exactly that component,
# the components it depends on and their third-party packages.
function(musicbot_add_component name)
  cmake_parse_arguments(PARSE_ARGV 1 arg "HEADER_ONLY"
    "" "SOURCES;DEPENDS;LINK_PUBLIC;LINK_PRIVATE;PACKAGES")
  set(target musicbot_${name})
  if(arg_HEADER_ONLY)
    add_library(${target} INTERFACE)
    set(scope INTERFACE)
  else()
    add_library(${target} ${arg_SOURCES})
    set(scope PUBLIC)
    musicbot_set_warnings(${target})
    set_target_properties(${target} PROPERTIES
      OUTPUT_NAME musicbot_${name}
      VERSION ${PROJECT_VERSION}
      SOVERSION ${PROJECT_VERSION_MAJOR}
      POSITION_INDEPENDENT_CODE ON)
  endif()
  add_library(musicbot::${name} ALIAS ${target})
  set_target_properties(${target} PROPERTIES EXPORT_NAME ${name})
  target_compile_features(${target} ${scope} cxx_std_20)
  target_include_directories(${target} ${scope}
    $<BUILD_INTERFACE:${PROJECT_SOURCE_DIR}/include>
    $<INSTALL_INTERFACE:${CMAKE_INSTALL_INCLUDEDIR}>)
  foreach(dep IN LISTS arg_DEPENDS)
    target_link_libraries(${target} ${scope} musicbot::${dep})
  endforeach()
  if(arg_LINK_PUBLIC)
    target_link_libraries(${target} ${scope} ${arg_LINK_PUBLIC})
  endif()
  if(arg_LINK_PRIVATE)
    target_link_libraries(${target} PRIVATE ${arg_LINK_PRIVATE})
  endif()

  set_property(GLOBAL APPEND PROPERTY MUSICBOT_BUILT_COMPONENTS ${name})
  set_property(GLOBAL PROPERTY MUSICBOT_COMPONENT_${name}_DEPENDS "${arg_DEPENDS}")
  set_property(GLOBAL PROPERTY MUSICBOT_COMPONENT_${name}_PACKAGES "${arg_PACKAGES}")
endfunction()
