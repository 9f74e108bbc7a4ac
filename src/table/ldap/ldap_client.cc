// The LDAP client of ldap_client.h, on OpenLDAP's libldap.  Built only into
// mctable-ldap.so.
//
// A batch keeps up to `window` searches outstanding on a connection
// (ldap_search_ext, answers collected with ldap_result in whatever order
// slapd sends them) and handles the answers in key order, so that a key's
// values and warnings are what a one-at-a-time client (Postfix) gets.  DN
// and URL recursion (special_result_attribute) runs while handling a key,
// as synchronous searches on the same connection: libldap keeps the other
// keys' answers meanwhile.
#include "table/ldap/ldap_client.h"

#include <ldap.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/socket.h>

#include <algorithm>
#include <atomic>
#include <cctype>
#include <chrono>
#include <cstring>
#include <deque>
#include <string>
#include <thread>
#include <unordered_map>
#include <utility>

#include "table/ldap/ldap_write_buffer.h"

namespace mctable {
namespace {

using Clock = std::chrono::steady_clock;

// RFC 4512 attribute descriptions compare without case; "name;option" is a
// subtype of "name".  1: b is a or a subtype of it; -1: a is a subtype of
// b; 0: unrelated.
int AttributeRelation(const char* a, const char* b) {
  while (*a != 0 && std::tolower(static_cast<unsigned char>(*a)) == std::tolower(static_cast<unsigned char>(*b)))
    ++a, ++b;
  if (*a == 0 && (*b == 0 || *b == ';')) return 1;
  if (*b == 0 && *a == ';') return -1;
  return 0;
}

std::string ErrorText(int rc) { return std::to_string(rc) + ": " + ldap_err2string(rc); }

// The searches of a batch not yet taken by a connection.  Connections take
// them one at a time, in key order, as their windows open: a connection that
// slapd answers faster takes more, and both finish together.
class SearchQueue {
 public:
  explicit SearchQueue(size_t size) : size_(size) {}
  // The next search's index; false when every search has been taken.
  bool Take(size_t* index) {
    size_t i = next_.fetch_add(1, std::memory_order_relaxed);
    if (i >= size_) return false;
    *index = i;
    return true;
  }
  bool empty() const { return next_.load(std::memory_order_relaxed) >= size_; }

 private:
  const size_t size_;
  std::atomic<size_t> next_{0};
};

class Client : public LdapClient {
 public:
  explicit Client(LdapSettings settings) : s_(std::move(settings)) {
    for (std::string& attribute : s_.attributes) attribute_ptrs_.push_back(attribute.data());
    attribute_ptrs_.push_back(nullptr);
  }
  ~Client() override { Drop(); }

  void Run(const std::vector<LdapSearch>& searches, std::vector<LdapOutcome>* outcomes) override {
    outcomes->assign(searches.size(), LdapOutcome());
    SearchQueue queue(searches.size());
    RunFrom(searches, &queue, outcomes);
  }
  // Runs the searches it takes from `queue` until it is empty, writing
  // only their outcomes (sized by the caller), so that connections can
  // share a batch.
  void RunFrom(const std::vector<LdapSearch>& searches, SearchQueue* queue, std::vector<LdapOutcome>* outcomes);

 private:
  struct Pending {
    size_t index;
    Clock::time_point deadline;
  };

