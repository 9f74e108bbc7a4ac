#include "memcache/server_pool.h"

namespace mctable {

ServerPool::ServerPool(std::vector<ServerConfig> servers, PlacementSettings placement)
    : servers_(std::move(servers)),
      placement_(std::move(placement)),
      live_(servers_.size(), true),
      failures_(servers_.size(), 0),
      retry_at_(servers_.size()) {
  for (const ServerConfig& s : servers_) points_.push_back({s.name, s.weight});
  Rebuild();
  all_servers_.Build(placement_.distribution, points_, std::vector<bool>(servers_.size(), true));
}

void ServerPool::Rebuild() { continuum_.Build(placement_.distribution, points_, live_); }

size_t ServerPool::live_servers() const {
  size_t n = 0;
  for (bool l : live_) n += l;
  return n;
}

void ServerPool::Refresh(TimePoint now) {
  bool changed = false;
  for (size_t i = 0; i < servers_.size(); ++i) {
    if (!live_[i] && now >= retry_at_[i]) {
      live_[i] = true;
      changed = true;
    }
  }
  if (changed) Rebuild();
}

bool ServerPool::ServerFor(std::string_view key, size_t* index) const {
  if (!continuum_.has_live_servers()) return false;
  if (servers_.size() == 1) {
    *index = 0;
    return true;
  }
  *index = continuum_.ServerFor(PlacementHash(key));
  return true;
}

void ServerPool::CopiesFor(std::string_view key, std::vector<size_t>* copies) const {
  if (servers_.size() == 1) {
    copies->assign(1, 0);
    return;
  }
  all_servers_.CopiesFor(PlacementHash(key), replicas(), servers_.size(), copies);
}

size_t ServerPool::FirstCopyFor(std::string_view key) const {
  if (servers_.size() == 1) return 0;
  return all_servers_.ServerFor(PlacementHash(key));
}

uint32_t ServerPool::PlacementHash(std::string_view key) const {
  const std::string& tag = placement_.hash_tag;
  if (tag.size() == 2) {
    // The part between the first tag[0] and the next tag[1], if not empty.
    size_t open = key.find(tag[0]);
    if (open != std::string_view::npos) {
      size_t close = key.find(tag[1], open + 1);
      if (close != std::string_view::npos && close > open + 1) key = key.substr(open + 1, close - open - 1);
    }
  }
  // twemproxy hashes an empty key to 0 without calling the hash.
  return key.empty() ? 0 : HashKey(placement_.hash, key);
}

bool ServerPool::RecordFailure(size_t i, TimePoint now) {
  if (!placement_.auto_eject_hosts || !live_[i]) return false;
  if (++failures_[i] < placement_.server_failure_limit) return false;
  failures_[i] = 0;
  live_[i] = false;
  retry_at_[i] = now + std::chrono::seconds(placement_.server_retry_timeout_seconds);
  Rebuild();
  return true;
}

}  // namespace mctable
