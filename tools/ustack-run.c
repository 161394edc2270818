/* SPDX-License-Identifier: MIT */
/*
 * ustack-run - run a program with its sockets on ustack
 *
 *   ustack-run [--socket PATH] CMD [ARGS...]
 *
 * Checks that ustackd answers on its control socket (a HELLO), then runs
 * CMD with LD_PRELOAD=libustack-preload.so and USTACK_SOCKET=PATH, so that
 * CMD's AF_INET and AF_INET6 sockets are ustack's. Exit status: CMD's, or
 * 125 if ustackd is not reachable or the shim is missing, 126 if CMD
 * cannot be run, 127 if it is not found (as env(1) does).
 *
 * A CMD with file capabilities (Debian's ping has cap_net_raw) that a
 * user other than root runs is a secure execution: the dynamic loader
 * would ignore LD_PRELOAD, and CMD would quietly use the kernel's stack.
 * ustack-run runs it through the loader its ELF header names instead (the
 * loader is no privileged file): CMD keeps the shim and runs without
 * those capabilities, which ustack's sockets do not need (ping then opens
 * an ICMP datagram socket, which ustack gives every user).
 *
 * Without address space randomization the shim does not install its trap
 * for libc's internal socket calls (see libclient/trap.c); this is where
 * the user is told, once.
 */
#include <elf.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <linux/seccomp.h>
#include <sys/personality.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <sys/un.h>
#include <sys/utsname.h>
#include <sys/wait.h>
#include <sys/xattr.h>
#include <unistd.h>

#include "client.h"
#include "trapbpf.h"
#include "ustack_proto.h"

#ifndef USTACK_LIBDIR
#define USTACK_LIBDIR "/usr/local/lib"
#endif
#define PRELOAD_NAME "libustack-preload.so"

static void usage(FILE *out)
{
	fprintf(out,
		"Usage: ustack-run [--socket PATH] CMD [ARGS...]\n"
		"Run CMD with its TCP and UDP sockets on ustackd.\n\n"
		"  -s, --socket PATH  ustackd's control socket (default: $USTACK_SOCKET,\n"
		"                     else " USTACK_DEFAULT_SOCKET ")\n"
		"  -h, --help         this text\n\n"
		"Exit status: CMD's; 125 if ustackd is not reachable; 126 if CMD cannot\n"
		"be run; 127 if CMD is not found. See ustack-run(1).\n");
}

