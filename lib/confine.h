/*
 * What a process does to itself, the last thing before it executes a
 * program nobody vouches for: resource limits, no new privileges, a
 * Landlock domain and a seccomp filter. Each step is one call, made in a
 * forked child of a single-threaded process (the sandbox's program
 * process, lib/sandbox.h), in the order the header lists them; each says
 * whether it took hold, and the caller reports the layers that did.
 * Nothing here is undone: the process is about to execve.
 */
#ifndef VE_CONFINE_H
#define VE_CONFINE_H

#include <stdbool.h>
#include <stddef.h>
#include <sys/resource.h>
#include <sys/types.h>

struct ve_confine {
	double seconds;   /* RLIMIT_CPU: this, rounded up (SIGXCPU), and a second more (SIGKILL) */
	rlim_t as_bytes;  /* RLIMIT_AS */
	rlim_t fsize;     /* RLIMIT_FSIZE: the largest file it may write */
	rlim_t nproc;     /* RLIMIT_NPROC; 0 leaves it as it is */
	const char *home; /* the working directory: read, write, create and remove */
	/* directories it may read and execute from, NULL-terminated */
	const char *const *readable;
	pid_t protect[4]; /* processes it may not signal (0: none), besides any group */
	int nprotect;
};

/* Lowers the limits (never above the hard limits in force) but RLIMIT_AS: true when all held. */
bool ve_confine_rlimits(const struct ve_confine *c);
/* RLIMIT_AS, last: a sanitizer's runtime may still map memory until then. */
bool ve_confine_address_space(const struct ve_confine *c);
/* PR_SET_NO_NEW_PRIVS: true when set. */
bool ve_confine_no_new_privs(void);
/*
 * A Landlock domain (Linux 5.13 on, when the kernel has the LSM and the
 * seccomp profile lets its system calls through): reading and executing
 * only beneath c->readable, c->home and a few devices, writing only
 * beneath c->home and to /dev/null; and, as far as the kernel's ABI goes,
 * no TCP bind or connect (ABI 4) and no signal or abstract unix socket
 * beyond the domain (ABI 6). Needs no_new_privs. True when in force.
 */
bool ve_confine_landlock(const struct ve_confine *c);
/*
 * A seccomp filter (libseccomp) that makes the calls a graded program has
 * no use for fail with EPERM, so that Python raises rather than dies:
 * sockets (all but a pair of unix ones), ptrace, mounts, keys, BPF, perf,
 * kexec, modules, reboot, swap, namespaces (setns, unshare, clone with a
 * namespace flag), other processes' memory, personality, io_uring, SysV
 * IPC, POSIX message queues and memfd_create (memory outside RLIMIT_AS;
 * SysV objects outlive the program without an IPC namespace),
 * signals to a negative pid or to c->protect, and any call that changes
 * another process (its limits, priority, scheduling, CPUs, I/O priority,
 * pages) or makes it the owner of an fd's signals: only the caller's own,
 * pid 0, as without a PID namespace another may be any of its user's.
 * clone3 fails with ENOSYS,
 * which makes the C library fall back to clone, whose flags the filter
 * can see. True when loaded.
 */
bool ve_confine_seccomp(const struct ve_confine *c);

#endif
