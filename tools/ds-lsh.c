/*
 * ds-lsh — near-duplicate removal by MinHash-LSH, verified by edit distance.
 *
 * Reads JSON Lines and writes the records that are not near duplicates of an
 * earlier one (or of a longer one, with --keep longest), byte for byte, in
 * their input order. The text compared is a jq expression (--text). Texts
 * are shingled over code points after NFKC (lib/minhash.h), records that
 * share a band of their MinHash signatures are candidates, and a candidate
 * pair is a near duplicate only if its normalised Levenshtein distance over
 * NFC code points (distance / the longer length) is below --max-distance.
 * Near duplicates form clusters (connected components); one record of each
 * cluster is kept. --against FILE drops records near one in a reference set;
 * --pairs writes the verified pairs instead of records.
 *
 * Every record is held in memory (its line, its NFC text and its signature)
 * because a cluster is known only at the end.
 */
#include <getopt.h>
#include <limits.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <xxhash.h>

#include "array.h"
#include "buf.h"
#include "cli.h"
#include "diag.h"
#include "hash.h"
#include "json.h"
#include "lev.h"
#include "minhash.h"
#include "names.h"
#include "norm.h"
#include "num.h"
#include "output.h"
#include "reader.h"
#include "utf8.h"

/* --pairs prints at most this many pairs for two texts (or one) shared by many records. */
#define PAIRS_CAP 100000
#define NONE      UINT32_MAX

/* A pair at the threshold must become a candidate this often (see ve_lsh_choose). */
#define MIN_CANDIDATE_PROB 0.98

struct opts {
	const char *text_expr;
	int shingle_kind, shingle_n;
	long perm;
	double threshold;
	long bands, rows;
	double max_distance;
	unsigned long long seed;
	bool keep_longest;
	bool pairs;
	char **against;
	int nagainst;
	struct ve_cli cli;
};

enum { DOC_REF = 1, DOC_SIG = 2 };

struct doc {
	uint64_t at; /* where its line is in L->held, its NFC text (the text compared) after it */
	uint32_t line_len, text_len;
	uint32_t ncp; /* code points in text */
	uint32_t source;
	uint64_t lineno;
	uint32_t parent; /* in the union-find of near duplicates */
	uint32_t rep;    /* the record standing for those of identical text */
	uint32_t gfirst; /* of a representative: the first record of its text */
	uint32_t gnext;  /* the next record of the same text, or NONE */
	uint8_t flags;
};

struct pair {
	uint32_t a, b;
	uint32_t dist, len;
};

struct lsh {
	const struct opts *o;
	int bands, rows;
	struct doc *docs;
	size_t ndocs, cap;
	uint32_t *sigs;
	struct ve_buf held; /* every record's line and text */
	bool capped;        /* --pairs left out pairs between records of identical text */
	uint64_t *seen;     /* the pairs checked, a << 32 | b, found by seen_ix */
	size_t seen_cap, seen_n;
	struct ve_index seen_ix;
	struct pair *pairs;
	size_t npairs, pairs_cap;
	struct ve_lev lev;
	uint32_t *cpa, *cpb;
	size_t cpa_cap, cpb_cap;
	uint32_t cpa_doc;
	struct ve_names names;
	unsigned long long checked, near, identical, refs, kept, against;
};

