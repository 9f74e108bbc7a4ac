// mctable: Postfix postmap's table options over mctable's table types.
//
//   mctable [-fNnoprvw] [-c config_dir] [-d key|-] [-q key|-] [-i] [-s] [type:]name...
//   mctable [-c config_dir] --warm | --audit [--repair] [--keys-from-stdin] memcache:name
//   mctable [-c config_dir] --expire postscreen|verify type:name
//   mctable --help | --version
//
// Same output and exit statuses as postmap: -q prints the first value
// found (exit 0) or nothing (exit 1); -q - prints "key<TAB>value" per found
// key in input order (exit 0 if any was found); -d deletes from every map
// (exit 0 if anything was deleted); -s dumps every entry; -i adds "key
// value" lines from stdin; without any of these, builds type:name from the
// source file "name".  Failures are "mctable: fatal: ..." on stderr, exit 1;
// SIGINT, SIGTERM and SIGHUP stop the work cleanly (cli/signals.h).
// --warm and --audit walk a memcache table's backup (cli/commands.h);
// --expire cleans a postscreen or verify cache as Postfix would.
#include <getopt.h>
#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <string>
#include <vector>

#include "cli/commands.h"
#include "mctable/log.h"
#include "mctable/table_registry.h"

namespace {

constexpr char kUsage[] =
    "usage: mctable [-fNnoprvw] [-c config_dir] [-d key] [-q key] [-i] [-s] [map_type:]file...";

constexpr char kHelp[] =
    "Usage: mctable [options] type:name...\n"
    "Query, update and build lookup tables, with postmap's options.\n"
    "\n"
    "  -q key     print the value of key (first map that has it); exit 1 if none\n"
    "  -q -       read keys from stdin, print \"key<TAB>value\" for each one found\n"
    "  -d key     delete key from every map; exit 1 if nothing was deleted\n"
    "  -d -       read keys to delete from stdin\n"
    "  -s         print every \"key<TAB>value\" (memcache: needs a backup table)\n"
    "  -i         read \"key value\" lines from stdin and store them\n"
    "  (none)     build type:/path/file from the source file /path/file\n"
    "  -c dir     directory of main.cf (default /etc/postfix)\n"
    "  -f         do not fold keys to lower case\n"
    "  -N / -n    include / omit the terminating NUL of keys and values\n"
    "  -r         replace duplicate keys silently   -w  ignore duplicates silently\n"
    "  -o         as root, do not run as the source file's owner while building\n"
    "  -p         give a new table mode 0644, not the source file's read bits\n"
    "  -v         verbose: log keys, expansions and the memcache dialogue (repeat for more)\n"
    "  --warm     store every entry of the backup in memcached as a lookup's cache\n"
    "             fill would; exit 1 if any could not be stored\n"
    "  --audit    print \"key<TAB>cached<TAB>backup\" per cached value that differs\n"
    "             from the backup; exit 1 if any is stale or unreadable\n"
    "  --repair   with --audit: rewrite the stale entries from the backup\n"
    "  --expire postscreen|verify  delete the entries of a postscreen or verify\n"
    "             cache that Postfix's cleanup would delete (main.cf's expire and\n"
    "             retention times), from the backup and memcached, and write\n"
    "             the _LAST_CACHE_CLEANUP_COMPLETED_ stamp\n"
    "  --keys-from-stdin  with --warm or --audit: the entries of the keys read\n"
    "             from stdin, looked up in the backup (SQL backups cannot be walked)\n"
    "  --stats    after -q: per-map lookups, hits, misses, errors, backup fills and\n"
    "             latency percentiles on stderr (the figures mctabled reports)\n"
    "  --help     this text\n"
    "  --version  print \"mctable VERSION\" and exit\n";

// The help text, with the table types this build has.
std::string HelpText() {
  std::string text = kHelp;
  text += "\nTypes:";
  for (const std::string& type : mctable::RegisteredTableTypes()) text += " " + type;
  text += "\nSee mctable(1) and mctable_memcache(5).\n";
  return text;
}

[[noreturn]] void Usage() {
  mctable::LogFatal(kUsage);
  std::exit(1);
}

}  // namespace

