#pragma once
// libcurl, loaded with dlopen the first time a remote request is made. Linking it would make
// every run, the no-op included, load its ~35 dependencies (gnutls, krb5, ldap, ssh2...):
// about a quarter of a 1,000-task no-op's CPU went to the dynamic loader. The curl headers
// still give the types and constants; the functions come from this table.
#include <curl/curl.h>

namespace luisy::cache::remote {

struct CurlApi {
  CURL* (*easy_init)();
  void (*easy_reset)(CURL*);
  void (*easy_cleanup)(CURL*);
  CURLcode (*easy_setopt)(CURL*, CURLoption, ...);
  CURLcode (*easy_getinfo)(CURL*, CURLINFO, ...);
  const char* (*easy_strerror)(CURLcode);
  curl_slist* (*slist_append)(curl_slist*, const char*);
  void (*slist_free_all)(curl_slist*);
  CURLM* (*multi_init)();
  CURLMcode (*multi_setopt)(CURLM*, CURLMoption, ...);
  CURLMcode (*multi_cleanup)(CURLM*);
  CURLMcode (*multi_add_handle)(CURLM*, CURL*);
  CURLMcode (*multi_remove_handle)(CURLM*, CURL*);
  CURLMcode (*multi_perform)(CURLM*, int*);
  CURLMsg* (*multi_info_read)(CURLM*, int*);
  CURLMcode (*multi_poll)(CURLM*, curl_waitfd[], unsigned int, int, int*);
};

// Loads libcurl.so.4 (once per process, thread-safe) and initialises it. Throws luisy::Error
// ("the remote cache needs libcurl (libcurl.so.4): ...") when it cannot be loaded or lacks a
// function; the remote cache's callers turn that into a warning and a miss. Every call after
// a failure throws the same error again.
const CurlApi& curl_api();

}  // namespace luisy::cache::remote
