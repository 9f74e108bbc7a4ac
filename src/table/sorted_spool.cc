// SortedSpool; see sorted_spool.h.  Records in the buffer and in the file
// have one layout: a 20-byte header (sequence u64, hash u32, key size u32,
// value size u32, native byte order: the file never outlives the process),
// then the key and the value.
#include "table/sorted_spool.h"

#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include <algorithm>
#include <cstring>
#include <queue>

#include "common/interrupt.h"

namespace mctable {
namespace {

constexpr size_t kHeaderBytes = 20;
constexpr size_t kWriteBytes = 64 * 1024;
constexpr uint64_t kInterruptCheckEvery = 4096;
constexpr size_t kInMemoryDrainBytes = 256 * 1024;

struct RecordHeader {
  uint64_t sequence;
  uint32_t hash;
  uint32_t key_size;
  uint32_t value_size;
};

RecordHeader ReadHeader(const char* at) {
  RecordHeader h;
  std::memcpy(&h.sequence, at, 8);
  std::memcpy(&h.hash, at + 8, 4);
  std::memcpy(&h.key_size, at + 12, 4);
  std::memcpy(&h.value_size, at + 16, 4);
  return h;
}

void WriteHeader(const RecordHeader& h, char* at) {
  std::memcpy(at, &h.sequence, 8);
  std::memcpy(at + 8, &h.hash, 4);
  std::memcpy(at + 12, &h.key_size, 4);
  std::memcpy(at + 16, &h.value_size, 4);
}

uint32_t ReverseBits(uint32_t v) {
  v = ((v >> 1) & 0x55555555u) | ((v & 0x55555555u) << 1);
  v = ((v >> 2) & 0x33333333u) | ((v & 0x33333333u) << 2);
  v = ((v >> 4) & 0x0f0f0f0fu) | ((v & 0x0f0f0f0fu) << 4);
  v = ((v >> 8) & 0x00ff00ffu) | ((v & 0x00ff00ffu) << 8);
  return (v >> 16) | (v << 16);
}

Status InterruptedStatus(int signal) {
  return Status::TempError("interrupted by signal " + std::to_string(signal));
}

}  // namespace

uint32_t SortedSpool::BerkeleyDbHash(std::string_view key) {
  uint32_t h = 0;
  for (unsigned char c : key) {
    h *= 16777619u;
    h ^= c;
  }
  return h;
}

// One run of the file, read a buffer at a time; the current record is
// always whole in the buffer.
class SortedSpool::RunReader {
 public:
  RunReader(int fd, const Run& run) : fd_(fd), next_(run.offset), end_(run.offset + run.size) {
    buffer_.resize(kReadBytes);
  }

  // Moves to the next record; false at the end of the run or on an error
  // (then *status is set).
  bool Next(Status* status) {
    start_ += current_size_;
    current_size_ = 0;
    if (!Have(kHeaderBytes, status)) return false;
    header_ = ReadHeader(buffer_.data() + start_);
    const size_t size = kHeaderBytes + size_t{header_.key_size} + header_.value_size;
    if (!Have(size, status)) {
      if (status->ok()) *status = Status::TempError("sorted spool: run ends inside a record");
      return false;
    }
    current_size_ = size;
    return true;
  }

  const RecordHeader& header() const { return header_; }
  std::string_view key() const { return {buffer_.data() + start_ + kHeaderBytes, header_.key_size}; }
  std::string_view value() const {
    return {buffer_.data() + start_ + kHeaderBytes + header_.key_size, header_.value_size};
  }

 private:
  // Makes `bytes` bytes from start_ present in the buffer.  False at the
  // clean end of the run (status untouched) or on a read error.
  bool Have(size_t bytes, Status* status) {
    if (filled_ - start_ >= bytes) return true;
    std::memmove(buffer_.data(), buffer_.data() + start_, filled_ - start_);
    filled_ -= start_;
    start_ = 0;
    if (buffer_.size() < bytes) buffer_.resize(bytes);
    while (filled_ < bytes && next_ < end_) {
      size_t want = std::min<uint64_t>(buffer_.size() - filled_, end_ - next_);
      ssize_t n = ::pread(fd_, buffer_.data() + filled_, want, static_cast<off_t>(next_));
      if (n < 0 && errno == EINTR) continue;
      if (n <= 0) {
        *status = Status::TempError(std::string("sorted spool: read: ") + (n < 0 ? strerror(errno) : "short file"));
        return false;
      }
      filled_ += static_cast<size_t>(n);
      next_ += static_cast<uint64_t>(n);
    }
    return filled_ >= bytes;
  }

