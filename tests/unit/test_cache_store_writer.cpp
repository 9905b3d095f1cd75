#include <doctest/doctest.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <filesystem>
#include <string>
#include <thread>

#include "luisy/cache/file_copy.h"
#include "luisy/cache/result_cache.h"
#include "luisy/cache/store_writer.h"
#include "luisy/util/fs.h"
#include "test_cache_helpers.h"

using namespace luisy;
using cache::LocalStore;
using cache::ResultRecord;
using cache::StoreWriter;
using cache::test::TempDir;
using cache::test::write_file;

namespace {

// A FIFO standing for a file to store: the writer's thread blocks opening it until the test
// opens its other end, so the test sees what is written while that item is in progress.
class Gate {
 public:
  Gate(std::string path, std::string content)
      : path_(std::move(path)), content_(std::move(content)) {
    util::make_parent_dirs(path_);
    REQUIRE(::mkfifo(path_.c_str(), 0644) == 0);
  }
  ~Gate() { release(); }
  const std::string& path() const { return path_; }
  util::Digest digest() const { return util::digest_of(content_); }

  // Waits until the writer's thread opened the FIFO, i.e. is storing this item. (Opening
  // the write end without blocking succeeds only once a reader is there.)
  bool wait_for_reader() {
    auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(20);
    while (fd_ < 0 && std::chrono::steady_clock::now() < deadline) {
      fd_ = ::open(path_.c_str(), O_WRONLY | O_NONBLOCK | O_CLOEXEC);
      if (fd_ < 0) std::this_thread::sleep_for(std::chrono::milliseconds(1));
    }
    return fd_ >= 0;
  }
  // Lets the item through: its content, then the end of the file.
  void release() {
    if (released_) return;
    released_ = true;
    if (fd_ < 0 && !wait_for_reader()) return;
    ::fcntl(fd_, F_SETFL, 0);
    CHECK(::write(fd_, content_.data(), content_.size()) == static_cast<ssize_t>(content_.size()));
    ::close(fd_);
    fd_ = -1;
  }

 private:
  std::string path_;
  std::string content_;
  int fd_ = -1;
  bool released_ = false;
};

// A result record of the files named (already in `ws`), each with its digest and size.
ResultRecord record_of(const std::string& ws, const std::string& name,
                       const std::vector<std::string>& files) {
  ResultRecord r;
  r.preimage = "luisy-key 1\ncmd 4:" + name.substr(0, 4) + "\n" + name + "\nend\n";
  r.key = util::digest_of(r.preimage);
  for (const auto& path : files) {
    std::string bytes = util::read_file(ws + "/" + path);
    r.outputs.push_back({path, util::digest_of(bytes)});
    r.files.push_back({path, util::digest_of(bytes), bytes.size(), 0644});
  }
  return r;
}

std::string large(char c) {
  return std::string(3 * cache::kInlineMaxBytes, c);
}

}  // namespace

TEST_CASE("store writer: a result's files are stored before its record, small ones inside it") {
  TempDir dir;
  LocalStore store(dir / "store");
  StoreWriter writer(store);  // (joined after the gate opened, whatever happens)
  write_file(dir / "ws/small.txt", "small");
  write_file(dir / "ws/big.bin", large('b'));
  ResultRecord r = record_of(dir / "ws", "result", {"big.bin", "small.txt"});
  // The large file is read through a gate: while it is being copied, no record is there.
  util::remove_all(dir / "ws/big.bin");
  Gate gate(dir / "ws/big.bin", large('b'));

  writer.add_result("Result", r, dir / "ws");
  REQUIRE(gate.wait_for_reader());
  CHECK_FALSE(util::exists(store.record_path(r.key)));
  gate.release();
  writer.finish();
  CHECK(writer.take_result_failures().empty());
  auto stored = store.get_record(r.key);
  REQUIRE(stored);
  CHECK(store.has_blob(r.files[0].digest));
  CHECK_FALSE(stored->files[0].content);
  REQUIRE(stored->files[1].content);
  CHECK(*stored->files[1].content == "small");
  CHECK_FALSE(store.has_blob(r.files[1].digest));
}

