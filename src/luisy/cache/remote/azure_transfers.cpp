// Parallel blob transfers for the Azure store: single create-only PUTs for small files,
// Put Block + Put Block List for large ones, whole or ranged GETs into a temporary file.
#include "luisy/cache/remote/azure_transfers.h"

#include <fcntl.h>
#include <fmt/format.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <deque>

#include "luisy/cache/remote/azure_auth.h"
#include "luisy/cache/remote/crc64.h"
#include "luisy/util/error.h"
#include "luisy/util/fs.h"

namespace luisy::cache::remote {
namespace {

bool read_exact(int fd, std::string& buffer, uint64_t offset, uint64_t size) {
  buffer.resize(size);
  uint64_t done = 0;
  while (done < size) {
    ssize_t n = ::pread(fd, buffer.data() + done, size - done, static_cast<off_t>(offset + done));
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) return false;
    done += static_cast<uint64_t>(n);
  }
  return true;
}

struct FileDescriptor {
  int fd = -1;
  FileDescriptor() = default;
  explicit FileDescriptor(int f) : fd(f) {}
  FileDescriptor(const FileDescriptor&) = delete;
  FileDescriptor& operator=(const FileDescriptor&) = delete;
  ~FileDescriptor() { reset(); }
  int reset() {
    int result = fd >= 0 ? ::close(fd) : 0;
    fd = -1;
    return result;
  }
};

// What a request in flight is for, found again through HttpRequest::tag.
enum class JobKind { kPutBlob, kPutBlock, kPutBlockList, kGetWhole, kGetRange };
struct Job {
  JobKind kind;
  size_t transfer;
  uint64_t length = 0;  // expected bytes of a range
};

// Block IDs: equal length for one blob, Base64 in the body, percent-encoded in the URL.
std::string block_id(uint64_t index) {
  return base64_encode(fmt::format("luisy-{:010d}", index));
}

void fail(BlobTransfer& transfer, std::string message, bool local = false) {
  if (!transfer.outcome.ok) return;  // keep the first reason
  transfer.outcome.ok = false;
  transfer.outcome.error = std::move(message);
  transfer.outcome.local = local;
}

}  // namespace

static std::string azure_error_code(const HttpResponse& response) {
  auto it = response.headers.find("x-ms-error-code");
  return it == response.headers.end() ? "" : " " + it->second;
}

// "HTTP 503 ServerBusy" or the transport error; never the URL.
std::string describe_azure_failure(const HttpResponse& response) {
  if (response.status == 0) return response.error;
  if (!response.error.empty()) return response.error;
  return fmt::format("HTTP {}{}", response.status, azure_error_code(response));
}

HttpRequest azure_put_blob_request(std::string url, std::string body) {
  HttpRequest request;
  request.method = "PUT";
  request.url = std::move(url);
  request.headers = {
      {"x-ms-blob-type", "BlockBlob"},
      {"x-ms-content-crc64", crc64_header_value(crc64_nvme(0, body.data(), body.size()))}};
  request.body = std::move(body);
  return request;
}

