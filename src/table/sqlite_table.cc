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
#include <vector>

#include "common/key_format.h"
#include "mctable/config.h"
#include "mctable/log.h"
#include "table/db/db_common.h"
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
  ~SqliteTable() override {
    sqlite3_finalize(prepared_);
    sqlite3_close_v2(db_);
  }

  Status Lookup(std::string_view key, std::string* value) override;
  // The lookups of a batch in one read transaction: SQLite then takes and
  // checks its file lock once per batch rather than once per key.
  void LookupMany(std::span<const std::string> keys, std::vector<LookupResult>* results) override;

  // Prepares the template once, when its substitutions are whole literals
  // (ParameterizeQuery): each lookup then binds the key's parts instead of
  // compiling a query text.  Without it (or if SQLite refuses it), each
  // lookup compiles its query, as Postfix does.
  void PrepareOnce();

 private:
  // The statement for lookup_key_: the prepared one with its parameters
  // bound, or one compiled from the query text (*compiled then true).
  Status StatementFor(sqlite3_stmt** statement, bool* compiled);
  const std::string& QueryText();

  std::unique_ptr<DbCommon> common_;
  sqlite3* db_;
  sqlite3_stmt* prepared_ = nullptr;
  std::vector<KeyFormat> parameters_;  // the "%X" of $1, $2, ...
  DbCommon::ResultBuilder answer_;
  std::string lookup_key_, query_, parameter_value_;
};

void SqliteTable::PrepareOnce() {
  std::string statement, escapes;
  if (!ParameterizeQuery(common_->query_template(), &statement, &escapes)) return;
  for (char escape : escapes) {
    KeyFormat& parameter = parameters_.emplace_back();
    if (!KeyFormat::Parse(std::string("%") + escape, name(), &parameter).ok()) return;
  }
  sqlite3_stmt* compiled = nullptr;
  if (sqlite3_prepare_v2(db_, statement.c_str(), -1, &compiled, nullptr) != SQLITE_OK || compiled == nullptr ||
      sqlite3_bind_parameter_count(compiled) != static_cast<int>(escapes.size())) {
    sqlite3_finalize(compiled);
    parameters_.clear();
    return;
  }
  prepared_ = compiled;
}

void SqliteTable::LookupMany(std::span<const std::string> keys, std::vector<LookupResult>* results) {
  bool in_transaction = keys.size() > 1 && sqlite3_exec(db_, "BEGIN", nullptr, nullptr, nullptr) == SQLITE_OK;
  Table::LookupMany(keys, results);
  if (in_transaction) sqlite3_exec(db_, "COMMIT", nullptr, nullptr, nullptr);
}

const std::string& SqliteTable::QueryText() {
  if (!common_->ExpandQuery(lookup_key_, SqliteQuoter(), &query_)) query_ = "(out of memory)";
  return query_;
}

Status SqliteTable::StatementFor(sqlite3_stmt** statement, bool* compiled) {
  if (prepared_ != nullptr) {
    *compiled = false;
    for (size_t p = 0; p < parameters_.size(); ++p) {
      parameters_[p].Expand(lookup_key_, &parameter_value_);
      std::string name = "$" + std::to_string(p + 1);
      int index = sqlite3_bind_parameter_index(prepared_, name.c_str());
      if (sqlite3_bind_text(prepared_, index, parameter_value_.data(), static_cast<int>(parameter_value_.size()),
                            SQLITE_TRANSIENT) != SQLITE_OK)
        return Status::TempError(full_name() + ": cannot bind the key: " + OneLine(sqlite3_errmsg(db_)));
    }
    *statement = prepared_;
    return Status::OK();
  }
  *compiled = true;
  if (!common_->ExpandQuery(lookup_key_, SqliteQuoter(), &query_))
    return Status::TempError(full_name() + ": out of memory quoting the key");
  if (sqlite3_prepare_v2(db_, query_.c_str(), -1, statement, nullptr) != SQLITE_OK) {
    std::string why = OneLine(sqlite3_errmsg(db_));
    sqlite3_finalize(*statement);
    return Status::ConfigError(full_name() + ": SQL prepare failed: " + why);
  }
  return Status::OK();
}

Status SqliteTable::Lookup(std::string_view key, std::string* value) {
  Status s = common_->PrepareKey(key, &lookup_key_);
  if (!s.ok()) return s.IsNotFound() ? Status::NotFound() : s;
  sqlite3_stmt* statement = nullptr;
  bool compiled = false;
  s = StatementFor(&statement, &compiled);
  if (!s.ok()) return s;
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
    std::string why = OneLine(sqlite3_errmsg(db_));
    LogWarning("dict_sqlite_lookup: " + common_->naming().name + ": SQL step failed for query '" +
               PrintableBytes(QueryText()) + "': " + why);
    failed = Status::TempError(full_name() + ": SQL step failed: " + why);
    break;
  }
  // A statement left unreset would keep its read transaction open.
  if (compiled) sqlite3_finalize(statement);
  else sqlite3_reset(statement);
  if (!failed.ok()) return failed;
  LookupResult result = answer_.Finish();
  if (result.status.ok()) *value = std::move(result.value);
  return result.status;
}

}  // namespace

Status OpenSqliteTable(std::string_view name, const OpenOptions& options, std::unique_ptr<Table>* table) {
  const std::string full_name = "sqlite:" + std::string(name);
  Config config;
  Status s = ReadDbTableConfig("sqlite", name, options, &config);
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
  auto sqlite_table = std::make_unique<SqliteTable>(std::move(common), db);
  sqlite_table->PrepareOnce();
  *table = std::move(sqlite_table);
  return Status::OK();
}

}  // namespace mctable
