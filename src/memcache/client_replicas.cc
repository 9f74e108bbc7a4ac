// Replicas (replicas > 1): the copies of each key and how a call uses them.
//
// Reads ask each key's copies one round at a time: first the first live
// copy (a plain multi-key get, as without replicas), then, for the keys
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
// once, each server's share pipelined.  A write succeeds only when every
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
  const size_t n = keys.size(), copies = pool_.replicas();
  results->resize(n);
  if (flags != nullptr) flags->assign(n, 0);
  pool_.Refresh(io_.Now());
  PlaceCopies(keys);
  std::vector<uint32_t> next(n, 0);   // the copy to ask next
  std::vector<char> missed;           // [key * copies + c]: copy c answered "not found"
  std::vector<char> answered(n, 0);   // some copy answered (found or not found)
  std::vector<size_t> index;          // the round's keys
  std::vector<std::string_view> round_keys;
  std::vector<size_t> servers;
  std::vector<LookupResult> got;
  std::vector<uint32_t> got_flags;  // round 0's, when the caller wants flags
  std::vector<StoredMeta> meta;
  std::vector<RepairRequest> repairs;
  std::vector<size_t> repair_servers;

  // Round 0, the usual case: every key has a live first copy, and the
  // answers go straight into *results, as without replicas.
  servers.resize(n);
  bool every_key_placed = true;
  for (size_t i = 0; i < n; ++i) every_key_placed &= NextUsableCopy(i, &next, &servers[i]);
  int first_round = 0;
  if (every_key_placed) {
    Run(keys, [&] { return NewGetBatch(limits_, keys, results, flags); }, servers);
    for (size_t i = 0; i < n; ++i) {
      const Status& status = (*results)[i].status;
      if (status.IsNotFound()) {
        if (missed.empty()) missed.assign(n * copies, 0);
        missed[i * copies + next[i]] = 1;
      }
      answered[i] = !status.IsError();
    }
    first_round = 1;
  } else {
    next.assign(n, 0);
    for (size_t i = 0; i < n; ++i)
      (*results)[i].status = Status::TempError("no live memcache server holds a copy of the key");
  }
  for (int round = first_round;; ++round) {
    index.clear();
    round_keys.clear();
    servers.clear();
    for (size_t i = 0; i < n; ++i) {
      if (round > 0 && ((*results)[i].status.ok() || ++next[i] >= copies)) continue;
      size_t server = 0;
      if (!NextUsableCopy(i, &next, &server)) continue;
      if (round > 0 && !(*results)[i].status.IsNotFound()) ++replica_counters_.failovers;
      index.push_back(i);
      round_keys.push_back(keys[i]);
      servers.push_back(server);
    }
    if (index.empty()) break;
    got.clear();
    got.resize(index.size());
    if (round == 0) {
      std::vector<uint32_t>* round_flags = nullptr;
      if (flags != nullptr) {
        got_flags.assign(index.size(), 0);
        round_flags = &got_flags;
      }
      Run(round_keys, [&] { return NewGetBatch(limits_, round_keys, &got, round_flags); }, servers);
    } else {
      meta.resize(index.size());
      Run(round_keys, [&] { return NewMetaGetBatch(limits_, round_keys, &got, &meta); }, servers);
    }
    for (size_t j = 0; j < index.size(); ++j) {
      const size_t i = index[j];
      LookupResult& result = (*results)[i];
      if (got[j].status.ok()) {
        std::swap(result, got[j]);
        answered[i] = 1;
        if (flags != nullptr) (*flags)[i] = round == 0 ? got_flags[j] : meta[j].flags;
        if (round == 0 || missed.empty()) continue;
        for (size_t c = 0; c < next[i]; ++c) {
          if (!missed[i * copies + c]) continue;
          repairs.push_back({keys[i], result.value, meta[j].flags, 0});
          repairs.back().ttl = RepairTtl(meta[j].ttl, std::time(nullptr));
          repair_servers.push_back(copies_[i * copies + c]);
        }
      } else if (got[j].status.IsNotFound()) {
        if (missed.empty()) missed.assign(n * copies, 0);
        missed[i * copies + next[i]] = 1;
        answered[i] = 1;
        result.status = Status::NotFound();
      } else if (!answered[i]) {
        std::swap(result, got[j]);  // the last failure, until a copy answers
      }
    }
  }
  if (repairs.empty()) return;
  // Keys point into `keys`, data into `results`: both stay put until the end.
  std::vector<std::string_view> repair_keys(repairs.size());
  for (size_t k = 0; k < repairs.size(); ++k) repair_keys[k] = repairs[k].key;
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
  std::vector<std::string_view> items(n * copies);
  for (size_t i = 0; i < n; ++i)
    for (size_t c = 0; c < copies; ++c) items[i * copies + c] = keys[i];
  std::vector<Status> per_copy(items.size(), Status::OK());
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
