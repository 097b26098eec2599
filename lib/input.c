#include <archive.h>
#include <archive_entry.h>
#include <errno.h>
#include <fcntl.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <zlib.h>

#include "buf.h"
#include "diag.h"
#include "input.h"
#include "output.h"
#include "utf8.h"

/*
 * The bytes of one file as libarchive reads them. A gzip stream is
 * inflated here, with zlib, because libarchive's gzip filter does not check
 * the CRC and length that end each member: a flipped byte would be read as
 * data. Other streams are handed over as they are, and libarchive's
 * filters (which check what their formats carry) take them on.
 */
struct source {
	int fd;
	bool started, gzip, eof, zstarted;
	bool failed; /* the data was bad (65), not the file (66) */
	z_stream zs;
	size_t nhead; /* bytes of raw[] read ahead to tell gzip */
	unsigned char raw[1 << 16];
	char buf[1 << 16];
};

struct ve_input {
	char *const *paths;
	int npaths;
	int next_path;     /* index of the next path to open */
	int source;        /* sources started so far, minus one */
	struct archive *a; /* the open file, or NULL between files */
	struct source src;
	unsigned long long members; /* regular members of the open archive */
	const char *path;           /* its display name */
	bool is_archive;            /* tar/zip: lines come member by member */
	bool in_member;             /* a member (or the raw stream) is being read */
	const char *block;          /* the unread part of the current data block */
	size_t blen;
	struct ve_buf line; /* a line that spans blocks */
	struct ve_buf name;
	unsigned long long lineno;
	unsigned long long bytes;
	size_t max_line;
	int status;
	ve_member_fn *on_member;
	void *ctx;
};

struct ve_input *
ve_input_new(char *const *paths, int npaths)
{
	struct ve_input *in = ve_xcalloc(1, sizeof *in);
	static char *const dash[] = {"-"};

	in->paths = npaths ? paths : dash;
	in->npaths = npaths ? npaths : 1;
	in->source = -1;
	in->max_line = VE_MAX_LINE_DEFAULT;
	return in;
}

void
ve_input_max_line(struct ve_input *in, size_t max)
{
	in->max_line = max;
}

void
ve_input_on_member(struct ve_input *in, ve_member_fn *fn, void *ctx)
{
	in->on_member = fn;
	in->ctx = ctx;
}

int
ve_input_status(const struct ve_input *in)
{
	return in->status;
}

unsigned long long
ve_input_bytes(const struct ve_input *in)
{
	return in->bytes;
}

static int
fail(struct ve_input *in, int status, const char *what)
{
	ve_warn("%s: %s", in->path, what);
	in->status = status;
	return -1;
}

/* read(2) into p, again after a signal; sets the archive's error. */
static ssize_t
read_fd(struct archive *a, int fd, void *p, size_t n)
{
	ssize_t got;

	do
		got = read(fd, p, n);
	while (got < 0 && errno == EINTR);
	if (got < 0)
		archive_set_error(a, errno, "%s", strerror(errno));
	return got;
}

/* Reads the first bytes; the gzip magic switches to inflating. */
static int
source_start(struct archive *a, struct source *src)
{
	src->started = true;
	while (src->nhead < 2) {
		ssize_t n = read_fd(a, src->fd, src->raw + src->nhead, 2 - src->nhead);
		if (n < 0)
			return -1;
		if (n == 0)
			break;
		src->nhead += (size_t)n;
	}
	src->gzip = src->nhead == 2 && src->raw[0] == 0x1f && src->raw[1] == 0x8b;
	if (src->gzip) {
		/* 16 + MAX_WBITS: a gzip wrapper, its CRC-32 and length checked. */
		if (inflateInit2(&src->zs, 16 + MAX_WBITS) != Z_OK) {
			archive_set_error(a, ENOMEM, "gzip: cannot start zlib");
			return -1;
		}
		src->zstarted = true;
		src->zs.next_in = src->raw;
		src->zs.avail_in = (uInt)src->nhead;
		src->nhead = 0;
	}
	return 0;
}

