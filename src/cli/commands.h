// The work behind each of mctable's modes, with postmap's results:
// output on stdout, "mctable: fatal: ..." and exit status 1 on failure.
//
// A failure unwinds before it is reported: every table opened is closed
// (synced) and an unfinished build removed, then the fatal message is
// printed.  A stop signal (cli/signals.h) ends the work at its next safe
// point the same way; the command then says how far it got ("mctable:
// fatal: interrupted by SIGINT: ...") and dies by that signal.
#ifndef MCTABLE_CLI_COMMANDS_H_
#define MCTABLE_CLI_COMMANDS_H_

#include <string>
#include <vector>

#include "mctable/table.h"

namespace mctable {

enum class CommandMode { kBuild, kQuery, kDelete, kDump, kLoad, kWarm, kAudit, kExpire };

struct CommandOptions {
  CommandMode mode = CommandMode::kBuild;
  bool incremental = false;
  bool as_source_owner = true;  // postmap's default; -o turns it off
  bool inherit_mode = true;     // postmap's default; -p turns it off
  std::string key;                // -q / -d argument; "-" means stdin
  std::vector<std::string> maps;  // [type:]name as given
  bool print_stats = false;       // --stats: lookup figures per map on stderr after -q
  bool repair = false;            // --audit --repair: rewrite stale entries from the backup
  bool keys_from_stdin = false;   // --warm/--audit: the keys read from stdin, not a walk
  std::string expire_kind;        // --expire: "postscreen" or "verify"
  OpenOptions open;
  bool config_dir_given = false;  // -c: main.cf must exist there
};

// Runs the command and returns the exit status (or dies by a stop signal).
// main.cf in options.open.config_dir decides the type of a bare table name
// (default_database_type) and OpenOptions::utf8 (smtputf8_enable).
int RunCommand(const CommandOptions& options);

}  // namespace mctable

#endif  // MCTABLE_CLI_COMMANDS_H_
