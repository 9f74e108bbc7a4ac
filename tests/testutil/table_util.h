// Helpers shared by the table tests: running Debian's postmap against a
// private config directory, opening, dumping and querying a table.
// Test-only; failures are reported through GoogleTest assertions.
#ifndef MCTABLE_TESTUTIL_TABLE_UTIL_H_
#define MCTABLE_TESTUTIL_TABLE_UTIL_H_

#include <gtest/gtest.h>

#include <cstdio>
#include <cstdlib>
#include <memory>
#include <string>
#include <vector>

#include "mctable/table.h"
#include "testutil/testutil.h"

namespace mctable::testutil {

// postmap with "-c DIR" where DIR holds an empty main.cf.
class Postmap {
 public:
  Postmap() : binary_(PostmapBinary()) { dir_.WriteFile("main.cf", ""); }
  bool available() const { return !binary_.empty(); }
  CommandResult Run(std::vector<std::string> args, const std::string& input = "") const {
    return RunCommand(Argv(std::move(args)), input);
  }
  // The command line Run runs (for RunCommands).
  std::vector<std::string> Argv(std::vector<std::string> args) const {
    std::vector<std::string> argv = {binary_, "-c", dir_.path()};
    argv.insert(argv.end(), args.begin(), args.end());
    return argv;
  }

 private:
  std::string binary_;
  TempDir dir_;
};

// Options for building a table from empty (postmap's build mode).
inline OpenOptions BuildOptions() {
  OpenOptions options;
  options.read_write = true;
  options.create = true;
  options.truncate = true;
  return options;
}

inline std::unique_ptr<Table> OpenOrDie(const std::string& name, const OpenOptions& options = {}) {
  std::unique_ptr<Table> table;
  Status status = OpenTable(name, options, &table);
  if (!status.ok()) {  // the caller would dereference nothing
    std::fprintf(stderr, "OpenOrDie(%s): %s\n", name.c_str(), status.ToString().c_str());
    std::abort();
  }
  return table;
}

// "key\tvalue\n" per entry in first/next order, as postmap -s prints.
inline std::string Dump(Table* table) {
  std::string out, key, value;
  for (Status s = table->Sequence(SequenceOp::kFirst, &key, &value); s.ok();
       s = table->Sequence(SequenceOp::kNext, &key, &value))
    out += key + "\t" + value + "\n";
  return out;
}

inline std::string LookupOrStatus(Table* table, const std::string& key) {
  std::string value;
  Status status = table->Lookup(key, &value);
  return status.ok() ? value : "<" + status.ToString() + ">";
}

}  // namespace mctable::testutil

#endif  // MCTABLE_TESTUTIL_TABLE_UTIL_H_
