// ReadWholeFile: the contents of a file in one string, for the small text
// files mctable reads (table configuration, main.cf, pattern lists, table
// sources).  Callers word the error as Postfix does for their file.
#ifndef MCTABLE_COMMON_READ_FILE_H_
#define MCTABLE_COMMON_READ_FILE_H_

#include <string>

namespace mctable {

// Returns 0, or the errno value of the failure; *open_failed tells whether
// the file could not be opened (ENOENT, EACCES) or not be read (EISDIR, EIO).
int ReadWholeFile(const std::string& path, std::string* text, bool* open_failed);

}  // namespace mctable

#endif  // MCTABLE_COMMON_READ_FILE_H_
