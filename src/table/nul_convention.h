// The trailing-NUL convention of a file table (Postfix's DICT_FLAG_TRY1NULL
// and DICT_FLAG_TRY0NULL).
//
// Undecided (NulMode::kTypeDefault) means "try both": a lookup or delete
// tries the key with a NUL first, then without, and the first form that is
// found decides for the rest of the table's life, as Postfix's dict_lmdb,
// dict_db and dict_cdb do.  An update while still undecided picks the
// type's write default (with NUL for lmdb, hash and btree on Linux; without
// for cdb, as Debian's postmap writes them).  Cannot fail.
#ifndef MCTABLE_TABLE_NUL_CONVENTION_H_
#define MCTABLE_TABLE_NUL_CONVENTION_H_

#include "mctable/table.h"

namespace mctable {

class NulConvention {
 public:
  NulConvention(NulMode mode, bool write_default_with_nul)
      : try_with_nul_(mode != NulMode::kOmit),
        try_without_nul_(mode != NulMode::kInclude),
        write_default_with_nul_(write_default_with_nul) {}

  bool try_with_nul() const { return try_with_nul_; }
  bool try_without_nul() const { return try_without_nul_; }

  // A lookup or delete found the key in this form: stick to it.
  void FoundWithNul() { try_without_nul_ = false; }
  void FoundWithoutNul() { try_with_nul_ = false; }

  // Decides (once) for an update and says whether to append the NUL.
  bool DecideForWrite() {
    if (try_with_nul_ && try_without_nul_) {
      if (write_default_with_nul_)
        try_without_nul_ = false;
      else
        try_with_nul_ = false;
    }
    return try_with_nul_;
  }

 private:
  bool try_with_nul_;
  bool try_without_nul_;
  bool write_default_with_nul_;
};

}  // namespace mctable

#endif  // MCTABLE_TABLE_NUL_CONVENTION_H_