int main(int argc, char** argv) {
  mctable::SetLogProgramName("mctable");
  mctable::CommandOptions options;
  int long_modes = 0;  // --warm, --audit, --expire
  for (int i = 1; i < argc; ++i) {
    if (std::strcmp(argv[i], "--") == 0) break;
    // Long options are taken out before getopt sees them.
    bool taken = true;
    if (std::strcmp(argv[i], "--stats") == 0) {
      options.print_stats = true;
    } else if (std::strcmp(argv[i], "--warm") == 0) {
      options.mode = mctable::CommandMode::kWarm;
      ++long_modes;
    } else if (std::strcmp(argv[i], "--audit") == 0) {
      options.mode = mctable::CommandMode::kAudit;
      ++long_modes;
    } else if (std::strcmp(argv[i], "--expire") == 0) {
      if (i + 1 >= argc) {
        mctable::LogFatal("--expire needs postscreen or verify");
        return 1;
      }
      options.mode = mctable::CommandMode::kExpire;
      options.expire_kind = argv[i + 1];
      ++long_modes;
      for (int j = i; j + 1 <= argc; ++j) argv[j] = argv[j + 1];  // its argument goes too
      --argc;
    } else if (std::strcmp(argv[i], "--repair") == 0) {
      options.repair = true;
    } else if (std::strcmp(argv[i], "--keys-from-stdin") == 0) {
      options.keys_from_stdin = true;
    } else {
      taken = false;
    }
    if (taken) {
      for (int j = i; j + 1 <= argc; ++j) argv[j] = argv[j + 1];
      --argc;
      --i;
      continue;
    }
    if (std::strcmp(argv[i], "--help") == 0 || std::strcmp(argv[i], "-h") == 0) {
      std::fputs(HelpText().c_str(), stdout);
      return 0;
    }
    if (std::strcmp(argv[i], "--version") == 0) {
      std::puts("mctable " MCTABLE_VERSION);
      return 0;
    }
  }

  int modes = 0;
  int c;
  opterr = 0;  // a bad option gets postmap's usage message, not getopt's
  while ((c = ::getopt(argc, argv, "c:d:fiNnopq:rsvw")) != -1) {
    switch (c) {
      case 'c':
        options.open.config_dir = optarg;
        options.config_dir_given = true;
        break;
      case 'd':
        options.mode = mctable::CommandMode::kDelete;
        options.key = optarg;
        ++modes;
        break;
      case 'f':
        options.open.fold_keys = false;
        break;
      case 'i':
        options.incremental = true;
        break;
      case 'N':
        options.open.nul_mode = mctable::NulMode::kInclude;
        break;
      case 'n':
        options.open.nul_mode = mctable::NulMode::kOmit;
        break;
      case 'o':
        options.as_source_owner = false;
        break;
      case 'p':
        options.inherit_mode = false;
        break;
      case 'q':
        options.mode = mctable::CommandMode::kQuery;
        options.key = optarg;
        ++modes;
        break;
      case 'r':
        options.open.duplicates = mctable::DuplicateMode::kReplace;
        break;
      case 's':
        options.mode = mctable::CommandMode::kDump;
        ++modes;
        break;
      case 'v':
        mctable::SetLogVerbosity(mctable::LogVerbosity() + 1);
        break;
      case 'w':
        options.open.duplicates = mctable::DuplicateMode::kIgnore;
        break;
      default:
        Usage();
    }
  }
  if (modes > 1) {
    mctable::LogFatal("specify only one of -s -q or -d");
    return 1;
  }
  if (long_modes > 1 || (long_modes > 0 && (modes > 0 || options.incremental))) {
    mctable::LogFatal("--warm, --audit and --expire go alone: not with each other, -s, -q, -d or -i");
    return 1;
  }
  if (options.repair && options.mode != mctable::CommandMode::kAudit) {
    mctable::LogFatal("--repair goes with --audit");
    return 1;
  }
  if (options.keys_from_stdin && options.mode != mctable::CommandMode::kWarm &&
      options.mode != mctable::CommandMode::kAudit) {
    mctable::LogFatal("--keys-from-stdin goes with --warm or --audit");
    return 1;
  }
  if (options.incremental && modes > 0) Usage();
  if (options.incremental) options.mode = mctable::CommandMode::kLoad;
  for (int i = optind; i < argc; ++i) options.maps.emplace_back(argv[i]);
  if (options.maps.empty()) Usage();
  return mctable::RunCommand(options);
}
