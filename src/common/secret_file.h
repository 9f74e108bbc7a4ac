// ReadSecretFile: reads a small file that holds a secret (a value-signing
// key, a memcached password) after checking that only its owner and the
// owner's group can get at it.
//
// The rule, chosen so that the usual Postfix layout (root:postfix, mode
// 0640, or the postfix user's own 0600 file) works and nothing looser does:
//   - a regular file (after following symbolic links), at most 64 KB;
//   - no permission bits for others (world), and no group write;
//   - owned by root or by the effective user of this process.
// A file that breaks the rule is refused with a ConfigError naming the file
// (and `what`, e.g. "value_signing_key_file") and saying how to fix it.
// The check is made on the open descriptor, so the file read is the file
// checked.  Messages never include the file's contents.
#ifndef MCTABLE_COMMON_SECRET_FILE_H_
#define MCTABLE_COMMON_SECRET_FILE_H_

#include <string>
#include <string_view>

#include "mctable/status.h"

namespace mctable {

Status ReadSecretFile(const std::string& path, std::string_view what, std::string* contents);

}  // namespace mctable

#endif  // MCTABLE_COMMON_SECRET_FILE_H_
