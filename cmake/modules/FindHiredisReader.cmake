# FindHiredisReader
# -----------------
# Finds hiredis (only its RESP reader is used by musicbot::redis) and creates
# the imported target hiredis::hiredis. Debian ships headers and library but
# no CMake package; pkg-config is used when present, plain find_* otherwise.
#
# Result variables: HiredisReader_FOUND, HiredisReader_INCLUDE_DIR,
# HiredisReader_LIBRARY, HiredisReader_VERSION.
include(FindPackageHandleStandardArgs)

find_package(PkgConfig QUIET)
if(PKG_CONFIG_FOUND)
  pkg_check_modules(PC_HIREDIS QUIET hiredis)
endif()

find_path(HiredisReader_INCLUDE_DIR hiredis/read.h HINTS ${PC_HIREDIS_INCLUDE_DIRS})
find_library(HiredisReader_LIBRARY NAMES hiredis HINTS ${PC_HIREDIS_LIBRARY_DIRS})

if(HiredisReader_INCLUDE_DIR AND EXISTS "${HiredisReader_INCLUDE_DIR}/hiredis/hiredis.h")
  file(STRINGS "${HiredisReader_INCLUDE_DIR}/hiredis/hiredis.h" _hiredis_version_lines
       REGEX "^#define HIREDIS_(MAJOR|MINOR|PATCH) [0-9]+")
  foreach(_part MAJOR MINOR PATCH)
    string(REGEX REPLACE ".*#define HIREDIS_${_part} ([0-9]+).*" "\\1" _hiredis_${_part} "${_hiredis_version_lines}")
  endforeach()
  set(HiredisReader_VERSION "${_hiredis_MAJOR}.${_hiredis_MINOR}.${_hiredis_PATCH}")
endif()

find_package_handle_standard_args(HiredisReader
  REQUIRED_VARS HiredisReader_LIBRARY HiredisReader_INCLUDE_DIR
  VERSION_VAR HiredisReader_VERSION)

if(HiredisReader_FOUND AND NOT TARGET hiredis::hiredis)
  add_library(hiredis::hiredis UNKNOWN IMPORTED)
  set_target_properties(hiredis::hiredis PROPERTIES
    IMPORTED_LOCATION "${HiredisReader_LIBRARY}"
    INTERFACE_INCLUDE_DIRECTORIES "${HiredisReader_INCLUDE_DIR}")
endif()
mark_as_advanced(HiredisReader_INCLUDE_DIR HiredisReader_LIBRARY)
