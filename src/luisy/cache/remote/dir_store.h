#pragma once
// The directory backend of RemoteStore, for a team share (NFS, SMB) or tests:
// `<root>/<prefix>/cas/<2 hex>/<digest>` and `<root>/<prefix>/ac/<key>`. Blobs are written
// once through temp + rename (never linked), records the same way and only after their blobs.
#include <memory>
#include <string>

#include "luisy/cache/remote/remote_store.h"

namespace luisy::cache::remote {

class DirStore : public RemoteStore {
 public:
  // `root` is made absolute; `prefix` is a validated relative path (e.g. the project name).
  DirStore(std::string root, std::string prefix);

  std::string describe() const override;
  // Creates <root>/<prefix> when missing and proves it is writable; throws Error naming it.
  void check_access() override;
  std::optional<std::string> get_record(const util::Digest& key, Failure* failure) override;
  Outcome put_record(const util::Digest& key, const std::string& bytes) override;
  std::vector<bool> has_blobs(const std::vector<util::Digest>& digests, Failure* failure) override;
  void upload_blobs(std::vector<BlobTransfer>& transfers, const TransferOptions& options) override;
  void download_blobs(std::vector<BlobTransfer>& transfers,
                      const TransferOptions& options) override;
  std::vector<std::string> list_records(Failure* failure) override;
  Outcome delete_record(const util::Digest& key) override;
  Outcome delete_blob(const util::Digest& digest) override;

  std::string blob_path(const util::Digest& digest) const;
  std::string record_path(const util::Digest& key) const;

 private:
  Outcome upload_one(BlobTransfer& transfer);
  Outcome download_one(BlobTransfer& transfer);

  std::string root_;
  std::string base_;  // root_/prefix
};

std::unique_ptr<RemoteStore> open_dir_store(const std::string& root, const std::string& prefix);

}  // namespace luisy::cache::remote
