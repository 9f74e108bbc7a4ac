// NetworkSqlTable; see network_sql_table.h.
#include "table/sql/network_sql_table.h"

#include <ctime>

#include "common/timer_clock.h"
#include "mctable/log.h"

namespace mctable {
namespace {

constexpr size_t kNoItem = static_cast<size_t>(-1);

// The items of one LookupMany that are queried, with their answers and
// the warnings to log for them.
class LookupBatch : public QueryBatch {
 public:
  struct Item {
    size_t result_index = 0;
    std::string key;  // as queried (folded)
    DbCommon::ResultBuilder answer;
    bool failed = false;
    std::string failure;
    // Connection and query failures met while this item was the next to run.
    std::vector<std::string> warnings;
  };

  LookupBatch(const DbCommon* common, std::vector<Item>* items) : common_(common), items_(items) {}

  size_t size() const override { return items_->size(); }
  const std::string& Key(size_t i) const override { return (*items_)[i].key; }
  bool BuildQuery(size_t i, const ValueQuoter& quoter, std::string* query) override {
    Item& item = (*items_)[i];
    item.failed = false;
    return common_->ExpandQuery(item.key, quoter, query);
  }
  void Begin(size_t i) override { (*items_)[i].answer.Start(common_, (*items_)[i].key, true); }
  void Value(size_t i, const char* data, size_t size) override { (*items_)[i].answer.Add(data, size); }
  void Complete(size_t) override {}
  void Fail(size_t i, const std::string& reason, const std::string& warning) override {
    Item& item = (*items_)[i];
    item.failed = true;
    item.failure = reason;
    item.warnings.push_back(warning);
  }
  void Warn(size_t i, std::string text) { (*items_)[i].warnings.push_back(std::move(text)); }

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

size_t NetworkSqlTable::ActiveServer(std::vector<std::string>* failures) {
  std::time_t now = TimerWallSeconds();
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
    failures->push_back(std::move(failure));
  }
  return ServerList::kNone;
}

std::string NetworkSqlTable::NoServerMessage(const std::string& last_failure) const {
  // The failure is worded as Postfix's warning; the mysql ones name the
  // table already.
  if (!last_failure.empty())
    return last_failure.rfind(full_name() + ":", 0) == 0 ? last_failure : full_name() + ": " + last_failure;
  return full_name() + ": no database server available: each failed in the last " +
         std::to_string(servers_.retry_interval()) + " seconds (retry_interval); next try in " +
         std::to_string(servers_.SecondsUntilRetry(TimerWallSeconds())) + " seconds";
}

void NetworkSqlTable::LookupMany(std::span<const std::string> keys,
                                 std::vector<LookupResult>* results) {
  results->resize(keys.size());
  std::vector<std::string> key_warnings(keys.size());
  std::vector<size_t> item_of(keys.size(), kNoItem);
  std::vector<LookupBatch::Item> items;
  std::string lookup_key;
  for (size_t i = 0; i < keys.size(); ++i) {
    LookupResult& result = (*results)[i];
    result.value.clear();
    result.status = common_->PrepareKey(keys[i], &lookup_key, &key_warnings[i]);
    if (!result.status.ok()) {
      if (result.status.IsNotFound()) result.status = Status::NotFound();
      continue;
    }
    item_of[i] = items.size();
    LookupBatch::Item& item = items.emplace_back();
    item.result_index = i;
    item.key = lookup_key;
    item.answer.Start(common_.get(), item.key, true);
  }

  LookupBatch batch(common_.get(), &items);
  size_t next = 0;
  std::string last_failure;
  std::vector<std::string> connect_failures;
  while (next < items.size()) {
    connect_failures.clear();
    size_t server = ActiveServer(&connect_failures);
    for (std::string& failure : connect_failures) {
      last_failure = failure;
      batch.Warn(next, std::move(failure));
    }
    if (server == ServerList::kNone) break;
    std::string failure;
    size_t stop = connections_[server]->Run(&batch, next, &failure);
    std::time_t now = TimerWallSeconds();
    if (stop < items.size()) {
      connections_[server].reset();
      servers_.Failed(server, now);
      last_failure = failure;
      batch.Warn(stop, std::move(failure));
    } else {
      servers_.Used(server, now);
    }
    next = stop;
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
  // Postfix, looking keys up one at a time, logs each key's warnings in turn.
  for (size_t i = 0; i < keys.size(); ++i) {
    if (!key_warnings[i].empty()) LogWarning(key_warnings[i]);
    if (item_of[i] == kNoItem) continue;
    const LookupBatch::Item& item = items[item_of[i]];
    for (const std::string& warning : item.warnings) LogWarning(warning);
    for (const std::string& warning : item.answer.warnings()) LogWarning(warning);
  }
}

}  // namespace mctable
