// `luisy verify --remote`: every record under the prefix parses, every blob it names exists
// and, downloaded, hashes to its digest; removal deletes records before blobs.
#include <fmt/format.h>
#include <unistd.h>

#include <algorithm>
#include <cstddef>
#include <map>

#include "luisy/cache/file_copy.h"
#include "luisy/cache/remote/remote_store.h"
#include "luisy/cache/result_record.h"
#include "luisy/engine/verify.h"
#include "luisy/util/fs.h"

namespace luisy::engine {

namespace {

struct RemoteBlob {
  util::Digest digest;
  uint64_t size = 0;
  std::string first_path;       // for messages
  std::vector<size_t> records;  // indexes into the keys of records naming it
};

}  // namespace

void verify_remote(cache::remote::RemoteStore& remote, const std::string& scratch_dir,
                   const VerifyOptions& options, VerifyReport& report) {
  VerifySection section{"remote", remote.describe(), {}, ""};
  auto incomplete = [&](const std::string& why) {
    if (section.incomplete.empty()) section.incomplete = why;
  };
  cache::remote::Failure failure;
  std::vector<std::string> names = remote.list_records(&failure);
  if (!failure.message.empty()) incomplete(failure.message);

  std::vector<util::Digest> listed;
  for (const auto& name : names) {
    ++section.counts.records;
    if (auto key = util::digest_from_hex(name)) {
      listed.push_back(*key);
    } else {
      report.problems.push_back({"remote", "bad-name", name,
                                 fmt::format("ac/{} is not named by a key (not removed)", name),
                                 false});
    }
  }

  std::vector<util::Digest> keys;                     // of the records that parsed
  std::map<std::string, std::string> broken_records;  // key hex -> first reason
  std::map<std::string, RemoteBlob> blobs;            // digest hex -> blob
  constexpr size_t kRecordBatch = 1000;
  for (size_t first = 0; first < listed.size(); first += kRecordBatch) {
    std::vector<util::Digest> batch(listed.begin() + static_cast<std::ptrdiff_t>(first),
                                    listed.begin() + static_cast<std::ptrdiff_t>(std::min(
                                                         listed.size(), first + kRecordBatch)));
    cache::remote::Failure get_failure;
    auto texts = remote.get_records(batch, &get_failure);
    if (!get_failure.message.empty()) incomplete(get_failure.message);
    for (size_t i = 0; i < batch.size() && i < texts.size(); ++i) {
      if (!texts[i]) continue;  // failed (incomplete), or deleted since the listing
      std::string name = util::to_hex(batch[i]);
      std::string error;
      auto record = cache::parse_record(*texts[i], batch[i], &error);
      if (!record) {
        broken_records.emplace(name, fmt::format("record {} is unusable: {}", name, error));
        report.problems.push_back({"remote", "corrupt-record", name, broken_records[name], false});
        continue;
      }
      size_t index = keys.size();
      keys.push_back(batch[i]);
      for (const auto& file : record->files) {
        RemoteBlob& blob = blobs[util::to_hex(file.digest)];
        if (blob.records.empty()) blob = {file.digest, file.size, file.path, {}};
        if (blob.records.empty() || blob.records.back() != index) blob.records.push_back(index);
      }
    }
  }

  // A record is broken when a blob it names is missing or holds other bytes.
  auto blame = [&](const RemoteBlob& blob, const std::string& kind, const std::string& what) {
    for (size_t index : blob.records) {
      std::string hex = util::to_hex(keys[index]);
      if (broken_records.count(hex)) continue;
      broken_records[hex] = what;
      report.problems.push_back(
          {"remote", kind, hex, fmt::format("record {}: {}", hex, what), false});
    }
  };
  std::vector<const RemoteBlob*> all;
  std::vector<util::Digest> digests;
  for (const auto& [hex, blob] : blobs) {
    all.push_back(&blob);
    digests.push_back(blob.digest);
  }
  section.counts.blobs = all.size();
  cache::remote::Failure has_failure;
  std::vector<bool> present = remote.has_blobs(digests, &has_failure);
  if (!has_failure.message.empty()) incomplete(has_failure.message);

  std::vector<const RemoteBlob*> to_fetch;
  for (size_t i = 0; i < all.size(); ++i) {
    if (i < present.size() && present[i]) {
      to_fetch.push_back(all[i]);
    } else if (has_failure.message.empty()) {
      blame(
          *all[i], "missing-blob",
          fmt::format("blob {} ({}) is missing", util::to_hex(all[i]->digest), all[i]->first_path));
    }
  }

  // Download and hash in batches, so the scratch space holds at most one batch.
  cache::remote::TransferOptions transfer_options;
  transfer_options.max_in_flight = options.transfers;
  size_t next = 0;
  while (next < to_fetch.size()) {
    std::vector<cache::remote::BlobTransfer> batch;
    std::vector<const RemoteBlob*> batch_blobs;
    uint64_t batch_bytes = 0;
    while (next < to_fetch.size() &&
           (batch.empty() ||
            (batch_bytes + to_fetch[next]->size <= options.batch_bytes && batch.size() < 256))) {
      const RemoteBlob* blob = to_fetch[next++];
      cache::remote::BlobTransfer t;
      t.digest = blob->digest;  // no size: a blob of the wrong size must reach the hash check
      t.local_path = util::join_path(scratch_dir, util::to_hex(blob->digest));
      batch_bytes += blob->size;
      batch.push_back(std::move(t));
      batch_blobs.push_back(blob);
    }
    remote.download_blobs(batch, transfer_options);
    for (size_t i = 0; i < batch.size(); ++i) {
      const auto& t = batch[i];
      std::string hex = util::to_hex(t.digest);
      if (!t.outcome.ok) {
        // Missing here although the HEAD found it: deleted meanwhile, or the transfer failed.
        incomplete(t.outcome.error);
        ::unlink(t.local_path.c_str());
        continue;
      }
      std::string error;
      auto actual = cache::digest_of_file(t.local_path, &error);
      if (auto st = util::stat_path(t.local_path)) section.counts.bytes += st->size;
      ::unlink(t.local_path.c_str());
      if (!actual) {
        incomplete(error);
        continue;
      }
      if (*actual == t.digest) continue;
      report.problems.push_back(
          {"remote", "corrupt-blob", hex,
           fmt::format("blob {} holds content that hashes to {}", hex, util::to_hex(*actual)),
           false});
      blame(*batch_blobs[i], "bad-blob",
            fmt::format("blob {} ({}) does not match its digest", hex, batch_blobs[i]->first_path));
    }
  }

  if (options.remove_broken) {
    // Records first: a reader that finds a record must find its blobs.
    for (auto& problem : report.problems) {
      if (problem.where != "remote" || problem.kind == "bad-name" || problem.kind == "corrupt-blob")
        continue;
      auto key = util::digest_from_hex(problem.subject);
      cache::remote::Outcome outcome = remote.delete_record(*key);
      problem.removed = outcome.ok;
      if (!outcome.ok) incomplete(outcome.error);
    }
    for (auto& problem : report.problems) {
      if (problem.where != "remote" || problem.kind != "corrupt-blob") continue;
      cache::remote::Outcome outcome = remote.delete_blob(*util::digest_from_hex(problem.subject));
      problem.removed = outcome.ok;
      if (!outcome.ok) incomplete(outcome.error);
    }
  }
  report.sections.push_back(std::move(section));
}

}  // namespace luisy::engine
