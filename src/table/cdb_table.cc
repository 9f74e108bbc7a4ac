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
// Duplicates are handled with postmap's tinycdb calls, so the files are
// byte for byte postmap's: kWarn keeps the first and warns "/path:
// duplicate entry: "key"", kReplace unindexes the old record, kIgnore
// stores both (lookups find the first).  tinycdb finds a duplicate by
// scanning every record so far with the same low hash byte, which makes a
// build quadratic; a small filter of the keys seen (a few bits per record)
// skips that scan for every key it has not seen, so the scan only runs for
// real duplicates and the filter's rare false alarms.  Errors: ConfigError "open database
// /path.cdb: REASON" for a missing or unreadable file; a failed write is a
// TempError naming the table and the key.
#ifdef MCTABLE_HAVE_CDB
#include <cdb.h>
#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <unistd.h>

#include <algorithm>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "mctable/log.h"
#include "mctable/table_registry.h"
#include "table/key_folding.h"
#include "table/expected_records.h"
#include "table/key_text.h"
#include "table/nul_convention.h"
#include "table/replacement_file.h"
#include "table/table_types.h"

namespace mctable {
namespace {

// The keys added so far, approximately: MaybeSeen() is true for every key
// added and, rarely, for another.  Two bits per key out of eight, in a table
// sized from the expected number of keys (a few percent false alarms); past
// that a table twice as large is added for the keys that follow.
class SeenKeys {
 public:
  explicit SeenKeys(size_t expected_keys) { AddGeneration(expected_keys); }

  bool MaybeSeen(std::string_view key) const {
    const uint64_t h = Hash(key);
    for (const Generation& g : generations_)
      if (g.Test(h)) return true;
    return false;
  }
  void Add(std::string_view key) {
    if (generations_.back().keys >= generations_.back().capacity)
      AddGeneration(generations_.back().capacity * 2);
    generations_.back().Set(Hash(key));
  }

 private:
  static constexpr size_t kBitsPerKey = 8;
  struct Generation {
    std::vector<uint64_t> words;
    uint64_t bits = 0;
    size_t keys = 0;
    size_t capacity = 0;
    // Each 32-bit half of the hash picks one bit (scaled, not masked, so the
    // size need not be a power of two).
    uint64_t Index(uint32_t half) const { return (uint64_t{half} * bits) >> 32; }
    bool Test(uint64_t h) const {
      return Bit(Index(static_cast<uint32_t>(h))) && Bit(Index(static_cast<uint32_t>(h >> 32)));
    }
    void Set(uint64_t h) {
      SetBit(Index(static_cast<uint32_t>(h)));
      SetBit(Index(static_cast<uint32_t>(h >> 32)));
      ++keys;
    }
    bool Bit(uint64_t i) const { return (words[i >> 6] >> (i & 63)) & 1; }
    void SetBit(uint64_t i) { words[i >> 6] |= uint64_t{1} << (i & 63); }
  };
  static uint64_t Hash(std::string_view key) { return std::hash<std::string_view>{}(key); }
  void AddGeneration(size_t keys) {
    keys = std::max<size_t>(keys, 4096);
    keys = std::min<size_t>(keys, size_t{1} << 28);  // 2^31 bits at most: 32-bit scaling
    Generation g;
    g.bits = keys * kBitsPerKey;
    g.words.assign((g.bits + 63) / 64, 0);
    g.capacity = keys;
    generations_.push_back(std::move(g));
  }
  std::vector<Generation> generations_;
};

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
    seen_ = std::make_unique<SeenKeys>(ExpectedRecords(name()));
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
    // Postfix's choice of tinycdb call per duplicate mode.
    enum cdb_put_mode put = options_.duplicates == DuplicateMode::kReplace  ? CDB_PUT_REPLACE
                            : options_.duplicates == DuplicateMode::kIgnore ? CDB_PUT_ADD
                                                                            : CDB_PUT_INSERT;
    const std::string_view stored_key(key.c_str(), key.size() + with_nul);
    if (put != CDB_PUT_ADD) {
      if (!seen_->MaybeSeen(stored_key)) put = CDB_PUT_ADD;  // new for sure: the same record, no scan
      seen_->Add(stored_key);
    }
    int rc = cdb_make_put(&maker_, stored_key.data(), static_cast<unsigned>(stored_key.size()), value_data,
                          static_cast<unsigned>(value.size() + with_nul), put);
    if (rc < 0) {
      Status error = Status::TempError("error writing " + full_name() + ": key " + QuotedKey(key) + ": " +
                                       strerror(errno));
      ::close(fd_);  // cdb_make is in an unknown state: no more writes
      fd_ = -1;
      return error;
    }
    if (rc > 0 && options_.duplicates == DuplicateMode::kWarn)
      LogWarning(name() + ": duplicate entry: \"" + key + "\"");
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
      if (cdb_make_finish(&maker_) != 0 || fsync(fd_) != 0)
        result = Status::TempError("error writing " + full_name() + ": " + strerror(errno));
      else
        result = replacement_->Commit();
    }
    if (fd_ >= 0) ::close(fd_);
    fd_ = -1;
    replacement_.reset();
    return result;
  }

 private:
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
  std::unique_ptr<SeenKeys> seen_;
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
