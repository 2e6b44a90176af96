/* SPDX-License-Identifier: MIT */
/*
 * wire.h - the shim <-> broker protocol: length-prefixed msgpack frames.
 *
 * A frame is a 4-byte big-endian payload length followed by one msgpack
 * array [version, type, seq, {key: value, ...}]. Keys are small unsigned
 * integers (DLP_K_*); each message type admits a fixed set of keys with
 * fixed msgpack types (wire_msgs.c holds that table). Decoding is strict:
 * a wrong version, an unknown type or key, a wrong value type, a trailing
 * byte or a length over DLP_WIRE_MAX_FRAME is -EPROTO / -EMSGSIZE, and the
 * broker then drops that client.
 *
 * Callers: shim/chan.c (encode requests, decode replies) and
 * broker/broker.c (the reverse). Encoding is async-signal-safe: it writes
 * into a caller-supplied buffer through a msgpack_packer callback and never
 * allocates. Decoding allocates only inside the caller's msgpack_zone.
 */
#ifndef DLP_COMMON_WIRE_H
#define DLP_COMMON_WIRE_H

#include <stddef.h>
#include <stdint.h>
#include <msgpack.h>

#define DLP_WIRE_VERSION 1
#define DLP_WIRE_HDR_LEN 4
/* Largest frame payload; DATA bodies are chunked to DLP_WIRE_MAX_DATA. */
#define DLP_WIRE_MAX_DATA (256u * 1024u)
#define DLP_WIRE_MAX_FRAME (DLP_WIRE_MAX_DATA + 8192u)
/* Room for every key but the DATA body (header encoding buffer size). */
#define DLP_WIRE_HEAD_MAX 4096u
#define DLP_WIRE_MAX_ADDRS 32
#define DLP_WIRE_MAX_STR 1024u

enum dlp_msg_type {
	DLP_MSG_HELLO = 1,      /* shim: who I am */
	DLP_MSG_HELLO_ACK = 2,  /* broker: session flags */
	DLP_MSG_CONNECT = 3,    /* shim: may this socket connect to addr:port? */
	DLP_MSG_RESOLVE = 4,    /* shim: resolve host for me */
	DLP_MSG_RESOLVED = 5,   /* broker: verdict + addresses */
	DLP_MSG_DATA = 6,       /* shim: these bytes are about to leave (or arrived) */
	DLP_MSG_VERDICT = 7,    /* broker: allow or deny, with a redacted reason */
	DLP_MSG_BACKSTOP = 8,   /* shim (ad hoc): supervise me, my listener is fd N */
	DLP_MSG_TLS = 9,        /* shim: a hooked TLS session (claim, key-log line, status) */
	DLP_MSG_NOTE = 10,      /* shim: for events only, no answer (DLP_NOTE_*) */
	DLP_MSG_TYPE_MAX = 10,
};

enum dlp_key {
	DLP_K_PID = 1,
	DLP_K_PPID = 2,
	DLP_K_EXE = 3,
	DLP_K_ARGV = 4,      /* bin: NUL-separated arguments */
	DLP_K_FD = 5,
	DLP_K_FAMILY = 6,    /* AF_INET / AF_INET6 */
	DLP_K_ADDR = 7,      /* bin 4 or 16 bytes */
	DLP_K_PORT = 8,
	DLP_K_SOCKTYPE = 9,  /* SOCK_STREAM / SOCK_DGRAM */
	DLP_K_HOST = 10,     /* name the shim knows for this peer (SNI, resolve) */
	DLP_K_DATA = 11,     /* bin, always the last key of a DATA frame */
	DLP_K_DIR = 12,      /* DLP_DIR_* */
	DLP_K_CHAN = 13,     /* DLP_CHAN_* where the bytes were seen */
	DLP_K_VERDICT = 14,  /* DLP_VERDICT_* */
	DLP_K_ERRNO = 15,    /* errno a denied call should report */
	DLP_K_REASON = 16,   /* short redacted reason for stderr */
	DLP_K_ADDRS = 17,    /* array of bin 4/16 */
	DLP_K_CANON = 18,    /* canonical name */
	DLP_K_FLAGS = 19,
	DLP_K_QTYPE = 20,    /* DNS query type of a RESOLVE (1 = A if absent) */
	DLP_K_MAX = 20,
};

enum dlp_dir { DLP_DIR_SEND = 0, DLP_DIR_RECV = 1 };
enum dlp_chan { DLP_CHAN_PLAIN = 0, DLP_CHAN_TLS = 1 };
enum dlp_verdict { DLP_VERDICT_ALLOW = 0, DLP_VERDICT_DENY = 1 };

