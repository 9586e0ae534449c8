#ifndef REVIEW_CCURL_SHIM_H
#define REVIEW_CCURL_SHIM_H
#include <curl/curl.h>
#endif
