#include "luisy/state/build_log.h"

#include <fcntl.h>
#include <fmt/format.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>

#include "luisy/state/binary_io.h"
#include "luisy/util/error.h"
#include "luisy/util/fs.h"

// File layout:
//   header   "LUISYLOG" u32 version
//   records  u32 payload length, u64 checksum64(payload), payload
//   payload  u8 type (1 record, 2 tombstone), then for a record:
//            str label, digest key, u32 n, n × (str path, digest, u64 size, u32 mode),
//            str preimage, f64 seconds, i64 finished_at, u8 materialized;
//            for a tombstone: str label.
// Integers are little-endian, str is u32 length + bytes, digest is u64 high + u64 low.
// The first record that is short or fails its checksum ends loading; the next write
// truncates the file there, so new records never follow garbage.

namespace luisy::state {

namespace {

constexpr std::string_view kMagic = "LUISYLOG";
constexpr uint32_t kVersion = 1;
constexpr size_t kHeaderSize = 12;
constexpr size_t kFrameSize = 12;  // u32 length + u64 checksum
constexpr uint8_t kTypeRecord = 1;
constexpr uint8_t kTypeTombstone = 2;

std::string header_bytes() {
  std::string out;
  Writer w(out);
  w.bytes(kMagic);
  w.u32(kVersion);
  return out;
}

void encode_record(std::string& out, const TaskRecord& r) {
  Writer w(out);
  w.u8(kTypeRecord);
  w.str(r.label);
  w.digest(r.key);
  w.u32(static_cast<uint32_t>(r.outputs.size()));
  for (const auto& o : r.outputs) {
    w.str(o.path);
    w.digest(o.digest);
    w.u64(o.size);
    w.u32(o.mode);
  }
  w.str(r.preimage_text());
  w.f64(r.seconds);
  w.i64(r.finished_at);
  w.u8(r.materialized ? 1 : 0);
}

void encode_tombstone(std::string& out, std::string_view label) {
  Writer w(out);
  w.u8(kTypeTombstone);
  w.str(label);
}

// Appends the frame (length, checksum) and payload of one entry to `out`.
template <typename Encode>
void append_frame(std::string& out, Encode encode) {
  size_t frame_at = out.size();
  out.append(kFrameSize, '\0');
  encode(out);
  std::string_view payload(out.data() + frame_at + kFrameSize, out.size() - frame_at - kFrameSize);
  std::string frame;
  Writer w(frame);
  w.u32(static_cast<uint32_t>(payload.size()));
  w.u64(util::checksum64(payload.data(), payload.size()));
  out.replace(frame_at, kFrameSize, frame);
}

}  // namespace

struct BuildLog::File {
  std::string path;
  int fd = -1;            // opened for appending on the first write
  uint64_t good_end = 0;  // end of the last valid record; 0: no valid header on disk
  bool truncate = false;  // bytes after good_end must go before the next append

  ~File() {
    if (fd >= 0) ::close(fd);
  }

  void ensure_open() {
    if (fd >= 0) return;
    fd = ::open(path.c_str(), O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0644);
    if (fd < 0) fail("cannot open");
    if (good_end == 0) {
      if (::ftruncate(fd, 0) != 0) fail("cannot truncate");
      write_all(header_bytes());
      good_end = kHeaderSize;
    } else if (truncate) {
      if (::ftruncate(fd, static_cast<off_t>(good_end)) != 0) fail("cannot truncate");
    }
    truncate = false;
  }

  // One write(2), so that a kill -9 leaves a whole record or a torn tail, nothing else.
  void write_all(std::string_view bytes) {
    ssize_t n;
    do {
      n = ::write(fd, bytes.data(), bytes.size());
    } while (n < 0 && errno == EINTR);
    if (n != static_cast<ssize_t>(bytes.size())) {
      int saved = n < 0 ? errno : ENOSPC;
      // Cut a partial record away so the next append does not land behind garbage.
      if (::ftruncate(fd, static_cast<off_t>(good_end)) != 0) truncate = true;
      errno = saved;
      fail("cannot write");
    }
    good_end += bytes.size();
  }

