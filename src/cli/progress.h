// Progress of a long run (a build, -i, --warm, --audit) on stderr, for an
// operator watching a terminal: nothing for the first 2 seconds, then one
// line ("mctable: --warm memcache:/etc/postfix/x.cf: 1200000 entries,
// 410000/s") rewritten in place at most 4 times a second, and erased when
// the run ends, so that the screen is left exactly as without it.
//
// Only when stderr is a terminal: into a pipe or a log file it writes
// nothing at all, so those stay byte-identical.  Writing it can fail (a
// terminal gone): that is ignored, the run goes on.
#ifndef MCTABLE_CLI_PROGRESS_H_
#define MCTABLE_CLI_PROGRESS_H_

#include <chrono>
#include <cstddef>
#include <string>

namespace mctable {

class Progress {
 public:
  // `what` names the run, e.g. "--warm memcache:/etc/postfix/x.cf".
  explicit Progress(std::string what);
  ~Progress();  // erases the line, if one was shown
  Progress(const Progress&) = delete;
  Progress& operator=(const Progress&) = delete;

  // `done` entries so far.  Cheap when nothing is to be shown.
  void Update(size_t done);

 private:
  void Write(const std::string& bytes) const;

  std::string what_;
  bool enabled_;
  bool shown_ = false;
  std::chrono::steady_clock::time_point start_, last_;
};

}  // namespace mctable

#endif  // MCTABLE_CLI_PROGRESS_H_
