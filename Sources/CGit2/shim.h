#ifndef REVIEW_CGIT2_SHIM_H
#define REVIEW_CGIT2_SHIM_H
#include <git2.h>
#endif
