/*
 * ds-draw — CPython's random draws, spliced into each record.
 *
 * Reads JSON Lines records and writes each one back, byte for byte, with one
 * field added before its closing brace: the indices a Python reference would
 * have drawn for that record with the random module (lib/pyrand.h follows
 * CPython 3.11 draw for draw). --shuffle N gives the order
 * random.shuffle(list(range(N))) leaves; --sample K --population N gives
 * random.sample(range(N), K); --choice N and --random give one number each.
 * One random.Random(SEED) serves the records in order, as a reference that draws once per document
 * does; with --reseed every record gets a fresh random.Random(SEED), as code that builds its
 * generator per document does (Evalchemy's GPQA-Diamond); with --group EXPR
 * each group of records has its own, as lm-eval's subtasks do (KMMLU's
 * subjects), and --population-of EXPR sizes each record's population (its
 * subject's examples). A task template then applies the indices (ds-draw(1),
 * EXAMPLES).
 */
#include <getopt.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "buf.h"
#include "cli.h"
#include "array.h"
#include "diag.h"
#include "json.h"
#include "num.h"
#include "output.h"
#include "pyrand.h"
#include "reader.h"

/* What is drawn for each record; a new shape is one more member and one more case in draw(). */
enum mode {
	MODE_NONE,
	MODE_SHUFFLE, /* random.shuffle(list(range(n))) */
	MODE_SAMPLE,  /* random.sample(range(population), k) */
	MODE_CHOICE,  /* random.choice(range(n)) */
	MODE_RANDOM,  /* random.random() */
};

/* The most indices one record gets: its field is written whole for every record. */
#define MAX_DRAW 10000000L

struct opts {
	struct ve_cli cli;
	enum mode mode;
	long n;                    /* --shuffle N, --sample K or --choice N */
	long population;           /* --population N; -1 when not given */
	const char *population_of; /* --population-of EXPR: each record's */
	const char *group;         /* --group EXPR: a generator per group */
	const char *seed;
	bool reseed;
	const char *field;
};

static void
usage(FILE *f)
{
	fprintf(f,
	        "usage: %s [-qv] [-s SEED] [--reseed | --group EXPR]\n"
	        "               (--shuffle N | --sample K (--population N | --population-of EXPR)\n"
	        "                | --choice N | --random) [-f NAME] [--skip-bad] [--rejects FILE]\n"
	        "               [FILE...]\n"
	        "\n"
	        "Add to each record the indices Python's random module draws (CPython 3.11).\n"
	        "\n"
	        "      --shuffle N       random.shuffle(list(range(N)))\n"
	        "      --sample K        random.sample(range(N), K), with --population N\n"
	        "      --population N    the size of the population --sample draws from\n"
	        "      --population-of EXPR  each record's population, a jq expression\n"
	        "      --choice N        random.choice(range(N)), a number\n"
	        "      --random          random.random(), a number in [0, 1)\n"
	        "  -s, --seed SEED       random.Random(SEED), an integer of any size (default 0)\n"
	        "      --reseed          a fresh random.Random(SEED) for every record\n"
	        "                        (default: one for all records, in order)\n"
	        "      --group EXPR      a random.Random(SEED) for each value of the jq\n"
	        "                        expression, its records in order (lm-eval's subtasks)\n"
	        "  -f, --field NAME      the key of the indices (default _draw)\n",
	        ve_progname);
	ve_cli_help(f, VE_CLI_RECORDS, 24);
	fprintf(f, "\n"
	           "Exit: 0 ok, 64 usage, 65 bad input, 66 cannot open, 73 cannot create,\n"
	           "74 I/O error. See ds-draw(1).\n");
}

enum {
	OPT_SHUFFLE = 256,
	OPT_SAMPLE,
	OPT_POPULATION,
	OPT_CHOICE,
	OPT_RANDOM,
	OPT_RESEED,
	OPT_POPULATION_OF,
	OPT_GROUP,
};

/* The option combinations parse_args cannot see one option at a time. */
static void
check_args(const struct opts *o)
{
	if (o->mode == MODE_NONE)
		ve_usage_error(
		    "say what to draw: --shuffle N, --sample K --population N, --choice N "
		    "or --random");
	if (o->population >= 0 && o->population_of)
		ve_usage_error("--population and --population-of: give one");
	if (o->mode == MODE_SAMPLE && o->population < 0 && !o->population_of)
		ve_usage_error("--sample needs --population N or --population-of EXPR");
	if (o->mode != MODE_SAMPLE && (o->population >= 0 || o->population_of))
		ve_usage_error(o->population_of ? "--population-of is the population of --sample"
		                                : "--population is the population of --sample");
	if (o->reseed && o->group)
		ve_usage_error("--reseed and --group: a fresh generator for each record leaves no "
		               "group to share one");
	if (o->mode == MODE_SAMPLE && !o->population_of && o->n > o->population)
		ve_usage_error("--sample: %ld is larger than the population (%ld)", o->n,
		               o->population);
	if (o->mode == MODE_CHOICE && o->n == 0)
		ve_usage_error("--choice: the population is empty");
	if (!*o->field)
		ve_usage_error("--field: the name is empty");
	struct ve_pyrand r;
	if (!ve_pyrand_seed_text(&r, o->seed))
		ve_usage_error("--seed: '%.40s%s' is not an integer (at most %d digits)", o->seed,
		               strlen(o->seed) > 40 ? "..." : "", VE_PYRAND_SEED_DIGITS);
}

