// The log functions of mctable/log.h: the sink, the verbosity, the thread's context.
#include "mctable/log.h"

#include <unistd.h>

#include "common/held_log.h"

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

thread_local std::string thread_context;
// Set while a HeldLog of this thread holds its messages.
thread_local std::vector<std::pair<LogLevel, std::string>>* thread_held = nullptr;

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

void ToSink(LogLevel level, std::string_view text) {
  if (Sink())
    Sink()(level, text);
  else
    DefaultSink(level, text);
}

void Emit(LogLevel level, std::string_view text) {
  std::string with_context;
  if (!thread_context.empty()) {
    with_context = thread_context + ": ";
    with_context.append(text);
    text = with_context;
  }
  if (thread_held != nullptr) {
    thread_held->emplace_back(level, std::string(text));
    return;
  }
  ToSink(level, text);
}

}  // namespace

void SetLogProgramName(std::string name) { ProgramName() = std::move(name); }
const std::string& LogProgramName() { return ProgramName(); }

LogSink SetLogSink(LogSink sink) {
  LogSink old = std::move(Sink());
  Sink() = std::move(sink);
  return old;
}

HeldLog::~HeldLog() {
  StopHolding();
  Release();
}

void HeldLog::Hold() {
  holding_ = true;
  thread_held = &held_;
}

void HeldLog::StopHolding() {
  if (!holding_) return;
  holding_ = false;
  thread_held = nullptr;
}

void HeldLog::Release() {
  std::vector<std::pair<LogLevel, std::string>> out;
  out.swap(held_);
  for (const auto& [level, text] : out) ToSink(level, text);  // the context is in the text already
}

void SetThreadLogContext(std::string context) { thread_context = std::move(context); }

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
