// Utf8CheckedTable; see utf8_table.h.
#include "table/utf8_table.h"

#include <vector>

#include "common/casefold.h"
#include "mctable/log.h"
#include "table/key_folding.h"

namespace mctable {
namespace {

constexpr char kWhy[] = "malformed UTF-8 or invalid codepoint";

bool IsUtf8Text(std::string_view text) { return IsValidUtf8(UpToNul(text)); }

class Utf8CheckedTable : public Table {
 public:
  Utf8CheckedTable(std::unique_ptr<Table> inner, bool log_refusals)
      : Table(inner->type(), inner->name()), inner_(std::move(inner)), log_refusals_(log_refusals) {}

  Status Lookup(std::string_view key, std::string* value) override {
    if (!IsUtf8Text(key)) return BadKey(key, Status::NotFound());
    Status s = inner_->Lookup(key, value);
    if (s.ok() && !IsUtf8Text(*value)) return BadValue(key, *value, /*lookup=*/true);
    return s;
  }
  Status Update(std::string_view key, std::string_view value) override {
    if (!IsUtf8Text(key)) return RefusedKey(key);
    if (!IsUtf8Text(value)) return BadValue(key, value, /*lookup=*/false);
    return inner_->Update(key, value);
  }
  Status Delete(std::string_view key) override {
    if (!IsUtf8Text(key)) return BadKey(key, Status::NotFound());
    return inner_->Delete(key);
  }
  Status Sequence(SequenceOp op, std::string* key, std::string* value) override {
    return inner_->Sequence(op, key, value);
  }

  void LookupMany(std::span<const std::string> keys, std::vector<LookupResult>* results) override {
    Forward<std::string, LookupResult>(
        keys, results, [](const std::string& k) { return IsUtf8Text(k); },
        [this](std::span<const std::string> valid, std::vector<LookupResult>* got) {
          inner_->LookupMany(valid, got);
        },
        [this](const std::string& k) { return LookupResult{BadKey(k, Status::NotFound()), {}}; });
    for (size_t i = 0; i < keys.size(); ++i) {
      LookupResult& r = (*results)[i];
      if (r.status.ok() && !IsUtf8Text(r.value)) {
        r.status = BadValue(keys[i], r.value, /*lookup=*/true);
        r.value.clear();
      }
    }
  }

  void UpdateMany(std::span<const KeyValue> entries, std::vector<Status>* results) override {
    Forward<KeyValue, Status>(
        entries, results,
        [](const KeyValue& e) { return IsUtf8Text(e.key) && IsUtf8Text(e.value); },
        [this](std::span<const KeyValue> valid, std::vector<Status>* stored) {
          inner_->UpdateMany(valid, stored);
        },
        [this](const KeyValue& e) {
          return IsUtf8Text(e.key) ? BadValue(e.key, e.value, /*lookup=*/false) : RefusedKey(e.key);
        });
  }

  void DeleteMany(std::span<const std::string> keys, std::vector<Status>* results) override {
    Forward<std::string, Status>(
        keys, results, [](const std::string& k) { return IsUtf8Text(k); },
        [this](std::span<const std::string> valid, std::vector<Status>* deleted) {
          inner_->DeleteMany(valid, deleted);
        },
        [this](const std::string& k) { return BadKey(k, Status::NotFound()); });
  }

  size_t preferred_batch_size() const override { return inner_->preferred_batch_size(); }
  // The layer does no work of its own behind lookups: the figures are the
  // inner table's (a memcache table's backup fills, for --stats and mctabled).
  TableCounters counters() const override { return inner_->counters(); }
  Status Close() override { return inner_->Close(); }

 private:
  // Gives the inner table the items that pass `is_valid` in one batch call
  // (all of them, without a copy, in the common case) and `reject(item)`
  // as the result of each other one; results stay in input order.
  template <typename Item, typename Result, typename IsValid, typename Call, typename Reject>
  static void Forward(std::span<const Item> items, std::vector<Result>* results, IsValid is_valid,
                      Call call, Reject reject) {
    std::vector<size_t> valid;
    valid.reserve(items.size());
    for (size_t i = 0; i < items.size(); ++i)
      if (is_valid(items[i])) valid.push_back(i);
    if (valid.size() == items.size()) {
      call(items, results);
      return;
    }
    std::vector<Item> subset;
    subset.reserve(valid.size());
    for (size_t i : valid) subset.push_back(items[i]);
    std::vector<Result> got;
    call(std::span<const Item>(subset), &got);
    results->resize(items.size());
    size_t j = 0;
    for (size_t i = 0; i < items.size(); ++i) {
      if (j < valid.size() && valid[j] == i)
        (*results)[i] = std::move(got[j++]);
      else
        (*results)[i] = reject(items[i]);
    }
  }

  Status Refusal(std::string_view key) const {
    return Status::Refused(full_name() + ": non-UTF-8 key \"" + PrintableBytes(UpToNul(key)) +
                           "\": " + kWhy);
  }
  // Warns about `key` and returns `result`.
  Status BadKey(std::string_view key, Status result) const {
    LogWarning(full_name() + ": non-UTF-8 key \"" + PrintableBytes(UpToNul(key)) + "\": " + kWhy);
    return result;
  }
  // An update's refusal, warned about unless the caller logs refusals.
  Status RefusedKey(std::string_view key) const {
    Status refusal = Refusal(key);
    if (log_refusals_) LogWarning(refusal.message());
    return refusal;
  }
  Status BadValue(std::string_view key, std::string_view value, bool lookup) const {
    std::string text = "key \"" + PrintableBytes(UpToNul(key)) + "\": non-UTF-8 value \"" +
                       PrintableBytes(UpToNul(value)) + "\": " + kWhy;
    if (lookup || log_refusals_) LogWarning(full_name() + ": " + text);
    return lookup ? Status::ConfigError(text) : Status::Refused(full_name() + ": " + text);
  }

  std::unique_ptr<Table> inner_;
  const bool log_refusals_;
};

}  // namespace

std::unique_ptr<Table> WithUtf8Checks(std::unique_ptr<Table> table, bool log_refusals) {
  return std::make_unique<Utf8CheckedTable>(std::move(table), log_refusals);
}

}  // namespace mctable
