/*
 * ds-hash — exact deduplication and dataset manifests.
 *
 * As a filter (the default) it reads JSON Lines and writes each record whose
 * key it has not seen before, byte for byte; later records with a known key
 * are dropped (to --dups FILE, tagged with the place of the record kept).
 * The key is a jq expression (--key), by default the whole record; a string
 * key is hashed as its bytes, anything else as its canonical JSON (that of
 * `jq -cS .`, but an integer keeps its digits as written: ds-hash(1)),
 * after --normalize. The hash is SHA-256; --tag adds it to each
 * record kept as "_hash":"sha256:HEX". --against FILE drops records whose
 * key appears in another dataset.
 *
 * With --manifest it writes a YAML manifest of the named files (bytes,
 * SHA-256 of the bytes, records, and an order-independent digest of the
 * record keys, per archive member too); --check verifies one, as
 * `sha256sum -c` does.
 */
#include <ctype.h>
#include <errno.h>
#include <getopt.h>
#include <libgen.h>
#include <limits.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "array.h"
#include "buf.h"
#include "canon.h"
#include "cli.h"
#include "diag.h"
#include "json.h"
#include "keyset.h"
#include "manifest.h"
#include "names.h"
#include "norm.h"
#include "num.h"
#include "output.h"
#include "reader.h"
#include "sha256.h"

struct opts {
	const char *key_expr;
	const char *norm_list;
	unsigned norm;
	bool tag;
	const char *dups_path;
	char **against;
	int nagainst;
	bool manifest;
	const char *name;
	const char *version; /* the dataset's (--dataset-version) */
	bool old_version;    /* it came as --version VERSION */
	const char *check;
	struct ve_cli cli;
};

/* What turns a record into its key digest. */
struct keyer {
	struct ve_jq *jq;
	bool simple; /* the key is .NAME: picked from the text */
	struct ve_json_pick pick;
	struct ve_canon canon; /* the slow path of . and .NAME */
	struct ve_canon_pick cpick;
	unsigned norm;
	struct ve_sha256 *sha;
	struct ve_buf text;
	struct ve_buf tmp; /* a string normalised, or why a record has no key */
};

static void
usage(FILE *f)
{
	fprintf(
	    f,
	    "usage: %s [-tqv] [-k EXPR] [-n LIST] [--dups FILE] [-a FILE]...\n"
	    "               [--skip-bad] [--rejects FILE] [FILE...]\n"
	    "       %s --manifest --name NAME --dataset-version VERSION [-k EXPR]\n"
	    "               [-n LIST] FILE...\n"
	    "       %s --check MANIFEST\n"
	    "\n"
	    "Drop exact duplicates from JSON Lines (first occurrence kept), or write and\n"
	    "check dataset manifests. Inputs may be compressed or tar/zip archives.\n"
	    "\n"
	    "  -k, --key EXPR        jq expression for the key (default: the whole record)\n"
	    "  -n, --normalize LIST  nfkc,casefold,punct,space (or nfc, all, none)\n"
	    "  -t, --tag             add \"_hash\":\"sha256:HEX\" to records kept\n"
	    "      --dups FILE       write dropped records there, with \"_dup_of\":\"FILE:LINE\"\n"
	    "  -a, --against FILE    also drop records whose key is in FILE (repeatable)\n"
	    "      --manifest        write a YAML manifest of the FILEs to stdout (name them\n"
	    "                        from the directory the manifest will be in)\n"
	    "      --name NAME       dataset name (with --manifest)\n"
	    "      --dataset-version VERSION\n"
	    "                        dataset version (with --manifest)\n"
	    "      --check MANIFEST  verify the files MANIFEST lists (paths from its folder);\n"
	    "                        exit 1 on a mismatch\n",
	    ve_progname, ve_progname, ve_progname);
	ve_cli_help(f, VE_CLI_RECORDS | VE_CLI_PROGRESS, 24);
	fprintf(f,
	        "\n"
	        "With -v, the counts of records read, kept and dropped go to stderr.\n"
	        "Exit: 0 ok, 1 --check found a mismatch, 64 usage, 65 bad input, 66 cannot open,\n"
	        "73 cannot create, 74 I/O error. See ds-hash(1).\n");
}

enum {
	OPT_DUPS = 256,
	OPT_MANIFEST,
	OPT_NAME,
	OPT_DATASET_VERSION,
	OPT_VERSION,
	OPT_CHECK,
};

/*
 * --version prints the program's version, as every tool's does. Scripts
 * written before --dataset-version gave the dataset's as "--manifest ...
 * --version VERSION", and ds-hash(1) keeps that form: a word after --version
 * (one that is not an option), or --version=VERSION, is held as the dataset's
 * version, and what it means is settled once every option is read
 * (check_args). getopt has just stepped over --version, so argv[optind] is
 * the word that came after it; stepping over that too is what getopt does
 * for an option's argument.
 */
