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
  explicit Utf8CheckedTable(std::unique_ptr<Table> inner)
      : Table(inner->type(), inner->name()), inner_(std::move(inner)) {}

  Status Lookup(std::string_view key, std::string* value) override {
    if (!IsUtf8Text(key)) return BadKey(key, Status::NotFound());
    Status s = inner_->Lookup(key, value);
    if (s.ok() && !IsUtf8Text(*value)) return BadValue(key, *value, /*lookup=*/true);
    return s;
  }
  Status Update(std::string_view key, std::string_view value) override {
    if (!IsUtf8Text(key)) return BadKey(key, Refusal(key));
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
    results->resize(keys.size());
    std::vector<size_t> valid = ValidIndexes(keys, [](const std::string& k) { return IsUtf8Text(k); });
    if (valid.size() == keys.size()) {
      inner_->LookupMany(keys, results);
    } else {
      std::vector<std::string> subset;
      for (size_t i : valid) subset.push_back(keys[i]);
      std::vector<LookupResult> got;
      inner_->LookupMany(subset, &got);
      size_t j = 0;
      for (size_t i = 0; i < keys.size(); ++i) {
        if (j < valid.size() && valid[j] == i) {
          (*results)[i] = std::move(got[j++]);
        } else {
          (*results)[i].value.clear();
          (*results)[i].status = BadKey(keys[i], Status::NotFound());
        }
      }
    }
    for (size_t i = 0; i < keys.size(); ++i) {
      LookupResult& r = (*results)[i];
      if (r.status.ok() && !IsUtf8Text(r.value)) {
        r.status = BadValue(keys[i], r.value, /*lookup=*/true);
        r.value.clear();
      }
    }
  }

  void UpdateMany(std::span<const KeyValue> entries, std::vector<Status>* results) override {
    std::vector<size_t> valid = ValidIndexes(
        entries, [](const KeyValue& e) { return IsUtf8Text(e.key) && IsUtf8Text(e.value); });
    if (valid.size() == entries.size()) {
      inner_->UpdateMany(entries, results);
      return;
    }
    results->assign(entries.size(), Status::OK());
    std::vector<KeyValue> subset;
    for (size_t i : valid) subset.push_back(entries[i]);
    std::vector<Status> stored;
    inner_->UpdateMany(subset, &stored);
    size_t j = 0;
    for (size_t i = 0; i < entries.size(); ++i) {
      if (j < valid.size() && valid[j] == i)
        (*results)[i] = std::move(stored[j++]);
      else if (!IsUtf8Text(entries[i].key))
        (*results)[i] = BadKey(entries[i].key, Refusal(entries[i].key));
      else
        (*results)[i] = BadValue(entries[i].key, entries[i].value, /*lookup=*/false);
    }
  }

  void DeleteMany(std::span<const std::string> keys, std::vector<Status>* results) override {
    std::vector<size_t> valid = ValidIndexes(keys, [](const std::string& k) { return IsUtf8Text(k); });
    if (valid.size() == keys.size()) {
      inner_->DeleteMany(keys, results);
      return;
    }
    results->assign(keys.size(), Status::NotFound());
    std::vector<std::string> subset;
    for (size_t i : valid) subset.push_back(keys[i]);
    std::vector<Status> deleted;
    inner_->DeleteMany(subset, &deleted);
    size_t j = 0;
    for (size_t i = 0; i < keys.size(); ++i) {
      if (j < valid.size() && valid[j] == i)
        (*results)[i] = std::move(deleted[j++]);
      else
        (*results)[i] = BadKey(keys[i], Status::NotFound());
    }
  }

  size_t preferred_batch_size() const override { return inner_->preferred_batch_size(); }
  Status Close() override { return inner_->Close(); }

 private:
  template <typename Item, typename IsValid>
  static std::vector<size_t> ValidIndexes(std::span<const Item> items, IsValid is_valid) {
    std::vector<size_t> valid;
    valid.reserve(items.size());
    for (size_t i = 0; i < items.size(); ++i)
      if (is_valid(items[i])) valid.push_back(i);
    return valid;
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
  Status BadValue(std::string_view key, std::string_view value, bool lookup) const {
    std::string text = "key \"" + PrintableBytes(UpToNul(key)) + "\": non-UTF-8 value \"" +
                       PrintableBytes(UpToNul(value)) + "\": " + kWhy;
    LogWarning(full_name() + ": " + text);
    return lookup ? Status::ConfigError(text) : Status::Refused(full_name() + ": " + text);
  }

  std::unique_ptr<Table> inner_;
};

}  // namespace

std::unique_ptr<Table> WithUtf8Checks(std::unique_ptr<Table> table) {
  return std::make_unique<Utf8CheckedTable>(std::move(table));
}

}  // namespace mctable
