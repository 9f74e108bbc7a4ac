#include "memcache/client.h"

#include <thread>

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

}  // namespace

// One pipelined operation over a batch of items.  It builds the request
// for a chunk of items and parses the replies, recording each item's result
// as soon as memcached has given it.
class MemcacheClient::Batch : public ReplyConsumer {
 public:
  explicit Batch(const MemcacheSettings& settings) : settings_(settings) {}
  virtual size_t size() const = 0;
  // Appends the request for items [begin, end) and returns end.
  virtual size_t BuildChunk(size_t begin, std::string* out) = 0;
  virtual void FailItem(size_t index, const Status& status) = 0;
  // Labels for warnings: "I/O error" messages vs. the item's own reply.
  virtual const char* operation() const = 0;

  void StartChunk(size_t begin, size_t end) {
    next_ = begin;
    end_ = end;
    error_.clear();
    item_error_ = false;
  }
  size_t next() const { return next_; }
  // True when the last error concerns the reply to item next() itself (e.g.
  // its value is too long), rather than the connection.
  bool item_error() const { return item_error_; }
  bool protocol_error() const { return !error_.empty(); }
  // The warning for a failed try caused by a reply (Postfix's wording).
  const std::string& warning() const { return warning_; }
  std::string error() const override { return error_; }

 protected:
  Progress Error(std::string message, bool item_error = false, std::string warning = {}) {
    error_ = std::move(message);
    item_error_ = item_error;
    warning_ = warning.empty() ? settings_.origin + ": " + error_ : std::move(warning);
    return Progress::kError;
  }
  void LogReceived(std::string_view line) const {
    if (LogVerbosity() > 0) LogInfo(settings_.table_name + ": receive: " + PrintableBytes(line));
  }

  const MemcacheSettings& settings_;
  size_t next_ = 0;
  size_t end_ = 0;
  std::string error_;
  std::string warning_;
  bool item_error_ = false;
};

namespace {

class GetBatch : public MemcacheClient::Batch {
 public:
  GetBatch(const MemcacheSettings& settings, std::span<const std::string_view> keys,
           std::vector<LookupResult>* results)
      : Batch(settings), keys_(keys), results_(results) {}

  size_t size() const override { return keys_.size(); }
  const char* operation() const override { return "lookup"; }

  size_t BuildChunk(size_t begin, std::string* out) override {
    ends_.clear();
    cmd_ = 0;
    size_t end = begin;
    while (end < keys_.size() && ends_.size() < kMaxGetsPerChunk && out->size() < kMaxChunkBytes) {
      out->append("get");
      size_t start = end;
      while (end < keys_.size() && end - start < kMaxKeysPerGet && out->size() < kMaxChunkBytes) {
        out->push_back(' ');
        out->append(keys_[end++]);
      }
      out->append("\r\n");
      ends_.push_back(end);
    }
    return end;
  }

  void FailItem(size_t index, const Status& status) override {
    (*results_)[index].status = status;
  }

