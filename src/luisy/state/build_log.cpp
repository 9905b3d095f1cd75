#include "luisy/state/build_log.h"

#include <fcntl.h>
#include <sys/mman.h>
#include <fmt/format.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <functional>
#include <utility>
#include <vector>

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

// Returns where in `out` the preimage's bytes start.
size_t encode_record(std::string& out, const TaskRecord& r) {
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
  size_t preimage_at = out.size() + 4;  // after its u32 length
  w.str(r.preimage_text());
  w.f64(r.seconds);
  w.i64(r.finished_at);
  w.u8(r.materialized ? 1 : 0);
  return preimage_at;
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
  // The file as loaded, mapped: the loaded records' preimages view it. Appends never change
  // its bytes, a compaction replaces the file by rename and a torn tail is cut after the
  // last record, so the mapped range the records use stays valid for the log's life.
  util::MappedFile mapped;
  // Read-only views of the file as it is appended to (MAP_SHARED: what write(2) adds shows
  // through), so that a record written in this run keeps a view of its preimage instead of
  // a copy (29 MB at 100,000 tasks; the pages are read only if a preimage is asked for).
  // One per file appended to: a compaction renames a new file in, and the views into the
  // old one stay valid while it is mapped.
  static constexpr size_t kWindow = size_t{1} << 34;  // address space only
  std::vector<char*> windows;
  char* window = nullptr;  // over the file `fd` appends to; null: none (yet, or mmap failed)
  bool window_tried = false;

  ~File() {
    if (fd >= 0) ::close(fd);
    for (char* w : windows) ::munmap(w, kWindow);
  }

  // The window over the current file, mapped on first use; null if it cannot be.
  const char* append_window() {
    if (window_tried) return window;
    window_tried = true;
    int read_fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
    if (read_fd < 0) return nullptr;
    void* data = ::mmap(nullptr, kWindow, PROT_READ, MAP_SHARED, read_fd, 0);
    ::close(read_fd);
    if (data == MAP_FAILED) return nullptr;
    window = static_cast<char*>(data);
    windows.push_back(window);
    return window;
  }
  // The next append goes to another file (compaction).
  void new_file() {
    window = nullptr;
    window_tried = false;
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

namespace {

size_t label_hash(std::string_view label) { return std::hash<std::string_view>{}(label); }

uint64_t make_slot(size_t hash, size_t record) {
  return (static_cast<uint64_t>(hash >> 32) << 32) | static_cast<uint64_t>(record + 1);
}

// Past this much of the mapped file behind the reader, its pages are handed back: they
// would otherwise all count in the process's memory (32 MB for 100,000 tasks), while only
// a preimage that is asked for is read again (from the page cache).
constexpr size_t kDropStep = size_t{4} << 20;

}  // namespace

BuildLog::BuildLog() : file_(std::make_unique<File>()), index_(16, 0) {}
BuildLog::BuildLog(BuildLog&&) noexcept = default;
BuildLog& BuildLog::operator=(BuildLog&&) noexcept = default;
BuildLog::~BuildLog() = default;

size_t BuildLog::slot_of(std::string_view label, size_t hash) const {
  size_t mask = index_.size() - 1;
  uint64_t tag = static_cast<uint64_t>(hash >> 32);
  for (size_t i = hash & mask;; i = (i + 1) & mask) {
    uint64_t slot = index_[i];
    if (slot == 0) return i;
    if ((slot >> 32) == tag && at((slot & 0xffffffffu) - 1).label == label) return i;
  }
}

void BuildLog::grow_index() {
  std::vector<uint64_t> old = std::exchange(index_, std::vector<uint64_t>(index_.size() * 2, 0));
  for (uint64_t slot : old) {
    if (slot == 0) continue;
    size_t record = (slot & 0xffffffffu) - 1;
    size_t hash = label_hash(at(record).label);
    index_[slot_of(at(record).label, hash)] = make_slot(hash, record);
  }
}

TaskRecord& BuildLog::add(TaskRecord record) {
  size_t hash = label_hash(record.label);
  size_t i = slot_of(record.label, hash);
  if (index_[i] != 0) {
    size_t existing = (index_[i] & 0xffffffffu) - 1;
    if (!live_[existing]) {
      live_[existing] = true;
      ++live_count_;
    }
    return at(existing) = std::move(record);
  }
  if (count_ % kChunk == 0) chunks_.push_back(std::make_unique<TaskRecord[]>(kChunk));
  size_t n = count_++;
  TaskRecord& stored = at(n) = std::move(record);
  live_.push_back(true);
  ++live_count_;
  index_[i] = make_slot(hash, n);
  if (count_ * 2 > index_.size()) grow_index();
  return stored;
}

BuildLog BuildLog::open(const std::string& state_dir) {
  BuildLog log;
  log.file_->path = util::join_path(state_dir, "log");
  auto mapped = util::MappedFile::open_if_exists(log.file_->path);
  if (!mapped) return log;  // created with its header on the first write
  log.file_->mapped = std::move(*mapped);
  std::string_view content = log.file_->mapped.view();

  std::string header = header_bytes();
  if (content.size() < kHeaderSize && std::string_view(header).starts_with(content)) {
    log.file_->truncate = true;  // a crash while creating the file: start it again
    return log;
  }
  if (!content.starts_with(header)) {
    std::string dir = state_dir;
    while (dir.size() > 1 && dir.back() == '/') dir.pop_back();
    throw Error(
        fmt::format("{} was written by another version of luisy; delete {}/ to start afresh",
                    log.file_->path, dir));
  }

  // About 300 bytes a record: size the index once instead of growing it while loading.
  size_t expected = content.size() / 256;
  while (log.index_.size() < 2 * expected) log.index_.resize(log.index_.size() * 2);
  log.live_.reserve(expected);
  const char* data = content.data();
  size_t size = content.size();
  size_t pos = kHeaderSize;
  size_t dropped = 0;
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
      size_t i = log.slot_of(label, label_hash(label));
      if (log.index_[i] != 0) {
        size_t r = (log.index_[i] & 0xffffffffu) - 1;
        if (log.live_[r]) {
          log.drop(r);
        }
      }
    } else if (type == kTypeRecord) {
      TaskRecord r;
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
      r.logged_preimage = in.str();
      r.preimage_in_log = true;
      r.seconds = in.f64();
      r.finished_at = in.i64();
      uint8_t materialized = in.u8();
      if (!in.ok() || !in.at_end() || materialized > 1) break;
      r.materialized = materialized == 1;
      r.label = label;
      log.add(std::move(r));
    } else {
      break;
    }
    ++log.records_in_file_;
    pos += kFrameSize + length;
    if (pos - dropped >= kDropStep) {
      size_t upto = pos & ~(size_t{4096} - 1);  // whole pages only (the mapping starts on one)
      ::madvise(const_cast<char*>(data) + dropped, upto - dropped, MADV_DONTNEED);
      dropped = upto;
    }
    // (After the loop, the rest goes too: a partial last page is dropped whole, and read
    // again from the file if a preimage on it is asked for.)
  }
  if (pos > dropped) ::madvise(const_cast<char*>(data) + dropped, pos - dropped, MADV_DONTNEED);
  log.file_->good_end = pos;
  log.file_->truncate = pos != size;
  return log;
}

