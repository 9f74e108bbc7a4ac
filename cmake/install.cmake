# cmake --install: the programs, the man pages (with the project version,
# cmake/man_pages.cmake), the static and shared libraries, the public
# headers, mctable.pc and a CMake package (find_package(mctable) gives
# mctable::mctable and mctable::mctable_static), and mctabled's systemd
# unit, sysusers.d file and example configuration.  The unit names the
# programs' and configuration's paths under CMAKE_INSTALL_PREFIX as
# configured (not a --prefix given to cmake --install).
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

# The libdir may be several levels deep (Debian's lib/x86_64-linux-gnu).
file(RELATIVE_PATH MCTABLE_PC_TO_PREFIX ${CMAKE_INSTALL_FULL_LIBDIR}/pkgconfig ${CMAKE_INSTALL_PREFIX})
configure_file(cmake/mctable.pc.in ${CMAKE_BINARY_DIR}/mctable.pc @ONLY)
install(FILES ${CMAKE_BINARY_DIR}/mctable.pc DESTINATION ${CMAKE_INSTALL_LIBDIR}/pkgconfig)

# mctabled's systemd unit, its sysusers.d file (the mctabled user) and the
# example configuration.  The unit directory is relative to the prefix
# unless given absolute (the Debian package gives /lib/systemd/system).
set(MCTABLE_SYSTEMD_UNIT_DIR lib/systemd/system CACHE STRING "Where the systemd unit is installed")
set(MCTABLE_SYSUSERS_DIR lib/sysusers.d CACHE STRING "Where the sysusers.d file is installed")
set(MCTABLE_FULL_SBINDIR ${CMAKE_INSTALL_FULL_SBINDIR})
set(MCTABLE_FULL_SYSCONFDIR ${CMAKE_INSTALL_FULL_SYSCONFDIR})
set(MCTABLE_FULL_DOCDIR ${CMAKE_INSTALL_FULL_DOCDIR})
configure_file(packaging/mctabled.service.in ${CMAKE_BINARY_DIR}/mctabled.service @ONLY)
install(FILES ${CMAKE_BINARY_DIR}/mctabled.service DESTINATION ${MCTABLE_SYSTEMD_UNIT_DIR})
install(FILES packaging/mctabled.sysusers DESTINATION ${MCTABLE_SYSUSERS_DIR} RENAME mctabled.conf)
install(FILES packaging/mctabled.conf.example DESTINATION ${CMAKE_INSTALL_DOCDIR}/examples
        RENAME mctabled.conf)
