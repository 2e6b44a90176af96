/* SPDX-License-Identifier: MIT */
/*
 * sc_refuse.c - static program that tries every call the backstop refuses
 * outright (and a few it must keep allowing), one line each:
 *   "pass <name>" when the result is the expected one, "FAIL <name> ..."
 * otherwise. Exit 0 when all pass. Run under sc_driver by run.sh.
 */
#include "config.h"

#include <errno.h>
#include <ifaddrs.h>
#include <netinet/in.h>
#include <linux/bpf.h>
#include <linux/netlink.h>
#include <linux/perf_event.h>
#include <linux/rtnetlink.h>
#include <linux/seccomp.h>
#include <linux/filter.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/personality.h>
#include <sys/ptrace.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <sys/uio.h>
#include <sys/wait.h>
#include <unistd.h>

static int failures;

/* Expect r == -1 with errno e (e == 0: expect success). */
static void expect(const char *name, long r, int e)
{
	int got = r < 0 ? errno : 0;

	if (got == e) {
		printf("pass %s\n", name);
		return;
	}
	printf("FAIL %s: got %s, want %s\n", name, got ? strerrorname_np(got) : "success",
	       e ? strerrorname_np(e) : "success");
	failures++;
}

static long closeok(long fd)
{
	if (fd >= 0)
		close((int)fd);
	return fd;
}

/* rtnetlink request of type t on a NETLINK_ROUTE socket, via sendto with a name. */
static long nl_send(int type)
{
	struct {
		struct nlmsghdr h;
		struct ifaddrmsg a;
	} req;
	struct sockaddr_nl k = { .nl_family = AF_NETLINK };
	long fd = socket(AF_NETLINK, SOCK_RAW | SOCK_CLOEXEC, NETLINK_ROUTE), r;

	if (fd < 0)
		return fd;
	memset(&req, 0, sizeof(req));
	req.h.nlmsg_len = sizeof(req);
	req.h.nlmsg_type = (unsigned short)type;
	req.h.nlmsg_flags = NLM_F_REQUEST | (type == RTM_GETADDR ? NLM_F_DUMP : NLM_F_CREATE);
	req.a.ifa_family = AF_INET;
	r = sendto((int)fd, &req, sizeof(req), 0, (struct sockaddr *)&k, sizeof(k));
	close((int)fd);
	return r;
}

