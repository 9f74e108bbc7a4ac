// How many records a build of "type:/path" is likely to store, from the
// size of its source file /path (postmap's convention: the table is named
// after its source): the size over a typical line of 50 bytes, or 0 (not
// known) when there is no such file (a library caller building from other
// data).  Only a sizing hint (a filter, a hash table's initial buckets):
// wrong guesses cost speed, never correctness.  Cannot fail.
#ifndef MCTABLE_TABLE_EXPECTED_RECORDS_H_
#define MCTABLE_TABLE_EXPECTED_RECORDS_H_

#include <sys/stat.h>

#include <cstddef>
#include <string>

namespace mctable {

inline size_t ExpectedRecords(const std::string& source_path) {
  struct stat st;
  if (stat(source_path.c_str(), &st) != 0 || !S_ISREG(st.st_mode)) return 0;
  return static_cast<size_t>(st.st_size) / 50 + 1;
}

}  // namespace mctable

#endif  // MCTABLE_TABLE_EXPECTED_RECORDS_H_
