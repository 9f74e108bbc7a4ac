// MysqlConnector and MysqlConnection; see mysql_connection.h.
#include "table/sql/mysql_connection.h"

#include <mysql.h>
#include <netdb.h>

#include <pthread.h>
#include <signal.h>

#include <atomic>
#include <cstdlib>
#include <mutex>
#include <system_error>
#include <thread>
#include <vector>

#include "table/sql/mysql_prepared_union.h"
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

// Opens a connection to `server` with the table's options; on failure
// returns null with *failure set to Postfix's warning.
MYSQL* OpenMysql(const MysqlSettings& settings, const ServerAddress& server, std::string* failure);

// One MYSQL handle and what a run on it keeps between requests.
struct MysqlSession {
  MYSQL* db = nullptr;
  std::string request;
  bool union_refused = false;
  MysqlPreparedUnion prepared;
  bool prepared_refused = false;
  // The columns of the template's query run alone (the session's first
  // item), against which UNION ALL statements are checked: MariaDB drops
  // ZEROFILL from a UNION's columns, and the text it sends with it.
  std::vector<MysqlColumn> query_columns;
  std::vector<size_t> items;
  std::vector<std::string> queries;
};

class MysqlConnection : public SqlConnection {
 public:
  MysqlConnection(MYSQL* db, const MysqlSettings& settings, ServerAddress server)
      : settings_(settings), server_(std::move(server)) {
    main_.db = db;
  }
  ~MysqlConnection() override {
    mysql_close(main_.db);
    if (sibling_.db != nullptr) mysql_close(sibling_.db);
  }

  size_t Run(QueryBatch* batch, size_t first, std::string* failure) override;

 private:
  // Items per request: a UNION ALL statement, a multi-statement request or
  // one query.
  size_t RequestSize(const MysqlSession& session) const;
  // Whether the session sends UNION ALL statements.
  bool AsUnion(const MysqlSession& session) const;
  // Items [begin, end) on one session, a request at a time; returns the
  // first item that did not complete (end when all did).
  size_t RunRange(MysqlSession& session, QueryBatch* batch, size_t begin, size_t end, std::string* failure);
  // Whether parts of kKeysPerUnion items run as the prepared statement
  // (prepared now if it is not yet).
  bool UsePrepared(MysqlSession& session);
  // Items [first, size) split into requests that the main session and the
  // sibling take in turn; the same result as RunRange on one session.
  size_t RunShared(QueryBatch* batch, size_t first, std::string* failure);
  // One query, Postfix's way; false with *failure on failure.
  bool RunOne(MysqlSession& session, QueryBatch* batch, size_t item, const std::string& query,
              std::string* failure);
  // The session's items of one multi-statement request (session.request);
  // returns the first item not completed (items.size() when all did).
  size_t RunRequest(MysqlSession& session, QueryBatch* batch, std::string* failure);
  // The session's items (two or more) as one UNION ALL statement; false
  // when it failed (*connection_lost and *failure set when the connection
  // is gone) or gave rows that cannot be assigned, and nothing was
  // delivered.
  bool RunUnion(MysqlSession& session, QueryBatch* batch, std::string* failure, bool* connection_lost);
  bool UnionFailed(MysqlSession& session, std::string* failure, bool* connection_lost);
  static bool ParseTag(const char* text, unsigned long size, size_t* tag);
  // The session's items one statement each (RunOne or RunRequest); returns
  // how many completed.
  size_t RunStatements(MysqlSession& session, QueryBatch* batch, std::string* failure);
  static void Deliver(QueryBatch* batch, size_t item, MYSQL_RES* result);
  std::string QueryFailed(MYSQL* db, std::string_view what) const {
    return settings_.table_name + ": query failed" + std::string(what) + ": " + OneLine(mysql_error(db));
  }

