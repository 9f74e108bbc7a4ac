// The trailing-NUL convention of a file table (Postfix's DICT_FLAG_TRY1NULL
// and DICT_FLAG_TRY0NULL), and the one retry loop every file type uses to
// find a key under it.
//
// Undecided (NulMode::kTypeDefault) means "try both": a lookup or delete
// tries the key with a NUL first, then without, and the first form that is
// found decides for the rest of the table's life, as Postfix's dict_lmdb,
// dict_db and dict_cdb do.  An update while still undecided picks the
// type's write default (with NUL for lmdb, hash and btree on Linux; without
// for cdb, as Debian's postmap writes them).  Cannot fail.
#ifndef MCTABLE_TABLE_NUL_CONVENTION_H_
#define MCTABLE_TABLE_NUL_CONVENTION_H_

#include <string>

#include "mctable/status.h"
#include "mctable/table.h"

namespace mctable {

class NulConvention {
 public:
  NulConvention(NulMode mode, bool write_default_with_nul)
      : try_with_nul_(mode != NulMode::kOmit),
        try_without_nul_(mode != NulMode::kInclude),
        write_default_with_nul_(write_default_with_nul) {}

  // Calls probe(data, size) for each stored form of `key` still possible,
  // with NUL first (`data` is key.data(): std::string keeps a NUL after its
  // bytes).  probe returns OK (found: that form decides from now on),
  // NotFound (try the next form) or an error (returned at once).  Empty
  // forms are skipped: no file type stores an empty key.  Returns NotFound
  // when no form was found.
  template <typename Probe>
  Status Find(const std::string& key, Probe probe) {
    for (int with_nul = 1; with_nul >= 0; --with_nul) {
      if (with_nul ? !try_with_nul_ : !try_without_nul_) continue;
      const size_t size = key.size() + static_cast<size_t>(with_nul);
      if (size == 0) continue;
      Status status = probe(key.data(), size);
      if (status.ok()) {
        if (with_nul)
          try_without_nul_ = false;
        else
          try_with_nul_ = false;
        return status;
      }
      if (!status.IsNotFound()) return status;
    }
    return Status::NotFound();
  }

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
