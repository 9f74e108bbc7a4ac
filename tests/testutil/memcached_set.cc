#include "testutil/memcached_set.h"

namespace mctable::testutil {

bool MemcachedSet::Start(int count) {
  for (int i = 0; i < count; ++i) {
    servers_.push_back(std::make_unique<MemcachedServer>());
    if (!servers_.back()->Start()) {
      error_ = servers_.back()->error();
      return false;
    }
  }
  return true;
}

std::string MemcachedSet::MemcacheValue(const std::vector<int>& weights,
                                        const std::vector<std::string>& names) const {
  std::string value;
  for (size_t i = 0; i < servers_.size(); ++i) {
    if (i > 0) value += ", ";
    std::string attributes;
    if (i < weights.size()) attributes += " weight=" + std::to_string(weights[i]);
    if (i < names.size()) attributes += " name=" + names[i];
    value += attributes.empty() ? servers_[i]->endpoint()
                                : "{ " + servers_[i]->endpoint() + attributes + " }";
  }
  return value;
}

std::vector<std::string> MemcachedSet::NutcrackerLines(const std::vector<int>& weights,
                                                       const std::vector<std::string>& names) const {
  std::vector<std::string> lines;
  for (size_t i = 0; i < servers_.size(); ++i) {
    std::string line = "127.0.0.1:" + std::to_string(servers_[i]->port()) + ":" +
                       std::to_string(i < weights.size() ? weights[i] : 1);
    if (i < names.size()) line += " " + names[i];
    lines.push_back(line);
  }
  return lines;
}

std::map<std::string, std::vector<size_t>> MemcachedSet::Holders(
    const std::vector<std::string>& keys) const {
  std::map<std::string, std::vector<size_t>> holders;
  for (const std::string& key : keys) holders[key];
  for (size_t s = 0; s < servers_.size(); ++s) {
    if (!servers_[s]->running()) continue;
    for (size_t begin = 0; begin < keys.size(); begin += 200) {
      std::string command = "get";
      for (size_t k = begin; k < keys.size() && k < begin + 200; ++k) command += " " + keys[k];
      std::string reply = servers_[s]->RawCommand(command + "\r\n", "END\r\n");
      // "VALUE key flags bytes\r\ndata\r\n" ... "END\r\n"
      for (size_t pos = 0; reply.compare(pos, 6, "VALUE ") == 0;) {
        size_t key_end = reply.find(' ', pos + 6);
        size_t eol = reply.find("\r\n", pos);
        if (key_end == std::string::npos || eol == std::string::npos) break;
        std::string key = reply.substr(pos + 6, key_end - pos - 6);
        size_t length_at = reply.rfind(' ', eol) + 1;
        size_t bytes = std::stoul(reply.substr(length_at, eol - length_at));
        holders[key].push_back(s);
        pos = eol + 2 + bytes + 2;
      }
    }
  }
  return holders;
}

}  // namespace mctable::testutil
