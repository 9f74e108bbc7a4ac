// MysqlConnector and MysqlConnection; see mysql_connection.h.
#include "table/sql/mysql_connection.h"

#include <mysql.h>
#include <netdb.h>

#include <cstdlib>
#include <mutex>
#include <vector>

#include "table/sql/sql_text.h"

namespace mctable {
namespace {

// Queries per multi-statement request, keys per UNION ALL statement (past
// a few dozen branches MariaDB's work per branch grows again), and a bound
// on a request's size.
constexpr size_t kStatementsPerRequest = 256;
constexpr size_t kKeysPerUnion = 32;
constexpr size_t kMaxRequestBytes = 1 << 20;

class MysqlQuoter : public ValueQuoter {
 public:
  explicit MysqlQuoter(MYSQL* db) : db_(db) {}
  bool Append(std::string_view value, std::string* out) const override {
    size_t old_size = out->size();
    out->resize(old_size + 2 * value.size() + 1);
    unsigned long written =
        mysql_real_escape_string(db_, out->data() + old_size, value.data(), value.size());
    if (written == static_cast<unsigned long>(-1)) {
      out->resize(old_size);
      return false;
    }
    out->resize(old_size + written);
    return true;
  }

 private:
  MYSQL* db_;
};

class MysqlConnection : public SqlConnection {
 public:
  MysqlConnection(MYSQL* db, const MysqlSettings& settings) : db_(db), settings_(settings) {}
  ~MysqlConnection() override { mysql_close(db_); }

  size_t Run(QueryBatch* batch, size_t first, std::string* failure) override;

 private:
  // One query, Postfix's way; false with *failure on failure.
  bool RunOne(QueryBatch* batch, size_t item, const std::string& query, std::string* failure);
  // The items of one multi-statement request; returns the first item not
  // completed (request.size() when all did).
  size_t RunRequest(QueryBatch* batch, const std::vector<size_t>& items, std::string* failure);
  // The items (two or more) as one UNION ALL statement; false when it
  // failed (*connection_lost and *failure set when the connection is gone)
  // or gave rows that cannot be assigned, and nothing was delivered.
  bool RunUnion(QueryBatch* batch, const std::vector<size_t>& items, const std::vector<std::string>& queries,
                std::string* failure, bool* connection_lost);
  bool UnionFailed(std::string* failure, bool* connection_lost);
  static bool ParseTag(const char* text, unsigned long size, size_t* tag);
  // The items one statement each (RunOne or RunRequest); returns how many
  // completed.
  size_t RunStatements(QueryBatch* batch, const std::vector<size_t>& items,
                       const std::vector<std::string>& queries, std::string* failure);
  void Deliver(QueryBatch* batch, size_t item, MYSQL_RES* result);
  std::string QueryFailed(std::string_view what) const {
    return settings_.table_name + ": query failed" + std::string(what) + ": " + OneLine(mysql_error(db_));
  }

