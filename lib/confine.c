#include <errno.h>
#include <fcntl.h>
#include <math.h>
#include <stdint.h>
#include <sys/ioctl.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <linux/ioprio.h>
#include <linux/sched.h>
#include <linux/sockios.h>
#include <seccomp.h>

#include "confine.h"

/* Sets a limit no higher than the hard limit in force: false when the kernel refuses. */
static bool
lower(int resource, rlim_t want)
{
	struct rlimit r;

	if (getrlimit(resource, &r))
		return false;
	if (r.rlim_max != RLIM_INFINITY && r.rlim_max < want)
		want = r.rlim_max;
	r.rlim_cur = r.rlim_max = want;
	return setrlimit(resource, &r) == 0;
}

bool
ve_confine_rlimits(const struct ve_confine *c)
{
	rlim_t cpu = (rlim_t)ceil(c->seconds > 0 ? c->seconds : 1);
	struct rlimit r;
	bool ok = true;

	/* SIGXCPU at the limit, SIGKILL a second later for a program that ignores it. */
	if (getrlimit(RLIMIT_CPU, &r) == 0) {
		r.rlim_cur = cpu;
		if (r.rlim_max == RLIM_INFINITY || r.rlim_max > cpu + 1)
			r.rlim_max = cpu + 1;
		ok = setrlimit(RLIMIT_CPU, &r) == 0;
	}
	ok = lower(RLIMIT_FSIZE, c->fsize) && ok;
	ok = lower(RLIMIT_CORE, 0) && ok;
	/* valgrind (make check's third tier) keeps the hard limit of fds fixed: the soft one then
	 */
	if (!lower(RLIMIT_NOFILE, 256) && getrlimit(RLIMIT_NOFILE, &r) == 0) {
		r.rlim_cur = r.rlim_max < 256 ? r.rlim_max : 256;
		ok = setrlimit(RLIMIT_NOFILE, &r) == 0 && ok;
	}
	if (c->nproc)
		ok = lower(RLIMIT_NPROC, c->nproc) && ok;
	return ok;
}

bool
ve_confine_address_space(const struct ve_confine *c)
{
	return lower(RLIMIT_AS, c->as_bytes);
}

bool
ve_confine_no_new_privs(void)
{
	return prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) == 0;
}

/*
 * Landlock's ABI, spelt out here: the C library's headers may be older
 * than the kernel (Debian 12's know ABI 2).
 */
#define LL_CREATE_RULESET_VERSION (1U << 0)
#define LL_RULE_PATH_BENEATH      1
#define LL_FS_EXECUTE             (1ULL << 0)
#define LL_FS_WRITE_FILE          (1ULL << 1)
#define LL_FS_READ_FILE           (1ULL << 2)
#define LL_FS_READ_DIR            (1ULL << 3)
#define LL_FS_V1                  ((1ULL << 13) - 1) /* execute ... make_sym */
#define LL_FS_REFER               (1ULL << 13)       /* ABI 2 */
#define LL_FS_TRUNCATE            (1ULL << 14)       /* ABI 3 */
#define LL_NET_BIND_TCP           (1ULL << 0)        /* ABI 4 */
#define LL_NET_CONNECT_TCP        (1ULL << 1)
#define LL_SCOPE_ABSTRACT_UNIX    (1ULL << 0) /* ABI 6 */
#define LL_SCOPE_SIGNAL           (1ULL << 1)

struct ll_ruleset_attr {
	uint64_t handled_fs, handled_net, scoped;
};

struct ll_path_beneath {
	uint64_t allowed;
	int32_t parent_fd;
} __attribute__((packed));

/* Allows access beneath path: false when the kernel refuses; a path that is not there is no error.
 */
static bool
ll_allow(int ruleset, const char *path, uint64_t access)
{
	struct ll_path_beneath rule = {.allowed = access};
	bool ok;

	rule.parent_fd = open(path, O_PATH | O_CLOEXEC);
	if (rule.parent_fd < 0)
		return errno == ENOENT;
	ok = syscall(SYS_landlock_add_rule, ruleset, LL_RULE_PATH_BENEATH, &rule, 0) == 0;
	close(rule.parent_fd);
	return ok;
}

/* The ruleset's rules: false when one was refused. */
static bool
ll_rules(int fd, const struct ve_confine *c, uint64_t fs)
{
	const uint64_t read = LL_FS_EXECUTE | LL_FS_READ_FILE | LL_FS_READ_DIR;
	const char *const devices[] = {"/dev/zero", "/dev/full", "/dev/random", "/dev/urandom"};
	bool ok = ll_allow(fd, c->home, fs);

	for (const char *const *p = c->readable; ok && p && *p; p++)
		ok = ll_allow(fd, *p, read);
	/* opening /dev/null to write truncates it (open(..., "w")) */
	ok = ok &&
	     ll_allow(fd, "/dev/null", (LL_FS_READ_FILE | LL_FS_WRITE_FILE | LL_FS_TRUNCATE) & fs);
	for (size_t i = 0; ok && i < sizeof devices / sizeof *devices; i++)
		ok = ll_allow(fd, devices[i], LL_FS_READ_FILE);
	return ok;
}

