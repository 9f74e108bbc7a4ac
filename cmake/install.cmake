# cmake --install: the command, its man pages, the static and shared
# libraries, the public headers, mctable.pc and a CMake package
# (find_package(mctable) gives mctable::mctable and mctable::mctable_static).
include(CMakePackageConfigHelpers)

install(TARGETS mctable mctabled RUNTIME DESTINATION ${CMAKE_INSTALL_SBINDIR})
include(cmake/man_pages.cmake)
foreach(page ${MCTABLE_MAN_PAGES})
  string(REGEX MATCH "[158]$" section ${page})
  install(FILES ${page} DESTINATION ${CMAKE_INSTALL_MANDIR}/man${section})
endforeach()

install(TARGETS mctable_shared mctable_static EXPORT mctableTargets
        LIBRARY DESTINATION ${CMAKE_INSTALL_LIBDIR}
        ARCHIVE DESTINATION ${CMAKE_INSTALL_LIBDIR}
        INCLUDES DESTINATION ${CMAKE_INSTALL_INCLUDEDIR})
install(DIRECTORY include/mctable DESTINATION ${CMAKE_INSTALL_INCLUDEDIR}
        FILES_MATCHING PATTERN "*.h")

set(MCTABLE_CMAKE_DIR ${CMAKE_INSTALL_LIBDIR}/cmake/mctable)
install(EXPORT mctableTargets NAMESPACE mctable:: DESTINATION ${MCTABLE_CMAKE_DIR})
configure_package_config_file(cmake/mctableConfig.cmake.in
                              ${CMAKE_BINARY_DIR}/mctableConfig.cmake
                              INSTALL_DESTINATION ${MCTABLE_CMAKE_DIR})
write_basic_package_version_file(${CMAKE_BINARY_DIR}/mctableConfigVersion.cmake
                                 COMPATIBILITY SameMinorVersion)
install(FILES ${CMAKE_BINARY_DIR}/mctableConfig.cmake ${CMAKE_BINARY_DIR}/mctableConfigVersion.cmake
        DESTINATION ${MCTABLE_CMAKE_DIR})

configure_file(cmake/mctable.pc.in ${CMAKE_BINARY_DIR}/mctable.pc @ONLY)
install(FILES ${CMAKE_BINARY_DIR}/mctable.pc DESTINATION ${CMAKE_INSTALL_LIBDIR}/pkgconfig)

