# Table-type modules (src/common/module_loader.h): the pgsql and mysql
# drivers, each a shared object of its own linked with its client library,
# loaded by the library when the first table of the type is opened.
#
# Where the loader looks (module_loader.cc), relative to the program or
# shared library that holds it: modules/ (the build tree), mctable/ (beside
# an installed libmctable.so), and the installed programs' path to
# <libdir>/mctable; then the configured <libdir>/mctable.  No run path: an
# empty run path element (as CMake's padding for the install-time rewrite
# leaves) would make the dynamic loader search the current directory.
set(MCTABLE_MODULE_BUILD_DIR ${CMAKE_BINARY_DIR}/modules)
set(MCTABLE_MODULE_INSTALL_SUBDIR ${CMAKE_INSTALL_LIBDIR}/mctable)
file(RELATIVE_PATH MCTABLE_MODULE_FROM_PROGRAMS ${CMAKE_INSTALL_PREFIX}/${CMAKE_INSTALL_SBINDIR}
     ${CMAKE_INSTALL_PREFIX}/${MCTABLE_MODULE_INSTALL_SUBDIR})
list(APPEND MCTABLE_DEPENDENCY_DEFINITIONS MCTABLE_MODULE_ABI="${PROJECT_VERSION}"
     MCTABLE_MODULE_FROM_PROGRAMS="${MCTABLE_MODULE_FROM_PROGRAMS}"
     MCTABLE_MODULE_INSTALL_DIR="${CMAKE_INSTALL_FULL_LIBDIR}/mctable")

# mctable_add_module(NAME LIBRARIES lib... SOURCES source...): mctable-NAME.so
# from its sources and the library sources they use (compiled into the
# module: it shares no state with the library, only the types of its entry
# points), linked with LIBRARIES.
function(mctable_add_module name)
  cmake_parse_arguments(PARSE_ARGV 1 MODULE "" "" "LIBRARIES;SOURCES")
  set(target mctable_${name}_module)
  add_library(${target} MODULE ${MODULE_SOURCES})
  set_target_properties(${target} PROPERTIES OUTPUT_NAME mctable-${name} PREFIX ""
                        LIBRARY_OUTPUT_DIRECTORY ${MCTABLE_MODULE_BUILD_DIR}
                        CXX_VISIBILITY_PRESET hidden VISIBILITY_INLINES_HIDDEN ON)
  mctable_library_setup(${target})
  target_link_libraries(${target} PRIVATE ${MODULE_LIBRARIES})
  if(NOT MCTABLE_SANITIZE)  # sanitizer runtimes resolve in the program
    target_link_options(${target} PRIVATE -Wl,--no-undefined)
  endif()
  install(TARGETS ${target} LIBRARY DESTINATION ${MCTABLE_MODULE_INSTALL_SUBDIR})
  set(MCTABLE_MODULE_TARGETS ${MCTABLE_MODULE_TARGETS} ${target} PARENT_SCOPE)
endfunction()

# The OpenSSL classes: in mctable-openssl.so; the tests and fuzz targets
# that exercise them directly compile them in as well.
set(MCTABLE_OPENSSL_SOURCES ${CMAKE_SOURCE_DIR}/src/memcache/key_digest.cc
    ${CMAKE_SOURCE_DIR}/src/memcache/value_signing.cc ${CMAKE_SOURCE_DIR}/src/memcache/tls_context.cc
    ${CMAKE_SOURCE_DIR}/src/memcache/tls_transport.cc)
set(MCTABLE_OPENSSL_LIBRARIES ${OPENSSL_SSL_LIBRARY} ${OPENSSL_CRYPTO_LIBRARY})