static void
version_opt(int argc, char **argv, struct opts *o)
{
	const char *v = optarg;

	if (!v && optind < argc && argv[optind][0] != '-')
		v = argv[optind++];
	if (!v)
		ve_print_version();
	o->version = v;
	o->old_version = true;
}

/*
 * What --manifest needs to write YAML that --check reads back: text in
 * UTF-8, which is all YAML holds, and files named from the directory the
 * manifest will be in, as --check reads them from there and refuses a path
 * that may leave it.
 */
static void
check_manifest_args(const struct opts *o, char *const *files, int nfiles)
{
	const char *const text[][2] = {
	    {"--name", o->name}, {"--dataset-version", o->version}, {"--key", o->key_expr}};

	if (!o->name || !o->version)
		ve_usage_error("--manifest needs --name and --dataset-version");
	if (nfiles == 0)
		ve_usage_error("--manifest needs the files to describe");
	for (int i = 0; i < nfiles; i++) {
		const char *why = ve_manifest_path_bad(files[i], strlen(files[i]));
		if (why)
			ve_usage_error(
			    "--manifest: path '%s' %s: name the files from the directory "
			    "the manifest will be in",
			    files[i], why);
		if (ve_utf8_invalid_at(files[i], strlen(files[i])) >= 0)
			ve_usage_error("--manifest: path '%s' is not UTF-8 (YAML holds only text)",
			               files[i]);
	}
	for (size_t i = 0; i < sizeof text / sizeof text[0]; i++)
		if (text[i][1] && ve_utf8_invalid_at(text[i][1], strlen(text[i][1])) >= 0)
			ve_usage_error("%s: not UTF-8 (YAML holds only text)", text[i][0]);
}

/* The combinations of options that make no sense; usage errors. */
static void
check_args(const struct opts *o, char *const *operands, int noperands)
{
	if (o->old_version && !o->manifest)
		ve_print_version(); /* "--version WORD" alone always printed it */
	if (o->old_version && !o->cli.quiet)
		ve_warn("--version VERSION is deprecated: use --dataset-version");
	if (o->manifest && o->check)
		ve_usage_error("--manifest and --check cannot be used together");
	if (o->manifest)
		check_manifest_args(o, operands, noperands);
	if (!o->manifest && (o->name || o->version))
		ve_usage_error(
		    "--name and --dataset-version describe a dataset: use them with --manifest");
	if (o->check && (noperands || o->key_expr || o->norm_list))
		ve_usage_error("--check takes only the manifest (its key and files are in it)");
	if ((o->manifest || o->check) && (o->tag || o->dups_path || o->nagainst))
		ve_usage_error("--tag, --dups and --against filter records: not with --%s",
		               o->manifest ? "manifest" : "check");
	if (o->check && o->cli.skip_bad)
		ve_usage_error(
		    "--skip-bad and --rejects: not with --check (a bad record fails its file)");
}

static void
parse_args(int argc, char **argv, struct opts *o)
{
	const struct option longopts[] = {
	    {"key", required_argument, NULL, 'k'},
	    {"normalize", required_argument, NULL, 'n'},
	    {"tag", no_argument, NULL, 't'},
	    {"dups", required_argument, NULL, OPT_DUPS},
	    {"against", required_argument, NULL, 'a'},
	    {"manifest", no_argument, NULL, OPT_MANIFEST},
	    {"name", required_argument, NULL, OPT_NAME},
	    {"dataset-version", required_argument, NULL, OPT_DATASET_VERSION},
	    /* Ours, not the common one: see version_opt. */
	    {"version", optional_argument, NULL, OPT_VERSION},
	    {"check", required_argument, NULL, OPT_CHECK},
	    {NULL, 0, NULL, 0},
	};
	int c;

	o->cli.flags = VE_CLI_RECORDS | VE_CLI_PROGRESS;
	while ((c = ve_getopt(argc, argv, "k:n:ta:", longopts, &o->cli, usage)) != -1) {
		switch (c) {
		case 'k': o->key_expr = optarg; break;
		case 'n':
			o->norm_list = optarg;
			if (!ve_norm_parse(optarg, &o->norm))
				ve_usage_error(
				    "--normalize: unknown form in '%s' (nfkc, nfc, casefold, "
				    "punct, space, all, none)",
				    optarg);
			break;
		case 't': o->tag = true; break;
		case OPT_DUPS: o->dups_path = optarg; break;
		case 'a':
			o->against =
			    ve_xrealloc(o->against, sizeof *o->against * (size_t)(o->nagainst + 1));
			o->against[o->nagainst++] = optarg;
			break;
		case OPT_MANIFEST: o->manifest = true; break;
		case OPT_NAME: o->name = optarg; break;
		case OPT_DATASET_VERSION:
			o->version = optarg;
			o->old_version = false;
			break;
		case OPT_VERSION: version_opt(argc, argv, o); break;
		case OPT_CHECK: o->check = optarg; break;
		}
	}
	check_args(o, argv + optind, argc - optind);
}

