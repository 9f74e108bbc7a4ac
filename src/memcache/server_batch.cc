#include "memcache/server_batch.h"

#include "mctable/log.h"
#include "memcache/protocol.h"

namespace mctable {
namespace {

// Chunk bounds: one multi-key get, or one group of pipelined commands, per
// try.  Small enough that a chunk's reply arrives well within a timeout,
// large enough to amortise the round trip.
constexpr size_t kMaxKeysPerGet = 512;
constexpr size_t kMaxGetsPerChunk = 8;
constexpr size_t kMaxCommandsPerChunk = 256;
constexpr size_t kMaxChunkBytes = 256 * 1024;

// A chunk of pipelined commands from items[begin]: up to
// kMaxCommandsPerChunk, and no more than max_bytes unless it is a single
// command.  append(out, position) appends the command of items[position].
template <typename AppendCommand>
size_t BuildPipelinedChunk(const std::vector<size_t>& items, size_t begin, size_t max_bytes,
                           std::string* out, AppendCommand append) {
  size_t end = begin;
  const size_t start = out->size();
  while (end < items.size() && end - begin < kMaxCommandsPerChunk) {
    const size_t before = out->size();
    append(out, end);
    if (end > begin && out->size() - start > max_bytes) {
      out->resize(before);  // goes first in the next chunk
      break;
    }
    ++end;
  }
  return end;
}

class GetBatch : public ServerBatch {
 public:
  GetBatch(const BatchLimits& limits, std::span<const std::string_view> keys,
           std::vector<LookupResult>* results, std::vector<uint32_t>* flags)
      : ServerBatch(limits), keys_(keys), results_(results), flags_(flags) {}

  size_t BuildChunk(size_t begin, std::string* out) override {
    ends_.clear();
    cmd_ = 0;
    size_t end = begin;
    while (end < items_.size() && ends_.size() < kMaxGetsPerChunk && out->size() < kMaxChunkBytes) {
      out->append("get");
      size_t start = end;
      while (end < items_.size() && end - start < kMaxKeysPerGet && out->size() < kMaxChunkBytes) {
        out->push_back(' ');
        out->append(keys_[items_[end++]]);
      }
      out->append("\r\n");
      ends_.push_back(end);
    }
    return end;
  }

  void FailItem(size_t position, const Status& status) override {
    (*results_)[items_[position]].status = status;
  }

  Progress Consume(std::string_view input, size_t* consumed) override {
    *consumed = 0;
    for (;;) {
      GetReplyStep step = ParseGetReplyStep(input.substr(*consumed), limits_.line_size_limit,
                                            limits_.data_size_limit);
      switch (step.kind) {
        case GetReplyStep::kNeedMore:
          return Progress::kNeedMore;
        case GetReplyStep::kError:
          return Error(std::move(step.error), step.error_is_data_size);
        case GetReplyStep::kEnd:
          LogReceived("END");
          *consumed += step.consumed;
          for (; next_ < ends_[cmd_]; ++next_) (*results_)[items_[next_]].status = Status::NotFound();
          if (++cmd_ < ends_.size()) break;
          return Progress::kDone;
        case GetReplyStep::kValue: {
          // memcached answers in request order, skipping misses: the key
          // must be one still expected, and the ones before it were misses.
          size_t match = next_;
          while (match < ends_[cmd_] && keys_[items_[match]] != step.key) ++match;
          if (match == ends_[cmd_])
            return Error("unexpected memcache server reply: VALUE for a key not asked for: " +
                         ReplyExcerpt(step.key));
          if (LogVerbosity() > 0)
            LogReceived("VALUE " + std::string(step.key) + " " + std::to_string(step.flags) + " " +
                        std::to_string(step.data.size()));
          for (; next_ < match; ++next_) (*results_)[items_[next_]].status = Status::NotFound();
          LookupResult& found = (*results_)[items_[match]];
          found.status = Status::OK();
          found.value.assign(step.data);
          if (flags_ != nullptr) (*flags_)[items_[match]] = step.flags;
          next_ = match + 1;
          *consumed += step.consumed;
          break;
        }
      }
    }
  }

 private:
  std::span<const std::string_view> keys_;
  std::vector<LookupResult>* results_;
  std::vector<uint32_t>* flags_;  // null: the caller does not want them
  std::vector<size_t> ends_;  // end position of each get command in the chunk
  size_t cmd_ = 0;            // the get command being answered
};

// Sets and deletes: one reply line per command.
class LineReplyBatch : public ServerBatch {
 public:
  LineReplyBatch(const BatchLimits& limits, std::vector<Status>* results)
      : ServerBatch(limits), results_(results) {}

  void FailItem(size_t position, const Status& status) override {
    (*results_)[items_[position]] = status;
  }

