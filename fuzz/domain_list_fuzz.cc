// libFuzzer target: the "domain" match list (mctable::DomainList) with
// name patterns only (no /file or type:table: those bytes are replaced).
// Input: the pattern list, a NUL byte, then the domain.
//
// Checks, with ASCII and with Unicode folding: no crash; Match never fails
// without tables; matching is case-insensitive (the folded domain matches
// the same way).
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <memory>
#include <string>
#include <string_view>

#include "common/casefold.h"
#include "match/domain_list.h"

namespace {
void Check(bool ok) {
  if (!ok) std::abort();
}
}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* bytes, size_t size) {
  std::string_view input(reinterpret_cast<const char*>(bytes), size);
  size_t nul = input.find('\0');
  std::string patterns(input.substr(0, nul));
  std::string domain(nul == std::string_view::npos ? std::string_view() : input.substr(nul + 1));
  for (char& c : patterns)
    if (c == '/' || c == ':') c = 'x';  // no files, no tables
  // Both folding modes: ASCII (smtputf8_enable = no) and Unicode.
  for (bool utf8 : {false, true}) {
    std::unique_ptr<mctable::DomainList> list;
    mctable::Status s = mctable::DomainList::Create(patterns, "/fuzz/mc.cf", utf8, {}, &list);
    if (!s.ok()) {
      Check(s.IsError());
      return 0;
    }
    Check(list != nullptr);
    bool matched = false;
    Check(list->Match(domain, &matched).ok());
    // Matching ignores case: the folded domain matches the same way.
    std::string folded = mctable::CaseFold(domain, utf8);
    bool matched_folded = !matched;
    Check(list->Match(folded, &matched_folded).ok());
    Check(matched == matched_folded);
  }
  return 0;
}
