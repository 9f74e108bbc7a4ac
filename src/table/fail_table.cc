// fail:NAME: every operation fails with a temporary error (Postfix's
// dict_fail, which reports DICT_ERR_RETRY for lookup, update, delete and
// first/next).  Useful to test how callers handle a table that is down.
// Opening never fails; the error message names the table.
#include <memory>

#include "mctable/table_registry.h"
#include "table/table_types.h"

namespace mctable {
namespace {

class FailTable : public Table {
 public:
  explicit FailTable(std::string name) : Table("fail", std::move(name)) {}

  Status Lookup(std::string_view, std::string*) override { return Failed("query"); }
  Status Update(std::string_view, std::string_view) override { return Failed("update"); }
  Status Delete(std::string_view) override { return Failed("delete"); }
  Status Sequence(SequenceOp, std::string*, std::string*) override { return Failed("sequence"); }

 private:
  Status Failed(const char* what) const {
    return Status::TempError("table " + full_name() + ": " + what + " error: table always fails");
  }
};

}  // namespace

Status OpenFailTable(std::string_view name, const OpenOptions&, std::unique_ptr<Table>* table) {
  *table = std::make_unique<FailTable>(std::string(name));
  return Status::OK();
}

}  // namespace mctable