  Progress Consume(std::string_view input, size_t* consumed) override {
    *consumed = 0;
    while (next_ < end_) {
      std::string_view line;
      size_t length = 0;
      Progress stop;
      if (!NextLine(input.substr(*consumed), &line, &length, &stop)) return stop;
      Status status;
      if (!Classify(line, &status))
        return Error("unexpected memcache server reply: " + ReplyExcerpt(line));
      // A refusal (NOT_STORED, SERVER_ERROR) fails this command's try, as in
      // Postfix: the item is tried again on a new connection after the pause.
      if (status.IsError())
        return Error(status.message(), /*item_error=*/true,
                     "database " + limits_.table_name + ": " + status.message());
      (*results_)[items_[next_++]] = std::move(status);
      *consumed += length;
    }
    return Progress::kDone;
  }

 protected:
  // Maps a reply line to the item's result; false if the line does not
  // belong to this command (the stream is then out of step).
  virtual bool Classify(std::string_view line, Status* status) const = 0;

  template <typename AppendCommand>
  size_t BuildPipelined(size_t begin, std::string* out, AppendCommand append) const {
    return BuildPipelinedChunk(items_, begin, limits_.pipelined_bytes, out,
                               [&](std::string* o, size_t position) { append(o, items_[position]); });
  }

  std::vector<Status>* results_;
};

class SetBatch : public LineReplyBatch {
 public:
  SetBatch(const BatchLimits& limits, std::span<const SetRequest> requests, uint32_t flags, long ttl,
           std::vector<Status>* results)
      : LineReplyBatch(limits, results), requests_(requests), flags_(flags), ttl_(ttl) {}

  size_t BuildChunk(size_t begin, std::string* out) override {
    return BuildPipelined(begin, out, [this](std::string* o, size_t item) {
      AppendSetCommand(o, requests_[item].key, flags_, ttl_, requests_[item].data);
    });
  }

 protected:
  bool Classify(std::string_view line, Status* status) const override {
    if (line == "STORED") {
      *status = Status::OK();
      return true;
    }
    // Replies that answer this command without breaking the stream: memcached
    // refused to store (NOT_STORED) or swallowed the data (SERVER_ERROR).
    if (line == "NOT_STORED" || line == "EXISTS" || line == "NOT_FOUND" ||
        line.starts_with("SERVER_ERROR")) {
      *status = Status::TempError("update failed: " + ReplyExcerpt(line));
      return true;
    }
    return false;
  }

 private:
  std::span<const SetRequest> requests_;
  uint32_t flags_;
  long ttl_;
};

class DeleteBatch : public LineReplyBatch {
 public:
  DeleteBatch(const BatchLimits& limits, std::span<const std::string_view> keys,
              std::vector<Status>* results)
      : LineReplyBatch(limits, results), keys_(keys) {}

  size_t BuildChunk(size_t begin, std::string* out) override {
    return BuildPipelined(begin, out,
                          [this](std::string* o, size_t item) { AppendDeleteCommand(o, keys_[item]); });
  }

 protected:
  bool Classify(std::string_view line, Status* status) const override {
    if (line == "DELETED") {
      *status = Status::OK();
      return true;
    }
    if (line == "NOT_FOUND") {
      *status = Status::NotFound();
      return true;
    }
    if (line.starts_with("SERVER_ERROR")) {
      *status = Status::TempError("delete failed: " + ReplyExcerpt(line));
      return true;
    }
    return false;
  }

 private:
  std::span<const std::string_view> keys_;
};

// Replicated writes as quiet meta commands (see NewQuietSetBatch).  The
// reply to a chunk is its error lines, a "NF O<position>" per delete of a
// missing key, then "MN".  Nothing ties an error line to its command, so
// the first one fails the whole chunk at once: the results are recorded
// and next() moves past the chunk, so that neither the rest of the reply
// nor a connection lost before "MN" can get the chunk sent again.
class QuietWriteBatch : public ServerBatch {
 public:
  QuietWriteBatch(const BatchLimits& limits, std::span<const SetRequest> sets, uint32_t flags, long ttl,
                  std::span<const std::string_view> delete_keys, std::vector<Status>* results)
      : ServerBatch(limits), is_delete_(sets.empty()), sets_(sets), flags_(flags), ttl_(ttl),
        delete_keys_(delete_keys), results_(results) {}