  // Opens and binds a connection; false with Postfix's warning.
  bool Connect(std::string* warning);
  // Whether the last Connect failure is one Postfix logs as an error.
  bool connect_error_ = false;
  void Drop() {
    write_buffer_ = nullptr;  // freed, and flushed, with the handle
    if (ld_ != nullptr) ldap_unbind_ext(ld_, nullptr, nullptr);
    ld_ = nullptr;
    buffered_ = false;
  }
  // Once the connection's socket is open: reads and writes through buffers.
  void BufferConnection();
  bool buffered_ = false;
  LdapWriteBuffer* write_buffer_ = nullptr;  // null: writes are not held
  // Sends what the write buffer holds, before any wait for an answer;
  // false when the connection failed.
  bool SendHeld() {
    return write_buffer_ == nullptr || write_buffer_->empty() || write_buffer_->Flush(s_.timeout_seconds);
  }
  // Waits for the answer to `msgid` until `timeout`; LDAP_SUCCESS with
  // *result set, else the error (the request abandoned on a timeout).
  int Await(int msgid, LDAPMessage** result);
  // Postfix's search_st: a synchronous search bounded by the timeout.
  int SearchNow(const char* base, int scope, const char* filter, char** attributes, LDAPMessage** result);
  // One key's answer (a complete result chain): its outcome.
  void Handle(const LdapSearch& search, LDAPMessage* chain, LdapOutcome* outcome);
  // Postfix's dict_ldap_get_values: the values of the entries of `chain`.
  void CollectValues(LDAPMessage* chain, int depth, LdapOutcome* outcome, bool* failed);
  void CollectSpecial(const char* attribute, berval** values, int count, int depth, LdapOutcome* outcome,
                      bool* failed);
  std::vector<char*> UrlAttributes(LDAPURLDesc* url, std::vector<std::string>* storage) const;

