// The Azure store against Azurite. These run only when LUISY_TEST_AZURE_ENDPOINT names a
// running emulator (tests/integration/test_azure_backend.sh starts one); otherwise they say
// so and pass without a server.
#include <doctest/doctest.h>
#include <fmt/format.h>

#include <algorithm>
#include <chrono>
#include <cstdlib>
#include <random>

#include "luisy/cache/remote/azure_auth.h"
#include "luisy/cache/remote/azure_config.h"
#include "luisy/cache/remote/azure_store.h"
#include "luisy/util/error.h"
#include "luisy/util/fs.h"

using namespace luisy;
using namespace luisy::cache::remote;

namespace {

std::optional<std::string> test_endpoint() {
  const char* value = std::getenv("LUISY_TEST_AZURE_ENDPOINT");
  if (!value || !*value) {
    MESSAGE("LUISY_TEST_AZURE_ENDPOINT is not set: skipping the tests that need Azurite");
    return std::nullopt;
  }
  return std::string(value);
}

std::string unique_name(const char* stem) {
  static std::mt19937_64 rng{std::random_device{}()};
  return fmt::format("{}-{:016x}", stem, rng());
}

AzureConfig key_config(const std::string& endpoint, const std::string& container) {
  AzureConfig config;
  config.account = "devstoreaccount1";
  config.container = container;
  config.endpoint = endpoint;
  config.shared_key = kDevelopmentStorageKey;
  config.path_style = true;
  return config;
}

AzureConfig sas_config(const std::string& endpoint, const std::string& container,
                       const std::string& permissions = "rwdlacu") {
  AccountSas sas;
  sas.permissions = permissions;
  sas.expiry = iso8601_utc(std::chrono::system_clock::now() + std::chrono::hours(1));
  AzureConfig config = key_config(endpoint, container);
  config.shared_key.clear();
  config.sas_token = account_sas_token("devstoreaccount1", kDevelopmentStorageKey, sas);
  return config;
}

// Small sizes so that the block and range paths run on a 20 MiB file.
AzureStoreOptions small_options() {
  AzureStoreOptions options;
  options.single_put_max = 1 << 20;
  options.block_size = 1 << 20;
  options.ranged_download_min = 4 << 20;
  options.range_size = 1 << 20;
  options.http.retry_base_ms = 10;
  return options;
}

struct TempDir {
  std::string path;
  TempDir() {
    std::string pattern = "/tmp/luisy-azure-test.XXXXXX";
    path = mkdtemp(pattern.data());
  }
  ~TempDir() { util::remove_all(path); }
};

std::string pseudo_random_bytes(size_t size, uint64_t seed) {
  std::mt19937_64 rng(seed);
  std::string bytes(size, '\0');
  for (size_t i = 0; i < size; i += 8) {
    uint64_t value = rng();
    for (size_t k = 0; k < 8 && i + k < size; ++k)
      bytes[i + k] = static_cast<char>(value >> (8 * k));
  }
  return bytes;
}

BlobTransfer file_transfer(const std::string& path, const std::string& content) {
  util::write_file_atomic(path, content);
  BlobTransfer transfer;
  transfer.digest = util::digest_of(content);
  transfer.local_path = path;
  transfer.size = content.size();
  return transfer;
}

// Records, small and large blobs, create-only uploads, downloads: the same for any credential.
void exercise_store(RemoteStore& store, const std::string& dir) {
  store.check_access();
  store.check_access();  // the container exists now

  util::Digest key = util::digest_of("task key");
  Failure failure;
  CHECK_FALSE(store.get_record(key, &failure).has_value());
  CHECK(failure.message.empty());
  CHECK(store.put_record(key, "record v1").ok);
  CHECK(store.get_record(key, &failure) == std::optional<std::string>("record v1"));
  CHECK(store.put_record(key, "record v2").ok);  // records overwrite
  CHECK(store.get_record(key, &failure) == std::optional<std::string>("record v2"));

  // For luisy verify: listing, many records at once, deleting (absent counts as deleted).
  util::Digest key2 = util::digest_of("second key");
  CHECK(store.put_record(key2, "record 2").ok);
  std::vector<std::string> names = store.list_records(&failure);
  CHECK(failure.message.empty());
  std::sort(names.begin(), names.end());
  std::vector<std::string> expected = {util::to_hex(key), util::to_hex(key2)};
  std::sort(expected.begin(), expected.end());
  CHECK(names == expected);
  auto texts = store.get_records({key, key2, util::digest_of("absent")}, &failure);
  CHECK(failure.message.empty());
  CHECK(texts == std::vector<std::optional<std::string>>{"record v2", "record 2", std::nullopt});
  CHECK(store.delete_record(key2).ok);
  CHECK(store.delete_record(key2).ok);
  CHECK(store.list_records(&failure) == std::vector<std::string>{util::to_hex(key)});

  std::vector<BlobTransfer> uploads = {
      file_transfer(dir + "/small", "small blob contents"),
      file_transfer(dir + "/empty", ""),
      file_transfer(dir + "/large", pseudo_random_bytes((20 << 20) + 12345, 7)),
  };
  std::vector<util::Digest> digests;
  for (const auto& t : uploads) digests.push_back(t.digest);
  CHECK(store.has_blobs(digests, &failure) == std::vector<bool>{false, false, false});
  CHECK(failure.message.empty());

  store.upload_blobs(uploads, TransferOptions{8});
  for (const auto& t : uploads) CHECK_MESSAGE(t.outcome.ok, t.outcome.error);
  CHECK(uploads[0].bytes == uploads[0].size);
  CHECK(uploads[2].bytes == uploads[2].size);
  CHECK(store.has_blobs(digests, &failure) == std::vector<bool>{true, true, true});

  // Create-only: uploading the same content again succeeds without writing.
  store.upload_blobs(uploads, TransferOptions{8});
  for (const auto& t : uploads) CHECK_MESSAGE(t.outcome.ok, t.outcome.error);
  CHECK(uploads[0].bytes == 0);
  CHECK(uploads[2].bytes == 0);  // found by HEAD, no block sent

  std::vector<BlobTransfer> downloads;
  for (const auto& t : uploads) {
    BlobTransfer d = t;
    d.local_path = dir + "/down/" + util::to_hex(t.digest);
    downloads.push_back(d);
  }
  BlobTransfer unknown_size = downloads[2];  // the whole large blob in one GET
  unknown_size.size = 0;
  unknown_size.local_path += ".whole";
  downloads.push_back(unknown_size);
  BlobTransfer missing;
  missing.digest = util::digest_of("never uploaded");
  missing.local_path = dir + "/down/missing";
  downloads.push_back(missing);

  store.download_blobs(downloads, TransferOptions{8});
  for (size_t i = 0; i < 4; ++i) {
    CHECK_MESSAGE(downloads[i].outcome.ok, downloads[i].outcome.error);
    INFO("download ", i);
    const BlobTransfer& source = uploads[i < 3 ? i : 2];
    CHECK(util::digest_of(util::read_file(downloads[i].local_path)) == source.digest);
    CHECK(downloads[i].bytes == source.size);
  }
  CHECK_FALSE(downloads[4].outcome.ok);
  CHECK(downloads[4].outcome.error.find("missing") != std::string::npos);
  // No partial or temporary file is left behind.
  CHECK(util::list_files(dir + "/down").size() == 4);

  CHECK(store.delete_blob(digests[0]).ok);
  CHECK(store.delete_blob(digests[0]).ok);
  CHECK(store.has_blobs(digests, &failure) == std::vector<bool>{false, true, true});
}

}  // namespace