/* Sets the mode, refusing a second one. */
static void
set_mode(struct opts *o, enum mode m, const char *opt, const char *arg)
{
	if (o->mode != MODE_NONE)
		ve_usage_error("--shuffle, --sample, --choice and --random are one draw each: "
		               "give one");
	o->mode = m;
	if (m == MODE_CHOICE)
		o->n = ve_opt_long(opt, arg, 0, INT64_MAX);
	else if (arg)
		o->n = ve_opt_long(opt, arg, 0, MAX_DRAW);
}

static void
parse_args(int argc, char **argv, struct opts *o)
{
	const struct option longopts[] = {
	    {"shuffle", required_argument, NULL, OPT_SHUFFLE},
	    {"sample", required_argument, NULL, OPT_SAMPLE},
	    {"population", required_argument, NULL, OPT_POPULATION},
	    {"choice", required_argument, NULL, OPT_CHOICE},
	    {"random", no_argument, NULL, OPT_RANDOM},
	    {"seed", required_argument, NULL, 's'},
	    {"reseed", no_argument, NULL, OPT_RESEED},
	    {"field", required_argument, NULL, 'f'},
	    {"population-of", required_argument, NULL, OPT_POPULATION_OF},
	    {"group", required_argument, NULL, OPT_GROUP},
	    {NULL, 0, NULL, 0},
	};
	int c;

	*o = (struct opts){
	    .cli = {.flags = VE_CLI_RECORDS}, .population = -1, .seed = "0", .field = "_draw"};
	while ((c = ve_getopt(argc, argv, "s:f:", longopts, &o->cli, usage)) != -1) {
		switch (c) {
		case OPT_SHUFFLE: set_mode(o, MODE_SHUFFLE, "--shuffle", optarg); break;
		case OPT_SAMPLE: set_mode(o, MODE_SAMPLE, "--sample", optarg); break;
		case OPT_CHOICE: set_mode(o, MODE_CHOICE, "--choice", optarg); break;
		case OPT_RANDOM: set_mode(o, MODE_RANDOM, "--random", NULL); break;
		case OPT_POPULATION:
			o->population = ve_opt_long("--population", optarg, 0, INT64_MAX);
			break;
		case 's': o->seed = optarg; break;
		case OPT_RESEED: o->reseed = true; break;
		case OPT_POPULATION_OF: o->population_of = optarg; break;
		case OPT_GROUP: o->group = optarg; break;
		case 'f': o->field = optarg; break;
		}
	}
	check_args(o);
}

/* --group: a group's generator, under its value's JSON text. */
struct group {
	char *key;
	struct ve_pyrand rng;
};

/*
 * The drawing state: the generator, its state as seeded (for --reseed), the
 * groups' generators, the indices.
 */
struct draw {
	const struct opts *o;
	struct ve_pyrand rng, seeded;
	struct ve_jq *group, *population;
	struct group *g;
	size_t ng, gcap;
	uint64_t *idx;
	size_t nidx;
	struct ve_buf fields; /* "NAME":[...] */
	struct ve_buf why;    /* a record's error */
	unsigned long long read;
};

static void
draw_init(struct draw *d, const struct opts *o)
{
	bool list = o->mode == MODE_SHUFFLE || o->mode == MODE_SAMPLE;

	*d = (struct draw){.o = o, .nidx = list ? (size_t)o->n : 0};
	ve_pyrand_seed_text(&d->seeded, o->seed); /* checked in check_args */
	d->rng = d->seeded;
	d->idx = ve_xcalloc(d->nidx ? d->nidx : 1, sizeof *d->idx);
	if (o->group)
		d->group = ve_jq_compile("--group", o->group);
	if (o->population_of)
		d->population = ve_jq_compile("--population-of", o->population_of);
}

static void
draw_free(struct draw *d)
{
	free(d->idx);
	for (size_t i = 0; i < d->ng; i++)
		free(d->g[i].key);
	free(d->g);
	ve_jq_free(d->group);
	ve_jq_free(d->population);
	ve_buf_free(&d->fields);
	ve_buf_free(&d->why);
}

/* Why an expression gave no value (v consumed; its message names the option) into d->why. */
static void
expr_error(struct draw *d, jv v, const char *none)
{
	const char *m = ve_json_why(v, none, &d->why);

	if (m != d->why.p) {
		ve_buf_reset(&d->why);
		ve_buf_adds(&d->why, m);
	}
}

/*
 * The generator of rec's group (rec borrowed), made from the seed at the
 * group's first record: NULL, with d->why saying why, when the expression
 * fails on rec.
 */