  size_t BuildChunk(size_t begin, std::string* out) override {
    chunk_begin_ = begin;
    const size_t room = limits_.pipelined_bytes > kMetaNoopCommand.size()
                            ? limits_.pipelined_bytes - kMetaNoopCommand.size()
                            : 1;
    size_t end = BuildPipelinedChunk(items_, begin, room, out, [this, begin](std::string* o, size_t position) {
      const size_t item = items_[position];
      if (is_delete_) {
        AppendQuietMetaDeleteCommand(o, delete_keys_[item], static_cast<uint32_t>(position - begin));
      } else {
        AppendQuietMetaSetCommand(o, sets_[item].key, flags_, ttl_, sets_[item].data);
      }
    });
    out->append(kMetaNoopCommand);
    not_found_.assign(end - begin, 0);
    return end;
  }

  void FailItem(size_t position, const Status& status) override {
    (*results_)[items_[position]] = status;
  }

  Progress Consume(std::string_view input, size_t* consumed) override {
    *consumed = 0;
    for (;;) {
      std::string_view line;
      size_t length = 0;
      Progress stop;
      if (!NextLine(input.substr(*consumed), &line, &length, &stop)) return stop;
      QuietWriteReply reply = ParseQuietWriteReply(line);
      if (reply.kind == QuietWriteReply::kNotFound && (!is_delete_ || reply.opaque >= not_found_.size()))
        reply.kind = QuietWriteReply::kUnexpected;
      switch (reply.kind) {
        case QuietWriteReply::kUnexpected:
          return Error("unexpected memcache server reply: " + ReplyExcerpt(line));
        case QuietWriteReply::kNoop:
          *consumed += length;
          for (; next_ < end_; ++next_)
            (*results_)[items_[next_]] = not_found_[next_ - chunk_begin_] ? Status::NotFound() : Status::OK();
          return Progress::kDone;
        case QuietWriteReply::kNotFound:
          not_found_[reply.opaque] = 1;
          break;
        case QuietWriteReply::kRefusal:
          if (next_ < end_) FailChunk(line);
          break;
      }
      *consumed += length;
    }
  }

 private:
  std::string_view KeyAt(size_t position) const {
    const size_t item = items_[position];
    return is_delete_ ? delete_keys_[item] : sets_[item].key;
  }

  void FailChunk(std::string_view line) {
    const size_t count = end_ - chunk_begin_;
    std::string message = (source_.empty() ? "" : source_ + ": ") + (is_delete_ ? "delete" : "update") +
                          " failed: " + PrintableBytes(line.substr(0, 100)) + " (in a chunk of " +
                          std::to_string(count) + " quiet writes, key \"" + PrintableBytes(KeyAt(chunk_begin_)) +
                          "\"" + (count > 1 ? " to key \"" + PrintableBytes(KeyAt(end_ - 1)) + "\"" : "") +
                          "; the reply names no key, so none of them counts as done)";
    LogWarning("database " + limits_.table_name + ": " + message);
    const Status failed = Status::TempError(message);
    for (size_t p = chunk_begin_; p < end_; ++p) (*results_)[items_[p]] = failed;
    next_ = end_;
  }

  bool is_delete_;
  std::span<const SetRequest> sets_;  // empty for deletes
  uint32_t flags_;
  long ttl_;
  std::span<const std::string_view> delete_keys_;
  std::vector<Status>* results_;
  size_t chunk_begin_ = 0;
  std::vector<char> not_found_;  // [position - chunk_begin_]: answered NF
};

// Replica fail-over reads: one pipelined "mg KEY s t f v" per item, so that
// a value found can be copied with its flags and remaining TTL.
class MetaGetBatch : public ServerBatch {
 public:
  MetaGetBatch(const BatchLimits& limits, std::span<const std::string_view> keys,
               std::vector<LookupResult>* results, std::vector<StoredMeta>* meta)
      : ServerBatch(limits), keys_(keys), results_(results), meta_(meta) {}

  size_t BuildChunk(size_t begin, std::string* out) override {
    size_t end = begin;
    while (end < items_.size() && end - begin < kMaxCommandsPerChunk && out->size() < kMaxChunkBytes)
      AppendMetaGetCommand(out, keys_[items_[end++]]);
    return end;
  }

  void FailItem(size_t position, const Status& status) override {
    (*results_)[items_[position]].status = status;
  }

  Progress Consume(std::string_view input, size_t* consumed) override {
    *consumed = 0;
    while (next_ < end_) {
      MetaGetReplyStep step = ParseMetaGetReplyStep(input.substr(*consumed), limits_.line_size_limit,
                                                    limits_.data_size_limit);
      if (step.kind == MetaGetReplyStep::kNeedMore) return Progress::kNeedMore;
      if (step.kind == MetaGetReplyStep::kError)
        return Error(std::move(step.error), step.error_is_data_size);
      const size_t i = items_[next_++];
      LookupResult& result = (*results_)[i];
      if (step.kind == MetaGetReplyStep::kMiss) {
        LogReceived("EN");
        result.status = Status::NotFound();
      } else {
        LogReceived("VA " + std::to_string(step.data.size()));
        result.status = Status::OK();
        result.value.assign(step.data);
        (*meta_)[i] = {step.ttl, step.flags};
      }
      *consumed += step.consumed;
    }
    return Progress::kDone;
  }

