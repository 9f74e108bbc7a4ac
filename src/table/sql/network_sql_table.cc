// NetworkSqlTable; see network_sql_table.h.
#include "table/sql/network_sql_table.h"

#include <ctime>

namespace mctable {
namespace {

// The items of one LookupMany that are queried, with their answers.
class LookupBatch : public QueryBatch {
 public:
  struct Item {
    size_t result_index = 0;
    std::string key;  // as queried (folded)
    DbCommon::ResultBuilder answer;
    bool failed = false;
    std::string failure;
  };

  LookupBatch(const DbCommon* common, std::vector<Item>* items) : common_(common), items_(items) {}

  size_t size() const override { return items_->size(); }
  bool BuildQuery(size_t i, const ValueQuoter& quoter, std::string* query) override {
    Item& item = (*items_)[i];
    item.failed = false;
    return common_->ExpandQuery(item.key, quoter, query);
  }
  void Begin(size_t i) override { (*items_)[i].answer.Start(common_, (*items_)[i].key); }
  void Value(size_t i, const char* data, size_t size) override { (*items_)[i].answer.Add(data, size); }
  void Complete(size_t) override {}
  void Fail(size_t i, const std::string& reason) override {
    (*items_)[i].failed = true;
    (*items_)[i].failure = reason;
  }

 private:
  const DbCommon* common_;
  std::vector<Item>* items_;
};

}  // namespace

NetworkSqlTable::NetworkSqlTable(std::unique_ptr<DbCommon> common,
                                 std::unique_ptr<SqlConnector> connector, ServerList servers)
    : Table(common->naming().type, common->naming().name),
      common_(std::move(common)),
      connector_(std::move(connector)),
      servers_(std::move(servers)),
      connections_(servers_.size()) {}

NetworkSqlTable::~NetworkSqlTable() = default;

Status NetworkSqlTable::Lookup(std::string_view key, std::string* value) {
  std::string k(key);
  std::vector<LookupResult> results;
  LookupMany(std::span<const std::string>(&k, 1), &results);
  if (results[0].status.ok()) *value = std::move(results[0].value);
  return results[0].status;
}

size_t NetworkSqlTable::ActiveServer(std::string* last_failure) {
  std::time_t now = std::time(nullptr);
  size_t server = servers_.PickConnected(now, &to_close_);
  for (size_t idle : to_close_) connections_[idle].reset();
  if (server != ServerList::kNone) return server;
  while ((server = servers_.PickToConnect(now)) != ServerList::kNone) {
    std::string failure;
    if (connector_->Connect(servers_.address(server), &connections_[server], &failure)) {
      servers_.Connected(server, now);
      return server;
    }
    servers_.Failed(server, now);
    *last_failure = failure;
  }
  return ServerList::kNone;
}

std::string NetworkSqlTable::NoServerMessage(const std::string& last_failure) const {
  if (!last_failure.empty()) return full_name() + ": " + last_failure;
  return full_name() + ": no database server available: each failed in the last " +
         std::to_string(servers_.retry_interval()) + " seconds (retry_interval); next try in " +
         std::to_string(servers_.SecondsUntilRetry(std::time(nullptr))) + " seconds";
}

void NetworkSqlTable::LookupMany(std::span<const std::string> keys,
                                 std::vector<LookupResult>* results) {
  results->resize(keys.size());
  std::vector<LookupBatch::Item> items;
  std::string lookup_key;
  for (size_t i = 0; i < keys.size(); ++i) {
    LookupResult& result = (*results)[i];
    result.value.clear();
    result.status = common_->PrepareKey(keys[i], &lookup_key);
    if (!result.status.ok()) {
      if (result.status.IsNotFound()) result.status = Status::NotFound();
      continue;
    }
    LookupBatch::Item& item = items.emplace_back();
    item.result_index = i;
    item.key = lookup_key;
    item.answer.Start(common_.get(), item.key);
  }

  LookupBatch batch(common_.get(), &items);
  size_t next = 0;
  std::string last_failure;
  while (next < items.size()) {
    size_t server = ActiveServer(&last_failure);
    if (server == ServerList::kNone) break;
    std::string failure;
    next = connections_[server]->Run(&batch, next, &failure);
    std::time_t now = std::time(nullptr);
    if (next < items.size()) {
      connections_[server].reset();
      servers_.Failed(server, now);
      last_failure = failure;
    } else {
      servers_.Used(server, now);
    }
  }

  for (size_t j = 0; j < items.size(); ++j) {
    LookupBatch::Item& item = items[j];
    LookupResult& result = (*results)[item.result_index];
    if (j >= next) {
      result.status = Status::TempError(NoServerMessage(last_failure));
    } else if (item.failed) {
      result.status = Status::TempError(full_name() + ": " + item.failure);
    } else {
      result = item.answer.Finish();
    }
  }
}

}  // namespace mctable