bool
ve_confine_landlock(const struct ve_confine *c)
{
	long abi = syscall(SYS_landlock_create_ruleset, NULL, 0, LL_CREATE_RULESET_VERSION);
	struct ll_ruleset_attr attr = {.handled_fs = LL_FS_V1};
	size_t size = sizeof attr.handled_fs;
	bool ok;

	if (abi < 1)
		return false;
	if (abi >= 2)
		attr.handled_fs |= LL_FS_REFER;
	if (abi >= 3)
		attr.handled_fs |= LL_FS_TRUNCATE;
	if (abi >= 4) {
		/* handled with no rule that allows it: no TCP at all */
		attr.handled_net = LL_NET_BIND_TCP | LL_NET_CONNECT_TCP;
		size = 2 * sizeof attr.handled_fs;
	}
	if (abi >= 6) {
		attr.scoped = LL_SCOPE_ABSTRACT_UNIX | LL_SCOPE_SIGNAL;
		size = sizeof attr;
	}
	int fd = (int)syscall(SYS_landlock_create_ruleset, &attr, size, 0);
	if (fd < 0)
		return false;
	ok = ll_rules(fd, c, attr.handled_fs) && syscall(SYS_landlock_restrict_self, fd, 0) == 0;
	close(fd);
	return ok;
}

/* The calls that fail with EPERM whatever their arguments. */
static const char *const denied[] = {
    "socket",
    "connect",
    "bind",
    "listen",
    "accept",
    "accept4",
    "sendmsg",
    "sendmmsg",
    "ptrace",
    "process_vm_readv",
    "process_vm_writev",
    "personality",
    "mount",
    "umount2",
    "pivot_root",
    "chroot",
    "mount_setattr",
    "move_mount",
    "open_tree",
    "fsopen",
    "fsconfig",
    "fsmount",
    "fspick",
    "setns",
    "unshare",
    "keyctl",
    "add_key",
    "request_key",
    "bpf",
    "perf_event_open",
    "kexec_load",
    "kexec_file_load",
    "init_module",
    "finit_module",
    "delete_module",
    "reboot",
    "swapon",
    "swapoff",
    "io_uring_setup",
    "io_uring_enter",
    "io_uring_register",
    "userfaultfd",
    "open_by_handle_at",
    "name_to_handle_at",
    "pidfd_send_signal",
    "pidfd_getfd",
    "kcmp",
    "quotactl",
    "acct",
    "syslog",
    "settimeofday",
    "clock_settime",
    "clock_adjtime",
    "adjtimex",
    "iopl",
    "ioperm",
    "vhangup",
    "fanotify_init",
    "lookup_dcookie",
    "process_madvise",
    /* memory outside RLIMIT_AS, and SysV objects outlive the run without an IPC namespace */
    "memfd_create",
    "shmget",
    "shmat",
    "shmctl",
    "shmdt",
    "msgget",
    "msgsnd",
    "msgrcv",
    "msgctl",
    "semget",
    "semop",
    "semtimedop",
    "semtimedop_time64",
    "semctl",
    "ipc",
    "mq_open",
    "mq_unlink",
    "mq_timedsend",
    "mq_timedsend_time64",
    "mq_timedreceive",
    "mq_timedreceive_time64",
    "mq_notify",
    "mq_getsetattr",
};

/*
 * Calls that send a signal to the process their first argument names, and
 * whether a negative one names a group (or, -1, every process it may signal).
 */
static const struct {
	const char *name;
	bool group;
} signallers[] = {
    {"kill", true},    {"rt_sigqueueinfo", true},    {"tkill", false},
    {"tgkill", false}, {"rt_tgsigqueueinfo", false},
};

/*
 * Calls that act on the process their argument arg names, where 0 is the
 * caller itself: any other is refused, as without a PID namespace it may be
 * any process of the program's user (its parent, another test's program).
 */
static const struct {
	const char *name;
	unsigned arg;
} on_process[] = {
    {"prlimit64", 0},      {"sched_setaffinity", 0}, {"sched_setscheduler", 0},
    {"sched_setparam", 0}, {"sched_setattr", 0},     {"migrate_pages", 0},
    {"move_pages", 0},     {"setpriority", 1},       {"ioprio_set", 1},
};

/* Adds one rule for the named call: false on an error but a call this architecture lacks. */
static bool
deny(scmp_filter_ctx ctx, uint32_t action, const char *name, unsigned n,
     const struct scmp_arg_cmp *cmp)
{
	int nr = seccomp_syscall_resolve_name(name);

	if (nr == __NR_SCMP_ERROR)
		return true;
	return seccomp_rule_add_array(ctx, action, nr, n, cmp) == 0;
}

