#include "mctable/log.h"

#include <unistd.h>

namespace mctable {
namespace {

std::string& ProgramName() {
  static std::string name = "mctable";
  return name;
}

LogSink& Sink() {
  static LogSink sink;
  return sink;
}

int verbosity = 0;

void DefaultSink(LogLevel level, std::string_view text) {
  std::string line = ProgramName();
  switch (level) {
    case LogLevel::kInfo:
      line += ": ";
      break;
    case LogLevel::kWarning:
      line += ": warning: ";
      break;
    case LogLevel::kFatal:
      line += ": fatal: ";
      break;
    case LogLevel::kError:
      line += ": error: ";
      break;
  }
  line.append(text);
  line += '\n';
  // One write per message so lines from concurrent processes do not interleave.
  size_t done = 0;
  while (done < line.size()) {
    ssize_t n = ::write(STDERR_FILENO, line.data() + done, line.size() - done);
    if (n <= 0) break;
    done += static_cast<size_t>(n);
  }
}

void Emit(LogLevel level, std::string_view text) {
  if (Sink())
    Sink()(level, text);
  else
    DefaultSink(level, text);
}

}  // namespace

void SetLogProgramName(std::string name) { ProgramName() = std::move(name); }
const std::string& LogProgramName() { return ProgramName(); }

LogSink SetLogSink(LogSink sink) {
  LogSink old = std::move(Sink());
  Sink() = std::move(sink);
  return old;
}

void SetLogVerbosity(int level) { verbosity = level; }
int LogVerbosity() { return verbosity; }

void LogInfo(std::string_view text) { Emit(LogLevel::kInfo, text); }
void LogWarning(std::string_view text) { Emit(LogLevel::kWarning, text); }
void LogError(std::string_view text) { Emit(LogLevel::kError, text); }
void LogFatal(std::string_view text) { Emit(LogLevel::kFatal, text); }

std::string PrintableBytes(std::string_view bytes) {
  static const char kHex[] = "0123456789abcdef";
  std::string out;
  out.reserve(bytes.size());
  for (unsigned char c : bytes) {
    if (c >= 0x20 && c < 0x7f && c != '\\') {
      out += static_cast<char>(c);
    } else {
      out += "\\x";
      out += kHex[c >> 4];
      out += kHex[c & 15];
    }
  }
  return out;
}

}  // namespace mctable
