// libFuzzer target: the files under .luisy/ as a crash, a full disk or a hostile hand left
// them. Each must load into something valid or be refused (an empty log, an empty stat
// cache, no plan), never crash or allocate without bound.
//
// Input: one selector byte, then the file. The selector's low two bits choose the file
// (0 the build log, 1 the stat cache, 2 the plan, 3 a compiled graph alone); bit 2 asks the
// harness to repair the checksums first, so that mutations reach the decoders behind them
// instead of stopping at the checksum (XXH3 is not something a fuzzer can forge).
#include <stdlib.h>

#include <cstddef>
#include <cstdint>
#include <cstring>
#include <string>
#include <string_view>

#include "luisy/graph/serialize.h"
#include "luisy/hash/file_digest.h"
#include "luisy/state/build_log.h"
#include "luisy/state/plan_store.h"
#include "luisy/state/stat_store.h"
#include "luisy/util/digest.h"
#include "luisy/util/error.h"
#include "luisy/util/fs.h"

namespace {

// A directory of our own, in memory when the machine has /dev/shm (inputs write files and
// fsync them), removed when the fuzzer exits.
struct ScratchDir {
  std::string path;
  explicit ScratchDir(const std::string& name) {
    for (std::string base : {"/dev/shm", "/tmp"}) {
      std::string pattern = base + "/luisy-fuzz-" + name + "-XXXXXX";
      if (const char* made = ::mkdtemp(pattern.data())) {
        path = made;
        return;
      }
    }
    path = "/tmp";
  }
  ~ScratchDir() {
    if (path != "/tmp") luisy::util::remove_all(path);
  }
};

const std::string& state_dir() {
  static const ScratchDir dir("state");
  return dir.path;
}

uint64_t get_u64(const std::string& s, size_t at) {
  uint64_t v = 0;
  for (int i = 0; i < 8; ++i)
    v |= static_cast<uint64_t>(static_cast<uint8_t>(s[at + static_cast<size_t>(i)])) << (8 * i);
  return v;
}
void put_u64(std::string& s, size_t at, uint64_t v) {
  for (int i = 0; i < 8; ++i) s[at + static_cast<size_t>(i)] = static_cast<char>(v >> (8 * i));
}
uint32_t get_u32(const std::string& s, size_t at) {
  return static_cast<uint32_t>(get_u64(s + std::string(8, '\0'), at) & 0xffffffffu);
}

// A file that ends with checksum64 of everything before it (stats, plan, graph).
void repair_trailing_checksum(std::string& file) {
  if (file.size() < 8) return;
  size_t body = file.size() - 8;
  put_u64(file, body, luisy::util::checksum64(file.data(), body));
}

// The log: header (12 bytes), then frames of u32 length, u64 checksum, payload.
void repair_log_checksums(std::string& file) {
  size_t pos = 12;
  while (file.size() >= pos + 12) {
    uint32_t length = get_u32(file, pos);
    if (length > file.size() - pos - 12) return;
    put_u64(file, pos + 4, luisy::util::checksum64(file.data() + pos + 12, length));
    pos += 12 + length;
  }
}

void check_graph(std::string_view bytes) {
  auto graph = luisy::graph::deserialize_graph(bytes);
  if (!graph) return;
  // Whatever loads must be consistent: ids in range, and it writes back as it was read.
  for (const auto& instance : graph->instances)
    for (auto dep : instance.deps)
      if (dep >= graph->instances.size()) __builtin_trap();
  for (auto target : graph->targets)
    if (target >= graph->instances.size()) __builtin_trap();
  (void)luisy::graph::serialize_graph(*graph);
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size < 1) return 0;
  int kind = data[0] & 3;
  bool repair = data[0] & 4;
  std::string file(reinterpret_cast<const char*>(data) + 1, size - 1);
  const std::string& dir = state_dir();
  try {
    switch (kind) {
      case 0: {
        if (repair) repair_log_checksums(file);
        luisy::util::write_file_atomic(dir + "/log", file);
        auto log = luisy::state::BuildLog::open(dir);
        for (const auto* record : log.records())
          if (log.find(record->label) != record) __builtin_trap();
        // Appending after whatever was loaded must leave a log that loads again.
        luisy::state::TaskRecord record;
        record.label = "Fuzz";
        log.record(record);
        log.flush();
        auto again = luisy::state::BuildLog::open(dir);
        if (!again.find("Fuzz")) __builtin_trap();
        break;
      }
      case 1: {
        if (repair) repair_trailing_checksum(file);
        luisy::util::write_file_atomic(dir + "/stats", file);
        luisy::hash::StatCache cache;
        luisy::state::load_stat_cache(dir, cache);
        break;
      }
      case 2: {
        // The plan is looked up under the key stored in it (bytes 12..28), as if the
        // pipeline had not changed.
        if (repair) repair_trailing_checksum(file);
        luisy::util::Digest key;
        if (file.size() >= 28) key = {get_u64(file, 12), get_u64(file, 20)};
        luisy::util::write_file_atomic(dir + "/plan", file);
        if (auto bytes = luisy::state::load_plan(dir, key)) {
          std::string graph = *bytes;
          if (repair) repair_trailing_checksum(graph);
          check_graph(graph);
        }
        break;
      }
      case 3:
        if (repair) repair_trailing_checksum(file);
        check_graph(file);
        break;
    }
  } catch (const luisy::Error&) {
    // e.g. a log header from "another version": a message telling the user what to do.
  }
  return 0;
}