TEST_CASE("store writer: fetched blobs, records and results share one queue, in order") {
  TempDir dir;
  LocalStore store(dir / "store");
  StoreWriter writer(store);
  Gate gate(dir / "ws/gated.bin", large('g'));
  write_file(dir / "ws/other.bin", large('o'));
  ResultRecord fetched = record_of(dir / "ws", "fetched", {"other.bin"});
  fetched.files.insert(fetched.files.begin(),
                       {"gated.bin", gate.digest(), large('g').size(), 0644});
  const util::Digest other = fetched.files[1].digest;
  write_file(dir / "ws/ran.txt", "ran");
  ResultRecord ran = record_of(dir / "ws", "ran", {"ran.txt"});

  writer.add_blob(gate.digest(), gate.path());
  writer.add_blob(other, dir / "ws/other.bin");
  writer.add_record(fetched);
  writer.add_result("Ran", ran, dir / "ws");
  REQUIRE(gate.wait_for_reader());
  // Held up by the first blob: nothing after it is written, whatever its kind.
  CHECK_FALSE(store.has_blob(other));
  CHECK_FALSE(util::exists(store.record_path(fetched.key)));
  CHECK_FALSE(util::exists(store.record_path(ran.key)));
  // Not stored yet: a restore may copy the workspace file instead of downloading it.
  CHECK(writer.pending_blob(other) == dir / "ws/other.bin");
  gate.release();
  writer.finish();
  CHECK(writer.pending_blob(other).empty());
  CHECK(writer.pending_blob(gate.digest()).empty());
  CHECK(store.has_blob(gate.digest()));
  CHECK(store.has_blob(other));
  CHECK(store.get_record(fetched.key) == fetched);  // as it came: no inline content
  CHECK(store.get_record(ran.key));
  CHECK(writer.take_result_failures().empty());
  CHECK(writer.take_fetched_failures().empty());
}

TEST_CASE("store writer: failures are kept, each for its caller, never thrown") {
  TempDir dir;
  LocalStore store(dir / "store");
  StoreWriter writer(store);
  write_file(dir / "ws/out.txt", "before");
  write_file(dir / "ws/out.bin", large('a'));
  ResultRecord changed = record_of(dir / "ws", "changed", {"out.bin", "out.txt"});
  write_file(dir / "ws/out.txt", "after!");  // changed since it was hashed
  write_file(dir / "ws/gone.bin", large('g'));
  ResultRecord gone = record_of(dir / "ws", "gone", {"gone.bin"});
  util::remove_all(dir / "ws/gone.bin");

  writer.add_result("Changed", changed, dir / "ws");
  writer.add_blob(util::digest_of("never written"), dir / "ws/missing.bin");
  writer.add_result("Gone", gone, dir / "ws");
  writer.finish();
  auto failures = writer.take_result_failures();
  REQUIRE(failures.size() == 2);
  CHECK(failures[0].label == "Changed");
  CHECK(failures[0].error.find("changed while it was being stored") != std::string::npos);
  CHECK(failures[1].label == "Gone");
  CHECK(failures[1].error.find("gone.bin") != std::string::npos);
  auto fetched = writer.take_fetched_failures();
  REQUIRE(fetched.size() == 1);
  CHECK(fetched[0].find("missing.bin") != std::string::npos);
  // Nothing half: no record, no blob of the missing files, no temporary file.
  for (const auto& entry : std::filesystem::recursive_directory_iterator(dir / "store"))
    CHECK_FALSE(cache::is_temp_path(entry.path().string()));
  CHECK_FALSE(util::exists(store.record_path(changed.key)));
  CHECK_FALSE(util::exists(store.record_path(gone.key)));
  CHECK(store.usage().records == 0);
  CHECK(store.usage().blobs <= 1);  // out.bin's, which did not change
  CHECK_FALSE(store.has_blob(gone.files[0].digest));
  CHECK(writer.take_result_failures().empty());
  CHECK(writer.take_fetched_failures().empty());

  // After finish(), the next add starts the thread again.
  write_file(dir / "ws/out.txt", "before");
  writer.add_result("Changed", changed, dir / "ws");
  writer.finish();
  CHECK(writer.take_result_failures().empty());
  CHECK(store.get_record(changed.key));
}

TEST_CASE("store writer: flush warns about what came from the remote, not about results") {
  TempDir dir;
  cache::ResultCache cache(LocalStore(dir / "store"), nullptr, {});
  std::vector<std::string> warnings;
  cache.set_warning_callback([&](const std::string& w) { warnings.push_back(w); });
  write_file(dir / "ws/out.txt", "before");
  ResultRecord r = record_of(dir / "ws", "result", {"out.txt"});
  write_file(dir / "ws/out.txt", "after!");
  cache.writer().add_result("Result", r, dir / "ws");
  cache.writer().add_blob(util::digest_of("x"), dir / "ws/missing.bin");
  cache.flush();
  REQUIRE(warnings.size() == 1);
  CHECK(warnings[0].find("cannot keep 1 downloaded file(s) and record(s) in the local cache") == 0);
  auto failures = cache.writer().take_result_failures();  // left for the build to name
  REQUIRE(failures.size() == 1);
  CHECK(failures[0].label == "Result");
}
