/*
 * Dataset manifests, the YAML that `ds-hash --manifest` and ds-fetch write
 * (ds-hash(1)): the key and normalisation used, and for each file its
 * path, bytes, sha256, records and key digest, and each archive member's
 * name, records and key digest. A file ds-fetch imported also says where
 * from: its source (hf:DATASET/CONFIG/SPLIT) and, at the top, the
 * endpoint; readers that do not know these keys pass over them.
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
#include "sha256.h"

struct ve_manifest_member {
	char *name, *records, *keys;
};

struct ve_manifest_file {
	char *path;
	size_t line; /* of the path in the manifest, from 1 */
	char *bytes, *sha256, *records, *keys;
	char *source; /* where ds-fetch got it; NULL when the entry does not say */
	struct ve_manifest_member *m;
	int nm;
};

struct ve_manifest {
	char *key, *normalize;
	char *endpoint; /* the server ds-fetch read; NULL when the manifest does not say */
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

/* --- writing --- */

/*
 * The records of a file or member, and the order-independent digest of
 * their keys: the sum modulo 2^256 of the key digests read as big-endian
 * numbers. A sum, not an XOR, so a record present twice does not cancel out.
 */
struct ve_keysum {
	unsigned long long records;
	unsigned char v[VE_SHA256_LEN];
};

/* Room for ve_keysum_text's "sum256:" and 64 hex digits, NUL included. */
#define VE_KEYSUM_TEXT 72

void ve_keysum_add(struct ve_keysum *s, const unsigned char d[VE_SHA256_LEN]);
void ve_keysum_text(const struct ve_keysum *s, char out[VE_KEYSUM_TEXT]);

/* What the head of a manifest says; endpoint may be NULL (not written). */
struct ve_manifest_head {
	const char *tool; /* the program writing it, named in the first comment */
	const char *name, *version, *key, *normalize;
	const char *endpoint;
};

/* Appends the head, up to and including "files:", the time now as created (ve_time_now). */
void ve_manifest_head(struct ve_buf *y, const struct ve_manifest_head *h);
/*
 * Appends one file's entry, without members: path, source (when not NULL),
 * bytes, sha256 (64 hex digits), records and keys.
 */
void ve_manifest_entry(struct ve_buf *y, const char *path, const char *source,
                       unsigned long long bytes, const char *sha256, const struct ve_keysum *keys);

#endif