/*
 * Computes the digest of a key jq gave (consumed). Returns NULL, or the
 * reason the record has no usable key (in k->tmp or a constant).
 */
static const char *
value_digest(struct keyer *k, jv key, unsigned char digest[VE_SHA256_LEN])
{
	if (!jv_is_valid(key))
		return ve_json_why(key, "--key: no value", &k->tmp);
	if (jv_get_kind(key) == JV_KIND_NULL) {
		jv_free(key);
		return "--key: no value (null)";
	}
	ve_buf_reset(&k->text);
	/* A string is hashed as its bytes (ve_norm with no forms copies them). */
	if (jv_get_kind(key) == JV_KIND_STRING)
		ve_norm(jv_string_value(key), ve_json_strlen(key), k->norm, &k->text);
	else
		ve_json_canon_norm(key, k->norm, &k->text);
	jv_free(key);
	ve_sha256(k->sha, k->text.p ? k->text.p : "", k->text.len, digest);
	return NULL;
}

/*
 * The fast path of a .NAME key: the member's text from the record's own
 * bytes. A string is its bytes inside the quotes (the subset has no
 * escapes), anything else its canonical JSON. False where the slow path must
 * decide: the record is outside the subset, lacks the member or has it null,
 * or a non-string value would need its strings normalised.
 */
static bool
pick_key(struct keyer *k, const struct ve_line *line, unsigned char digest[VE_SHA256_LEN])
{
	struct ve_buf *v = &k->pick.value;

	if (!ve_json_canon_pick(line->text, line->len, &k->text, &k->pick) || !k->pick.found ||
	    strcmp(v->p, "null") == 0 || (k->norm && v->p[0] != '"'))
		return false;
	if (v->p[0] != '"') {
		ve_sha256(k->sha, v->p, v->len, digest);
		return true;
	}
	if (k->norm) {
		ve_buf_reset(&k->tmp);
		ve_norm(v->p + 1, v->len - 2, k->norm, &k->tmp);
		ve_sha256(k->sha, k->tmp.p ? k->tmp.p : "", k->tmp.len, digest);
	} else {
		ve_sha256(k->sha, v->p + 1, v->len - 2, digest);
	}
	return true;
}

/*
 * The slow path of a .NAME key read off the text, for a record libjq has
 * accepted: canonical JSON from the text, as the fast path's, so that an
 * integer beyond 2^53 keeps its digits (libjq's value holds a double). Sets
 * *why to NULL or the reason the record has no key. False where the text
 * is not what it expects: libjq's value decides then.
 */
static bool
text_key(struct keyer *k, const struct ve_line *line, unsigned char digest[VE_SHA256_LEN],
         const char **why)
{
	struct ve_canon_pick *pick = &k->cpick;

	*why = NULL;
	if (!ve_canon_pick(&k->canon, line->text, line->len, k->norm, pick))
		return false;
	if (!pick->found || (!pick->string && strcmp(pick->value.p, "null") == 0)) {
		*why = "--key: no value (null)";
		return true;
	}
	ve_sha256(k->sha, pick->value.p ? pick->value.p : "", pick->value.len, digest);
	return true;
}

/*
 * The slow path of a .NAME key, for a record libjq has parsed (consumed):
 * the member libjq has, as jq's .NAME gives it, but a number, an array or an
 * object is read off the text (text_key), where integers keep their digits.
 */
static const char *
name_key(struct keyer *k, const struct ve_line *line, jv rec, unsigned char digest[VE_SHA256_LEN])
{
	jv v = jv_object_get(rec, jv_string_sized(k->pick.key, (int)k->pick.klen));
	jv_kind kind = jv_get_kind(v);
	const char *why;

	if (kind == JV_KIND_INVALID) {
		jv_free(v);
		return "--key: no value (null)"; /* jq's .NAME of a record without it */
	}
	if ((kind == JV_KIND_NUMBER || kind == JV_KIND_ARRAY || kind == JV_KIND_OBJECT) &&
	    text_key(k, line, digest, &why)) {
		jv_free(v);
		return why;
	}
	return value_digest(k, v, digest);
}

/*
 * The key digest of one input line. Returns NULL, or why the line is a bad
 * record (valid until the next call). The whole-record key of a record in
 * the common subset of JSON is taken from the text without libjq's parse,
 * which costs more than everything else ds-hash does (see
 * ve_json_canon_text); libjq parses whatever that path declines, and the
 * key of . or .NAME is still read off the text.
 */