  LdapSettings s_;
  std::vector<char*> attribute_ptrs_;
  LDAP* ld_ = nullptr;
};

bool Client::Connect(std::string* warning) {
  connect_error_ = false;
  if (ldap_initialize(&ld_, s_.server_urls.c_str()) != LDAP_SUCCESS || ld_ == nullptr) {
    ld_ = nullptr;
    *warning = "dict_ldap_connect: Unable to init LDAP server " + s_.server_urls;
    return false;
  }
  timeval network_timeout{s_.timeout_seconds, 0};
  ldap_set_option(ld_, LDAP_OPT_NETWORK_TIMEOUT, &network_timeout);
  ldap_set_option(ld_, LDAP_OPT_TIMEOUT, &network_timeout);
  ldap_set_option(ld_, LDAP_OPT_PROTOCOL_VERSION, &s_.version);
  if (s_.size_limit > 0) ldap_set_option(ld_, LDAP_OPT_SIZELIMIT, &s_.size_limit);
  ldap_set_option(ld_, LDAP_OPT_DEREF, &s_.dereference);
  ldap_set_option(ld_, LDAP_OPT_REFERRALS, s_.chase_referrals ? LDAP_OPT_ON : LDAP_OPT_OFF);
  if (s_.start_tls || s_.ldaps) {
    auto set_file = [&](int option, const std::string& value, const char* parameter) {
      if (value.empty()) return true;
      int rc = ldap_set_option(ld_, option, value.c_str());
      if (rc == LDAP_SUCCESS) return true;
      *warning = std::string("dict_ldap_set_tls_options: Unable to set ") + parameter + " to " + value + ": " +
                 ErrorText(rc);
      return false;
    };
    int require = s_.tls_require_cert ? LDAP_OPT_X_TLS_DEMAND : LDAP_OPT_X_TLS_NEVER;
    int am_server = 0;
    if (!set_file(LDAP_OPT_X_TLS_CACERTFILE, s_.tls_ca_cert_file, "tls_ca_cert_file") ||
        !set_file(LDAP_OPT_X_TLS_CACERTDIR, s_.tls_ca_cert_dir, "tls_ca_cert_dir") ||
        !set_file(LDAP_OPT_X_TLS_CERTFILE, s_.tls_cert, "tls_cert") ||
        !set_file(LDAP_OPT_X_TLS_KEYFILE, s_.tls_key, "tls_key") ||
        !set_file(LDAP_OPT_X_TLS_CIPHER_SUITE, s_.tls_cipher_suite, "tls_cipher_suite") ||
        ldap_set_option(ld_, LDAP_OPT_X_TLS_REQUIRE_CERT, &require) != LDAP_SUCCESS ||
        ldap_set_option(ld_, LDAP_OPT_X_TLS_NEWCTX, &am_server) != LDAP_SUCCESS) {
      if (warning->empty()) *warning = "dict_ldap_set_tls_options: Unable to set TLS options";
      Drop();
      return false;
    }
  }
  if (s_.start_tls) {
    int rc = ldap_start_tls_s(ld_, nullptr, nullptr);
    if (rc != LDAP_SUCCESS) {
      *warning = "dict_ldap_connect: Unable to set STARTTLS: " + ErrorText(rc);
      connect_error_ = true;
      Drop();
      return false;
    }
  }
  if (s_.bind != 0) {
    berval credentials{s_.bind_pw.size(), s_.bind_pw.data()};
    int msgid = 0;
    int rc = ldap_sasl_bind(ld_, s_.bind_dn.c_str(), LDAP_SASL_SIMPLE, &credentials, nullptr, nullptr, &msgid);
    LDAPMessage* result = nullptr;
    if (rc == LDAP_SUCCESS) rc = Await(msgid, &result);
    if (rc == LDAP_SUCCESS) {
      int err = LDAP_SUCCESS;
      rc = ldap_parse_result(ld_, result, &err, nullptr, nullptr, nullptr, nullptr, 1);
      if (rc == LDAP_SUCCESS) rc = err;
    }
    if (rc != LDAP_SUCCESS) {
      const std::string dn = s_.bind_dn.empty() ? "empty or implicit" : s_.bind_dn;
      *warning = "dict_ldap_connect: Unable to bind to server " + s_.server_urls + " with dn " + dn + ": " +
                 std::to_string(rc) + " (" + ldap_err2string(rc) + ")";
      Drop();
      return false;
    }
  }
  return true;
}

// libldap reads each message with a read for its header and one for the
// rest, polls before each answer, and writes each search as it is made:
// four reads, two polls and a write per search in a batch, most of
// mctable's CPU, which slapd needs.  liblber's read-ahead layer takes
// whatever the socket holds in one read and answers libldap's "is data
// ready" from it without a poll; LdapWriteBuffer sends the searches made
// between two waits in one write.  Nagle's algorithm is off: it would hold
// a burst back until slapd acknowledged the previous one.  Under TLS only
// Nagle changes (TLS reads whole records and writes record by record).
void Client::BufferConnection() {
  if (buffered_ || ld_ == nullptr) return;
  Sockbuf* sb = nullptr;
  if (ldap_get_option(ld_, LDAP_OPT_SOCKBUF, &sb) != LDAP_OPT_SUCCESS || sb == nullptr) return;
  ber_socket_t fd = -1;
  if (ber_sockbuf_ctrl(sb, LBER_SB_OPT_GET_FD, &fd) != 1 || fd < 0) return;  // not open yet
  buffered_ = true;
  int on = 1;
  setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &on, sizeof on);  // fails harmlessly on ldapi:
  if (s_.start_tls || s_.ldaps) return;
  if (ber_sockbuf_ctrl(sb, LBER_SB_OPT_HAS_IO, &ber_sockbuf_io_readahead) != 1)
    ber_sockbuf_add_io(sb, &ber_sockbuf_io_readahead, LBER_SBIOD_LEVEL_PROVIDER, nullptr);
  if (!s_.chase_referrals) write_buffer_ = LdapWriteBuffer::Install(sb);
}

int Client::Await(int msgid, LDAPMessage** result) {
  if (!SendHeld()) return LDAP_SERVER_DOWN;
  timeval timeout{s_.timeout_seconds, 0};
  int type = ldap_result(ld_, msgid, LDAP_MSG_ALL, &timeout, result);
  if (type > 0) return LDAP_SUCCESS;
  if (type == 0) {
    ldap_abandon_ext(ld_, msgid, nullptr, nullptr);
    return LDAP_TIMEOUT;
  }
  int rc = LDAP_OTHER;
  ldap_get_option(ld_, LDAP_OPT_RESULT_CODE, &rc);
  return rc == LDAP_SUCCESS ? LDAP_OTHER : rc;
}

int Client::SearchNow(const char* base, int scope, const char* filter, char** attributes,
                      LDAPMessage** result) {
  timeval limit{s_.timeout_seconds, 0};
  int msgid = 0;
  int rc = ldap_search_ext(ld_, base, scope, filter, attributes, 0, nullptr, nullptr, &limit, -1, &msgid);
  if (rc != LDAP_SUCCESS) return rc;
  rc = Await(msgid, result);
  if (rc != LDAP_SUCCESS) return rc;
  int err = LDAP_SUCCESS;
  rc = ldap_parse_result(ld_, *result, &err, nullptr, nullptr, nullptr, nullptr, 0);
  return err != LDAP_SUCCESS ? err : rc;
}

std::vector<char*> Client::UrlAttributes(LDAPURLDesc* url, std::vector<std::string>* storage) const {
  std::vector<char*> chosen;
  if (url->lud_attrs == nullptr || url->lud_attrs[0] == nullptr) {
    chosen = attribute_ptrs_;
    chosen.pop_back();
    return chosen;
  }
  // Only the attributes the table uses; of two that differ in options only,
  // the more specific one.
  for (char** a = url->lud_attrs; *a != nullptr; ++a) {
    for (const std::string& ours : s_.attributes) {
      int relation = AttributeRelation(*a, ours.c_str());
      if (relation > 0) storage->push_back(ours);
      if (relation < 0) storage->push_back(*a);
    }
  }
  for (std::string& attribute : *storage) chosen.push_back(attribute.data());
  return chosen;
}

void Client::CollectSpecial(const char* attribute, berval** values, int count, int depth, LdapOutcome* outcome,
                            bool* failed) {
  const std::string at = "dict_ldap_get_values[" + std::to_string(depth) + "]: ";
  for (int v = 0; v < count && !*failed; ++v) {
    std::string value(values[v]->bv_val, values[v]->bv_len);
    LDAPMessage* result = nullptr;
    int rc;
    if (ldap_is_ldap_url(value.c_str())) {
      LDAPURLDesc* url = nullptr;
      rc = ldap_url_parse(value.c_str(), &url);
      if (rc != 0) {
        outcome->warnings.push_back(at + "malformed URL " + value + ": " + ldap_err2string(rc) + "(" +
                                    std::to_string(rc) + ")");
        *failed = true;
        break;
      }
      std::vector<std::string> storage;
      std::vector<char*> attributes = UrlAttributes(url, &storage);
      if (attributes.empty()) {  // nothing of interest: skipped
        ldap_free_urldesc(url);
        continue;
      }
      attributes.push_back(nullptr);
      rc = SearchNow(url->lud_dn, url->lud_scope, url->lud_filter, attributes.data(), &result);
      ldap_free_urldesc(url);
    } else {
      rc = SearchNow(value.c_str(), LDAP_SCOPE_BASE, "objectclass=*", attribute_ptrs_.data(), &result);
    }
    if (rc == LDAP_SUCCESS) {
      CollectValues(result, depth + 1, outcome, failed);
    } else if (rc == LDAP_NO_SUCH_OBJECT) {
      outcome->warnings.push_back(at + "DN " + value + " not found, skipping ");
    } else {
      outcome->warnings.push_back(at + "search error " + std::to_string(rc) + ": " + ldap_err2string(rc) + " ");
      *failed = true;
    }
    if (result != nullptr) ldap_msgfree(result);
  }
  (void)attribute;
}

void Client::CollectValues(LDAPMessage* chain, int depth, LdapOutcome* outcome, bool* failed) {
  const std::string at = "dict_ldap_get_values[" + std::to_string(depth) + "]: ";
  const int total = static_cast<int>(s_.attributes.size());
  long entries = 0;
  for (LDAPMessage* entry = ldap_first_entry(ld_, chain); entry != nullptr; entry = ldap_next_entry(ld_, entry)) {
    if (!*failed && s_.size_limit > 0 && ++entries > s_.size_limit) {
      outcome->warnings.push_back(at + s_.table_name + ": Query size limit (" + std::to_string(s_.size_limit) +
                                  ") exceeded");
      *failed = true;
    }
    bool terminal = false;
    for (int i = 0; i < s_.num_terminal && !terminal; ++i) {
      berval** values = ldap_get_values_len(ld_, entry, s_.attributes[i].c_str());
      if (values == nullptr) continue;
      terminal = ldap_count_values_len(values) > 0;
      ldap_value_free_len(values);
    }
    bool leaf = true;
    if (!terminal && s_.num_leaf > 0) {
      for (int i = s_.num_attributes; i < total && leaf; ++i) {
        berval** values = ldap_get_values_len(ld_, entry, s_.attributes[i].c_str());
        if (values == nullptr) continue;
        leaf = ldap_count_values_len(values) == 0;
        ldap_value_free_len(values);
      }
    }
    BerElement* ber = nullptr;
    for (char* name = ldap_first_attribute(ld_, entry, &ber); name != nullptr;
         ldap_memfree(name), name = ldap_next_attribute(ld_, entry, ber)) {
      berval** values = ldap_get_values_len(ld_, entry, name);
      if (values == nullptr) continue;
      const int count = ldap_count_values_len(values);
      if (*failed || count == 0) {
        ldap_value_free_len(values);
        continue;
      }
      int i = 0;
      while (i < total && AttributeRelation(s_.attributes[i].c_str(), name) <= 0) ++i;
      if (i < s_.num_attributes || terminal) {
        const bool skipped = (terminal && i >= s_.num_terminal) ||
                             (!leaf && i < s_.num_terminal + s_.num_leaf);
        if (!skipped) {
          for (int v = 0; v < count; ++v) outcome->values.emplace_back(values[v]->bv_val, values[v]->bv_len);
        }
      } else if (i < total && depth < s_.recursion_limit) {
        CollectSpecial(name, values, count, depth, outcome, failed);
      } else if (i < total) {
        outcome->warnings.push_back(at + s_.table_name + ": Recursion limit exceeded for special attribute " +
                                    name + "=" + std::string(values[0]->bv_val, values[0]->bv_len));
        *failed = true;
      }
      ldap_value_free_len(values);
    }
    if (ber != nullptr) ber_free(ber, 0);
  }
}

void Client::Handle(const LdapSearch& search, LDAPMessage* chain, LdapOutcome* outcome) {
  int err = LDAP_SUCCESS;
  int rc = ldap_parse_result(ld_, chain, &err, nullptr, nullptr, nullptr, nullptr, 0);
  if (rc == LDAP_SUCCESS) rc = err;
  if (rc == LDAP_SUCCESS) {
    bool failed = false;
    CollectValues(chain, 1, outcome, &failed);
    // The handle's last result code, as Postfix checks it after reading the
    // entries: a recursive search that found no object leaves it set.
    // (libldap's attribute iteration ends with a decoding error: ignored.)
    int last = LDAP_SUCCESS;
    if (ldap_get_option(ld_, LDAP_OPT_RESULT_CODE, &last) != LDAP_OPT_SUCCESS) last = LDAP_OTHER;
    if (last != LDAP_SUCCESS && last != LDAP_DECODING_ERROR)
      outcome->warnings.push_back(std::string("dict_ldap_lookup: Had some trouble with entries returned by search: ") +
                                  ldap_err2string(last));
    if (failed) {
      outcome->kind = LdapOutcome::Kind::kTempError;
      outcome->values.clear();
      outcome->reason = outcome->warnings.empty() ? "search failed" : outcome->warnings.back().text;
    }
  } else if (rc == LDAP_NO_SUCH_OBJECT && s_.dynamic_base) {
    outcome->kind = LdapOutcome::Kind::kNotFound;
  } else if (rc == LDAP_NO_SUCH_OBJECT) {
    outcome->kind = LdapOutcome::Kind::kTempError;
    outcome->reason = "search base '" + search.base + "' not found";
    outcome->warnings.push_back("dict_ldap_lookup: " + s_.table_name + ": Search base '" + search.base +
                                "' not found: " + ErrorText(rc));
  } else {
    outcome->kind = LdapOutcome::Kind::kTempError;
    outcome->reason = "search error " + ErrorText(rc);
    outcome->warnings.push_back("dict_ldap_lookup: Search error " + std::to_string(rc) + ": " +
                                ldap_err2string(rc) + " ");
  }
}

void Client::RunFrom(const std::vector<LdapSearch>& searches, SearchQueue* queue,
                     std::vector<LdapOutcome>* outcomes) {
  const size_t n = searches.size();
  std::vector<LDAPMessage*> answers(n, nullptr);
  std::vector<char> answered(n, false);
  std::deque<Pending> pending;  // in the order sent: deadlines ascend
  std::unordered_map<int, size_t> by_msgid;
  std::vector<size_t> mine;  // the searches taken from the queue, in key order
  mine.reserve(n);
  size_t handled = 0;  // mine[0..handled) are handled
  bool reconnected = false;
  std::vector<size_t> resend;  // searches to send again on a new connection

  auto fail = [&](size_t i, const std::string& warning, bool is_error = false) {
    LdapOutcome& outcome = (*outcomes)[i];
    outcome.kind = LdapOutcome::Kind::kTempError;
    outcome.warnings.emplace_back(warning, is_error);
    outcome.reason = warning;
    answered[i] = true;
  };
  // The searches of the batch no connection has taken yet: this one takes
  // them all and fails them.
  auto fail_untaken = [&](const std::string& warning, bool is_error) {
    for (size_t i; queue->Take(&i);) {
      mine.push_back(i);
      fail(i, warning, is_error);
    }
  };
  // The connection broke: reopen it once per batch and send again what it
  // had not answered; otherwise fail all of that with the reason.
  auto broken = [&](const std::string& warning) {
    // Answers not yet handled are read with the connection (and may
    // recurse on it): they are asked for again, with the searches that
    // were still outstanding, in key order.
    for (size_t k = handled; k < mine.size(); ++k) {
      const size_t i = mine[k];
      if (answers[i] == nullptr) continue;
      ldap_msgfree(answers[i]);
      answers[i] = nullptr;
      answered[i] = false;
      resend.push_back(i);
    }
    Drop();
    for (const Pending& p : pending) resend.push_back(p.index);
    std::sort(resend.begin(), resend.end());
    pending.clear();
    by_msgid.clear();
    std::string connect_warning;
    if (!reconnected && Connect(&connect_warning)) {
      reconnected = true;
      return;
    }
    reconnected = true;
    const std::string reason = connect_warning.empty() ? warning : connect_warning;
    const bool is_error = !connect_warning.empty() && connect_error_;
    for (size_t i : resend) fail(i, reason, is_error);
    resend.clear();
    fail_untaken(reason, is_error);
  };

  // ldap_result failed (or the held searches could not be sent, when
  // !asked): the connection is broken, with the handle's reason if it has one.
  auto read_failed = [&](bool asked) {
    int rc = LDAP_SERVER_DOWN;
    if (asked) ldap_get_option(ld_, LDAP_OPT_RESULT_CODE, &rc);
    broken("dict_ldap_lookup: Search error " + std::to_string(rc) + ": " + ldap_err2string(rc) + " ");
  };

  // An answer from ldap_result: its search's, unless it was abandoned.
  auto accept = [&](LDAPMessage* message) {
    auto found = by_msgid.find(ldap_msgid(message));
    if (found == by_msgid.end()) {  // an abandoned search's late answer
      ldap_msgfree(message);
      return;
    }
    size_t i = found->second;
    by_msgid.erase(found);
    for (auto it = pending.begin(); it != pending.end(); ++it)
      if (it->index == i) {
        pending.erase(it);
        break;
      }
    answers[i] = message;
    answered[i] = true;
  };

  while (handled < mine.size() || !queue->empty()) {
    if (ld_ == nullptr && (!queue->empty() || !resend.empty())) {
      std::string warning;
      if (!Connect(&warning)) {
        for (size_t k = handled; k < mine.size(); ++k)
          if (!answered[mine[k]]) fail(mine[k], warning, connect_error_);
        fail_untaken(warning, connect_error_);
        resend.clear();
      }
    }
    // Send, up to the window.
    while (ld_ != nullptr && pending.size() < static_cast<size_t>(s_.window)) {
      size_t i;
      if (!resend.empty()) {
        i = resend.front();
        resend.erase(resend.begin());
      } else if (queue->Take(&i)) {
        mine.push_back(i);
      } else {
        break;
      }
      if (searches[i].connect_only) {
        (*outcomes)[i].kind = LdapOutcome::Kind::kNotFound;
        answered[i] = true;
        continue;
      }
      timeval limit{s_.timeout_seconds, 0};
      int msgid = 0;
      int rc = ldap_search_ext(ld_, searches[i].base.c_str(), s_.scope, searches[i].filter.c_str(),
                               attribute_ptrs_.data(), 0, nullptr, nullptr, &limit, -1, &msgid);
      if (rc == LDAP_SERVER_DOWN) {
        resend.insert(resend.begin(), i);
        broken("dict_ldap_lookup: Search error " + std::to_string(rc) + ": " + ldap_err2string(rc) + " ");
        break;
      }
      if (rc != LDAP_SUCCESS) {  // refused before sending: a filter that does not parse
        fail(i, "dict_ldap_lookup: Search error " + std::to_string(rc) + ": " + ldap_err2string(rc) + " ");
        continue;
      }
      BufferConnection();
      pending.push_back({i, Clock::now() + std::chrono::seconds(s_.timeout_seconds)});
      by_msgid[msgid] = i;
    }
    // Handle, in key order, what is complete.
    while (handled < mine.size() && answered[mine[handled]]) {
      const size_t i = mine[handled];
      if (answers[i] != nullptr) {
        Handle(searches[i], answers[i], &(*outcomes)[i]);
        ldap_msgfree(answers[i]);
        answers[i] = nullptr;
      }
      ++handled;
    }
    if (pending.empty()) continue;
    // Wait for the next answer, at most until the oldest search's deadline.
    auto left = pending.front().deadline - Clock::now();
    long micros = std::max<long>(0, std::chrono::duration_cast<std::chrono::microseconds>(left).count());
    timeval wait{micros / 1000000, micros % 1000000};
    LDAPMessage* message = nullptr;
    const bool sent = SendHeld();
    int type = sent ? ldap_result(ld_, LDAP_RES_ANY, LDAP_MSG_ALL, &wait, &message) : -1;
    if (type < 0) {
      read_failed(sent);
      continue;
    }
    if (type == 0) {
      // The oldest search is late: abandoned, and the connection, which
      // Postfix would tear down, too.
      if (Clock::now() < pending.front().deadline) continue;
      size_t late = pending.front().index;
      for (auto& [msgid, index] : by_msgid)
        if (index == late) ldap_abandon_ext(ld_, msgid, nullptr, nullptr);
      pending.pop_front();
      fail(late, "dict_ldap_lookup: Search error " + std::to_string(LDAP_TIMEOUT) + ": " +
                     ldap_err2string(LDAP_TIMEOUT) + " ");
      broken("dict_ldap_lookup: Search error " + std::to_string(LDAP_TIMEOUT) + ": " +
             ldap_err2string(LDAP_TIMEOUT) + " ");
      continue;
    }
    accept(message);
    // Take every answer already here before sending more, so that the
    // window refills in bursts (one write each) rather than a search per
    // answer.
    timeval no_wait{0, 0};
    while (!pending.empty() && (type = ldap_result(ld_, LDAP_RES_ANY, LDAP_MSG_ALL, &no_wait, &message)) > 0)
      accept(message);
    if (type < 0) read_failed(true);
  }
  for (LDAPMessage* answer : answers)
    if (answer != nullptr) ldap_msgfree(answer);
}

// Two connections, each with a thread of its own, sharing a large batch:
// each takes the next search as its window opens (SearchQueue), so that
// neither waits for the other at the end of the batch.  slapd reads one
// connection's requests one at a time; with two it decodes and answers
// twice as many at once.  Outcomes go by key, so nothing else can tell.
class TwoConnections : public LdapClient {
 public:
  explicit TwoConnections(const LdapSettings& settings) : first_(settings), second_(settings) {}

  void Run(const std::vector<LdapSearch>& searches, std::vector<LdapOutcome>* outcomes) override {
    // A small batch gains nothing from a second connection (or its bind).
    const size_t n = searches.size();
    if (n < 4 * kSplitAbove) {
      first_.Run(searches, outcomes);
      return;
    }
    outcomes->assign(n, LdapOutcome());
    SearchQueue queue(n);
    std::thread other([&] { second_.RunFrom(searches, &queue, outcomes); });
    first_.RunFrom(searches, &queue, outcomes);
    other.join();
  }

 private:
  static constexpr size_t kSplitAbove = 64;
  Client first_;
  Client second_;
};

}  // namespace

std::unique_ptr<LdapClient> NewLdapClient(LdapSettings settings) {
  return std::make_unique<TwoConnections>(settings);
}

}  // namespace mctable