static struct ve_pyrand *
group_rng(struct draw *d, jv rec)
{
	jv v = ve_jq_first(d->group, jv_copy(rec));
	struct ve_buf key = {0};
	size_t i;

	if (!jv_is_valid(v)) {
		expr_error(d, v, "--group: no value");
		return NULL;
	}
	ve_json_dump(v, &key);
	jv_free(v);
	for (i = 0; i < d->ng && strcmp(d->g[i].key, key.p); i++)
		;
	if (i == d->ng) {
		d->g = ve_grow(d->g, &d->gcap, d->ng + 1, sizeof *d->g);
		d->g[d->ng++] = (struct group){.key = ve_xstrdup(key.p), .rng = d->seeded};
	}
	ve_buf_free(&key);
	return &d->g[i].rng;
}

/*
 * --population-of: rec's population (rec borrowed), a whole number at
 * least the sample's size; -1, with d->why saying why, when it is not.
 */
static long
population_of(struct draw *d, jv rec)
{
	jv v = ve_jq_first(d->population, jv_copy(rec));
	long n = -1;

	ve_buf_reset(&d->why);
	if (!jv_is_valid(v)) {
		expr_error(d, v, "--population-of: no value");
		return -1;
	}
	double x = jv_get_kind(v) == JV_KIND_NUMBER ? jv_number_value(v) : -1;
	jv_free(v);
	if (!(x >= 0 && x <= (double)INT64_MAX / 2 && x == (double)(long)x))
		ve_buf_adds(&d->why, "--population-of: not a whole number");
	else if ((long)x < d->o->n)
		ve_buf_addf(&d->why,
		            "--population-of: the population (%ld) is smaller than the "
		            "sample (%ld)",
		            (long)x, d->o->n);
	else
		n = (long)x;
	return n;
}

/* The indices of the next record into d->idx from rng, as JSON after the field's name. */
static void
draw_list(struct draw *d, struct ve_pyrand *rng, long population)
{
	const struct opts *o = d->o;

	if (o->mode == MODE_SHUFFLE) {
		for (size_t i = 0; i < d->nidx; i++)
			d->idx[i] = i;
		ve_pyrand_shuffle(rng, d->idx, d->nidx);
	} else {
		ve_pyrand_sample(rng, (uint64_t)population, d->nidx, d->idx);
	}
	ve_buf_addc(&d->fields, '[');
	for (size_t i = 0; i < d->nidx; i++)
		ve_buf_addf(&d->fields, i ? ",%llu" : "%llu", (unsigned long long)d->idx[i]);
	ve_buf_addc(&d->fields, ']');
}

/*
 * The field of the next record (rec borrowed), "NAME":VALUE, into
 * d->fields: NULL, or why the record gets none.
 */
static const char *
draw(struct draw *d, jv rec)
{
	const struct opts *o = d->o;
	char num[VE_NUM_G_SIZE];
	struct ve_pyrand *rng = &d->rng;
	long population = o->population;

	if (o->reseed)
		d->rng = d->seeded;
	if (d->population && (population = population_of(d, rec)) < 0)
		return d->why.p;
	if (d->group && !(rng = group_rng(d, rec)))
		return d->why.p;
	ve_buf_reset(&d->fields);
	ve_buf_add_json_str(&d->fields, o->field, strlen(o->field));
	ve_buf_addc(&d->fields, ':');
	switch (o->mode) {
	case MODE_SHUFFLE:
	case MODE_SAMPLE: draw_list(d, rng, population); break;
	case MODE_CHOICE:
		ve_buf_addf(&d->fields, "%llu",
		            (unsigned long long)ve_pyrand_choice(rng, (uint64_t)o->n));
		break;
	case MODE_RANDOM:
		/* repr's digits: the fewest that read back as the same double */
		ve_buf_adds(&d->fields, ve_num_g(num, sizeof num, ve_pyrand_random(rng), 1));
		break;
	case MODE_NONE: break;
	}
	return NULL;
}

static int
run(const struct opts *o, char **files, int nfiles)
{
	struct draw d;
	struct ve_rec rec;
	int r;

	draw_init(&d, o);
	struct ve_reader *rd = ve_reader_new(files, nfiles, &o->cli, 0);
	while ((r = ve_reader_next(rd, &rec)) == 1) {
		/* A second key of that name would be read as the one or the other. */
		const char *why = jv_object_has(jv_copy(rec.value), jv_string(o->field))
		                      ? "the record has the field already (see --field)"
		                      : (d.read++, draw(&d, rec.value));
		jv_free(rec.value);
		if (why && (r = ve_reader_reject(rd, &rec, why)))
			break;
		if (!why)
			ve_out_splice(rec.line.text, rec.line.len, d.fields.p, d.fields.len);
	}
	if (o->cli.verbose)
		ve_warn("read %llu", d.read);
	int rc = ve_reader_free(rd);
	draw_free(&d);
	return r ? r : rc;
}

int
main(int argc, char **argv)
{
	struct opts o;

	ve_setprogname(argv);
	ve_out_init();
	parse_args(argc, argv, &o);
	return ve_out_finish(run(&o, argv + optind, argc - optind));
}
