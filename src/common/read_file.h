// ReadWholeFile: the contents of a file in one string, for the small text
// files mctable reads (table configuration, main.cf, pattern lists, table
// sources).  Callers word the error as Postfix does for their file.
#ifndef MCTABLE_COMMON_READ_FILE_H_
#define MCTABLE_COMMON_READ_FILE_H_

#include <cstddef>
#include <string>

namespace mctable {

// Returns 0, or the errno value of the failure; *open_failed tells whether
// the file could not be opened (ENOENT, EACCES) or not be read (EISDIR, EIO).
int ReadWholeFile(const std::string& path, std::string* text, bool* open_failed);

// Appends what is left to read from `fd` (not closed) to *text.  Returns 0,
// the errno value of a failed read, or EFBIG once *text would exceed
// `limit` bytes.  The read buffer is wiped afterwards, so that a secret
// read this way leaves no copy on the stack.
int ReadOpenFile(int fd, size_t limit, std::string* text);

}  // namespace mctable

#endif  // MCTABLE_COMMON_READ_FILE_H_
