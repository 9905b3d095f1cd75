#include "luisy/engine/verify.h"

#include <dirent.h>
#include <fmt/format.h>
#include <unistd.h>

#include <cerrno>

#include "luisy/cache/file_copy.h"
#include "luisy/cache/local_store.h"
#include "luisy/cache/result_record.h"
#include "luisy/hash/file_digest.h"
#include "luisy/state/build_log.h"
#include "luisy/state/stat_store.h"
#include "luisy/util/error.h"
#include "luisy/util/fs.h"
#include "luisy/util/json.h"
#include "luisy/util/strings.h"

namespace luisy::engine {

namespace {

// The names in a directory, without "." and ".." and luisy's temporary files (a running
// luisy's, or a crash's leftovers: trim removes them).
std::vector<std::string> entries_of(const std::string& dir) {
  std::vector<std::string> names;
  DIR* handle = ::opendir(dir.c_str());
  if (!handle) return names;
  while (struct dirent* entry = ::readdir(handle)) {
    std::string name = entry->d_name;
    if (name == "." || name == ".." || cache::is_temp_path(dir + "/" + name)) continue;
    names.push_back(std::move(name));
  }
  ::closedir(handle);
  return names;
}

std::string short_hex(const util::Digest& digest) {
  return util::to_hex(digest).substr(0, 12);
}

bool remove_file(const std::string& path) {
  return ::unlink(path.c_str()) == 0 || errno == ENOENT;
}

}  // namespace

size_t VerifyReport::remaining() const {
  size_t count = 0;
  for (const auto& problem : problems) count += problem.removed ? 0 : 1;
  return count;
}

bool VerifyReport::complete() const {
  for (const auto& section : sections)
    if (!section.incomplete.empty()) return false;
  return true;
}

void verify_workspace(const std::string& workspace_dir, const VerifyOptions& options,
                      VerifyReport& report) {
  VerifySection section{"workspace", workspace_dir, {}, ""};
  std::string state_dir = util::join_path(workspace_dir, ".luisy");
  if (!util::exists(state_dir)) {
    report.sections.push_back(section);
    return;
  }
  hash::StatCache stats;
  state::load_stat_cache(state_dir, stats);
  // Entries whose file still has the recorded size, mtime and inode are what a build trusts
  // without reading: each must hash to its digest. Verified ones are kept for the outputs.
  hash::StatCache verified;
  std::vector<std::string> broken;
  for (const auto& [path, entry] : stats.entries()) {
    ++section.counts.stat_entries;
    std::string full = util::join_path(workspace_dir, path);
    auto st = util::stat_path(full);
    if (!st || st->is_directory || st->size != entry.size || st->mtime_ns != entry.mtime_ns ||
        st->inode != entry.inode)
      continue;  // changed visibly: the next build rehashes it
    std::string error;
    auto actual = cache::digest_of_file(full, &error);
    if (!actual) continue;  // vanished meanwhile
    section.counts.bytes += st->size;
    if (*actual == entry.digest) {
      verified.insert(path, entry);
      continue;
    }
    broken.push_back(path);
    report.problems.push_back(
        {"workspace", "stale-stat", path,
         fmt::format("{} changed but kept its size, mtime and inode: a build would take it as {} "
                     "(it is {})",
                     path, short_hex(entry.digest), short_hex(*actual)),
         false});
  }
  try {
    state::BuildLog log = state::BuildLog::open(state_dir);
    for (const state::TaskRecord* record : log.records()) {
      if (!record->materialized) continue;  // resolved from a remote record, never fetched
      ++section.counts.results;
      for (const auto& output : record->outputs) {
        ++section.counts.outputs;
        auto digest = verified.digest(workspace_dir, output.path);
        if (!digest || *digest != output.digest) ++section.counts.will_rebuild;
      }
    }
  } catch (const Error& error) {
    section.incomplete = error.what();
  }
  if (options.remove_broken && !broken.empty()) {
    for (const auto& path : broken) stats.forget(path);
    try {
      state::save_stat_cache(state_dir, stats);
      for (auto& problem : report.problems)
        if (problem.where == "workspace") problem.removed = true;
    } catch (const Error& error) {
      section.incomplete = fmt::format("cannot rewrite the stat cache: {}", error.what());
    }
  }
  report.sections.push_back(std::move(section));
}

void verify_local_store(cache::LocalStore& store, const VerifyOptions& options,
                        VerifyReport& report) {
  VerifySection section{"local", store.root(), {}, ""};
  auto add = [&](std::string kind, std::string subject, std::string detail,
                 const std::string& path) {
    bool removed = options.remove_broken && remove_file(path);
    report.problems.push_back(
        {"local", std::move(kind), std::move(subject), std::move(detail), removed});
  };
  // Records first: a removed record can only cost a rerun, never a wrong result.
  std::string ac = util::join_path(store.root(), "ac");
  for (const auto& name : entries_of(ac)) {
    std::string path = util::join_path(ac, name);
    ++section.counts.records;
    auto key = util::digest_from_hex(name);
    if (!key) {
      add("bad-name", name, fmt::format("{} is not named by a key", path), path);
      continue;
    }
    std::optional<std::string> text;
    std::string error;
    try {
      text = util::read_file_if_exists(path);
    } catch (const Error& e) {
      error = e.what();
    }
    if (!text && error.empty()) continue;  // trimmed meanwhile
    std::optional<cache::ResultRecord> record;
    if (text) record = cache::parse_record(*text, *key, &error);
    if (!record) {
      add("corrupt-record", name, fmt::format("record {} is unusable: {}", name, error), path);
      continue;
    }
    for (const auto& file : record->files) {
      if (!store.has_content(file)) {
        ++section.counts.records_without_blobs;  // evicted or not fetched yet: refetched or rerun
        break;
      }
    }
  }
  std::string cas = util::join_path(store.root(), "cas");
  for (const auto& folder : entries_of(cas)) {
    std::string dir = util::join_path(cas, folder);
    for (const auto& name : entries_of(dir)) {
      std::string path = util::join_path(dir, name);
      ++section.counts.blobs;
      auto digest = util::digest_from_hex(name);
      if (!digest || name.substr(0, 2) != folder) {
        add("bad-name", name, fmt::format("{} is not named by its digest", path), path);
        continue;
      }
      std::string error;
      auto actual = cache::digest_of_file(path, &error);
      if (!actual) continue;  // trimmed meanwhile
      if (auto st = util::stat_path(path)) section.counts.bytes += st->size;
      if (*actual != *digest)
        add("corrupt-blob", name,
            fmt::format("blob {} holds content that hashes to {}", name, util::to_hex(*actual)),
            path);
    }
  }
  report.sections.push_back(std::move(section));
}

std::string format_verify_text(const VerifyReport& report, const VerifyOptions& options) {
  std::string out;
  for (const auto& s : report.sections) {
    const VerifyCounts& c = s.counts;
    if (s.where == "workspace") {
      out += fmt::format("workspace {}: {} results, {} outputs, {} stat entries checked",
                         s.location, c.results, c.outputs, c.stat_entries);
      if (c.will_rebuild)
        out += fmt::format("; {} outputs modified or missing (they rebuild)", c.will_rebuild);
    } else {
      out += fmt::format("{} {}: {} records, {} blobs ({}) {}",
                         s.where == "local" ? "local store" : "remote", s.location, c.records,
                         c.blobs, util::format_bytes(c.bytes),
                         s.where == "remote" ? "downloaded and checked" : "checked");
      if (c.records_without_blobs)
        out += fmt::format("; {} records without their blobs (fetched again or rerun)",
                           c.records_without_blobs);
    }
    out += "\n";
    if (!s.incomplete.empty()) out += fmt::format("  incomplete: {}\n", s.incomplete);
  }
  for (const auto& p : report.problems)
    out += fmt::format("broken {} {}: {}{}\n", p.where, p.kind, p.detail,
                       p.removed ? " (removed)" : "");
  size_t remaining = report.remaining();
  if (report.problems.empty()) {
    out += report.complete() ? "nothing broken\n" : "nothing broken in what could be checked\n";
  } else if (remaining == 0) {
    out += fmt::format("{} broken entries removed\n", report.problems.size());
  } else {
    out += fmt::format("{} broken entries{}\n", remaining,
                       options.remove_broken ? " could not be removed"
                                             : "; `luisy verify --remove-broken` removes them");
  }
  return out;
}

std::string format_verify_json(const VerifyReport& report) {
  using util::JsonValue;
  JsonValue root = JsonValue::object();
  root.set("clean", JsonValue::boolean(report.remaining() == 0 && report.complete()));
  root.set("complete", JsonValue::boolean(report.complete()));
  JsonValue sections = JsonValue::array();
  for (const auto& s : report.sections) {
    JsonValue item = JsonValue::object();
    item.set("where", JsonValue::string(s.where));
    item.set("location", JsonValue::string(s.location));
    auto count = [&](const char* name, uint64_t value) {
      item.set(name, JsonValue::integer(static_cast<int64_t>(value)));
    };
    if (s.where == "workspace") {
      count("results", s.counts.results);
      count("outputs", s.counts.outputs);
      count("will_rebuild", s.counts.will_rebuild);
      count("stat_entries", s.counts.stat_entries);
    } else {
      count("records", s.counts.records);
      count("blobs", s.counts.blobs);
      if (s.where == "local") count("records_without_blobs", s.counts.records_without_blobs);
    }
    count("bytes", s.counts.bytes);
    if (!s.incomplete.empty()) item.set("incomplete", JsonValue::string(s.incomplete));
    sections.push(std::move(item));
  }
  root.set("sections", std::move(sections));
  JsonValue problems = JsonValue::array();
  for (const auto& p : report.problems) {
    JsonValue item = JsonValue::object();
    item.set("where", JsonValue::string(p.where));
    item.set("kind", JsonValue::string(p.kind));
    item.set("subject", JsonValue::string(p.subject));
    item.set("detail", JsonValue::string(p.detail));
    item.set("removed", JsonValue::boolean(p.removed));
    problems.push(std::move(item));
  }
  root.set("problems", std::move(problems));
  return util::to_json(root) + "\n";
}

}  // namespace luisy::engine