  MYSQL* db_;
  MysqlSettings settings_;
  std::string request_;
  bool union_refused_ = false;
};

void MysqlConnection::Deliver(QueryBatch* batch, size_t item, MYSQL_RES* result) {
  batch->Begin(item);
  if (result != nullptr) {
    const unsigned columns = mysql_num_fields(result);
    while (MYSQL_ROW row = mysql_fetch_row(result)) {
      unsigned long* lengths = mysql_fetch_lengths(result);
      for (unsigned column = 0; column < columns; ++column)
        batch->Value(item, row[column], row[column] != nullptr ? lengths[column] : 0);
    }
  }
  batch->Complete(item);
}

bool MysqlConnection::RunOne(QueryBatch* batch, size_t item, const std::string& query,
                             std::string* failure) {
  if (mysql_real_query(db_, query.data(), query.size()) != 0) {
    *failure = QueryFailed("");
    return false;
  }
  // Every result set is read, so that the connection stays in step.
  MYSQL_RES* first_result = nullptr;
  std::string error;
  int more;
  do {
    if (MYSQL_RES* result = mysql_store_result(db_)) {
      if (first_result == nullptr) {
        first_result = result;
      } else {
        if (error.empty())
          error = settings_.table_name + ": query failed: multiple result sets returning data are not supported";
        mysql_free_result(result);
      }
    } else if (mysql_field_count(db_) != 0 && error.empty()) {
      error = QueryFailed(" (mysql_store_result)");
    }
    more = mysql_next_result(db_);  // 0: more results, -1: no more, >0: error
    if (more > 0 && error.empty()) error = QueryFailed(" (mysql_next_result)");
  } while (more == 0);
  if (first_result == nullptr && settings_.require_result_set && error.empty())
    error = settings_.table_name +
            ": query failed: query returned no result set(require_result_set = yes)";
  if (!error.empty()) {
    if (first_result != nullptr) mysql_free_result(first_result);
    *failure = error;
    return false;
  }
  Deliver(batch, item, first_result);
  if (first_result != nullptr) mysql_free_result(first_result);
  return true;
}

size_t MysqlConnection::RunRequest(QueryBatch* batch, const std::vector<size_t>& items,
                                   std::string* failure) {
  // One statement per item, each a SELECT (IsMultiStatementSafe): exactly
  // one result (a result set, or none) per statement, in order.  The
  // server stops at the first statement that fails.
  if (mysql_real_query(db_, request_.data(), request_.size()) != 0) {
    *failure = QueryFailed("");
    return 0;
  }
  for (size_t k = 0;; ++k) {
    MYSQL_RES* result = mysql_store_result(db_);
    if (result == nullptr && mysql_field_count(db_) != 0) {
      *failure = QueryFailed(" (mysql_store_result)");
      return k;
    }
    if (result == nullptr && settings_.require_result_set) {
      *failure = settings_.table_name +
                 ": query failed: query returned no result set(require_result_set = yes)";
      return k;
    }
    Deliver(batch, items[k], result);
    if (result != nullptr) mysql_free_result(result);
    int more = mysql_next_result(db_);  // 0: more results, -1: no more, >0: error
    const bool last = k + 1 == items.size();
    if (more > 0) {
      *failure = QueryFailed("");
      return last ? k : k + 1;  // the error is the next statement's
    }
    if (last) {
      if (more == 0) {
        *failure = settings_.table_name + ": query failed: more results than statements";
        return k;
      }
      return items.size();
    }
    if (more < 0) {
      *failure = settings_.table_name + ": query failed: fewer results than statements";
      return k + 1;
    }
  }
}

bool MysqlConnection::RunUnion(QueryBatch* batch, const std::vector<size_t>& items,
                               const std::vector<std::string>& queries, std::string* failure,
                               bool* connection_lost) {
  const size_t offset = *settings_.union_select_list;
  request_.clear();
  for (size_t k = 0; k < items.size(); ++k) {
    if (k > 0) request_.append(" UNION ALL ");
    request_.append("(SELECT ");
    request_.append(std::to_string(k));
    request_.push_back(',');
    request_.append(queries[k], offset);
    request_.push_back(')');
  }
  if (mysql_real_query(db_, request_.data(), request_.size()) != 0) return UnionFailed(failure, connection_lost);
  MYSQL_RES* result = mysql_store_result(db_);
  if (result == nullptr) return UnionFailed(failure, connection_lost);
  bool usable = !mysql_more_results(db_) && mysql_num_fields(result) >= 2;
  // The branches' rows, in branch order (MariaDB streams the branches of
  // a UNION ALL one after the other); any other order, or a tag that
  // names no branch, and the keys are run again one statement each.
  size_t last_tag = 0;
  while (MYSQL_ROW row = usable ? mysql_fetch_row(result) : nullptr) {
    size_t tag = 0;
    if (!ParseTag(row[0], mysql_fetch_lengths(result)[0], &tag) || tag < last_tag || tag >= items.size())
      usable = false;
    last_tag = tag;
  }
  if (!usable) {
    mysql_free_result(result);
    while (mysql_next_result(db_) == 0)  // keeps the connection in step
      if (MYSQL_RES* extra = mysql_store_result(db_)) mysql_free_result(extra);
    return false;
  }
  for (size_t item : items) batch->Begin(item);
  const unsigned columns = mysql_num_fields(result);
  mysql_data_seek(result, 0);
  while (MYSQL_ROW row = mysql_fetch_row(result)) {
    unsigned long* lengths = mysql_fetch_lengths(result);
    size_t tag = 0;
    (void)ParseTag(row[0], lengths[0], &tag);
    for (unsigned column = 1; column < columns; ++column)
      batch->Value(items[tag], row[column], row[column] != nullptr ? lengths[column] : 0);
  }
  for (size_t item : items) batch->Complete(item);
  mysql_free_result(result);
  return true;
}

bool MysqlConnection::ParseTag(const char* text, unsigned long size, size_t* tag) {
  if (text == nullptr || size == 0 || size > 9) return false;
  size_t value = 0;
  for (unsigned long i = 0; i < size; ++i) {
    if (text[i] < '0' || text[i] > '9') return false;
    value = value * 10 + static_cast<size_t>(text[i] - '0');
  }
  *tag = value;
  return true;
}

bool MysqlConnection::UnionFailed(std::string* failure, bool* connection_lost) {
  const unsigned error = mysql_errno(db_);
  // A client error (CR_*, 2000-2999: the connection is lost or broken)
  // would fail the first of these keys the same way one at a time.
  if (error >= 2000 && error < 3000) {
    *failure = QueryFailed("");
    *connection_lost = true;
    return false;
  }
  // A statement the server does not take as built (a parse error, a column
  // count mismatch, a wrong use of a clause): IsUnionBatchSafe missed
  // something about this template; stop trying it on this connection.
  if (error == 1064 || error == 1221 || error == 1222 || error == 1234) union_refused_ = true;
  return false;
}

size_t MysqlConnection::RunStatements(QueryBatch* batch, const std::vector<size_t>& items,
                                      const std::vector<std::string>& queries, std::string* failure) {
  if (items.size() == 1) return RunOne(batch, items[0], queries[0], failure) ? 1 : 0;
  request_.clear();
  for (size_t k = 0; k < items.size(); ++k) {
    if (k > 0) request_.push_back(';');
    request_.append(queries[k]);
  }
  return RunRequest(batch, items, failure);
}

size_t MysqlConnection::Run(QueryBatch* batch, size_t first, std::string* failure) {
  MysqlQuoter quoter(db_);
  std::vector<size_t> items;
  std::vector<std::string> queries;
  size_t next = first;
  while (next < batch->size()) {
    // Gather the next request's items and their queries.
    const bool as_union = settings_.union_select_list.has_value() && !union_refused_;
    const size_t limit = as_union                      ? kKeysPerUnion
                         : settings_.multi_statements ? kStatementsPerRequest
                                                      : 1;
    items.clear();
    size_t bytes = 0;
    while (next < batch->size() && items.size() < limit && bytes < kMaxRequestBytes) {
      if (items.size() == queries.size()) queries.emplace_back();
      std::string& query = queries[items.size()];
      if (!batch->BuildQuery(next, quoter, &query)) {
        batch->Fail(next, "cannot escape input string",
                    settings_.table_name + ": cannot escape input string");
        ++next;
        continue;
      }
      bytes += query.size() + 32;
      items.push_back(next++);
    }
    if (items.empty()) break;
    queries.resize(items.size());
    if (as_union && items.size() > 1) {
      bool connection_lost = false;
      if (RunUnion(batch, items, queries, failure, &connection_lost)) continue;
      if (connection_lost) return items[0];
    }
    size_t done = RunStatements(batch, items, queries, failure);
    if (done < items.size()) return items[done];
  }
  return batch->size();
}

void InitializeLibraryOnce() {
  static std::once_flag once;
  std::call_once(once, [] { mysql_library_init(0, nullptr, nullptr); });
}

class MysqlConnector : public SqlConnector {
 public:
  explicit MysqlConnector(MysqlSettings settings) : settings_(std::move(settings)) {}

