// MemoryTable: a read-only in-memory table, the base of inline: and
// texthash: (Postfix's internal dict_ht).
//
// Keys are folded at load and at lookup when fold_keys is set, as dict_ht
// does.  Sequence visits entries in the order they were first loaded (dict_ht
// walks its hash table, whose order Postfix does not define and which
// changes between runs; load order is stable and predictable).  Update and
// Delete are refused: both Postfix types demand O_RDONLY.  Cannot fail after
// construction.
#ifndef MCTABLE_TABLE_MEMORY_TABLE_H_
#define MCTABLE_TABLE_MEMORY_TABLE_H_

#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "mctable/table.h"

namespace mctable {

class MemoryTable : public Table {
 public:
  // Keys are prepared as `options` say (fold_keys, utf8; key_folding.h).
  MemoryTable(std::string type, std::string name, const OpenOptions& options)
      : Table(std::move(type), std::move(name)), options_(options) {}

  // Loading.  Contains() sees keys the way Lookup does (folded).
  bool Contains(std::string_view key) const;
  // Adds or replaces (keeping the original position in the sequence order).
  void Put(std::string_view key, std::string_view value);
  size_t size() const { return order_.size(); }

  Status Lookup(std::string_view key, std::string* value) override;
  Status Sequence(SequenceOp op, std::string* key, std::string* value) override;

 private:
  std::string Prepare(std::string_view key) const;

  OpenOptions options_;
  std::unordered_map<std::string, std::string> values_;
  std::vector<std::string> order_;  // keys (prepared) in load order
  size_t cursor_ = 0;
};

}  // namespace mctable

#endif  // MCTABLE_TABLE_MEMORY_TABLE_H_
