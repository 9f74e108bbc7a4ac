// Default implementations of the Table interface: refusals for the
// operations a type does not offer, and batch calls made of single ones;
// the exact-key access of the types that have it.
#include "mctable/table.h"

#include "mctable/exact_key_cache.h"

namespace mctable {

Status Table::Update(std::string_view, std::string_view) {
  return Status::NotSupported("table " + full_name() + ": update is not supported");
}

Status Table::Delete(std::string_view) {
  return Status::NotSupported("table " + full_name() + ": delete is not supported");
}

Status Table::Sequence(SequenceOp, std::string*, std::string*) {
  return Status::NotSupported("table " + full_name() + ": first/next is not supported");
}

void Table::LookupMany(std::span<const std::string> keys, std::vector<LookupResult>* results) {
  results->resize(keys.size());
  for (size_t i = 0; i < keys.size(); ++i) {
    LookupResult& r = (*results)[i];
    r.value.clear();
    r.status = Lookup(keys[i], &r.value);
  }
}

void Table::UpdateMany(std::span<const KeyValue> entries, std::vector<Status>* results) {
  results->resize(entries.size());
  for (size_t i = 0; i < entries.size(); ++i) (*results)[i] = Update(entries[i].key, entries[i].value);
}

void Table::DeleteMany(std::span<const std::string> keys, std::vector<Status>* results) {
  results->resize(keys.size());
  for (size_t i = 0; i < keys.size(); ++i) (*results)[i] = Delete(keys[i]);
}

ExactKeyCache* AsExactKeyCache(Table* table) { return dynamic_cast<ExactKeyCache*>(table); }

}  // namespace mctable
