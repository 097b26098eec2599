#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <poll.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "array.h"
#include "confine.h"
#include "diag.h"
#include "progress.h"
#include "sandbox.h"
#include "unshare.h"

/* Who a program runs as when code-run is root. */
#define NOBODY 65534
/* How much longer than the program's time the caller waits for its waiter. */
#define WAITER_GRACE 3.0
#define NOTE_MAX     4096

static const char *const layer_names[] = {
    "rlimit", "seccomp", "no_new_privs", "pgroup",  "subreaper", "landlock", "setuid",
    "userns", "pidns",   "netns",        "mountns", "ipcns",     "utsns",
};

void
ve_sandbox_layers_json(unsigned layers, struct ve_buf *out)
{
	const char *sep = "";

	ve_buf_addc(out, '[');
	for (size_t i = 0; i < sizeof layer_names / sizeof *layer_names; i++) {
		if (layers & (1u << i)) {
			ve_buf_addf(out, "%s\"%s\"", sep, layer_names[i]);
			sep = ",";
		}
	}
	ve_buf_addc(out, ']');
}

void
ve_sandbox_layers_text(unsigned layers, struct ve_buf *out)
{
	const char *sep = "";

	for (size_t i = 0; i < sizeof layer_names / sizeof *layer_names; i++) {
		if (layers & (1u << i)) {
			ve_buf_addf(out, "%s%s", sep, layer_names[i]);
			sep = " ";
		}
	}
}

void
ve_sandbox_result_free(struct ve_sandbox_result *r)
{
	ve_buf_free(&r->out);
	ve_buf_free(&r->note);
	ve_buf_free(&r->log);
	ve_buf_free(&r->why);
}

/*
 * What the processes of a run tell the caller, one fixed-size message per
 * write (atomic on a pipe).
 */
struct report {
	char
	    kind; /* 'T' the waiter's pid (namespaces), 'L' layers, 'F' a step failed, 'W' waited */
	int code; /* T: pid; L: layers; F: errno; W: wait status */
	int end;  /* W: enum ve_sb_end */
	long maxrss_kb;
	double cpu_s, wall_ms;
	char step[32]; /* F: the step */
};

static void
send_report(int fd, const struct report *m)
{
	while (write(fd, m, sizeof *m) < 0 && errno == EINTR)
		;
}

static noreturn void
fail_step(int fd, const char *step)
{
	struct report m = {.kind = 'F', .code = errno};

	snprintf(m.step, sizeof m.step, "%s", step);
	send_report(fd, &m);
	_exit(127);
}

/* What every process of a run knows, all of it set before the first fork. */
struct run {
	const struct ve_sandbox *sb;
	const char *workdir;
	const char *const *argv;
	char *const *envp;
	int stdin_fd, out_w, log_w, note_w, report_w;
	double seconds;
	bool ns;
	unsigned layers; /* the caller's own (subreaper) */
	pid_t super;     /* the caller */
	struct ve_confine conf;
};

/*
 * Closes every fd from lowest on. Where close_range(2) is missing (before
 * Linux 5.9): those /proc/self/fd lists, or without /proc every one below
 * the soft RLIMIT_NOFILE (the caller may have opened fds up to it, past
 * 1024).
 */
static void
close_from(int lowest)
{
	struct rlimit rl;
	DIR *d;

	if (syscall(SYS_close_range, (unsigned)lowest, ~0U, 0) == 0)
		return;
	if ((d = opendir("/proc/self/fd"))) {
		struct dirent *e;
		while ((e = readdir(d))) {
			char *end;
			long fd = strtol(e->d_name, &end, 10);
			if (end != e->d_name && !*end && fd >= lowest && fd != dirfd(d))
				close((int)fd);
		}
		closedir(d);
		return;
	}
	rlim_t max = getrlimit(RLIMIT_NOFILE, &rl) == 0 && rl.rlim_cur != RLIM_INFINITY
	                 ? rl.rlim_cur
	                 : (rlim_t)1 << 20;
	for (rlim_t fd = (rlim_t)lowest; fd < max; fd++)
		close((int)fd);
}

/* Moves fds[i] to fd i for each i, whatever their numbers now; closes all others. */
static bool
place_fds(const int *fds, int n)
{
	int tmp[8];

	for (int i = 0; i < n; i++)
		if ((tmp[i] = fcntl(fds[i], F_DUPFD_CLOEXEC, 16)) < 0)
			return false;
	for (int i = 0; i < n; i++)
		if (dup2(tmp[i], i) < 0)
			return false;
	close_from(n);
	return true;
}

/* Default dispositions and an empty mask, as a program expects to start with. */
static void
reset_signals(void)
{
	sigset_t none;

	for (int sig = 1; sig < NSIG; sig++)
		if (sig != SIGKILL && sig != SIGSTOP)
			signal(sig, SIG_DFL);
	sigemptyset(&none);
	sigprocmask(SIG_SETMASK, &none, NULL);
}

/* Drops root for nobody: false when the kernel refuses. */
static bool
become_nobody(void)
{
	return setgroups(0, NULL) == 0 && setresgid(NOBODY, NOBODY, NOBODY) == 0 &&
	       setresuid(NOBODY, NOBODY, NOBODY) == 0;
}

