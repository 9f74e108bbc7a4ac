// cdb:/path: the constant database /path.cdb via tinycdb, as Debian's
// "postmap cdb:/path" makes it (Postfix's dict_cdb).
//
// Read-only for lookups; building (OpenOptions::truncate or create) streams
// each record into a temporary file beside /path.cdb through tinycdb's
// cdb_make, whose memory is a few bytes per record, and Close() finishes
// the file and puts it in place (replacement_file.h: lock, mode and owner),
// so readers see the old file or the new one.  A cdb cannot be changed in
// place: incremental updates and deletes are Refused, and a table being
// built cannot be read (NotSupported).  Conventions: Debian's postmap
// writes keys and values without a trailing NUL (kTypeDefault writes
// without; lookups try "key\0" then "key" and stick to the first form
// found); fold_keys lowercases lookup and update keys; first/next walk the
// records in file (insertion) order, skipping records a later one replaced.
// Duplicates end as postmap's tinycdb calls leave them, so the files are
// byte for byte postmap's: kWarn keeps the first and warns "/path:
// duplicate entry: "key"", kReplace unindexes the old record, kIgnore
// stores both (lookups find the first).  They are found once the file is
// complete, not record by record (ResolveDuplicates says why): a build is
// linear in time and takes no memory beyond tinycdb's own.  Errors: ConfigError "open database
// /path.cdb: REASON" for a missing or unreadable file; a failed write is a
// TempError naming the table and the key.
#ifdef MCTABLE_HAVE_CDB
#include <cdb.h>
#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <unistd.h>

#include <algorithm>
#include <memory>
#include <string>
#include <unordered_set>
#include <utility>
#include <vector>

#include "mctable/log.h"
#include "mctable/table_registry.h"
#include "table/key_folding.h"
#include "table/key_text.h"
#include "table/nul_convention.h"
#include "table/replacement_file.h"
#include "table/table_types.h"

