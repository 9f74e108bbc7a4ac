// Replicas (replicas > 1): the copies of each key and how a call uses them.
//
// Reads ask each key's copies one round at a time: first the first live
// copy (a plain multi-key get, as without replicas; while every server is
// live, placed as cheaply as without replicas, and the other copies are
// placed only for the keys that go on), then, for the keys
// that missed or failed there, the next live copy with a meta get, which
// also gives the value's flags and remaining TTL.  A server that failed in
// a round is not asked again in the same call, so a dead or stalled server
// costs one bound per call, not one per key; with auto_eject_hosts it is
// then skipped by later calls until server_retry_timeout.  A key found on a
// later copy is written back ("add", with its flags and remaining TTL) to
// the earlier copies that answered "not found": read-repair of a server
// that came back empty.  A key is found if any copy has it, not found if
// none has it and at least one answered, and an error only when every copy
// failed.
//
// Writes (set, delete) go to every copy in one dispatch, all servers at
// once, each server's share pipelined as quiet meta commands ("ms"/"md"
// with q, each chunk ended by "mn"): a server answers a chunk that went
// well with "MN" alone, which costs it and us less than a reply line per
// write.  memcached's error lines name no command, so one fails every
// write of its chunk on that server, and the chunk is not sent again.  A write succeeds only when every
// copy took it; one that missed a copy is an error naming the table, the
// key and the copy, so that the caller retries (Postfix's way): the copy
// missed may come back later with the old value, which reads would then
// find (and copy back) as if it were current.
#include <algorithm>
#include <ctime>

#include "mctable/log.h"
#include "memcache/client.h"