/* The program's process: confines itself, then becomes the program. */
static noreturn void
program(const struct run *r, unsigned layers)
{
	int fds[] = {r->stdin_fd, r->log_w, r->log_w, r->out_w, r->note_w, r->report_w};
	const int report = 5;
	pid_t waiter = getppid();
	/* The waiter too, which without namespaces is no pid the caller knew before the fork. */
	struct ve_confine conf = r->conf;
	conf.protect[conf.nprotect++] = waiter;

	if (setsid() > 0)
		layers |= VE_SB_PGROUP;
	reset_signals();
	if (!place_fds(fds, 6) || fcntl(report, F_SETFD, FD_CLOEXEC))
		fail_step(r->report_w, "fds");
	if (!r->ns && r->sb->drop) {
		if (!become_nobody())
			fail_step(report, "setuid");
		layers |= VE_SB_SETUID;
	}
	/* Set after any change of user, which clears it; a waiter gone before is as good as gone
	 * after. */
	prctl(PR_SET_PDEATHSIG, SIGKILL, 0, 0, 0);
	if (getppid() != waiter)
		_exit(127);
	if (!r->ns && chdir(r->workdir))
		fail_step(report, "chdir");
	if (ve_confine_no_new_privs())
		layers |= VE_SB_NO_NEW_PRIVS;
	if ((layers & VE_SB_NO_NEW_PRIVS) && ve_confine_landlock(&conf))
		layers |= VE_SB_LANDLOCK;
	if (ve_confine_seccomp(&conf))
		layers |= VE_SB_SECCOMP;
	if (ve_confine_rlimits(&conf) && ve_confine_address_space(&conf))
		layers |= VE_SB_RLIMIT;
	struct report m = {.kind = 'L', .code = (int)layers};
	send_report(report, &m);
	execve(r->argv[0], (char *const *)r->argv, r->envp);
	fail_step(report, "execve");
}

/*
 * The waiter's wait: for the program p, or for the first of its time
 * running out and SIGUSR1 from the caller. Reaps any other child (in a
 * PID namespace the waiter is its init, and inherits orphans). Leaves p
 * a zombie, so its pid and group stay its own until the waiter kills the
 * group.
 */
static enum ve_sb_end
await_program(pid_t p, double seconds, const sigset_t *set)
{
	double deadline = ve_now() + seconds;

	for (;;) {
		siginfo_t si;
		memset(&si, 0, sizeof si);
		while (waitid(P_ALL, 0, &si, WEXITED | WNOHANG | WNOWAIT) == 0 && si.si_pid) {
			if (si.si_pid == p)
				return VE_SB_ENDED;
			waitpid(si.si_pid, NULL, 0);
			memset(&si, 0, sizeof si);
		}
		double left = deadline - ve_now();
		if (left <= 0)
			return VE_SB_TIMED_OUT;
		struct timespec ts = {(time_t)left, (long)((left - (double)(time_t)left) * 1e9)};
		if (sigtimedwait(set, NULL, &ts) == SIGUSR1)
			return VE_SB_STOPPED;
	}
}

/* Starts the program and waits for it: the whole life of the waiter. */
static noreturn void
waiter(const struct run *r, unsigned layers)
{
	sigset_t set;
	struct rusage ru;
	int status;

	sigemptyset(&set);
	sigaddset(&set, SIGCHLD);
	sigaddset(&set, SIGUSR1);
	sigprocmask(SIG_BLOCK, &set, NULL);
	double t0 = ve_now();
	pid_t p = fork();
	if (p < 0)
		fail_step(r->report_w, "fork");
	if (p == 0)
		program(r, layers);
	close(r->out_w);
	close(r->log_w);
	close(r->note_w);
	struct report m = {.kind = 'W', .end = await_program(p, r->seconds, &set)};
	/* The rest of its group first, while the zombie holds the group's id. */
	kill(-p, SIGKILL);
	kill(p, SIGKILL);
	while (wait4(p, &status, 0, &ru) < 0 && errno == EINTR)
		;
	m.code = status;
	m.wall_ms = (ve_now() - t0) * 1e3;
	m.maxrss_kb = ru.ru_maxrss;
	m.cpu_s = (double)ru.ru_utime.tv_sec + (double)ru.ru_utime.tv_usec / 1e6 +
	          (double)ru.ru_stime.tv_sec + (double)ru.ru_stime.tv_usec / 1e6;
	send_report(r->report_w, &m);
	_exit(0);
}

/*
 * With namespaces: the process that enters them and builds the root, then
 * forks the waiter as the PID namespace's first process. It never reaps
 * the waiter, so the pid it reports stays the waiter's until the caller
 * has killed this process and reaped them both.
 */
static noreturn void
enter_namespaces(const struct run *r, unsigned layers)
{
	const char *failed;

	if (r->sb->drop) {
		if (!become_nobody())
			fail_step(r->report_w, "setuid");
		layers |= VE_SB_SETUID;
	}
	prctl(PR_SET_PDEATHSIG, SIGKILL, 0, 0, 0);
	if (getppid() != r->super)
		_exit(0);
	if ((failed = ve_unshare_join(r->sb->userns, r->sb->netns, r->sb->mntns)) ||
	    (failed = ve_unshare_root(r->workdir)))
		fail_step(r->report_w, failed);
	layers |= VE_SB_NAMESPACES;
	pid_t w = fork();
	if (w < 0)
		fail_step(r->report_w, "fork");
	if (w == 0) {
		prctl(PR_SET_PDEATHSIG, SIGKILL, 0, 0, 0);
		if ((failed = ve_unshare_proc()))
			fail_step(r->report_w, failed);
		waiter(r, layers);
	}
	struct report m = {.kind = 'T', .code = w};
	send_report(r->report_w, &m);
	close(r->out_w);
	close(r->log_w);
	close(r->note_w);
	close(r->report_w);
	for (;;)
		pause();
}

