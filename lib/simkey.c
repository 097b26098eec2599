#include <math.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <xxhash.h>

#include "array.h"
#include "diag.h"
#include "json.h"
#include "reader.h"
#include "simkey.h"

/* Matches are indexed by the hash of their first ANCHOR bytes. */
#define ANCHOR 8

/* The item's choices from ch (borrowed): absent, null, or 2 to 26 strings. */
static const char *
item_choices(jv ch, struct ve_simitem *it)
{
	if (jv_get_kind(ch) == JV_KIND_INVALID || jv_get_kind(ch) == JV_KIND_NULL)
		return NULL;
	if (jv_get_kind(ch) != JV_KIND_ARRAY)
		return "\"choices\" must be an array of strings";
	int n = jv_array_length(jv_copy(ch));
	it->choices = ve_xcalloc((size_t)(n ? n : 1), sizeof *it->choices);
	it->clen = ve_xcalloc((size_t)(n ? n : 1), sizeof *it->clen);
	for (int i = 0; i < n; i++) {
		jv c = jv_array_get(jv_copy(ch), i);
		if (jv_get_kind(c) != JV_KIND_STRING) {
			jv_free(c);
			return "\"choices\" must be an array of strings";
		}
		it->choices[i] = ve_json_strdup(c, &it->clen[i]);
		it->nchoices++;
		jv_free(c);
	}
	if (n < 2 || n > 26)
		return "\"choices\" must hold 2 to 26 choices (letters A to Z)";
	return NULL;
}

/*
 * The item's gold answer from g (borrowed): with choices, an index, a
 * choice's text or its letter; without, the answer's text.
 */
static const char *
item_gold(jv g, struct ve_simitem *it)
{
	if (jv_get_kind(g) == JV_KIND_NUMBER && it->nchoices) {
		double d = jv_number_value(g);
		if (d != floor(d) || d < 0 || d >= it->nchoices)
			return "\"gold\" is not an index into \"choices\"";
		it->gold = (int)d;
		return NULL;
	}
	if (jv_get_kind(g) != JV_KIND_STRING)
		return it->nchoices ? "\"gold\" must be an index, a choice or a letter"
		                    : "\"gold\" must be a string (the answer)";
	size_t gl;
	char *gs = ve_json_strdup(g, &gl);
	if (!it->nchoices) {
		it->gold_text = gs;
		return NULL;
	}
	for (int i = 0; i < it->nchoices && it->gold < 0; i++)
		if (it->clen[i] == gl && memcmp(it->choices[i], gs, gl) == 0)
			it->gold = i;
	if (it->gold < 0 && gl == 1 && gs[0] >= 'A' && gs[0] < 'A' + it->nchoices)
		it->gold = gs[0] - 'A';
	free(gs);
	return it->gold < 0 ? "\"gold\" is neither a choice nor a choice's letter" : NULL;
}

/* The item's wrong answer from w (borrowed): absent, null, or a string, without choices. */
static const char *
item_wrong(jv w, struct ve_simitem *it)
{
	if (!jv_is_valid(w) || jv_get_kind(w) == JV_KIND_NULL)
		return NULL;
	if (jv_get_kind(w) != JV_KIND_STRING)
		return "\"wrong\" must be a string (the wrong answer)";
	if (it->nchoices)
		return "\"wrong\" goes with a free-text gold, not with choices";
	it->wrong_text = ve_json_strdup(w, NULL);
	return NULL;
}

/* The item's answer format from f (borrowed): absent, null, or one of the names. */
static const char *
item_format(jv f, struct ve_simitem *it)
{
	static const char *const names[] = {"sentence", "gsm8k", "boxed", "letter", "text"};

	if (!jv_is_valid(f) || jv_get_kind(f) == JV_KIND_NULL)
		return NULL;
	for (int i = 0; jv_get_kind(f) == JV_KIND_STRING && i < 5; i++)
		if (strcmp(jv_string_value(f), names[i]) == 0) {
			it->format = (enum ve_simfmt)i;
			return NULL;
		}
	return "\"format\" must be \"sentence\", \"gsm8k\", \"boxed\", \"letter\" or \"text\"";
}

/* The item's name: id (borrowed) when a string or a number, else its match. */
static char *
item_id(jv id, const struct ve_simitem *it)
{
	char tmp[64];

	if (jv_get_kind(id) == JV_KIND_STRING)
		return ve_json_strdup(id, NULL);
	if (jv_get_kind(id) != JV_KIND_NUMBER)
		return ve_xstrdup(it->match);
	snprintf(tmp, sizeof tmp, "%.17g", jv_number_value(id));
	return ve_xstrdup(tmp);
}

