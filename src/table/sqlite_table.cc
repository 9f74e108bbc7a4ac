// sqlite:NAME (sqlite_table(5)): lookups in an SQLite database file,
// configured by the file NAME (or main.cf NAME_* parameters).
//
// Parameters: Postfix's (dbpath, query or the legacy table / select_field
// / where_field / additional_conditions, result_format, domain,
// expansion_limit) and mctable's query_timeout (default 30 s): how long a
// query waits for a writer's lock (Postfix fails at once).
//
// As Postfix: only read-only opens; keys that are not UTF-8 are not looked
// up; the first column of each row answers; a query that does not prepare
// is an error ("sqlite:NAME: SQL prepare failed: ...", where Postfix exits
// with "fatal: dict_sqlite_lookup: NAME: SQL prepare failed: ..."), a step
// that fails a temporary error with Postfix's warning.  Unlike Postfix, the database is opened read-only and must
// exist: Postfix creates an empty file for a wrong dbpath and then fails
// every lookup.  Keys are quoted with SQLite's "%q".
#include <sqlite3.h>

#include <memory>

#include "mctable/config.h"
#include "mctable/log.h"
#include "table/sql/db_common.h"
#include "table/sql/sql_text.h"
#include "table/sql/sql_timeouts.h"
#include "table/table_types.h"

namespace mctable {
namespace {

class SqliteQuoter : public ValueQuoter {
 public:
  bool Append(std::string_view value, std::string* out) const override {
    // "%.*q": at most value.size() bytes, each "'" doubled.
    char* quoted = sqlite3_mprintf("%.*q", static_cast<int>(value.size()), value.data());
    if (quoted == nullptr) return false;
    out->append(quoted);
    sqlite3_free(quoted);
    return true;
  }
};

class SqliteTable : public Table {
 public:
  SqliteTable(std::unique_ptr<DbCommon> common, sqlite3* db)
      : Table("sqlite", common->naming().name), common_(std::move(common)), db_(db) {}
  ~SqliteTable() override { sqlite3_close_v2(db_); }

  Status Lookup(std::string_view key, std::string* value) override;

 private:
  std::unique_ptr<DbCommon> common_;
  sqlite3* db_;
  DbCommon::ResultBuilder answer_;
  std::string lookup_key_, query_;
};

Status SqliteTable::Lookup(std::string_view key, std::string* value) {
  Status s = common_->PrepareKey(key, &lookup_key_);
  if (!s.ok()) return s.IsNotFound() ? Status::NotFound() : s;
  if (!common_->ExpandQuery(lookup_key_, SqliteQuoter(), &query_))
    return Status::TempError(full_name() + ": out of memory quoting the key");
  const std::string& parser_name = common_->naming().name;
  sqlite3_stmt* statement = nullptr;
  if (sqlite3_prepare_v2(db_, query_.c_str(), -1, &statement, nullptr) != SQLITE_OK) {
    std::string why = OneLine(sqlite3_errmsg(db_));
    sqlite3_finalize(statement);
    return Status::ConfigError(full_name() + ": SQL prepare failed: " + why);
  }
  answer_.Start(common_.get(), lookup_key_);
  Status failed;
  for (;;) {
    int step = sqlite3_step(statement);
    if (step == SQLITE_DONE) break;
    if (step == SQLITE_ROW) {
      // Only the first column answers, as in Postfix.
      const auto* text = reinterpret_cast<const char*>(sqlite3_column_text(statement, 0));
      answer_.Add(text, text != nullptr ? static_cast<size_t>(sqlite3_column_bytes(statement, 0)) : 0);
      continue;
    }
    std::string warning = "dict_sqlite_lookup: " + parser_name + ": SQL step failed for query '" +
                          PrintableBytes(query_) + "': " + OneLine(sqlite3_errmsg(db_));
    LogWarning(warning);
    failed = Status::TempError(warning);
    break;
  }
  sqlite3_finalize(statement);
  if (!failed.ok()) return failed;
  LookupResult result = answer_.Finish();
  if (result.status.ok()) *value = std::move(result.value);
  return result.status;
}

}  // namespace

Status OpenSqliteTable(std::string_view name, const OpenOptions& options, std::unique_ptr<Table>* table) {
  const std::string full_name = "sqlite:" + std::string(name);
  if (options.read_write || options.create || options.truncate)
    return Status::Refused(full_name + " map requires O_RDONLY access mode");
  Config config;
  Status s = Config::ForTable(name, options.config_dir, &config);
  if (!s.ok()) return s;
  std::string dbpath;
  s = config.GetString("dbpath", "", 1, &dbpath);
  if (!s.ok()) return s;
  std::unique_ptr<DbCommon> common;
  DbCommon::Naming naming{"sqlite", std::string(name), "dict_sqlite_lookup"};
  naming.colon_before_key = false;
  naming.skip_non_utf8 = true;
  s = DbCommon::Configure(config, naming, options, &common);
  if (!s.ok()) return s;
  SqlTimeouts timeouts;
  s = timeouts.Read(config);
  if (!s.ok()) return s;

  sqlite3* db = nullptr;
  int rc = sqlite3_open_v2(dbpath.c_str(), &db, SQLITE_OPEN_READONLY, nullptr);
  if (rc != SQLITE_OK) {
    std::string why = db != nullptr ? sqlite3_errmsg(db) : sqlite3_errstr(rc);
    sqlite3_close_v2(db);
    return Status::ConfigError(full_name + ": Can't open database: " + OneLine(why) + " (" + dbpath + ")");
  }
  sqlite3_busy_timeout(db, timeouts.query * 1000);
  *table = std::make_unique<SqliteTable>(std::move(common), db);
  return Status::OK();
}

}  // namespace mctable