const TaskRecord* BuildLog::find(std::string_view label) const {
  uint64_t slot = index_[slot_of(label, label_hash(label))];
  if (slot == 0) return nullptr;
  size_t r = (slot & 0xffffffffu) - 1;
  return live_[r] ? &at(r) : nullptr;
}

std::vector<const TaskRecord*> BuildLog::records() const {
  std::vector<const TaskRecord*> live;
  live.reserve(live_count_);
  for (size_t i = 0; i < count_; ++i)
    if (live_[i]) live.push_back(&at(i));
  return live;
}

void BuildLog::record(TaskRecord record) {
  std::string bytes;
  size_t preimage_at = 0;
  append_frame(bytes, [&](std::string& out) { preimage_at = encode_record(out, record); });
  file_->ensure_open();
  uint64_t offset = file_->good_end;  // O_APPEND: the file ends there
  file_->write_all(bytes);
  ++records_in_file_;
  const char* window = file_->append_window();
  if (window && offset + bytes.size() <= File::kWindow) {
    record.logged_preimage =
        std::string_view(window + offset + preimage_at, record.preimage_text().size());
    record.preimage_in_log = true;
    record.preimage = std::string();
  }
  add(std::move(record));
}

void BuildLog::forget(std::string_view label) {
  uint64_t slot = index_[slot_of(label, label_hash(label))];
  if (slot == 0 || !live_[(slot & 0xffffffffu) - 1]) return;  // nothing in the file to supersede
  std::string bytes;
  append_frame(bytes, [&](std::string& out) { encode_tombstone(out, label); });
  file_->ensure_open();
  file_->write_all(bytes);
  ++records_in_file_;
  drop((slot & 0xffffffffu) - 1);
}

void BuildLog::drop(size_t r) {
  TaskRecord& gone = at(r);
  TaskRecord emptied;
  emptied.label = std::move(gone.label);  // still what its index slot compares against
  gone = std::move(emptied);
  live_[r] = false;
  --live_count_;
}

void BuildLog::flush() {
  if (file_->fd >= 0 && ::fsync(file_->fd) != 0) file_->fail("cannot sync");
  if (records_in_file_ <= 2 * live_count_ + 1000) return;

  // Most of the file is superseded: write the live records alone, in the order their
  // labels were first recorded (so the file does not depend on hash order), and switch
  // to the new file.
  std::vector<const TaskRecord*> live = records();
  std::string content = header_bytes();
  for (const TaskRecord* r : live)
    append_frame(content, [&](std::string& out) { encode_record(out, *r); });
  util::write_file_atomic(file_->path, content);
  if (file_->fd >= 0) ::close(file_->fd);
  file_->fd = -1;
  file_->new_file();
  file_->good_end = content.size();
  file_->truncate = false;
  records_in_file_ = live_count_;
}

}  // namespace luisy::state