static void
usage(FILE *f)
{
	fprintf(f,
	        "usage: %s [-Pqv] [-t EXPR] [-s char:N|word:N] [-p N] [-j J] [-b B -r R]\n"
	        "              [-d D] [-S SEED] [-k first|longest] [-a FILE]... [--skip-bad]\n"
	        "              [--rejects FILE] [FILE...]\n"
	        "\n"
	        "Drop near-duplicate records from JSON Lines: MinHash-LSH candidates, kept apart\n"
	        "unless their normalised Levenshtein distance is below the bound.\n"
	        "\n"
	        "  -t, --text EXPR         jq expression for the text (default: .text)\n"
	        "  -s, --shingle SPEC      char:N or word:N (default: char:5)\n"
	        "  -p, --perm N            MinHash bins (default: 128)\n"
	        "  -j, --threshold J       Jaccard similarity aimed at (default: 0.8)\n"
	        "  -b, --bands B           bands (with --rows; default: chosen from -j)\n"
	        "  -r, --rows R            rows per band (with --bands)\n"
	        "  -d, --max-distance D    duplicates are below this distance (default: 0.2)\n"
	        "  -S, --seed N            hash seed (default: 1)\n"
	        "  -k, --keep WHICH        first or longest of each cluster (default: first)\n"
	        "  -P, --pairs             write the duplicate pairs, not the records\n"
	        "  -a, --against FILE      also drop records near one in FILE (repeatable)\n",
	        ve_progname);
	ve_cli_help(f, VE_CLI_RECORDS | VE_CLI_PROGRESS, 26);
	fprintf(f,
	        "\n"
	        "With -v, the counts of records, pairs checked and near duplicates go to stderr.\n"
	        "Exit: 0 ok, 64 usage, 65 bad input, 66 cannot open, 73 cannot create,\n"
	        "74 I/O error. See ds-lsh(1).\n");
}

static void
parse_args(int argc, char **argv, struct opts *o)
{
	const struct option longopts[] = {
	    {"text", required_argument, NULL, 't'},
	    {"shingle", required_argument, NULL, 's'},
	    {"perm", required_argument, NULL, 'p'},
	    {"threshold", required_argument, NULL, 'j'},
	    {"bands", required_argument, NULL, 'b'},
	    {"rows", required_argument, NULL, 'r'},
	    {"max-distance", required_argument, NULL, 'd'},
	    {"seed", required_argument, NULL, 'S'},
	    {"keep", required_argument, NULL, 'k'},
	    {"pairs", no_argument, NULL, 'P'},
	    {"against", required_argument, NULL, 'a'},
	    {NULL, 0, NULL, 0},
	};
	int c;

	o->cli.flags = VE_CLI_RECORDS | VE_CLI_PROGRESS;
	while ((c = ve_getopt(argc, argv, "t:s:p:j:b:r:d:S:k:Pa:", longopts, &o->cli, usage)) !=
	       -1) {
		switch (c) {
		case 't': o->text_expr = optarg; break;
		case 's':
			if (!ve_minhash_parse_shingle(optarg, &o->shingle_kind, &o->shingle_n))
				ve_usage_error("--shingle: expected char:N or word:N with N from 1 "
				               "to 64, got '%s'",
				               optarg);
			break;
		case 'p': o->perm = ve_opt_long("--perm", optarg, 1, 1024); break;
		case 'j': o->threshold = ve_opt_double("--threshold", optarg, 0.01, 1); break;
		case 'b': o->bands = ve_opt_long("--bands", optarg, 1, 1024); break;
		case 'r': o->rows = ve_opt_long("--rows", optarg, 1, 1024); break;
		case 'd': o->max_distance = ve_opt_double("--max-distance", optarg, 1e-9, 1); break;
		case 'S':
			o->seed = (unsigned long long)ve_opt_long("--seed", optarg, 0, LONG_MAX);
			break;
		case 'k':
			o->keep_longest = strcmp(optarg, "longest") == 0;
			if (!o->keep_longest && strcmp(optarg, "first") != 0)
				ve_usage_error("--keep: expected first or longest, got '%s'",
				               optarg);
			break;
		case 'P': o->pairs = true; break;
		case 'a':
			o->against =
			    ve_xrealloc(o->against, sizeof *o->against * (size_t)(o->nagainst + 1));
			o->against[o->nagainst++] = optarg;
			break;
		}
	}
	if ((o->bands != 0) != (o->rows != 0))
		ve_usage_error("--bands and --rows go together");
	if (o->bands && o->bands * o->rows > o->perm)
		ve_usage_error("--bands x --rows (%ld) exceeds --perm (%ld)", o->bands * o->rows,
		               o->perm);
}

/*
 * The text of a record (consumed) into nfc; NULL or the reason it has none
 * (in why or a constant).
 */