static const char *
line_key(struct keyer *k, const struct ve_line *line, unsigned char digest[VE_SHA256_LEN])
{
	if (!k->jq) {
		const char *why =
		    ve_canon_line(&k->canon, line->text, line->len, k->norm, &k->text, &k->tmp);
		if (!why)
			ve_sha256(k->sha, k->text.p ? k->text.p : "", k->text.len, digest);
		return why;
	}
	ve_buf_reset(&k->text);
	if (k->simple && ve_utf8_invalid_at(line->text, line->len) < 0 && pick_key(k, line, digest))
		return NULL;
	jv rec = ve_record_parse(line->text, line->len);
	if (!jv_is_valid(rec))
		return ve_json_why(rec, "invalid JSON", &k->tmp);
	if (k->simple)
		return name_key(k, line, rec, digest);
	return value_digest(k, ve_jq_first(k->jq, rec), digest);
}

/* Whether expr is .NAME: a key read off a record's text, and safe to take from a file. */
static bool
simple_key(const char *expr)
{
	return expr[0] == '.' && (isalpha((unsigned char)expr[1]) || expr[1] == '_') &&
	       strspn(expr + 1,
	              "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_") ==
	           strlen(expr + 1);
}

static void
keyer_init(struct keyer *k, const char *expr, unsigned norm)
{
	*k = (struct keyer){.norm = norm, .sha = ve_sha256_new()};
	k->jq = expr && strcmp(expr, ".") != 0 ? ve_jq_compile("--key", expr) : NULL;
	/* .NAME, the usual key, can be read off the text; jq still compiles it. */
	if (k->jq && simple_key(expr)) {
		k->simple = true;
		k->pick.key = k->cpick.key = expr + 1;
		k->pick.klen = k->cpick.klen = strlen(expr + 1);
	}
}

static void
keyer_free(struct keyer *k)
{
	ve_jq_free(k->jq);
	ve_sha256_free(k->sha);
	ve_buf_free(&k->text);
	ve_buf_free(&k->tmp);
	ve_buf_free(&k->pick.value);
	ve_buf_free(&k->cpick.value);
	ve_canon_free(&k->canon);
}

/*
 * A record's place packed for the key set: source + 1 (24 bits: a place is
 * never 0, which the key set refuses), line (40 bits).
 */
enum { MAX_SOURCES = (1 << 24) - 1 };

static uint64_t
place(size_t source, unsigned long long lineno)
{
	if (source >= MAX_SOURCES)
		ve_die(VE_EX_SOFTWARE, "too many input files and members (over %d)", MAX_SOURCES);
	return (uint64_t)(source + 1) << 40 | (lineno & ((1ULL << 40) - 1));
}

static void
place_text(const struct ve_names *nm, uint64_t p, struct ve_buf *out)
{
	size_t source = (size_t)(p >> 40) - 1;

	ve_buf_add_json_str(out, nm->v[source], strlen(nm->v[source]));
	/* Put :LINE inside the quotes. */
	out->len--;
	ve_buf_addf(out, ":%llu\"", (unsigned long long)(p & ((1ULL << 40) - 1)));
}

/* The filter's state: the keys seen, where each was first, --dups, and counts for -v. */
struct filter {
	const struct opts *o;
	struct keyer k;
	struct ve_keyset *set;
	struct ve_names nm; /* for the places of records kept, in --dups */
	unsigned long long read, kept, dropped, against, ref;
	FILE *dups;
	struct ve_buf fields;
	uint64_t first_input; /* places below it are the --against files' */
};

/*
 * Keeps a record whose key digest is d (to stdout) or drops it (to --dups,
 * with the place of the record kept), or only notes its key when it is one
 * of the --against files'; 0 or an exit status.
 */
static int
filter_record(struct filter *f, const struct ve_line *line, const unsigned char d[VE_SHA256_LEN],
              bool against)
{
	char hex[2 * VE_SHA256_LEN + 1], tag[96] = ""; /* "_hash":"sha256:HEX" with --tag */
	uint64_t old;
	int added = ve_keyset_put(f->set, d, place(f->nm.base + line->source, line->lineno), &old);

	if (against) {
		f->ref++;
		return 0;
	}
	f->read++;
	if (f->o->tag) {
		ve_hex(d, VE_SHA256_LEN, hex);
		snprintf(tag, sizeof tag, "\"_hash\":\"sha256:%s\"", hex);
	}
	if (added) {
		f->kept++;
		ve_out_splice(line->text, line->len, tag, strlen(tag));
		return 0;
	}
	f->dropped++;
	if (old < f->first_input)
		f->against++;
	if (!f->dups)
		return 0;
	ve_buf_reset(&f->fields);
	ve_buf_adds(&f->fields, "\"_dup_of\":");
	place_text(&f->nm, old, &f->fields);
	if (f->o->tag)
		ve_buf_addf(&f->fields, ",%s", tag);
	if (ve_fsplice(f->dups, line->text, line->len, f->fields.p, f->fields.len) == 0)
		return 0;
	ve_warn("--dups: %s: write error:", f->o->dups_path);
	return VE_EX_IOERR;
}