/* DATA flags */
#define DLP_DATA_DNS 0x1u     /* the fd talks DNS (port 53): parse, judge, learn */
#define DLP_DATA_NOREPLY 0x2u /* inbound, for events only: the broker sends no verdict */

/* RESOLVE flags */
#define DLP_RESOLVE_JUDGE 0x1u /* judge only: the shim's resolver sends the query */
#define DLP_RESOLVE_ADDRCONFIG 0x2u /* the caller's hints had AI_ADDRCONFIG */

/*
 * TLS flags (one of them per message). The socket is named by its local
 * address (FAMILY, ADDR, PORT): the relay pairs jail sockets by it.
 */
#define DLP_TLS_CLAIM 0x1u    /* the session about to start on this socket is a hooked one */
#define DLP_TLS_KEYLOG 0x2u   /* DATA: one NSS key-log line of a hooked session */
#define DLP_TLS_STATUS 0x4u   /* a hooked call failed: did the relay reset it? (reason) */
#define DLP_TLS_POSTED 0x8u   /* with KEYLOG: the shim awaits no answer (DLP_ACK_TLS_POST) */
/* NOTE flags: DATA holds an absolute path the call named */
#define DLP_NOTE_EROFS 0x1u   /* a write-open refused with EROFS (a read-only bind of the jail) */
/* TLS verdict flags */
#define DLP_TLS_ACK_RELAY 0x1u /* the relay decrypts this session: no plaintext DATA */

/* HELLO_ACK flags */
#define DLP_ACK_MONITOR 0x1u  /* broker only logs; shim still asks */
#define DLP_ACK_RELAY 0x2u    /* TCP connects end at the egress relay, which scans the stream */
#define DLP_ACK_NOREPLY 0x4u  /* the broker honours DLP_DATA_NOREPLY (an older one answers) */
#define DLP_ACK_TLS_POST 0x8u /* the broker honours DLP_TLS_POSTED (an older one answers) */
#define DLP_ACK_NOTE 0x10u    /* the broker takes DLP_MSG_NOTE (an older one drops the client) */

struct dlp_wire_addr {
	uint16_t family;
	uint8_t addr[16];
};

/*
 * A decoded or to-be-encoded message. Pointers reference the frame buffer
 * or the decoder's zone (they live as long as both). `present` has bit k
 * set for each key k carried.
 */
struct dlp_msg {
	uint32_t type;
	uint32_t seq;
	uint32_t present;
	int64_t pid, ppid, fd;
	uint32_t family;
	uint8_t addr[16];
	uint32_t port;
	uint32_t socktype;
	uint32_t dir, chan, verdict, err, flags, qtype;
	const char *host;   size_t host_len;
	const char *exe;    size_t exe_len;
	const char *argv;   size_t argv_len;
	const char *reason; size_t reason_len;
	const char *canon;  size_t canon_len;
	const uint8_t *data; size_t data_len;
	unsigned naddrs;
	struct dlp_wire_addr addrs[DLP_WIRE_MAX_ADDRS];
};

#define DLP_HAS(m, k) (((m)->present >> (k)) & 1u)
#define DLP_SET(m, k) ((m)->present |= 1u << (k))

/*
 * Encode m into out (cap bytes) as a complete frame including the 4-byte
 * length prefix. If m carries DLP_K_DATA, the body is NOT copied: out then
 * holds the frame up to and including the bin header and *body_follows is
 * set; the caller sends out followed by m->data (writev). The length prefix
 * already counts the body. AS-SAFE.
 * Returns 0, -EMSGSIZE (cap or limits exceeded) or -EINVAL.
 */
int dlp_wire_encode(const struct dlp_msg *m, uint8_t *out, size_t cap,
		    size_t *outlen, int *body_follows);

/* Parse a 4-byte length prefix; -EMSGSIZE past DLP_WIRE_MAX_FRAME. AS-SAFE. */
int dlp_wire_frame_len(const uint8_t hdr[DLP_WIRE_HDR_LEN], uint32_t *len);

/*
 * Decode one frame payload (without its length prefix) into m, strictly
 * (see above). The zone must be initialised; the caller clears it after use.
 * Returns 0, -EPROTO (malformed, with a reason in *why) or -EMSGSIZE.
 */
int dlp_wire_decode(const uint8_t *p, size_t len, msgpack_zone *zone,
		    struct dlp_msg *m, const char **why);

/* Name of a message type for logs ("connect"); "unknown" otherwise. */
const char *dlp_wire_type_name(uint32_t type);

#endif /* DLP_COMMON_WIRE_H */
