#pragma once
// Filling a table of function pointers from a library opened with dlopen (curl_api.cpp,
// crypto_api.cpp): libraries only the remote cache needs are loaded by its first request.
#include <dlfcn.h>
#include <fmt/format.h>

#include <string>

namespace luisy::cache::remote {

// Sets `slot` to the function `name` of `handle`; on the first missing one, `error` says
// which (later misses keep the first message).
template <typename F>
void resolve_symbol(void* handle, const char* library, const char* name, F& slot,
                    std::string& error) {
  if (void* symbol = ::dlsym(handle, name)) {
    slot = reinterpret_cast<F>(symbol);
  } else if (error.empty()) {
    const char* why = ::dlerror();
    error = why ? why : fmt::format("{}: no symbol {}", library, name);
  }
}

}  // namespace luisy::cache::remote
