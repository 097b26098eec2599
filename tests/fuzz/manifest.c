/*
 * Fuzz target: one dataset manifest, any bytes (tests/fuzz/README.md).
 *
 * ds-hash --check reads manifests that may come from anywhere. The bytes go
 * through ve_manifest_read (libyaml underneath), which must not crash or
 * leak on anything. A manifest it accepts must list only paths that stay in
 * the manifest's directory (ve_manifest_path_bad takes each), each with its
 * line; and written back in the form ds-hash --manifest writes, every scalar
 * by ve_manifest_add_str, it must read back to the same strings: whatever
 * a manifest holds, ds-hash can write and read again. Any disagreement
 * aborts with a message, which libFuzzer reports.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "buf.h"
#include "manifest.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void
disagree(const char *what, const char *a, const char *b)
{
	fprintf(stderr, "manifest: %s\n  first:  %s\n  second: %s\n", what, a ? a : "(none)",
	        b ? b : "(none)");
	abort();
}

static void
add_field(struct ve_buf *y, const char *indent, const char *name, const char *value)
{
	ve_buf_addf(y, "%s%s: ", indent, name);
	ve_manifest_add_str(y, value, strlen(value));
	ve_buf_addc(y, '\n');
}

/* mf written back as ds-hash --manifest writes one, every scalar quoted. */
static void
write_back(const struct ve_manifest *mf, struct ve_buf *y)
{
	add_field(y, "", "key", mf->key);
	add_field(y, "", "normalize", mf->normalize);
	ve_buf_adds(y, mf->nf ? "files:\n" : "files: []\n");
	for (int i = 0; i < mf->nf; i++) {
		const struct ve_manifest_file *f = &mf->f[i];
		add_field(y, "  - ", "path", f->path);
		add_field(y, "    ", "bytes", f->bytes);
		add_field(y, "    ", "sha256", f->sha256);
		add_field(y, "    ", "records", f->records);
		add_field(y, "    ", "keys", f->keys);
		if (f->nm)
			ve_buf_adds(y, "    members:\n");
		for (int j = 0; j < f->nm; j++) {
			add_field(y, "      - ", "name", f->m[j].name);
			add_field(y, "        ", "records", f->m[j].records);
			add_field(y, "        ", "keys", f->m[j].keys);
		}
	}
}

static void
same(const char *what, const char *a, const char *b)
{
	if (strcmp(a, b) != 0)
		disagree(what, a, b);
}

/* Every string of a as in b; their lines may differ. */
static void
same_manifest(const struct ve_manifest *a, const struct ve_manifest *b)
{
	same("key", a->key, b->key);
	same("normalize", a->normalize, b->normalize);
	if (a->nf != b->nf)
		disagree("the number of files differs", a->f ? a->f[0].path : NULL, NULL);
	for (int i = 0; i < a->nf; i++) {
		const struct ve_manifest_file *x = &a->f[i], *y = &b->f[i];
		same("path", x->path, y->path);
		same("bytes", x->bytes, y->bytes);
		same("sha256", x->sha256, y->sha256);
		same("records", x->records, y->records);
		same("keys", x->keys, y->keys);
		if (x->nm != y->nm)
			disagree("the number of members differs", x->path, y->path);
		for (int j = 0; j < x->nm; j++) {
			same("member name", x->m[j].name, y->m[j].name);
			same("member records", x->m[j].records, y->m[j].records);
			same("member keys", x->m[j].keys, y->m[j].keys);
		}
	}
}

/* An accepted manifest's paths stay in its directory, and each has its line. */
static void
check_paths(const struct ve_manifest *mf)
{
	for (int i = 0; i < mf->nf; i++) {
		const char *why = ve_manifest_path_bad(mf->f[i].path, strlen(mf->f[i].path));
		if (why)
			disagree("an accepted path is bad", mf->f[i].path, why);
		if (mf->f[i].line < 1)
			disagree("a path has no line", mf->f[i].path, NULL);
	}
}

/* Reads text[0..len) as a manifest into mf; its reason, or NULL. */
static const char *
read_text(const char *text, size_t len, struct ve_manifest *mf)
{
	/* fmemopen takes no empty buffer on every libc: an empty manifest is a space. */
	FILE *f = len ? fmemopen((void *)text, len, "r") : fmemopen(" ", 1, "r");
	const char *why;

	if (!f) {
		perror("manifest: fmemopen");
		abort();
	}
	why = ve_manifest_read(f, mf);
	fclose(f);
	return why;
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct ve_manifest mf, again;
	struct ve_buf y = {0};
	const char *why = read_text((const char *)data, size, &mf);

	if (why && !*why)
		disagree("refused without a reason", NULL, NULL);
	if (!why) {
		check_paths(&mf);
		write_back(&mf, &y);
		const char *why2 = read_text(y.p, y.len, &again);
		if (why2)
			disagree("what it wrote back does not read", y.p, why2);
		same_manifest(&mf, &again);
		ve_manifest_free(&again);
	}
	ve_buf_free(&y);
	ve_manifest_free(&mf);
	return 0;
}