TEST_SUITE("azure") {
  TEST_CASE("azure store: Shared Key against Azurite") {
    auto endpoint = test_endpoint();
    if (!endpoint) return;
    TempDir dir;
    auto store =
        open_azure_store(key_config(*endpoint, unique_name("key")), "proj", small_options());
    CHECK(store->describe().find("azure://devstoreaccount1/key-") == 0);
    exercise_store(*store, dir.path);
  }

  TEST_CASE("azure store: account SAS against Azurite") {
    auto endpoint = test_endpoint();
    if (!endpoint) return;
    TempDir dir;
    auto store =
        open_azure_store(sas_config(*endpoint, unique_name("sas")), "team/proj", small_options());
    exercise_store(*store, dir.path);
  }

  TEST_CASE("azure store: a file that changed since it was hashed is not uploaded") {
    auto endpoint = test_endpoint();
    if (!endpoint) return;
    TempDir dir;
    auto store =
        open_azure_store(key_config(*endpoint, unique_name("changed")), "", small_options());
    store->check_access();
    std::vector<BlobTransfer> uploads = {
        file_transfer(dir.path + "/a", "original"),
        file_transfer(dir.path + "/b", pseudo_random_bytes(3 << 20, 1))};
    util::write_file_atomic(dir.path + "/a", "modified");
    util::write_file_atomic(dir.path + "/b", pseudo_random_bytes(3 << 20, 2));
    store->upload_blobs(uploads, TransferOptions{4});
    Failure failure;
    for (const auto& t : uploads) {
      CHECK_FALSE(t.outcome.ok);
      CHECK(t.outcome.error.find("changed since it was hashed") != std::string::npos);
    }
    CHECK(store->has_blobs({uploads[0].digest, uploads[1].digest}, &failure) ==
          std::vector<bool>{false, false});
  }

  TEST_CASE("azure store: rejected credentials never show the secret") {
    auto endpoint = test_endpoint();
    if (!endpoint) return;
    const std::string container = unique_name("denied");

    AzureConfig wrong_key = key_config(*endpoint, container);
    wrong_key.shared_key =
        base64_encode("definitely not the account key, 64 bytes long.................");
    std::string message;
    try {
      open_azure_store(wrong_key, "p", small_options())->check_access();
    } catch (const Error& error) {
      message = error.what();
    }
    CHECK(message.find("rejected the credentials") != std::string::npos);
    CHECK(message.find("'devstoreaccount1'") != std::string::npos);
    CHECK(message.find(container) != std::string::npos);
    CHECK(message.find(wrong_key.shared_key) == std::string::npos);

    AzureConfig tampered = sas_config(*endpoint, container);
    tampered.sas_token.replace(tampered.sas_token.find("sig=") + 4, 4, "AAAA");
    message.clear();
    try {
      open_azure_store(tampered, "p", small_options())->check_access();
    } catch (const Error& error) {
      message = error.what();
    }
    CHECK(message.find("HTTP 403") != std::string::npos);
    CHECK(message.find("sig=") == std::string::npos);
    CHECK(message.find(tampered.sas_token.substr(tampered.sas_token.find("sig=") + 4)) ==
          std::string::npos);
  }

  TEST_CASE("azure store: a read-only SAS fails uploads as outcomes, not exceptions") {
    auto endpoint = test_endpoint();
    if (!endpoint) return;
    TempDir dir;
    const std::string container = unique_name("readonly");
    open_azure_store(key_config(*endpoint, container), "p", small_options())->check_access();
    AzureConfig config = sas_config(*endpoint, container, "rl");
    auto store = open_azure_store(config, "p", small_options());
    store->check_access();
    std::vector<BlobTransfer> uploads = {file_transfer(dir.path + "/a", "contents")};
    store->upload_blobs(uploads, TransferOptions{});
    CHECK_FALSE(uploads[0].outcome.ok);
    CHECK(uploads[0].outcome.error.find("403") != std::string::npos);
    CHECK(uploads[0].outcome.error.find("sig=") == std::string::npos);
    CHECK_FALSE(store->put_record(util::digest_of("k"), "r").ok);
  }

  TEST_CASE("azure store: an endpoint nobody listens on is named in the error") {
    auto endpoint = test_endpoint();
    if (!endpoint) return;
    AzureStoreOptions options = small_options();
    options.http.max_retries = 1;
    // Port 1 on the loopback: connection refused at once.
    auto store =
        open_azure_store(key_config("http://127.0.0.1:1/devstoreaccount1", "c"), "p", options);
    std::string message;
    try {
      store->check_access();
    } catch (const Error& error) {
      message = error.what();
    }
    CHECK(message.find("cannot reach Azure Blob Storage at 127.0.0.1:1") != std::string::npos);
  }
}
