#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <yaml.h>

#include "diag.h"
#include "manifest.h"
#include "num.h"

/* The document being read, and which of its nodes an entry or member has used. */
struct doc {
	yaml_document_t *d;
	bool *used;
	size_t nnodes;
};

static const char *
scalar(const yaml_node_t *node)
{
	return node && node->type == YAML_SCALAR_NODE ? (const char *)node->data.scalar.value
	                                              : NULL;
}

static yaml_node_t *
map_get(const struct doc *doc, yaml_node_t *map, const char *key)
{
	if (!map || map->type != YAML_MAPPING_NODE)
		return NULL;
	for (yaml_node_pair_t *p = map->data.mapping.pairs.start; p < map->data.mapping.pairs.top;
	     p++) {
		const char *k = scalar(yaml_document_get_node(doc->d, p->key));
		if (k && strcmp(k, key) == 0)
			return yaml_document_get_node(doc->d, p->value);
	}
	return NULL;
}

static char *
get_str(const struct doc *doc, yaml_node_t *map, const char *key)
{
	const char *s = scalar(map_get(doc, map, key));

	return s ? ve_xstrdup(s) : NULL;
}

/*
 * Marks node id as used by an entry or a member; false if it was already:
 * an alias would let a few lines of YAML stand for millions of entries.
 */
static bool
use(struct doc *doc, yaml_node_item_t id)
{
	size_t i = (size_t)id - 1; /* libyaml numbers nodes from 1 */

	if (id < 1 || i >= doc->nnodes || doc->used[i])
		return false;
	doc->used[i] = true;
	return true;
}

/* The code point of the valid UTF-8 sequence of 2 to 4 bytes at s, and its length in *len. */
static unsigned long
utf8_at(const unsigned char *s, size_t *len)
{
	if (s[0] < 0xe0) {
		*len = 2;
		return (s[0] & 0x1fUL) << 6 | (s[1] & 0x3fUL);
	}
	if (s[0] < 0xf0) {
		*len = 3;
		return (s[0] & 0x0fUL) << 12 | (s[1] & 0x3fUL) << 6 | (s[2] & 0x3fUL);
	}
	*len = 4;
	return (s[0] & 0x07UL) << 18 | (s[1] & 0x3fUL) << 12 | (s[2] & 0x3fUL) << 6 |
	       (s[3] & 0x3fUL);
}

/* Whether a manifest writes code point c escaped (see ve_manifest_add_str). */
static bool
yaml_escapes(unsigned long c)
{
	return c < 0x20 || c == '"' || c == '\\' || c == 0x7f || (c >= 0x80 && c <= 0x9f) ||
	       c == 0x2028 || c == 0x2029 || c == 0xfeff || c == 0xfffe || c == 0xffff;
}

void
ve_manifest_add_str(struct ve_buf *b, const char *s, size_t n)
{
	const unsigned char *u = (const unsigned char *)s;
	size_t run = 0, i = 0;

	ve_buf_addc(b, '"');
	while (i < n) {
		size_t len = 1;
		unsigned long c = u[i] < 0x80 ? u[i] : utf8_at(u + i, &len);
		if (yaml_escapes(c)) {
			ve_buf_add(b, s + run, i - run);
			switch (c) {
			case '"': ve_buf_adds(b, "\\\""); break;
			case '\\': ve_buf_adds(b, "\\\\"); break;
			case '\b': ve_buf_adds(b, "\\b"); break;
			case '\f': ve_buf_adds(b, "\\f"); break;
			case '\n': ve_buf_adds(b, "\\n"); break;
			case '\r': ve_buf_adds(b, "\\r"); break;
			case '\t': ve_buf_adds(b, "\\t"); break;
			default: ve_buf_addf(b, "\\u%04lx", c); break;
			}
			run = i + len;
		}
		i += len;
	}
	ve_buf_add(b, s + run, n - run);
	ve_buf_addc(b, '"');
}

const char *
ve_manifest_path_bad(const char *path, size_t len)
{
	if (len == 0)
		return "is empty";
	if (memchr(path, '\0', len))
		return "holds a NUL byte";
	if (path[0] == '/')
		return "is absolute";
	for (size_t i = 0; i < len;) {
		size_t j = i;
		while (j < len && path[j] != '/')
			j++;
		if (j - i == 2 && path[i] == '.' && path[i + 1] == '.')
			return "has a '..' component";
		i = j + 1;
	}
	return NULL;
}

