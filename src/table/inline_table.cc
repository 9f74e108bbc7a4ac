// inline:{key=value, {key = value with spaces}, ...}: a read-only table
// written in the table name (Postfix's dict_inline).
//
// Syntax: the whole name is one balanced "{...}" group; inside it, elements
// are separated by commas or whitespace outside braces; an element is
// "name=value" or "{ name = value }" (the braced form lets the value hold
// spaces and commas).  A later duplicate replaces an earlier one silently, as
// in Postfix.  Errors (ConfigError) use Postfix's wording:
//   bad syntax: "inline:NAME"; need "inline:{name=value...}"
//   REASON: "inline:NAME"; need "inline:{name=value...}"   (REASON from the
//     element parser, or "empty table")
//   inline:NAME map requires O_RDONLY access mode
// Keys are folded at load and lookup when fold_keys is set.
#include <memory>

#include "mctable/table_registry.h"
#include "table/table_types.h"
#include "common/brace_syntax.h"
#include "table/memory_table.h"

namespace mctable {
namespace {

Status SyntaxError(std::string_view reason, std::string_view name) {
  return Status::ConfigError(std::string(reason) + ": \"inline:" + std::string(name) +
                             "\"; need \"inline:{name=value...}\"");
}

}  // namespace

Status OpenInlineTable(std::string_view name, const OpenOptions& options,
                       std::unique_ptr<Table>* table) {
  if (options.read_write || options.create || options.truncate)
    return Status::Refused("inline:" + std::string(name) + " map requires O_RDONLY access mode");
  size_t len = BalancedBraceLength(name);
  if (len == 0 || len != name.size() || len == 2) return SyntaxError("bad syntax", name);

  auto memory = std::make_unique<MemoryTable>("inline", std::string(name), options);
  for (const std::string& element : SplitOutsideBraces(name.substr(1, len - 2))) {
    std::string name_value = element;
    if (element[0] == '{') {
      std::string error = StripBraces(element, &name_value);
      if (!error.empty()) return SyntaxError(error, name);
    }
    std::string key, value;
    std::string error = SplitNameValue(name_value, &key, &value);
    if (!error.empty()) return SyntaxError(error, name);
    memory->Put(key, value);
  }
  if (memory->size() == 0) return SyntaxError("empty table", name);
  *table = std::move(memory);
  return Status::OK();
}

}  // namespace mctable
