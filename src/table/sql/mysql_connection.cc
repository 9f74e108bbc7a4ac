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

// Queries per multi-statement request, and a bound on its size.
constexpr size_t kStatementsPerRequest = 256;
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
  void Deliver(QueryBatch* batch, size_t item, MYSQL_RES* result);
  std::string QueryFailed(std::string_view what) const {
    return settings_.table_name + ": query failed" + std::string(what) + ": " + OneLine(mysql_error(db_));
  }

  MYSQL* db_;
  MysqlSettings settings_;
  std::string query_;
  std::string request_;
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

size_t MysqlConnection::Run(QueryBatch* batch, size_t first, std::string* failure) {
  MysqlQuoter quoter(db_);
  std::vector<size_t> items;
  size_t next = first;
  while (next < batch->size()) {
    // Gather the next request: one query, or several joined by ";".
    items.clear();
    request_.clear();
    const size_t limit = settings_.multi_statements ? kStatementsPerRequest : 1;
    while (next < batch->size() && items.size() < limit && request_.size() < kMaxRequestBytes) {
      if (!batch->BuildQuery(next, quoter, &query_)) {
        batch->Fail(next, "cannot escape input string",
                    settings_.table_name + ": cannot escape input string");
        ++next;
        continue;
      }
      if (!items.empty()) request_.push_back(';');
      request_.append(query_);
      items.push_back(next++);
    }
    if (items.empty()) break;
    if (items.size() == 1) {
      if (!RunOne(batch, items[0], request_, failure)) return items[0];
      continue;
    }
    size_t done = RunRequest(batch, items, failure);
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
