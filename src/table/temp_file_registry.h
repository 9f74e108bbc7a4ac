// The temporary files of table builds in progress, for a signal handler
// that must remove them without waiting for their owners (a second SIGINT
// while a build is stuck).  The normal path never needs this: an
// interrupted build unwinds and its ReplacementFile removes its own file.
//
// Up to kMaxTempFiles paths of up to PATH_MAX bytes are kept at once; past
// that a path is simply not registered (its owner still removes it).
// Registering and unregistering are thread-safe; RemoveRegisteredTempFiles
// is async-signal-safe.  Nothing here fails.
#ifndef MCTABLE_TABLE_TEMP_FILE_REGISTRY_H_
#define MCTABLE_TABLE_TEMP_FILE_REGISTRY_H_

#include <string>

namespace mctable {

constexpr int kMaxTempFiles = 16;

// Returns a slot number for UnregisterTempFile, or -1 when not registered.
int RegisterTempFile(const std::string& path);
void UnregisterTempFile(int slot);
// Unlinks every registered path (async-signal-safe); the slots stay taken.
void RemoveRegisteredTempFiles();

}  // namespace mctable

#endif  // MCTABLE_TABLE_TEMP_FILE_REGISTRY_H_
