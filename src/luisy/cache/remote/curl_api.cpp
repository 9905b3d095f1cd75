#include "luisy/cache/remote/curl_api.h"

#include <dlfcn.h>
#include <fmt/format.h>

#include <cstdlib>
#include <mutex>
#include <string>

#include "luisy/cache/remote/dynamic_symbols.h"
#include "luisy/util/error.h"

namespace luisy::cache::remote {
namespace {

constexpr const char* kLibrary = "libcurl.so.4";

struct Loaded {
  CurlApi api{};
  std::string error;  // empty when api is usable
};

Loaded load() {
  Loaded loaded;
  // LUISY_LIBCURL names another build to load (libcurl-gnutls.so.4, say; tests name a
  // missing file).
  const char* name = std::getenv("LUISY_LIBCURL");
  if (!name || !*name) name = kLibrary;
  // Never unloaded: handles may outlive any owner we could tie the library to.
  void* handle = ::dlopen(name, RTLD_NOW | RTLD_LOCAL);
  if (!handle) {
    const char* why = ::dlerror();
    loaded.error = why ? why : fmt::format("cannot load {}", name);
    return loaded;
  }
  CurlApi& a = loaded.api;
  std::string& e = loaded.error;
  resolve_symbol(handle, kLibrary, "curl_easy_init", a.easy_init, e);
  resolve_symbol(handle, kLibrary, "curl_easy_reset", a.easy_reset, e);
  resolve_symbol(handle, kLibrary, "curl_easy_cleanup", a.easy_cleanup, e);
  resolve_symbol(handle, kLibrary, "curl_easy_setopt", a.easy_setopt, e);
  resolve_symbol(handle, kLibrary, "curl_easy_getinfo", a.easy_getinfo, e);
  resolve_symbol(handle, kLibrary, "curl_easy_strerror", a.easy_strerror, e);
  resolve_symbol(handle, kLibrary, "curl_slist_append", a.slist_append, e);
  resolve_symbol(handle, kLibrary, "curl_slist_free_all", a.slist_free_all, e);
  resolve_symbol(handle, kLibrary, "curl_multi_init", a.multi_init, e);
  resolve_symbol(handle, kLibrary, "curl_multi_setopt", a.multi_setopt, e);
  resolve_symbol(handle, kLibrary, "curl_multi_cleanup", a.multi_cleanup, e);
  resolve_symbol(handle, kLibrary, "curl_multi_add_handle", a.multi_add_handle, e);
  resolve_symbol(handle, kLibrary, "curl_multi_remove_handle", a.multi_remove_handle, e);
  resolve_symbol(handle, kLibrary, "curl_multi_perform", a.multi_perform, e);
  resolve_symbol(handle, kLibrary, "curl_multi_info_read", a.multi_info_read, e);
  resolve_symbol(handle, kLibrary, "curl_multi_poll", a.multi_poll, e);
  CURLcode (*global_init)(long) = nullptr;
  resolve_symbol(handle, kLibrary, "curl_global_init", global_init, e);
  if (!e.empty()) return loaded;
  // Once, before any other thread uses curl (curl_global_init is not thread-safe in older
  // libcurl): the caller holds the once-flag.
  if (CURLcode code = global_init(CURL_GLOBAL_DEFAULT); code != CURLE_OK)
    e = fmt::format("curl_global_init failed: {}", a.easy_strerror(code));
  return loaded;
}

}  // namespace

const CurlApi& curl_api() {
  static std::once_flag once;
  static Loaded loaded;
  std::call_once(once, [] { loaded = load(); });
  if (!loaded.error.empty())
    throw Error(fmt::format("the remote cache needs libcurl ({}): {}", kLibrary, loaded.error));
  return loaded.api;
}

}  // namespace luisy::cache::remote