/* Return: 0 if ustackd answered HELLO, else a negative errno */
static int hello(const char *path, char *version, size_t vlen)
{
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	uint8_t buf[256];
	struct ustack_msg_hdr h;
	struct ustack_hello_reply r;
	struct pollfd pfd;
	size_t n;
	ssize_t got;
	int fd, rc = 0;

	if (strlen(path) >= sizeof(sa.sun_path))
		return -ENAMETOOLONG;
	strcpy(sa.sun_path, path);
	fd = socket(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return -errno;
	if (connect(fd, (struct sockaddr *)&sa, sizeof(sa))) {
		rc = -errno;
		goto out;
	}
	n = ustack_msg_build(buf, sizeof(buf), USTACK_MSG_HELLO, 1, 0, NULL, 0);
	if (send(fd, buf, n, MSG_NOSIGNAL) != (ssize_t)n) {
		rc = -errno;
		goto out;
	}
	pfd = (struct pollfd){ .fd = fd, .events = POLLIN };
	if (poll(&pfd, 1, 3000) != 1) {
		rc = -ETIMEDOUT;
		goto out;
	}
	got = recv(fd, buf, sizeof(buf), 0);
	if (got <= 0 || ustack_msg_check(buf, (size_t)got, 1, &h) ||
	    h.status || (size_t)got != sizeof(h) + sizeof(r)) {
		rc = -EPROTO;
		goto out;
	}
	memcpy(&r, buf + sizeof(h), sizeof(r));
	r.version[sizeof(r.version) - 1] = '\0';
	snprintf(version, vlen, "%s", r.version);
out:
	close(fd);
	return rc;
}

/* The shim: $USTACK_PRELOAD, next to us (the build tree), or installed. */
static int find_preload(char *out, size_t len)
{
	const char *env = getenv("USTACK_PRELOAD");
	char self[PATH_MAX], *slash;
	ssize_t n;

	if (env && *env) {
		snprintf(out, len, "%s", env);
		return access(out, R_OK);
	}
	n = readlink("/proc/self/exe", self, sizeof(self) - 1);
	if (n > 0) {
		self[n] = '\0';
		slash = strrchr(self, '/');
		if (slash) {
			*slash = '\0';
			snprintf(out, len, "%s/%s", self, PRELOAD_NAME);
			if (access(out, R_OK) == 0)
				return 0;
			snprintf(out, len, "%s/../lib/%s", self, PRELOAD_NAME);
			if (access(out, R_OK) == 0)
				return 0;
		}
	}
	snprintf(out, len, "%s/%s", USTACK_LIBDIR, PRELOAD_NAME);
	return access(out, R_OK);
}

/* execvp()'s search: @cmd's file, into @out. Return: 0, or -1 */
static int find_cmd(const char *cmd, char *out, size_t len)
{
	const char *p = getenv("PATH");
	char dirs[4096], *save = NULL;

	if (strchr(cmd, '/')) {
		snprintf(out, len, "%s", cmd);
		return 0;
	}
	snprintf(dirs, sizeof(dirs), "%s", p && *p ? p : "/usr/bin:/bin");
	for (char *d = strtok_r(dirs, ":", &save); d;
	     d = strtok_r(NULL, ":", &save)) {
		snprintf(out, len, "%s/%s", *d ? d : ".", cmd);
		if (access(out, X_OK) == 0)
			return 0;
	}
	return -1;
}

/* The ELF interpreter (PT_INTERP) of the 64-bit program @file, or -1. */
static int elf_interp(const char *file, char *out, size_t len)
{
	Elf64_Ehdr eh;
	Elf64_Phdr ph;
	int fd = open(file, O_RDONLY | O_CLOEXEC), rc = -1;

	if (fd < 0)
		return -1;
	if (pread(fd, &eh, sizeof(eh), 0) != (ssize_t)sizeof(eh) ||
	    memcmp(eh.e_ident, ELFMAG, SELFMAG) ||
	    eh.e_ident[EI_CLASS] != ELFCLASS64 || eh.e_phentsize != sizeof(ph))
		goto out;
	for (unsigned k = 0; k < eh.e_phnum; k++) {
		if (pread(fd, &ph, sizeof(ph), (off_t)(eh.e_phoff + k * sizeof(ph))) !=
		    (ssize_t)sizeof(ph))
			break;
		if (ph.p_type != PT_INTERP || ph.p_filesz == 0 ||
		    ph.p_filesz > len)
			continue;
		if (pread(fd, out, ph.p_filesz, (off_t)ph.p_offset) ==
		    (ssize_t)ph.p_filesz && out[ph.p_filesz - 1] == '\0')
			rc = 0;
		break;
	}
out:
	close(fd);
	return rc;
}

/*
 * Run a CMD that has file capabilities through its loader when we are not
 * root (see the top comment); return only if that is not the case or
 * fails, to run it the usual way.
 */
static void exec_without_caps(char **argv)
{
	char file[PATH_MAX], interp[PATH_MAX];
	char **av;
	int n = 0;

	if (getuid() == 0 || find_cmd(argv[0], file, sizeof(file)) ||
	    getxattr(file, "security.capability", NULL, 0) <= 0 ||
	    elf_interp(file, interp, sizeof(interp)))
		return;
	while (argv[n])
		n++;
	av = calloc((size_t)n + 5, sizeof(*av));
	if (!av)
		return;
	av[0] = interp;
	av[1] = "--argv0";
	av[2] = argv[0];
	av[3] = file;
	memcpy(av + 4, argv + 1, (size_t)n * sizeof(*av));
	execv(interp, av);
	free(av);
}

/* The shim will not trap libc's own calls: say so (ustack-run(1)). */
static void note_trap(void)
{
	const char *t = getenv("USTACK_TRAP");

	if ((t && !strcmp(t, "0")) || !ust_aslr_off())
		return;
	fprintf(stderr,
		"ustack-run: address space randomization is off: libc's internal "
		"socket calls\nustack-run: (name lookups) go to the kernel, not to "
		"ustack; see ustack-run(1)\n");
}

/* The kernel's version as a number (5.14 -> 0x050e), 0 if unknown */
static unsigned kernel_version(void)
{
	struct utsname u;
	unsigned a = 0, b = 0;

	if (uname(&u) || sscanf(u.release, "%u.%u", &a, &b) != 2)
		return 0;
	return a << 8 | b;
}

/* Install the supervisor's filter on this process. Return: its listener,
 * or -1 with errno */
static int notify_install(void)
{
	struct sock_filter f[UST_TRAP_FILTER_MAX];
	struct sock_fprog prog;
	unsigned flags = SECCOMP_FILTER_FLAG_NEW_LISTENER |
			 SECCOMP_FILTER_FLAG_WAIT_KILLABLE_RECV;
	int n = ust_notify_filter(f), fd;

	if (n < 0) {
		errno = EINVAL;
		return -1;
	}
	prog.len = (unsigned short)n;
	prog.filter = f;
	for (int tries = 0; tries < 3; tries++) {
		fd = (int)syscall(SYS_seccomp, SECCOMP_SET_MODE_FILTER, flags,
				  &prog);
		if (fd >= 0)
			return fd;
		if (errno == EINVAL &&
		    (flags & SECCOMP_FILTER_FLAG_WAIT_KILLABLE_RECV))
			flags &= ~SECCOMP_FILTER_FLAG_WAIT_KILLABLE_RECV;
		else if (errno == EACCES)
			prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0);
		else
			break;
	}
	return -1;
}

