// What mctable, like postmap, does with the source of a table it creates:
// the new file's permissions come from the source file's, and a root
// process runs as the source file's owner while it writes (so the table
// gets that owner, and a source owned by someone else cannot make root
// write where that someone could not).  postmap's -p and -o turn each off.
//
// InheritedTableMode() gives the mode for OpenOptions::new_file_mode: 0644
// less the group and other read bits the source lacks when it is a regular
// file (and -p was not given), else 0644.  RunAsSourceOwner(), when the
// real user is root (and -o was not given), switches the effective user,
// group and supplementary groups to the source's owner and group
// (effective ids only: the next table can switch again).  Errors: a
// ConfigError naming the failed call ("setegid 1000: REASON").
#ifndef MCTABLE_CLI_PRIVILEGES_H_
#define MCTABLE_CLI_PRIVILEGES_H_

#include <sys/stat.h>

#include "mctable/status.h"

namespace mctable {

// The mode a table made from a source with this stat gets.
int InheritedTableMode(const struct stat& source, bool inherit_mode);

// Runs as the source's owner (see above); a no-op unless the real user is root.
Status RunAsSourceOwner(const struct stat& source);

}  // namespace mctable

#endif  // MCTABLE_CLI_PRIVILEGES_H_