/* The first child of a run: the waiter, or the process that enters the namespaces. */
static noreturn void
first_child(const struct run *r)
{
	prctl(PR_SET_PDEATHSIG, SIGKILL, 0, 0, 0);
	if (getppid() != r->super)
		_exit(0);
	if (r->ns)
		enter_namespaces(r, r->layers);
	waiter(r, r->layers);
}

/* The read ends of a run's pipes, the caller's. */
enum { P_OUT, P_LOG, P_NOTE, P_REPORT, NPIPES };

/* The caller's view of a run in progress. */
struct watch {
	const struct ve_sandbox *sb;
	struct ve_sandbox_result *r;
	struct pollfd pfd[NPIPES]; /* fd -1 once at its end */
	size_t log_bytes;
	struct ve_buf msgs; /* report bytes not yet read as messages */
	pid_t child;        /* the first child */
	pid_t waiter;       /* whom SIGUSR1 stops: the child, or the namespace's first process */
	bool waited, failed;
};

/* Acts on whole report messages. */
static void
read_reports(struct watch *w)
{
	struct report m;
	size_t used = 0;

	for (; w->msgs.len - used >= sizeof m; used += sizeof m) {
		memcpy(&m, w->msgs.p + used, sizeof m);
		if (m.kind == 'T') {
			w->waiter = m.code;
		} else if (m.kind == 'L') {
			w->r->layers = (unsigned)m.code;
		} else if (m.kind == 'F' && !w->failed) {
			w->failed = true;
			ve_buf_reset(&w->r->why);
			ve_buf_addf(&w->r->why, "%s: %s", m.step, strerror(m.code));
		} else if (m.kind == 'W') {
			w->waited = true;
			w->r->status = m.code;
			w->r->end =
			    w->r->end == VE_SB_STOPPED ? VE_SB_STOPPED : (enum ve_sb_end)m.end;
			w->r->wall_ms = m.wall_ms;
			w->r->cpu_s = m.cpu_s;
			w->r->maxrss_kb = m.maxrss_kb;
		}
	}
	memmove(w->msgs.p, w->msgs.p + used, w->msgs.len - used);
	w->msgs.len -= used;
}

/* Keeps at most room bytes of data in b: false when there were more. */
static bool
keep(struct ve_buf *b, const char *data, size_t n, size_t room)
{
	size_t take = b->len >= room ? 0 : room - b->len < n ? room - b->len : n;

	ve_buf_add(b, data, take);
	return take == n;
}

/* Keeps the last 2 to 4 KiB of a stream in b; true. */
static bool
keep_tail(struct ve_buf *b, const char *data, size_t n)
{
	const size_t tail = 2048;

	if (n > tail) {
		data += n - tail;
		n = tail;
	}
	ve_buf_add(b, data, n);
	if (b->len > 2 * tail) {
		memmove(b->p, b->p + b->len - tail, tail);
		b->len = tail;
		b->p[tail] = '\0';
	}
	return true;
}

/* Reads what pipe i holds now. */
static void
read_pipe(struct watch *w, int i)
{
	char buf[1 << 16];
	ssize_t n;

	while ((n = read(w->pfd[i].fd, buf, sizeof buf)) > 0) {
		bool fits = true;
		if (i == P_OUT)
			fits = keep(&w->r->out, buf, (size_t)n, w->sb->output_limit);
		else if (i == P_NOTE)
			fits = keep(&w->r->note, buf, (size_t)n, NOTE_MAX);
		else if (i == P_LOG)
			fits = keep_tail(&w->r->log, buf, (size_t)n) &&
			       (w->log_bytes += (size_t)n) <= w->sb->output_limit;
		else
			ve_buf_add(&w->msgs, buf, (size_t)n);
		if (!fits && w->r->end != VE_SB_STOPPED) {
			w->r->end = VE_SB_STOPPED;
			kill(w->waiter, SIGUSR1);
		}
	}
	if (n == 0 || (errno != EAGAIN && errno != EINTR)) {
		close(w->pfd[i].fd);
		w->pfd[i].fd = -1;
	}
	if (i == P_REPORT)
		read_reports(w);
}

/* Reads the pipes until the waiter reports, the report pipe ends, or time is up. */
static void
watch_run(struct watch *w, double deadline)
{
	while (!w->waited && w->pfd[P_REPORT].fd >= 0) {
		double left = deadline - ve_now();
		if (left <= 0) {
			/* The waiter is stuck: kill it, and the rest goes with it. */
			kill(w->child, SIGKILL);
			w->r->end = VE_SB_TIMED_OUT;
			return;
		}
		if (poll(w->pfd, NPIPES, (int)(left * 1000) + 1) < 0 && errno != EINTR)
			return;
		for (int i = 0; i < NPIPES; i++)
			if (w->pfd[i].fd >= 0 && w->pfd[i].revents)
				read_pipe(w, i);
	}
}

/*
 * What follows, down to ve_sandbox_sweep, is async-signal-safe (code-run
 * sweeps from the handler of the signal that stops it): system calls and
 * plain loops, no stdio, no malloc.
 */

