// libFuzzer target: a result record as a remote could serve it (anyone who can write to the
// remote can write any bytes). parse_record must refuse or return a record that is safe to
// use: every path relative and inside the workspace, and a record that serialises and
// parses back to itself; record_inconsistency (outputs against the key's preimage) must
// judge whatever parses without crashing.
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

#include "luisy/cache/result_record.h"
#include "luisy/util/digest.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::string_view json(reinterpret_cast<const char*>(data), size);
  // The key the caller asked for is the one the record claims (otherwise nearly every input
  // would stop at the key check): take it from the text when there is one.
  luisy::util::Digest key;
  size_t at = json.find("\"key\"");
  if (at != std::string_view::npos) {
    size_t quote = json.find('"', json.find(':', at) + 1);
    if (quote != std::string_view::npos && quote + 33 <= json.size())
      if (auto d = luisy::util::digest_from_hex(json.substr(quote + 1, 32))) key = *d;
  }
  std::string error;
  auto record = luisy::cache::parse_record(json, key, &error);
  if (!record) {
    if (error.empty()) __builtin_trap();  // a refusal always says why
    return 0;
  }
  if (record->key != key) __builtin_trap();
  for (const auto& output : record->outputs)
    if (!luisy::cache::is_safe_record_path(output.path, true)) __builtin_trap();
  for (const auto& file : record->files)
    if (!luisy::cache::is_safe_record_path(file.path, false)) __builtin_trap();
  // The consistency check behind parsing, reached with a key that matches the preimage.
  luisy::cache::ResultRecord claimed = *record;
  claimed.key = luisy::util::digest_of(claimed.preimage);
  (void)luisy::cache::record_inconsistency(claimed);
  std::string text = luisy::cache::serialize_record(*record);
  auto back = luisy::cache::parse_record(text, key, &error);
  if (!back || !(*back == *record)) __builtin_trap();
  return 0;
}