  int fd_;
  uint64_t next_;
  uint64_t end_;
  std::vector<char> buffer_;
  size_t start_ = 0;
  size_t filled_ = 0;
  size_t current_size_ = 0;
  RecordHeader header_{};
};

SortedSpool::SortedSpool(Order order, std::string directory, size_t run_bytes)
    : order_(order), directory_(std::move(directory)), run_bytes_(std::max<size_t>(run_bytes, 4096)) {
  run_bytes_ = std::min<size_t>(run_bytes_, size_t{1} << 31);  // offsets are 32-bit
  run_bytes_ &= ~size_t{7};  // the offsets at its end stay aligned
}

SortedSpool::~SortedSpool() {
  ReleaseBuffer();
  if (fd_ >= 0) ::close(fd_);
}

Status SortedSpool::ReserveBuffer() {
  if (buffer_ != nullptr) return Status::OK();
  void* p = ::mmap(nullptr, run_bytes_, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
  if (p == MAP_FAILED) return Status::TempError(std::string("sorted spool: out of memory: ") + strerror(errno));
  buffer_ = static_cast<char*>(p);
  return Status::OK();
}

void SortedSpool::ReleaseBuffer() {
  if (buffer_ != nullptr) ::munmap(buffer_, run_bytes_);
  buffer_ = nullptr;
  records_end_ = 0;
  record_count_ = 0;
}

bool SortedSpool::Fits(size_t record_bytes) const {
  return records_end_ + record_bytes + 4 * (record_count_ + 1) <= run_bytes_;
}

Status SortedSpool::Add(std::string_view key, std::string_view value) {
  const size_t bytes = kHeaderBytes + key.size() + value.size();
  if (key.size() > UINT32_MAX || value.size() > UINT32_MAX)
    return Status::TempError("sorted spool: record too large");
  Status status = ReserveBuffer();
  if (!status.ok()) return status;
  if (!Fits(bytes) && record_count_ > 0) {
    status = WriteRun();
    if (!status.ok()) return status;
  }
  RecordHeader h{next_sequence_++, 0, static_cast<uint32_t>(key.size()), static_cast<uint32_t>(value.size())};
  if (order_ == Order::kHashBuckets) h.hash = ReverseBits(BerkeleyDbHash(key));
  if (!Fits(bytes)) {
    // Larger than the whole buffer: a run of its own.
    std::string record(kHeaderBytes, '\0');
    WriteHeader(h, record.data());
    record.append(key).append(value);
    const uint64_t offset = file_size_;
    status = OpenFile();
    if (status.ok()) status = Append(record.data(), record.size());
    if (status.ok()) runs_.push_back({offset, record.size()});
    return status;
  }
  char* at = buffer_ + records_end_;
  WriteHeader(h, at);
  std::memcpy(at + kHeaderBytes, key.data(), key.size());
  std::memcpy(at + kHeaderBytes + key.size(), value.data(), value.size());
  const uint32_t offset = static_cast<uint32_t>(records_end_);
  records_end_ += bytes;
  ++record_count_;
  std::memcpy(buffer_ + run_bytes_ - 4 * record_count_, &offset, 4);
  return Status::OK();
}

bool SortedSpool::Before(std::string_view a_key, uint32_t a_hash, std::string_view b_key, uint32_t b_hash) const {
  if (order_ == Order::kHashBuckets) return a_hash < b_hash;
  return a_key < b_key;  // bytewise, unsigned: Berkeley DB's default btree order
}

void SortedSpool::SortBuffer() {
  uint32_t* first = reinterpret_cast<uint32_t*>(buffer_ + run_bytes_ - 4 * record_count_);
  auto key_of = [this](uint32_t offset, RecordHeader* h) {
    *h = ReadHeader(buffer_ + offset);
    return std::string_view(buffer_ + offset + kHeaderBytes, h->key_size);
  };
  std::sort(first, first + record_count_, [&](uint32_t a, uint32_t b) {
    RecordHeader ha, hb;
    std::string_view ka = key_of(a, &ha), kb = key_of(b, &hb);
    if (Before(ka, ha.hash, kb, hb.hash)) return true;
    if (Before(kb, hb.hash, ka, ha.hash)) return false;
    return ha.sequence < hb.sequence;
  });
}

Status SortedSpool::OpenFile() {
  if (fd_ >= 0) return Status::OK();
  fd_ = ::open(directory_.c_str(), O_TMPFILE | O_RDWR | O_CLOEXEC, 0600);
  if (fd_ >= 0) {
    file_name_ = directory_ + "/(unnamed temporary file)";
    return Status::OK();
  }
  // A file system without O_TMPFILE: a named file, removed at once.
  file_name_ = directory_ + "/.mctable-spool.XXXXXX";
  fd_ = ::mkostemp(file_name_.data(), O_CLOEXEC);
  if (fd_ < 0) return Status::TempError("sorted spool: create " + file_name_ + ": " + strerror(errno));
  ::unlink(file_name_.c_str());
  return Status::OK();
}

Status SortedSpool::Append(const char* data, size_t size) {
  for (size_t done = 0; done < size;) {
    ssize_t n = ::pwrite(fd_, data + done, size - done, static_cast<off_t>(file_size_));
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) return Status::TempError("sorted spool: write " + file_name_ + ": " + strerror(errno));
    done += static_cast<size_t>(n);
    file_size_ += static_cast<uint64_t>(n);
  }
  return Status::OK();
}

Status SortedSpool::WriteRun() {
  Status status = OpenFile();
  if (!status.ok()) return status;
  SortBuffer();
  const uint32_t* first = reinterpret_cast<const uint32_t*>(buffer_ + run_bytes_ - 4 * record_count_);
  std::vector<char> out;
  out.reserve(kWriteBytes);
  const uint64_t run_start = file_size_;
  auto flush = [&]() {
    Status written = Append(out.data(), out.size());
    out.clear();
    return written;
  };
  for (size_t i = 0; i < record_count_; ++i) {
    const char* record = buffer_ + first[i];
    RecordHeader h = ReadHeader(record);
    const size_t size = kHeaderBytes + size_t{h.key_size} + h.value_size;
    if (out.size() + size > kWriteBytes && !out.empty()) {
      status = flush();
      if (!status.ok()) return status;
    }
    out.insert(out.end(), record, record + size);
  }
  status = flush();
  if (!status.ok()) return status;
  runs_.push_back({run_start, file_size_ - run_start});
  records_end_ = 0;
  record_count_ = 0;
  return Status::OK();
}

Status SortedSpool::DrainBuffer(const Emit& emit) {
  SortBuffer();
  const uint32_t* first = reinterpret_cast<const uint32_t*>(buffer_ + run_bytes_ - 4 * record_count_);
  for (size_t i = 0; i < record_count_; ++i) {
    if (i % kInterruptCheckEvery == 0)
      if (int signal = InterruptSignal()) return InterruptedStatus(signal);
    const char* record = buffer_ + first[i];
    RecordHeader h = ReadHeader(record);
    Status status = emit(std::string_view(record + kHeaderBytes, h.key_size),
                         std::string_view(record + kHeaderBytes + h.key_size, h.value_size), h.sequence);
    if (!status.ok()) return status;
  }
  ReleaseBuffer();
  return Status::OK();
}

Status SortedSpool::MergeRuns(const Emit& emit) {
  std::vector<RunReader> readers;
  readers.reserve(runs_.size());
  Status status;
  for (const Run& run : runs_) readers.emplace_back(fd_, run);
  auto later = [this, &readers](size_t a, size_t b) {  // the heap's "less": a comes after b
    const RunReader& ra = readers[a];
    const RunReader& rb = readers[b];
    if (Before(rb.key(), rb.header().hash, ra.key(), ra.header().hash)) return true;
    if (Before(ra.key(), ra.header().hash, rb.key(), rb.header().hash)) return false;
    return ra.header().sequence > rb.header().sequence;
  };
  std::priority_queue<size_t, std::vector<size_t>, decltype(later)> heap(later);
  for (size_t i = 0; i < readers.size(); ++i) {
    if (readers[i].Next(&status)) heap.push(i);
    if (!status.ok()) return status;
  }
  for (uint64_t emitted = 0; !heap.empty(); ++emitted) {
    if (emitted % kInterruptCheckEvery == 0)
      if (int signal = InterruptSignal()) return InterruptedStatus(signal);
    size_t i = heap.top();
    heap.pop();
    status = emit(readers[i].key(), readers[i].value(), readers[i].header().sequence);
    if (!status.ok()) return status;
    if (readers[i].Next(&status)) heap.push(i);
    if (!status.ok()) return status;
  }
  return Status::OK();
}

Status SortedSpool::Drain(const Emit& emit) {
  if (buffer_ == nullptr && runs_.empty()) return Status::OK();
  // A small spool is drained from memory; a larger one goes to the file
  // first, so that its buffer is given back before the table's cache fills.
  if (runs_.empty() && records_end_ <= kInMemoryDrainBytes) return DrainBuffer(emit);
  if (record_count_ > 0) {
    Status status = WriteRun();
    if (!status.ok()) return status;
  }
  ReleaseBuffer();  // before the table's cache fills: the two never add up
  return MergeRuns(emit);
}

}  // namespace mctable
