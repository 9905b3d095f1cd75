#include "luisy/hash/file_digest.h"

#include <fcntl.h>
#include <fmt/format.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <memory>
#include <unordered_set>

#include "luisy/hash/parallel_digest.h"
#include "luisy/util/error.h"

namespace luisy::hash {

namespace {

bool matches(const StatEntry& entry, const util::FileStat& stat) {
  return entry.size == stat.size && entry.mtime_ns == stat.mtime_ns && entry.inode == stat.inode;
}

std::string strip_trailing_slashes(std::string path) {
  while (path.size() > 1 && path.back() == '/') path.pop_back();
  return path;
}

// Stable byte form of a digest for the tree hash: high word then low word, big-endian.
void append_digest(std::string& out, const util::Digest& d) {
  for (int shift = 56; shift >= 0; shift -= 8) out += static_cast<char>((d.high >> shift) & 0xff);
  for (int shift = 56; shift >= 0; shift -= 8) out += static_cast<char>((d.low >> shift) & 0xff);
}

}  // namespace

util::Digest hash_file(const std::string& path) {
  auto digest = digest_file_at(AT_FDCWD, path.c_str(), kUnknownSize, "");
  if (!digest) throw Error(fmt::format("cannot open {}: {}", path, std::strerror(ENOENT)));
  return *digest;
}

std::optional<util::Digest> StatCache::file_digest(const std::string& base_dir,
                                                   const std::string& key,
                                                   const util::FileStat& stat) {
  auto it = entries_.find(key);
  if (it != entries_.end() && matches(it->second, stat)) {
    it->second.mode = stat.mode;
    it->second.checked = true;
    return it->second.digest;
  }
  // The stat taken before reading is what we store: if the file changes while we read it,
  // its mtime moves on and the next lookup misses instead of trusting a mixed digest.
  int fd = key.empty() ? -1 : base_fd(base_dir);
  auto digest =
      fd >= 0 ? digest_file_at(fd, key.c_str(), stat.size, base_dir)
              : digest_file_at(AT_FDCWD, util::join_path(base_dir, key).c_str(), stat.size, "");
  ++files_hashed_;
  if (!digest) {
    if (it != entries_.end()) {
      entries_.erase(it);
      dirty_ = true;
    }
    return std::nullopt;
  }
  StatEntry entry{stat.size, stat.mtime_ns, stat.inode, *digest, stat.mode, true};
  if (it != entries_.end())
    it->second = entry;
  else
    entries_.emplace(key, entry);
  dirty_ = true;
  return digest;
}

StatCache::BaseDir::~BaseDir() {
  if (fd >= 0) ::close(fd);
}

int StatCache::base_fd(const std::string& base_dir) {
  if (base_dir.empty()) return -1;
  if (base_.path != base_dir || base_.fd < 0) {
    if (base_.fd >= 0) ::close(base_.fd);
    base_.path = base_dir;
    base_.fd = ::open(base_dir.c_str(), O_PATH | O_DIRECTORY | O_CLOEXEC);
  }
  return base_.fd;
}

std::optional<util::FileStat> StatCache::stat(const std::string& base_dir, const std::string& key) {
  int fd = key.empty() || key[0] == '/' ? -1 : base_fd(base_dir);
  if (fd < 0) return util::stat_path(util::join_path(base_dir, key));
  return util::stat_at(fd, key.c_str());
}

std::optional<util::Digest> StatCache::digest(const std::string& base_dir, const std::string& path,
                                              util::FileStat* stat_out) {
  // A file already found current in this run: no second stat (the common case of a source
  // read by many tasks, or an output hashed after its task ran and then stored).
  if (stat_once_ && !path.empty() && path.back() != '/') {
    auto it = entries_.find(path);
    if (it != entries_.end() && it->second.checked) {
      if (stat_out) {
        *stat_out = util::FileStat{it->second.size, it->second.mtime_ns, it->second.inode,
                                   it->second.mode, false};
      }
      return it->second.digest;
    }
  }
  std::string key = strip_trailing_slashes(path);
  auto stat = this->stat(base_dir, key);
  if (!stat) return std::nullopt;
  if (stat_out) *stat_out = *stat;
  if (!stat->is_directory) {
    if (!S_ISREG(stat->mode))
      throw Error(fmt::format("{} is neither a regular file nor a directory",
                              util::join_path(base_dir, key)));
    return file_digest(base_dir, key, *stat);
  }
  std::string full = util::join_path(base_dir, key);
  // Tree digest: for each file, its relative path, '\0', 'x' or '-', and its digest. Paths
  // hold no '\0' and the rest has a fixed length, so two different trees cannot collide.
  util::Hasher tree;
  std::string item;
  for (const auto& relative : util::list_files(full)) {
    std::string child_key = util::join_path(key, relative);
    auto child_stat = this->stat(base_dir, child_key);
    if (!child_stat || child_stat->is_directory) continue;  // vanished while listing
    auto child_digest = file_digest(base_dir, child_key, *child_stat);
    if (!child_digest) continue;
    item.assign(relative);
    item += '\0';
    item += (child_stat->mode & S_IXUSR) ? 'x' : '-';
    append_digest(item, *child_digest);
    tree.update(item);
  }
  return tree.finish();
}

size_t StatCache::prefetch(const std::string& base_dir,
                           const std::vector<const std::string*>& paths, unsigned threads) {
  using Node = std::pair<const std::string, StatEntry>;
  std::vector<FileToHash> files;
  std::vector<Node*> pending;  // by index of `files`: the entry its digest goes into
  std::unordered_set<std::string> directories;
  // A file to hash gets its entry at once, marked checked, so that a second path naming it
  // does not queue it again; the digest (and, for one not stat'ed, the stat) is filled in or
  // the entry dropped below, before anything else looks at the cache.
  auto queue = [&](Node* node, const std::string& key, const StatEntry& entry, uint64_t size,
                   size_t left) {
    if (files.empty()) entries_.reserve(entries_.size() + left);  // pointers stay valid
    if (!node) node = &*entries_.try_emplace(key).first;
    node->second = entry;
    files.push_back({node->first.c_str(), size});
    pending.push_back(node);
  };
  // A regular file, stat'ed: current (as digest() would find it), or one to hash with the
  // stat taken before reading, as in file_digest().
  auto consider = [&](Node* node, const std::string& key, const util::FileStat& stat, size_t left) {
    if (node && stat_once_ && node->second.checked) return;
    if (node && matches(node->second, stat)) {
      node->second.mode = stat.mode;
      node->second.checked = true;
      return;
    }
    StatEntry entry{stat.size, stat.mtime_ns, stat.inode, util::Digest{}, stat.mode, true};
    queue(node, key, entry, stat.size, left);
  };
  // Each file below a directory, as digest() will list them for its tree digest.
  auto consider_tree = [&](const std::string& key, size_t left) {
    if (!directories.insert(key).second) return;
    for (const auto& relative : util::list_files(util::join_path(base_dir, key))) {
      std::string child = util::join_path(key, relative);
      auto stat = this->stat(base_dir, child);
      if (!stat || !S_ISREG(stat->mode)) continue;  // vanished while listing
      auto it = entries_.find(child);
      consider(it == entries_.end() ? nullptr : &*it, child, *stat, left);
    }
  };
  for (size_t i = 0; i < paths.size(); ++i) {
    const std::string& path = *paths[i];
    size_t left = paths.size() - i;
    if (!path.empty() && path.back() == '/') {
      std::string key = strip_trailing_slashes(path);
      if (auto stat = this->stat(base_dir, key); stat && stat->is_directory)
        consider_tree(key, left);
      continue;
    }
    auto it = entries_.find(path);
    Node* node = it == entries_.end() ? nullptr : &*it;
    if (stat_once_ && node && node->second.checked) continue;  // one more reader of a source
    // Nothing to compare with (first build, .luisy/stats lost): no stat here, the worker
    // takes it from the open file. (With stat_once, whose checked flag keeps it from being
    // queued twice.)
    if (!node && stat_once_) {
      queue(nullptr, path, StatEntry{0, 0, 0, util::Digest{}, 0, true}, kUnknownSize, left);
      continue;
    }
    auto stat = this->stat(base_dir, path);
    // Missing or neither file nor directory: left to digest(), which says so to the task.
    if (!stat) continue;
    if (S_ISREG(stat->mode)) consider(node, path, *stat, left);
    if (stat->is_directory) consider_tree(path, left);
  }

  // The workers only read files; the cache is filled here, on the calling thread. A second
  // round hashes what is below a directory found by opening a path not stat'ed before.
  int fd = base_dir.empty() ? AT_FDCWD : base_fd(base_dir);
  size_t count = 0;
  if (!files.empty()) dirty_ = true;
  while (!files.empty()) {
    if (fd == -1) files.clear();  // the directory cannot be opened: digest() says why
    std::vector<FileToHash> round = std::move(files);
    std::vector<Node*> round_nodes = std::move(pending);
    files.clear();
    pending.clear();
    std::vector<HashedFile> hashed;
    if (!round.empty()) hashed = digest_files(fd, base_dir, round, threads);
    for (size_t i = 0; i < round_nodes.size(); ++i) {
      StatEntry& entry = round_nodes[i]->second;
      const HashedFile* result = i < hashed.size() ? &hashed[i] : nullptr;
      if (result && result->digest) {
        if (round[i].size == kUnknownSize) {
          entry.size = result->stat.size;
          entry.mtime_ns = result->stat.mtime_ns;
          entry.inode = result->stat.inode;
          entry.mode = result->stat.mode;
        }
        entry.digest = *result->digest;
        ++count;
        continue;
      }
      // Missing, unreadable or not a file: digest() looks again and reports it, naming the
      // task. A directory is listed now.
      std::string key = round_nodes[i]->first;
      entries_.erase(key);
      if (result && round[i].size == kUnknownSize && result->stat.is_directory && fd != -1)
        consider_tree(key, 1);
    }
  }
  files_hashed_ += count;
  return count;
}

void StatCache::forget(const std::string& path) {
  std::string key = strip_trailing_slashes(path);
  if (key.empty() || key == ".") {  // the whole workspace
    if (!entries_.empty()) dirty_ = true;
    entries_.clear();
    return;
  }
  // A file is one lookup; only a directory (given with its trailing '/') needs the scan,
  // which would make forgetting every output of a 10,000-task build quadratic.
  if (path.back() != '/') {
    if (entries_.erase(key)) dirty_ = true;
    return;
  }
  std::string prefix = key + "/";
  for (auto it = entries_.begin(); it != entries_.end();) {
    if (it->first == key || it->first.starts_with(prefix)) {
      it = entries_.erase(it);
      dirty_ = true;
    } else {
      ++it;
    }
  }
}

void StatCache::drop_racy(int64_t now_ns, int64_t racy_window_ns) {
  for (auto it = entries_.begin(); it != entries_.end();) {
    if (it->second.mtime_ns > now_ns - racy_window_ns) {
      it = entries_.erase(it);
      dirty_ = true;
    } else {
      ++it;
    }
  }
}

}  // namespace luisy::hash