int main(void)
{
	struct ifaddrs *ifa;
	long r;
	pid_t p;
	int st;

	setvbuf(stdout, NULL, _IONBF, 0);
	expect("socket(AF_PACKET)", closeok(socket(AF_PACKET, SOCK_RAW, 0)), EPERM);
	expect("socket(AF_PACKET, SOCK_DGRAM)", closeok(socket(AF_PACKET, SOCK_DGRAM, 0)), EPERM);
	expect("socket(IPPROTO_MPTCP) -> ENOPROTOOPT", closeok(socket(AF_INET, SOCK_STREAM, 262)),
	       ENOPROTOOPT);
	expect("socket(AF_INET6, IPPROTO_MPTCP) -> ENOPROTOOPT",
	       closeok(socket(AF_INET6, SOCK_STREAM, 262)), ENOPROTOOPT);
	/* this kernel may have no SCTP or DCCP: its own answer would be
	 * EPROTONOSUPPORT / ESOCKTNOSUPPORT, the rule's is EPERM */
	expect("socket(AF_INET, SOCK_SEQPACKET)", closeok(socket(AF_INET, SOCK_SEQPACKET, 0)), EPERM);
	expect("socket(AF_INET6, SOCK_SEQPACKET, IPPROTO_SCTP)",
	       closeok(socket(AF_INET6, SOCK_SEQPACKET | SOCK_NONBLOCK, 132)), EPERM);
	expect("socket(AF_INET, SOCK_STREAM, IPPROTO_SCTP)", closeok(socket(AF_INET, SOCK_STREAM, 132)),
	       EPERM);
	expect("socket(AF_INET, SOCK_DCCP)", closeok(socket(AF_INET, 6 /* SOCK_DCCP */, 0)), EPERM);
	expect("socket(AF_UNIX, SOCK_SEQPACKET) allowed", closeok(socket(AF_UNIX, SOCK_SEQPACKET, 0)), 0);
	expect("socket(AF_INET, SOCK_RAW)", closeok(socket(AF_INET, SOCK_RAW | SOCK_CLOEXEC, IPPROTO_ICMP)), EPERM);
	expect("socket(AF_INET6, SOCK_RAW)", closeok(socket(AF_INET6, SOCK_RAW, IPPROTO_ICMPV6)), EPERM);
	expect("socket(AF_ALG)", closeok(socket(AF_ALG, SOCK_SEQPACKET, 0)), EPERM);
	expect("socket(AF_VSOCK)", closeok(socket(AF_VSOCK, SOCK_STREAM, 0)), EPERM);
	expect("socket(AF_PACKET|1<<32) high bits",
	       closeok(syscall(SYS_socket, AF_PACKET | (1UL << 32), SOCK_RAW, 0)), EPERM);
	expect("socket(AF_NETLINK, NETLINK_AUDIT)", closeok(socket(AF_NETLINK, SOCK_RAW, NETLINK_AUDIT)), EPERM);
	expect("socket(AF_NETLINK, NETLINK_ROUTE) allowed",
	       closeok(socket(AF_NETLINK, SOCK_RAW, NETLINK_ROUTE)), 0);
	expect("socket(AF_INET, SOCK_STREAM) allowed", closeok(socket(AF_INET, SOCK_STREAM, 0)), 0);
	expect("socket(AF_UNIX) allowed", closeok(socket(AF_UNIX, SOCK_STREAM, 0)), 0);
	expect("rtnetlink RTM_GETADDR allowed", nl_send(RTM_GETADDR) < 0 ? -1 : 0, 0);
	expect("rtnetlink RTM_NEWADDR", nl_send(RTM_NEWADDR), EPERM);
	expect("getifaddrs allowed", getifaddrs(&ifa), 0);
	expect("io_uring_setup", syscall(SYS_io_uring_setup, 8, NULL), EPERM);
	expect("ptrace(PTRACE_TRACEME)", ptrace(PTRACE_TRACEME, 0, NULL, NULL), EPERM);
	{
		char a = 'a', b = 'b';
		struct iovec l = { &a, 1 }, rv = { &b, 1 };

		expect("process_vm_writev", process_vm_writev(getpid(), &l, 1, &rv, 1, 0), EPERM);
	}
	{
		int pfd = (int)syscall(SYS_pidfd_open, getpid(), 0);

		expect("pidfd_getfd", closeok(syscall(SYS_pidfd_getfd, pfd, 0, 0)), EPERM);
		if (pfd >= 0)
			close(pfd);
	}
	expect("bpf", syscall(SYS_bpf, BPF_PROG_LOAD, NULL, 0), EPERM);
	{
		struct perf_event_attr pa = { .type = PERF_TYPE_SOFTWARE, .size = sizeof(pa) };

		expect("perf_event_open", closeok(syscall(SYS_perf_event_open, &pa, 0, -1, -1, 0)), EPERM);
	}
	expect("userfaultfd", closeok(syscall(SYS_userfaultfd, 0)), EPERM);
	expect("unshare(CLONE_NEWUSER)", unshare(CLONE_NEWUSER), EPERM);
	expect("unshare(CLONE_NEWNET)", unshare(CLONE_NEWNET), EPERM);
	expect("setns", setns(0, 0), EPERM);
	expect("clone3 -> ENOSYS", syscall(SYS_clone3, NULL, 0), ENOSYS);
	expect("clone(CLONE_NEWNS)", syscall(SYS_clone, CLONE_NEWNS | SIGCHLD, 0, 0, 0, 0), EPERM);
	expect("clone(CLONE_NEWUSER)", syscall(SYS_clone, CLONE_NEWUSER | SIGCHLD, 0, 0, 0, 0), EPERM);
	expect("mount", mount("none", "/mnt", "tmpfs", 0, NULL), EPERM);
	expect("umount2", umount2("/mnt", 0), EPERM);
	expect("kexec_load", syscall(SYS_kexec_load, 0, 0, NULL, 0), EPERM);
	expect("init_module", syscall(SYS_init_module, NULL, 0, ""), EPERM);
	expect("finit_module", syscall(SYS_finit_module, -1, "", 0), EPERM);
	expect("delete_module", syscall(SYS_delete_module, "x", 0), EPERM);
	expect("personality(READ_IMPLIES_EXEC)", personality(PER_LINUX | READ_IMPLIES_EXEC), EPERM);
	expect("personality(ADDR_NO_RANDOMIZE)", personality(ADDR_NO_RANDOMIZE), EPERM);
	expect("personality(query) allowed", personality(0xffffffff), 0);
	expect("personality(PER_LINUX) allowed", personality(PER_LINUX), 0);
	{
		struct sock_filter ins = BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_USER_NOTIF);
		struct sock_fprog prog = { .len = 1, .filter = &ins };

		expect("seccomp(NEW_LISTENER)",
		       closeok(syscall(SYS_seccomp, SECCOMP_SET_MODE_FILTER,
				       SECCOMP_FILTER_FLAG_NEW_LISTENER, &prog)), EPERM);
	}
	/* fork still works (glibc: clone3 ENOSYS -> clone) */
	p = fork();
	if (p == 0)
		_exit(7);
	expect("fork allowed", p < 0 ? -1 : (waitpid(p, &st, 0) == p && WEXITSTATUS(st) == 7) - 1, 0);
	/* x32 ABI call: a foreign-arch syscall number must kill the process */
	p = fork();
	if (p == 0) {
		syscall(0x40000000 | 39 /* x32 getpid */);
		_exit(0);
	}
	waitpid(p, &st, 0);
	r = WIFSIGNALED(st) && WTERMSIG(st) == SIGSYS ? 0 : -1;
	errno = EINVAL;
	expect("x32 syscall killed (SIGSYS)", r, 0);
	/* i386 entry (int 0x80: socketcall(SYS_SOCKET)): a foreign arch, killed too */
	p = fork();
	if (p == 0) {
		static unsigned int sargs[3] = { AF_INET, SOCK_STREAM, 0 };
		long rr;

		__asm__ volatile("int $0x80" : "=a"(rr) : "a"(102L), "b"(1L), "c"(sargs) : "memory");
		_exit(rr >= 0 ? 3 : 4);
	}
	waitpid(p, &st, 0);
	r = WIFSIGNALED(st) && WTERMSIG(st) == SIGSYS ? 0 : -1;
	errno = EINVAL;
	expect("int 0x80 socketcall killed (SIGSYS)", r, 0);
	printf("%s: %d failures\n", failures ? "FAIL" : "pass", failures);
	return failures ? 1 : 0;
}