static const char *
record_text(struct ve_jq *q, jv rec, struct ve_buf *nfc, struct ve_buf *why)
{
	jv t = ve_jq_first(q, rec);

	if (!jv_is_valid(t))
		return ve_json_why(t, "--text: no value", why);
	if (jv_get_kind(t) != JV_KIND_STRING) {
		ve_buf_reset(why);
		ve_buf_addf(why, "--text: expected a string, got %s", jv_kind_name(jv_get_kind(t)));
		jv_free(t);
		return why->p;
	}
	ve_buf_reset(nfc);
	ve_norm(jv_string_value(t), ve_json_strlen(t), VE_NORM_NFC, nfc);
	jv_free(t);
	return NULL;
}

/*
 * Adds a record to L: its line, its NFC text nfc, and the MinHash signature
 * of that text after NFKC (nfkc is scratch space).
 */
static void
add_doc(struct lsh *L, struct ve_minhash *mh, const struct ve_line *line, const struct ve_buf *nfc,
        bool ref, struct ve_buf *nfkc)
{
	size_t cap = L->cap; /* both arrays grow alike, on one capacity */
	L->docs = ve_grow(L->docs, &cap, L->ndocs + 1, sizeof *L->docs);
	L->sigs = ve_grow(L->sigs, &L->cap, L->ndocs + 1, (size_t)mh->perm * sizeof *L->sigs);
	struct doc *d = &L->docs[L->ndocs];
	uint32_t *sig = L->sigs + L->ndocs * (size_t)mh->perm;
	const char *t = nfc->p ? nfc->p : "";
	size_t tn = nfc->len;
	d->at = L->held.len;
	ve_buf_add(&L->held, line->text, line->len);
	ve_buf_add(&L->held, t, tn);
	d->line_len = (uint32_t)line->len;
	d->text_len = (uint32_t)tn;
	d->ncp = (uint32_t)ve_utf8_count(t, tn);
	d->source = (uint32_t)(L->names.base + line->source);
	d->lineno = line->lineno;
	d->parent = d->rep = d->gfirst = (uint32_t)L->ndocs;
	d->gnext = NONE;
	d->flags = ref ? DOC_REF : 0;
	if (ref)
		L->refs++;
	ve_buf_reset(nfkc);
	ve_norm(t, tn, VE_NORM_NFKC, nfkc);
	if (ve_minhash_sign(mh, nfkc->p ? nfkc->p : "", nfkc->len, sig))
		d->flags |= DOC_SIG;
	L->ndocs++;
}

/* Reads the records of rd into L (as reference records if ref); 0 or an exit status. */
static int
load(struct lsh *L, struct ve_reader *rd, bool ref, struct ve_jq *q, struct ve_minhash *mh)
{
	struct ve_rec rec;
	struct ve_buf nfc = {0}, nfkc = {0}, why_buf = {0};
	int r;

	ve_names_follow(&L->names, ve_reader_input(rd));
	while ((r = ve_reader_next(rd, &rec)) == 1) {
		const char *why = record_text(q, rec.value, &nfc, &why_buf);
		if (!why && (rec.line.len > UINT32_MAX || nfc.len > UINT32_MAX))
			why = "record longer than 4 GiB";
		if (!why && L->ndocs >= UINT32_MAX - 1)
			why = "more than 4294967294 records";
		if (why && (r = ve_reader_reject(rd, &rec, why)))
			break;
		if (!why)
			add_doc(L, mh, &rec.line, &nfc, ref, &nfkc);
	}
	ve_buf_free(&nfc);
	ve_buf_free(&nfkc);
	ve_buf_free(&why_buf);
	return r;
}

/*
 * Reads the --against records, then the input's, under one bad-record
 * policy. The readers end here, so their progress line and the count of
 * records skipped come before what follows. Returns 0 or an exit status;
 * *rejects_rc is 74 when the --rejects file could not be written, which
 * stops nothing.
 */
