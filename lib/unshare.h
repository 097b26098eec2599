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
 * In a holder process: enters new user, network and mount namespaces and
 * builds in the mount namespace the file system every run sees:
 * everything read-only and without set-user-ID, and a /dev of its own
 * that holds only null, zero, full, random, urandom (bound from the real
 * ones) and the fd links, made in a tmpfs at devdir (a path in an empty
 * directory only the holder can reach yet) and moved onto /dev. The
 * caller keeps the namespaces open through /proc/PID/ns/{user,net,mnt}
 * once the holder has said it is in them (a namespace lives while an fd
 * refers to it). The holder's uid and gid are VE_UNSHARE_UID inside, with
 * no supplementary groups; it stays dumpable, so that a caller of the
 * same uid may open them, and must exit without running anything.
 */
const char *ve_unshare_hold(const char *devdir);
/*
 * Joins the namespaces a holder made (fds of /proc/PID/ns/user, net, mnt)
 * and enters new mount (a copy of the holder's), IPC and UTS namespaces,
 * and a new PID namespace for its children. Runs share the user and
 * network namespaces, which cost the most to make (a network namespace
 * alone about 2 ms, and more to tear down): no program can put anything
 * in them, as the seccomp filter denies every socket but a socketpair and
 * the user namespace maps one uid, the same for every run. The caller's
 * euid must be the holder's (the user namespace's owner, who has every
 * capability in it) and it keeps them inside until it executes a program.
 */
const char *ve_unshare_join(int userns, int netns, int mntns);
/*
 * In the joined mount namespace: workdir (an empty directory the caller
 * owns) writable at /tmp, which is also the working directory. Nothing of
 * the real /tmp is visible.
 */
const char *ve_unshare_root(const char *workdir);
/* In the first process of the new PID namespace: a /proc that shows only that namespace. */
const char *ve_unshare_proc(void);

#endif
