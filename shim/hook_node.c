/* SPDX-License-Identifier: MIT */
/*
 * hook_node.c - TLS plaintext in programs that carry OpenSSL inside their
 * executable (node, and anything else that exports SSL_write from the main
 * program): LD_PRELOAD cannot interpose their direct calls, so their
 * SSL_write/SSL_write_ex/SSL_read/SSL_read_ex entry points are patched.
 *
 * How (constructor time, before main, so before any thread exists):
 *  1. dlsym(RTLD_DEFAULT, "SSL_write") must lie in the main program
 *     (dladdr1 RTLD_DL_LINKMAP: empty l_name); otherwise there is nothing
 *     to do (libssl processes are covered by hook_openssl.c).
 *  2. Zydis (dlopen'ed only here, libZydis.so.4.0) decodes the prologue
 *     until >= 14 bytes are covered. Any instruction that is relative
 *     (RIP-relative operand, branch, call, ret) refuses the patch: copying
 *     it elsewhere would change its meaning.
 *  3. The covered bytes are copied into a trampoline page followed by an
 *     absolute `jmp *0(%rip)` back to the rest of the function; the page is
 *     made RX.
 *  4. The entry is overwritten with an absolute 14-byte jump
 *     (FF 25 00000000 <abs64 hook>) under a temporary RWX mprotect, then
 *     set back to RX. The hooks run the same core as the libssl hooks
 *     (shim_ossl_*) with the trampolines as the real functions.
 * A function whose prologue cannot be patched is left alone and reported;
 * if SSL_write itself cannot be patched the process's TLS is invisible to
 * the shim, which is reported on stderr (see the lead's note: the broker
 * must then treat that process's TLS as uninspectable).
 */
#include "config.h"

#include <dlfcn.h>
#include <link.h>
#include <stdint.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#if __has_include(<Zydis/Zydis.h>)
#include <Zydis/Zydis.h>
#define SHIM_HAVE_ZYDIS 1
#endif

#include "common/dlp_err.h"
#include "common/log.h"
#include "shim/shim_int.h"
#include "shim/tls_int.h"

#define JMP_ABS_LEN 14
#define TRAMP_SLOT 64

#ifdef SHIM_HAVE_ZYDIS
typedef ZyanStatus zydis_init_fn(ZydisDecoder *, ZydisMachineMode, ZydisStackWidth);
typedef ZyanStatus zydis_decode_fn(const ZydisDecoder *, ZydisDecoderContext *, const void *,
				   ZyanUSize, ZydisDecodedInstruction *);

/* Globals: written once in node_ctor() before main (single-threaded), read-only after. */
static uint8_t *tramp_page;
static unsigned tramp_used;
static bool node_blind;    /* exe has its own TLS we could not patch */

static int node_SSL_write(void *s, const void *b, int n)
{
	return shim_ossl_write(&shim_ossl_node, s, b, n);
}

static int node_SSL_write_ex(void *s, const void *b, size_t n, size_t *w)
{
	return shim_ossl_write_ex(&shim_ossl_node, s, b, n, w);
}

static int node_SSL_read(void *s, void *b, int n)
{
	return shim_ossl_read(&shim_ossl_node, s, b, n);
}

static int node_SSL_read_ex(void *s, void *b, size_t n, size_t *r)
{
	return shim_ossl_read_ex(&shim_ossl_node, s, b, n, r);
}

static int node_SSL_do_handshake(void *s)
{
	return shim_ossl_handshake(&shim_ossl_node, false, s);
}

static int node_SSL_connect(void *s)
{
	return shim_ossl_handshake(&shim_ossl_node, true, s);
}

static const struct {
	const char *name;
	void *hook;
	bool required;          /* without it the process's TLS is blind */
} node_hooks[] = {
	{ "SSL_write", (void *)node_SSL_write, true },
	{ "SSL_read", (void *)node_SSL_read, false },
	{ "SSL_write_ex", (void *)node_SSL_write_ex, false },
	{ "SSL_read_ex", (void *)node_SSL_read_ex, false },
	/* node starts its handshakes inside SSL_read; these claim the socket too */
	{ "SSL_do_handshake", (void *)node_SSL_do_handshake, false },
	{ "SSL_connect", (void *)node_SSL_connect, false },
};

/* The main program's PT_LOAD segments (dl_iterate_phdr visits it first). */
struct main_segs {
	uintptr_t lo[16], hi[16];
	unsigned n;
	bool done;
	const ElfW(Dyn) *dyn;   /* its dynamic section */
	uintptr_t base;
};
/* Globals: filled once in node_ctor() before main (single-threaded), read-only after. */
static struct main_segs main_segs;

