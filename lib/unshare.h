/*
 * Namespaces for a sandboxed program, where the kernel lets an
 * unprivileged process have them (or the caller is root): new user, mount,
 * network, IPC and UTS namespaces for the calling process and a PID
 * namespace for its children, and in the mount namespace a root file
 * system the program can read but not change. Called in a forked child of
 * a single-threaded process (lib/sandbox.c), in the order listed; each
 * returns NULL, or the name of the step that failed with errno set, so the
 * caller can say why and run the program without namespaces instead.
 */
#ifndef VE_UNSHARE_H
#define VE_UNSHARE_H

/* The user the program is inside its user namespace (the caller's outside). */
#define VE_UNSHARE_UID 1000

/*
 * Enters the namespaces; the caller's uid and gid are VE_UNSHARE_UID
 * inside, with no supplementary groups. The caller keeps every capability
 * inside the new user namespace until it executes a program.
 */
const char *ve_unshare_enter(void);
/*
 * The file system the program sees: everything read-only and without
 * set-user-ID, a /dev of its own that holds only null, zero, full, random,
 * urandom (bound from the real ones) and the fd links, and workdir (an
 * empty directory the caller owns) writable at /tmp, which is also the
 * working directory. Nothing of the real /tmp is visible.
 */
const char *ve_unshare_root(const char *workdir);
/* In the first process of the new PID namespace: a /proc that shows only that namespace. */
const char *ve_unshare_proc(void);

#endif
