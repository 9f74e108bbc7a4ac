// ldap:NAME (ldap_table(5), man/mctable_ldap.5): lookups in an LDAP
// directory, configured by the file NAME (or main.cf NAME_* parameters).
//
// Parameters, with Postfix's defaults and bounds: server_host (localhost;
// host[:port] names and ldap://, ldaps://, ldapi:// URLs), server_port
// (389), timeout (10), search_base (empty), scope (sub), query_filter
// ((mailacceptinggeneralid=%s)), domain, result_format (or result_filter;
// %s), result_attribute (maildrop), special_result_attribute,
// terminal_result_attribute, leaf_result_attribute, recursion_limit (1000,
// at least 1), expansion_limit (0), size_limit (expansion_limit),
// dereference (0..3), chase_referrals (no), version (3, as Debian's build;
// at least 2), bind (yes; no / none / yes / simple), bind_dn, bind_pw,
// start_tls, tls_ca_cert_file, tls_ca_cert_dir, tls_cert, tls_key,
// tls_require_cert, tls_cipher_suite.  bind = sasl is a ConfigError (this
// client has no SASL).
//
// Only read-only opens are allowed ("ldap:NAME map requires O_RDONLY access
// mode").  Configuration errors are ConfigErrors worded as Postfix's; a
// search that fails is a TempError naming the table, after Postfix's
// warnings, never a partial answer.  The LDAP client is in mctable-ldap.so
// (ldap_client.h); the searches of a batch of keys are pipelined.
#include <memory>
#include <string>
#include <vector>

#include "mctable/config.h"
#include "mctable/log.h"
#include "table/db/db_common.h"
#include "table/db/driver_modules.h"
#include "table/ldap/ldap_client.h"
#include "table/ldap/ldap_quote.h"
#include "table/table_types.h"

namespace mctable {
namespace {

bool EqualsFolded(std::string_view a, std::string_view b) {
  if (a.size() != b.size()) return false;
  for (size_t i = 0; i < a.size(); ++i)
    if (std::tolower(static_cast<unsigned char>(a[i])) != std::tolower(static_cast<unsigned char>(b[i])))
      return false;
  return true;
}

bool StartsFolded(std::string_view text, std::string_view prefix) {
  return text.size() >= prefix.size() && EqualsFolded(text.substr(0, prefix.size()), prefix);
}

// Postfix's list splitting: commas and white space separate.
std::vector<std::string> SplitList(std::string_view text) {
  std::vector<std::string> items;
  std::string item;
  for (char c : text) {
    if (c == ',' || c == ' ' || c == '\t' || c == '\n' || c == '\r') {
      if (!item.empty()) items.push_back(std::move(item));
      item.clear();
    } else {
      item.push_back(c);
    }
  }
  if (!item.empty()) items.push_back(std::move(item));
  return items;
}

class LdapTable : public Table {
 public:
  LdapTable(std::unique_ptr<DbCommon> common, std::unique_ptr<LdapClient> client)
      : Table("ldap", common->naming().name), common_(std::move(common)), client_(std::move(client)) {}

  Status Lookup(std::string_view key, std::string* value) override {
    std::string k(key);
    std::vector<LookupResult> results;
    LookupMany(std::span<const std::string>(&k, 1), &results);
    if (results[0].status.ok()) *value = std::move(results[0].value);
    return results[0].status;
  }

  void LookupMany(std::span<const std::string> keys, std::vector<LookupResult>* results) override;
  size_t preferred_batch_size() const override { return 4096; }

