// libFuzzer target: the signed-value parser and checker (what memcached
// returns is untrusted input).  Input: one byte N, then N bytes of memcached
// key, then the data as read from memcached.
//
// Checks: no crash; a parsed header (MCS2, or the older MCS1 that is still
// read) is canonical (writing it back gives the input); what verifies is a
// parsed, unexpired record whose value is the one returned, and, for MCS2,
// exactly what Sign makes of that value (for the signing key); the fuzzer's
// bytes as a value, signed, verify and unwrap to themselves, fail under
// another memcached key and once expired.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <memory>
#include <string>
#include <string_view>

#include "memcache/signed_value_format.h"
#include "memcache/value_signing.h"

namespace {

void Check(bool ok) {
  if (!ok) std::abort();
}

const mctable::ValueSigner& Signer() {
  static const std::unique_ptr<mctable::ValueSigner> signer = [] {
    std::unique_ptr<mctable::ValueSigner> s;
    Check(mctable::ValueSigner::Create({std::string(32, 'k'), std::string(48, 'o')}, &s).ok());
    return s;
  }();
  return *signer;
}

constexpr int64_t kNow = 1700000000;

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* bytes, size_t size) {
  if (size == 0) return 0;
  size_t key_length = bytes[0];
  if (size - 1 < key_length) return 0;
  std::string_view key(reinterpret_cast<const char*>(bytes) + 1, key_length);
  std::string_view data(reinterpret_cast<const char*>(bytes) + 1 + key_length,
                        size - 1 - key_length);

  mctable::SignedValueView view;
  bool parsed = mctable::ParseSignedValue(data, &view) == mctable::SignedValueSyntax::kOk;
  if (parsed) {
    std::string rebuilt;
    mctable::AppendSignedValueHeader(view, &rebuilt);
    rebuilt.append(view.value);
    Check(rebuilt == data);
  }
  std::string_view value;
  if (Signer().Verify(key, data, kNow, &value) == mctable::ValueSigner::Verdict::kValid) {
    // Only a genuinely signed input (the seed corpus has one of each
    // format) gets here.
    Check(parsed && value == view.value && (view.expiry == 0 || view.expiry > kNow));
    std::string resigned;
    Signer().Sign(key, value, view.expiry, &resigned);
    Check(view.version != 2 || view.key_id != resigned.substr(5, 8) || resigned == data);
  }

  // The fuzzer's data as a value: signed, it verifies and unwraps to itself.
  std::string signed_data;
  Signer().Sign(key, data, kNow + 1, &signed_data);
  Check(Signer().Verify(key, signed_data, kNow, &value) == mctable::ValueSigner::Verdict::kValid);
  Check(value == data);
  Check(Signer().Verify(std::string(key) + "x", signed_data, kNow, &value) !=
        mctable::ValueSigner::Verdict::kValid);
  Check(Signer().Verify(key, signed_data, kNow + 1, &value) ==
        mctable::ValueSigner::Verdict::kExpired);
  return 0;
}
