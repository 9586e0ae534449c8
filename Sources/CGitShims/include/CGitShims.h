#ifndef REVIEW_CGITSHIMS_H
#define REVIEW_CGITSHIMS_H

#include <git2.h>

/// Turns libgit2's repository owner validation on (1) or off (0).
/// Wraps the variadic `git_libgit2_opts(GIT_OPT_SET_OWNER_VALIDATION, int)`.
int review_git_set_owner_validation(int enabled);

/// Turns libgit2's verification of every object's hash on read on (1) or off (0); git
/// itself does not re-hash objects on ordinary reads. Wraps the variadic
/// `git_libgit2_opts(GIT_OPT_ENABLE_STRICT_HASH_VERIFICATION, int)`.
int review_git_set_strict_hash_verification(int enabled);

#endif
