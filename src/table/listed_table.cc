// ListedTable over a Table opened through the registry.
#include "table/listed_table.h"

namespace mctable {
namespace {

class TableInList : public ListedTable {
 public:
  explicit TableInList(std::unique_ptr<Table> table) : table_(std::move(table)) {}
  Status Find(std::string_view key) override {
    return table_->Lookup(key, &unused_value_);  // only whether there is a value counts
  }
  std::string full_name() const override { return table_->full_name(); }

 private:
  std::unique_ptr<Table> table_;
  std::string unused_value_;
};

}  // namespace

OpenOptions ListedTableOptions(const OpenOptions& parent) {
  // Verified with Postfix: with -f, lmdb entry y.com matches u@Y.com.
  OpenOptions options;
  options.config_dir = parent.config_dir;
  options.read_write = false;
  options.create = false;
  options.truncate = false;
  options.fold_keys = true;
  options.utf8 = parent.utf8;  // match lists fold and check UTF-8 as the parent does
  options.nul_mode = NulMode::kTypeDefault;
  return options;
}

ListedTableOpener ListedTableOpenerFor(const OpenOptions& parent) {
  OpenOptions options = ListedTableOptions(parent);
  return [options](std::string_view type_and_name, std::unique_ptr<ListedTable>* out) {
    std::unique_ptr<Table> table;
    Status s = OpenTable(type_and_name, options, &table);
    if (!s.ok()) return s;
    *out = std::make_unique<TableInList>(std::move(table));
    return Status::OK();
  };
}

}  // namespace mctable