namespace mctable {
namespace {

// cdb's on-disk layout (tinycdb's and djb's): a 2048-byte header of 256
// (position, slot count) pairs, one per hash table; the records from byte
// 2048 on, each "key length, value length, key, value"; then the 256 hash
// tables, each slot a (hash, record position) pair, position 0 when empty.
// All numbers are 32-bit little-endian (tinycdb's cdb_unpack reads them).
constexpr uint32_t kHeaderBytes = 2048;
constexpr int kHashTables = 256;

// pread of exactly `size` bytes; false with errno set otherwise.
bool ReadFully(int fd, void* buffer, size_t size, off_t offset) {
  char* at = static_cast<char*>(buffer);
  while (size > 0) {
    ssize_t n = ::pread(fd, at, size, offset);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) {
      if (n == 0) errno = EPROTO;  // shorter than its own header says
      return false;
    }
    at += n;
    size -= static_cast<size_t>(n);
    offset += n;
  }
  return true;
}

// The keys stored more than once in the finished cdb file open as `fd`
// (each once), and where its records end.  Equal keys have
// equal hashes and so sit in the same hash table: each table is read and
// sorted by hash, and only records whose hashes are equal are compared.
// Memory: one hash table (two slots per record hashed to it, about 1/128
// of the records) and the duplicate keys.
// Past kMaxDuplicateKeys keys *all_suspect is set instead, and every key
// is checked as postmap checks it: the set's memory stays small (it is
// held while tinycdb's lists are built again).
constexpr size_t kMaxDuplicateKeys = 1024;

bool FindDuplicateKeys(int fd, std::unordered_set<std::string>* duplicates, bool* all_suspect,
                       uint32_t* records_end) {
  unsigned char header[kHeaderBytes];
  if (!ReadFully(fd, header, sizeof header, 0)) return false;
  *records_end = UINT32_MAX;
  std::vector<unsigned char> raw;
  std::vector<std::pair<uint32_t, uint32_t>> slots;  // (hash, record position)
  std::string key, other;
  auto read_key = [fd](uint32_t position, std::string* out) {
    unsigned char lengths[8];
    if (!ReadFully(fd, lengths, sizeof lengths, position)) return false;
    out->resize(cdb_unpack(lengths));
    return ReadFully(fd, out->data(), out->size(), off_t{position} + 8);
  };
  for (int t = 0; t < kHashTables; ++t) {
    const uint32_t position = cdb_unpack(header + 8 * t);
    const uint32_t count = cdb_unpack(header + 8 * t + 4);
    *records_end = std::min(*records_end, position);
    raw.resize(size_t{count} * 8);
    if (!ReadFully(fd, raw.data(), raw.size(), position)) return false;
    slots.clear();
    for (uint32_t i = 0; i < count; ++i) {
      const uint32_t record = cdb_unpack(&raw[8 * i + 4]);
      if (record != 0) slots.emplace_back(cdb_unpack(&raw[8 * i]), record);
    }
    std::sort(slots.begin(), slots.end());
    for (size_t i = 0; i < slots.size();) {
      size_t run = i + 1;
      while (run < slots.size() && slots[run].first == slots[i].first) ++run;
      // A run is almost always one record; a longer one is a duplicate or
      // a 32-bit hash collision, told apart by the keys.
      for (size_t a = i; a + 1 < run && !*all_suspect; ++a) {
        if (!read_key(slots[a].second, &key)) return false;
        if (duplicates->count(key) != 0) continue;
        for (size_t b = a + 1; b < run; ++b) {
          if (!read_key(slots[b].second, &other)) return false;
          if (other != key) continue;
          if (duplicates->size() == kMaxDuplicateKeys) *all_suspect = true;
          else duplicates->insert(key);
          break;
        }
      }
      i = run;
    }
  }
  if (*records_end < kHeaderBytes) *records_end = kHeaderBytes;
  return true;
}

class CdbTable : public Table {
 public:
  CdbTable(std::string path, const OpenOptions& options)
      : Table("cdb", path), options_(options), db_path_(path + ".cdb"),
        nul_(options.nul_mode, /*write_default_with_nul=*/false) {}
  ~CdbTable() override {
    if (making_) {
      // tinycdb frees its record lists only in cdb_make_finish: let it
      // fail to write (no descriptor) and free them.  The unfinished file
      // goes with replacement_.
      maker_.cdb_fd = -1;
      (void)cdb_make_finish(&maker_);
    }
    if (fd_ >= 0) {
      if (!building_) cdb_free(&cdb_);
      ::close(fd_);
    }
  }

  Status Open() {
    building_ = options_.truncate || options_.create;
    if (!building_) {
      fd_ = ::open(db_path_.c_str(), O_RDONLY | O_CLOEXEC);
      if (fd_ < 0) return Status::ConfigError("open database " + db_path_ + ": " + strerror(errno));
      if (cdb_init(&cdb_, fd_) != 0) {
        ::close(fd_);
        fd_ = -1;
        return Status::ConfigError("open database " + db_path_ + ": " + strerror(errno ? errno : EPROTO));
      }
      return Status::OK();
    }
    if (!options_.truncate)
      return Status::Refused("cdb:" + name() + ": incremental update is not supported");
    replacement_ = std::make_unique<ReplacementFile>(db_path_, LockStyle::kFcntl, NewTableFileMode(options_));
    Status status = replacement_->Begin();
    if (status.ok()) status = replacement_->CreateTemp(&fd_);
    if (!status.ok()) return status;
    if (cdb_make_start(&maker_, fd_) != 0)
      return Status::TempError("error writing " + replacement_->temp_path() + ": " + strerror(errno));
    making_ = true;
    return Status::OK();
  }

  Status Lookup(std::string_view raw_key, std::string* value) override {
    if (building_)
      return Status::NotSupported("table " + full_name() + ": lookup is not supported while building");
    std::string key = PrepareKey(raw_key, options_);
    return nul_.Find(key, [&](const char* data, size_t size) {
      int rc = cdb_find(&cdb_, data, static_cast<unsigned>(size));
      if (rc < 0) return Status::TempError("error reading " + full_name() + ": " + strerror(errno));
      if (rc == 0) return Status::NotFound();
      std::string found(cdb_datalen(&cdb_), '\0');
      if (cdb_read(&cdb_, found.data(), found.size(), cdb_datapos(&cdb_)) < 0)
        return Status::TempError("error reading " + full_name() + ": " + strerror(errno));
      value->assign(UpToNul(found));
      return Status::OK();
    });
  }

