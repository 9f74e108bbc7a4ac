// The interface between the ldap: table (ldap_table.cc) and its LDAP
// client, which lives in the module mctable-ldap.so (module_loader.h) with
// OpenLDAP's libldap, so that programs that never open an ldap: table do
// not map it.
//
// The table turns keys into searches (a base DN and a filter, already
// quoted); the client runs a batch of searches pipelined on a connection
// (a large batch shared by two, each taking the next search as its window
// opens) and gives back, per search, the attribute values Postfix's
// dict_ldap would collect (terminal, leaf and special attributes and DN / URL recursion
// applied), in Postfix's order: entries in the order the server sent them,
// then each entry's attributes in their stored order, then values in order.
// The table applies result_format and expansion_limit (db_common.h).
//
// Failure model: each search ends found (values, possibly none),
// not found (a missing dynamic search base) or a temporary error, with the
// warnings Postfix would log for it, worded as Postfix's and in its order.
// The client logs nothing: the table logs a batch's warnings key by key.
// No search waits past `timeout` seconds from when it was sent: a late one
// is abandoned (ldap_abandon_ext) and is a temporary error.  A broken
// connection is reopened once per batch and the unanswered searches sent
// again; when that fails too, every unanswered search fails with the
// reason.  Not thread-safe: one Run at a time.
#ifndef MCTABLE_TABLE_LDAP_LDAP_CLIENT_H_
#define MCTABLE_TABLE_LDAP_LDAP_CLIENT_H_

#include <memory>
#include <string>
#include <vector>

namespace mctable {

struct LdapSettings {
  std::string table_name;   // Postfix's parser name: the NAME of ldap:NAME
  std::string server_urls;  // space-separated LDAP URLs, for ldap_initialize
  bool ldaps = false;       // some URL is ldaps://
  int version = 3;
  int scope = 2;            // LDAP_SCOPE_BASE 0, ONELEVEL 1, SUBTREE 2
  int timeout_seconds = 10;
  int bind = 1;             // 0 none, 1 simple
  std::string bind_dn;
  std::string bind_pw;
  int dereference = 0;
  bool chase_referrals = false;
  int size_limit = 0;       // 0: none
  int recursion_limit = 1000;
  // All attributes asked for, in Postfix's order: terminal, leaf, regular,
  // special; the counts say where each group ends.
  std::vector<std::string> attributes;
  int num_terminal = 0;
  int num_leaf = 0;
  int num_attributes = 0;  // terminal + leaf + regular
  bool dynamic_base = false;
  bool start_tls = false;
  bool tls_require_cert = false;
  std::string tls_ca_cert_file;
  std::string tls_ca_cert_dir;
  std::string tls_cert;
  std::string tls_key;
  std::string tls_cipher_suite;
  // Searches outstanding at once on the connection; below slapd's
  // conn_max_pending (100), past which slapd drops the connection.
  int window = 64;
};

struct LdapSearch {
  std::string base;
  std::string filter;
  // Nothing to search for (a key that cannot fill the templates), but, as
  // in Postfix, only once the connection is up: not found if it is, the
  // connection's failure if not.
  bool connect_only = false;
};

// A message Postfix logs: a warning, or (error) what it logs as an error.
struct LdapMessage {
  LdapMessage(std::string message_text, bool is_error = false) : text(std::move(message_text)), error(is_error) {}
  std::string text;
  bool error;
};

struct LdapOutcome {
  enum class Kind { kFound, kNotFound, kTempError };
  Kind kind = Kind::kFound;
  std::vector<std::string> values;    // kFound: the values, in order
  std::vector<LdapMessage> warnings;  // Postfix's warnings, in order
  std::string reason;                 // kTempError: the last warning's gist
};

class LdapClient {
 public:
  virtual ~LdapClient() = default;
  // Runs every search; (*outcomes)[i] answers searches[i].
  virtual void Run(const std::vector<LdapSearch>& searches, std::vector<LdapOutcome>* outcomes) = 0;
};

// Only in the module; the library reaches it through LoadLdapClient
// (driver_modules.h).
std::unique_ptr<LdapClient> NewLdapClient(LdapSettings settings);

}  // namespace mctable

#endif  // MCTABLE_TABLE_LDAP_LDAP_CLIENT_H_