/* Appends s[0..n) to the path out (64 bytes, NUL-terminated), as much as fits. */
static void
path_add(char out[64], const char *s, size_t n)
{
	size_t k = strlen(out);

	for (size_t i = 0; i < n && k < 63; i++)
		out[k++] = s[i];
	out[k] = '\0';
}

/* n's decimal digits at out (room for 20): their count. */
static size_t
put_digits(char *out, unsigned long n)
{
	char d[24];
	size_t k = 0;

	do
		d[k++] = (char)('0' + n % 10);
	while ((n /= 10));
	for (size_t i = 0; i < k; i++)
		out[i] = d[k - 1 - i];
	return k;
}

/* SIGKILLs each pid the file fd lists (decimal, blank-separated): whether it listed one. */
static bool
kill_listed(int fd)
{
	char buf[4096];
	ssize_t n;
	long pid = -1;
	bool any = false;

	while ((n = read(fd, buf, sizeof buf)) > 0 || (n < 0 && errno == EINTR)) {
		for (ssize_t i = 0; i < n; i++) {
			if (buf[i] >= '0' && buf[i] <= '9') {
				pid = (pid < 0 ? 0 : pid * 10) + (buf[i] - '0');
			} else if (pid > 0) {
				kill((pid_t)pid, SIGKILL);
				any = true;
				pid = -1;
			}
		}
	}
	if (pid > 0) {
		kill((pid_t)pid, SIGKILL);
		any = true;
	}
	return any;
}

/* The parent of the process /proc/NAME is (its stat's fourth field): -1 when it cannot be read. */
static long
parent_of(const char *name, size_t n)
{
	char path[64] = "/proc/", buf[256];
	long ppid = -1;

	path_add(path, name, n);
	path_add(path, "/stat", 5);
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	ssize_t got = fd >= 0 ? read(fd, buf, sizeof buf - 1) : -1;
	if (fd >= 0)
		close(fd);
	if (got <= 0)
		return -1;
	buf[got] = '\0';
	/* PID (COMM) STATE PPID: the name may hold anything, ')' too, but is at most 16 bytes */
	char *p = strrchr(buf, ')');
	if (!p || p[1] != ' ' || !p[2] || p[3] != ' ')
		return -1;
	for (p += 4; *p >= '0' && *p <= '9'; p++)
		ppid = (ppid < 0 ? 0 : ppid * 10) + (*p - '0');
	return ppid;
}

/* A directory entry as getdents64(2) writes it. */
struct dirent64_raw {
	uint64_t ino;
	int64_t off;
	unsigned short reclen;
	unsigned char type;
	char name[];
};