static la_ssize_t
gzip_fail(struct archive *a, struct source *src, const char *why)
{
	src->failed = true;
	archive_set_error(a, EINVAL, "gzip: %s", why);
	return -1;
}

/*
 * Inflates into src->buf: the bytes made, 0 at the end, -1 on an error.
 * Concatenated members are read in turn, as gzip -d does.
 */
static la_ssize_t
source_inflate(struct archive *a, struct source *src)
{
	z_stream *zs = &src->zs;

	zs->next_out = (Bytef *)src->buf;
	zs->avail_out = sizeof src->buf;
	while (zs->avail_out == sizeof src->buf) {
		if (zs->avail_in == 0 && !src->eof) {
			ssize_t n = read_fd(a, src->fd, src->raw, sizeof src->raw);
			if (n < 0)
				return -1;
			src->eof = n == 0;
			zs->next_in = src->raw;
			zs->avail_in = (uInt)n;
		}
		int r = inflate(zs, Z_NO_FLUSH);
		if (r == Z_STREAM_END) {
			if (zs->avail_in == 0 && src->eof)
				break;
			if (zs->avail_in == 0)
				continue; /* more may follow: read before deciding */
			inflateReset(zs);
		} else if (r == Z_BUF_ERROR && zs->avail_in == 0 && src->eof) {
			return gzip_fail(a, src, "truncated input");
		} else if (r != Z_OK && r != Z_BUF_ERROR) {
			return gzip_fail(a, src, zs->msg ? zs->msg : "corrupt data");
		}
	}
	return (la_ssize_t)(sizeof src->buf - zs->avail_out);
}

static la_ssize_t
source_read(struct archive *a, void *ctx, const void **out)
{
	struct source *src = ctx;

	if (!src->started && source_start(a, src) < 0)
		return -1;
	if (src->gzip) {
		*out = src->buf;
		return source_inflate(a, src);
	}
	*out = src->raw;
	if (src->nhead) {
		la_ssize_t n = (la_ssize_t)src->nhead;
		src->nhead = 0;
		return n;
	}
	return read_fd(a, src->fd, src->raw, sizeof src->raw);
}

static int
source_close(struct archive *a, void *ctx)
{
	struct source *src = ctx;

	(void)a;
	if (src->zstarted)
		inflateEnd(&src->zs);
	if (src->fd > 0)
		close(src->fd);
	src->zstarted = false;
	src->fd = -1;
	return ARCHIVE_OK;
}

static int
open_next(struct ve_input *in)
{
	const char *p = in->paths[in->next_path++];
	struct source *src = &in->src;

	memset(src, 0, offsetof(struct source, raw));
	if (strcmp(p, "-") == 0) {
		in->path = "<stdin>";
		src->fd = 0;
	} else {
		in->path = p;
		src->fd = open(p, O_RDONLY | O_CLOEXEC);
		if (src->fd < 0)
			return fail(in, VE_EX_NOINPUT, strerror(errno));
	}
	in->a = archive_read_new();
	in->members = 0;
	archive_read_support_filter_all(in->a);
	archive_read_support_format_tar(in->a);
	archive_read_support_format_zip(in->a);
	archive_read_support_format_empty(in->a);
	archive_read_support_format_raw(in->a);
	if (archive_read_open(in->a, src, NULL, source_read, source_close) != ARCHIVE_OK) {
		int e = archive_errno(in->a);
		int st = e == EIO ? VE_EX_IOERR : VE_EX_DATAERR;
		return fail(in, st, archive_error_string(in->a));
	}
	return 0;
}

static void
close_current(struct ve_input *in)
{
	if (in->a)
		archive_read_free(in->a);
	in->a = NULL;
	in->in_member = false;
	in->blen = 0;
}

