/*
 * Running a program nobody vouches for, once, under limits, and leaving
 * nothing of it behind (code-run(1), ISOLATION).
 *
 * A run forks a waiter, which forks the program's process; the program's
 * process confines itself (lib/confine.h) and executes the program, whose
 * end the waiter awaits until the time is up, then kills its process
 * group and reports how it ended and what it used. Where namespaces can be
 * had (lib/unshare.h), the waiter is the first process of a PID namespace
 * of its own, behind a process that entered new user, mount, network, IPC
 * and UTS namespaces and built a read-only root: the waiter's end takes
 * every process of the namespace with it. The caller is made a child
 * subreaper, so that whatever the program starts and abandons (a daemon
 * that forked twice and left its session) is reparented to it and killed
 * when the run ends; call runs from a process kept for them (code-run
 * forks one per record).
 *
 * The program gets: fd 0 the caller's input, fds 1 and 2 one pipe whose
 * bytes are counted and only the last kept, fd 3 a pipe whose bytes come back in
 * out, fd 4 one whose bytes come back in note; an empty environment
 * but for PATH=/usr/bin:/bin, LANG=C.UTF-8, HOME and TMPDIR (the working
 * directory), PYTHONDONTWRITEBYTECODE=1 and PYTHONHASHSEED=0. Run as
 * root, the program runs as nobody (65534). Nothing here is thread-safe:
 * every call forks.
 */
#ifndef VE_SANDBOX_H
#define VE_SANDBOX_H

#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>

#include "buf.h"

/* The layers a run had, in the order their names are written. */
enum {
	VE_SB_RLIMIT = 1u << 0,
	VE_SB_SECCOMP = 1u << 1,
	VE_SB_NO_NEW_PRIVS = 1u << 2,
	VE_SB_PGROUP = 1u << 3,
	VE_SB_SUBREAPER = 1u << 4,
	VE_SB_LANDLOCK = 1u << 5,
	VE_SB_SETUID = 1u << 6,
	VE_SB_USERNS = 1u << 7,
	VE_SB_PIDNS = 1u << 8,
	VE_SB_NETNS = 1u << 9,
	VE_SB_MOUNTNS = 1u << 10,
	VE_SB_IPCNS = 1u << 11,
	VE_SB_UTSNS = 1u << 12,
};
#define VE_SB_NAMESPACES                                                                           \
	(VE_SB_USERNS | VE_SB_PIDNS | VE_SB_NETNS | VE_SB_MOUNTNS | VE_SB_IPCNS | VE_SB_UTSNS)

/* The processes and threads a program may have inside its own user namespace. */
#define VE_SB_NPROC 64

struct ve_sandbox {
	/* set by the caller */
	long memory_mb;              /* RLIMIT_AS */
	size_t output_limit;         /* each pipe, and RLIMIT_FSIZE */
	bool namespaces;             /* try them; ve_sandbox_init clears it when they fail */
	bool require;                /* namespaces or nothing */
	const char *const *readable; /* directories the program may read, NULL-terminated */
	/* set by ve_sandbox_init */
	const char *tmpdir;       /* $TMPDIR or /tmp: where working directories go */
	bool drop;                /* root: the program runs as nobody */
	pid_t main_pid;           /* the caller of ve_sandbox_init, whom no program may signal */
	char why[200];            /* why namespaces are off, when they were wanted */
	int userns, netns, mntns; /* the namespaces every run joins (ve_unshare_join), or -1 */
};

/* How a run's program ended. */
enum ve_sb_end {
	VE_SB_ENDED,     /* by itself */
	VE_SB_TIMED_OUT, /* killed at the time limit */
	VE_SB_STOPPED,   /* killed for writing more than the output limit */
};

struct ve_sandbox_result {
	int status; /* its wait status; -1 when there is none (the waiter was killed) */
	enum ve_sb_end end;
	double wall_ms;     /* from its fork to its end */
	double cpu_s;       /* user and system */
	long maxrss_kb;     /* its peak resident set */
	unsigned layers;    /* VE_SB_* that were in force */
	struct ve_buf out;  /* what it wrote to fd 3, at most the output limit */
	struct ve_buf note; /* what it wrote to fd 4, at most 4 KiB */
	struct ve_buf log;  /* the last of what it wrote to fds 1 and 2, 2 to 4 KiB */
	struct ve_buf why;  /* when a run fails: why */
};

/*
 * Finds out what can be had: runs argv (argv[0] an absolute path; a
 * command that exits 0, as the programs will be run) in a probe with
 * namespaces when sb->namespaces asks for them, else or when that fails
 * without. 0 when argv ran; else the exit status to stop with, and why:
 * 69 (--require-isolation without namespaces, or argv does not run in
 * the sandbox), 73 (no working directory can be made in $TMPDIR).
 */
int ve_sandbox_init(struct ve_sandbox *sb, const char *const *argv, struct ve_buf *why);
/* Closes what ve_sandbox_init keeps open (the namespaces' fds); sb may be used no more. */
void ve_sandbox_free(struct ve_sandbox *sb);
/* A fresh empty working directory under sb->tmpdir, which the caller frees; NULL, errno set. */
char *ve_sandbox_workdir(const struct ve_sandbox *sb);
/*
 * Removes dir (from ve_sandbox_workdir) and all beneath it, whatever modes
 * the program gave its own directories, and frees it: false when some of
 * it stays. It goes down and back up by ".." checking each step against
 * the directory it came down through, and stops, leaving the rest, when a
 * directory was moved away beneath it (by another program of the same
 * user, still running), so that it never empties or changes a directory
 * outside dir.
 */
bool ve_sandbox_remove(const struct ve_sandbox *sb, char *dir);
/*
 * Runs argv in workdir (from ve_sandbox_workdir) with stdin_fd as its
 * input, for at most seconds of wall-clock time (and of CPU time, rounded
 * up). Falls back to no namespaces for this run when they fail, unless
 * sb->require. 0 when the program ran, whatever became of it (r says);
 * else the exit status to stop with and r->why: 69 (namespaces required
 * and failed), 70 (the program could not be started). r's buffers are
 * reset first, and the caller frees them.
 */
int ve_sandbox_exec(const struct ve_sandbox *sb, const char *workdir, const char *const *argv,
                    int stdin_fd, double seconds, struct ve_sandbox_result *r);
/*
 * Kills (SIGKILL) and reaps every child of the calling process, and
 * whatever is reparented to it in turn as they die (a child subreaper's
 * orphans), until none is left. Async-signal-safe: a handler of the
 * signal that ends the caller may call it.
 */
void ve_sandbox_sweep(void);
/* Appends the names of the layers as a JSON array: ["rlimit","seccomp",...]. */
void ve_sandbox_layers_json(unsigned layers, struct ve_buf *out);
/* The same, space-separated, for messages. */
void ve_sandbox_layers_text(unsigned layers, struct ve_buf *out);
void ve_sandbox_result_free(struct ve_sandbox_result *r);

#endif
