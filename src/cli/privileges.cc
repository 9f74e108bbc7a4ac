// Mode and owner taken from the source; see privileges.h.
#include "cli/privileges.h"

#include <errno.h>
#include <grp.h>
#include <string.h>
#include <unistd.h>

#include <string>

namespace mctable {
namespace {

Status IdError(const char* call, unsigned id) {
  return Status::ConfigError(std::string(call) + " " + std::to_string(id) + ": " + strerror(errno));
}

}  // namespace

int InheritedTableMode(const struct stat& source, bool inherit_mode) {
  if (!inherit_mode || !S_ISREG(source.st_mode)) return 0644;
  // postmap: umask 022 plus the group/other bits the source lacks.
  return 0644 & ~(022 | (~source.st_mode & 077));
}

Status RunAsSourceOwner(const struct stat& source) {
  if (getuid() != 0) return Status::OK();
  if (source.st_uid == geteuid() && source.st_gid == getegid()) return Status::OK();
  if (geteuid() != 0 && seteuid(0) != 0) return IdError("seteuid", 0);  // back from an earlier table's owner
  if (setegid(source.st_gid) != 0) return IdError("setegid", source.st_gid);
  if (setgroups(1, &source.st_gid) != 0) return IdError("setgroups", source.st_gid);
  if (source.st_uid != 0 && seteuid(source.st_uid) != 0) return IdError("seteuid", source.st_uid);
  return Status::OK();
}

}  // namespace mctable
