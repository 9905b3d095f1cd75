#include "luisy/cache/remote/crypto_api.h"

#include <dlfcn.h>
#include <fmt/format.h>
#include <openssl/opensslv.h>

#include <mutex>
#include <string>

#include "luisy/cache/remote/dynamic_symbols.h"
#include "luisy/util/error.h"

namespace luisy::cache::remote {
namespace {

// The library the headers we compiled against belong to.
#ifdef OPENSSL_VERSION_MAJOR
constexpr const char* kLibrary = "libcrypto.so." OPENSSL_MSTR(OPENSSL_VERSION_MAJOR);
#else
constexpr const char* kLibrary = "libcrypto.so.1.1";
#endif

struct Loaded {
  CryptoApi api{};
  std::string error;  // empty when api is usable
};

Loaded load() {
  Loaded loaded;
  // Never unloaded. libcurl, when loaded, has usually brought it in already.
  void* handle = ::dlopen(kLibrary, RTLD_NOW | RTLD_LOCAL);
  if (!handle) {
    const char* why = ::dlerror();
    loaded.error = why ? why : fmt::format("cannot load {}", kLibrary);
    return loaded;
  }
  CryptoApi& a = loaded.api;
  std::string& e = loaded.error;
  resolve_symbol(handle, kLibrary, "EVP_MD_CTX_new", a.md_ctx_new, e);
  resolve_symbol(handle, kLibrary, "EVP_MD_CTX_free", a.md_ctx_free, e);
  resolve_symbol(handle, kLibrary, "EVP_DigestInit_ex", a.digest_init_ex, e);
  resolve_symbol(handle, kLibrary, "EVP_DigestUpdate", a.digest_update, e);
  resolve_symbol(handle, kLibrary, "EVP_DigestFinal_ex", a.digest_final_ex, e);
  resolve_symbol(handle, kLibrary, "EVP_md5", a.md5, e);
  resolve_symbol(handle, kLibrary, "EVP_sha256", a.sha256, e);
  resolve_symbol(handle, kLibrary, "HMAC", a.hmac, e);
  return loaded;
}

}  // namespace

const CryptoApi& crypto_api() {
  static std::once_flag once;
  static Loaded loaded;
  std::call_once(once, [] { loaded = load(); });
  if (!loaded.error.empty())
    throw Error(fmt::format("the remote cache needs OpenSSL's libcrypto ({}): {}", kLibrary,
                            loaded.error));
  return loaded.api;
}

}  // namespace luisy::cache::remote