/* Reads the path of a file entry fn into mfi; NULL, or why it is no path of a manifest. */
static const char *
read_path(struct ve_manifest *mf, const struct doc *doc, yaml_node_t *fn,
          struct ve_manifest_file *mfi)
{
	yaml_node_t *pn = map_get(doc, fn, "path");
	const char *why;

	if (!scalar(pn))
		return NULL;
	mfi->path = ve_xstrdup(scalar(pn));
	mfi->line = pn->start_mark.line + 1;
	if (!(why = ve_manifest_path_bad(mfi->path, pn->data.scalar.length)))
		return NULL;
	mf->line = mfi->line;
	ve_buf_addf(&mf->why, "path '%s' %s: a manifest's paths may not leave its directory",
	            mfi->path, why);
	return mf->why.p;
}

/* Reads the members of file entry fn, if it has any, into mfi; NULL, or why they are not. */
static const char *
read_members(struct doc *doc, yaml_node_t *fn, struct ve_manifest_file *mfi)
{
	yaml_node_t *members = map_get(doc, fn, "members");

	if (!members)
		return NULL;
	if (members->type != YAML_SEQUENCE_NODE)
		return "not a ds-hash manifest (members is not a list)";
	for (yaml_node_item_t *mi = members->data.sequence.items.start;
	     mi < members->data.sequence.items.top; mi++) {
		if (!use(doc, *mi))
			return "not a ds-hash manifest (a member is used twice: aliases are not "
			       "taken)";
		yaml_node_t *mn = yaml_document_get_node(doc->d, *mi);
		struct ve_manifest_member *m;
		mfi->m = ve_xrealloc(mfi->m, sizeof *mfi->m * (size_t)(mfi->nm + 1));
		m = &mfi->m[mfi->nm++];
		m->name = get_str(doc, mn, "name");
		m->records = get_str(doc, mn, "records");
		m->keys = get_str(doc, mn, "keys");
		if (!m->name || !m->records || !m->keys)
			return "not a ds-hash manifest (a member lacks name, records or keys)";
	}
	return NULL;
}

/* Reads file entry id into mfi (zeroed here); NULL, or why it is not one. */
static const char *
read_entry(struct ve_manifest *mf, struct doc *doc, yaml_node_item_t id,
           struct ve_manifest_file *mfi)
{
	yaml_node_t *fn = yaml_document_get_node(doc->d, id);
	const char *why;

	memset(mfi, 0, sizeof *mfi);
	if (!use(doc, id))
		return "not a ds-hash manifest (a file entry is used twice: aliases are not taken)";
	if ((why = read_path(mf, doc, fn, mfi)))
		return why;
	mfi->bytes = get_str(doc, fn, "bytes");
	mfi->sha256 = get_str(doc, fn, "sha256");
	mfi->records = get_str(doc, fn, "records");
	mfi->keys = get_str(doc, fn, "keys");
	mfi->source = get_str(doc, fn, "source");
	if (!mfi->path || !mfi->bytes || !mfi->sha256 || !mfi->records || !mfi->keys)
		return "not a ds-hash manifest (a file entry lacks path, bytes, sha256, records or "
		       "keys)";
	return read_members(doc, fn, mfi);
}

/* Reads the loaded document d into mf; NULL, or why it is not a manifest. */
static const char *
read_doc(struct ve_manifest *mf, yaml_document_t *d)
{
	struct doc doc = {.d = d, .nnodes = (size_t)(d->nodes.top - d->nodes.start)};
	yaml_node_t *root = yaml_document_get_root_node(d);
	yaml_node_t *files = map_get(&doc, root, "files");
	const char *why = NULL;

	mf->key = get_str(&doc, root, "key");
	mf->normalize = get_str(&doc, root, "normalize");
	mf->endpoint = get_str(&doc, root, "endpoint");
	if (!mf->key || !mf->normalize || !files || files->type != YAML_SEQUENCE_NODE)
		return "not a ds-hash manifest (it needs key, normalize and files)";
	doc.used = ve_xcalloc(doc.nnodes + 1, sizeof *doc.used);
	for (yaml_node_item_t *it = files->data.sequence.items.start;
	     !why && it < files->data.sequence.items.top; it++) {
		mf->f = ve_xrealloc(mf->f, sizeof *mf->f * (size_t)(mf->nf + 1));
		why = read_entry(mf, &doc, *it, &mf->f[mf->nf++]);
	}
	free(doc.used);
	return why;
}