  MysqlSettings settings_;
  ServerAddress server_;
  MysqlSession main_;
  // A second connection to the same server, opened by the first batch
  // that can use it: MariaDB runs each connection's statements on one
  // thread, so a batch split over two connections uses two cores.
  MysqlSession sibling_;
  bool sibling_unavailable_ = false;
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

bool MysqlConnection::RunOne(MysqlSession& session, QueryBatch* batch, size_t item, const std::string& query,
                             std::string* failure) {
  MYSQL* db = session.db;
  if (mysql_real_query(db, query.data(), query.size()) != 0) {
    *failure = QueryFailed(db, "");
    return false;
  }
  // Every result set is read, so that the connection stays in step.
  MYSQL_RES* first_result = nullptr;
  std::string error;
  int more;
  do {
    if (MYSQL_RES* result = mysql_store_result(db)) {
      if (first_result == nullptr) {
        first_result = result;
      } else {
        if (error.empty())
          error = settings_.table_name + ": query failed: multiple result sets returning data are not supported";
        mysql_free_result(result);
      }
    } else if (mysql_field_count(db) != 0 && error.empty()) {
      error = QueryFailed(db, " (mysql_store_result)");
    }
    more = mysql_next_result(db);  // 0: more results, -1: no more, >0: error
    if (more > 0 && error.empty()) error = QueryFailed(db, " (mysql_next_result)");
  } while (more == 0);
  if (first_result == nullptr && settings_.require_result_set && error.empty())
    error = settings_.table_name +
            ": query failed: query returned no result set(require_result_set = yes)";
  if (!error.empty()) {
    if (first_result != nullptr) mysql_free_result(first_result);
    *failure = error;
    return false;
  }
  if (first_result != nullptr && session.query_columns.empty()) {
    session.query_columns = DescribeColumns(first_result);
    for (const MysqlColumn& column : session.query_columns)
      if ((column.flags & ZEROFILL_FLAG) != 0) session.union_refused = true;  // a UNION would drop it
  }
  Deliver(batch, item, first_result);
  if (first_result != nullptr) mysql_free_result(first_result);
  return true;
}

size_t MysqlConnection::RunRequest(MysqlSession& session, QueryBatch* batch, std::string* failure) {
  // One statement per item, each a SELECT (IsMultiStatementSafe): exactly
  // one result (a result set, or none) per statement, in order.  The
  // server stops at the first statement that fails.
  MYSQL* db = session.db;
  const std::vector<size_t>& items = session.items;
  if (mysql_real_query(db, session.request.data(), session.request.size()) != 0) {
    *failure = QueryFailed(db, "");
    return 0;
  }
  for (size_t k = 0;; ++k) {
    MYSQL_RES* result = mysql_store_result(db);
    if (result == nullptr && mysql_field_count(db) != 0) {
      *failure = QueryFailed(db, " (mysql_store_result)");
      return k;
    }
    if (result == nullptr && settings_.require_result_set) {
      *failure = settings_.table_name +
                 ": query failed: query returned no result set(require_result_set = yes)";
      return k;
    }
    Deliver(batch, items[k], result);
    if (result != nullptr) mysql_free_result(result);
    int more = mysql_next_result(db);  // 0: more results, -1: no more, >0: error
    const bool last = k + 1 == items.size();
    if (more > 0) {
      *failure = QueryFailed(db, "");
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

bool MysqlConnection::RunUnion(MysqlSession& session, QueryBatch* batch, std::string* failure,
                               bool* connection_lost) {
  MYSQL* db = session.db;
  const std::vector<size_t>& items = session.items;
  const size_t offset = *settings_.union_select_list;
  std::string& request = session.request;
  request.clear();
  for (size_t k = 0; k < items.size(); ++k) {
    if (k > 0) request.append(" UNION ALL ");
    request.append("(SELECT ");
    request.append(std::to_string(k));
    request.push_back(',');
    request.append(session.queries[k], offset);
    request.push_back(')');
  }
  if (mysql_real_query(db, request.data(), request.size()) != 0)
    return UnionFailed(session, failure, connection_lost);
  MYSQL_RES* result = mysql_store_result(db);
  if (result == nullptr) return UnionFailed(session, failure, connection_lost);
  bool usable = !mysql_more_results(db);
  if (usable && !UnionPrintsAsQuery(DescribeColumns(result), session.query_columns)) {
    // The values may not be printed as the query alone prints them: no
    // more UNIONs on this connection.
    usable = false;
    session.union_refused = true;
  }
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
    while (mysql_next_result(db) == 0)  // keeps the connection in step
      if (MYSQL_RES* extra = mysql_store_result(db)) mysql_free_result(extra);
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

bool MysqlConnection::UnionFailed(MysqlSession& session, std::string* failure, bool* connection_lost) {
  const unsigned error = mysql_errno(session.db);
  // A client error (CR_*, 2000-2999: the connection is lost or broken)
  // would fail the first of these keys the same way one at a time.
  if (error >= 2000 && error < 3000) {
    *failure = QueryFailed(session.db, "");
    *connection_lost = true;
    return false;
  }
  // A statement the server does not take as built (a parse error, a column
  // count mismatch, a wrong use of a clause): IsUnionBatchSafe missed
  // something about this template; stop trying it on this connection.
  if (error == 1064 || error == 1221 || error == 1222 || error == 1234) session.union_refused = true;
  return false;
}

size_t MysqlConnection::RunStatements(MysqlSession& session, QueryBatch* batch, std::string* failure) {
  const std::vector<size_t>& items = session.items;
  if (items.size() == 1) return RunOne(session, batch, items[0], session.queries[0], failure) ? 1 : 0;
  session.request.clear();
  for (size_t k = 0; k < items.size(); ++k) {
    if (k > 0) session.request.push_back(';');
    session.request.append(session.queries[k]);
  }
  return RunRequest(session, batch, failure);
}

bool MysqlConnection::AsUnion(const MysqlSession& session) const {
  return settings_.union_select_list.has_value() && !session.union_refused;
}

size_t MysqlConnection::RequestSize(const MysqlSession& session) const {
  if (AsUnion(session)) return kKeysPerUnion;
  return settings_.multi_statements ? kStatementsPerRequest : 1;
}

bool MysqlConnection::UsePrepared(MysqlSession& session) {
  if (settings_.union_parameters.empty() || session.prepared_refused) return false;
  if (session.prepared.prepared()) return true;
  // A statement the server refuses, or whose columns the binary protocol
  // would not give as the text one does, is not tried again on this session.
  session.prepared_refused = !session.prepared.Prepare(session.db, settings_.union_statement_tail,
                                                       &settings_.union_parameters, kKeysPerUnion,
                                                       session.query_columns);
  return !session.prepared_refused;
}

size_t MysqlConnection::RunRange(MysqlSession& session, QueryBatch* batch, size_t begin, size_t end,
                                 std::string* failure) {
  MysqlQuoter quoter(session.db);
  std::vector<size_t>& items = session.items;
  std::vector<std::string>& queries = session.queries;
  size_t next = begin;
  while (next < end) {
    // Gather the next request's items and their queries.
    // The session's first item runs alone, so that the query's own columns
    // are known before any UNION ALL statement (query_columns).
    const bool learn = AsUnion(session) && session.query_columns.empty();
    const bool as_union = AsUnion(session) && !learn;
    const size_t limit = learn ? 1 : RequestSize(session);
    items.clear();
    size_t bytes = 0;
    while (next < end && items.size() < limit && bytes < kMaxRequestBytes) {
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
    if (as_union && items.size() == kKeysPerUnion && UsePrepared(session)) {
      switch (session.prepared.Run(batch, items, failure)) {
        case MysqlPreparedUnion::Outcome::kDone:
          continue;
        case MysqlPreparedUnion::Outcome::kConnectionLost:
          *failure = settings_.table_name + ": query failed: " + OneLine(*failure);
          return items[0];
        case MysqlPreparedUnion::Outcome::kAsText:
          break;  // the text statement, and its way back
      }
    }
    if (as_union && items.size() > 1) {
      bool connection_lost = false;
      if (RunUnion(session, batch, failure, &connection_lost)) continue;
      if (connection_lost) return items[0];
    }
    size_t done = RunStatements(session, batch, failure);
    if (done < items.size()) return items[done];
  }
  return end;
}

size_t MysqlConnection::RunShared(QueryBatch* batch, size_t first, std::string* failure) {
  // The batch is cut into parts of one request each, handed out in order.
  // A session stops taking parts after a failure; since the parts before a
  // failed one were all handed out, and each is run to its end, every item
  // before the first failure has completed, as on one connection.
  const size_t part_size = RequestSize(main_);
  const size_t size = batch->size();
  std::atomic<size_t> next_part{0};
  std::atomic<size_t> first_failed_part{SIZE_MAX};
  std::mutex mutex;
  size_t stop = size;
  std::string stop_failure;
  auto work = [&](MysqlSession& session) {
    std::string reason;
    for (;;) {
      const size_t part = next_part.fetch_add(1);
      const size_t begin = first + part * part_size;
      if (begin >= size || part > first_failed_part.load()) return;
      const size_t end = std::min(size, begin + part_size);
      const size_t done = RunRange(session, batch, begin, end, &reason);
      if (done < end) {
        std::lock_guard<std::mutex> lock(mutex);
        if (done < stop) {
          stop = done;
          stop_failure = reason;
        }
        size_t seen = first_failed_part.load();
        while (part < seen && !first_failed_part.compare_exchange_weak(seen, part)) {
        }
        return;
      }
    }
  };
  // The sibling's thread takes no signals: they stay with the caller's
  // thread, whose blocking calls they are meant to interrupt.
  sigset_t all, old;
  sigfillset(&all);
  pthread_sigmask(SIG_SETMASK, &all, &old);
  std::thread helper;
  try {
    helper = std::thread([&] {
    if (sibling_.db == nullptr) {
      std::string ignored;
      sibling_.db = OpenMysql(settings_, server_, &ignored);
      // Without a second connection the main one does all the parts.
      if (sibling_.db == nullptr) {
        sibling_unavailable_ = true;
        return;
      }
    }
    work(sibling_);
    });
  } catch (const std::system_error&) {
    // No thread to be had (a process limit): the main session does it all.
  }
  pthread_sigmask(SIG_SETMASK, &old, nullptr);
  work(main_);
  if (helper.joinable()) helper.join();
  if (stop < size) {
    *failure = stop_failure;
    // A failed sibling is closed with the connection: the caller drops it.
  }
  return stop;
}

size_t MysqlConnection::Run(QueryBatch* batch, size_t first, std::string* failure) {
  // Templates that are not plain SELECTs run one query at a time, in order,
  // as Postfix runs them; so do batches of one request.
  const bool shareable = settings_.multi_statements && !sibling_unavailable_ &&
                         batch->size() - first > RequestSize(main_);
  if (shareable) return RunShared(batch, first, failure);
  return RunRange(main_, batch, first, batch->size(), failure);
}

void InitializeLibraryOnce() {
  static std::once_flag once;
  std::call_once(once, [] { mysql_library_init(0, nullptr, nullptr); });
}

void SetOptions(const MysqlSettings& s, MYSQL* db) {
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

MYSQL* OpenMysql(const MysqlSettings& settings, const ServerAddress& server, std::string* failure) {
  InitializeLibraryOnce();
  MYSQL* db = mysql_init(nullptr);
  if (db == nullptr) {
    *failure = "connect to mysql server " + server.text + ": out of memory";
    return nullptr;
  }
  SetOptions(settings, db);
  const bool unix_socket = server.kind == ServerAddress::Kind::kUnix;
  const char* host = !unix_socket ? server.host.c_str() : nullptr;
  const char* socket = unix_socket && !server.host.empty() ? server.host.c_str() : nullptr;
  unsigned port = server.port.empty() ? 0 : static_cast<unsigned>(std::atoi(server.port.c_str()));
  if (!server.port.empty() && (server.port[0] < '0' || server.port[0] > '9')) {
    const servent* service = ::getservbyname(server.port.c_str(), "tcp");
    port = service != nullptr ? ntohs(static_cast<uint16_t>(service->s_port)) : 0;
  }
  unsigned long flags = CLIENT_MULTI_RESULTS | (settings.multi_statements ? CLIENT_MULTI_STATEMENTS : 0);
  if (mysql_real_connect(db, host, settings.user.c_str(), settings.password.c_str(), settings.dbname.c_str(),
                         port, socket, flags) == nullptr) {
    *failure = "connect to mysql server " + server.text + ": " + OneLine(mysql_error(db));
    mysql_close(db);
    return nullptr;
  }
  return db;
}

class MysqlConnector : public SqlConnector {
 public:
  explicit MysqlConnector(MysqlSettings settings) : settings_(std::move(settings)) {}

  bool Connect(const ServerAddress& server, std::unique_ptr<SqlConnection>* connection,
               std::string* failure) override {
    MYSQL* db = OpenMysql(settings_, server, failure);
    if (db == nullptr) return false;
    *connection = std::make_unique<MysqlConnection>(db, settings_, server);
    return true;
  }

 private:
  MysqlSettings settings_;
};

}  // namespace

std::unique_ptr<SqlConnector> NewMysqlConnector(MysqlSettings settings) {
  return std::make_unique<MysqlConnector>(std::move(settings));
}

}  // namespace mctable
