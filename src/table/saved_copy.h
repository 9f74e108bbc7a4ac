// SavedCopy: the bytes of a table file as they were before an update in
// place (hash and btree -i, berkeley_db_table.cc), to put back when the
// update fails half-way (a full disk), so that the table is left as it was
// rather than with half-written pages.
//
// Why not update a copy and rename it into place: other writers (postmap
// -i, postmap -d, Postfix's verify and postscreen caches) that wait for the
// table's lock hold a descriptor of the file they opened and never look
// again after locking.  A file renamed over the table leaves them writing
// into the discarded one.  So the update goes into the table's own file,
// and an undo writes the saved bytes back into that same file.
//
// Save() copies the whole file (the caller holds its exclusive lock, and
// keeps it until the copy is no longer needed) to `path`.XXXXXX beside it
// and syncs the copy; it fails before anything changed ("create TEMP:
// REASON", "copy PATH to TEMP: REASON"), typically on a full disk.
// Restore() writes the saved bytes back over the file from offset 0, cuts
// the file to the saved size and syncs it.  Those bytes lie within the
// file's old extent, so on most file systems they need no new space.  It
// fails naming both files ("copy TEMP to PATH: REASON; the saved copy
// stays at TEMP").
//
// Destruction removes the copy, except after a failed Restore(): then the
// copy stays beside the table for the operator, who is told its name.  The
// copy is deliberately not in temp_file_registry.h: a process killed in
// the middle of an update leaves it beside the table, the one way back.
#ifndef MCTABLE_TABLE_SAVED_COPY_H_
#define MCTABLE_TABLE_SAVED_COPY_H_

#include <sys/types.h>

#include <string>

#include "mctable/status.h"

namespace mctable {

class SavedCopy {
 public:
  explicit SavedCopy(std::string path) : path_(std::move(path)) {}
  ~SavedCopy();
  SavedCopy(const SavedCopy&) = delete;
  SavedCopy& operator=(const SavedCopy&) = delete;

  // Copies the file open as `fd` (the table at `path`).
  Status Save(int fd);
  // Puts the saved bytes back into the file open as `fd`.
  Status Restore(int fd);

  const std::string& copy_path() const { return copy_path_; }

 private:
  std::string path_;
  std::string copy_path_;
  int copy_fd_ = -1;
  off_t size_ = 0;
  bool keep_ = false;  // a failed Restore(): the operator needs the copy
};

}  // namespace mctable

#endif  // MCTABLE_TABLE_SAVED_COPY_H_