/* SIGKILLs every process whose parent is self, by every /proc entry: whether there was one. */
static bool
kill_by_parent(pid_t self)
{
	int dir = open("/proc", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	char buf[8192] __attribute__((aligned(8)));
	long n;
	bool any = false;

	while (dir >= 0 && (n = syscall(SYS_getdents64, dir, buf, sizeof buf)) > 0) {
		for (long off = 0; off < n;) {
			const struct dirent64_raw *e = (const void *)(buf + off);
			off += e->reclen;
			size_t len = strlen(e->name);
			if (e->name[0] < '1' || e->name[0] > '9' || parent_of(e->name, len) != self)
				continue;
			long pid = 0;
			for (size_t i = 0; i < len; i++)
				pid = pid * 10 + (e->name[i] - '0');
			kill((pid_t)pid, SIGKILL);
			any = true;
		}
	}
	if (dir >= 0)
		close(dir);
	return any;
}

/* SIGKILLs every child of this process: false when it has none left to find. */
static bool
kill_children(void)
{
	pid_t self = getpid();
	char path[64] = "/proc/self/task/", digits[24];

	/* Its own list where the kernel keeps one (CONFIG_PROC_CHILDREN), else every process's
	 * parent. */
	path_add(path, digits, put_digits(digits, (unsigned long)self));
	path_add(path, "/children", 9);
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return kill_by_parent(self);
	bool any = kill_listed(fd);
	close(fd);
	return any;
}

/*
 * Each round waits for a child's SIGCHLD, at most a millisecond: the
 * children just killed die within microseconds, and every test of a run
 * ends with a sweep, so a fixed sleep would cost each test that much. The
 * signal stays blocked across the round, so one that comes between the
 * reaping and the wait is not lost.
 */
void
ve_sandbox_sweep(void)
{
	int saved = errno;
	sigset_t chld, old;

	sigemptyset(&chld);
	sigaddset(&chld, SIGCHLD);
	sigprocmask(SIG_BLOCK, &chld, &old);
	for (int round = 0; round < 100000; round++) {
		pid_t pid;
		while ((pid = waitpid(-1, NULL, WNOHANG)) > 0)
			;
		if (pid < 0 && errno == ECHILD)
			break;
		kill_children();
		struct timespec ts = {0, 1000000};
		sigtimedwait(&chld, NULL, &ts);
	}
	sigprocmask(SIG_SETMASK, &old, NULL);
	errno = saved;
}

/* Reads the pipes to their ends, now that every writer is gone. */
static void
drain(struct watch *w)
{
	for (int round = 0; round < 20; round++) {
		bool open = false;
		for (int i = 0; i < NPIPES; i++)
			open |= w->pfd[i].fd >= 0;
		if (!open)
			return;
		poll(w->pfd, NPIPES, 100);
		for (int i = 0; i < NPIPES; i++)
			if (w->pfd[i].fd >= 0 && w->pfd[i].revents)
				read_pipe(w, i);
	}
	for (int i = 0; i < NPIPES; i++)
		if (w->pfd[i].fd >= 0)
			close(w->pfd[i].fd);
}

/* Tasks (processes and threads) whose real user is uid, as RLIMIT_NPROC counts them. */
static long
count_tasks(uid_t uid)
{
	DIR *d = opendir("/proc");
	struct dirent *e;
	char path[300], line[256];
	long total = 0;

	while (d && (e = readdir(d))) {
		if (e->d_name[0] < '1' || e->d_name[0] > '9')
			continue;
		snprintf(path, sizeof path, "/proc/%s/status", e->d_name);
		FILE *f = fopen(path, "re");
		long ruid = -1, threads = 0;
		while (f && fgets(line, sizeof line, f)) {
			if (!strncmp(line, "Uid:", 4))
				ruid = strtol(line + 4, NULL, 10);
			else if (!strncmp(line, "Threads:", 8))
				threads = strtol(line + 8, NULL, 10);
		}
		if (f)
			fclose(f);
		if (ruid == (long)uid)
			total += threads;
	}
	if (d)
		closedir(d);
	return total;
}

/*
 * The program's limits. RLIMIT_NPROC counts a user's processes: inside a
 * user namespace of its own (Linux 5.14 on) only the program's, so a fixed
 * number binds; without one, every process of the user the program runs
 * as (nobody, for root), so the program gets that many more than there are.
 */
static void
set_limits(const struct ve_sandbox *sb, struct run *r)
{
	struct ve_confine *c = &r->conf;

	c->seconds = r->seconds;
	c->as_bytes = (rlim_t)sb->memory_mb << 20;
	c->fsize = sb->output_limit;
	c->nproc =
	    r->ns ? VE_SB_NPROC : (rlim_t)(count_tasks(sb->drop ? NOBODY : getuid()) + VE_SB_NPROC);
	c->home = r->ns ? "/tmp" : r->workdir;
	c->readable = sb->readable;
	/* In a PID namespace its parent, pid 1 there; without one this process and the caller of
	 * ve_sandbox_init. program() adds its parent, the waiter, whose pid is not known yet. */
	c->nprotect = 0;
	if (r->ns) {
		c->protect[c->nprotect++] = 1;
	} else {
		c->protect[c->nprotect++] = getpid();
		c->protect[c->nprotect++] = sb->main_pid;
	}
}

/* The program's environment, in env (its strings in text). */
static void
set_env(const struct run *r, struct ve_buf *text, char **env)
{
	const char *home = r->ns ? "/tmp" : r->workdir;
	size_t off[8], n = 0;

	ve_buf_reset(text);
	off[n++] = 0;
	ve_buf_addf(text, "PATH=/usr/bin:/bin%c", 0);
	off[n++] = text->len;
	ve_buf_addf(text, "LANG=C.UTF-8%c", 0);
	off[n++] = text->len;
	ve_buf_addf(text, "HOME=%s%c", home, 0);
	off[n++] = text->len;
	ve_buf_addf(text, "TMPDIR=%s%c", home, 0);
	off[n++] = text->len;
	ve_buf_addf(text, "PYTHONDONTWRITEBYTECODE=1%c", 0);
	off[n++] = text->len;
	ve_buf_addf(text, "PYTHONHASHSEED=0%c", 0);
	for (size_t i = 0; i < n; i++)
		env[i] = text->p + off[i];
	env[n] = NULL;
}

/* Opens the run's pipes: read ends non-blocking in w, write ends in r. */
static bool
open_pipes(struct watch *w, struct run *r)
{
	int *ends[NPIPES] = {&r->out_w, &r->log_w, &r->note_w, &r->report_w};
	int p[2];

	for (int i = 0; i < NPIPES; i++) {
		if (pipe2(p, O_CLOEXEC))
			return false;
		fcntl(p[0], F_SETFL, O_NONBLOCK);
		w->pfd[i] = (struct pollfd){.fd = p[0], .events = POLLIN};
		*ends[i] = p[1];
	}
	return true;
}

/* One run, with namespaces or without: 0, or 70 with r->why when it could not start. */
static int
run_once(const struct ve_sandbox *sb, const char *workdir, const char *const *argv, int stdin_fd,
         double seconds, bool ns, struct ve_sandbox_result *res)
{
	struct run r = {.sb = sb,
	                .workdir = workdir,
	                .argv = argv,
	                .stdin_fd = stdin_fd,
	                .out_w = -1,
	                .log_w = -1,
	                .note_w = -1,
	                .report_w = -1,
	                .seconds = seconds,
	                .ns = ns,
	                .super = getpid()};
	struct watch w = {.sb = sb, .r = res};
	struct ve_buf envtext = {0};
	char *env[8];

	for (int i = 0; i < NPIPES; i++)
		w.pfd[i].fd = -1;
	/* A run again without namespaces reuses the buffers of the one that failed. */
	ve_buf_reset(&res->out);
	ve_buf_reset(&res->note);
	ve_buf_reset(&res->log);
	ve_buf_reset(&res->why);
	*res = (struct ve_sandbox_result){
	    .status = -1, .out = res->out, .note = res->note, .log = res->log, .why = res->why};
	if (prctl(PR_SET_CHILD_SUBREAPER, 1, 0, 0, 0) == 0)
		r.layers = VE_SB_SUBREAPER;
	set_limits(sb, &r);
	set_env(&r, &envtext, env);
	r.envp = env;
	if (!open_pipes(&w, &r) || (w.child = fork()) < 0) {
		ve_buf_addf(&res->why, "cannot start a run: %s", strerror(errno));
		w.child = 0;
	} else if (w.child == 0) {
		first_child(&r);
	}
	w.waiter = w.child;
	close(r.out_w);
	close(r.log_w);
	close(r.note_w);
	close(r.report_w);
	if (w.child > 0)
		watch_run(&w, ve_now() + seconds + WAITER_GRACE);
	ve_sandbox_sweep();
	drain(&w);
	ve_buf_free(&w.msgs);
	ve_buf_free(&envtext);
	return w.failed || !w.child ? VE_EX_SOFTWARE : 0;
}

int
ve_sandbox_exec(const struct ve_sandbox *sb, const char *workdir, const char *const *argv,
                int stdin_fd, double seconds, struct ve_sandbox_result *r)
{
	int rc = run_once(sb, workdir, argv, stdin_fd, seconds, sb->namespaces, r);

	/* Namespaces that failed before the program's process said what it had. */
	if (rc && sb->namespaces && !(r->layers & VE_SB_NAMESPACES)) {
		if (sb->require) {
			struct ve_buf why = {0};
			ve_buf_addf(&why, "namespaces: %s", r->why.p ? r->why.p : "failed");
			ve_buf_free(&r->why);
			r->why = why;
			return VE_EX_UNAVAILABLE;
		}
		rc = run_once(sb, workdir, argv, stdin_fd, seconds, false, r);
	}
	return rc;
}

char *
ve_sandbox_workdir(const struct ve_sandbox *sb)
{
	struct ve_buf b = {0};

	ve_buf_addf(&b, "%s/code-run.XXXXXX", sb->tmpdir);
	if (!mkdtemp(b.p) || (sb->drop && chown(b.p, NOBODY, NOBODY))) {
		int e = errno;
		rmdir(b.p);
		ve_buf_free(&b);
		errno = e;
		return NULL;
	}
	return b.p;
}

/*
 * Opens directory name in dir when it is the program's (owned by uid),
 * through a handle that cannot follow a link, and makes it readable and
 * writable first: a directory of mode 0 cannot be opened otherwise by a
 * caller that is not root. -1 for anything else, which stays as it is.
 */
static int
open_own_dir(int dir, const char *name, uid_t uid)
{
	int path = openat(dir, name, O_PATH | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC), fd = -1;
	struct stat st;
	char proc[64];

	if (path < 0)
		return -1;
	snprintf(proc, sizeof proc, "/proc/self/fd/%d", path);
	/* the handle's own inode, whatever name now holds */
	if (fstat(path, &st) == 0 && st.st_uid == uid && chmod(proc, 0700) == 0)
		fd = open(proc, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	close(path);
	return fd;
}

/*
 * Opens directory name in dir (never a link), and makes it writable when
 * it is the program's (owned by uid): a directory of anyone else's keeps
 * its mode, whatever the program moved or linked where it was.
 */
static int
open_dir(int dir, const char *name, uid_t uid)
{
	int fd = openat(dir, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	struct stat st;

	if (fd < 0 && errno == EACCES)
		fd = open_own_dir(dir, name, uid);
	if (fd >= 0 && fstat(fd, &st) == 0 && st.st_uid == uid && (st.st_mode & 0700) != 0700)
		fchmod(fd, 0700);
	return fd;
}

/*
 * Removes what the directory fd holds, but a subdirectory that is not
 * empty: that one, opened, is returned to go down into (-1 when none is
 * left). *left says some entry could not be removed; once stuck,
 * subdirectories are not gone into again, as one that cannot be emptied
 * would be met forever.
 */
static int
empty_dir(int fd, uid_t uid, bool stuck, bool *left)
{
	int again = dup(fd), sub = -1;
	DIR *d = again >= 0 ? fdopendir(again) : NULL;
	struct dirent *e;

	if (!d) {
		if (again >= 0)
			close(again);
		*left = true;
		return -1;
	}
	while (sub < 0 && (e = readdir(d))) {
		if (!strcmp(e->d_name, ".") || !strcmp(e->d_name, ".."))
			continue;
		if (unlinkat(fd, e->d_name, 0) == 0 || unlinkat(fd, e->d_name, AT_REMOVEDIR) == 0)
			continue;
		if (errno == ENOTEMPTY && !stuck)
			sub = open_dir(fd, e->d_name, uid);
		if (sub < 0)
			*left = true;
	}
	closedir(d);
	return sub;
}

/* A directory the remover went down through: where ".." must lead back to. */
struct level {
	dev_t dev;
	ino_t ino;
};

/*
 * Pushes the directory fd onto the path down (*n levels, *cap room):
 * false when it cannot be told apart (fstat fails).
 */
static bool
push_level(int fd, struct level **path, size_t *n, size_t *cap)
{
	struct stat st;

	if (fstat(fd, &st))
		return false;
	*path = ve_grow(*path, cap, *n + 1, sizeof **path);
	(*path)[(*n)++] = (struct level){st.st_dev, st.st_ino};
	return true;
}

/*
 * The parent of the directory fd (closed), when it is the one the remover
 * came down through, at: -1 when the program moved a directory while the
 * remover was beneath it, and ".." leads elsewhere (a directory outside
 * the tree, which root must neither empty nor change).
 */
static int
climb(int fd, const struct level *at)
{
	int up = openat(fd, "..", O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	struct stat st;

	close(fd);
	if (up >= 0 && (fstat(up, &st) || st.st_dev != at->dev || st.st_ino != at->ino)) {
		close(up);
		up = -1;
	}
	return up;
}

bool
ve_sandbox_remove(const struct ve_sandbox *sb, char *dir)
{
	uid_t uid = sb->drop ? NOBODY : geteuid();
	int fd = open_dir(AT_FDCWD, dir, uid);
	struct level *path = NULL;
	size_t depth = 0, cap = 0;
	bool stuck = false, lost = false;

	/* Down into each directory that is not empty, and back up by "..", each
	 * step up checked against the (device, inode) it came down from: no path
	 * name grows, no fd piles up. */
	if (fd >= 0 && !push_level(fd, &path, &depth, &cap)) {
		close(fd);
		fd = -1;
	}
	while (fd >= 0) {
		bool left = false;
		int sub = empty_dir(fd, uid, stuck, &left);
		if (sub >= 0) {
			close(fd);
			fd = sub;
			if (!push_level(fd, &path, &depth, &cap)) {
				close(fd);
				fd = -1;
				lost = true;
			}
			continue;
		}
		stuck = stuck || left;
		if (depth == 1)
			break;
		fd = climb(fd, &path[--depth - 1]);
		lost = fd < 0;
	}
	if (fd >= 0)
		close(fd);
	free(path);
	bool gone = !lost && (rmdir(dir) == 0 || errno == ENOENT);
	free(dir);
	return gone;
}

/* What the probe found, sent back whole through a pipe. */
struct probe {
	int rc;           /* 0, or the exit status to stop with */
	bool ns_ok;       /* the probe ran with namespaces */
	char ns_why[200]; /* why not with namespaces */
	char why[200];    /* why rc */
};

/* Runs argv once, as runs will: true when it ran and exited 0 (with namespaces, when ns). */
static bool
probe_run(const struct ve_sandbox *sb, const char *const *argv, bool ns, char *why, size_t size,
          int *rc)
{
	struct ve_sandbox_result r = {0};
	char *dir = ve_sandbox_workdir(sb);
	int in = open("/dev/null", O_RDONLY | O_CLOEXEC);
	bool ok = false;

	if (!dir || in < 0) {
		snprintf(why, size, "cannot make a working directory in %s: %s", sb->tmpdir,
		         strerror(errno));
		*rc = VE_EX_CANTCREAT;
	} else if (run_once(sb, dir, argv, in, 10, ns, &r)) {
		snprintf(why, size, "%s", r.why.p ? r.why.p : "it did not start");
	} else if (r.status < 0) {
		snprintf(why, size, "its run ended without a report");
	} else if (!WIFEXITED(r.status) || WEXITSTATUS(r.status)) {
		snprintf(why, size, "%s %d",
		         WIFSIGNALED(r.status) ? "it died of signal" : "it exited",
		         WIFSIGNALED(r.status) ? WTERMSIG(r.status) : WEXITSTATUS(r.status));
	} else {
		ok = !ns || (r.layers & VE_SB_NAMESPACES) == VE_SB_NAMESPACES;
	}
	if (in >= 0)
		close(in);
	if (dir && !ve_sandbox_remove(sb, dir) && !*rc) {
		snprintf(why, size, "cannot remove a working directory in %s", sb->tmpdir);
		*rc = VE_EX_CANTCREAT;
	}
	ve_sandbox_result_free(&r);
	return ok;
}

/*
 * The probe's process (a subreaper of its own, so that ve_sandbox_init
 * leaves the caller as it was). Root runs programs as nobody, with
 * namespaces or without:
 * where nobody cannot run the interpreter (one under /root) nothing runs.
 * Root mapped into the program's user namespace would keep root's rights
 * on every file, and RLIMIT_NPROC would not bind it.
 */
static noreturn void
probe(struct ve_sandbox sb, const char *const *argv, int fd)
{
	struct probe p = {0};

	if (sb.namespaces)
		p.ns_ok = probe_run(&sb, argv, true, p.ns_why, sizeof p.ns_why, &p.rc);
	/* without them too, when they are required: what failed may not be the namespaces */
	if (!p.ns_ok && !p.rc && !probe_run(&sb, argv, false, p.why, sizeof p.why, &p.rc) && !p.rc)
		p.rc = VE_EX_UNAVAILABLE;
	while (write(fd, &p, sizeof p) < 0 && errno == EINTR)
		;
	_exit(0);
}

/*
 * Whether nobody has a uid in this user namespace: always in the first
 * one, where root is root; root in a namespace that maps no nobody (a
 * container's) is no root outside it, and runs programs as itself.
 */
static bool
nobody_mapped(void)
{
	FILE *f = fopen("/proc/self/uid_map", "re");
	unsigned long inside, outside, count;
	bool mapped = false;

	while (f && fscanf(f, "%lu %lu %lu", &inside, &outside, &count) == 3)
		mapped |= inside <= NOBODY && NOBODY - inside < count;
	if (f)
		fclose(f);
	return mapped;
}

/* The holder of the namespaces runs share: enters them, says so, and waits for go's end. */
static noreturn void
hold_namespaces(const struct ve_sandbox *sb, const char *devdir, int said, int go)
{
	char msg[200] = "";
	const char *failed = NULL;
	char c;

	prctl(PR_SET_PDEATHSIG, SIGKILL, 0, 0, 0);
	if (getppid() != sb->main_pid)
		_exit(0);
	if (sb->drop && !become_nobody())
		failed = "setuid";
	if (!failed)
		failed = ve_unshare_hold(devdir);
	if (failed)
		snprintf(msg, sizeof msg, "%s: %s", failed, strerror(errno));
	while (write(said, msg, sizeof msg) < 0 && errno == EINTR)
		;
	while (read(go, &c, 1) < 0 && errno == EINTR)
		;
	_exit(0);
}

/* Opens the namespace ns (user, net, mnt) of process pid: an fd, or -1. */
static int
open_ns(pid_t pid, const char *ns)
{
	char path[64];

	snprintf(path, sizeof path, "/proc/%ld/ns/%s", (long)pid, ns);
	return open(path, O_RDONLY | O_CLOEXEC);
}

/*
 * Makes the namespaces every run joins: a holder enters them and builds
 * the root file system (its /dev made in a working directory, removed
 * after), this process opens them and lets the holder go. true, or false
 * with why (200 bytes): the step that failed, as a run would say it.
 */
static bool
make_namespaces(struct ve_sandbox *sb, char *why)
{
	int said[2], go[2], status;
	char *dir = ve_sandbox_workdir(sb);
	struct ve_buf devdir = {0};

	if (!dir || pipe2(said, O_CLOEXEC)) {
		snprintf(why, 200, "%s: %s", dir ? "pipe" : "workdir", strerror(errno));
		free(dir);
		return false;
	}
	if (pipe2(go, O_CLOEXEC)) {
		snprintf(why, 200, "pipe: %s", strerror(errno));
		close(said[0]);
		close(said[1]);
		free(dir);
		return false;
	}
	ve_buf_addf(&devdir, "%s/.dev", dir);
	pid_t pid = fork();
	if (pid == 0) {
		close(said[0]);
		close(go[1]);
		free(dir);
		hold_namespaces(sb, devdir.p, said[1], go[0]);
	}
	close(said[1]);
	close(go[0]);
	snprintf(why, 200, "fork: %s", strerror(errno));
	if (pid > 0 && read(said[0], why, 200) != 200)
		snprintf(why, 200, "the namespaces' holder died");
	if (pid > 0 && !why[0] &&
	    ((sb->userns = open_ns(pid, "user")) < 0 || (sb->netns = open_ns(pid, "net")) < 0 ||
	     (sb->mntns = open_ns(pid, "mnt")) < 0))
		snprintf(why, 200, "open namespace: %s", strerror(errno));
	close(said[0]);
	close(go[1]);
	while (pid > 0 && waitpid(pid, &status, 0) < 0 && errno == EINTR)
		;
	ve_sandbox_remove(sb, dir);
	ve_buf_free(&devdir);
	return !why[0];
}

void
ve_sandbox_free(struct ve_sandbox *sb)
{
	if (sb->userns >= 0)
		close(sb->userns);
	if (sb->netns >= 0)
		close(sb->netns);
	if (sb->mntns >= 0)
		close(sb->mntns);
	sb->userns = sb->netns = sb->mntns = -1;
}

int
ve_sandbox_init(struct ve_sandbox *sb, const char *const *argv, struct ve_buf *why)
{
	const char *t = getenv("TMPDIR");
	struct probe p = {.rc = VE_EX_SOFTWARE};
	char held_why[200] = "";
	int fds[2], status;

	sb->tmpdir = t && *t ? t : "/tmp";
	sb->drop = geteuid() == 0 && nobody_mapped();
	sb->main_pid = getpid();
	sb->why[0] = '\0';
	sb->userns = sb->netns = sb->mntns = -1;
	fflush(NULL);
	if (sb->namespaces && !make_namespaces(sb, held_why)) {
		ve_sandbox_free(sb);
		sb->namespaces = false;
	}
	if (pipe2(fds, O_CLOEXEC))
		return VE_EX_SOFTWARE;
	pid_t pid = fork();
	if (pid == 0) {
		close(fds[0]);
		prctl(PR_SET_PDEATHSIG, SIGKILL, 0, 0, 0);
		probe(*sb, argv, fds[1]);
	}
	close(fds[1]);
	if (pid > 0 && read(fds[0], &p, sizeof p) != (ssize_t)sizeof p)
		p.rc = VE_EX_SOFTWARE;
	close(fds[0]);
	while (pid > 0 && waitpid(pid, &status, 0) < 0 && errno == EINTR)
		;
	if (held_why[0])
		snprintf(p.ns_why, sizeof p.ns_why, "%s", held_why);
	if ((sb->namespaces || held_why[0]) && !p.ns_ok) {
		sb->namespaces = false;
		ve_sandbox_free(sb);
		snprintf(sb->why, sizeof sb->why, "%s", p.ns_why);
		if (sb->require && !p.rc) {
			ve_buf_addf(why, "no namespaces: %s", p.ns_why);
			return VE_EX_UNAVAILABLE;
		}
	}
	if (p.rc == VE_EX_SOFTWARE && pid <= 0)
		ve_buf_addf(why, "cannot start the probe: %s", strerror(errno));
	else if (p.rc == VE_EX_UNAVAILABLE)
		ve_buf_addf(why, "%s does not run in the sandbox: %s%s", argv[0], p.why,
		            sb->drop ? " (as root, programs run as nobody, who must be able to "
		                       "reach it and the working directories in $TMPDIR)"
		                     : "");
	else if (p.rc)
		ve_buf_adds(why, p.why[0] ? p.why : p.ns_why);
	return p.rc;
}
