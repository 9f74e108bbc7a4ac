// SortedSpool: the records of a table build, handed back in the order the
// table stores fastest, in bounded memory.
//
// A Berkeley DB build through a 16 MB cache (Postfix's size, which keeps
// the build's memory at postmap's) pays a page write and a page read for
// most records when they come in source order: the file is several times
// the cache and each record lands on a random page.  Given in key order
// (btree) or in hash-bucket order (hash), each page is filled while it is
// in the cache and written once.
//
// Add() copies records into one buffer of `run_bytes` (anonymous memory,
// returned to the system when the spool no longer needs it); a full buffer
// is sorted and written as a run to an unlinked temporary file in
// `directory`.  Drain() merges the runs (a read buffer of kReadBytes each)
// and calls `emit` for each record in order; a spool of a few hundred
// kilobytes is drained from memory.  The order is stable: records with equal
// sort keys (in particular equal keys) come back in the order they were
// added, so "the first one wins" rules hold, and each record carries its
// sequence number (0, 1, ...) for messages that must follow source order.
//
// kHashBuckets orders records by their Berkeley DB hash (the default hash
// of libdb 5.3, __ham_func5: FNV-1 with a zero basis) bit-reversed, which
// puts the records of each bucket together for any number of buckets.  The
// order only makes a build faster: with another hash the table is the
// same, only slower to make.
//
// Errors: a failed write or read of the temporary file is a TempError
// naming it; Drain stops at the first error `emit` returns and returns it,
// and at an interrupt (common/interrupt.h) returns "interrupted by signal
// N".  Not thread-safe.
#ifndef MCTABLE_TABLE_SORTED_SPOOL_H_
#define MCTABLE_TABLE_SORTED_SPOOL_H_

#include <cstddef>
#include <cstdint>
#include <functional>
#include <string>
#include <string_view>
#include <vector>

#include "mctable/status.h"

namespace mctable {

class SortedSpool {
 public:
  enum class Order { kBytes, kHashBuckets };
  static constexpr size_t kReadBytes = 16 * 1024;

  SortedSpool(Order order, std::string directory, size_t run_bytes);
  ~SortedSpool();
  SortedSpool(const SortedSpool&) = delete;
  SortedSpool& operator=(const SortedSpool&) = delete;

  Status Add(std::string_view key, std::string_view value);

  using Emit = std::function<Status(std::string_view key, std::string_view value, uint64_t sequence)>;
  Status Drain(const Emit& emit);

  // How many runs went to the temporary file (tests, benchmarks).
  size_t runs_written() const { return runs_.size(); }

  // libdb 5.3's default hash (__ham_func5), for the order above.
  static uint32_t BerkeleyDbHash(std::string_view key);

 private:
  struct Run {
    uint64_t offset;
    uint64_t size;
  };
  class RunReader;

  bool Fits(size_t record_bytes) const;
  Status ReserveBuffer();
  void ReleaseBuffer();
  void SortBuffer();
  // Writes at the end of the file and counts it in file_size_.
  Status Append(const char* data, size_t size);
  Status WriteRun();
  Status OpenFile();
  Status DrainBuffer(const Emit& emit);
  Status MergeRuns(const Emit& emit);
  bool Before(std::string_view a_key, uint32_t a_hash, std::string_view b_key, uint32_t b_hash) const;

  Order order_;
  std::string directory_;
  size_t run_bytes_;
  // The buffer: records from the front ("sequence, hash, key size, value
  // size, key, value"), their offsets from the back.
  char* buffer_ = nullptr;
  size_t records_end_ = 0;
  size_t record_count_ = 0;
  uint64_t next_sequence_ = 0;
  int fd_ = -1;
  std::string file_name_;
  uint64_t file_size_ = 0;
  std::vector<Run> runs_;
};

}  // namespace mctable

#endif  // MCTABLE_TABLE_SORTED_SPOOL_H_
