#include <fmt/format.h>

#include <cctype>

#include "luisy/cache/local_store.h"
#include "luisy/cli/commands.h"
#include "luisy/util/error.h"
#include "luisy/util/strings.h"

namespace luisy::cli {

namespace {

// "500M", "2G", "1.5GiB", "1000" (bytes).
uint64_t parse_size(const std::string& text) {
  size_t end = 0;
  double number = 0;
  try {
    number = std::stod(text, &end);
  } catch (const std::exception&) {
    end = 0;
  }
  std::string unit = text.substr(end);
  for (auto& c : unit) c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
  if (unit.size() > 1 && unit.back() == 'B') unit.pop_back();
  if (unit.size() > 1 && unit.back() == 'I') unit.pop_back();
  double scale = 0;
  if (unit.empty() || unit == "B") scale = 1;
  else if (unit == "K") scale = 1024.0;
  else if (unit == "M") scale = 1024.0 * 1024;
  else if (unit == "G") scale = 1024.0 * 1024 * 1024;
  else if (unit == "T") scale = 1024.0 * 1024 * 1024 * 1024;
  if (end == 0 || scale == 0 || number < 0)
    throw UsageError(fmt::format("--max-size needs a size such as 500M or 10G, not '{}'", text));
  return static_cast<uint64_t>(number * scale);
}

}  // namespace

int command_cache(const CommandLine& line) {
  std::string sub = line.words.empty() ? "" : line.words[0];
  if (sub != "trim") throw UsageError("usage: luisy cache trim --max-size SIZE");
  if (line.max_size.empty()) throw UsageError("cache trim needs --max-size SIZE (e.g. 10G)");
  uint64_t max_bytes = parse_size(line.max_size);
  cache::LocalStore store(cache::LocalStore::default_root());
  uint64_t freed = store.trim(max_bytes);
  fmt::print("luisy: freed {} in {}\n", util::format_bytes(freed), store.root());
  return kExitOk;
}

}  // namespace luisy::cli
