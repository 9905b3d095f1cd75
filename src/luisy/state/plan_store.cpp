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

std::optional<std::string> load_plan(const std::string& state_dir, const util::Digest& key) {
  std::optional<std::string> content;
  try {
    content = util::read_file_if_exists(plan_path(state_dir));
  } catch (const Error&) {
    return std::nullopt;
  }
  if (!content || content->size() < kHeaderSize + kChecksumSize) return std::nullopt;

  Reader in(*content);
  if (in.bytes(kMagic.size()) != kMagic || in.u32() != kVersion || in.digest() != key)
    return std::nullopt;
  uint64_t length = in.u64();
  if (length != content->size() - kHeaderSize - kChecksumSize) return std::nullopt;
  size_t body = content->size() - kChecksumSize;
  Reader tail(content->data() + body, kChecksumSize);
  if (tail.u64() != util::checksum64(content->data(), body)) return std::nullopt;

  content->resize(body);
  content->erase(0, kHeaderSize);
  return content;
}

void save_plan(const std::string& state_dir, const util::Digest& key, const std::string& bytes) {
  std::string out;
  out.reserve(kHeaderSize + bytes.size() + kChecksumSize);
  Writer w(out);
  w.bytes(kMagic);
  w.u32(kVersion);
  w.digest(key);
  w.u64(bytes.size());
  w.bytes(bytes);
  w.u64(util::checksum64(out.data(), out.size()));
  util::write_file_atomic(plan_path(state_dir), out);
}

}  // namespace luisy::state