/*
 * Fills it from one key record (consumed). Returns NULL or the reason the
 * record is not an item.
 */
static const char *
item_from(jv rec, struct ve_simitem *it, char *why, size_t whylen)
{
	jv m = ve_json_get(rec, "match"), ch = ve_json_get(rec, "choices");
	jv g = ve_json_get(rec, "gold"), id = ve_json_get(rec, "id");
	jv f = ve_json_get(rec, "format"), w = ve_json_get(rec, "wrong");
	const char *err = NULL;

	memset(it, 0, sizeof *it);
	it->gold = -1;
	if (jv_get_kind(m) != JV_KIND_STRING || ve_json_strlen(m) == 0) {
		err = "\"match\" must be a non-empty string";
	} else {
		it->match = ve_json_strdup(m, &it->mlen);
		if (!(err = item_choices(ch, it)) && !(err = item_gold(g, it)) &&
		    !(err = item_wrong(w, it)) && !(err = item_format(f, it)))
			it->id = item_id(id, it);
	}
	jv_free(f);
	jv_free(w);
	jv_free(m);
	jv_free(ch);
	jv_free(g);
	jv_free(id);
	jv_free(rec);
	if (err)
		snprintf(why, whylen, "%s", err);
	return err ? why : NULL;
}

static void
item_free(struct ve_simitem *it)
{
	free(it->match);
	for (int i = 0; i < it->nchoices; i++)
		free(it->choices[i]);
	free(it->choices);
	free(it->clen);
	free(it->gold_text);
	free(it->wrong_text);
	free(it->id);
}

void
ve_simkey_free(struct ve_simkey *k)
{
	for (size_t i = 0; i < k->n; i++)
		item_free(&k->items[i]);
	free(k->items);
	free(k->bucket);
	memset(k, 0, sizeof *k);
}

void
ve_simkey_load(struct ve_simkey *k, const char *path)
{
	char *paths[1] = {(char *)path};
	struct ve_cli cli = {0}; /* the first bad record stops the load: exit 65 */
	struct ve_reader *rd = ve_reader_new(paths, 1, &cli, 0);
	struct ve_rec rec;
	size_t cap = 0;
	char why[128];
	int r;

	while ((r = ve_reader_next(rd, &rec)) == 1) {
		k->items = ve_grow(k->items, &cap, k->n + 1, sizeof *k->items);
		if (item_from(rec.value, &k->items[k->n], why, sizeof why))
			exit(ve_reader_reject(rd, &rec, why));
		k->n++;
	}
	if (r)
		exit(r);
	ve_reader_free(rd);
	k->nbucket = 1;
	while (k->nbucket < k->n * 2)
		k->nbucket *= 2;
	k->bucket = ve_xcalloc(k->nbucket, sizeof *k->bucket);
	for (size_t i = 0; i < k->n; i++) {
		struct ve_simitem *it = &k->items[i];
		if (it->mlen < ANCHOR) {
			it->next = k->shorts;
			k->shorts = it;
		} else {
			size_t b = XXH3_64bits(it->match, ANCHOR) & (k->nbucket - 1);
			it->next = k->bucket[b];
			k->bucket[b] = it;
		}
	}
}

const struct ve_simitem *
ve_simkey_find(const struct ve_simkey *k, const char *p, size_t n)
{
	const struct ve_simitem *best = NULL;
	size_t best_end = 0;

	if (!k->n)
		return NULL;
	for (size_t i = 0; i + ANCHOR <= n; i++) {
		size_t b = XXH3_64bits(p + i, ANCHOR) & (k->nbucket - 1);
		for (const struct ve_simitem *it = k->bucket[b]; it; it = it->next) {
			if (it->mlen > n - i || memcmp(p + i, it->match, it->mlen) != 0)
				continue;
			size_t end = i + it->mlen;
			if (!best || end > best_end || (end == best_end && it->mlen > best->mlen)) {
				best = it;
				best_end = end;
			}
		}
	}
	for (const struct ve_simitem *it = k->shorts; it; it = it->next) {
		const char *q = p, *hit = NULL;
		size_t left = n;
		const char *f;
		while ((f = memmem(q, left, it->match, it->mlen))) {
			hit = f;
			left -= (size_t)(f - q) + 1;
			q = f + 1;
		}
		if (!hit)
			continue;
		size_t end = (size_t)(hit - p) + it->mlen;
		if (!best || end > best_end || (end == best_end && it->mlen > best->mlen)) {
			best = it;
			best_end = end;
		}
	}
	return best;
}