  bool Connect(const ServerAddress& server, std::unique_ptr<SqlConnection>* connection,
               std::string* failure) override {
    InitializeLibraryOnce();
    MYSQL* db = mysql_init(nullptr);
    if (db == nullptr) {
      *failure = "connect to mysql server " + server.text + ": out of memory";
      return false;
    }
    SetOptions(db);
    const bool unix_socket = server.kind == ServerAddress::Kind::kUnix;
    const char* host = !unix_socket ? server.host.c_str() : nullptr;
    const char* socket = unix_socket && !server.host.empty() ? server.host.c_str() : nullptr;
    unsigned port = server.port.empty() ? 0 : static_cast<unsigned>(std::atoi(server.port.c_str()));
    if (!server.port.empty() && (server.port[0] < '0' || server.port[0] > '9')) {
      const servent* service = ::getservbyname(server.port.c_str(), "tcp");
      port = service != nullptr ? ntohs(static_cast<uint16_t>(service->s_port)) : 0;
    }
    unsigned long flags = CLIENT_MULTI_RESULTS | (settings_.multi_statements ? CLIENT_MULTI_STATEMENTS : 0);
    if (mysql_real_connect(db, host, settings_.user.c_str(), settings_.password.c_str(),
                           settings_.dbname.c_str(), port, socket, flags) == nullptr) {
      *failure = "connect to mysql server " + server.text + ": " + OneLine(mysql_error(db));
      mysql_close(db);
      return false;
    }
    *connection = std::make_unique<MysqlConnection>(db, settings_);
    return true;
  }

 private:
  void SetOptions(MYSQL* db) const {
    const MysqlSettings& s = settings_;
    if (s.option_file) mysql_options(db, MYSQL_READ_DEFAULT_FILE, s.option_file->c_str());
    if (!s.option_group.empty()) mysql_options(db, MYSQL_READ_DEFAULT_GROUP, s.option_group.c_str());
    unsigned connect_timeout = static_cast<unsigned>(s.connect_timeout_seconds);
    unsigned io_timeout = static_cast<unsigned>(s.query_timeout_seconds);
    mysql_options(db, MYSQL_OPT_CONNECT_TIMEOUT, &connect_timeout);
    mysql_options(db, MYSQL_OPT_READ_TIMEOUT, &io_timeout);
    mysql_options(db, MYSQL_OPT_WRITE_TIMEOUT, &io_timeout);
    auto c_str = [](const std::optional<std::string>& v) { return v ? v->c_str() : nullptr; };
    if (s.tls_key_file || s.tls_cert_file || s.tls_ca_file || s.tls_ca_path || s.tls_ciphers)
      mysql_ssl_set(db, c_str(s.tls_key_file), c_str(s.tls_cert_file), c_str(s.tls_ca_file),
                    c_str(s.tls_ca_path), c_str(s.tls_ciphers));
    if (s.tls_verify_cert != -1) {
      my_bool verify = s.tls_verify_cert != 0;
      mysql_options(db, MYSQL_OPT_SSL_VERIFY_SERVER_CERT, &verify);
    }
  }

  MysqlSettings settings_;
};

}  // namespace

std::unique_ptr<SqlConnector> NewMysqlConnector(MysqlSettings settings) {
  return std::make_unique<MysqlConnector>(std::move(settings));
}

}  // namespace mctable
