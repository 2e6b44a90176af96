/* SPDX-License-Identifier: MIT */
/*
 * decode.h - the decoders of the decode graph: each turns one layer's bytes
 * into one child layer (or says it does not apply). Only scan.c walks the
 * graph; the fuzz targets call decoders directly.
 *
 * Children are built in a bounded output buffer (struct brk_scan_out): its
 * max is the remaining work budget, so no decoder can allocate past it.
 * A child may be made of several pieces (base64 runs, JSON strings, HTTP
 * header values, multipart parts); pieces start at recorded offsets, so
 * compressed data found inside a fragment is sniffed where it begins.
 */
#ifndef DLP_BROKER_SCAN_DECODE_H
#define DLP_BROKER_SCAN_DECODE_H

#include <stddef.h>
#include <stdint.h>

struct brk_scan_out {
	uint8_t *p;
	size_t len, cap, max;     /* appends past max fail with -EMSGSIZE */
	size_t *pieces;           /* start offsets of pieces (sorted) */
	size_t npieces, pcap;
};

void brk_scan_out_init(struct brk_scan_out *o, size_t max);
int brk_scan_out_put(struct brk_scan_out *o, const void *p, size_t n);
int brk_scan_out_byte(struct brk_scan_out *o, uint8_t c);
/* Start a new piece at the current end; sep != 0 first appends a '\n'
 * separator when the buffer is not empty (unrelated fragments). */
int brk_scan_out_piece(struct brk_scan_out *o, int sep);
void brk_scan_out_reset(struct brk_scan_out *o);
void brk_scan_out_free(struct brk_scan_out *o);

/*
 * The runs of 16 or more base64 characters of one layer, as the base64
 * decoder measured them (start, end): every run of 16 hex digits lies in
 * one, so the hex decoder after it on the same layer looks only there.
 * Not listed: runs that are a hex digest the hex decoder would drop (the
 * base64 decoder checked it already).
 */
#define BRK_SCAN_RUNS_MAX 1024
struct brk_scan_runs {
	size_t (*r)[2];           /* BRK_SCAN_RUNS_MAX entries */
	size_t n;
	int done;                 /* 1: the base64 decoder measured all of them */
};

/* What a decoder may need beyond its input, and what it reports. */
struct brk_scan_dec_env {
	struct brk_scan_runs *runs;   /* NULL, or this layer's (above) */
	size_t max_ratio;         /* decompression: output <= max(floor, ratio * in) */
	size_t ratio_floor;
	const size_t *pieces;     /* the input layer's piece starts */
	size_t npieces;
	const char *layer;        /* set by a decoder that names its child
				   * itself (the codec actually used) */
	uint64_t deadline_ns;     /* CLOCK_MONOTONIC ns; 0 = none. Past it the
				   * long-running parts (decompression steps)
				   * stop with -ETIMEDOUT */
	int no_magic;             /* the input holds no gzip/zstd magic (text the
				   * stream checked): the decompress decoder
				   * does not look for it */
	size_t magic_from;        /* no gzip/zstd magic starts before this: the
				   * decompress decoder searches from here ... */
	size_t magic_first;       /* ... and sets this to the first it found, or
				   * (none) to where the next search may start */
	int mid_start;            /* the input starts at an arbitrary byte of a
				   * message (a stream's window): no brotli or
				   * raw deflate trial at its offset 0 */
	int refused;              /* set with err: a bomb was cut off */
	char err[128];
	char note[128];           /* e.g. Content-Encoding mismatch */
};

/* Monotonic clock in ns, and -ETIMEDOUT once deadline_ns (!= 0) is past. */
uint64_t brk_scan_now_ns(void);
int brk_scan_deadline_check(uint64_t deadline_ns);

/* Returns 1 if o now holds a child layer, 0 if the decoder does not apply,
 * negative errno (-EMSGSIZE: budget) on failure. o is empty on entry. */
typedef int brk_scan_dec_fn(const uint8_t *p, size_t len, struct brk_scan_out *o,
			    struct brk_scan_dec_env *env);

struct brk_scan_decoder {
	const char *name;         /* layer name in findings ("base64") */
	brk_scan_dec_fn *fn;
	int local;                /* decodes escapes with bounded context only: a
				   * stream's windows cover it on the root, its
				   * whole-message passes skip it there */
	int run;                  /* decodes runs of its alphabet (base64, hex):
				   * a stream's windows cover every run up to the
				   * 4 KiB they reach back over on the root; its
				   * whole-message passes skip it there unless a
				   * longer run was seen (scan.c NEED_RUN) */
	int once;                 /* once per path: applied again below its own
				   * layer it only composes with the first (two
				   * ROTs are one), and a reading that puts out
				   * more than it reads would feed on itself */
};

/* THE decoder registry, in the order they are tried. */
extern const struct brk_scan_decoder brk_scan_decoders[];
extern const size_t brk_scan_ndecoders;

brk_scan_dec_fn brk_scan_dec_http;       /* HTTP/1 messages: target, headers, body by CE, multipart */
brk_scan_dec_fn brk_scan_dec_multipart;  /* bare multipart body */
brk_scan_dec_fn brk_scan_dec_decompress; /* gzip/zlib/zstd by magic; brotli/raw deflate by trial */
brk_scan_dec_fn brk_scan_dec_base64;     /* std and url, padded or not, line-wrapped */
brk_scan_dec_fn brk_scan_dec_hex;        /* runs of hex digits, either case */
brk_scan_dec_fn brk_scan_dec_percent;    /* %XX and + as space; pieces per query/form value */
brk_scan_dec_fn brk_scan_dec_json;       /* \" \n \uXXXX (surrogate pairs) \xNN */
brk_scan_dec_fn brk_scan_dec_html;       /* &name; &#NNN; &#xHH; */
brk_scan_dec_fn brk_scan_dec_qp;         /* quoted-printable */
brk_scan_dec_fn brk_scan_dec_concat;    /* "ab" + 'cd' + `ef` literals joined: dec_concat.c */
brk_scan_dec_fn brk_scan_dec_unsep;     /* a token cut every 1..8 by one separator, joined: dec_unsep.c */
brk_scan_dec_fn brk_scan_dec_unspell;   /* a token prefix reversed or ROT-n: dec_unspell.c */
brk_scan_dec_fn brk_scan_dec_charcode;  /* chr(103)+chr(104), [char]103, (char)103 chains: dec_charcode.c */
brk_scan_dec_fn brk_scan_dec_b85;      /* base85, ascii85, Z85 runs at any phase, text stretches: dec_b85.c */
brk_scan_dec_fn brk_scan_dec_b58;      /* base58 runs inside base64's runs, text stretches: dec_b58.c */
brk_scan_dec_fn brk_scan_dec_rawtrial; /* raw deflate after 1..15 text bytes, strict trials: dec_rawtrial.c */
brk_scan_dec_fn brk_scan_dec_zip;        /* zip members (raw deflate after a local header), zlib inside a layer: dec_zip.c */

/* 2 (default): the SSE2 and, where the CPU has it (runtime check), AVX2
 * paths of the run decoders, the known-secret probe and the stream's
 * prefilters; 1: SSE2 only (a CPU without AVX2); 0: the scalar code only.
 * The tests set it to compare the three; nothing else writes it (bench:
 * rl_engine's RL_ENGINE_SCALAR). */
extern int brk_scan_dec_simd;
/* 1: take the AVX2 paths (brk_scan_dec_simd >= 2 and the CPU has AVX2,
 * checked once). */
int brk_scan_avx2(void);

#endif /* DLP_BROKER_SCAN_DECODE_H */