/*
 * Start the supervisor (libclient/supervise.c) for the socket calls the
 * shim cannot see: a process of its own, forked twice so that it is
 * nobody's child to wait for, with no terminal and none of our
 * descriptors; then put this process (and so CMD and its children) under
 * the filter whose listener it serves. Return: 0, or -1 (the reason
 * told on standard error; CMD runs without the supervisor)
 */
static int supervisor_start(const char *path)
{
	struct msghdr m;
	union {
		struct cmsghdr h;
		char buf[CMSG_SPACE(sizeof(int))];
	} u;
	char byte = 0;
	struct iovec iov = { &byte, 1 };
	int sp[2], st, lfd;
	pid_t pid;

	if (kernel_version() < 0x050e) {
		fprintf(stderr,
			"ustack-run: this kernel lacks seccomp's SECCOMP_ADDFD_FLAG_SEND (Linux 5.14):\n"
			"ustack-run: sockets of programs that do not call libc (Go, static) are not ustack's\n");
		return -1;
	}
	if (socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, sp))
		return -1;
	pid = fork();
	if (pid < 0) {
		close(sp[0]);
		close(sp[1]);
		return -1;
	}
	if (pid == 0) {
		int nul;

		if (fork() != 0)
			_exit(0);
		setsid();
		if (chdir("/"))         /* holds no directory in use */
			_exit(1);
		nul = open("/dev/null", O_RDWR);
		if (nul >= 0) {
			dup2(nul, 0);
			dup2(nul, 1);
			dup2(nul, 2);
		}
		if (dup2(sp[1], 3) != 3)
			_exit(1);
		syscall(SYS_close_range, 4, ~0u, 0);
		memset(&m, 0, sizeof(m));
		m.msg_iov = &iov;
		m.msg_iovlen = 1;
		m.msg_control = u.buf;
		m.msg_controllen = sizeof(u.buf);
		if (recvmsg(3, &m, MSG_CMSG_CLOEXEC) != 1 ||
		    !CMSG_FIRSTHDR(&m) ||
		    CMSG_FIRSTHDR(&m)->cmsg_type != SCM_RIGHTS)
			_exit(0);       /* ustack-run went on without us */
		memcpy(&lfd, CMSG_DATA(CMSG_FIRSTHDR(&m)), sizeof(lfd));
		close(3);
		ust_ctl_path_set(path);
		ust_supervise(lfd);
	}
	close(sp[1]);
	while (waitpid(pid, &st, 0) < 0 && errno == EINTR)
		;
	lfd = notify_install();
	if (lfd < 0) {
		fprintf(stderr,
			"ustack-run: the supervisor's seccomp filter: %s\n"
			"ustack-run: sockets of programs that do not call libc (Go, static) are not ustack's\n",
			strerror(errno));
		close(sp[0]);
		return -1;
	}
	memset(&m, 0, sizeof(m));
	memset(&u, 0, sizeof(u));
	m.msg_iov = &iov;
	m.msg_iovlen = 1;
	m.msg_control = u.buf;
	m.msg_controllen = sizeof(u.buf);
	CMSG_FIRSTHDR(&m)->cmsg_level = SOL_SOCKET;
	CMSG_FIRSTHDR(&m)->cmsg_type = SCM_RIGHTS;
	CMSG_FIRSTHDR(&m)->cmsg_len = CMSG_LEN(sizeof(int));
	memcpy(CMSG_DATA(CMSG_FIRSTHDR(&m)), &lfd, sizeof(lfd));
	/* marked: this process is under the filter now, and the supervisor
	 * that would serve an unmarked send is waiting for this one */
	if (syscall(SYS_sendmsg, sp[0], &m, MSG_NOSIGNAL, 0, 0,
		    (long)UST_MAGIC) != 1)
		fprintf(stderr, "ustack-run: the supervisor did not start: %s\n",
			strerror(errno));
	close(lfd);
	close(sp[0]);
	return 0;
}

