// Parsers and encoders of the socketmap and tcp_table protocols; see
// lookup_protocol.h.  Every index is checked against the input's size before
// use; lengths are bounded by the limit before anything is added to them.
#include "daemon/lookup_protocol.h"

#include "mctable/log.h"

namespace mctable {
namespace {

constexpr size_t kMaxLengthDigits = 10;

bool IsDigit(char c) { return c >= '0' && c <= '9'; }

int HexValue(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

// Printable ASCII other than space: sent as is by tcp_table.
bool IsPlainTcpByte(unsigned char c) { return c > 0x20 && c < 0x7f && c != '%'; }

// A table's error message for a client: printable, and short enough for
// Postfix to log it whole (it logs at most 200 bytes of a socketmap reason).
std::string ErrorReason(const Status& status) {
  std::string reason = PrintableBytes(status.message());
  if (reason.size() > 200) reason.resize(200);
  return reason;
}

}  // namespace

ParseStatus ParseSocketmapRequest(std::string_view input, size_t limit, ParsedRequest* request) {
  size_t i = 0;
  size_t length = 0;
  while (i < input.size() && IsDigit(input[i])) {
    length = length * 10 + static_cast<size_t>(input[i] - '0');
    ++i;
    // Leading zeros keep the value small: bound the digits as well, or a
    // client could send them forever.
    if (length > limit || i > kMaxLengthDigits) {
      request->error = "netstring length exceeds the " + std::to_string(limit) + "-byte limit";
      return ParseStatus::kFramingError;
    }
  }
  if (i == input.size()) return ParseStatus::kNeedMore;
  if (i == 0 || input[i] != ':') {
    request->error = "malformed netstring length";
    return ParseStatus::kFramingError;
  }
  size_t payload_start = i + 1;
  // The payload and its ',' must both be there.
  if (input.size() - payload_start < length + 1) return ParseStatus::kNeedMore;
  if (input[payload_start + length] != ',') {
    request->error = "netstring is not terminated by ','";
    return ParseStatus::kFramingError;
  }
  request->consumed = payload_start + length + 1;
  std::string_view payload = input.substr(payload_start, length);
  size_t space = payload.find(' ');
  if (space == std::string_view::npos || space == 0) {
    request->error = "malformed request: expected \"name key\"";
    return ParseStatus::kBadRequest;
  }
  request->map_name.assign(payload.substr(0, space));
  request->key.assign(payload.substr(space + 1));
  return ParseStatus::kRequest;
}

ParseStatus ParseTcpRequest(std::string_view input, size_t limit, ParsedRequest* request) {
  size_t newline = input.find('\n');
  if (newline == std::string_view::npos) {
    if (input.size() > limit) {
      request->error = "request line exceeds the " + std::to_string(limit) + "-byte limit";
      return ParseStatus::kFramingError;
    }
    return ParseStatus::kNeedMore;
  }
  if (newline > limit) {
    request->error = "request line exceeds the " + std::to_string(limit) + "-byte limit";
    return ParseStatus::kFramingError;
  }
  request->consumed = newline + 1;
  std::string_view line = input.substr(0, newline);
  if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
  constexpr std::string_view kGet = "get ";
  if (line.substr(0, kGet.size()) != kGet) {
    request->error = "unsupported request: only \"get key\" is implemented";
    return ParseStatus::kBadRequest;
  }
  line.remove_prefix(kGet.size());
  if (!TcpDecode(line, &request->key)) {
    request->error = "malformed request: bad %XX encoding of the key";
    return ParseStatus::kBadRequest;
  }
  return ParseStatus::kRequest;
}

std::string SocketmapReply(const LookupResult& result) {
  if (result.status.ok()) {
    if (result.value.size() + 3 > kSocketmapLimit)
      return SocketmapErrorReply("PERM", "value of " + std::to_string(result.value.size()) +
                                             " bytes exceeds the socketmap reply limit of " +
                                             std::to_string(kSocketmapLimit));
    std::string payload = "OK ";
    payload += result.value;
    return EncodeNetstring(payload);
  }
  if (result.status.IsNotFound()) return EncodeNetstring("NOTFOUND ");
  // Postfix retries both alike, but logs a timeout as such.
  bool timeout = result.status.IsTempError() &&
                 result.status.message().find("timed out") != std::string::npos;
  return SocketmapErrorReply(timeout ? "TIMEOUT" : "TEMP", ErrorReason(result.status));
}

std::string TcpReply(const LookupResult& result) {
  if (result.status.ok()) {
    std::string line = "200 " + TcpEncode(result.value) + "\n";
    if (line.size() < kTcpReplyLimit) return line;
    return TcpErrorReply("value of " + std::to_string(result.value.size()) +
                         " bytes exceeds the tcp_table reply limit of " +
                         std::to_string(kTcpReplyLimit));
  }
  if (result.status.IsNotFound()) return "500 not%20found\n";
  return TcpErrorReply(ErrorReason(result.status));
}

std::string SocketmapErrorReply(std::string_view kind, std::string_view reason) {
  std::string payload(kind);
  payload += ' ';
  payload.append(reason);
  return EncodeNetstring(payload);
}

std::string TcpErrorReply(std::string_view reason) {
  std::string line = "400 " + TcpEncode(reason.substr(0, 1000)) + "\n";
  return line;
}

std::string EncodeNetstring(std::string_view payload) {
  std::string out = std::to_string(payload.size());
  out.reserve(out.size() + payload.size() + 2);
  out += ':';
  out.append(payload);
  out += ',';
  return out;
}

std::string TcpEncode(std::string_view raw) {
  static const char kHex[] = "0123456789ABCDEF";
  std::string out;
  out.reserve(raw.size());
  for (unsigned char c : raw) {
    if (IsPlainTcpByte(c)) {
      out += static_cast<char>(c);
    } else {
      out += '%';
      out += kHex[c >> 4];
      out += kHex[c & 15];
    }
  }
  return out;
}

bool TcpDecode(std::string_view encoded, std::string* raw) {
  raw->clear();
  raw->reserve(encoded.size());
  for (size_t i = 0; i < encoded.size(); ++i) {
    unsigned char c = static_cast<unsigned char>(encoded[i]);
    if (c == '%') {
      if (encoded.size() - i < 3) return false;
      int hi = HexValue(encoded[i + 1]), lo = HexValue(encoded[i + 2]);
      if (hi < 0 || lo < 0) return false;
      *raw += static_cast<char>(hi * 16 + lo);
      i += 2;
    } else if (c <= 0x20 || c == 0x7f) {
      return false;
    } else {
      *raw += static_cast<char>(c);
    }
  }
  return true;
}

}  // namespace mctable
