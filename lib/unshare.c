#include <errno.h>
#include <fcntl.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/statvfs.h>
#include <unistd.h>

#include "buf.h"
#include "unshare.h"

/* Writes text to a /proc file of this process: false on an error, errno set. */
static bool
write_proc(const char *path, const char *text)
{
	int fd = open(path, O_WRONLY | O_CLOEXEC);
	bool ok;

	if (fd < 0)
		return false;
	ok = write(fd, text, strlen(text)) == (ssize_t)strlen(text);
	int e = errno;
	close(fd);
	errno = e;
	return ok;
}

/*
 * A /dev of its own, built in a tmpfs at dir (inside the workdir, which no
 * one else sees yet) and moved onto /dev: the real one would hand a
 * program mapped to root every disk root may open.
 */
static const char *
fresh_dev(const char *dir)
{
	const char *const nodes[] = {"null", "zero", "full", "random", "urandom"};
	const char *const links[][2] = {{"fd", "/proc/self/fd"},
	                                {"stdin", "/proc/self/fd/0"},
	                                {"stdout", "/proc/self/fd/1"},
	                                {"stderr", "/proc/self/fd/2"}};
	struct ve_buf p = {0}, src = {0};
	const char *failed = NULL;

	if (mkdir(dir, 0755) ||
	    mount("tmpfs", dir, "tmpfs", MS_NOSUID | MS_NOEXEC, "size=64k,mode=755"))
		return "mount /dev";
	for (size_t i = 0; !failed && i < sizeof nodes / sizeof *nodes; i++) {
		ve_buf_reset(&p);
		ve_buf_addf(&p, "%s/%s", dir, nodes[i]);
		ve_buf_reset(&src);
		ve_buf_addf(&src, "/dev/%s", nodes[i]);
		int fd = open(p.p, O_WRONLY | O_CREAT | O_CLOEXEC, 0666);
		if (fd < 0 || close(fd) || mount(src.p, p.p, "none", MS_BIND, NULL))
			failed = "bind /dev";
	}
	for (size_t i = 0; !failed && i < sizeof links / sizeof *links; i++) {
		ve_buf_reset(&p);
		ve_buf_addf(&p, "%s/%s", dir, links[i][0]);
		if (symlink(links[i][1], p.p))
			failed = "mount /dev";
	}
	if (!failed && (mount(dir, "/dev", "none", MS_MOVE, NULL) || rmdir(dir)))
		failed = "mount /dev";
	ve_buf_free(&p);
	ve_buf_free(&src);
	return failed;
}

/* /proc/self/mountinfo's mount point field at s (octal escapes for space and the like) into out. */
static void
unescape(const char *s, size_t n, struct ve_buf *out)
{
	ve_buf_reset(out);
	for (size_t i = 0; i < n; i++) {
		if (s[i] == '\\' && i + 3 < n + 0 && s[i + 1] >= '0' && s[i + 1] <= '3') {
			ve_buf_addc(out, (char)((s[i + 1] - '0') * 64 + (s[i + 2] - '0') * 8 +
			                        (s[i + 3] - '0')));
			i += 3;
		} else {
			ve_buf_addc(out, s[i]);
		}
	}
}

/*
 * Remounts the mount at path read-only and without set-user-ID, keeping
 * the flags a mount from the parent namespace has locked (nodev, noexec;
 * its atime is kept when none is named). A mount point that is gone from
 * view (under the new /dev or /tmp) or out of reach is no error: the
 * program cannot reach it either.
 */
static bool
remount_ro(const char *path)
{
	struct statvfs st;
	unsigned long flags = MS_REMOUNT | MS_BIND | MS_RDONLY | MS_NOSUID;

	if (statvfs(path, &st))
		return errno == ENOENT || errno == EACCES || errno == ENOTDIR;
	if (st.f_flag & ST_NODEV)
		flags |= MS_NODEV;
	if (st.f_flag & ST_NOEXEC)
		flags |= MS_NOEXEC;
	return mount("none", path, "none", flags, NULL) == 0;
}

/* Every mount in this namespace read-only, in mountinfo's order (parents first). */
static const char *
all_read_only(void)
{
	FILE *f = fopen("/proc/self/mountinfo", "re");
	char *line = NULL;
	size_t cap = 0;
	struct ve_buf path = {0};
	const char *failed = f ? NULL : "remount read-only";

	while (!failed && getline(&line, &cap, f) > 0) {
		/* ID PARENT MAJ:MIN ROOT MOUNT-POINT ... */
		char *p = line;
		for (int field = 0; field < 4 && p; field++)
			p = strchr(p + (field > 0), ' ');
		if (!p)
			continue;
		p++;
		size_t n = strcspn(p, " \n");
		unescape(p, n, &path);
		if (!remount_ro(path.p))
			failed = "remount read-only";
	}
	free(line);
	ve_buf_free(&path);
	if (f)
		fclose(f);
	return failed;
}

const char *
ve_unshare_hold(const char *devdir)
{
	char map[64];
	unsigned uid = (unsigned)geteuid(), gid = (unsigned)getegid();
	const char *failed;

	/* A process that is not dumpable cannot write its own maps. */
	if (prctl(PR_SET_DUMPABLE, 1, 0, 0, 0))
		return "dumpable";
	if (unshare(CLONE_NEWUSER | CLONE_NEWNET | CLONE_NEWNS))
		return "unshare";
	if (!write_proc("/proc/self/setgroups", "deny"))
		return "setgroups";
	snprintf(map, sizeof map, "%d %u 1\n", VE_UNSHARE_UID, uid);
	if (!write_proc("/proc/self/uid_map", map))
		return "uid_map";
	snprintf(map, sizeof map, "%d %u 1\n", VE_UNSHARE_UID, gid);
	if (!write_proc("/proc/self/gid_map", map))
		return "gid_map";
	if (mount("none", "/", "none", MS_REC | MS_PRIVATE, NULL))
		return "mount private";
	if ((failed = fresh_dev(devdir)) || (failed = all_read_only()))
		return failed;
	return NULL;
}

const char *
ve_unshare_join(int userns, int netns, int mntns)
{
	if (setns(userns, CLONE_NEWUSER) || setns(netns, CLONE_NEWNET) || setns(mntns, CLONE_NEWNS))
		return "setns";
	if (unshare(CLONE_NEWNS | CLONE_NEWIPC | CLONE_NEWUTS | CLONE_NEWPID))
		return "unshare";
	/* Not dumpable, as a process that changed its uid is: its /proc files root's. */
	if (prctl(PR_SET_DUMPABLE, 0, 0, 0, 0))
		return "dumpable";
	return NULL;
}

const char *
ve_unshare_root(const char *workdir)
{
	if (mount(workdir, "/tmp", "none", MS_BIND, NULL))
		return "bind /tmp";
	/* writable again: the bind took the read-only flag of the mount it came from */
	if (mount("none", "/tmp", "none", MS_REMOUNT | MS_BIND | MS_NOSUID | MS_NODEV, NULL))
		return "bind /tmp";
	if (chdir("/tmp"))
		return "chdir /tmp";
	return NULL;
}

const char *
ve_unshare_proc(void)
{
	if (mount("proc", "/proc", "proc", MS_RDONLY | MS_NOSUID | MS_NODEV | MS_NOEXEC, NULL))
		return "mount /proc";
	return NULL;
}
