// Tables served by a private Postfix; see proxy_tables.h.
#include "testutil/proxy_tables.h"

#include <fstream>
#include <memory>

#include "testutil/testutil.h"

namespace mctable::testutil {
namespace {

std::string Join(const std::vector<std::string>& tables) {
  std::string joined;
  for (const std::string& t : tables) joined += (joined.empty() ? "proxy:" : " proxy:") + t;
  return joined;
}

}  // namespace

PostfixInstance::Parameters ProxyMapsParameters(const std::vector<std::string>& readable,
                                                const std::vector<std::string>& writable) {
  return {{"proxy_read_maps", Join(readable)}, {"proxy_write_maps", Join(writable)}};
}

std::vector<std::string> TableFiles(const std::string& type_and_path) {
  size_t colon = type_and_path.find(':');
  std::string type = type_and_path.substr(0, colon), path = type_and_path.substr(colon + 1);
  if (type == "lmdb") return {path + ".lmdb"};
  if (type == "cdb") return {path + ".cdb"};
  if (type == "texthash") return {path};
  return {path + ".db"};
}

std::string BuildTableForPostfix(const PostfixInstance& postfix, const std::string& type_and_path,
                                 const std::string& source) {
  const std::string postmap = PostmapBinary();
  if (postmap.empty()) return "postmap is not installed";
  std::string path = type_and_path.substr(type_and_path.find(':') + 1);
  {
    std::ofstream out(path, std::ios::binary | std::ios::trunc);
    out << source;
    if (!out) return "cannot write " + path;
  }
  CommandResult built = RunCommand({postmap, "-c", postfix.config_dir(), type_and_path});
  if (built.exit_status != 0) return "postmap " + type_and_path + ": " + built.err;
  for (const std::string& file : TableFiles(type_and_path))
    if (!postfix.GiveToPostfix(file)) return "cannot give " + file + " to the postfix user";
  if (!postfix.GiveToPostfix(path)) return "cannot give " + path + " to the postfix user";
  return "";
}

bool SuitePostfix::Prepare() {
  skip_.clear();
  error_.clear();
  skip_ = PostfixInstance::Unavailable();
  if (skip_.empty() && PostmapBinary().empty())
    skip_ = "Debian's postmap is not installed (apt-get install postfix)";
  if (!skip_.empty()) return false;
  postfix_ = std::make_unique<PostfixInstance>();
  return true;
}

void SuitePostfix::Start(const std::vector<std::string>& readable,
                         const std::vector<std::string>& writable,
                         const std::vector<std::pair<std::string, std::string>>& tables) {
  postfix_->AddMainCf(ProxyMapsParameters(readable, writable));
  if (!postfix_->Start()) {
    error_ = "cannot start Postfix: " + postfix_->error();
    return;
  }
  for (const auto& [table, source] : tables) {
    error_ = BuildTableForPostfix(*postfix_, table, source);
    if (!error_.empty()) return;
  }
}

}  // namespace mctable::testutil