/*
 * Reads the records of rd, the --against files' (against) or the input's,
 * through filter_record; 0 or an exit status.
 */
static int
filter_input(struct filter *f, struct ve_reader *rd, bool against)
{
	struct ve_rec rec;
	unsigned char d[VE_SHA256_LEN];
	int r;

	ve_names_follow(&f->nm, ve_reader_input(rd));
	if (!against)
		f->first_input = place(f->nm.base, 0);
	while ((r = ve_reader_next(rd, &rec)) == 1) {
		const char *why = line_key(&f->k, &rec.line, d);
		r = why ? ve_reader_reject(rd, &rec, why) : filter_record(f, &rec.line, d, against);
		if (r)
			break;
	}
	return r;
}

/* With -v, the counts; with -vv, the key set's size too. */
static void
report_counts(const struct filter *f, int verbose)
{
	if (verbose)
		ve_warn("read %llu, kept %llu, dropped %llu (%llu matching --against, %llu "
		        "reference keys)",
		        f->read, f->kept, f->dropped, f->against, f->ref);
	if (verbose > 1)
		ve_warn("key set: %zu keys, %zu bytes", ve_keyset_count(f->set),
		        ve_keyset_bytes(f->set));
}

/* Whether path's directory, resolved, and its last name are dir and base; false if it has none. */
static bool
resolve_dir(const char *path, char dir[PATH_MAX], const char **base)
{
	char *copy = ve_xstrdup(path);
	bool ok = realpath(dirname(copy), dir) != NULL;

	free(copy);
	*base = strrchr(path, '/') ? strrchr(path, '/') + 1 : path;
	return ok;
}

/*
 * Whether two output paths name one regular file, where two streams would
 * overwrite each other's lines (not /dev/null): the same inode where both
 * exist; where neither does yet, the same name in the same directory.
 */
static bool
same_output(const char *a, const char *b)
{
	struct stat sa, sb;
	char da[PATH_MAX], db[PATH_MAX];
	const char *ba, *bb;
	bool ea = stat(a, &sa) == 0, eb = stat(b, &sb) == 0;

	if (ea || eb)
		return ea && eb && S_ISREG(sa.st_mode) && sa.st_dev == sb.st_dev &&
		       sa.st_ino == sb.st_ino;
	return resolve_dir(a, da, &ba) && resolve_dir(b, db, &bb) && strcmp(da, db) == 0 &&
	       strcmp(ba, bb) == 0;
}

static int
run_filter(const struct opts *o, char **files, int nfiles)
{
	struct filter f = {.o = o};
	struct ve_reader *rd;
	int r = 0, rc;

	keyer_init(&f.k, o->key_expr, o->norm);
	f.set = ve_keyset_new();
	/* Opening an output that is an input would empty it: the reader checks --rejects. */
	ve_refuse_input_as_output("--dups", o->dups_path, files, nfiles);
	if (o->nagainst) {
		ve_refuse_input_as_output("--dups", o->dups_path, o->against, o->nagainst);
		ve_refuse_input_as_output("--rejects", o->cli.rejects, o->against, o->nagainst);
	}
	/* Two streams writing one file would overwrite each other's lines. */
	if (o->dups_path && o->cli.rejects && same_output(o->dups_path, o->cli.rejects))
		ve_usage_error("--dups and --rejects name the same file: %s", o->dups_path);
	rd = ve_reader_new(files, nfiles, &o->cli, VE_READ_RAW);
	if (o->dups_path)
		f.dups = ve_open_output("--dups", o->dups_path);
	if (o->nagainst) {
		struct ve_reader *ref = ve_reader_sibling(rd, o->against, o->nagainst, VE_READ_RAW);
		r = filter_input(&f, ref, true);
		ve_reader_free(ref);
	}
	if (!r)
		r = filter_input(&f, rd, false);
	/* The reader first: it ends the progress line the counts would run into. */
	rc = ve_reader_free(rd);
	report_counts(&f, o->cli.verbose);
	if (r)
		rc = r;
	if (f.dups && (r = ve_fclose_checked(f.dups, o->dups_path)) && !rc)
		rc = r;
	ve_keyset_free(f.set);
	ve_names_free(&f.nm);
	ve_buf_free(&f.fields);
	keyer_free(&f.k);
	return rc;
}

