// MysqlPreparedUnion; see mysql_prepared_union.h.
#include "table/sql/mysql_prepared_union.h"

#include <charconv>
#include <cstring>

namespace mctable {
namespace {

enum class ColumnKind { kText, kInteger, kRefused };

// Types whose values are byte strings in both protocols.
bool IsString(enum_field_types type) {
  switch (type) {
    case MYSQL_TYPE_VARCHAR:
    case MYSQL_TYPE_VAR_STRING:
    case MYSQL_TYPE_STRING:
    case MYSQL_TYPE_TINY_BLOB:
    case MYSQL_TYPE_MEDIUM_BLOB:
    case MYSQL_TYPE_LONG_BLOB:
    case MYSQL_TYPE_BLOB:
    case MYSQL_TYPE_ENUM:
    case MYSQL_TYPE_SET:
    case MYSQL_TYPE_JSON:
    case MYSQL_TYPE_NULL:
      return true;
    default:
      return false;
  }
}

// How a result column can be read so that its bytes are the text
// protocol's (mysql_prepared_union.h).
ColumnKind KindOf(const MysqlColumn& column) {
  switch (column.type) {
    case MYSQL_TYPE_TINY:
    case MYSQL_TYPE_SHORT:
    case MYSQL_TYPE_INT24:
    case MYSQL_TYPE_LONG:
    case MYSQL_TYPE_LONGLONG:
      return (column.flags & ZEROFILL_FLAG) != 0 ? ColumnKind::kRefused : ColumnKind::kInteger;
    case MYSQL_TYPE_DECIMAL:
    case MYSQL_TYPE_NEWDECIMAL:
      return ColumnKind::kText;
    default:
      return IsString(column.type) ? ColumnKind::kText : ColumnKind::kRefused;
  }
}

// The result columns' kinds; false when one is refused, or the first (the
// branch tag) is not an integer.
bool ColumnKinds(const std::vector<MysqlColumn>& columns, std::vector<bool>* integer,
                 std::vector<bool>* is_unsigned) {
  const size_t count = columns.size();
  if (count < 2) return false;
  integer->assign(count, false);
  is_unsigned->assign(count, false);
  for (size_t c = 0; c < count; ++c) {
    ColumnKind kind = KindOf(columns[c]);
    if (kind == ColumnKind::kRefused || (c == 0 && kind != ColumnKind::kInteger)) return false;
    (*integer)[c] = kind == ColumnKind::kInteger;
    (*is_unsigned)[c] = (columns[c].flags & UNSIGNED_FLAG) != 0;
  }
  return true;
}

}  // namespace

bool UnionPrintsAsQuery(const std::vector<MysqlColumn>& union_columns, const std::vector<MysqlColumn>& query) {
  if (union_columns.size() != query.size() + 1) return false;
  for (size_t c = 0; c < query.size(); ++c) {
    const MysqlColumn& alone = query[c];
    const MysqlColumn& other = union_columns[c + 1];
    if (IsString(alone.type) && IsString(other.type)) continue;
    if (alone.type != other.type || alone.decimals != other.decimals || (alone.flags & ZEROFILL_FLAG) != 0 ||
        (alone.flags & UNSIGNED_FLAG) != (other.flags & UNSIGNED_FLAG))
      return false;
  }
  return true;
}

std::vector<MysqlColumn> DescribeColumns(MYSQL_RES* result) {
  std::vector<MysqlColumn> columns;
  const unsigned count = mysql_num_fields(result);
  const MYSQL_FIELD* fields = mysql_fetch_fields(result);
  for (unsigned c = 0; c < count; ++c)
    columns.push_back(
        MysqlColumn{fields[c].type, fields[c].flags & (UNSIGNED_FLAG | ZEROFILL_FLAG), fields[c].decimals});
  return columns;
}

MysqlPreparedUnion::~MysqlPreparedUnion() { Close(); }

void MysqlPreparedUnion::Close() {
  if (stmt_ != nullptr) mysql_stmt_close(stmt_);
  stmt_ = nullptr;
}

bool MysqlPreparedUnion::Prepare(MYSQL* db, std::string_view select_tail,
                                 const std::vector<KeyFormat>* parameters, size_t branches,
                                 const std::vector<MysqlColumn>& query_columns) {
  Close();
  std::string statement;
  for (size_t k = 0; k < branches; ++k) {
    if (k > 0) statement.append(" UNION ALL ");
    statement.append("(SELECT ");
    statement.append(std::to_string(k));
    statement.push_back(',');
    statement.append(select_tail);
    statement.push_back(')');
  }
  stmt_ = mysql_stmt_init(db);
  if (stmt_ == nullptr) return false;
  bool usable = mysql_stmt_prepare(stmt_, statement.data(), statement.size()) == 0 &&
                mysql_stmt_param_count(stmt_) == branches * parameters->size();
  if (usable) {
    MYSQL_RES* metadata = mysql_stmt_result_metadata(stmt_);
    const std::vector<MysqlColumn> columns =
        metadata != nullptr ? DescribeColumns(metadata) : std::vector<MysqlColumn>();
    usable = metadata != nullptr && UnionPrintsAsQuery(columns, query_columns) &&
             ColumnKinds(columns, &integer_, &unsigned_);
    if (metadata != nullptr) mysql_free_result(metadata);
  }
  my_bool update_max_length = 1;
  if (usable) usable = mysql_stmt_attr_set(stmt_, STMT_ATTR_UPDATE_MAX_LENGTH, &update_max_length) == 0;
  if (!usable) {
    Close();
    return false;
  }
  parameters_ = parameters;
  query_columns_ = query_columns;
  branches_ = branches;
  const size_t count = branches * parameters->size();
  values_.resize(count);
  params_.assign(count, MYSQL_BIND{});
  param_lengths_.assign(count, 0);
  const size_t columns = integer_.size();
  columns_.assign(columns, MYSQL_BIND{});
  lengths_.assign(columns, 0);
  nulls_.assign(columns, 0);
  buffers_.resize(columns);
  numbers_.assign(columns, 0);
  return true;
}

MysqlPreparedUnion::Outcome MysqlPreparedUnion::Failed(std::string* error) {
  // (Read before mysql_stmt_free_result, which resets them.)
  const unsigned code = mysql_stmt_errno(stmt_);
  const std::string message = mysql_stmt_error(stmt_);
  mysql_stmt_free_result(stmt_);
  // A client error (CR_*, 2000-2999): the connection is lost or broken.
  if (code >= 2000 && code < 3000) {
    *error = message;
    Close();
    return Outcome::kConnectionLost;
  }
  return Outcome::kAsText;
}

MysqlPreparedUnion::Outcome MysqlPreparedUnion::Run(QueryBatch* batch, const std::vector<size_t>& items,
                                                    std::string* error) {
  if (stmt_ == nullptr || items.size() != branches_) return Outcome::kAsText;
  const size_t per_branch = parameters_->size();
  for (size_t k = 0; k < items.size(); ++k) {
    const std::string& key = batch->Key(items[k]);
    for (size_t p = 0; p < per_branch; ++p) {
      const size_t n = k * per_branch + p;
      // The key was accepted by the template (DbCommon::PrepareKey): every
      // part expands.
      if (!(*parameters_)[p].Expand(key, &values_[n])) return Outcome::kAsText;
      MYSQL_BIND& bind = params_[n];
      bind.buffer_type = MYSQL_TYPE_STRING;
      bind.buffer = values_[n].data();
      bind.buffer_length = values_[n].size();
      param_lengths_[n] = values_[n].size();
      bind.length = &param_lengths_[n];
    }
  }
  if (mysql_stmt_bind_param(stmt_, params_.data()) != 0 || mysql_stmt_execute(stmt_) != 0 ||
      mysql_stmt_store_result(stmt_) != 0)
    return Failed(error);

  // The columns as they came (a table altered since the statement was
  // prepared is prepared again by the server, perhaps with other types),
  // with the longest value of each.
  MYSQL_RES* metadata = mysql_stmt_result_metadata(stmt_);
  std::vector<bool> integer, is_unsigned;
  const std::vector<MysqlColumn> columns =
      metadata != nullptr ? DescribeColumns(metadata) : std::vector<MysqlColumn>();
  if (metadata == nullptr || !UnionPrintsAsQuery(columns, query_columns_) ||
      !ColumnKinds(columns, &integer, &is_unsigned) || integer != integer_ || is_unsigned != unsigned_) {
    if (metadata != nullptr) mysql_free_result(metadata);
    mysql_stmt_free_result(stmt_);
    Close();
    return Outcome::kAsText;
  }
  const MYSQL_FIELD* fields = mysql_fetch_fields(metadata);
  for (size_t c = 0; c < columns_.size(); ++c) {
    MYSQL_BIND& bind = columns_[c];
    bind = MYSQL_BIND{};
    if (integer_[c]) {
      bind.buffer_type = MYSQL_TYPE_LONGLONG;
      bind.buffer = &numbers_[c];
      bind.buffer_length = sizeof(numbers_[c]);
      bind.is_unsigned = unsigned_[c] ? 1 : 0;
    } else {
      buffers_[c].resize(fields[c].max_length + 1);
      bind.buffer_type = MYSQL_TYPE_STRING;
      bind.buffer = buffers_[c].data();
      bind.buffer_length = buffers_[c].size();
    }
    bind.length = &lengths_[c];
    bind.is_null = &nulls_[c];
  }
  mysql_free_result(metadata);
  if (mysql_stmt_bind_result(stmt_, columns_.data()) != 0) return Failed(error);

  // The branches' rows, in branch order, as for the text statement
  // (mysql_connection.cc); anything else and the part runs as text.
  size_t last_tag = 0;
  for (;;) {
    int fetched = mysql_stmt_fetch(stmt_);
    if (fetched == MYSQL_NO_DATA) break;
    if (fetched != 0 || nulls_[0] || numbers_[0] < 0 || static_cast<size_t>(numbers_[0]) >= items.size() ||
        static_cast<size_t>(numbers_[0]) < last_tag) {
      mysql_stmt_free_result(stmt_);
      return Outcome::kAsText;
    }
    last_tag = static_cast<size_t>(numbers_[0]);
  }
  for (size_t item : items) batch->Begin(item);
  mysql_stmt_data_seek(stmt_, 0);
  char digits[24];
  while (mysql_stmt_fetch(stmt_) == 0) {
    const size_t item = items[static_cast<size_t>(numbers_[0])];
    for (size_t c = 1; c < columns_.size(); ++c) {
      if (nulls_[c]) {
        batch->Value(item, nullptr, 0);
      } else if (integer_[c]) {
        std::to_chars_result end =
            unsigned_[c] ? std::to_chars(digits, digits + sizeof digits, static_cast<unsigned long long>(numbers_[c]))
                         : std::to_chars(digits, digits + sizeof digits, numbers_[c]);
        batch->Value(item, digits, static_cast<size_t>(end.ptr - digits));
      } else {
        batch->Value(item, buffers_[c].data(), lengths_[c]);
      }
    }
  }
  for (size_t item : items) batch->Complete(item);
  mysql_stmt_free_result(stmt_);
  return Outcome::kDone;
}

}  // namespace mctable
