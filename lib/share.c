#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "buf.h"
#include "diag.h"
#include "share.h"

static char *
try_path(struct ve_buf *b)
{
	if (access(b->p, R_OK) == 0)
		return ve_xstrdup(b->p);
	return NULL;
}

char *
ve_share_path(const char *rel)
{
	struct ve_buf b = {0};
	char *found = NULL;
	const char *env = getenv("VLLM_EVAL_SHARE");
	char exe[PATH_MAX];
	ssize_t n;

	if (env && *env) {
		ve_buf_addf(&b, "%s/%s", env, rel);
		found = try_path(&b);
		goto out;
	}
	n = readlink("/proc/self/exe", exe, sizeof exe - 1);
	if (n <= 0)
		goto out;
	exe[n] = '\0';
	char *slash = strrchr(exe, '/');
	if (!slash)
		goto out;
	*slash = '\0';
	const char *sub[] = {"../share", "../share/vllm-eval"};
	for (size_t i = 0; i < sizeof sub / sizeof *sub && !found; i++) {
		ve_buf_reset(&b);
		ve_buf_addf(&b, "%s/%s/%s", exe, sub[i], rel);
		found = try_path(&b);
	}
out:
	ve_buf_free(&b);
	return found;
}
