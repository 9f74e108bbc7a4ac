// WarningLimiter; see warning_limiter.h.
#include "common/warning_limiter.h"

#include "mctable/log.h"

namespace mctable {

WarningLimiter::~WarningLimiter() {
  if (held_back_ == 0) return;
  LogWarning(last_text_ + Suffix(last_held_));
}

std::string WarningLimiter::Suffix(Clock::time_point now) const {
  auto seconds = std::chrono::duration_cast<std::chrono::seconds>(now - last_logged_).count();
  return " (and " + std::to_string(held_back_) + " more like it in the last " +
         std::to_string(seconds < 1 ? 1 : seconds) + " s)";
}

void WarningLimiter::Warn(std::string_view text, Clock::time_point now) {
  if (logged_any_ && now - last_logged_ < interval_) {
    ++held_back_;
    last_text_.assign(text);
    last_held_ = now;
    return;
  }
  std::string line(text);
  if (held_back_ > 0) line += Suffix(now);
  LogWarning(line);
  logged_any_ = true;
  last_logged_ = now;
  held_back_ = 0;
  last_text_.clear();
}

}  // namespace mctable
