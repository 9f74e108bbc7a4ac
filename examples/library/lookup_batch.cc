// lookup_batch: a small program built against the installed mctable
// library.  It opens a memcache table whose backup is an lmdb table, looks
// up a batch of keys, updates one, and prints every error with the table's
// own message.
//
//   lookup_batch MEMCACHE_CF KEY...        e.g. lookup_batch /etc/postfix/mc.cf a@b.c
//
// Exit status: 0 when every key was answered (found or not found), 1 on
// any error.
#include <cstdio>
#include <memory>
#include <string>
#include <vector>

#include "mctable/table.h"

int main(int argc, char** argv) {
  if (argc < 3) {
    std::fprintf(stderr, "usage: %s MEMCACHE_CF KEY...\n", argv[0]);
    return 2;
  }
  mctable::OpenOptions options;
  options.read_write = true;                              // so that Update is allowed
  options.duplicates = mctable::DuplicateMode::kReplace;  // an update replaces the value
  std::unique_ptr<mctable::Table> table;
  mctable::Status status = mctable::OpenTable(std::string("memcache:") + argv[1], options, &table);
  if (!status.ok()) {
    std::fprintf(stderr, "open: %s\n", status.message().c_str());
    return 1;
  }

  std::vector<std::string> keys(argv + 2, argv + argc);
  std::vector<mctable::LookupResult> results;
  table->LookupMany(keys, &results);  // one pipelined round trip for the batch
  int exit_status = 0;
  for (size_t i = 0; i < keys.size(); ++i) {
    const mctable::LookupResult& result = results[i];
    if (result.status.ok())
      std::printf("%s\t%s\n", keys[i].c_str(), result.value.c_str());
    else if (result.status.IsNotFound())
      std::printf("%s\t(not found)\n", keys[i].c_str());
    else {
      std::fprintf(stderr, "lookup %s: %s\n", keys[i].c_str(), result.status.message().c_str());
      exit_status = 1;
    }
  }

  // An update goes to the backup first and then to memcached.
  status = table->Update(keys[0], "updated-by-example");
  if (!status.ok()) {
    std::fprintf(stderr, "update %s: %s\n", keys[0].c_str(), status.message().c_str());
    exit_status = 1;
  }
  std::string value;
  status = table->Lookup(keys[0], &value);
  if (status.ok()) std::printf("%s\t%s\n", keys[0].c_str(), value.c_str());

  status = table->Close();
  if (!status.ok()) {
    std::fprintf(stderr, "close: %s\n", status.message().c_str());
    exit_status = 1;
  }
  return exit_status;
}