  Progress Consume(std::string_view input, size_t* consumed) override {
    *consumed = 0;
    for (;;) {
      GetReplyStep step = ParseGetReplyStep(input.substr(*consumed), settings_.line_size_limit,
                                            settings_.data_size_limit);
      switch (step.kind) {
        case GetReplyStep::kNeedMore:
          return Progress::kNeedMore;
        case GetReplyStep::kError:
          return Error(std::move(step.error), step.error_is_data_size);
        case GetReplyStep::kEnd:
          LogReceived("END");
          *consumed += step.consumed;
          for (; next_ < ends_[cmd_]; ++next_) (*results_)[next_].status = Status::NotFound();
          if (++cmd_ < ends_.size()) break;
          return Progress::kDone;
        case GetReplyStep::kValue: {
          // memcached answers in request order, skipping misses: the key
          // must be one still expected, and the ones before it were misses.
          size_t match = next_;
          while (match < ends_[cmd_] && keys_[match] != step.key) ++match;
          if (match == ends_[cmd_])
            return Error("unexpected memcache server reply: VALUE for a key not asked for: " +
                         ReplyExcerpt(step.key));
          LogReceived("VALUE " + std::string(step.key) + " " + std::to_string(step.flags) + " " +
                      std::to_string(step.data.size()));
          for (; next_ < match; ++next_) (*results_)[next_].status = Status::NotFound();
          (*results_)[match].status = Status::OK();
          (*results_)[match].value.assign(step.data);
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
  std::vector<size_t> ends_;  // end index of each get command in the chunk
  size_t cmd_ = 0;            // the get command being answered
};

// Sets and deletes: one reply line per command.
class LineReplyBatch : public MemcacheClient::Batch {
 public:
  LineReplyBatch(const MemcacheSettings& settings, std::vector<Status>* results)
      : Batch(settings), results_(results) {}

  void FailItem(size_t index, const Status& status) override { (*results_)[index] = status; }

  Progress Consume(std::string_view input, size_t* consumed) override {
    *consumed = 0;
    while (next_ < end_) {
      std::string_view line;
      size_t length = 0;
      LineStatus ls = ReadReplyLine(input.substr(*consumed), settings_.line_size_limit, &line, &length);
      if (ls == LineStatus::kNeedMore) return Progress::kNeedMore;
      if (ls == LineStatus::kTooLong)
        return Error("unexpected memcache server reply: line longer than line_size_limit");
      LogReceived(line);
      Status status;
      if (!Classify(line, &status))
        return Error("unexpected memcache server reply: " + ReplyExcerpt(line));
      // A refusal (NOT_STORED, SERVER_ERROR) fails this command's try, as in
      // Postfix: the item is tried again on a new connection after the pause.
      if (status.IsError())
        return Error(status.message(), /*item_error=*/true,
                     "database " + settings_.table_name + ": " + status.message());
      (*results_)[next_++] = std::move(status);
      *consumed += length;
    }
    return Progress::kDone;
  }

 protected:
  // Maps a reply line to the item's result; false if the line does not
  // belong to this command (the stream is then out of step).
  virtual bool Classify(std::string_view line, Status* status) const = 0;

  std::vector<Status>* results_;
};

class SetBatch : public LineReplyBatch {
 public:
  SetBatch(const MemcacheSettings& settings, std::span<const SetRequest> items, uint32_t flags,
           long ttl, std::vector<Status>* results)
      : LineReplyBatch(settings, results), items_(items), flags_(flags), ttl_(ttl) {}

  size_t size() const override { return items_.size(); }
  const char* operation() const override { return "update"; }

  size_t BuildChunk(size_t begin, std::string* out) override {
    size_t end = begin;
    while (end < items_.size() && end - begin < kMaxCommandsPerChunk &&
           (end == begin || out->size() < kMaxChunkBytes)) {
      AppendSetCommand(out, items_[end].key, flags_, ttl_, items_[end].data);
      ++end;
    }
    return end;
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
  std::span<const SetRequest> items_;
  uint32_t flags_;
  long ttl_;
};

class DeleteBatch : public LineReplyBatch {
 public:
  DeleteBatch(const MemcacheSettings& settings, std::span<const std::string_view> keys,
              std::vector<Status>* results)
      : LineReplyBatch(settings, results), keys_(keys) {}

  size_t size() const override { return keys_.size(); }
  const char* operation() const override { return "delete"; }

  size_t BuildChunk(size_t begin, std::string* out) override {
    size_t end = begin;
    while (end < keys_.size() && end - begin < kMaxCommandsPerChunk && out->size() < kMaxChunkBytes)
      AppendDeleteCommand(out, keys_[end++]);
    return end;
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

}  // namespace

MemcacheClient::MemcacheClient(MemcacheSettings settings) : settings_(std::move(settings)) {
  servers_.push_back(std::make_unique<Connection>(settings_.endpoint));
}

MemcacheClient::~MemcacheClient() = default;

void MemcacheClient::Run(Batch* batch) {
  // One server today; with several, the batch is split per server here.
  Connection& connection = *servers_.front();
  const size_t n = batch->size();
  size_t pos = 0;   // first item without a result
  int tries = 0;    // tries already spent on item `pos`
  std::string request;
  while (pos < n) {
    if (tries > 0) std::this_thread::sleep_for(std::chrono::seconds(settings_.retry_pause_seconds));
    Deadline deadline = Clock::now() + std::chrono::seconds(settings_.timeout_seconds);
    bool refused = false;
    Status status = connection.Open(deadline, &refused);
    size_t end = pos;
    if (status.ok()) {
      request.clear();
      end = batch->BuildChunk(pos, &request);
      batch->StartChunk(pos, end);
      if (LogVerbosity() > 0)
        LogInfo(settings_.table_name + ": send: " +
                PrintableBytes(std::string_view(request).substr(0, 400)) +
                (request.size() > 400 ? "..." : ""));
      status = connection.Exchange(request, batch, deadline);
      if (status.ok()) {
        pos = end;
        tries = 0;
        continue;
      }
      if (batch->next() > pos) {
        // Items answered before the failure keep their answers; the first
        // unanswered one was in flight, so it has had one try.
        pos = batch->next();
        tries = 0;
      }
    } else if (refused) {
      for (size_t i = pos; i < n; ++i) batch->FailItem(i, status);
      return;
    }
    // A failed try caused by a reply (not by the connection) has a warning of its own.
    bool protocol = batch->protocol_error() && end > pos;
    if (tries > 0 || LogVerbosity() > 0) {
      if (protocol)
        LogWarning(batch->warning());
      else
        LogWarning("database " + settings_.table_name + ": I/O error: " + status.message());
    }
    if (++tries < settings_.max_try) continue;
    if (protocol && batch->item_error()) {
      batch->FailItem(pos++, status);
      tries = 0;
      continue;
    }
    for (size_t i = pos; i < n; ++i) batch->FailItem(i, status);
    return;
  }
}

void MemcacheClient::Get(std::span<const std::string_view> keys, std::vector<LookupResult>* results) {
  results->resize(keys.size());  // every entry is set by the batch
  GetBatch batch(settings_, keys, results);
  Run(&batch);
}

void MemcacheClient::Set(std::span<const SetRequest> items, uint32_t flags, long ttl,
                         std::vector<Status>* results) {
  results->assign(items.size(), Status::OK());
  SetBatch batch(settings_, items, flags, ttl, results);
  Run(&batch);
}

void MemcacheClient::Delete(std::span<const std::string_view> keys, std::vector<Status>* results) {
  results->assign(keys.size(), Status::OK());
  DeleteBatch batch(settings_, keys, results);
  Run(&batch);
}

}  // namespace mctable