  Status Update(std::string_view raw_key, std::string_view raw_value) override {
    if (!building_) return Status::Refused("table " + full_name() + ": database is open read-only");
    if (fd_ < 0) return Status::TempError("table " + full_name() + ": build failed");
    std::string key = PrepareKey(raw_key, options_);
    std::string_view value = UpToNul(raw_value);
    const unsigned with_nul = nul_.DecideForWrite() ? 1 : 0;
    std::string value_copy;
    if (with_nul) value_copy.assign(value);  // with the NUL std::string keeps after it
    const char* value_data = with_nul ? value_copy.c_str() : value.data();
    // Every record is added as it comes; duplicates are dealt with once
    // the file is complete (Close).
    int rc = cdb_make_add(&maker_, key.c_str(), static_cast<unsigned>(key.size() + with_nul), value_data,
                          static_cast<unsigned>(value.size() + with_nul));
    if (rc < 0) return FailBuild("key " + QuotedKey(key));
    return Status::OK();
  }

  Status Sequence(SequenceOp op, std::string* key, std::string* value) override {
    if (building_) return Status::NotSupported("table " + full_name() + ": first/next is not supported while building");
    if (op == SequenceOp::kFirst) cdb_seqinit(&seq_pos_, &cdb_);
    for (;;) {
      int rc = cdb_seqnext(&seq_pos_, &cdb_);
      if (rc < 0) return Status::TempError("error seeking " + full_name() + ": " + strerror(errno));
      if (rc == 0) return Status::NotFound();
      std::string k(cdb_keylen(&cdb_), '\0'), v(cdb_datalen(&cdb_), '\0');
      unsigned data_pos = cdb_datapos(&cdb_);
      if (cdb_read(&cdb_, k.data(), k.size(), cdb_keypos(&cdb_)) < 0 ||
          cdb_read(&cdb_, v.data(), v.size(), data_pos) < 0)
        return Status::TempError("error seeking " + full_name() + ": " + strerror(errno));
      // A record that a later one replaced (-r), or a second one under the
      // same key (-w), is not what a lookup finds: skip it.
      rc = cdb_find(&cdb_, k.data(), static_cast<unsigned>(k.size()));
      if (rc < 0) return Status::TempError("error seeking " + full_name() + ": " + strerror(errno));
      if (rc == 0 || cdb_datapos(&cdb_) != data_pos) continue;
      key->assign(UpToNul(k));
      value->assign(UpToNul(v));
      return Status::OK();
    }
  }

  Status Close() override {
    if (!building_ || !replacement_) return Status::OK();
    Status result;
    if (fd_ < 0) {
      result = Status::TempError("table " + full_name() + ": build failed");
    } else {
      making_ = false;
      if (cdb_make_finish(&maker_) != 0) result = FailBuild("");
      if (result.ok() && options_.duplicates != DuplicateMode::kIgnore) result = ResolveDuplicates();
      if (result.ok() && fsync(fd_) != 0) result = FailBuild("");
      if (result.ok()) result = replacement_->Commit();
    }
    if (fd_ >= 0) ::close(fd_);
    fd_ = -1;
    replacement_.reset();
    return result;
  }

 private:
  // A failed write: cdb_make is in an unknown state, so no more writes.
  Status FailBuild(const std::string& what) {
    Status error = Status::TempError("error writing " + full_name() + (what.empty() ? "" : ": " + what) + ": " +
                                     strerror(errno ? errno : EIO));
    if (making_) {
      maker_.cdb_fd = -1;
      (void)cdb_make_finish(&maker_);  // frees its lists
      making_ = false;
    }
    ::close(fd_);
    fd_ = -1;
    return error;
  }

