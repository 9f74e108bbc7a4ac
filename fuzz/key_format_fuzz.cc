// libFuzzer target: key_format templates (mctable::KeyFormat).  Input: the
// template, a NUL byte, then the key.
//
// Checks: no crash; a template without '%' expands to itself; "%s"
// expands to the key; an expansion is never longer than the template with
// every escape replaced by the whole key; a rejected template is a
// ConfigError.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string>
#include <string_view>

#include "common/key_format.h"

namespace {
void Check(bool ok) {
  if (!ok) std::abort();
}
}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* bytes, size_t size) {
  std::string_view input(reinterpret_cast<const char*>(bytes), size);
  size_t nul = input.find('\0');
  std::string_view format = input.substr(0, nul);
  std::string_view key = nul == std::string_view::npos ? std::string_view() : input.substr(nul + 1);
  mctable::KeyFormat kf;
  mctable::Status s = mctable::KeyFormat::Parse(format, "/fuzz/mc.cf", &kf);
  if (!s.ok()) {
    Check(s.IsConfigError());
    return 0;
  }
  std::string out;
  if (!kf.Expand(key, &out)) return 0;
  if (format.find('%') == std::string_view::npos) Check(out == format);
  if (format == "%s") Check(out == key);
  Check(out.size() <= format.size() * (key.size() + 1));
  // Deterministic.
  std::string again = "junk";
  Check(kf.Expand(key, &again) && again == out);
  return 0;
}