static int main_segs_cb(struct dl_phdr_info *info, size_t size, void *arg)
{
	struct main_segs *m = arg;
	unsigned i;

	(void)size;
	m->base = info->dlpi_addr;
	for (i = 0; i < info->dlpi_phnum && m->n < DLP_ARRAY_SIZE(m->lo); i++) {
		if (info->dlpi_phdr[i].p_type == PT_DYNAMIC)
			m->dyn = (const ElfW(Dyn) *)(info->dlpi_addr + info->dlpi_phdr[i].p_vaddr);
		if (info->dlpi_phdr[i].p_type != PT_LOAD)
			continue;
		m->lo[m->n] = info->dlpi_addr + info->dlpi_phdr[i].p_vaddr;
		m->hi[m->n] = m->lo[m->n] + info->dlpi_phdr[i].p_memsz;
		m->n++;
	}
	return 1;       /* the first object only */
}

/*
 * Is p inside the main program? By its load segments: dladdr1() would
 * answer too, but it searches the object's whole symbol table for the
 * nearest symbol, and node exports ~100k: ~11 ms of CPU per node process
 * for our dozen lookups (npm starts dozens of node processes).
 */
static bool in_main_program(void *p)
{
	uintptr_t a = (uintptr_t)p;
	unsigned i;

	if (!main_segs.done) {
		dl_iterate_phdr(main_segs_cb, &main_segs);
		main_segs.done = true;
	}
	for (i = 0; p && i < main_segs.n; i++)
		if (a >= main_segs.lo[i] && a < main_segs.hi[i])
			return true;
	return false;
}

/* The main program's dynamic string table (its exported names), or NULL. */
static const char *main_strtab(size_t *sz)
{
	const ElfW(Dyn) *d;
	uintptr_t tab = 0;

	*sz = 0;
	if (!main_segs.done) {
		dl_iterate_phdr(main_segs_cb, &main_segs);
		main_segs.done = true;
	}
	for (d = main_segs.dyn; d && d->d_tag != DT_NULL; d++) {
		if (d->d_tag == DT_STRTAB)
			tab = d->d_un.d_ptr;
		else if (d->d_tag == DT_STRSZ)
			*sz = d->d_un.d_val;
	}
	if (tab && tab < main_segs.base)
		tab += main_segs.base;  /* not relocated by ld.so on this target */
	return tab && *sz && in_main_program((void *)tab) ? (const char *)tab : NULL;
}

static void *lookup_main(const char *name)
{
	void *p = dlsym(RTLD_DEFAULT, name);

	return in_main_program(p) ? p : NULL;
}

/* Length of whole instructions covering >= JMP_ABS_LEN bytes, or 0 if unsafe. */
static size_t prologue_len(zydis_decode_fn *decode, const ZydisDecoder *dec, const uint8_t *f)
{
	ZydisDecodedInstruction insn;
	size_t off = 0;

	while (off < JMP_ABS_LEN) {
		if (!ZYAN_SUCCESS(decode(dec, NULL, f + off, 15, &insn)))
			return 0;
		if (insn.attributes & ZYDIS_ATTRIB_IS_RELATIVE)
			return 0;
		switch (insn.meta.category) {
		case ZYDIS_CATEGORY_COND_BR:
		case ZYDIS_CATEGORY_UNCOND_BR:
		case ZYDIS_CATEGORY_CALL:
		case ZYDIS_CATEGORY_RET:
		case ZYDIS_CATEGORY_INTERRUPT:
		case ZYDIS_CATEGORY_SYSCALL:
			return 0;
		default:
			break;
		}
		off += insn.length;
	}
	return off;
}

static void put_jmp_abs(uint8_t *at, const void *to)
{
	uint64_t a = (uint64_t)(uintptr_t)to;

	at[0] = 0xff;           /* jmp *0(%rip) */
	at[1] = 0x25;
	memset(at + 2, 0, 4);
	memcpy(at + 6, &a, 8);
}