const char *
ve_manifest_read(FILE *f, struct ve_manifest *mf)
{
	yaml_parser_t parser;
	yaml_document_t d;
	const char *why;

	memset(mf, 0, sizeof *mf);
	yaml_parser_initialize(&parser);
	yaml_parser_set_input_file(&parser, f);
	if (!yaml_parser_load(&parser, &d)) {
		ve_buf_addf(&mf->why, "not YAML: %s at line %zu",
		            parser.problem ? parser.problem : "?", parser.problem_mark.line + 1);
		yaml_parser_delete(&parser);
		return mf->why.p;
	}
	why = read_doc(mf, &d);
	yaml_document_delete(&d);
	yaml_parser_delete(&parser);
	if (why && why != mf->why.p)
		ve_buf_adds(&mf->why, why);
	return why ? mf->why.p : NULL;
}

void
ve_manifest_free(struct ve_manifest *mf)
{
	for (int i = 0; i < mf->nf; i++) {
		struct ve_manifest_file *f = &mf->f[i];
		free(f->path), free(f->bytes), free(f->sha256), free(f->records), free(f->keys);
		free(f->source);
		for (int j = 0; j < f->nm; j++)
			free(f->m[j].name), free(f->m[j].records), free(f->m[j].keys);
		free(f->m);
	}
	free(mf->f);
	free(mf->key);
	free(mf->normalize);
	free(mf->endpoint);
	ve_buf_free(&mf->why);
	memset(mf, 0, sizeof *mf);
}

/* --- writing --- */

void
ve_keysum_add(struct ve_keysum *s, const unsigned char d[VE_SHA256_LEN])
{
	unsigned carry = 0;

	s->records++;
	for (int i = VE_SHA256_LEN - 1; i >= 0; i--) {
		carry += (unsigned)s->v[i] + d[i];
		s->v[i] = (unsigned char)carry;
		carry >>= 8;
	}
}

void
ve_keysum_text(const struct ve_keysum *s, char out[VE_KEYSUM_TEXT])
{
	memcpy(out, "sum256:", 7);
	ve_hex(s->v, VE_SHA256_LEN, out + 7);
}

static void
yaml_str(struct ve_buf *b, const char *s)
{
	ve_manifest_add_str(b, s, strlen(s));
}

void
ve_manifest_head(struct ve_buf *y, const struct ve_manifest_head *h)
{
	char created[VE_TIME_SIZE];

	ve_time_now(created);
	ve_buf_addf(y, "# Dataset manifest written by %s %s; verify with: ds-hash --check FILE\n",
	            h->tool, VE_VERSION);
	ve_buf_adds(y, "name: ");
	yaml_str(y, h->name);
	ve_buf_adds(y, "\nversion: ");
	yaml_str(y, h->version);
	ve_buf_addf(y, "\ncreated: \"%s\"\n", created);
	if (h->endpoint) {
		ve_buf_adds(y, "endpoint: ");
		yaml_str(y, h->endpoint);
		ve_buf_addc(y, '\n');
	}
	ve_buf_adds(y, "key: ");
	yaml_str(y, h->key);
	ve_buf_adds(y, "\nnormalize: ");
	yaml_str(y, h->normalize);
	ve_buf_adds(y, "\nfiles:\n");
}

void
ve_manifest_entry(struct ve_buf *y, const char *path, const char *source, unsigned long long bytes,
                  const char *sha256, const struct ve_keysum *keys)
{
	char text[VE_KEYSUM_TEXT];

	ve_buf_adds(y, "  - path: ");
	yaml_str(y, path);
	if (source) {
		ve_buf_adds(y, "\n    source: ");
		yaml_str(y, source);
	}
	ve_keysum_text(keys, text);
	ve_buf_addf(y,
	            "\n    bytes: %llu\n    sha256: \"%s\"\n    records: %llu\n    keys: \"%s\"\n",
	            bytes, sha256, keys->records, text);
}