/* What a manifest says of one member, or of the whole file. */
struct member {
	char *name;
	struct ve_keysum keys;
};

struct filesum {
	const char *path; /* as named, which its members' names start with */
	unsigned long long bytes;
	char sha256[2 * VE_SHA256_LEN + 1];
	struct ve_keysum keys;
	struct member *m;
	size_t nm, mcap;
	bool archive;
	struct ve_buf error; /* why the file could not be summed */
	bool bad_record;     /* ... because a record is bad, not the file unreadable */
};

static void
filesum_free(struct filesum *fs)
{
	for (size_t i = 0; i < fs->nm; i++)
		free(fs->m[i].name);
	free(fs->m);
	ve_buf_free(&fs->error);
}

static void
on_member(void *ctx, const char *name, int source)
{
	struct filesum *fs = ctx;
	size_t plen = strlen(fs->path);

	(void)source; /* a ve_member_fn: members are counted in fs */
	fs->m = ve_grow(fs->m, &fs->mcap, fs->nm + 1, sizeof *fs->m);
	/* Members are named ARCHIVE:MEMBER; the manifest keeps MEMBER. */
	fs->archive |= strncmp(name, fs->path, plen) == 0 && name[plen] == ':';
	/* The reader has written any byte of it that is not UTF-8 as \xHH: YAML holds only text. */
	fs->m[fs->nm++] = (struct member){.name = ve_xstrdup(fs->archive ? name + plen + 1 : name)};
}

/*
 * The file's size and the SHA-256 of its bytes. Returns 0, or 66 (cannot
 * open) or 74 (read error) with the reason in fs->error.
 */
static int
sum_bytes(const char *path, struct ve_sha256 *sha, struct filesum *fs)
{
	FILE *f = fopen(path, "rb");
	unsigned char buf[1 << 16], d[VE_SHA256_LEN];
	size_t n;

	if (!f) {
		ve_buf_adds(&fs->error, strerror(errno));
		return VE_EX_NOINPUT;
	}
	ve_sha256_init(sha);
	while ((n = fread(buf, 1, sizeof buf, f)) > 0) {
		ve_sha256_update(sha, buf, n);
		fs->bytes += n;
	}
	int err = ferror(f);
	fclose(f);
	if (err) {
		ve_buf_adds(&fs->error, "read error");
		return VE_EX_IOERR;
	}
	ve_sha256_final(sha, d);
	ve_hex(d, VE_SHA256_LEN, fs->sha256);
	return 0;
}

/*
 * Sums the records of one file, member by member, read by a sibling of
 * parent (which holds --max-line and the bad-record policy). For --manifest
 * a bad record follows the policy and a failure is an exit status; for
 * --check a bad record or a read error only marks the file as failed, in
 * fs->error. Returns 0 or an exit status.
 */
static int
sum_records(struct keyer *k, struct ve_reader *parent, bool check, struct filesum *fs)
{
	char *one[] = {(char *)fs->path};
	struct ve_reader *rd = ve_reader_sibling(parent, one, 1, VE_READ_RAW);
	struct ve_rec rec;
	unsigned char d[VE_SHA256_LEN];
	int r;

	ve_input_on_member(ve_reader_input(rd), on_member, fs);
	while ((r = ve_reader_next(rd, &rec)) == 1) {
		const char *why = line_key(k, &rec.line, d);
		if (why && check) {
			ve_buf_addf(&fs->error, "line %llu: %s", rec.line.lineno, why);
			fs->bad_record = true;
			r = 0;
			break;
		}
		if (why) {
			if ((r = ve_reader_reject(rd, &rec, why)))
				break;
			continue;
		}
		ve_keysum_add(&fs->m[fs->nm - 1].keys, d);
		ve_keysum_add(&fs->keys, d);
	}
	if (r && check) {
		ve_buf_adds(&fs->error, "unreadable (see above)");
		r = 0;
	}
	ve_reader_free(rd);
	return r;
}

/*
 * Sums one file: its bytes and their SHA-256, then its records (see
 * sum_records for parent and check). Returns 0 or an exit status.
 */
static int
sum_file(const char *path, struct keyer *k, struct ve_reader *parent, bool check,
         struct filesum *fs)
{
	int rc;

	*fs = (struct filesum){.path = path};
	if (!(rc = sum_bytes(path, k->sha, fs)))
		return sum_records(k, parent, check, fs);
	if (!check)
		ve_warn("%s: %s", path, fs->error.p);
	return check ? 0 : rc;
}