static int
load_all(struct lsh *L, char **files, int nfiles, struct ve_jq *q, struct ve_minhash *mh,
         int *rejects_rc)
{
	const struct opts *o = L->o;
	int rc = 0;

	/* The reader refuses a --rejects file that is an input; --against ones are ours. */
	if (o->nagainst)
		ve_refuse_input_as_output("--rejects", o->cli.rejects, o->against, o->nagainst);
	struct ve_reader *rd = ve_reader_new(files, nfiles, &o->cli, 0);

	if (o->nagainst) {
		struct ve_reader *ref = ve_reader_sibling(rd, o->against, o->nagainst, 0);
		rc = load(L, ref, true, q, mh);
		ve_reader_free(ref);
	}
	if (!rc)
		rc = load(L, rd, false, q, mh);
	*rejects_rc = ve_reader_free(rd);
	return rc;
}

static uint32_t
find(struct doc *docs, uint32_t x)
{
	while (docs[x].parent != x) {
		docs[x].parent = docs[docs[x].parent].parent;
		x = docs[x].parent;
	}
	return x;
}

static void
unite(struct doc *docs, uint32_t a, uint32_t b)
{
	a = find(docs, a);
	b = find(docs, b);
	/* The smaller index becomes the root, so a root is its cluster's first record. */
	if (a < b)
		docs[b].parent = a;
	else if (b < a)
		docs[a].parent = b;
}

/* What ve_index_find looks for: a pair key, or a record's text. */
struct probe {
	const struct lsh *L;
	uint64_t key;
	const struct doc *d;
};

static bool
is_pair(const void *ctx, size_t pos)
{
	const struct probe *p = ctx;

	return p->L->seen[pos] == p->key;
}

/* Adds pair key k to the set of pairs checked; false if it was there. */
static bool
seen_add(struct lsh *L, uint64_t k)
{
	uint64_t h = XXH3_64bits(&k, sizeof k);

	if (ve_index_find(&L->seen_ix, h, is_pair, &(struct probe){.L = L, .key = k}) !=
	    VE_INDEX_NONE)
		return false;
	L->seen = ve_grow(L->seen, &L->seen_cap, L->seen_n + 1, sizeof *L->seen);
	L->seen[L->seen_n] = k;
	ve_index_add(&L->seen_ix, h, L->seen_n++);
	return true;
}

/*
 * Whether records a and b are near duplicates: distance / longer length
 * below the bound, the distance computed only as far as the bound.
 */
static bool
verify(struct lsh *L, uint32_t a, uint32_t b, uint32_t *dist, uint32_t *len)
{
	const struct doc *da = &L->docs[a], *db = &L->docs[b];
	uint32_t longer = da->ncp > db->ncp ? da->ncp : db->ncp;
	double maxd = L->o->max_distance;
	size_t k = (size_t)(maxd * longer);

	while (k > 0 && (double)k / longer >= maxd)
		k--;
	if ((double)k / longer >= maxd)
		return false;
	if ((da->ncp > db->ncp ? da->ncp - db->ncp : db->ncp - da->ncp) > k)
		return false;
	if (L->cpa_doc != a) {
		ve_utf8_decode(L->held.p + da->at + da->line_len, da->text_len, &L->cpa,
		               &L->cpa_cap);
		L->cpa_doc = a;
	}
	ve_utf8_decode(L->held.p + db->at + db->line_len, db->text_len, &L->cpb, &L->cpb_cap);
	size_t d = ve_lev_bounded(&L->lev, L->cpa, da->ncp, L->cpb, db->ncp, k);
	*dist = (uint32_t)d;
	*len = longer;
	return d <= k;
}

/* Adds the pair a-b (smaller record first) for --pairs, unless both are reference records. */
static void
add_pair(struct lsh *L, uint32_t a, uint32_t b, uint32_t dist, uint32_t len)
{
	if ((L->docs[a].flags & DOC_REF) && (L->docs[b].flags & DOC_REF))
		return;
	L->pairs = ve_grow(L->pairs, &L->pairs_cap, L->npairs + 1, sizeof *L->pairs);
	L->pairs[L->npairs++] = (struct pair){a < b ? a : b, a < b ? b : a, dist, len};
}

