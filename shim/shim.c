/* SPDX-License-Identifier: MIT */
/*
 * shim.c - libdlpshim.so: the hook table, symbol resolution under
 * pthread_once, the per-thread reentry guard, fork handlers, and stderr
 * reporting. Hooks themselves live in hook_net.c and hook_dns.c; the ad hoc
 * seccomp backstop, installed from the constructor, in backstop.c.
 */
#include "config.h"

#include <dlfcn.h>
#include <errno.h>
#include <link.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "common/dlp_err.h"
#include "common/log.h"
#include "common/paths.h"
#include "shim/rawsys.h"
#include "shim/shim_int.h"

/* Globals: written once in resolve_all() under shim_once; read-only after. */
struct shim_real shim_real;
bool shim_inert;
static pthread_once_t shim_once = PTHREAD_ONCE_INIT;
/* Set (release) at the end of resolve_all(). */
static bool shim_is_ready;
/* Per-thread reentry depth (initial-exec: no allocation on first touch). */
static __thread int shim_depth SHIM_TLS;
/* Reports printed so far (atomic): stderr is not flooded by a retry loop. */
static atomic_uint shim_reports;
/* Our own load segments' span, written once under self_once; read-only after. */
static pthread_once_t self_once = PTHREAD_ONCE_INIT;
static uintptr_t self_lo, self_hi;

struct hook_row {
	const char *name;
	void **real;
	bool mandatory;     /* libc always has it; missing = shim disabled, fail closed */
};

#define ROW(sym, mand) { #sym, (void **)&shim_real.sym, mand }

/*
 * THE hook table. Each hook's fail mode: egress hooks (connect, send*,
 * write*, resolvers) fail closed when the broker is unreachable; fd
 * lifecycle hooks (close*, dup*, fcntl, accept*) never fail because of us.
 */
static const struct hook_row hook_table[] = {
	ROW(connect, true),
	ROW(socket, true),
	ROW(send, true),
	ROW(sendto, true),
	ROW(sendmsg, true),
	ROW(sendmmsg, true),
	ROW(write, true),
	ROW(writev, true),
	ROW(read, true),
	ROW(readv, true),
	ROW(recv, true),
	ROW(recvfrom, true),
	ROW(recvmsg, true),
	ROW(close, true),
	ROW(close_range, false),    /* glibc >= 2.34 */
	ROW(closefrom, false),      /* glibc >= 2.34 */
	ROW(dup, true),
	ROW(dup2, true),
	ROW(dup3, true),
	ROW(fcntl, true),
	ROW(fcntl64, false),        /* glibc >= 2.28, _FILE_OFFSET_BITS=64 callers */
	ROW(accept, true),
	ROW(accept4, true),
	ROW(getaddrinfo, true),
	ROW(gethostbyname, true),
	ROW(gethostbyname2, true),
	ROW(gethostbyname_r, true),
	ROW(gethostbyname2_r, true),
	ROW(res_query, false),          /* libresolv or libc >= 2.34 */
	ROW(res_search, false),
	ROW(res_querydomain, false),
	ROW(res_nquery, false),
	ROW(res_nsearch, false),
	ROW(res_nquerydomain, false),
	ROW(res_send, false),
	ROW(res_nsend, false),
	ROW(getaddrinfo_a, false),      /* libanl or libc >= 2.34 */
	ROW(syscall, true),
};

/* dl_iterate_phdr callback: the span of the object holding self_range_cb. */
static int self_range_cb(struct dl_phdr_info *info, size_t size, void *arg)
{
	uintptr_t me = (uintptr_t)self_range_cb, lo = UINTPTR_MAX, hi = 0;
	bool mine = false;
	int i;

	(void)size;
	(void)arg;
	for (i = 0; i < info->dlpi_phnum; i++) {
		const ElfW(Phdr) *ph = &info->dlpi_phdr[i];
		uintptr_t a = info->dlpi_addr + ph->p_vaddr;

		if (ph->p_type != PT_LOAD)
			continue;
		if (a < lo)
			lo = a;
		if (a + ph->p_memsz > hi)
			hi = a + ph->p_memsz;
		if (me >= a && me < a + ph->p_memsz)
			mine = true;
	}
	if (!mine)
		return 0;
	self_lo = lo;
	self_hi = hi;
	return 1;
}

static void self_range(void)
{
	dl_iterate_phdr(self_range_cb, NULL);
}

/*
 * Is p inside this copy of the shim? Answers what comparing dladdr()'s
 * dli_fbase did, without dladdr(): that one looks for the nearest symbol
 * through the whole symbol table of the object p is in (libc's, node's),
 * and it did so for every hook in every process at start (a third of the
 * shim's start-up cost per exec).
 */
bool shim_is_self(const void *p)
{
	pthread_once(&self_once, self_range);
	return (uintptr_t)p >= self_lo && (uintptr_t)p < self_hi;
}

static void resolve_all(void)
{
	size_t i;

	for (i = 0; i < DLP_ARRAY_SIZE(hook_table); i++) {
		void *p = dlsym(RTLD_NEXT, hook_table[i].name);

		/* refuse to resolve to ourselves (a second copy of the shim) */
		if (p && shim_is_self(p))
			p = NULL;
		*hook_table[i].real = p;
		if (!p && hook_table[i].mandatory)
			dlp_log_as("dlpjail: shim cannot find libc's %s", hook_table[i].name);
	}
	/* Inside dlpjail itself (the broker) the shim stays out of the way. */
	shim_inert = dlsym(RTLD_DEFAULT, "dlpjail_broker_marker") != NULL &&
		     shim_chan_self_is_dlpjail();   /* a symbol alone is no proof */
	pthread_atfork(shim_chan_atfork_prepare, shim_chan_atfork_parent,
		       shim_chan_atfork_child);
	if (getenv(DLP_ENV_DEBUG))
		dlp_log_set_level(atoi(getenv(DLP_ENV_DEBUG)));
	__atomic_store_n(&shim_is_ready, true, __ATOMIC_RELEASE);
}

long shim_syscall(long nr, long a, long b, long c, long d, long e, long f)
{
#ifdef SHIM_HAVE_RAWSYS
	return shim_rawsys(nr, a, b, c, d, e, f);
#else
	shim_init();
	if (!shim_real.syscall) {
		errno = ENOSYS;
		return -1;
	}
	return shim_real.syscall(nr, a, b, c, d, e, f);
#endif
}

/* AS-SAFE: has resolve_all() finished? */
bool shim_ready(void)
{
	return __atomic_load_n(&shim_is_ready, __ATOMIC_ACQUIRE);
}

void shim_init(void)
{
	pthread_once(&shim_once, resolve_all);
}

__attribute__((constructor)) static void shim_ctor(void)
{
	shim_init();
	if (!shim_inert)
		shim_backstop_install();
}

/* AS-SAFE */
bool shim_enter(void)
{
	if (shim_depth > 0)
		return false;
	shim_depth++;
	return true;
}

/* AS-SAFE */
void shim_leave(void)
{
	shim_depth--;
}

/* AS-SAFE */
void shim_report(const char *what, const char *detail, const char *reason)
{
	unsigned n = atomic_fetch_add(&shim_reports, 1);

	if (n < 50)
		dlp_log_as("dlpjail: blocked %s%s%s: %s", what, detail ? " " : "",
			   detail ? detail : "", reason && *reason ? reason : "refused by policy");
	else if (n == 50)
		dlp_log_as("dlpjail: further blocks in this process are not printed "
			   "(see the event log)");
}
