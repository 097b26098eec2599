/*
 * Reading dataset manifests, the YAML that `ds-hash --manifest` writes
 * (ds-hash(1)): the key and normalisation used, and for each file its
 * path, bytes, sha256, records and key digest, and each archive member's
 * name, records and key digest.
 *
 * A manifest may come from anywhere (a bucket, a colleague), so reading one
 * trusts nothing: libyaml parses it, what is not a manifest is refused with
 * a reason, and a node used twice (a YAML alias, which could make a small
 * manifest list millions of entries) is refused too. A file's path is
 * relative to the manifest's directory and may not leave it: an absolute
 * path, an empty one, one holding a NUL byte or with a ".." component is
 * refused here; symbolic links need the file system, and are the caller's
 * to resolve.
 *
 * Ownership: every string a struct ve_manifest points to is its own, freed
 * by ve_manifest_free; the values are the manifest's scalars as written.
 */
#ifndef VE_MANIFEST_H
#define VE_MANIFEST_H

#include <stddef.h>
#include <stdio.h>

#include "buf.h"

struct ve_manifest_member {
	char *name, *records, *keys;
};

struct ve_manifest_file {
	char *path;
	size_t line; /* of the path in the manifest, from 1 */
	char *bytes, *sha256, *records, *keys;
	struct ve_manifest_member *m;
	int nm;
};

struct ve_manifest {
	char *key, *normalize;
	struct ve_manifest_file *f;
	int nf;
	size_t line;       /* the line a reason is about, from 1; 0: the whole manifest */
	struct ve_buf why; /* the reason, when there is one */
};

/*
 * Reads a manifest from f into mf. Returns NULL, or why it is not a ds-hash
 * manifest (a sentence that lives as long as mf; mf->line says where, when
 * it is about one line). Either way, free mf with ve_manifest_free.
 */
const char *ve_manifest_read(FILE *f, struct ve_manifest *mf);
void ve_manifest_free(struct ve_manifest *mf);

/*
 * Appends the valid UTF-8 s[0..n) as the YAML scalar a manifest holds: a
 * double-quoted string in JSON's escapes, and \uXXXX for the characters
 * YAML does not take raw or would read as a line break (C1 controls, U+2028,
 * U+2029, U+FEFF, U+FFFE, U+FFFF), so that ve_manifest_read gives s back.
 */
void ve_manifest_add_str(struct ve_buf *b, const char *s, size_t n);

/*
 * NULL if path[0..len) may name a file in a manifest's directory, else what
 * is wrong with it: "is empty", "holds a NUL byte", "is absolute" or "has a
 * '..' component".
 */
const char *ve_manifest_path_bad(const char *path, size_t len);

#endif
