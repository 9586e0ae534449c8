#ifndef REVIEW_CCURLSHIMS_H
#define REVIEW_CCURLSHIMS_H

#include <curl/curl.h>

/// `curl_easy_setopt` for options that take a `long`.
CURLcode review_curl_setopt_long(CURL *handle, CURLoption option, long value);

/// `curl_easy_setopt` for options that take a pointer (strings, lists, user data).
CURLcode review_curl_setopt_pointer(CURL *handle, CURLoption option, const void *value);

/// `curl_easy_setopt` for options that take a `curl_off_t`.
CURLcode review_curl_setopt_off_t(CURL *handle, CURLoption option, curl_off_t value);

/// The signature of libcurl's read, write and header callbacks.
typedef size_t (*review_curl_data_callback)(char *buffer, size_t size, size_t count, void *user);

/// `curl_easy_setopt` for `CURLOPT_WRITEFUNCTION`, `CURLOPT_HEADERFUNCTION` and `CURLOPT_READFUNCTION`.
CURLcode review_curl_setopt_data_callback(CURL *handle, CURLoption option, review_curl_data_callback callback);

/// `curl_easy_getinfo` for information that is a `long` (e.g. `CURLINFO_RESPONSE_CODE`).
CURLcode review_curl_getinfo_long(CURL *handle, CURLINFO info, long *value);

#endif
