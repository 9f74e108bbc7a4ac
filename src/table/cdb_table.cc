// cdb:/path: the constant database /path.cdb via tinycdb, as Debian's
// "postmap cdb:/path" makes it (Postfix's dict_cdb).
//
// Read-only for lookups; building (OpenOptions::truncate or create) writes
// /path.cdb.tmp and Close() renames it into place, as Postfix does, so
// readers see the old file or the new one.  A cdb cannot be changed in
// place: incremental updates and deletes are Refused.  Conventions: Debian's
// postmap writes keys and values without a trailing NUL (kTypeDefault
// writes without; lookups try "key\0" then "key" and stick to the first
// form found); fold_keys lowercases lookup and update keys; first/next walk
// the records in file (insertion) order.  A duplicate key while building
// warns "/path: duplicate entry: "key"" (kWarn, first kept), replaces
// (kReplace) or is dropped silently (kIgnore).  Errors: ConfigError "open
// database /path.cdb: REASON" for a missing or unreadable file.
#ifdef MCTABLE_HAVE_CDB
#include <cdb.h>
#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <map>
#include <memory>
#include <vector>

#include "mctable/log.h"
#include "mctable/table_registry.h"
#include "table/table_types.h"
#include "table/key_folding.h"
#include "table/nul_convention.h"

namespace mctable {
namespace {

class CdbTable : public Table {
 public:
  CdbTable(std::string path, const OpenOptions& options)
      : Table("cdb", path), options_(options), db_path_(path + ".cdb"),
        nul_(options.nul_mode, /*write_default_with_nul=*/false) {}
  ~CdbTable() override {
    if (fd_ >= 0) {
      if (building_) unlink(temp_path_.c_str());
      else cdb_free(&cdb_);
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
    temp_path_ = db_path_ + ".tmp";
    fd_ = ::open(temp_path_.c_str(), O_RDWR | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
    if (fd_ < 0) return Status::ConfigError("open database " + temp_path_ + ": " + strerror(errno));
    return Status::OK();
  }

  Status Lookup(std::string_view raw_key, std::string* value) override {
    std::string key = PrepareKey(raw_key, options_);
    if (building_) {
      auto it = pending_.find(key);
      if (it == pending_.end()) return Status::NotFound();
      *value = records_[it->second].second;
      return Status::OK();
    }
    for (int with_nul = 1; with_nul >= 0; --with_nul) {
      if (with_nul ? !nul_.try_with_nul() : !nul_.try_without_nul()) continue;
      int rc = cdb_find(&cdb_, key.data(), key.size() + with_nul);
      if (rc < 0) return Status::TempError("error reading " + full_name() + ": " + strerror(errno));
      if (rc == 0) continue;
      with_nul ? nul_.FoundWithNul() : nul_.FoundWithoutNul();
      std::string data(cdb_datalen(&cdb_), '\0');
      if (cdb_read(&cdb_, data.data(), data.size(), cdb_datapos(&cdb_)) < 0)
        return Status::TempError("error reading " + full_name() + ": " + strerror(errno));
      value->assign(UpToNul(data));
      return Status::OK();
    }
    return Status::NotFound();
  }

  Status Update(std::string_view raw_key, std::string_view raw_value) override {
    if (!building_) return Status::Refused("table " + full_name() + ": database is open read-only");
    std::string key = PrepareKey(raw_key, options_);
    std::string value(UpToNul(raw_value));
    auto it = pending_.find(key);
    if (it != pending_.end()) {
      if (options_.duplicates == DuplicateMode::kReplace)
        records_[it->second].second = value;
      else if (options_.duplicates == DuplicateMode::kWarn)
        LogWarning(name() + ": duplicate entry: \"" + key + "\"");
      return Status::OK();
    }
    pending_[key] = records_.size();
    records_.emplace_back(key, value);
    return Status::OK();
  }

  Status Sequence(SequenceOp op, std::string* key, std::string* value) override {
    if (building_) return Status::NotSupported("table " + full_name() + ": first/next is not supported while building");
    if (op == SequenceOp::kFirst) cdb_seqinit(&seq_pos_, &cdb_);
    int rc = cdb_seqnext(&seq_pos_, &cdb_);
    if (rc < 0) return Status::TempError("error seeking " + full_name() + ": " + strerror(errno));
    if (rc == 0) return Status::NotFound();
    std::string k(cdb_keylen(&cdb_), '\0'), v(cdb_datalen(&cdb_), '\0');
    if (cdb_read(&cdb_, k.data(), k.size(), cdb_keypos(&cdb_)) < 0 ||
        cdb_read(&cdb_, v.data(), v.size(), cdb_datapos(&cdb_)) < 0)
      return Status::TempError("error seeking " + full_name() + ": " + strerror(errno));
    key->assign(UpToNul(k));
    value->assign(UpToNul(v));
    return Status::OK();
  }

  Status Close() override {
    if (!building_ || fd_ < 0) return Status::OK();
    bool with_nul = nul_.DecideForWrite();
    struct cdb_make maker;
    int rc = cdb_make_start(&maker, fd_);
    for (size_t i = 0; rc == 0 && i < records_.size(); ++i)
      rc = cdb_make_add(&maker, records_[i].first.c_str(), records_[i].first.size() + with_nul,
                        records_[i].second.c_str(), records_[i].second.size() + with_nul);
    if (rc == 0) rc = cdb_make_finish(&maker);
    if (rc == 0) rc = fsync(fd_);
    Status result;
    if (rc != 0)
      result = Status::TempError("error writing " + temp_path_ + ": " + strerror(errno));
    else if (rename(temp_path_.c_str(), db_path_.c_str()) != 0)
      result = Status::TempError("rename " + temp_path_ + " to " + db_path_ + ": " + strerror(errno));
    if (!result.ok()) unlink(temp_path_.c_str());
    ::close(fd_);
    fd_ = -1;
    return result;
  }

 private:
  OpenOptions options_;
  std::string db_path_;
  std::string temp_path_;
  NulConvention nul_;
  bool building_ = false;
  int fd_ = -1;
  struct cdb cdb_ = {};
  unsigned seq_pos_ = 0;
  std::map<std::string, size_t> pending_;                  // key -> index in records_
  std::vector<std::pair<std::string, std::string>> records_;  // insertion order
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