static void
check_pair(struct lsh *L, uint32_t a, uint32_t b)
{
	uint32_t dist, len;

	if ((L->docs[a].flags & DOC_REF) && (L->docs[b].flags & DOC_REF))
		return;
	if (!L->o->pairs && find(L->docs, a) == find(L->docs, b))
		return;
	if (!seen_add(L, (uint64_t)a << 32 | b))
		return;
	L->checked++;
	if (!verify(L, a, b, &dist, &len))
		return;
	L->near++;
	unite(L->docs, a, b);
	if (L->o->pairs)
		add_pair(L, a, b, dist, len);
}

/* Sorts keys by their high 32 bits, stably (two passes of 16 bits); count has 65536 slots. */
static void
sort_high(uint64_t *keys, uint64_t *tmp, size_t n, size_t *count)
{
	for (int shift = 32; shift < 64; shift += 16) {
		memset(count, 0, (1 << 16) * sizeof *count);
		for (size_t i = 0; i < n; i++)
			count[(keys[i] >> shift) & 0xFFFF]++;
		size_t sum = 0;
		for (size_t i = 0; i < (1 << 16); i++) {
			size_t c = count[i];
			count[i] = sum;
			sum += c;
		}
		for (size_t i = 0; i < n; i++)
			tmp[count[(keys[i] >> shift) & 0xFFFF]++] = keys[i];
		memcpy(keys, tmp, n * sizeof *keys);
	}
}

/* A ve_index_is_fn: whether the record at pos has the text of p->d. */
static bool
is_text(const void *ctx, size_t pos)
{
	const struct probe *p = ctx;
	const struct doc *f = &p->L->docs[pos], *d = p->d;
	const char *held = p->L->held.p;

	return f->text_len == d->text_len &&
	       !memcmp(held + f->at + f->line_len, held + d->at + d->line_len, d->text_len);
}

/*
 * Records of byte-identical NFC text are exact duplicates (distance 0): they
 * are united at once, and only one of them, their representative (the first
 * that is not a reference record, else the first), takes part in the bands.
 * The others would be candidates of the same records in every band.
 */
static void
merge_identical(struct lsh *L)
{
	struct ve_index ix = {0};
	uint32_t *last =
	    ve_xmalloc((L->ndocs + 1) * sizeof *last); /* by a text's first: its last */

	for (size_t i = 0; i < L->ndocs; i++) {
		struct doc *d = &L->docs[i];
		if (!(d->flags & DOC_SIG))
			continue;
		uint64_t h = XXH3_64bits(L->held.p + d->at + d->line_len, d->text_len);
		size_t first = ve_index_find(&ix, h, is_text, &(struct probe){.L = L, .d = d});
		if (first == VE_INDEX_NONE) {
			ve_index_add(&ix, h, i);
			last[i] = (uint32_t)i;
			continue;
		}
		uint32_t r = L->docs[first].rep;
		L->docs[last[first]].gnext = (uint32_t)i;
		last[first] = (uint32_t)i;
		d->rep = r;
		L->identical++;
		unite(L->docs, r, (uint32_t)i);
		if ((L->docs[r].flags & DOC_REF) && !(d->flags & DOC_REF)) {
			/* The first record that is not a reference one stands for them all. */
			for (uint32_t m = (uint32_t)first; m != NONE; m = L->docs[m].gnext)
				L->docs[m].rep = (uint32_t)i;
			d->gfirst = (uint32_t)first;
		}
	}
	ve_index_free(&ix);
	free(last);
}