/* Patch one function; returns the trampoline (the callable original) or NULL. */
static void *patch(zydis_decode_fn *decode, const ZydisDecoder *dec, uint8_t *f, void *hook)
{
	long pg = sysconf(_SC_PAGESIZE);
	uintptr_t lo = (uintptr_t)f & ~(uintptr_t)(pg - 1);
	uintptr_t hi = ((uintptr_t)f + JMP_ABS_LEN + (uintptr_t)pg - 1) & ~(uintptr_t)(pg - 1);
	uint8_t *t;
	size_t n = prologue_len(decode, dec, f);

	if (!n || n + JMP_ABS_LEN > TRAMP_SLOT || (tramp_used + 1) * TRAMP_SLOT > (unsigned)pg)
		return NULL;
	t = tramp_page + tramp_used * TRAMP_SLOT;
	memcpy(t, f, n);
	put_jmp_abs(t + n, f + n);
	if (mprotect((void *)lo, hi - lo, PROT_READ | PROT_WRITE | PROT_EXEC) < 0)
		return NULL;
	put_jmp_abs(f, hook);
	mprotect((void *)lo, hi - lo, PROT_READ | PROT_EXEC);
	__builtin___clear_cache((char *)f, (char *)f + JMP_ABS_LEN);
	tramp_used++;
	return t;
}

/* Globals: set once in node_patch_all() before main, as tramp_page. */
static zydis_decode_fn *zdecode;
static ZydisDecoder zdec;

static void *patch_cb(void *f, void *hook)
{
	return patch(zdecode, &zdec, f, hook);
}

static void node_patch_all(void)
{
	zydis_init_fn *zinit;
	zydis_decode_fn *zdecode_;
	ZydisDecoder dec;
	const char *strtab = NULL;
	size_t strsz = 0;
	void *zh, *f, *t;
	unsigned i;

	if (!lookup_main("SSL_write")) {
		/* rustls on aws-lc (pnpm): its key schedule, hook_awslc.c */
		strtab = main_strtab(&strsz);
		if (!strtab || !memmem(strtab, strsz, "aws_lc_", 7))
			return;         /* not a static-OpenSSL program */
	}
	node_blind = !strtab;
	zh = dlopen("libZydis.so.4.0", RTLD_NOW | RTLD_LOCAL);
	if (!zh) {
		if (!strtab)    /* rustls: the CA path reads it */
			dlp_log_as("dlpjail: this program has its own TLS library and "
				   "libZydis is missing: its TLS plaintext cannot be inspected");
		return;
	}
	zinit = (zydis_init_fn *)dlsym(zh, "ZydisDecoderInit");
	zdecode_ = (zydis_decode_fn *)dlsym(zh, "ZydisDecoderDecodeInstruction");
	if (!zinit || !zdecode_ ||
	    !ZYAN_SUCCESS(zinit(&dec, ZYDIS_MACHINE_MODE_LONG_64, ZYDIS_STACK_WIDTH_64)))
		return;
	tramp_page = mmap(NULL, (size_t)sysconf(_SC_PAGESIZE), PROT_READ | PROT_WRITE,
			  MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (tramp_page == MAP_FAILED) {
		tramp_page = NULL;
		return;
	}
	if (strtab) {
		zdecode = zdecode_;
		zdec = dec;
		shim_awslc_patch(strtab, strsz, lookup_main, patch_cb);
		goto out;
	}
	shim_ossl_node_bind(lookup_main);
	for (i = 0; i < DLP_ARRAY_SIZE(node_hooks); i++) {
		f = lookup_main(node_hooks[i].name);
		if (!f)
			continue;
		t = patch(zdecode_, &dec, f, node_hooks[i].hook);
		if (!t) {
			dlp_log_as("dlpjail: cannot patch %s in this program (prologue not "
				   "relocatable)", node_hooks[i].name);
			if (node_hooks[i].required)
				goto out;
			continue;
		}
		shim_ossl_node_set_real(node_hooks[i].name, t);
	}
	node_blind = false;
out:
	mprotect(tramp_page, (size_t)sysconf(_SC_PAGESIZE), PROT_READ | PROT_EXEC);
	if (node_blind)
		dlp_log_as("dlpjail: this program's TLS plaintext cannot be inspected");
}

#else /* built without libzydis-dev: such programs stay uninspected, and say so */
static void node_patch_all(void)
{
	void *p = dlsym(RTLD_DEFAULT, "SSL_write");
	struct link_map *lm = NULL;
	Dl_info di;

	if (p && dladdr1(p, &di, (void **)&lm, RTLD_DL_LINKMAP) && lm &&
	    (!lm->l_name || !lm->l_name[0]))
		dlp_log_as("dlpjail: this program's TLS plaintext cannot be inspected "
			   "(shim built without Zydis)");
}
#endif

/* FORK-SAFE (runs once, before main). */
__attribute__((constructor)) static void node_ctor(void)
{
	shim_init();
	if (shim_inert)
		return;
	node_patch_all();
}
