// Comparing a run of mctable with the same run of Debian's postmap: the
// messages on stderr made comparable, and the expectation that both
// printed the same (GoogleTest assertions).
#ifndef MCTABLE_TESTUTIL_POSTMAP_COMPARE_H_
#define MCTABLE_TESTUTIL_POSTMAP_COMPARE_H_

#include <string>
#include <vector>

#include <functional>

#include "testutil/table_util.h"
#include "testutil/testutil.h"

namespace mctable::testutil {

// stderr as comparable lines: the program name dropped; a fatal error
// reduced to "fatal" (postmap prints the last errno where mctable prints
// the cause); in other lines each run of "?" and blanks (Postfix prints
// line breaks and tabs as "?") read as one space.
std::vector<std::string> Messages(const std::string& err);

std::string JoinedLines(const std::vector<std::string>& lines);

// The same stdout, exit status and messages.  Except after a fatal error
// (which ends a `-q -` run): postmap has lost the answers still in its
// stdout buffer, and mctable, having looked the whole batch up before
// printing, may have logged warnings for keys past the failing one; then
// postmap's stdout and warnings must be a prefix of ours, and both end
// with the fatal error (docs/postfix-differences.md).
void ExpectSameResults(const CommandResult& ours, const CommandResult& theirs, const std::string& what);

// The memcache key of a lookup key under "key_format = k:%s" (folded), or
// "" when memcache skips it.
std::string CacheWireKey(const std::string& key);

// A program run: arguments and stdin.
using ProgramRun = std::function<CommandResult(std::vector<std::string> args, const std::string& input)>;

// `-q -` over `keys` through the memcache table `mc` (key_format k:%s, on
// `memcached`, with the backup table `backup`), by postmap and by mctable:
// cold (memcached flushed) the same output, messages and entries written
// to memcached (after a fatal error, up to the first key whose backup
// lookup fails in postmap); warm, the same output and messages.
void ExpectSameBackupRuns(const MemcachedServer& memcached, const Postmap& postmap, const ProgramRun& mctable,
                          const std::string& mc, const std::string& backup, const std::vector<std::string>& keys,
                          const std::string& what);

}  // namespace mctable::testutil

#endif  // MCTABLE_TESTUTIL_POSTMAP_COMPARE_H_