/* Candidates are records equal in some band; each is checked once. */
static void
find_pairs(struct lsh *L, int perm, uint64_t seed)
{
	uint64_t *keys = ve_xmalloc((L->ndocs + 1) * sizeof *keys);
	uint64_t *tmp = ve_xmalloc((L->ndocs + 1) * sizeof *tmp);
	size_t *count = ve_xmalloc((1 << 16) * sizeof *count);

	for (int band = 0; band < L->bands; band++) {
		size_t n = 0;
		for (size_t i = 0; i < L->ndocs; i++) {
			if (!(L->docs[i].flags & DOC_SIG) || L->docs[i].rep != i)
				continue;
			const uint32_t *s = L->sigs + i * (size_t)perm + (size_t)band * L->rows;
			uint64_t h = XXH3_64bits_withSeed(s, (size_t)L->rows * sizeof *s,
			                                  seed + (uint64_t)band);
			keys[n++] = (h & 0xFFFFFFFF00000000ULL) | i;
		}
		sort_high(keys, tmp, n, count);
		for (size_t i = 0; i < n;) {
			size_t j = i + 1;
			while (j < n && keys[j] >> 32 == keys[i] >> 32)
				j++;
			for (size_t x = i; x < j; x++)
				for (size_t y = x + 1; y < j; y++)
					check_pair(L, (uint32_t)keys[x], (uint32_t)keys[y]);
			i = j;
		}
	}
	free(keys);
	free(tmp);
	free(count);
}

static int
cmp_pair(const void *x, const void *y)
{
	const struct pair *a = x, *b = y;

	if (a->a != b->a)
		return a->a < b->a ? -1 : 1;
	return a->b < b->b ? -1 : a->b > b->b;
}

static size_t
group_size(const struct lsh *L, uint32_t r)
{
	size_t n = 0;
	for (uint32_t m = L->docs[r].gfirst; m != NONE; m = L->docs[m].gnext)
		n++;
	return n;
}

/*
 * Adds the pairs between the records of the texts of representatives a and
 * b, or within one text when a is b. More than PAIRS_CAP of them: only
 * those with a representative.
 */
static void
expand_pair(struct lsh *L, uint32_t a, uint32_t b, uint32_t dist, uint32_t len)
{
	size_t ga = group_size(L, a), gb = group_size(L, b);
	bool all = (a == b ? (double)ga * (ga - 1) / 2 : (double)ga * gb) <= PAIRS_CAP;

	if (!all)
		L->capped = true;
	for (uint32_t x = L->docs[a].gfirst; x != NONE; x = L->docs[x].gnext)
		for (uint32_t y = a == b ? L->docs[x].gnext : L->docs[b].gfirst; y != NONE;
		     y = L->docs[y].gnext)
			if (all || x == a || y == b)
				add_pair(L, x, y, dist, len);
}

/*
 * The pairs verified are between representatives; each stands for the
 * records of its text, which are near the same records at the same distance
 * and at distance 0 from each other.
 */
static void
expand_pairs(struct lsh *L)
{
	size_t n = L->npairs;
	struct pair *reps = L->pairs;

	L->pairs = NULL;
	L->npairs = L->pairs_cap = 0;
	for (size_t i = 0; i < n; i++)
		expand_pair(L, reps[i].a, reps[i].b, reps[i].dist, reps[i].len);
	free(reps);
	for (uint32_t r = 0; r < L->ndocs; r++)
		if (L->docs[r].rep == r && L->docs[L->docs[r].gfirst].gnext != NONE)
			expand_pair(L, r, r, 0, L->docs[r].ncp);
	if (L->capped)
		ve_warn(
		    "--pairs: more than %d pairs between records of identical text; printed only "
		    "those with the first record of each text that is not a reference record",
		    PAIRS_CAP);
}

static void
write_pairs(struct lsh *L, int perm)
{
	struct ve_buf b = {0};
	bool files = L->names.n > 1;

	expand_pairs(L);
	qsort(L->pairs, L->npairs, sizeof *L->pairs, cmp_pair);
	for (size_t i = 0; i < L->npairs; i++) {
		const struct pair *p = &L->pairs[i];
		const struct doc *da = &L->docs[p->a], *db = &L->docs[p->b];
		double j = ve_minhash_jaccard(L->sigs + (size_t)p->a * perm,
		                              L->sigs + (size_t)p->b * perm, perm);
		ve_buf_reset(&b);
		ve_buf_addf(&b, "{\"a\":%llu,\"b\":%llu,\"jaccard_est\":%.15g,\"distance\":%.15g",
		            (unsigned long long)da->lineno, (unsigned long long)db->lineno, j,
		            (double)p->dist / p->len);
		if (files) {
			const char *na = L->names.v[da->source], *nb = L->names.v[db->source];
			ve_buf_adds(&b, ",\"a_file\":");
			ve_buf_add_json_str(&b, na, strlen(na));
			ve_buf_adds(&b, ",\"b_file\":");
			ve_buf_add_json_str(&b, nb, strlen(nb));
		}
		ve_buf_addc(&b, '}');
		ve_out_line(b.p, b.len);
	}
	ve_buf_free(&b);
}

