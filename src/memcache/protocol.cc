#include "memcache/protocol.h"

#include <charconv>
#include <cstring>

#include "mctable/log.h"

namespace mctable {
namespace {

bool IsSpaceOrControl(unsigned char c) { return c <= 0x20 || c == 0x7f; }

// Splits the next space-separated token off *rest.
std::string_view NextToken(std::string_view* rest) {
  size_t start = rest->find_first_not_of(' ');
  if (start == std::string_view::npos) {
    *rest = {};
    return {};
  }
  size_t end = rest->find(' ', start);
  if (end == std::string_view::npos) end = rest->size();
  std::string_view token = rest->substr(start, end - start);
  *rest = rest->substr(end);
  return token;
}

template <typename T>
bool ParseUnsigned(std::string_view text, T* value) {
  if (text.empty() || text.size() > 20) return false;
  for (char c : text)
    if (c < '0' || c > '9') return false;
  auto [ptr, ec] = std::from_chars(text.data(), text.data() + text.size(), *value);
  return ec == std::errc() && ptr == text.data() + text.size();
}

template <typename T>
void AppendNumber(std::string* out, T value) {
  char digits[24];
  auto [end, ec] = std::to_chars(digits, digits + sizeof digits, value);
  if (ec == std::errc()) out->append(digits, end);
}

}  // namespace

const char* InvalidMemcacheKeyReason(std::string_view key) {
  if (key.empty()) return "empty lookup key expansion";
  if (key.size() > kMaxMemcacheKeyLength) return "name is longer than 250 bytes";
  for (unsigned char c : key) {
    // A CR would most likely come from CRLF input: say so (Postfix says "space").
    if (c == '\r') return "name contains carriage return";
    if (c == ' ' || c == '\t' || c == '\n' || c == '\v' || c == '\f') return "name contains space";
    if (IsSpaceOrControl(c)) return "name contains control character";
  }
  return nullptr;
}

void AppendGetCommand(std::string* out, std::string_view key) {
  out->append("get ");
  out->append(key);
  out->append("\r\n");
}

namespace {

// "VERB KEY FLAGS TTL LEN\r\nDATA\r\n", the storage commands' form, written
// in place after one growth of the buffer: a bulk load formats one command
// per key and copy, and a string append per word cost more than the bytes.
void AppendStorageCommand(std::string* out, std::string_view verb, std::string_view key,
                          uint32_t flags, long ttl, std::string_view data) {
  constexpr size_t kNumbersRoom = 3 * 21 + 2;  // three numbers, their spaces, CRLF
  const size_t start = out->size();
  out->resize(start + verb.size() + 1 + key.size() + kNumbersRoom + data.size() + 2);
  char* p = out->data() + start;
  char* const end = out->data() + out->size();
  auto put = [&p](std::string_view text) {
    if (text.empty()) return;  // data() may be null
    std::memcpy(p, text.data(), text.size());
    p += text.size();
  };
  put(verb);
  *p++ = ' ';
  put(key);
  *p++ = ' ';
  p = std::to_chars(p, end, flags).ptr;
  *p++ = ' ';
  p = std::to_chars(p, end, ttl).ptr;
  *p++ = ' ';
  p = std::to_chars(p, end, data.size()).ptr;
  put("\r\n");
  put(data);
  put("\r\n");
  out->resize(static_cast<size_t>(p - out->data()));
}

}  // namespace

void AppendSetCommand(std::string* out, std::string_view key, uint32_t flags, long ttl,
                      std::string_view data) {
  AppendStorageCommand(out, "set", key, flags, ttl, data);
}

void AppendAddCommand(std::string* out, std::string_view key, uint32_t flags, long ttl,
                      std::string_view data) {
  AppendStorageCommand(out, "add", key, flags, ttl, data);
}

void AppendMetaGetCommand(std::string* out, std::string_view key) {
  out->append("mg ");
  out->append(key);
  out->append(" s t f v\r\n");
}

void AppendQuietMetaSetCommand(std::string* out, std::string_view key, uint32_t flags, long ttl,
                               std::string_view data) {
  out->reserve(out->size() + 3 + key.size() + 3 * 21 + 10 + data.size() + 2);
  out->append("ms ");
  out->append(key);
  out->push_back(' ');
  AppendNumber(out, data.size());
  out->append(" T");
  AppendNumber(out, ttl);
  out->append(" F");
  AppendNumber(out, flags);
  out->append(" q\r\n");
  out->append(data);
  out->append("\r\n");
}

void AppendQuietMetaDeleteCommand(std::string* out, std::string_view key, uint32_t opaque) {
  out->append("md ");
  out->append(key);
  out->append(" q O");
  AppendNumber(out, opaque);
  out->append("\r\n");
}

QuietWriteReply ParseQuietWriteReply(std::string_view line) {
  QuietWriteReply reply;
  if (line == "MN") {
    reply.kind = QuietWriteReply::kNoop;
  } else if (line == "ERROR" || line.starts_with("CLIENT_ERROR") || line.starts_with("SERVER_ERROR")) {
    reply.kind = QuietWriteReply::kRefusal;
  } else {
    std::string_view rest = line;
    std::string_view code = NextToken(&rest);
    if (code.data() != line.data() || (code != "NS" && code != "EX" && code != "NF")) return reply;
    reply.kind = QuietWriteReply::kRefusal;
    bool has_opaque = false;
    for (std::string_view flag = NextToken(&rest); !flag.empty(); flag = NextToken(&rest)) {
      // Only the flags our commands ask for may come back.
      if (flag[0] == 'k') continue;
      // The opaque comes back as we wrote it: digits, no leading zero.
      const bool canonical = flag.size() < 3 || flag[1] != '0';
      if (flag[0] != 'O' || has_opaque || !canonical || !ParseUnsigned(flag.substr(1), &reply.opaque)) {
        reply.kind = QuietWriteReply::kUnexpected;
        return reply;
      }
      has_opaque = true;
    }
    if (code == "NF" && has_opaque) reply.kind = QuietWriteReply::kNotFound;
  }
  return reply;
}

void AppendDeleteCommand(std::string* out, std::string_view key) {
  out->append("delete ");
  out->append(key);
  out->append("\r\n");
}

LineStatus ReadReplyLine(std::string_view input, size_t max_line, std::string_view* line,
                         size_t* consumed) {
  // Look no further than a maximal line plus its ending.
  size_t window = std::min(input.size(), max_line + 2);
  const void* nl = std::memchr(input.data(), '\n', window);
  if (nl == nullptr) return input.size() > max_line + 1 ? LineStatus::kTooLong : LineStatus::kNeedMore;
  size_t end = static_cast<const char*>(nl) - input.data();
  *consumed = end + 1;
  if (end > 0 && input[end - 1] == '\r') --end;
  if (end > max_line) return LineStatus::kTooLong;
  *line = input.substr(0, end);
  return LineStatus::kLine;
}

bool ParseValueLine(std::string_view line, std::string_view* key, uint32_t* flags, size_t* bytes) {
  std::string_view rest = line;
  if (NextToken(&rest) != "VALUE") return false;
  *key = NextToken(&rest);
  std::string_view flags_text = NextToken(&rest);
  std::string_view bytes_text = NextToken(&rest);
  std::string_view cas_text = NextToken(&rest);
  if (key->empty() || !ParseUnsigned(flags_text, flags) || !ParseUnsigned(bytes_text, bytes))
    return false;
  uint64_t cas;
  if (!cas_text.empty() && !ParseUnsigned(cas_text, &cas)) return false;
  return NextToken(&rest).empty();
}

std::string ReplyExcerpt(std::string_view line) { return PrintableBytes(line.substr(0, 30)); }

namespace {

// The first line of a reply (see ReadReplyLine); kTooLong sets *error.
LineStatus ReadFirstLine(std::string_view input, size_t max_line, std::string_view* line,
                         size_t* length, std::string* error) {
  LineStatus status = ReadReplyLine(input, max_line, line, length);
  if (status == LineStatus::kTooLong)
    *error = "unexpected memcache server reply: line longer than line_size_limit (" +
             std::to_string(max_line) + "): " + ReplyExcerpt(input);
  return status;
}

enum class Block { kNeedMore, kBad, kRead };

// The data block of `bytes` bytes after a reply line of `line_length`.
Block ReadDataBlock(std::string_view input, size_t line_length, size_t bytes, std::string_view* data,
                    std::string* error) {
  if (input.size() - line_length < bytes + 2) return Block::kNeedMore;
  if (input.compare(line_length + bytes, 2, "\r\n") != 0) {
    *error = "unexpected memcache server reply: data block of " + std::to_string(bytes) +
             " bytes not followed by CRLF";
    return Block::kBad;
  }
  *data = input.substr(line_length, bytes);
  return Block::kRead;
}

}  // namespace

GetReplyStep ParseGetReplyStep(std::string_view input, size_t max_line, size_t max_data) {
  GetReplyStep step;
  std::string_view line;
  size_t line_length = 0;
  switch (ReadFirstLine(input, max_line, &line, &line_length, &step.error)) {
    case LineStatus::kNeedMore:
      return step;
    case LineStatus::kTooLong:
      step.kind = GetReplyStep::kError;
      return step;
    case LineStatus::kLine:
      break;
  }
  if (line == "END") {
    step.kind = GetReplyStep::kEnd;
    step.consumed = line_length;
    return step;
  }
  size_t bytes = 0;
  if (!ParseValueLine(line, &step.key, &step.flags, &bytes) || bytes > max_data) {
    step.kind = GetReplyStep::kError;
    step.error_is_data_size = bytes > max_data;
    step.error = "unexpected memcache server reply: " + ReplyExcerpt(line);
    return step;
  }
  switch (ReadDataBlock(input, line_length, bytes, &step.data, &step.error)) {
    case Block::kNeedMore:
      return step;
    case Block::kBad:
      step.kind = GetReplyStep::kError;
      return step;
    case Block::kRead:
      break;
  }
  step.kind = GetReplyStep::kValue;
  step.consumed = line_length + bytes + 2;
  return step;
}

MetaGetReplyStep ParseMetaGetReplyStep(std::string_view input, size_t max_line, size_t max_data) {
  MetaGetReplyStep step;
  std::string_view line;
  size_t line_length = 0;
  switch (ReadFirstLine(input, max_line, &line, &line_length, &step.error)) {
    case LineStatus::kNeedMore:
      return step;
    case LineStatus::kTooLong:
      step.kind = MetaGetReplyStep::kError;
      return step;
    case LineStatus::kLine:
      break;
  }
  if (line == "EN") {
    step.kind = MetaGetReplyStep::kMiss;
    step.consumed = line_length;
    return step;
  }
  std::string_view rest = line;
  size_t bytes = 0;
  bool good = NextToken(&rest) == "VA" && ParseUnsigned(NextToken(&rest), &bytes);
  bool have_ttl = false, have_size = false;
  for (std::string_view flag = NextToken(&rest); good && !flag.empty(); flag = NextToken(&rest)) {
    std::string_view arg = flag.substr(1);
    size_t size = 0;
    switch (flag[0]) {
      case 't':
        // -1: no expiry.
        if (arg == "-1") {
          step.ttl = -1;
        } else {
          good = ParseUnsigned(arg, &step.ttl);
        }
        have_ttl = true;
        break;
      case 'f':
        good = ParseUnsigned(arg, &step.flags);
        break;
      case 's':
        good = ParseUnsigned(arg, &size) && size == bytes;
        have_size = true;
        break;
      default:
        break;  // a flag not asked for: memcached may add some, they change nothing here
    }
  }
  if (!good || !have_ttl || !have_size || bytes > max_data) {
    step.kind = MetaGetReplyStep::kError;
    step.error_is_data_size = good && bytes > max_data;
    step.error = "unexpected memcache server reply: " + ReplyExcerpt(line);
    return step;
  }
  switch (ReadDataBlock(input, line_length, bytes, &step.data, &step.error)) {
    case Block::kNeedMore:
      return step;
    case Block::kBad:
      step.kind = MetaGetReplyStep::kError;
      return step;
    case Block::kRead:
      break;
  }
  step.kind = MetaGetReplyStep::kHit;
  step.consumed = line_length + bytes + 2;
  return step;
}

}  // namespace mctable
