// MemoryTable; see memory_table.h.
#include "table/memory_table.h"

#include "table/key_folding.h"

namespace mctable {

std::string MemoryTable::Prepare(std::string_view key) const { return PrepareKey(key, options_); }

bool MemoryTable::Contains(std::string_view key) const { return values_.count(Prepare(key)) != 0; }

void MemoryTable::Put(std::string_view key, std::string_view value) {
  std::string prepared = Prepare(key);
  auto [it, inserted] = values_.insert_or_assign(prepared, std::string(UpToNul(value)));
  if (inserted) order_.push_back(std::move(prepared));
}

Status MemoryTable::Lookup(std::string_view key, std::string* value) {
  auto it = values_.find(Prepare(key));
  if (it == values_.end()) return Status::NotFound();
  *value = it->second;
  return Status::OK();
}

Status MemoryTable::Sequence(SequenceOp op, std::string* key, std::string* value) {
  if (op == SequenceOp::kFirst) cursor_ = 0;
  if (cursor_ >= order_.size()) return Status::NotFound();
  const std::string& next_key = order_[cursor_++];
  *key = next_key;
  *value = values_.at(next_key);
  return Status::OK();
}

}  // namespace mctable
