// DbCommon: what the database table types (sqlite:, pgsql:, mysql:) share, after
// Postfix's db_common: the query and result_format templates, the legacy
// query parameters, the domain list and expansion_limit; how a lookup key
// becomes a query, and how the values a query returns become the lookup's
// answer.
//
// Contract
// - Configure reads, in Postfix's order: result_format (at least 1 byte; or
//   the type's older name for it),
//   expansion_limit, query (or, when it is not set, select_function for
//   pgsql, else "SELECT select_field FROM table WHERE where_field='%s'
//   additional_conditions", each of the three at least 1 byte), then
//   parses the templates and the domain list.  The parameter names come
//   from the type's Naming (ldap: query_filter with its default, and a
//   search_base template whose key requirements the query shares).  Every error is a
//   ConfigError worded as Postfix's ("FILE: bad string length 0 < 1:
//   table = ", "db_common_parse: FILE: Invalid query template: ...").
// - PrepareKey says whether a key is queried at all: it is cut at a NUL
//   byte (Postfix keys are C strings), skipped when not UTF-8 if the type
//   says so (sqlite, as Postfix with smtputf8 off), folded when the
//   table folds, and
//   skipped (NotFound, no query) when it is empty (with Postfix's warning
//   "empty query string -- ignored"), outside the domain list, or cannot
//   fill the query template or the key escapes of result_format.  A table
//   of the domain list that fails makes it return that error.
// - A ResultBuilder joins the values of one lookup, in order, with commas:
//   NULL values are skipped silently, empty ones with Postfix's warning
//   "empty lookup result for: KEY -- ignored", each other value goes
//   through result_format (skipped when it cannot fill it).  More values
//   than expansion_limit (when > 0) make the lookup a temporary error,
//   with Postfix's warning; nothing joined is the answer "not found".
#ifndef MCTABLE_TABLE_DB_DB_COMMON_H_
#define MCTABLE_TABLE_DB_DB_COMMON_H_

#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "common/key_format.h"
#include "match/domain_list.h"
#include "mctable/config.h"
#include "mctable/lookup_result.h"
#include "mctable/table.h"

namespace mctable {

// The configuration of the SQL table TYPE:NAME, which Postfix lets open
// read-only only: Refused ("TYPE:NAME map requires O_RDONLY access mode")
// for any other open, else what Config::ForTable says.
Status ReadDbTableConfig(std::string_view type, std::string_view name, const OpenOptions& options,
                          Config* config);

// user, password (default empty) and dbname (at least 1 byte), in
// Postfix's order.
Status ReadSqlLogin(const Config& config, std::string* user, std::string* password, std::string* dbname);

class DbCommon {
 public:
  struct Naming {
    std::string type;  // "pgsql"
    std::string name;  // the table name after "pgsql:" (Postfix's parser name)
    // Postfix's words for the expansion limit warning differ by type:
    // "dict_pgsql_lookup: NAME: Expansion limit exceeded for key: 'KEY'"
    // and "dict_sqlite_lookup: NAME: ... for key 'KEY'".
    std::string lookup_function;    // "dict_pgsql_lookup"
    bool colon_before_key = true;   // false for sqlite
    bool select_function = false;   // the legacy select_function parameter (pgsql)
    bool skip_non_utf8 = false;     // sqlite: a non-UTF-8 key is not looked up
    // The query template's parameter and, when set, its default (ldap:
    // "query_filter", "(mailacceptinggeneralid=%s)"); without a default a
    // missing query falls back to the legacy SQL forms.
    std::string query_parameter = "query";
    std::optional<std::string> query_default = std::nullopt;
    // Read when result_format is not set (ldap: the older "result_filter").
    std::string result_format_fallback = "";
    // A second key template sharing the query's key requirements (ldap:
    // "search_base", default empty); none when empty.
    std::string base_parameter = "";
  };

  static Status Configure(const Config& config, Naming naming, const OpenOptions& options,
                          std::unique_ptr<DbCommon>* out);

  // OK with *lookup_key set (the key as queried), NotFound when no query is
  // made, or the error of a domain-list table.  Postfix's warning about an
  // empty key is logged, or stored in *warning when that is not null (a
  // batch logs its warnings in key order).
  Status PrepareKey(std::string_view key, std::string* lookup_key, std::string* warning = nullptr) const;

  // The query for a key PrepareKey accepted, each substituted part quoted
  // by `quoter`.  False only when the quoter refused a part.
  bool ExpandQuery(std::string_view lookup_key, const ValueQuoter& quoter, std::string* query) const {
    return query_.Expand(lookup_key, &quoter, query);
  }

  // The second template (Naming::base_parameter) for a key PrepareKey
  // accepted, quoted by `quoter`.
  bool ExpandBase(std::string_view lookup_key, const ValueQuoter& quoter, std::string* base) const {
    return base_.Expand(lookup_key, &quoter, base);
  }
  // Whether the second template depends on the key (Postfix's dynamic_base).
  bool base_is_dynamic() const { return base_.uses_key(); }

  const std::string& query_template() const { return query_.format(); }
  // "pgsql:NAME", for messages.
  std::string full_name() const { return naming_.type + ":" + naming_.name; }
  const Naming& naming() const { return naming_; }

  class ResultBuilder {
   public:
    // Starts the answer for `lookup_key` (forgetting any earlier values and
    // warnings).  With defer_warnings, warnings are kept for warnings()
    // instead of logged at once.
    void Start(const DbCommon* common, std::string_view lookup_key, bool defer_warnings = false);
    // One returned value; data is null for SQL NULL.
    void Add(const char* data, size_t size);
    // The answer: OK with the joined values, NotFound, or TempError when
    // the expansion limit was exceeded.
    LookupResult Finish();
    const std::vector<std::string>& warnings() const { return warnings_; }

   private:
    void Warn(std::string text);

    const DbCommon* common_ = nullptr;
    std::string key_;
    std::string joined_;
    std::string expanded_;
    int count_ = 0;
    bool over_limit_ = false;
    bool defer_warnings_ = false;
    std::vector<std::string> warnings_;
  };

 private:
  DbCommon() = default;

  Naming naming_;
  bool fold_ = true;
  KeyFormat query_;
  KeyFormat base_;
  KeyFormat result_;
  mutable std::string scratch_;  // PrepareKey's trial expansion
  std::unique_ptr<DomainList> domain_;
  int expansion_limit_ = 0;
};

}  // namespace mctable

#endif  // MCTABLE_TABLE_DB_DB_COMMON_H_
