/* SPDX-License-Identifier: MIT */
/*
 * rawsys.h - a system call without libc. The shim exports a syscall()
 * hook, and allocators (jemalloc) call syscall() from inside malloc's own
 * initialisation, before any symbol lookup is safe: the hook must be able
 * to pass a call through without dlsym and without locks. AS-SAFE.
 */
#ifndef DLP_SHIM_RAWSYS_H
#define DLP_SHIM_RAWSYS_H

#include <errno.h>

#if defined(__x86_64__)
static inline long shim_rawsys(long nr, long a, long b, long c, long d, long e, long f)
{
	long ret;
	register long r10 __asm__("r10") = d;
	register long r8 __asm__("r8") = e;
	register long r9 __asm__("r9") = f;

	__asm__ volatile("syscall"
			 : "=a"(ret)
			 : "a"(nr), "D"(a), "S"(b), "d"(c), "r"(r10), "r"(r8), "r"(r9)
			 : "rcx", "r11", "memory");
	if ((unsigned long)ret > -4096UL) {
		errno = (int)-ret;
		return -1;
	}
	return ret;
}
#define SHIM_HAVE_RAWSYS 1
#elif defined(__aarch64__)
static inline long shim_rawsys(long nr, long a, long b, long c, long d, long e, long f)
{
	register long x8 __asm__("x8") = nr;
	register long x0 __asm__("x0") = a;
	register long x1 __asm__("x1") = b;
	register long x2 __asm__("x2") = c;
	register long x3 __asm__("x3") = d;
	register long x4 __asm__("x4") = e;
	register long x5 __asm__("x5") = f;

	__asm__ volatile("svc 0"
			 : "+r"(x0)
			 : "r"(x8), "r"(x1), "r"(x2), "r"(x3), "r"(x4), "r"(x5)
			 : "memory");
	if ((unsigned long)x0 > -4096UL) {
		errno = (int)-x0;
		return -1;
	}
	return x0;
}
#define SHIM_HAVE_RAWSYS 1
#endif

#endif /* DLP_SHIM_RAWSYS_H */
