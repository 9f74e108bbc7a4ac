// DbCommon; see db_common.h.
#include "table/db/db_common.h"

#include "common/utf8.h"
#include "mctable/log.h"
#include "table/key_folding.h"
#include "table/listed_table.h"

namespace mctable {
namespace {

// The query of a configuration without "query": Postfix's legacy forms.
Status LegacyQuery(const Config& config, bool select_function, std::string* query) {
  if (select_function) {
    if (std::optional<std::string> function = config.Find("select_function")) {
      *query = "SELECT " + *function + "('%s')";
      return Status::OK();
    }
  }
  std::string table, select_field, where_field;
  Status s = config.GetString("table", "", 1, &table);
  if (s.ok()) s = config.GetString("select_field", "", 1, &select_field);
  if (s.ok()) s = config.GetString("where_field", "", 1, &where_field);
  if (!s.ok()) return s;
  *query = "SELECT " + select_field + " FROM " + table + " WHERE " + where_field + "='%s' " +
           config.GetString("additional_conditions", "");
  return Status::OK();
}

}  // namespace

Status ReadDbTableConfig(std::string_view type, std::string_view name, const OpenOptions& options,
                          Config* config) {
  if (options.read_write || options.create || options.truncate)
    return Status::Refused(std::string(type) + ":" + std::string(name) + " map requires O_RDONLY access mode");
  return Config::ForTable(name, options.config_dir, config);
}

Status ReadSqlLogin(const Config& config, std::string* user, std::string* password, std::string* dbname) {
  Status s = config.GetString("user", "", 0, user);
  if (s.ok()) s = config.GetString("password", "", 0, password);
  if (s.ok()) s = config.GetString("dbname", "", 1, dbname);
  return s;
}

Status DbCommon::Configure(const Config& config, Naming naming, const OpenOptions& options,
                           std::unique_ptr<DbCommon>* out) {
  std::unique_ptr<DbCommon> common(new DbCommon());
  common->naming_ = std::move(naming);
  common->fold_ = options.fold_keys;
  const Naming& named = common->naming_;
  std::string result_format;
  Status s;
  if (!named.result_format_fallback.empty() && !config.Find("result_format"))
    s = config.GetString(named.result_format_fallback, "%s", 1, &result_format);
  else
    s = config.GetString("result_format", "%s", 1, &result_format);
  if (!s.ok()) return s;
  // No bound: 0 or less means no limit, as in Postfix.
  s = config.GetInt("expansion_limit", 0, 0, 0, &common->expansion_limit_);
  if (!s.ok()) return s;
  std::string query;
  if (std::optional<std::string> given = config.Find(named.query_parameter)) {
    query = std::move(*given);
  } else if (named.query_default) {
    query = *named.query_default;
  } else {
    s = LegacyQuery(config, common->naming_.select_function, &query);
    if (!s.ok()) return s;
  }
  const std::string& parser_name = common->naming_.name;
  s = KeyFormat::Parse(query, parser_name, KeyFormat::Kind::kQuery, &common->query_);
  if (!s.ok()) return s;
  if (!named.base_parameter.empty()) {
    s = KeyFormat::Parse(config.GetString(named.base_parameter, ""), parser_name, KeyFormat::Kind::kQuery,
                         &common->base_);
    if (!s.ok()) return s;
  }
  s = KeyFormat::Parse(result_format, parser_name, KeyFormat::Kind::kResult, &common->result_);
  if (!s.ok()) return s;
  std::string domain = config.GetString("domain", "");
  if (!domain.empty()) {
    s = DomainList::Create(domain, config.origin(), ListedTableOpenerFor(options), &common->domain_);
    if (!s.ok()) return s;
  }
  *out = std::move(common);
  return Status::OK();
}

Status DbCommon::PrepareKey(std::string_view key, std::string* lookup_key, std::string* warning) const {
  key = UpToNul(key);
  if (naming_.skip_non_utf8 && !IsValidUtf8(key)) return Status::NotFound("non-UTF-8 key");
  if (fold_) {
    lookup_key->assign(key);
    for (char& c : *lookup_key)
      if (c >= 'A' && c <= 'Z') c = static_cast<char>(c - 'A' + 'a');
  } else {
    lookup_key->assign(key);
  }
  if (domain_) {
    size_t at = lookup_key->rfind('@');
    if (at == std::string::npos || at == 0) return Status::NotFound("domain mismatch");
    bool matched = false;
    Status s = domain_->Match(std::string_view(*lookup_key).substr(at + 1), &matched);
    if (s.IsError()) return s;
    if (!matched) return Status::NotFound("domain mismatch");
  }
  if (lookup_key->empty()) {
    std::string text = "table \"" + full_name() + "\": empty query string -- ignored";
    if (warning != nullptr)
      *warning = std::move(text);
    else
      LogWarning(text);
    return Status::NotFound("empty key");
  }
  // Postfix suppresses the query when either template's key escapes
  // cannot be filled (they share one set of requirements there).
  if (!query_.Expand(*lookup_key, &scratch_) || !result_.KeyFits(*lookup_key) ||
      (!naming_.base_parameter.empty() && !base_.Expand(*lookup_key, &scratch_)))
    return Status::NotFound("key does not fit the query");
  return Status::OK();
}

void DbCommon::ResultBuilder::Start(const DbCommon* common, std::string_view lookup_key,
                                    bool defer_warnings) {
  common_ = common;
  key_.assign(lookup_key);
  joined_.clear();
  count_ = 0;
  over_limit_ = false;
  defer_warnings_ = defer_warnings;
  warnings_.clear();
}

void DbCommon::ResultBuilder::Warn(std::string text) {
  if (defer_warnings_)
    warnings_.push_back(std::move(text));
  else
    LogWarning(text);
}

void DbCommon::ResultBuilder::Add(const char* data, size_t size) {
  if (data == nullptr || over_limit_) return;
  // Postfix sees values as C strings: a NUL byte ends one.
  std::string_view value = UpToNul(std::string_view(data, size));
  if (value.empty()) {
    Warn("table \"" + common_->full_name() + "\": empty lookup result for: \"" + PrintableBytes(key_) +
         "\" -- ignored");
    return;
  }
  if (!common_->result_.ExpandResult(value, key_, &expanded_)) return;
  if (!joined_.empty()) joined_.push_back(',');
  joined_.append(expanded_);
  const int limit = common_->expansion_limit_;
  if (limit > 0 && ++count_ > limit) {
    const Naming& naming = common_->naming_;
    Warn(naming.lookup_function + ": " + naming.name + ": Expansion limit exceeded for key" +
         (naming.colon_before_key ? ": '" : " '") + PrintableBytes(key_) + "'");
    over_limit_ = true;
  }
}

LookupResult DbCommon::ResultBuilder::Finish() {
  LookupResult result;
  if (over_limit_) {
    result.status = Status::TempError(common_->full_name() + ": expansion limit exceeded for key '" +
                                      PrintableBytes(key_) + "' (expansion_limit = " +
                                      std::to_string(common_->expansion_limit_) + ")");
  } else if (joined_.empty()) {
    result.status = Status::NotFound();
  } else {
    result.value = std::move(joined_);
    joined_.clear();
  }
  return result;
}

}  // namespace mctable