 private:
  std::unique_ptr<DbCommon> common_;
  std::unique_ptr<LdapClient> client_;
};

void LdapTable::LookupMany(std::span<const std::string> keys, std::vector<LookupResult>* results) {
  results->resize(keys.size());
  std::vector<std::string> key_warnings(keys.size());
  std::vector<size_t> search_of(keys.size(), SIZE_MAX);
  std::vector<std::string> lookup_keys;
  std::vector<LdapSearch> searches;
  const LdapFilterQuoter filter_quoter;
  const LdapBaseQuoter base_quoter;
  std::string lookup_key;
  for (size_t i = 0; i < keys.size(); ++i) {
    LookupResult& result = (*results)[i];
    result.value.clear();
    result.status = common_->PrepareKey(keys[i], &lookup_key, &key_warnings[i]);
    if (!result.status.ok()) {
      // Postfix connects before it expands the templates: a key that
      // passed the UTF-8 and domain checks but cannot fill them (or is
      // empty) fails with the connection.
      const bool after_connect = result.status.IsNotFound() && (result.status.message() == "empty key" ||
                                                                 result.status.message() == "key does not fit the query");
      if (result.status.IsNotFound()) result.status = Status::NotFound();
      if (!after_connect) continue;
      searches.emplace_back().connect_only = true;
      search_of[i] = searches.size() - 1;
      lookup_keys.push_back(lookup_key);
      continue;
    }
    LdapSearch& search = searches.emplace_back();
    if (!common_->ExpandBase(lookup_key, base_quoter, &search.base) ||
        !common_->ExpandQuery(lookup_key, filter_quoter, &search.filter)) {
      searches.pop_back();  // cannot happen: PrepareKey checked both
      result.status = Status::NotFound();
      continue;
    }
    search_of[i] = searches.size() - 1;
    lookup_keys.push_back(lookup_key);
  }

  std::vector<LdapOutcome> outcomes;
  if (!searches.empty()) client_->Run(searches, &outcomes);

  std::vector<std::vector<std::string>> answer_warnings(keys.size());
  DbCommon::ResultBuilder answer;
  for (size_t i = 0; i < keys.size(); ++i) {
    if (search_of[i] == SIZE_MAX) continue;
    const size_t j = search_of[i];
    LdapOutcome& outcome = outcomes[j];
    LookupResult& result = (*results)[i];
    if (outcome.kind == LdapOutcome::Kind::kTempError) {
      result.status = Status::TempError(full_name() + ": " + outcome.reason);
    } else if (outcome.kind == LdapOutcome::Kind::kNotFound) {
      result.status = Status::NotFound();
    } else {
      answer.Start(common_.get(), lookup_keys[j], true);
      for (const std::string& value : outcome.values) answer.Add(value.data(), value.size());
      result = answer.Finish();
      answer_warnings[i] = answer.warnings();
    }
  }
  // Postfix, looking keys up one at a time, logs each key's warnings in turn.
  for (size_t i = 0; i < keys.size(); ++i) {
    const bool connect_failed =
        search_of[i] != SIZE_MAX && outcomes[search_of[i]].kind == LdapOutcome::Kind::kTempError;
    if (!key_warnings[i].empty() && !connect_failed) LogWarning(key_warnings[i]);
    if (search_of[i] == SIZE_MAX) continue;
    for (const LdapMessage& message : outcomes[search_of[i]].warnings)
      message.error ? LogError(message.text) : LogWarning(message.text);
    for (const std::string& warning : answer_warnings[i]) LogWarning(warning);
  }
}

// The settings of the client, read as Postfix's dict_ldap_open reads them.
Status ReadLdapSettings(const Config& config, std::string_view name, LdapSettings* settings) {
  const std::string where = "dict_ldap_open: ";
  settings->table_name = std::string(name);
  int port = 389;
  Status s = config.GetInt("server_port", 389, 0, 0, &port);
  if (s.ok()) s = config.GetInt("version", 3, 2, 0, &settings->version);
  if (!s.ok()) return s;
  if (settings->version != 2 && settings->version != 3) {
    LogWarning(where + std::string(name) + " Unknown version " + std::to_string(settings->version) +
               ", using 2.");
    settings->version = 2;
  }
  std::string hosts;
  s = config.GetString("server_host", "localhost", 1, &hosts);
  if (!s.ok()) return s;
  for (const std::string& host : SplitList(hosts)) {
    if (!settings->server_urls.empty()) settings->server_urls.push_back(' ');
    const bool ldaps = StartsFolded(host, "ldaps://");
    if (StartsFolded(host, "ldap://") || ldaps || StartsFolded(host, "ldapi://")) {
      if (!StartsFolded(host, "ldap://") && settings->version != 3) {
        LogWarning(where + "URL scheme " + host.substr(0, host.find(':')) + " requires protocol version 3");
        settings->version = 3;
      }
      settings->ldaps = settings->ldaps || ldaps;
      settings->server_urls += host;
    } else if (host.rfind(':') != std::string::npos) {
      settings->server_urls += "ldap://" + host;
    } else {
      settings->server_urls += "ldap://" + host + ":" + std::to_string(port);
    }
  }
  std::string scope;
  s = config.GetString("scope", "sub", 1, &scope);
  if (!s.ok()) return s;
  if (EqualsFolded(scope, "one")) {
    settings->scope = 1;
  } else if (EqualsFolded(scope, "base")) {
    settings->scope = 0;
  } else {
    if (!EqualsFolded(scope, "sub"))
      LogWarning(where + std::string(name) + ": Unrecognized value " + scope + " specified for scope; using sub");
    settings->scope = 2;
  }
  s = config.GetInt("timeout", 10, 0, 0, &settings->timeout_seconds);
  if (!s.ok()) return s;

  auto add_attributes = [&](const char* parameter, const char* default_value) {
    for (std::string& attribute : SplitList(config.GetString(parameter, default_value)))
      settings->attributes.push_back(std::move(attribute));
    return static_cast<int>(settings->attributes.size());
  };
  settings->num_terminal = add_attributes("terminal_result_attribute", "");
  settings->num_leaf = add_attributes("leaf_result_attribute", "") - settings->num_terminal;
  settings->num_attributes = add_attributes("result_attribute", "maildrop");
  add_attributes("special_result_attribute", "");

  std::string bind;
  s = config.GetString("bind", "yes", 1, &bind);
  if (!s.ok()) return s;
  if (EqualsFolded(bind, "no") || EqualsFolded(bind, "none")) {
    settings->bind = 0;
  } else if (EqualsFolded(bind, "yes") || EqualsFolded(bind, "simple")) {
    settings->bind = 1;
  } else if (EqualsFolded(bind, "sasl")) {
    return Status::ConfigError(std::string(name) + ": bind = sasl is not supported by mctable's ldap client");
  } else {
    return Status::ConfigError(std::string(name) + ": unsupported parameter value: bind = " + bind);
  }
  settings->bind_dn = config.GetString("bind_dn", "");
  settings->bind_pw = config.GetString("bind_pw", "");

  int expansion_limit = 0;
  s = config.GetInt("recursion_limit", 1000, 1, 0, &settings->recursion_limit);
  if (s.ok()) s = config.GetInt("expansion_limit", 0, 0, 0, &expansion_limit);
  if (s.ok()) s = config.GetInt("size_limit", expansion_limit, 0, 0, &settings->size_limit);
  if (s.ok()) s = config.GetInt("dereference", 0, 0, 0, &settings->dereference);
  if (!s.ok()) return s;
  if (settings->dereference > 3) {
    LogWarning(where + std::string(name) + " Unrecognized value " + std::to_string(settings->dereference) +
               " specified for dereference; using 0");
    settings->dereference = 0;
  }
  s = config.GetBool("chase_referrals", false, &settings->chase_referrals);
  if (s.ok()) s = config.GetBool("start_tls", false, &settings->start_tls);
  if (s.ok()) s = config.GetBool("tls_require_cert", false, &settings->tls_require_cert);
  if (!s.ok()) return s;
  if (settings->start_tls && settings->version < 3) {
    LogWarning(where + std::string(name) + " start_tls requires protocol version 3");
    settings->version = 3;
  }
  settings->tls_ca_cert_file = config.GetString("tls_ca_cert_file", "");
  settings->tls_ca_cert_dir = config.GetString("tls_ca_cert_dir", "");
  settings->tls_cert = config.GetString("tls_cert", "");
  settings->tls_key = config.GetString("tls_key", "");
  settings->tls_cipher_suite = config.GetString("tls_cipher_suite", "");
  return Status::OK();
}

}  // namespace

Status OpenLdapTable(std::string_view name, const OpenOptions& options, std::unique_ptr<Table>* table) {
  Config config;
  Status s = ReadDbTableConfig("ldap", name, options, &config);
  if (!s.ok()) return s;
  DbCommon::Naming naming{"ldap", std::string(name), "dict_ldap_get_values[1]"};
  naming.skip_non_utf8 = !options.utf8;
  naming.query_parameter = "query_filter";
  naming.query_default = "(mailacceptinggeneralid=%s)";
  naming.result_format_fallback = "result_filter";
  naming.base_parameter = "search_base";
  std::unique_ptr<DbCommon> common;
  s = DbCommon::Configure(config, naming, options, &common);
  if (!s.ok()) return s;
  LdapSettings settings;
  s = ReadLdapSettings(config, name, &settings);
  if (!s.ok()) return s;
  settings.dynamic_base = common->base_is_dynamic();
  std::unique_ptr<LdapClient> client;
  s = LoadLdapClient(std::move(settings), &client);
  if (!s.ok()) return Status::ConfigError("ldap:" + std::string(name) + ": " + s.message());
  *table = std::make_unique<LdapTable>(std::move(common), std::move(client));
  return Status::OK();
}

}  // namespace mctable
