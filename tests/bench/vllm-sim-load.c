/*
 * A load generator for vllm-sim's streaming path: opens N connections at
 * once on one epoll loop, sends a streaming completions request on each,
 * and counts the SSE token events that come back. Prints one JSON line:
 * streams, peak concurrent streams, events, seconds, events per second,
 * failed streams. Single-threaded, so that it stays cheaper than the server.
 *
 *   vllm-sim-load PORT STREAMS MAX_TOKENS
 */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

struct stream {
	int fd;
	size_t sent;
	int state; /* 0 sending, 1 reading, 2 done */
	long events;
	int done_seen;
	char carry[8];
	size_t ncarry;
};

static double
now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* Counts "data: {" (token and usage events) and notes "data: [DONE]" across reads. */
static void
scan(struct stream *s, const char *p, size_t n)
{
	char buf[65536 + 8];

	memcpy(buf, s->carry, s->ncarry);
	memcpy(buf + s->ncarry, p, n);
	size_t len = s->ncarry + n;
	for (size_t i = 0; i + 7 <= len; i++) {
		if (buf[i] == 'd' && memcmp(buf + i, "data: {", 7) == 0)
			s->events++;
		else if (buf[i] == 'd' && i + 12 <= len && memcmp(buf + i, "data: [DONE]", 12) == 0)
			s->done_seen = 1;
	}
	s->ncarry = len < 7 ? len : 7;
	memcpy(s->carry, buf + len - s->ncarry, s->ncarry);
}

/* The request every stream sends: a streaming completion of maxt tokens, no early end. */
static size_t
build_request(char *req, size_t cap, int maxt)
{
	char body[256];
	int blen =
	    snprintf(body, sizeof body,
	             "{\"prompt\":\"Tell me a story.\",\"max_tokens\":%d,\"ignore_eos\":true,"
	             "\"stream\":true}",
	             maxt);

	return (size_t)snprintf(req, cap,
	                        "POST /v1/completions HTTP/1.1\r\nHost: 127.0.0.1\r\n"
	                        "Content-Type: application/json\r\nContent-Length: %d\r\n"
	                        "Connection: close\r\n\r\n%s",
	                        blen, body);
}

/* Starts n non-blocking connections to 127.0.0.1:port, all watched by ep. */
static void
connect_all(int ep, int port, struct stream *st, int n)
{
	struct sockaddr_in sa = {.sin_family = AF_INET, .sin_port = htons((uint16_t)port)};

	inet_pton(AF_INET, "127.0.0.1", &sa.sin_addr);
	for (int i = 0; i < n; i++) {
		int fd = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK, 0);
		if (fd < 0) {
			perror("socket");
			exit(70);
		}
		if (connect(fd, (struct sockaddr *)&sa, sizeof sa) < 0 && errno != EINPROGRESS) {
			perror("connect");
			exit(70);
		}
		st[i].fd = fd;
		struct epoll_event ev = {.events = EPOLLOUT | EPOLLIN, .data.u32 = (uint32_t)i};
		epoll_ctl(ep, EPOLL_CTL_ADD, fd, &ev);
	}
}

/* What the run counts over all streams. */
struct tally {
	int open, active, peak, failed;
	long events;
};

/* Sends the rest of the request on s; once it is all out, s only reads. */
static void
send_request(int ep, struct stream *s, uint32_t i, const char *req, size_t rlen)
{
	ssize_t w = write(s->fd, req + s->sent, rlen - s->sent);

	if (w > 0)
		s->sent += (size_t)w;
	if (s->sent == rlen) {
		s->state = 1;
		struct epoll_event ev = {.events = EPOLLIN, .data.u32 = i};
		epoll_ctl(ep, EPOLL_CTL_MOD, s->fd, &ev);
	}
}

/* Reads what s has; at its end, a stream without "data: [DONE]" counts as failed. */
static void
receive(struct stream *s, struct tally *t)
{
	static char buf[65536];
	ssize_t r = read(s->fd, buf, sizeof buf);

	if (r > 0) {
		long before = s->events;
		scan(s, buf, (size_t)r);
		if (before == 0 && s->events > 0 && ++t->active > t->peak)
			t->peak = t->active;
		t->events += s->events - before;
		return;
	}
	if (r < 0 && errno == EAGAIN)
		return;
	if (s->events > 0)
		t->active--;
	if (!s->done_seen)
		t->failed++;
	s->state = 2;
	close(s->fd);
	t->open--;
}

int
main(int argc, char **argv)
{
	if (argc != 4) {
		fprintf(stderr, "usage: vllm-sim-load PORT STREAMS MAX_TOKENS\n");
		return 64;
	}
	int port = (int)strtol(argv[1], NULL, 10);
	int n = (int)strtol(argv[2], NULL, 10);
	int maxt = (int)strtol(argv[3], NULL, 10);
	struct rlimit rl;
	if (getrlimit(RLIMIT_NOFILE, &rl) == 0) {
		rl.rlim_cur = rl.rlim_max;
		setrlimit(RLIMIT_NOFILE, &rl);
	}
	char req[1024];
	size_t rlen = build_request(req, sizeof req, maxt);
	struct stream *st = calloc((size_t)n, sizeof *st);
	int ep = epoll_create1(0);
	double t0 = now();
	connect_all(ep, port, st, n);
	struct tally t = {.open = n};
	struct epoll_event evs[256];
	while (t.open > 0) {
		int k = epoll_wait(ep, evs, 256, 30000);
		if (k <= 0)
			break;
		for (int j = 0; j < k; j++) {
			uint32_t i = evs[j].data.u32;
			if (st[i].state == 0 && (evs[j].events & EPOLLOUT))
				send_request(ep, &st[i], i, req, rlen);
			else if (evs[j].events & (EPOLLIN | EPOLLHUP | EPOLLERR))
				receive(&st[i], &t);
		}
	}
	double secs = now() - t0;
	printf("{\"streams\":%d,\"peak_concurrent\":%d,\"events\":%ld,\"seconds\":%.3f,"
	       "\"events_per_s\":%.0f,\"failed\":%d}\n",
	       n, t.peak, t.events, secs, (double)t.events / secs, t.failed + t.open);
	free(st);
	return 0;
}
