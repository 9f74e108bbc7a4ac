# The storage and system libraries the library uses, found once.
# MCTABLE_DEPENDENCY_LIBRARIES lists them for linking; MCTABLE_PC_LIBS_PRIVATE
# is the same as -l flags for mctable.pc.  Optional ones switch a table type
# on with a MCTABLE_HAVE_* definition.
find_package(PkgConfig REQUIRED)
set(MCTABLE_DEPENDENCY_LIBRARIES "")
set(MCTABLE_DEPENDENCY_INCLUDE_DIRS "")
set(MCTABLE_DEPENDENCY_DEFINITIONS "")
set(MCTABLE_PC_LIBS_PRIVATE "")

# mctable_find_dependency(NAME LIBRARY HEADER [REQUIRED | MODULE])
# MODULE: only the type's driver module links the library (module_loader.h),
# the library and programs do not.
macro(mctable_find_dependency name library header)
  find_library(${name}_LIBRARY ${library})
  # Debian keeps the libpq and MariaDB client headers in subdirectories.
  find_path(${name}_INCLUDE_DIR ${header} PATH_SUFFIXES postgresql mariadb)
  if(${name}_LIBRARY AND ${name}_INCLUDE_DIR)
    if(NOT "${ARGN}" STREQUAL "MODULE")
      list(APPEND MCTABLE_DEPENDENCY_LIBRARIES ${${name}_LIBRARY})
      string(APPEND MCTABLE_PC_LIBS_PRIVATE " -l${library}")
    endif()
    list(APPEND MCTABLE_DEPENDENCY_INCLUDE_DIRS ${${name}_INCLUDE_DIR})
    list(APPEND MCTABLE_DEPENDENCY_DEFINITIONS MCTABLE_HAVE_${name}=1)
    set(MCTABLE_HAVE_${name} ON)
  elseif("${ARGN}" STREQUAL "REQUIRED")
    message(FATAL_ERROR "mctable needs ${library} (${header}); on Debian: scripts/install-deps.sh")
  else()
    message(STATUS "mctable: ${library} not found, its table types are left out")
  endif()
endmacro()

mctable_find_dependency(LMDB lmdb lmdb.h REQUIRED)
mctable_find_dependency(BDB db-5.3 db.h)
mctable_find_dependency(CDB cdb cdb.h)
# Unicode case folding of keys under smtputf8_enable, as Debian's Postfix does it.
mctable_find_dependency(ICU icuuc unicode/casemap.h REQUIRED)
# OpenSSL: key_digest and value signing (libcrypto), TLS to memcached
# (libssl); linked into mctable-openssl.so only (cmake/modules.cmake).
mctable_find_dependency(OPENSSL_SSL ssl openssl/ssl.h MODULE)
mctable_find_dependency(OPENSSL_CRYPTO crypto openssl/evp.h MODULE)
if(NOT MCTABLE_HAVE_OPENSSL_SSL OR NOT MCTABLE_HAVE_OPENSSL_CRYPTO)
  message(FATAL_ERROR "mctable needs OpenSSL (libssl-dev); on Debian: scripts/install-deps.sh")
endif()
# The SQL table types (sqlite:, pgsql:, mysql:).  The PostgreSQL and MariaDB
# clients are linked into driver modules loaded on demand: libpq alone (with
# gnutls, krb5 and ldap) costs every process that maps it about 5 MB.
mctable_find_dependency(SQLITE sqlite3 sqlite3.h)
mctable_find_dependency(PGSQL pq libpq-fe.h MODULE)
mctable_find_dependency(MYSQL mariadb mysql.h MODULE)
# ldap: (OpenLDAP's libldap), linked into mctable-ldap.so only.
mctable_find_dependency(LDAP ldap ldap.h MODULE)
find_library(LBER_LIBRARY lber)

# Include paths and definitions of a build of the library sources (the
# regular one, and the instrumented one in fuzz/).
function(mctable_library_setup target)
  target_include_directories(${target} PUBLIC ${CMAKE_SOURCE_DIR}/include ${CMAKE_SOURCE_DIR}/src
                             ${MCTABLE_DEPENDENCY_INCLUDE_DIRS})
  target_compile_definitions(${target} PUBLIC ${MCTABLE_DEPENDENCY_DEFINITIONS})
endfunction()