/* 74 for a read error, else 65: the bytes were there but not readable data. */
static int
data_status(struct ve_input *in)
{
	return archive_errno(in->a) == EIO && !in->src.failed ? VE_EX_IOERR : VE_EX_DATAERR;
}

/*
 * A member's name as messages show it: control bytes (a terminal's escape
 * sequences), backslashes and bytes that are not UTF-8 written as \xHH, so
 * a crafted archive cannot drive the terminal that reads stderr, and the
 * name is text wherever a tool writes it (JSON, a YAML manifest).
 */
static void
add_member_name(struct ve_buf *b, const char *m)
{
	size_t n = strlen(m);
	long bad = ve_utf8_invalid_at(m, n); /* the next byte that is not UTF-8, or -1 */

	for (size_t i = 0; i < n; i++) {
		unsigned char c = (unsigned char)m[i];
		bool invalid = (long)i == bad;
		if (invalid) {
			long next = ve_utf8_invalid_at(m + i + 1, n - i - 1);
			bad = next < 0 ? -1 : (long)i + 1 + next;
		}
		if (invalid || c < 0x20 || c == 0x7f || c == '\\')
			ve_buf_addf(b, "\\x%02x", c);
		else
			ve_buf_addc(b, (char)c);
	}
}

/* Moves to the next member of the open file; 1 found, 0 none left, -1 error. */
static int
next_member(struct ve_input *in)
{
	struct archive_entry *e;

	for (;;) {
		int r = archive_read_next_header(in->a, &e);

		if (r == ARCHIVE_EOF) {
			/*
			 * A tar of no files is what libarchive makes of a stream of
			 * NUL bytes (its end-of-archive blocks): not data to take as
			 * empty.
			 */
			int base = archive_format(in->a) & ARCHIVE_FORMAT_BASE_MASK;
			if ((base == ARCHIVE_FORMAT_TAR || base == ARCHIVE_FORMAT_ZIP) &&
			    !in->members)
				return fail(in, VE_EX_DATAERR, "an archive with no files in it");
			return 0;
		}
		if (r < ARCHIVE_WARN)
			return fail(in, data_status(in), archive_error_string(in->a));
		int fmt = archive_format(in->a);
		in->is_archive = fmt != ARCHIVE_FORMAT_RAW && fmt != ARCHIVE_FORMAT_EMPTY;
		if (fmt == ARCHIVE_FORMAT_EMPTY)
			return 0;
		if (in->is_archive && archive_entry_filetype(e) != AE_IFREG)
			continue;
		in->members++;
		ve_buf_reset(&in->name);
		ve_buf_adds(&in->name, in->path);
		if (in->is_archive) {
			const char *m = archive_entry_pathname(e);
			ve_buf_addc(&in->name, ':');
			add_member_name(&in->name, m ? m : "?");
		}
		in->source++;
		in->lineno = 0;
		in->in_member = true;
		if (in->on_member)
			in->on_member(in->ctx, in->name.p, in->source);
		return 1;
	}
}

/* Refills the block; 1 data, 0 end of member, -1 error. */
static int
refill(struct ve_input *in)
{
	const void *buf;
	size_t size;
	la_int64_t off;
	int r;

	do {
		r = archive_read_data_block(in->a, &buf, &size, &off);
		if (r == ARCHIVE_EOF)
			return 0;
		if (r < ARCHIVE_WARN)
			return fail(in, data_status(in), archive_error_string(in->a));
	} while (size == 0);
	in->block = buf;
	in->blen = size;
	in->bytes += size;
	return 1;
}

static void
emit(struct ve_input *in, struct ve_line *line, const char *text, size_t len)
{
	if (len && text[len - 1] == '\r')
		len--;
	line->text = text;
	line->len = len;
	line->name = in->name.p;
	line->lineno = ++in->lineno;
	line->source = in->source;
}

