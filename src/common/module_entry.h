// What a module (module_loader.h) exports: its entry points,
// extern "C" and visible (the module is compiled with hidden visibility),
// and the version of the library it was built with, which the loader
// compares with its own before calling anything else.
//
// Objects cross the boundary as the C++ types of the library's internal
// headers: a module is only ever loaded by the library of the same build,
// which the version check enforces.
#ifndef MCTABLE_COMMON_MODULE_ENTRY_H_
#define MCTABLE_COMMON_MODULE_ENTRY_H_

#define MCTABLE_MODULE_ENTRY extern "C" [[gnu::visibility("default")]]

// The symbol the loader checks, and the version it must return.
#define MCTABLE_MODULE_VERSION_SYMBOL "mctable_module_version"
using ModuleVersionFunction = const char* (*)();

#define MCTABLE_DEFINE_MODULE_VERSION \
  MCTABLE_MODULE_ENTRY const char* mctable_module_version() { return MCTABLE_MODULE_ABI; }

#endif  // MCTABLE_COMMON_MODULE_ENTRY_H_
