#include "luisy/state/plan_store.h"

#include "luisy/state/binary_io.h"
#include "luisy/util/error.h"
#include "luisy/util/fs.h"

// File layout: "LUISYPLN" u32 version, digest key, u64 length, bytes, u64 checksum64 of
// everything before it. A plan that does not check out is simply compiled again.

namespace luisy::state {

namespace {

constexpr std::string_view kMagic = "LUISYPLN";
constexpr uint32_t kVersion = 1;
constexpr size_t kHeaderSize = 8 + 4 + 16 + 8;
constexpr size_t kChecksumSize = 8;

std::string plan_path(const std::string& state_dir) {
  return util::join_path(state_dir, "plan");
}

}  // namespace

namespace {

// The stored bytes inside `content` when it holds a whole plan saved under `key`.
std::optional<std::string_view> plan_bytes(std::string_view content, const util::Digest& key) {
  if (content.size() < kHeaderSize + kChecksumSize) return std::nullopt;
  Reader in(content);
  if (in.bytes(kMagic.size()) != kMagic || in.u32() != kVersion || in.digest() != key)
    return std::nullopt;
  uint64_t length = in.u64();
  if (length != content.size() - kHeaderSize - kChecksumSize) return std::nullopt;
  size_t body = content.size() - kChecksumSize;
  Reader tail(content.data() + body, kChecksumSize);
  if (tail.u64() != util::checksum64(content.data(), body)) return std::nullopt;
  return content.substr(kHeaderSize, body - kHeaderSize);
}

}  // namespace

std::optional<std::string> load_plan(const std::string& state_dir, const util::Digest& key) {
  auto mapped = map_plan(state_dir, key);
  if (!mapped) return std::nullopt;
  return std::string(mapped->bytes);
}

std::optional<MappedPlan> map_plan(const std::string& state_dir, const util::Digest& key) {
  // Mapped, not read: the file is only ever replaced by rename, never changed in place.
  std::optional<util::MappedFile> file;
  try {
    file = util::MappedFile::open_if_exists(plan_path(state_dir));
  } catch (const Error&) {
    return std::nullopt;
  }
  if (!file) return std::nullopt;
  auto bytes = plan_bytes(file->view(), key);
  if (!bytes) return std::nullopt;
  MappedPlan plan{std::move(*file), *bytes};
  return plan;
}

void save_plan(const std::string& state_dir, const util::Digest& key, std::string bytes) {
  // Made inside `bytes` rather than in a copy of them: at 100,000 tasks a plan is 11 MB, and
  // a second copy set the peak memory of planning.
  std::string header;
  Writer w(header);
  w.bytes(kMagic);
  w.u32(kVersion);
  w.digest(key);
  w.u64(bytes.size());
  std::string& out = bytes;
  out.reserve(kHeaderSize + out.size() + kChecksumSize);
  out.insert(0, header);
  Writer(out).u64(util::checksum64(out.data(), out.size()));
  // Checked by key and checksum when loaded: an OS crash that loses it costs one parse.
  util::write_file_atomic(plan_path(state_dir), out, util::Durability::kCache);
}

}  // namespace luisy::state