void upload_azure_blobs(const AzureBlobAccess& access, std::vector<BlobTransfer>& transfers,
                        const TransferOptions& options, const std::vector<bool>& present) {
  const AzureStoreOptions& sizes = access.options;
  struct State {
    FileDescriptor file;
    uint64_t size = 0;
    uint64_t blocks = 0;
    uint64_t next_block = 0;
    uint64_t blocks_done = 0;
    std::unique_ptr<util::Hasher> hasher;  // proves the blocks we send match the digest
  };
  for (BlobTransfer& transfer : transfers)
    transfer.outcome = {}, transfer.bytes = 0, transfer.already_present = false;
  std::vector<State> states(transfers.size());
  std::vector<Job> jobs;
  std::deque<HttpRequest> ready;  // block lists whose blocks are all up
  size_t cursor = 0;

  for (size_t i = 0; i < transfers.size() && i < present.size(); ++i)
    if (present[i]) {
      states[i].next_block = 1;  // already there: nothing to send
      transfers[i].already_present = true;
    }

  auto add_job = [&](HttpRequest& request, JobKind kind, size_t index) {
    request.tag = jobs.size();
    jobs.push_back({kind, index});
  };

  auto next = [&]() -> std::optional<HttpRequest> {
    if (!ready.empty()) {
      HttpRequest request = std::move(ready.front());
      ready.pop_front();
      return request;
    }
    while (cursor < transfers.size()) {
      BlobTransfer& transfer = transfers[cursor];
      State& state = states[cursor];
      if (!transfer.outcome.ok || (state.file.fd < 0 && state.next_block > 0) ||
          (state.blocks > 0 && state.next_block >= state.blocks)) {
        ++cursor;
        continue;
      }
      if (state.file.fd < 0) {
        state.file.fd = ::open(transfer.local_path.c_str(), O_RDONLY | O_CLOEXEC);
        struct stat st {};
        if (state.file.fd < 0 || ::fstat(state.file.fd, &st) != 0) {
          fail(transfer,
               fmt::format("cannot read {}: {}", transfer.local_path, std::strerror(errno)));
          continue;
        }
        state.size = static_cast<uint64_t>(st.st_size);
        if (transfer.size != 0 && state.size != transfer.size) {
          fail(transfer, fmt::format("{} changed since it was hashed", transfer.local_path));
          continue;
        }
        if (state.size <= sizes.single_put_max) {
          std::string body;
          if (!read_exact(state.file.fd, body, 0, state.size)) {
            fail(transfer,
                 fmt::format("cannot read {}: {}", transfer.local_path, std::strerror(errno)));
            continue;
          }
          state.file.reset();
          state.next_block = 1;  // marks "issued"
          if (util::digest_of(body) != transfer.digest) {
            fail(transfer, fmt::format("{} changed since it was hashed", transfer.local_path));
            continue;
          }
          HttpRequest request =
              azure_put_blob_request(access.blob_url(transfer.digest, ""), std::move(body));
          request.headers.emplace_back("If-None-Match", "*");
          add_job(request, JobKind::kPutBlob, cursor);
          ++cursor;
          return request;
        }
        state.blocks = (state.size + sizes.block_size - 1) / sizes.block_size;
        state.hasher = std::make_unique<util::Hasher>();
      }
      uint64_t offset = state.next_block * sizes.block_size;
      uint64_t length = std::min(sizes.block_size, state.size - offset);
      std::string body;
      if (!read_exact(state.file.fd, body, offset, length)) {
        fail(transfer,
             fmt::format("cannot read {}: {}", transfer.local_path, std::strerror(errno)));
        continue;
      }
      state.hasher->update(body);
      HttpRequest request;
      request.method = "PUT";
      request.url = access.blob_url(
          transfer.digest, "comp=block&blockid=" + percent_encode(block_id(state.next_block)));
      request.headers = {
          {"x-ms-content-crc64", crc64_header_value(crc64_nvme(0, body.data(), body.size()))}};
      request.body = std::move(body);
      add_job(request, JobKind::kPutBlock, cursor);
      if (++state.next_block == state.blocks) state.file.reset();
      return request;
    }
    return std::nullopt;
  };

  auto done = [&](HttpRequest& request, HttpResponse& response) {
    const Job& job = jobs[request.tag];
    BlobTransfer& transfer = transfers[job.transfer];
    State& state = states[job.transfer];
    switch (job.kind) {
      case JobKind::kPutBlob:
      case JobKind::kPutBlockList:
        // 409 under If-None-Match: * means the blob is already there: content-addressed, done.
        if ((response.status == 201 || response.status == 409) && response.error.empty()) {
          if (response.status == 201) transfer.bytes = state.size;
          transfer.already_present = response.status == 409;
        } else {
          fail(transfer, fmt::format("uploading {} to {} failed: {}", util::to_hex(transfer.digest),
                                     access.description, describe_azure_failure(response)));
        }
        break;
      case JobKind::kPutBlock:
        if (response.status != 201 || !response.error.empty()) {
          fail(transfer, fmt::format("uploading a block of {} to {} failed: {}",
                                     util::to_hex(transfer.digest), access.description,
                                     describe_azure_failure(response)));
          break;
        }
        if (++state.blocks_done < state.blocks || !transfer.outcome.ok) break;
        if (state.hasher->finish() != transfer.digest) {
          fail(transfer, fmt::format("{} changed since it was hashed", transfer.local_path));
          break;
        }
        {
          std::string xml = "<?xml version=\"1.0\" encoding=\"utf-8\"?><BlockList>";
          for (uint64_t i = 0; i < state.blocks; ++i) xml += "<Latest>" + block_id(i) + "</Latest>";
          xml += "</BlockList>";
          HttpRequest list;
          list.method = "PUT";
          list.url = access.blob_url(transfer.digest, "comp=blocklist");
          list.headers = {
              {"If-None-Match", "*"},
              {"x-ms-content-crc64", crc64_header_value(crc64_nvme(0, xml.data(), xml.size()))}};
          list.body = std::move(xml);
          add_job(list, JobKind::kPutBlockList, job.transfer);
          ready.push_back(std::move(list));
        }
        break;
      default:
        break;
    }
  };
  access.http.run(next, done, options.max_in_flight);
}