  [[noreturn]] void fail(std::string_view what) {
    throw Error(fmt::format("{} {}: {}", what, path, std::strerror(errno)));
  }
};

BuildLog::BuildLog() : file_(std::make_unique<File>()) {}
BuildLog::BuildLog(BuildLog&&) noexcept = default;
BuildLog& BuildLog::operator=(BuildLog&&) noexcept = default;
BuildLog::~BuildLog() = default;

BuildLog BuildLog::open(const std::string& state_dir) {
  BuildLog log;
  log.file_->path = util::join_path(state_dir, "log");
  auto read = util::read_file_if_exists(log.file_->path);
  if (!read) return log;  // created with its header on the first write
  // Shared with the records, whose preimages stay views into it.
  auto content = std::make_shared<const std::string>(std::move(*read));

  std::string header = header_bytes();
  if (content->size() < kHeaderSize && std::string_view(header).starts_with(*content)) {
    log.file_->truncate = true;  // a crash while creating the file: start it again
    return log;
  }
  if (!std::string_view(*content).starts_with(header)) {
    std::string dir = state_dir;
    while (dir.size() > 1 && dir.back() == '/') dir.pop_back();
    throw Error(
        fmt::format("{} was written by another version of luisy; delete {}/ to start afresh",
                    log.file_->path, dir));
  }

  log.records_.reserve(content->size() / 256);
  const char* data = content->data();
  size_t size = content->size();
  size_t pos = kHeaderSize;
  while (size - pos >= kFrameSize) {
    Reader frame(data + pos, kFrameSize);
    uint32_t length = frame.u32();
    uint64_t checksum = frame.u64();
    if (length > size - pos - kFrameSize) break;  // torn tail
    const char* payload = data + pos + kFrameSize;
    if (util::checksum64(payload, length) != checksum) break;

    Reader in(payload, length);
    uint8_t type = in.u8();
    std::string_view label = in.str();
    if (type == kTypeTombstone) {
      if (!in.ok() || !in.at_end()) break;
      log.records_.erase(std::string(label));
    } else if (type == kTypeRecord) {
      TaskRecord r;
      r.label = label;
      r.key = in.digest();
      uint32_t count = in.u32();
      // Each output takes at least 32 bytes: a bogus count cannot make us allocate wildly.
      if (!in.ok() || count > in.remaining() / 32) break;
      r.outputs.resize(count);
      for (auto& o : r.outputs) {
        o.path = in.str();
        o.digest = in.digest();
        o.size = in.u64();
        o.mode = in.u32();
      }
      r.log_bytes = content;
      r.logged_preimage = in.str();
      r.seconds = in.f64();
      r.finished_at = in.i64();
      uint8_t materialized = in.u8();
      if (!in.ok() || !in.at_end() || materialized > 1) break;
      r.materialized = materialized == 1;
      std::string key = r.label;
      log.records_.insert_or_assign(std::move(key), std::move(r));
    } else {
      break;
    }
    ++log.records_in_file_;
    pos += kFrameSize + length;
  }
  log.file_->good_end = pos;
  log.file_->truncate = pos != size;
  return log;
}

const TaskRecord* BuildLog::find(const std::string& label) const {
  auto it = records_.find(label);
  return it == records_.end() ? nullptr : &it->second;
}

void BuildLog::record(TaskRecord record) {
  std::string bytes;
  append_frame(bytes, [&](std::string& out) { encode_record(out, record); });
  file_->ensure_open();
  file_->write_all(bytes);
  ++records_in_file_;
  std::string key = record.label;
  records_.insert_or_assign(std::move(key), std::move(record));
}

void BuildLog::forget(const std::string& label) {
  if (!records_.count(label)) return;  // nothing in the file to supersede
  std::string bytes;
  append_frame(bytes, [&](std::string& out) { encode_tombstone(out, label); });
  file_->ensure_open();
  file_->write_all(bytes);
  ++records_in_file_;
  records_.erase(label);
}

void BuildLog::flush() {
  if (file_->fd >= 0 && ::fsync(file_->fd) != 0) file_->fail("cannot sync");
  if (records_in_file_ <= 2 * records_.size() + 1000) return;

  // Most of the file is superseded: write the live records alone, sorted so that the
  // file does not depend on hash-map order, and switch to the new file.
  std::vector<const TaskRecord*> live;
  live.reserve(records_.size());
  for (const auto& [label, r] : records_) live.push_back(&r);
  std::sort(live.begin(), live.end(),
            [](const TaskRecord* a, const TaskRecord* b) { return a->label < b->label; });
  std::string content = header_bytes();
  for (const TaskRecord* r : live)
    append_frame(content, [&](std::string& out) { encode_record(out, *r); });
  util::write_file_atomic(file_->path, content);
  if (file_->fd >= 0) ::close(file_->fd);
  file_->fd = -1;
  file_->good_end = content.size();
  file_->truncate = false;
  records_in_file_ = records_.size();
}

}  // namespace luisy::state
