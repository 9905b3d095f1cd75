#pragma once
// The result record of one task key: which outputs it produced, every file to materialise
// (with digest, size and mode), and the key's preimage. Stored as `ac/<key>` locally and on
// remotes. Records cross machines, so parsing is strict: a record that could place a file
// outside the workspace, or that names the wrong key, is refused.
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "luisy/util/digest.h"

namespace luisy::cache {

// Bumped when the record format changes incompatibly; older luisy refuses newer records.
// Format 1: files are blobs in cas/ (every remote record, and a local record without inline
// files, is written in it, byte for byte as before). Format 2: some files carry their content
// in the record ("content", Base64); written only to the local store. Both are read.
inline constexpr int kRecordFormat = 1;
inline constexpr int kRecordFormatInline = 2;

// Outputs smaller than this are kept inside the local store's record instead of as a blob of
// their own: on some file systems each file creation costs far more CPU than writing 4 KiB,
// and a small result is then one file instead of two (README "Performance").
inline constexpr uint64_t kInlineMaxBytes = 4096;

// A file to materialise, at a workspace-relative path.
struct FileEntry {
  std::string path;
  util::Digest digest;
  uint64_t size = 0;
  uint32_t mode = 0644;
  // The file's bytes when they are kept inside the record (local store only, size <
  // kInlineMaxBytes); parse_record guarantees they hash to `digest`.
  std::optional<std::string> content = std::nullopt;
  bool operator==(const FileEntry&) const = default;
};

// A declared output. A directory output ends in '/' and its digest is the tree digest.
struct OutputEntry {
  std::string path;
  util::Digest digest;
  bool operator==(const OutputEntry&) const = default;
};

struct ResultRecord {
  util::Digest key;
  std::vector<OutputEntry> outputs;
  std::vector<FileEntry> files;  // every file (directory outputs expanded), sorted by path
  std::string preimage;          // the key's preimage text
  int64_t created_at = 0;        // unix seconds
  std::string created_by;        // "user@host", no secrets
  std::string luisy_version;
  double seconds = 0;  // how long the task ran
  bool operator==(const ResultRecord&) const = default;
};

// JSON, one object, stable field order, files sorted by path. Format 1 unless a file carries
// inline content.
std::string serialize_record(const ResultRecord& record);

// The record without inline contents: what a remote stores (format 1, unchanged).
ResultRecord without_inline(ResultRecord record);

// nullopt and *error for anything malformed: bad JSON, wrong types, a digest that is not 32
// lowercase hex, an unsafe path (empty, absolute, a '..' component, '\0' or a newline), a
// duplicated file path, inline content that is not Base64 or does not match the file's size
// and digest (a damaged record), a newer format, or a key that differs from `expected_key`.
std::optional<ResultRecord> parse_record(std::string_view json, const util::Digest& expected_key,
                                         std::string* error);

// Whether a record (already parsed) can stand for its key, as a record from a remote must
// before it is used: its preimage hashes to its key, its outputs are the preimage's outputs
// in order, and each file is a file output (with that output's digest) or lies under a
// directory output. Without this a record could restore files onto any workspace path,
// sources included. Empty when it holds, else why not.
std::string record_inconsistency(const ResultRecord& record);

// Whether a record path may be used under the workspace: relative, non-empty, no '..'
// component, no '\0', '\n' or '\r'. `allow_trailing_slash` for directory outputs.
bool is_safe_record_path(std::string_view path, bool allow_trailing_slash);

}  // namespace luisy::cache