void download_azure_blobs(const AzureBlobAccess& access, std::vector<BlobTransfer>& transfers,
                          const TransferOptions& options) {
  const AzureStoreOptions& sizes = access.options;
  struct State {
    FileDescriptor file;
    std::string temp_path;
    uint64_t parts = 0;
    uint64_t next_part = 0;
    uint64_t parts_done = 0;
    bool started = false;
  };
  for (BlobTransfer& transfer : transfers) transfer.outcome = {}, transfer.bytes = 0;
  std::vector<State> states(transfers.size());
  std::vector<Job> jobs;
  size_t cursor = 0;

  auto finish = [&](size_t index) {
    BlobTransfer& transfer = transfers[index];
    State& state = states[index];
    if (state.file.reset() != 0)
      fail(transfer, fmt::format("cannot write {}", state.temp_path), /*local=*/true);
    if (transfer.outcome.ok && !transfer.in_place &&
        ::rename(state.temp_path.c_str(), transfer.local_path.c_str()) != 0)
      fail(transfer,
           fmt::format("cannot rename {} to {}: {}", state.temp_path, transfer.local_path,
                       std::strerror(errno)),
           /*local=*/true);
    if (!transfer.outcome.ok) ::unlink(state.temp_path.c_str());
    if (options.on_downloaded) options.on_downloaded(index);
  };

  auto next = [&]() -> std::optional<HttpRequest> {
    while (cursor < transfers.size()) {
      BlobTransfer& transfer = transfers[cursor];
      State& state = states[cursor];
      if (state.started && (state.next_part >= state.parts || !transfer.outcome.ok)) {
        ++cursor;
        continue;
      }
      if (!state.started) {
        state.started = true;
        state.temp_path = transfer.in_place ? transfer.local_path
                                            : fmt::format("{}.luisy-part-{}-{}",
                                                          transfer.local_path, ::getpid(), cursor);
        try {
          util::make_parent_dirs(transfer.local_path);
        } catch (const Error& error) {
          fail(transfer, error.what(), /*local=*/true);
          if (options.on_downloaded) options.on_downloaded(cursor);
          continue;
        }
        state.file.fd =
            ::open(state.temp_path.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
        if (state.file.fd < 0) {
          fail(transfer, fmt::format("cannot create {}: {}", state.temp_path, std::strerror(errno)),
               /*local=*/true);
          if (options.on_downloaded) options.on_downloaded(cursor);
          continue;
        }
        bool ranged = transfer.size >= sizes.ranged_download_min && transfer.size > 0;
        state.parts = ranged ? (transfer.size + sizes.range_size - 1) / sizes.range_size : 1;
        if (ranged && ::posix_fallocate(state.file.fd, 0, static_cast<off_t>(transfer.size)) != 0 &&
            ::ftruncate(state.file.fd, static_cast<off_t>(transfer.size)) != 0) {
          fail(transfer,
               fmt::format("cannot allocate {}: {}", state.temp_path, std::strerror(errno)),
               /*local=*/true);
          finish(cursor);
          continue;
        }
      }
      HttpRequest request;
      request.url = access.blob_url(transfer.digest, "");
      request.sink_fd = state.file.fd;
      Job job{JobKind::kGetWhole, cursor, transfer.size};
      if (state.parts > 1) {
        uint64_t offset = state.next_part * sizes.range_size;
        uint64_t length = std::min(sizes.range_size, transfer.size - offset);
        request.headers = {{"x-ms-range", fmt::format("bytes={}-{}", offset, offset + length - 1)}};
        request.sink_offset = offset;
        job = {JobKind::kGetRange, cursor, length};
      }
      if (job.length != 0) request.expected_bytes = job.length;
      ++state.next_part;
      request.tag = jobs.size();
      jobs.push_back(job);
      return request;
    }
    return std::nullopt;
  };

  auto done = [&](HttpRequest& request, HttpResponse& response) {
    const Job& job = jobs[request.tag];
    BlobTransfer& transfer = transfers[job.transfer];
    State& state = states[job.transfer];
    std::string hex = util::to_hex(transfer.digest);
    long expected_status = job.kind == JobKind::kGetRange ? 206 : 200;
    if (response.local_failure) {
      fail(transfer, fmt::format("cannot write {}: {}", state.temp_path, response.error),
           /*local=*/true);
    } else if (response.status != expected_status || !response.error.empty()) {
      fail(transfer, response.status == 404
                         ? fmt::format("blob {} is missing on {}", hex, access.description)
                         : fmt::format("downloading {} from {} failed: {}", hex, access.description,
                                       describe_azure_failure(response)));
    } else if (job.length != 0 && response.bytes_received != job.length) {
      fail(transfer, fmt::format("downloading {} from {}: got {} bytes, expected {}", hex,
                                 access.description, response.bytes_received, job.length));
    } else {
      transfer.bytes += response.bytes_received;
    }
    // The file is complete (or abandoned) once every part issued so far has come back.
    ++state.parts_done;
    bool all_back =
        transfer.outcome.ok ? state.parts_done == state.parts : state.parts_done == state.next_part;
    if (all_back) finish(job.transfer);
  };

  try {
    access.http.run(next, done, options.max_in_flight);
  } catch (...) {
    for (State& state : states)
      if (state.file.fd >= 0) ::unlink(state.temp_path.c_str());
    throw;
  }
}

}  // namespace luisy::cache::remote