int main(int argc, char **argv)
{
	const char *path = getenv("USTACK_SOCKET");
	char preload[PATH_MAX], abspath[PATH_MAX], version[64], *ld;
	const char *old;
	int i = 1, rc;

	if (!path || !*path)
		path = USTACK_DEFAULT_SOCKET;
	for (; i < argc && argv[i][0] == '-'; i++) {
		if (!strcmp(argv[i], "--")) {
			i++;
			break;
		}
		if (!strcmp(argv[i], "-h") || !strcmp(argv[i], "--help")) {
			usage(stdout);
			return 0;
		}
		if ((!strcmp(argv[i], "-s") || !strcmp(argv[i], "--socket")) &&
		    i + 1 < argc) {
			path = argv[++i];
			continue;
		}
		if (!strncmp(argv[i], "--socket=", 9)) {
			path = argv[i] + 9;
			continue;
		}
		fprintf(stderr, "ustack-run: unknown option '%s'\n", argv[i]);
		usage(stderr);
		return 125;
	}
	if (i >= argc) {
		usage(stderr);
		return 125;
	}
	rc = hello(path, version, sizeof(version));
	if (rc) {
		fprintf(stderr,
			"ustack-run: ustackd is not reachable at %s: %s\n"
			"ustack-run: start it (ustackd --tap ... --addr ...) or give --socket PATH\n",
			path, strerror(-rc));
		return 125;
	}
	if (find_preload(preload, sizeof(preload))) {
		fprintf(stderr, "ustack-run: %s not found (set USTACK_PRELOAD)\n",
			PRELOAD_NAME);
		return 125;
	}
	if (path[0] != '/' && getcwd(abspath, sizeof(abspath)) &&
	    strlen(abspath) + strlen(path) + 2 <= sizeof(abspath)) {
		strcat(abspath, "/");
		strcat(abspath, path);
		path = abspath;
	}
	setenv("USTACK_SOCKET", path, 1);
	old = getenv("LD_PRELOAD");
	if (old && *old) {
		size_t n = strlen(preload) + strlen(old) + 2;

		ld = malloc(n);
		if (!ld)
			return 125;
		snprintf(ld, n, "%s:%s", preload, old);
	} else {
		ld = preload;
	}
	setenv("LD_PRELOAD", ld, 1);
	old = getenv("USTACK_SUPERVISE");
	if ((old && !strcmp(old, "0")) || supervisor_start(path))
		note_trap();    /* without the supervisor, say what is left */
	exec_without_caps(&argv[i]);
	execvp(argv[i], &argv[i]);
	rc = errno;
	fprintf(stderr, "ustack-run: %s: %s\n", argv[i], strerror(rc));
	return rc == ENOENT ? 127 : 126;
}
