// ReplacementFile: the one way lmdb, hash, btree and cdb rebuild a table
// ("mctable type:/path/file"): a new file is written beside the table and
// renamed over it when complete, so readers see the old table or the new
// one, never half of either, and an abandoned build leaves the old table
// as it was.
//
// Lock: Begin() takes a shared lock (style of the type: fcntl for lmdb,
// flock for Berkeley DB) on the table file now at `path`, following a file
// that another rebuild renames into place meanwhile; writers of the table
// (who need the exclusive lock) wait until the new file is in place, while
// readers go on.  The lock is held until destruction.  (An update, -i, is
// never a replacement: other writers waiting for the old file's lock would
// write into the discarded file; see saved_copy.h.)
//
// Mode and owner (postmap's rule, kept in this one place): the new file
// gets the mode, owner and group of the table it replaces; a table that
// did not exist gets `new_file_mode` (OpenOptions::new_file_mode, see
// NewTableFileMode) and the process's effective owner and group.  When the
// owner cannot be kept (not root), the build fails rather than changing it.
//
// The temporary file is `path`.XXXXXX (mkstemp: created exclusively, never
// through a symbolic link).  It is registered in temp_file_registry.h while
// it exists.  Commit() renames it over `path` and syncs the directory; the
// caller must have synced the data.  Destruction without Commit() removes
// it.  Errors name the files: "create PATH: REASON", "rename A to B: REASON".
#ifndef MCTABLE_TABLE_REPLACEMENT_FILE_H_
#define MCTABLE_TABLE_REPLACEMENT_FILE_H_

#include <sys/types.h>

#include <string>

#include "mctable/status.h"
#include "mctable/table.h"
#include "table/file_lock.h"

namespace mctable {

// The mode a table file created new gets under `options`.
mode_t NewTableFileMode(const OpenOptions& options);

// Gives the file open as `fd` (named `path` in messages) `mode` and, when
// uid/gid are not -1 and differ from its own, that owner and group.
Status SetFileAttributes(int fd, const std::string& path, mode_t mode, uid_t uid, gid_t gid);

class ReplacementFile {
 public:
  ReplacementFile(std::string path, LockStyle lock_style, mode_t new_file_mode)
      : path_(std::move(path)), lock_style_(lock_style), new_file_mode_(new_file_mode) {}
  ~ReplacementFile();
  ReplacementFile(const ReplacementFile&) = delete;
  ReplacementFile& operator=(const ReplacementFile&) = delete;

  // Locks the existing table (if any) shared and notes its mode and owner.
  Status Begin();
  // Creates the temporary file with the final mode and owner (lmdb, cdb);
  // its read-write descriptor goes to *fd when given (the caller closes it).
  Status CreateTemp(int* fd = nullptr);
  // For a library that insists on creating the file itself (Berkeley DB
  // refuses an empty file): a fresh unused name, then AdoptTemp() with a
  // descriptor of the file the library made there.
  Status ReserveTempName();
  Status AdoptTemp(int fd);
  // Puts the temporary file in place.
  Status Commit();

  const std::string& path() const { return path_; }
  const std::string& temp_path() const { return temp_path_; }
  // The directory of `path` ("." for a bare name), where the temporary
  // file is made: a build's other scratch files belong there too.
  std::string directory() const;

 private:
  void ForgetTemp();

  std::string path_;
  LockStyle lock_style_;
  mode_t new_file_mode_;
  std::string temp_path_;
  int registry_slot_ = -1;
  int lock_fd_ = -1;
  bool existed_ = false;
  mode_t mode_ = 0;
  uid_t uid_ = static_cast<uid_t>(-1);
  gid_t gid_ = static_cast<gid_t>(-1);
};

}  // namespace mctable

#endif  // MCTABLE_TABLE_REPLACEMENT_FILE_H_