 private:
  std::span<const std::string_view> keys_;
  std::vector<LookupResult>* results_;
  std::vector<StoredMeta>* meta_;
};

// Replica read-repair: "add" with each copy's own flags and TTL.  A
// NOT_STORED means the server got a value meanwhile (a newer write), which
// the repair must leave alone: that is success, not a refusal.
class RepairBatch : public LineReplyBatch {
 public:
  RepairBatch(const BatchLimits& limits, std::span<const RepairRequest> requests,
              std::vector<Status>* results)
      : LineReplyBatch(limits, results), requests_(requests) {}

  size_t BuildChunk(size_t begin, std::string* out) override {
    return BuildPipelined(begin, out, [this](std::string* o, size_t item) {
      const RepairRequest& r = requests_[item];
      AppendAddCommand(o, r.key, r.flags, r.ttl, r.data);
    });
  }

 protected:
  bool Classify(std::string_view line, Status* status) const override {
    if (line == "STORED") {
      *status = Status::OK();
      return true;
    }
    if (line == "NOT_STORED") {
      *status = Status::NotFound("already present");
      return true;
    }
    if (line.starts_with("SERVER_ERROR")) {
      *status = Status::TempError("repair failed: " + ReplyExcerpt(line));
      return true;
    }
    return false;
  }

 private:
  std::span<const RepairRequest> requests_;
};

}  // namespace

ReplyConsumer::Progress ServerBatch::Error(std::string message, bool item_error, std::string warning) {
  error_ = std::move(message);
  item_error_ = item_error;
  warning_ = warning.empty() ? limits_.origin + ": " + error_ : std::move(warning);
  return Progress::kError;
}

bool ServerBatch::NextLine(std::string_view input, std::string_view* line, size_t* length, Progress* stop) {
  LineStatus ls = ReadReplyLine(input, limits_.line_size_limit, line, length);
  if (ls == LineStatus::kNeedMore) {
    *stop = Progress::kNeedMore;
    return false;
  }
  if (ls == LineStatus::kTooLong) {
    *stop = Error("unexpected memcache server reply: line longer than line_size_limit");
    return false;
  }
  LogReceived(*line);
  return true;
}

void ServerBatch::LogReceived(std::string_view line) const {
  if (LogVerbosity() > 0) LogInfo(limits_.table_name + ": receive: " + PrintableBytes(line));
}

std::unique_ptr<ServerBatch> NewGetBatch(const BatchLimits& limits,
                                         std::span<const std::string_view> keys,
                                         std::vector<LookupResult>* results,
                                         std::vector<uint32_t>* flags) {
  return std::make_unique<GetBatch>(limits, keys, results, flags);
}

std::unique_ptr<ServerBatch> NewSetBatch(const BatchLimits& limits, std::span<const SetRequest> items,
                                         uint32_t flags, long ttl, std::vector<Status>* results) {
  return std::make_unique<SetBatch>(limits, items, flags, ttl, results);
}

std::unique_ptr<ServerBatch> NewDeleteBatch(const BatchLimits& limits,
                                            std::span<const std::string_view> keys,
                                            std::vector<Status>* results) {
  return std::make_unique<DeleteBatch>(limits, keys, results);
}

std::unique_ptr<ServerBatch> NewQuietSetBatch(const BatchLimits& limits, std::span<const SetRequest> items,
                                              uint32_t flags, long ttl, std::vector<Status>* results) {
  return std::make_unique<QuietWriteBatch>(limits, items, flags, ttl, std::span<const std::string_view>(),
                                           results);
}

std::unique_ptr<ServerBatch> NewQuietDeleteBatch(const BatchLimits& limits,
                                                 std::span<const std::string_view> keys,
                                                 std::vector<Status>* results) {
  return std::make_unique<QuietWriteBatch>(limits, std::span<const SetRequest>(), 0, 0, keys, results);
}

std::unique_ptr<ServerBatch> NewMetaGetBatch(const BatchLimits& limits,
                                             std::span<const std::string_view> keys,
                                             std::vector<LookupResult>* results,
                                             std::vector<StoredMeta>* meta) {
  return std::make_unique<MetaGetBatch>(limits, keys, results, meta);
}

std::unique_ptr<ServerBatch> NewRepairBatch(const BatchLimits& limits,
                                            std::span<const RepairRequest> items,
                                            std::vector<Status>* results) {
  return std::make_unique<RepairBatch>(limits, items, results);
}

}  // namespace mctable