/* One file's entry in the manifest, its members' too. */
static void
manifest_entry(struct ve_buf *y, const char *path, const struct filesum *fs)
{
	char keys[VE_KEYSUM_TEXT];

	ve_manifest_entry(y, path, NULL, fs->bytes, fs->sha256, &fs->keys);
	if (!fs->archive)
		return;
	ve_buf_adds(y, "    members:\n");
	for (size_t j = 0; j < fs->nm; j++) {
		ve_buf_adds(y, "      - name: ");
		ve_manifest_add_str(y, fs->m[j].name, strlen(fs->m[j].name));
		ve_keysum_text(&fs->m[j].keys, keys);
		ve_buf_addf(y, "\n        records: %llu\n        keys: \"%s\"\n",
		            fs->m[j].keys.records, keys);
	}
}

static int
run_manifest(const struct opts *o, char **files, int nfiles)
{
	struct keyer k;
	struct ve_reader *parent;
	struct ve_buf y = {0};
	int rc = 0;

	ve_manifest_head(
	    &y, &(struct ve_manifest_head){.tool = "ds-hash",
	                                   .name = o->name,
	                                   .version = o->version,
	                                   .key = o->key_expr ? o->key_expr : ".",
	                                   .normalize = o->norm_list ? o->norm_list : "none"});
	keyer_init(&k, o->key_expr, o->norm);
	/*
	 * It reads nothing itself: it holds the bad-record policy, count and
	 * --max-line for each file's reader, and refuses a --rejects file that
	 * is one of the files.
	 */
	parent = ve_reader_new(files, nfiles, &o->cli, VE_READ_RAW);
	for (int i = 0; i < nfiles && !rc; i++) {
		struct filesum fs;
		if (!(rc = sum_file(files[i], &k, parent, false, &fs)))
			manifest_entry(&y, files[i], &fs);
		filesum_free(&fs);
	}
	/* Written only once complete: a failed run leaves no half manifest. */
	if (!rc)
		ve_out_write(y.p, y.len);
	int rc2 = ve_reader_free(parent);
	if (!rc)
		rc = rc2;
	ve_buf_free(&y);
	keyer_free(&k);
	return rc;
}

static void
add_reason(struct ve_buf *b, const char *what)
{
	ve_buf_adds(b, b->len ? ", " : "");
	ve_buf_adds(b, what);
}

/* Reads the manifest and readies its key; 0, or an exit status after the message. */
static int
check_open(const char *path, struct ve_manifest *mf, struct keyer *k)
{
	unsigned norm;
	FILE *f = fopen(path, "rb");
	const char *err;

	memset(mf, 0, sizeof *mf);
	if (!f) {
		ve_warn("%s:", path);
		return VE_EX_NOINPUT;
	}
	err = ve_manifest_read(f, mf);
	fclose(f);
	if (err && mf->line)
		ve_warn("%s:%zu: %s", path, mf->line, err);
	else if (err)
		ve_warn("%s: %s", path, err);
	if (err)
		return VE_EX_DATAERR;
	if (!ve_norm_parse(mf->normalize, &norm)) {
		ve_warn("%s: unknown normalize '%s'", path, mf->normalize);
		return VE_EX_DATAERR;
	}
	/*
	 * A manifest may come from anywhere (S3): its key is run only if it is
	 * . or .NAME, never an arbitrary jq program (env, $ENV, error(...)).
	 */
	if (strcmp(mf->key, ".") != 0 && !simple_key(mf->key)) {
		ve_warn("%s: key '%s' is not . or .NAME; --check runs no other jq from a manifest",
		        path, mf->key);
		return VE_EX_DATAERR;
	}
	keyer_init(k, mf->key, norm);
	return 0;
}

/*
 * Whether resolved, a path with every symbolic link followed, is top or
 * lies under it.
 */
static bool
inside(const char *resolved, const char *top)
{
	size_t n = strlen(top);

	return strcmp(top, "/") == 0 ||
	       (strncmp(resolved, top, n) == 0 && (resolved[n] == '/' || resolved[n] == '\0'));
}

/*
 * Where --check reads each file of mf, into paths (the caller's to free,
 * each and the array): its path, relative to the manifest's directory,
 * joined to that directory as the manifest was named (so that messages name
 * it from here). False after "MANIFEST:LINE: ..." when one of them leads
 * out of the directory through a symbolic link: the manifest is then bad
 * data. A path that does not resolve (a missing file) fails when it is read.
 */
static bool
check_paths(const char *manifest, const struct ve_manifest *mf, char **paths)
{
	char *copy = ve_xstrdup(manifest);
	const char *dir = dirname(copy);
	char *top = realpath(dir, NULL);
	bool bad = !top;

	if (!top)
		ve_warn("%s:", dir);
	for (int i = 0; i < mf->nf && !bad; i++) {
		struct ve_buf b = {0};
		if (strcmp(dir, ".") != 0)
			ve_buf_addf(&b, "%s%s", dir, dir[strlen(dir) - 1] == '/' ? "" : "/");
		ve_buf_adds(&b, mf->f[i].path);
		paths[i] = b.p;
		char *resolved = realpath(b.p, NULL);
		if (resolved && !inside(resolved, top)) {
			ve_warn(
			    "%s:%zu: path '%s' leads out of the manifest's directory (a symbolic "
			    "link)",
			    manifest, mf->f[i].line, mf->f[i].path);
			bad = true;
		}
		free(resolved);
	}
	free(top);
	free(copy);
	return !bad;
}

