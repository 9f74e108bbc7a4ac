// HeldLog: holds back what the calling thread logs, to be logged later in
// the same order.  A bulk load reads a batch of input lines ahead of
// writing them; the reader's warnings about line 302 must not come out
// before the table's warning about line 301 (table/build_table.cc).
//
// Only the thread that holds is affected (a thread-local in log.cc); other
// threads log as usual.  The destructor releases whatever is still held,
// so nothing is lost on an early return.
#ifndef MCTABLE_COMMON_HELD_LOG_H_
#define MCTABLE_COMMON_HELD_LOG_H_

#include <string>
#include <utility>
#include <vector>

#include "mctable/log.h"

namespace mctable {

class HeldLog {
 public:
  HeldLog() = default;
  ~HeldLog();
  HeldLog(const HeldLog&) = delete;
  HeldLog& operator=(const HeldLog&) = delete;

  // From now on this thread's messages are held here (one HeldLog at a time).
  void Hold();
  // Messages are logged as they come again; those held stay held.
  void StopHolding();
  bool empty() const { return held_.empty(); }
  // Logs the held messages, in order, and forgets them.
  void Release();

 private:
  bool holding_ = false;
  std::vector<std::pair<LogLevel, std::string>> held_;
};

}  // namespace mctable

#endif  // MCTABLE_COMMON_HELD_LOG_H_
