/*
 * Finding the data files under share/ (metric policy, SQL schema and named
 * queries) without a path compiled in: $VLLM_EVAL_SHARE first, then the
 * directories next to the running program: ../share (a build tree's bin/)
 * and ../share/vllm-eval (an installed PREFIX/bin).
 */
#ifndef VE_SHARE_H
#define VE_SHARE_H

/* The path of share/REL that exists, newly allocated, or NULL. */
char *ve_share_path(const char *rel);

#endif