/* What differs between a file's sums and its manifest entry, into why ("" if nothing). */
static void
compare(const struct ve_manifest_file *m, const struct filesum *fs, struct ve_buf *why)
{
	char num[32], keys[80];

	ve_buf_reset(why);
	snprintf(num, sizeof num, "%llu", fs->bytes);
	if (strcmp(num, m->bytes) != 0)
		add_reason(why, "bytes");
	if (strcmp(fs->sha256, m->sha256) != 0)
		add_reason(why, "sha256");
	snprintf(num, sizeof num, "%llu", fs->keys.records);
	if (strcmp(num, m->records) != 0)
		add_reason(why, "records");
	ve_keysum_text(&fs->keys, keys);
	if (strcmp(keys, m->keys) != 0)
		add_reason(why, "keys");
	if ((size_t)m->nm != (fs->archive ? fs->nm : 0)) {
		add_reason(why, "members");
		return;
	}
	for (int j = 0; j < m->nm; j++) {
		ve_keysum_text(&fs->m[j].keys, keys);
		snprintf(num, sizeof num, "%llu", fs->m[j].keys.records);
		if (strcmp(m->m[j].name, fs->m[j].name) != 0 || strcmp(m->m[j].records, num) != 0 ||
		    strcmp(m->m[j].keys, keys) != 0) {
			add_reason(why, "member ");
			ve_buf_adds(why, m->m[j].name);
		}
	}
}

/*
 * Checks one file, read at path, and prints "PATH: OK" or "PATH: FAILED
 * (...)" with the path as the manifest has it; whether it matched.
 */
static bool
check_file(const struct ve_manifest_file *m, const char *path, struct keyer *k,
           struct ve_reader *parent, struct ve_buf *why)
{
	struct filesum fs;
	bool ok;

	sum_file(path, k, parent, true, &fs);
	if (fs.error.len) {
		printf("%s: FAILED %s(%s)\n", m->path, fs.bad_record ? "" : "open or read ",
		       fs.error.p);
		ok = false;
	} else {
		compare(m, &fs, why);
		ok = why->len == 0;
		if (ok)
			printf("%s: OK\n", m->path);
		else
			printf("%s: FAILED (%s)\n", m->path, why->p);
	}
	filesum_free(&fs);
	return ok;
}

static int
run_check(const struct opts *o)
{
	struct ve_manifest mf;
	struct keyer k = {0};
	struct ve_buf why = {0};
	int failed = 0;
	int rc = check_open(o->check, &mf, &k);
	char **paths = ve_xcalloc((size_t)mf.nf + 1, sizeof *paths);

	if (!rc && !check_paths(o->check, &mf, paths))
		rc = VE_EX_DATAERR;
	if (rc)
		goto out;
	/* It reads nothing itself; each file's reader takes --max-line from it. */
	struct ve_cli cli = {.max_line = o->cli.max_line};
	struct ve_reader *parent = ve_reader_new(NULL, 0, &cli, VE_READ_RAW);
	for (int i = 0; i < mf.nf; i++)
		failed += !check_file(&mf.f[i], paths[i], &k, parent, &why);
	ve_reader_free(parent);
	if (failed) {
		if (!o->cli.quiet)
			ve_warn("WARNING: %d of %d file%s did NOT match", failed, mf.nf,
			        mf.nf == 1 ? "" : "s");
		rc = VE_EX_NEGATIVE;
	}
out:
	for (int i = 0; i < mf.nf; i++)
		free(paths[i]);
	free(paths);
	ve_buf_free(&why);
	keyer_free(&k);
	ve_manifest_free(&mf);
	return rc;
}

/*
 * Three modes on one key: the filter reads JSON Lines (FILEs or stdin) and
 * writes the records kept to stdout; --manifest reads the FILEs and writes
 * YAML; --check reads a manifest and the files it names and writes a line
 * for each.
 */
int
main(int argc, char **argv)
{
	struct opts o = {0};
	int rc;

	ve_setprogname(argv);
	ve_out_init();
	parse_args(argc, argv, &o);
	if (o.check)
		rc = run_check(&o);
	else if (o.manifest)
		rc = run_manifest(&o, argv + optind, argc - optind);
	else
		rc = run_filter(&o, argv + optind, argc - optind);
	free(o.against);
	return ve_out_finish(rc);
}
