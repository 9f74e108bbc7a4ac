# The man pages as installed: man/*.[158] with the version in each page's
# .TH footer ("mctable X.Y.Z") replaced by the project version, written to
# ${CMAKE_BINARY_DIR}/man/.  The pages in man/ stay readable as they are
# (man man/mctable.1); the installed ones cannot carry a stale version.  A
# page whose .TH line has no "mctable X.Y.Z" stops the configuration, so a
# new page cannot slip through with a footer of its own.
set(MCTABLE_MAN_BUILD_DIR ${CMAKE_BINARY_DIR}/man)
file(MAKE_DIRECTORY ${MCTABLE_MAN_BUILD_DIR})
file(GLOB MCTABLE_MAN_SOURCES CONFIGURE_DEPENDS ${CMAKE_SOURCE_DIR}/man/*.[158])
set(MCTABLE_MAN_PAGES "")
foreach(source ${MCTABLE_MAN_SOURCES})
  get_filename_component(page ${source} NAME)
  file(READ ${source} text)
  string(REGEX MATCH "^\\.TH [^\n]*\"mctable [0-9]+\\.[0-9]+\\.[0-9]+\"" th_line "${text}")
  if(NOT th_line)
    message(FATAL_ERROR "man/${page}: the first line must be .TH ... \"mctable X.Y.Z\" ...")
  endif()
  string(REGEX REPLACE "^(\\.TH [^\n]*\"mctable )[0-9]+\\.[0-9]+\\.[0-9]+\"" "\\1${PROJECT_VERSION}\""
         text "${text}")
  # Written only when changed, so that a reconfiguration rebuilds nothing.
  file(WRITE ${CMAKE_BINARY_DIR}/CMakeFiles/man.tmp "${text}")
  file(COPY_FILE ${CMAKE_BINARY_DIR}/CMakeFiles/man.tmp ${MCTABLE_MAN_BUILD_DIR}/${page} ONLY_IF_DIFFERENT)
  list(APPEND MCTABLE_MAN_PAGES ${MCTABLE_MAN_BUILD_DIR}/${page})
endforeach()
