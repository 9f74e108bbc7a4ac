// static:VALUE: every lookup returns VALUE (Postfix's dict_static).
//
// "static:{ text with spaces }" strips the braces and the whitespace inside
// them; a brace error is a ConfigError "bad static:name syntax: REASON".
// The key is ignored, so folding does not matter.  Update, Delete and
// Sequence are not offered (Postfix: "sequence operation is not supported").
#include <memory>

#include "mctable/table_registry.h"
#include "table/table_types.h"
#include "common/brace_syntax.h"

namespace mctable {
namespace {

class StaticTable : public Table {
 public:
  StaticTable(std::string name, std::string value)
      : Table("static", std::move(name)), value_(std::move(value)) {}

  Status Lookup(std::string_view, std::string* value) override {
    *value = value_;
    return Status::OK();
  }
  Status Sequence(SequenceOp, std::string*, std::string*) override {
    return Status::NotSupported("table " + full_name() + ": sequence operation is not supported");
  }

 private:
  std::string value_;
};

}  // namespace

Status OpenStaticTable(std::string_view name, const OpenOptions&,
                       std::unique_ptr<Table>* table) {
  std::string value(name);
  if (!name.empty() && name[0] == '{') {
    std::string error = StripBraces(name, &value);
    if (!error.empty()) return Status::ConfigError("bad static:name syntax: " + error);
  }
  *table = std::make_unique<StaticTable>(std::string(name), std::move(value));
  return Status::OK();
}

}  // namespace mctable
