// Diagnostics in Postfix's style: "PROGRAM: warning: TEXT" on stderr.
//
// The library reports failures through Status; it logs only what Postfix
// logs without failing the operation (warnings such as a skipped update)
// and, when verbose, what it sends and receives.  A program may replace the
// sink (tests capture messages this way).  Not thread-safe by design: set
// up once at start (the thread's log context excepted).
#ifndef MCTABLE_LOG_H_
#define MCTABLE_LOG_H_

#include <functional>
#include <string>
#include <string_view>

#include "mctable/export.h"

namespace mctable {

// kError: Postfix's msg_error, a failure it reports and goes on after.
enum class LogLevel { kInfo, kWarning, kFatal, kError };

using LogSink = std::function<void(LogLevel, std::string_view)>;

// The default sink writes "PROGRAM: warning: TEXT\n" to stderr.
MCTABLE_EXPORT void SetLogProgramName(std::string name);
MCTABLE_EXPORT const std::string& LogProgramName();
// Replaces the sink; an empty function restores the default.  Returns the old one.
MCTABLE_EXPORT LogSink SetLogSink(LogSink sink);
// Verbosity as given by repeated -v; 0 is quiet.
MCTABLE_EXPORT void SetLogVerbosity(int level);
MCTABLE_EXPORT int LogVerbosity();

// Text put before every message the calling thread logs from now on,
// as "CONTEXT: TEXT" (mctabled's "map NAME" on a map's thread, so that a
// table's warnings say which map they concern); empty for none.
MCTABLE_EXPORT void SetThreadLogContext(std::string context);

MCTABLE_EXPORT void LogInfo(std::string_view text);
MCTABLE_EXPORT void LogWarning(std::string_view text);
MCTABLE_EXPORT void LogError(std::string_view text);
// Prints the fatal message; the caller decides how to exit.
MCTABLE_EXPORT void LogFatal(std::string_view text);

// Renders bytes for a log line: printable ASCII as is, anything else as \xHH,
// so a key or a reply can never corrupt the log.
MCTABLE_EXPORT std::string PrintableBytes(std::string_view bytes);

}  // namespace mctable

#endif  // MCTABLE_LOG_H_