/* The line being read is over the limit: an error at its place. */
static int
too_long(struct ve_input *in)
{
	ve_warn("%s:%llu: a line longer than %zu bytes (see --max-line)", in->name.p,
	        in->lineno + 1, in->max_line);
	in->status = VE_EX_DATAERR;
	close_current(in);
	return -1;
}

int
ve_input_next(struct ve_input *in, struct ve_line *line)
{
	for (;;) {
		if (!in->a) {
			if (in->status)
				return -1;
			if (in->next_path >= in->npaths)
				return 0;
			if (open_next(in) < 0)
				return -1;
		}
		if (!in->in_member) {
			int r = next_member(in);
			if (r < 0)
				return -1;
			if (r == 0) {
				close_current(in);
				continue;
			}
			ve_buf_reset(&in->line);
		}
		if (in->blen) {
			const char *nl = memchr(in->block, '\n', in->blen);
			size_t upto = nl ? (size_t)(nl - in->block) : in->blen;
			if (upto > in->max_line || in->line.len + upto > in->max_line)
				return too_long(in);
			if (nl) {
				size_t n = (size_t)(nl - in->block);
				const char *text = in->block;
				in->block = nl + 1;
				in->blen -= n + 1;
				if (in->line.len) {
					ve_buf_add(&in->line, text, n);
					emit(in, line, in->line.p, in->line.len);
					in->line.len = 0;
				} else {
					emit(in, line, text, n);
				}
				return 1;
			}
			ve_buf_add(&in->line, in->block, in->blen);
			in->blen = 0;
		}
		int r = refill(in);
		if (r < 0)
			return -1;
		if (r == 0) {
			in->in_member = false;
			if (!in->is_archive)
				close_current(in);
			if (in->line.len) {
				emit(in, line, in->line.p, in->line.len);
				in->line.len = 0;
				return 1;
			}
		}
	}
}

void
ve_input_free(struct ve_input *in)
{
	if (!in)
		return;
	close_current(in);
	ve_buf_free(&in->line);
	ve_buf_free(&in->name);
	free(in);
}

bool
ve_line_blank(const struct ve_line *line)
{
	for (size_t i = 0; i < line->len; i++) {
		char c = line->text[i];
		if (c != ' ' && c != '\t' && c != '\r' && c != '\n')
			return false;
	}
	return true;
}

void
ve_bad_open(struct ve_bad *bad, const char *rejects_path, bool skip)
{
	memset(bad, 0, sizeof *bad);
	bad->skip = skip || rejects_path;
	bad->rejects_path = rejects_path;
	if (rejects_path)
		bad->rejects = ve_open_output("--rejects", rejects_path);
}

int
ve_bad_record(struct ve_bad *bad, const struct ve_line *line, const char *reason)
{
	if (!bad->skip) {
		ve_warn("%s:%llu: %s", line->name, line->lineno, reason);
		return VE_EX_DATAERR;
	}
	if (!bad->count++) {
		struct ve_buf b = {0};
		ve_buf_addf(&b, "%s:%llu: %s", line->name, line->lineno, reason);
		bad->first = b.p;
	}
	if (bad->rejects && (fwrite(line->text, 1, line->len, bad->rejects) != line->len ||
	                     putc('\n', bad->rejects) == EOF))
		ve_die(VE_EX_IOERR, "--rejects: %s: write error: %s", bad->rejects_path,
		       strerror(errno));
	return 0;
}

int
ve_bad_close(struct ve_bad *bad, bool quiet)
{
	int rc = 0;

	if (bad->count && !quiet)
		ve_warn("skipped %llu bad record%s (first: %s)", bad->count,
		        bad->count == 1 ? "" : "s", bad->first);
	if (bad->rejects)
		rc = ve_fclose_checked(bad->rejects, bad->rejects_path);
	free(bad->first);
	bad->rejects = NULL;
	bad->first = NULL;
	return rc;
}
