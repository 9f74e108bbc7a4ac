// Progress lines on a terminal; see progress.h.
#include "cli/progress.h"

#include <unistd.h>

namespace mctable {
namespace {

constexpr auto kQuietFor = std::chrono::seconds(2);
constexpr auto kEvery = std::chrono::milliseconds(250);

}  // namespace

Progress::Progress(std::string what)
    : what_(std::move(what)), enabled_(::isatty(STDERR_FILENO) == 1),
      start_(std::chrono::steady_clock::now()), last_(start_) {}

Progress::~Progress() {
  if (shown_) Write("\r\033[K");
}

void Progress::Update(size_t done) {
  if (!enabled_) return;
  auto now = std::chrono::steady_clock::now();
  if (now - start_ < kQuietFor || (shown_ && now - last_ < kEvery)) return;
  last_ = now;
  double seconds = std::chrono::duration<double>(now - start_).count();
  Write("\rmctable: " + what_ + ": " + std::to_string(done) + " entries, " +
        std::to_string(static_cast<size_t>(done / seconds)) + "/s\033[K");
  shown_ = true;
}

void Progress::Write(const std::string& bytes) const {
  ssize_t n = ::write(STDERR_FILENO, bytes.data(), bytes.size());
  (void)n;  // a terminal that is gone does not stop the run
}

}  // namespace mctable
