#include "luisy/state/stat_store.h"

#include <ctime>

#include "luisy/state/binary_io.h"
#include "luisy/util/error.h"

// File layout: "LUISYSTC" u32 version, u64 count, count × (str path, u64 size, i64 mtime_ns,
// u64 inode, digest), then u64 checksum64 of everything before it. The file is only a cache:
// anything that does not check out is ignored and the digests are recomputed.

namespace luisy::state {

namespace {

constexpr std::string_view kMagic = "LUISYSTC";
constexpr uint32_t kVersion = 1;
constexpr size_t kChecksumSize = 8;
// str length (4) + size, mtime, inode (24) + digest (16)
constexpr size_t kMinEntrySize = 44;

std::string stats_path(const std::string& state_dir) {
  return util::join_path(state_dir, "stats");
}

int64_t now_ns() {
  struct timespec ts;
  ::clock_gettime(CLOCK_REALTIME, &ts);
  return static_cast<int64_t>(ts.tv_sec) * 1'000'000'000 + ts.tv_nsec;
}

}  // namespace

void load_stat_cache(const std::string& state_dir, hash::StatCache& cache) {
  cache.stat_once(true);
  // Mapped, not read: the file is only ever replaced by rename, never changed in place.
  std::optional<util::MappedFile> file;
  try {
    file = util::MappedFile::open_if_exists(stats_path(state_dir));
  } catch (const Error&) {
    return;  // unreadable: recompute
  }
  if (!file) return;
  std::string_view content = file->view();
  if (content.size() < kMagic.size() + 4 + 8 + kChecksumSize) return;

  size_t body = content.size() - kChecksumSize;
  Reader tail(content.data() + body, kChecksumSize);
  if (tail.u64() != util::checksum64(content.data(), body)) return;

  Reader in(content.data(), body);
  if (in.bytes(kMagic.size()) != kMagic || in.u32() != kVersion) return;
  uint64_t count = in.u64();
  if (!in.ok() || count > in.remaining() / kMinEntrySize) return;

  // Walk everything before touching the cache, so that a bad file leaves it as it was;
  // then read it again into the cache (no list of 100,000 entries in between).
  auto parse = [&](auto&& take) {
    Reader in(content.data(), body);
    in.bytes(kMagic.size() + 4 + 8);
    for (uint64_t i = 0; i < count && in.ok(); ++i) {
      std::string_view path = in.str();
      hash::StatEntry e;
      e.size = in.u64();
      e.mtime_ns = in.i64();
      e.inode = in.u64();
      e.digest = in.digest();
      take(path, e);
    }
    return in.ok() && in.at_end();
  };
  if (!parse([](std::string_view, const hash::StatEntry&) {})) return;
  cache.reserve(cache.entries().size() + count);
  parse([&](std::string_view path, const hash::StatEntry& e) { cache.insert(std::string(path), e); });
  cache.mark_clean();
}

void save_stat_cache(const std::string& state_dir, hash::StatCache& cache) {
  if (!cache.dirty()) return;
  cache.drop_racy(now_ns());

  std::string out;
  size_t estimate = 32;
  for (const auto& [path, e] : cache.entries()) estimate += kMinEntrySize + path.size();
  out.reserve(estimate);
  Writer w(out);
  w.bytes(kMagic);
  w.u32(kVersion);
  w.u64(cache.entries().size());
  for (const auto& [path, e] : cache.entries()) {
    w.str(path);
    w.u64(e.size);
    w.i64(e.mtime_ns);
    w.u64(e.inode);
    w.digest(e.digest);
  }
  w.u64(util::checksum64(out.data(), out.size()));
  // A cache checked by its checksum: an OS crash that loses it only costs rehashing.
  util::write_file_atomic(stats_path(state_dir), out, util::Durability::kCache);
  cache.mark_clean();
}

}  // namespace luisy::state
