#pragma once
// OpenSSL's libcrypto, loaded with dlopen the first time the remote cache needs it, like
// libcurl (curl_api.h): linked, it cost every run ~0.7 ms of start-up (3,400 symbol
// bindings), as much as all of ninja's. The remote cache uses HMAC-SHA256 (Shared Key) and
// MD5 (Content-MD5); the OpenSSL headers give the types, this table the functions.
#include <openssl/evp.h>
#include <openssl/hmac.h>

namespace luisy::cache::remote {

struct CryptoApi {
  EVP_MD_CTX* (*md_ctx_new)();
  void (*md_ctx_free)(EVP_MD_CTX*);
  int (*digest_init_ex)(EVP_MD_CTX*, const EVP_MD*, ENGINE*);
  int (*digest_update)(EVP_MD_CTX*, const void*, size_t);
  int (*digest_final_ex)(EVP_MD_CTX*, unsigned char*, unsigned int*);
  const EVP_MD* (*md5)();
  const EVP_MD* (*sha256)();
  unsigned char* (*hmac)(const EVP_MD*, const void*, int, const unsigned char*, size_t,
                         unsigned char*, unsigned int*);
};

// Loads libcrypto (once per process, thread-safe). Throws luisy::Error ("the remote cache
// needs OpenSSL's libcrypto (...)") when it cannot be loaded or lacks a function; every call
// after a failure throws the same error again.
const CryptoApi& crypto_api();

}  // namespace luisy::cache::remote