namespace mctable {
namespace {

// memcached takes a TTL over 30 days as an absolute time.
constexpr long long kRelativeTtlLimit = 60 * 60 * 24 * 30;

long RepairTtl(long long remaining, std::time_t now) {
  if (remaining < 0) return 0;          // no expiry
  if (remaining == 0) return 1;         // expires now; 0 would mean never
  if (remaining > kRelativeTtlLimit) return static_cast<long>(now + remaining);
  return static_cast<long>(remaining);
}

}  // namespace

void MemcacheClient::PlaceCopies(std::span<const std::string_view> keys) {
  const size_t copies = pool_.replicas();
  copies_.resize(keys.size() * copies);
  for (size_t i = 0; i < keys.size(); ++i) {
    pool_.CopiesFor(keys[i], &key_copies_);
    std::copy(key_copies_.begin(), key_copies_.end(), copies_.begin() + i * copies);
  }
  failed_in_call_.assign(pool_.size(), false);
}

bool MemcacheClient::NextUsableCopy(size_t key, std::vector<uint32_t>* next, size_t* server) const {
  const size_t copies = pool_.replicas();
  for (uint32_t& c = (*next)[key]; c < copies; ++c) {
    size_t s = copies_[key * copies + c];
    if (!pool_.ejected(s) && !failed_in_call_[s]) {
      *server = s;
      return true;
    }
  }
  return false;
}

void MemcacheClient::GetReplicated(std::span<const std::string_view> keys,
                                   std::vector<LookupResult>* results, std::vector<uint32_t>* flags) {
  const size_t n = keys.size();
  results->resize(n);
  if (flags != nullptr) flags->assign(n, 0);
  pool_.Refresh(io_.Now());
  failed_in_call_.assign(pool_.size(), false);
  // Round 0, each key's first usable copy with a plain multi-key get, its
  // answers straight into *results as without replicas.  While no server
  // is ejected that is every key's first copy, found as fast as
  // twemproxy's placement: the other copies are placed only for the keys
  // that need them (FailOver).
  first_asked_.resize(n);
  if (pool_.live_servers() == pool_.size()) {
    for (size_t i = 0; i < n; ++i) first_asked_[i] = pool_.FirstCopyFor(keys[i]);
    Run(keys, [&] { return NewGetBatch(limits_, keys, results, flags); }, first_asked_);
  } else {
    GetFirstUsableCopies(keys, results, flags);
  }
  pending_.clear();
  for (size_t i = 0; i < n; ++i)
    if (!(*results)[i].status.ok()) pending_.push_back(i);
  if (!pending_.empty()) FailOver(keys, results, flags);
}

void MemcacheClient::GetFirstUsableCopies(std::span<const std::string_view> keys,
                                          std::vector<LookupResult>* results,
                                          std::vector<uint32_t>* flags) {
  const size_t n = keys.size();
  std::vector<size_t> index;
  std::vector<std::string_view> round_keys;
  std::vector<size_t> servers;
  for (size_t i = 0; i < n; ++i) {
    pool_.CopiesFor(keys[i], &key_copies_);
    first_asked_[i] = kNoServer;
    for (size_t s : key_copies_) {
      if (pool_.ejected(s)) continue;
      first_asked_[i] = s;
      index.push_back(i);
      round_keys.push_back(keys[i]);
      servers.push_back(s);
      break;
    }
    if (first_asked_[i] == kNoServer)
      (*results)[i].status = Status::TempError("no live memcache server holds a copy of the key");
  }
  std::vector<LookupResult> got(index.size());
  std::vector<uint32_t> got_flags;
  std::vector<uint32_t>* round_flags = nullptr;
  if (flags != nullptr) {
    got_flags.assign(index.size(), 0);
    round_flags = &got_flags;
  }
  Run(round_keys, [&] { return NewGetBatch(limits_, round_keys, &got, round_flags); }, servers);
  for (size_t j = 0; j < index.size(); ++j) {
    std::swap((*results)[index[j]], got[j]);
    if (flags != nullptr) (*flags)[index[j]] = got_flags[j];
  }
}

void MemcacheClient::FailOver(std::span<const std::string_view> keys, std::vector<LookupResult>* results,
                              std::vector<uint32_t>* flags) {
  // From here on, key k is keys[pending_[k]], with its copies placed in
  // copies_[k * copies + c] and next[k] the copy asked last.
  const size_t n = pending_.size(), copies = pool_.replicas();
  copies_.resize(n * copies);
  std::vector<uint32_t> next(n, 0);
  std::vector<char> missed(n * copies, 0);  // [k * copies + c]: copy c answered "not found"
  std::vector<char> answered(n, 0);         // some copy answered (found or not found)
  for (size_t k = 0; k < n; ++k) {
    const size_t i = pending_[k];
    pool_.CopiesFor(keys[i], &key_copies_);
    std::copy(key_copies_.begin(), key_copies_.end(), copies_.begin() + k * copies);
    const Status& status = (*results)[i].status;
    if (first_asked_[i] == kNoServer) {
      next[k] = static_cast<uint32_t>(copies);  // no copy left to ask
      continue;
    }
    while (next[k] < copies && copies_[k * copies + next[k]] != first_asked_[i]) ++next[k];
    if (next[k] == copies) continue;  // not reached: the server asked is one of the copies
    if (status.IsNotFound()) missed[k * copies + next[k]] = 1;
    answered[k] = !status.IsError();
  }
  std::vector<size_t> index;  // the round's keys, as positions in pending_
  std::vector<std::string_view> round_keys;
  std::vector<size_t> servers;
  std::vector<LookupResult> got;
  std::vector<StoredMeta> meta;
  std::vector<RepairRequest> repairs;
  std::vector<size_t> repair_servers;
  for (;;) {
    index.clear();
    round_keys.clear();
    servers.clear();
    for (size_t k = 0; k < n; ++k) {
      const size_t i = pending_[k];
      if ((*results)[i].status.ok() || next[k] >= copies || ++next[k] >= copies) continue;
      size_t server = 0;
      if (!NextUsableCopy(k, &next, &server)) continue;
      if (!(*results)[i].status.IsNotFound()) ++replica_counters_.failovers;
      index.push_back(k);
      round_keys.push_back(keys[i]);
      servers.push_back(server);
    }
    if (index.empty()) break;
    got.clear();
    got.resize(index.size());
    meta.resize(index.size());
    Run(round_keys, [&] { return NewMetaGetBatch(limits_, round_keys, &got, &meta); }, servers);
    for (size_t j = 0; j < index.size(); ++j) {
      const size_t k = index[j], i = pending_[k];
      LookupResult& result = (*results)[i];
      if (got[j].status.ok()) {
        std::swap(result, got[j]);
        answered[k] = 1;
        if (flags != nullptr) (*flags)[i] = meta[j].flags;
        for (size_t c = 0; c < next[k]; ++c) {
          if (!missed[k * copies + c]) continue;
          repairs.push_back({keys[i], result.value, meta[j].flags, 0});
          repairs.back().ttl = RepairTtl(meta[j].ttl, std::time(nullptr));
          repair_servers.push_back(copies_[k * copies + c]);
        }
      } else if (got[j].status.IsNotFound()) {
        missed[k * copies + next[k]] = 1;
        answered[k] = 1;
        result.status = Status::NotFound();
      } else if (!answered[k]) {
        std::swap(result, got[j]);  // the last failure, until a copy answers
      }
    }
  }
  if (repairs.empty()) return;
  // Keys point into `keys`, data into `results`: both stay put until the end.
  std::vector<std::string_view> repair_keys(repairs.size());
  for (size_t r = 0; r < repairs.size(); ++r) repair_keys[r] = repairs[r].key;
  std::vector<Status> stored(repairs.size());
  Run(repair_keys, [&] { return NewRepairBatch(limits_, repairs, &stored); }, repair_servers);
  for (const Status& s : stored)
    if (s.ok()) ++replica_counters_.read_repairs;
}

void MemcacheClient::WriteReplicated(std::span<const std::string_view> keys, bool is_delete,
                                     const std::function<std::unique_ptr<ServerBatch>(
                                         std::span<const std::string_view>, std::vector<Status>*)>& new_batch,
                                     std::vector<Status>* results) {
  const size_t n = keys.size(), copies = pool_.replicas();
  pool_.Refresh(io_.Now());
  PlaceCopies(keys);
  // One item per key and copy: item i * copies + c is key i's copy c.
  // (Both vectors are members, reused from call to call: a bulk load makes
  // one call per few thousand keys.)
  std::vector<std::string_view>& items = copy_keys_;
  items.resize(n * copies);
  for (size_t i = 0; i < n; ++i)
    for (size_t c = 0; c < copies; ++c) items[i * copies + c] = keys[i];
  std::vector<Status>& per_copy = copy_results_;
  per_copy.assign(items.size(), Status::OK());
  Run(items, [&] { return new_batch(items, &per_copy); }, copies_);

  const char* what = is_delete ? "delete" : "update";
  for (size_t i = 0; i < n; ++i) {
    size_t reached = 0, deleted = 0, first_failed = copies;
    for (size_t c = 0; c < copies; ++c) {
      const Status& s = per_copy[i * copies + c];
      if (s.IsError()) {
        if (first_failed == copies) first_failed = c;
        continue;
      }
      ++reached;
      deleted += s.ok();
    }
    if (reached == copies) {
      (*results)[i] = !is_delete || deleted > 0 ? Status::OK() : Status::NotFound();
      continue;
    }
    const std::string reason = per_copy[i * copies + first_failed].message();
    std::string prefix = settings_.table_name + ": " + what + " of key \"" + PrintableBytes(keys[i]) + "\"";
    if (reached == 0) {
      (*results)[i] = Status::TempError(prefix + " reached no copy: " + reason);
    } else {
      ++replica_counters_.writes_missed_copy;
      (*results)[i] = Status::TempError(prefix + " reached " + std::to_string(reached) + " of " +
                                        std::to_string(copies) + " copies (" + reason +
                                        "); retry it: the copy missed keeps its old value");
    }
  }
}

}  // namespace mctable