/*
 * Keeps one record of each cluster without a reference record: the first,
 * or the longest (the first of the longest). Counts the records kept, and
 * those dropped for a reference record in their cluster.
 */
static void
write_kept(struct lsh *L, bool write)
{
	uint32_t *best = ve_xmalloc((L->ndocs + 1) * sizeof *best);
	const uint32_t none = UINT32_MAX, refd = UINT32_MAX - 1;

	memset(best, 0xff, L->ndocs * sizeof *best); /* none */
	for (size_t i = 0; i < L->ndocs; i++) {
		uint32_t r = find(L->docs, (uint32_t)i);
		if (L->docs[i].flags & DOC_REF)
			best[r] = refd;
		else if (best[r] == none || (best[r] != refd && L->o->keep_longest &&
		                             L->docs[i].ncp > L->docs[best[r]].ncp))
			best[r] = (uint32_t)i;
	}
	for (size_t i = 0; i < L->ndocs; i++) {
		const struct doc *d = &L->docs[i];
		uint32_t r = find(L->docs, (uint32_t)i);
		if (d->flags & DOC_REF)
			continue;
		if (best[r] == refd) {
			L->against++;
		} else if (best[r] == i) {
			L->kept++;
			if (write)
				ve_out_line(L->held.p + d->at, d->line_len);
		}
	}
	free(best);
}

static int
run(const struct opts *o, char **files, int nfiles)
{
	struct lsh L = {.o = o, .cpa_doc = UINT32_MAX};
	struct ve_minhash mh;
	struct ve_jq *q = ve_jq_compile("--text", o->text_expr);
	int rc = 0, rejects_rc = 0;

	L.bands = (int)o->bands;
	L.rows = (int)o->rows;
	if (!o->bands)
		ve_lsh_choose(o->threshold, (int)o->perm, MIN_CANDIDATE_PROB, &L.bands, &L.rows);
	ve_minhash_init(&mh, o->shingle_kind, o->shingle_n, (int)o->perm, o->seed);
	if ((rc = load_all(&L, files, nfiles, q, &mh, &rejects_rc)))
		goto out;
	merge_identical(&L);
	find_pairs(&L, (int)o->perm, o->seed);
	if (o->pairs)
		write_pairs(&L, (int)o->perm);
	write_kept(&L, !o->pairs);
	if (o->cli.verbose)
		ve_warn("read %llu, kept %llu, dropped %llu (%llu near a reference record, %llu "
		        "reference records); %llu of identical text, %llu pairs checked, %llu near "
		        "duplicates; %d bands x %d rows",
		        L.ndocs - L.refs, L.kept, L.ndocs - L.refs - L.kept, L.against, L.refs,
		        L.identical, L.checked, L.near, L.bands, L.rows);
out:
	ve_names_free(&L.names);
	free(L.docs);
	free(L.sigs);
	free(L.seen);
	ve_index_free(&L.seen_ix);
	free(L.pairs);
	free(L.cpa);
	free(L.cpb);
	ve_lev_free(&L.lev);
	ve_buf_free(&L.held);
	ve_minhash_free(&mh);
	ve_jq_free(q);
	return rc ? rc : rejects_rc;
}

int
main(int argc, char **argv)
{
	struct opts o = {
	    .text_expr = ".text",
	    .shingle_kind = VE_SHINGLE_CHAR,
	    .shingle_n = 5,
	    .perm = 128,
	    .threshold = 0.8,
	    .max_distance = 0.2,
	    .seed = 1,
	};
	int rc;

	ve_setprogname(argv);
	ve_out_init();
	parse_args(argc, argv, &o);
	rc = run(&o, argv + optind, argc - optind);
	free(o.against);
	return ve_out_finish(rc);
}
