// Parser and encoders of the memcache text protocol; see memcache_protocol.h.
// Every index is checked against the input's size before use; a declared
// value length is compared with the limit before anything is added to it.
#include "daemon/memcache_protocol.h"

#include <charconv>

#include "mctable/log.h"

namespace mctable {
namespace {

constexpr std::string_view kBadFormat = "bad command line format";

bool IsControl(unsigned char c) { return c < 0x20 || c == 0x7f; }

// Splits on single or repeated spaces, as memcached does.
std::vector<std::string_view> Tokens(std::string_view line) {
  std::vector<std::string_view> tokens;
  size_t i = 0;
  while (i < line.size()) {
    while (i < line.size() && line[i] == ' ') ++i;
    size_t start = i;
    while (i < line.size() && line[i] != ' ') ++i;
    if (i > start) tokens.push_back(line.substr(start, i - start));
  }
  return tokens;
}

template <typename T>
bool ParseNumber(std::string_view text, T* value) {
  if (text.empty()) return false;
  auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), *value);
  return ec == std::errc() && end == text.data() + text.size();
}

bool HasControl(std::string_view key) {
  for (unsigned char c : key)
    if (IsControl(c)) return true;
  return false;
}

MemcacheParse Bad(size_t consumed, std::string error, size_t discard = 0) {
  MemcacheParse p;
  p.status = ParseStatus::kBadRequest;
  p.consumed = consumed;
  p.discard = discard;
  p.error = std::move(error);
  return p;
}

std::string Bounded(std::string_view text) {
  std::string out = PrintableBytes(text);
  if (out.size() > 200) out.resize(200);
  return out;
}

}  // namespace

MemcacheParse ParseMemcacheRequest(std::string_view input, size_t max_line, size_t max_value) {
  MemcacheParse p;
  size_t newline = input.find('\n');
  if (newline == std::string_view::npos ? input.size() > max_line : newline > max_line + 1) {
    p.status = ParseStatus::kFramingError;
    p.error = "line longer than " + std::to_string(max_line) + " bytes";
    return p;
  }
  if (newline == std::string_view::npos) return p;  // kNeedMore
  const size_t line_end = newline + 1;
  std::string_view line = input.substr(0, newline);
  if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
  std::vector<std::string_view> tokens = Tokens(line);
  MemcacheRequest& r = p.request;
  p.status = ParseStatus::kRequest;
  p.consumed = line_end;
  if (tokens.empty()) return p;  // kUnknown: "ERROR", as memcached
  std::string_view command = tokens[0];

  if (command == "get" || command == "gets") {
    if (tokens.size() < 2) return p;  // memcached: ERROR
    r.command = command == "get" ? MemcacheCommand::kGet : MemcacheCommand::kGets;
    for (size_t i = 1; i < tokens.size(); ++i) {
      if (HasControl(tokens[i])) return Bad(line_end, "key contains a control character");
      r.keys.emplace_back(tokens[i]);
    }
    return p;
  }
  if (command == "delete") {
    // delete KEY [0] [noreply]: the 0 is an old, always-zero time argument.
    size_t n = tokens.size();
    if (n >= 3 && tokens[n - 1] == "noreply") {
      r.noreply = true;
      --n;
    }
    if (n == 3 && tokens[2] == "0") --n;
    if (n != 2) return Bad(line_end, std::string(kBadFormat) + ".  Usage: delete <key> [noreply]");
    if (HasControl(tokens[1])) return Bad(line_end, "key contains a control character");
    r.command = MemcacheCommand::kDelete;
    r.keys.emplace_back(tokens[1]);
    return p;
  }
  if (command == "set") {
    size_t bytes = 0;
    bool noreply = tokens.size() == 6 && tokens[5] == "noreply";
    bool shape = tokens.size() == 5 || noreply;
    if (tokens.size() >= 5 && !ParseNumber(tokens[4], &bytes))
      return Bad(line_end, std::string(kBadFormat));
    // The length is known from here on: the data is dropped, never taken
    // as commands, whatever else is wrong with the line.
    if (!shape || !ParseNumber(tokens[2], &r.flags) || !ParseNumber(tokens[3], &r.exptime))
      return Bad(line_end, std::string(kBadFormat), tokens.size() >= 5 ? bytes + 2 : 0);
    if (HasControl(tokens[1])) return Bad(line_end, "key contains a control character", bytes + 2);
    if (bytes > max_value)
      return Bad(line_end,
                 "value of " + std::to_string(bytes) + " bytes is larger than the limit of " +
                     std::to_string(max_value) + " bytes",
                 bytes + 2);
    const size_t data_end = line_end + bytes;
    if (input.size() < data_end + 2) return MemcacheParse{};  // kNeedMore
    if (input.substr(data_end, 2) != "\r\n") {
      // Longer than declared: drop up to the end of the line it runs into,
      // so one bad write costs one CLIENT_ERROR, not a string of ERRORs.
      size_t next = input.find('\n', data_end);
      if (next == std::string_view::npos) {
        if (input.size() - data_end > max_line) return Bad(input.size(), "bad data chunk");
        return MemcacheParse{};  // kNeedMore
      }
      return Bad(next + 1, "bad data chunk");
    }
    r.command = MemcacheCommand::kSet;
    r.noreply = noreply;
    r.keys.emplace_back(tokens[1]);
    r.value.assign(input.substr(line_end, bytes));
    p.consumed = data_end + 2;
    return p;
  }
  if (command == "version" && tokens.size() == 1) {
    r.command = MemcacheCommand::kVersion;
    return p;
  }
  if (command == "quit" && tokens.size() == 1) {
    r.command = MemcacheCommand::kQuit;
    return p;
  }
  return p;  // kUnknown
}

std::string MemcacheValue(std::string_view key, uint32_t flags, std::string_view data, bool with_cas) {
  std::string out;
  out.reserve(key.size() + data.size() + 40);
  out += "VALUE ";
  out.append(key);
  out += ' ';
  out += std::to_string(flags);
  out += ' ';
  out += std::to_string(data.size());
  // No compare-and-swap here: every value has the same, meaningless token.
  if (with_cas) out += " 0";
  out += "\r\n";
  out.append(data);
  out += "\r\n";
  return out;
}

std::string MemcacheClientError(std::string_view text) {
  return "CLIENT_ERROR " + Bounded(text) + "\r\n";
}

std::string MemcacheServerError(std::string_view text) {
  return "SERVER_ERROR " + Bounded(text) + "\r\n";
}

std::string MemcacheVersion(std::string_view version) { return "VERSION " + Bounded(version) + "\r\n"; }

}  // namespace mctable
