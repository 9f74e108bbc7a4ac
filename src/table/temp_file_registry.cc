// Registered temporary files; see temp_file_registry.h.
#include "table/temp_file_registry.h"

#include <limits.h>
#include <string.h>
#include <unistd.h>

#include <atomic>

namespace mctable {
namespace {

// A slot is free (0), being filled (1) or holds a path (2).  The path is
// written before the state says so, and a handler reads only state-2 slots.
struct Slot {
  std::atomic<int> state{0};
  char path[PATH_MAX];
};
Slot slots[kMaxTempFiles];
static_assert(std::atomic<int>::is_always_lock_free);

}  // namespace

int RegisterTempFile(const std::string& path) {
  if (path.size() >= PATH_MAX) return -1;
  for (int i = 0; i < kMaxTempFiles; ++i) {
    int expected = 0;
    if (!slots[i].state.compare_exchange_strong(expected, 1)) continue;
    memcpy(slots[i].path, path.c_str(), path.size() + 1);
    slots[i].state.store(2);
    return i;
  }
  return -1;
}

void UnregisterTempFile(int slot) {
  if (slot >= 0 && slot < kMaxTempFiles) slots[slot].state.store(0);
}

void RemoveRegisteredTempFiles() {
  for (Slot& slot : slots)
    if (slot.state.load() == 2) (void)unlink(slot.path);
}

}  // namespace mctable