  // Postfix adds each record with the tinycdb call of its duplicate mode
  // (CDB_PUT_INSERT: keep the first and warn; CDB_PUT_REPLACE: unindex the
  // earlier record), and tinycdb finds an earlier record by scanning every
  // record so far in the key's bucket: quadratic in the table's size.
  // Here every record was added unconditionally.  When the finished file
  // holds no key twice (the usual source), it is already the file
  // postmap's calls make; only when it does are the records read back in
  // order and added again into the same file with postmap's call for each
  // repeated key, so the file is still postmap's byte for byte.  The
  // records are rewritten at the same or earlier offsets, after they are
  // read.  A difference: the "duplicate entry" warnings come after the
  // source's other warnings, not among them (docs/postfix-differences.md).
  Status ResolveDuplicates() {
    std::unordered_set<std::string> duplicates;
    bool all_suspect = false;
    uint32_t records_end = 0;
    errno = 0;
    if (!FindDuplicateKeys(fd_, &duplicates, &all_suspect, &records_end)) return FailBuild("");
    if (duplicates.empty() && !all_suspect) return Status::OK();
    const enum cdb_put_mode mode =
        options_.duplicates == DuplicateMode::kReplace ? CDB_PUT_REPLACE : CDB_PUT_INSERT;
    // cdb_make writes from the descriptor's offset, which finishing moved.
    if (::lseek(fd_, 0, SEEK_SET) != 0 || cdb_make_start(&maker_, fd_) != 0) return FailBuild("");
    making_ = true;
    std::string record;
    for (off_t at = kHeaderBytes; at < off_t{records_end};) {
      unsigned char lengths[8];
      if (!ReadFully(fd_, lengths, sizeof lengths, at)) return FailBuild("");
      const uint32_t key_size = cdb_unpack(lengths), value_size = cdb_unpack(lengths + 4);
      record.resize(size_t{key_size} + value_size);
      if (!ReadFully(fd_, record.data(), record.size(), at + 8)) return FailBuild("");
      at += 8 + off_t{key_size} + value_size;
      const std::string_view key(record.data(), key_size);
      const bool repeated = all_suspect || duplicates.count(std::string(key)) != 0;
      int rc = cdb_make_put(&maker_, key.data(), key_size, record.data() + key_size, value_size,
                            repeated ? mode : CDB_PUT_ADD);
      if (rc < 0) return FailBuild("key " + QuotedKey(std::string(UpToNul(key))));
      if (rc > 0 && options_.duplicates == DuplicateMode::kWarn)
        LogWarning(name() + ": duplicate entry: \"" + std::string(UpToNul(key)) + "\"");
    }
    making_ = false;
    if (cdb_make_finish(&maker_) != 0) return FailBuild("");
    // Without the dropped records the file is shorter: cut what is left
    // of the first one after the new hash tables.
    unsigned char header[kHeaderBytes];
    if (!ReadFully(fd_, header, sizeof header, 0)) return FailBuild("");
    off_t end = kHeaderBytes;
    for (int t = 0; t < kHashTables; ++t)
      end = std::max(end, off_t{cdb_unpack(header + 8 * t)} + 8 * off_t{cdb_unpack(header + 8 * t + 4)});
    if (::ftruncate(fd_, end) != 0) return FailBuild("");
    return Status::OK();
  }

  OpenOptions options_;
  std::string db_path_;
  NulConvention nul_;
  bool building_ = false;
  int fd_ = -1;
  struct cdb cdb_ = {};
  unsigned seq_pos_ = 0;
  std::unique_ptr<ReplacementFile> replacement_;  // building
  struct cdb_make maker_ = {};
  bool making_ = false;  // maker_ holds records (freed by cdb_make_finish)
};

}  // namespace

Status OpenCdbTable(std::string_view name, const OpenOptions& options, std::unique_ptr<Table>* table) {
  auto cdb = std::make_unique<CdbTable>(std::string(name), options);
  Status status = cdb->Open();
  if (!status.ok()) return status;
  *table = std::move(cdb);
  return Status::OK();
}

}  // namespace mctable
#endif  // MCTABLE_HAVE_CDB