/*
 * The rules that keep a program to itself: the calls of on_process with a
 * process other than 0, setpriority and ioprio_set on all of its user's
 * processes (PRIO_USER, IOPRIO_WHO_USER), and the fcntl and ioctl
 * commands that make another process the one signalled when an fd is
 * ready (F_SETOWN, F_SETOWN_EX, F_SETSIG, FIOSETOWN, SIOCSPGRP).
 */
static bool
deny_other_processes(scmp_filter_ctx ctx)
{
	const uint32_t eperm = SCMP_ACT_ERRNO(EPERM);
	const uint64_t fcntls[] = {F_SETOWN, F_SETOWN_EX, F_SETSIG};
	const uint64_t ioctls[] = {FIOSETOWN, SIOCSPGRP};
	struct scmp_arg_cmp cmp;
	bool ok = true;

	for (size_t i = 0; i < sizeof on_process / sizeof *on_process; i++) {
		cmp = (struct scmp_arg_cmp){on_process[i].arg, SCMP_CMP_NE, 0, 0};
		ok = ok && deny(ctx, eperm, on_process[i].name, 1, &cmp);
	}
	cmp = SCMP_A0(SCMP_CMP_EQ, PRIO_USER, 0);
	ok = ok && deny(ctx, eperm, "setpriority", 1, &cmp);
	cmp = SCMP_A0(SCMP_CMP_EQ, IOPRIO_WHO_USER, 0);
	ok = ok && deny(ctx, eperm, "ioprio_set", 1, &cmp);
	for (size_t i = 0; i < sizeof fcntls / sizeof *fcntls; i++) {
		cmp = SCMP_A1(SCMP_CMP_MASKED_EQ, 0xffffffffu, fcntls[i]);
		ok = ok && deny(ctx, eperm, "fcntl", 1, &cmp) &&
		     deny(ctx, eperm, "fcntl64", 1, &cmp);
	}
	for (size_t i = 0; i < sizeof ioctls / sizeof *ioctls; i++) {
		cmp = SCMP_A1(SCMP_CMP_MASKED_EQ, 0xffffffffu, ioctls[i]);
		ok = ok && deny(ctx, eperm, "ioctl", 1, &cmp);
	}
	return ok;
}

/* The rules that look at arguments. */
static bool
deny_by_argument(scmp_filter_ctx ctx, const struct ve_confine *c)
{
	const uint32_t eperm = SCMP_ACT_ERRNO(EPERM);
	const uint64_t ns[] = {CLONE_NEWNS,  CLONE_NEWUSER, CLONE_NEWPID,   CLONE_NEWNET,
	                       CLONE_NEWIPC, CLONE_NEWUTS,  CLONE_NEWCGROUP};
	struct scmp_arg_cmp cmp;
	bool ok = true;

	for (size_t i = 0; i < sizeof ns / sizeof *ns; i++) {
		cmp = SCMP_A0(SCMP_CMP_MASKED_EQ, ns[i], ns[i]);
		ok = ok && deny(ctx, eperm, "clone", 1, &cmp);
	}
	cmp = SCMP_A0(SCMP_CMP_NE, AF_UNIX, 0); /* datum_b unused, given: clang wants every field */
	ok = ok && deny(ctx, eperm, "socketpair", 1, &cmp);
	/* a datagram to an address of its choosing */
	cmp = SCMP_A4(SCMP_CMP_NE, 0, 0);
	ok = ok && deny(ctx, eperm, "sendto", 1, &cmp);
	for (size_t i = 0; i < sizeof signallers / sizeof *signallers; i++) {
		/* a pid_t below zero: its sign bit */
		cmp = SCMP_A0(SCMP_CMP_MASKED_EQ, 0x80000000u, 0x80000000u);
		if (signallers[i].group)
			ok = ok && deny(ctx, eperm, signallers[i].name, 1, &cmp);
		for (int k = 0; k < c->nprotect; k++) {
			cmp = SCMP_A0(SCMP_CMP_MASKED_EQ, 0xffffffffu, (uint32_t)c->protect[k]);
			ok = ok && deny(ctx, eperm, signallers[i].name, 1, &cmp);
		}
	}
	return ok;
}

bool
ve_confine_seccomp(const struct ve_confine *c)
{
	scmp_filter_ctx ctx = seccomp_init(SCMP_ACT_ALLOW);
	bool ok = ctx != NULL;

	for (size_t i = 0; ok && i < sizeof denied / sizeof *denied; i++)
		ok = deny(ctx, SCMP_ACT_ERRNO(EPERM), denied[i], 0, NULL);
	ok = ok && deny(ctx, SCMP_ACT_ERRNO(ENOSYS), "clone3", 0, NULL);
	ok = ok && deny_by_argument(ctx, c) && deny_other_processes(ctx) && seccomp_load(ctx) == 0;
	seccomp_release(ctx);
	return ok;
}
