/* SPDX-License-Identifier: MIT */
/*
 * wire.c - msgpack frame codec for the shim/broker protocol (see wire.h).
 *
 * Two const tables drive it: dlp_wire_keys[] gives each key its value kind
 * and limit; dlp_wire_msgs[] gives each message type the keys it requires
 * and the keys it may carry. Encoder and decoder both walk them, so a new
 * message or key is a table row, not code.
 */
#include "config.h"

#include <errno.h>
#include <string.h>

#include "common/dlp_err.h"
#include "common/wire.h"

enum wire_kind { WK_NONE = 0, WK_INT, WK_UINT, WK_STR, WK_BIN, WK_ADDR, WK_ADDRS };

struct wire_key {
	enum wire_kind kind;
	size_t max;          /* byte limit for STR/BIN, value limit for UINT */
};

static const struct wire_key dlp_wire_keys[DLP_K_MAX + 1] = {
	[DLP_K_PID]      = { WK_INT,  0 },
	[DLP_K_PPID]     = { WK_INT,  0 },
	[DLP_K_EXE]      = { WK_STR,  DLP_WIRE_MAX_STR },
	[DLP_K_ARGV]     = { WK_BIN,  DLP_WIRE_HEAD_MAX / 2 },
	[DLP_K_FD]       = { WK_INT,  0 },
	[DLP_K_FAMILY]   = { WK_UINT, 65535 },
	[DLP_K_ADDR]     = { WK_ADDR, 16 },
	[DLP_K_PORT]     = { WK_UINT, 65535 },
	[DLP_K_SOCKTYPE] = { WK_UINT, 65535 },
	[DLP_K_HOST]     = { WK_STR,  255 },
	[DLP_K_DATA]     = { WK_BIN,  DLP_WIRE_MAX_DATA },
	[DLP_K_DIR]      = { WK_UINT, DLP_DIR_RECV },
	[DLP_K_CHAN]     = { WK_UINT, DLP_CHAN_TLS },
	[DLP_K_VERDICT]  = { WK_UINT, DLP_VERDICT_DENY },
	[DLP_K_ERRNO]    = { WK_UINT, 4095 },
	[DLP_K_REASON]   = { WK_STR,  512 },
	[DLP_K_ADDRS]    = { WK_ADDRS, DLP_WIRE_MAX_ADDRS },
	[DLP_K_CANON]    = { WK_STR,  255 },
	[DLP_K_FLAGS]    = { WK_UINT, UINT32_MAX },
	[DLP_K_QTYPE]    = { WK_UINT, 65535 },
};

#define K(k) (1u << (k))

struct wire_msg {
	const char *name;
	uint32_t required;
	uint32_t allowed;
};

static const struct wire_msg dlp_wire_msgs[DLP_MSG_TYPE_MAX + 1] = {
	[DLP_MSG_HELLO] = { "hello", K(DLP_K_PID),
		K(DLP_K_PID) | K(DLP_K_PPID) | K(DLP_K_EXE) | K(DLP_K_ARGV) | K(DLP_K_FLAGS) },
	[DLP_MSG_HELLO_ACK] = { "hello-ack", K(DLP_K_VERDICT),
		K(DLP_K_VERDICT) | K(DLP_K_FLAGS) | K(DLP_K_REASON) },
	[DLP_MSG_CONNECT] = { "connect", K(DLP_K_FAMILY) | K(DLP_K_ADDR) | K(DLP_K_PORT),
		K(DLP_K_FD) | K(DLP_K_FAMILY) | K(DLP_K_ADDR) | K(DLP_K_PORT) |
		K(DLP_K_SOCKTYPE) | K(DLP_K_HOST) | K(DLP_K_FLAGS) },
	[DLP_MSG_RESOLVE] = { "resolve", K(DLP_K_HOST),
		K(DLP_K_HOST) | K(DLP_K_FAMILY) | K(DLP_K_FLAGS) | K(DLP_K_QTYPE) },
	[DLP_MSG_RESOLVED] = { "resolved", K(DLP_K_VERDICT),
		K(DLP_K_VERDICT) | K(DLP_K_ERRNO) | K(DLP_K_REASON) | K(DLP_K_ADDRS) | K(DLP_K_CANON) },
	[DLP_MSG_DATA] = { "data", K(DLP_K_DATA),
		K(DLP_K_FD) | K(DLP_K_FAMILY) | K(DLP_K_ADDR) | K(DLP_K_PORT) |
		K(DLP_K_SOCKTYPE) | K(DLP_K_HOST) | K(DLP_K_DIR) | K(DLP_K_CHAN) |
		K(DLP_K_FLAGS) | K(DLP_K_DATA) },
	[DLP_MSG_VERDICT] = { "verdict", K(DLP_K_VERDICT),
		K(DLP_K_VERDICT) | K(DLP_K_ERRNO) | K(DLP_K_REASON) | K(DLP_K_FLAGS) },
	/* the fd NUMBER of the seccomp listener: the broker takes it with pidfd_getfd */
	[DLP_MSG_BACKSTOP] = { "backstop", K(DLP_K_FD), K(DLP_K_FD) },
	/* the key-log line travels as DATA: a bin, never logged */
	[DLP_MSG_TLS] = { "tls", K(DLP_K_FLAGS),
		K(DLP_K_FLAGS) | K(DLP_K_FAMILY) | K(DLP_K_ADDR) | K(DLP_K_PORT) | K(DLP_K_FD) |
		K(DLP_K_DATA) },
	[DLP_MSG_NOTE] = { "note", K(DLP_K_FLAGS) | K(DLP_K_DATA), K(DLP_K_FLAGS) | K(DLP_K_DATA) },
};

const char *dlp_wire_type_name(uint32_t type)
{
	if (type == 0 || type > DLP_MSG_TYPE_MAX)
		return "unknown";
	return dlp_wire_msgs[type].name;
}

/* ---- encoding: msgpack_packer writing into a fixed buffer (AS-SAFE) ---- */

struct wire_out {
	uint8_t *p;
	size_t len;
	size_t cap;
	int overflow;
};

static int wire_out_write(void *data, const char *buf, size_t len)
{
	struct wire_out *o = data;

	if (o->overflow || len > o->cap - o->len) {
		o->overflow = 1;
		return -1;
	}
	memcpy(o->p + o->len, buf, len);
	o->len += len;
	return 0;
}

static size_t addr_len(uint32_t family)
{
	return family == 2 /* AF_INET */ ? 4 : 16;
}

static void pack_key(msgpack_packer *pk, const struct dlp_msg *m, unsigned k)
{
	unsigned i;

	msgpack_pack_unsigned_int(pk, k);
	switch (k) {
	case DLP_K_PID:      msgpack_pack_int64(pk, m->pid); break;
	case DLP_K_PPID:     msgpack_pack_int64(pk, m->ppid); break;
	case DLP_K_FD:       msgpack_pack_int64(pk, m->fd); break;
	case DLP_K_FAMILY:   msgpack_pack_uint32(pk, m->family); break;
	case DLP_K_PORT:     msgpack_pack_uint32(pk, m->port); break;
	case DLP_K_SOCKTYPE: msgpack_pack_uint32(pk, m->socktype); break;
	case DLP_K_DIR:      msgpack_pack_uint32(pk, m->dir); break;
	case DLP_K_CHAN:     msgpack_pack_uint32(pk, m->chan); break;
	case DLP_K_VERDICT:  msgpack_pack_uint32(pk, m->verdict); break;
	case DLP_K_ERRNO:    msgpack_pack_uint32(pk, m->err); break;
	case DLP_K_FLAGS:    msgpack_pack_uint32(pk, m->flags); break;
	case DLP_K_QTYPE:    msgpack_pack_uint32(pk, m->qtype); break;
	case DLP_K_EXE:
		msgpack_pack_str_with_body(pk, m->exe, m->exe_len); break;
	case DLP_K_HOST:
		msgpack_pack_str_with_body(pk, m->host, m->host_len); break;
	case DLP_K_REASON:
		msgpack_pack_str_with_body(pk, m->reason, m->reason_len); break;
	case DLP_K_CANON:
		msgpack_pack_str_with_body(pk, m->canon, m->canon_len); break;
	case DLP_K_ARGV:
		msgpack_pack_bin_with_body(pk, m->argv, m->argv_len); break;
	case DLP_K_ADDR:
		msgpack_pack_bin_with_body(pk, m->addr, addr_len(m->family)); break;
	case DLP_K_ADDRS:
		msgpack_pack_array(pk, m->naddrs);
		for (i = 0; i < m->naddrs; i++)
			msgpack_pack_bin_with_body(pk, m->addrs[i].addr,
						   addr_len(m->addrs[i].family));
		break;
	case DLP_K_DATA:
		msgpack_pack_bin(pk, m->data_len); /* body sent by the caller */
		break;
	}
}

static size_t key_len(const struct dlp_msg *m, unsigned k)
{
	switch (k) {
	case DLP_K_EXE:    return m->exe_len;
	case DLP_K_HOST:   return m->host_len;
	case DLP_K_REASON: return m->reason_len;
	case DLP_K_CANON:  return m->canon_len;
	case DLP_K_ARGV:   return m->argv_len;
	case DLP_K_DATA:   return m->data_len;
	case DLP_K_ADDRS:  return m->naddrs;
	default:           return 0;
	}
}

int dlp_wire_encode(const struct dlp_msg *m, uint8_t *out, size_t cap,
		    size_t *outlen, int *body_follows)
{
	const struct wire_msg *wm;
	struct wire_out o = { .p = out, .len = DLP_WIRE_HDR_LEN, .cap = cap };
	msgpack_packer pk;
	unsigned k, n = 0;
	uint64_t total;

	if (cap < DLP_WIRE_HDR_LEN || m->type == 0 || m->type > DLP_MSG_TYPE_MAX)
		return -EINVAL;
	wm = &dlp_wire_msgs[m->type];
	if ((m->present & wm->required) != wm->required || (m->present & ~wm->allowed))
		return -EINVAL;
	for (k = 1; k <= DLP_K_MAX; k++) {
		if (!DLP_HAS(m, k))
			continue;
		if (dlp_wire_keys[k].kind >= WK_STR && key_len(m, k) > dlp_wire_keys[k].max)
			return -EMSGSIZE;
		n++;
	}
	msgpack_packer_init(&pk, &o, wire_out_write);
	msgpack_pack_array(&pk, 4);
	msgpack_pack_uint32(&pk, DLP_WIRE_VERSION);
	msgpack_pack_uint32(&pk, m->type);
	msgpack_pack_uint32(&pk, m->seq);
	msgpack_pack_map(&pk, n);
	/* DLP_K_DATA is the highest-numbered body key and goes last. */
	for (k = 1; k <= DLP_K_MAX; k++)
		if (DLP_HAS(m, k) && k != DLP_K_DATA)
			pack_key(&pk, m, k);
	if (DLP_HAS(m, DLP_K_DATA))
		pack_key(&pk, m, DLP_K_DATA);
	if (o.overflow)
		return -EMSGSIZE;
	total = o.len - DLP_WIRE_HDR_LEN;
	if (DLP_HAS(m, DLP_K_DATA))
		total += m->data_len;
	if (total > DLP_WIRE_MAX_FRAME)
		return -EMSGSIZE;
	out[0] = (uint8_t)(total >> 24);
	out[1] = (uint8_t)(total >> 16);
	out[2] = (uint8_t)(total >> 8);
	out[3] = (uint8_t)total;
	*outlen = o.len;
	if (body_follows)
		*body_follows = DLP_HAS(m, DLP_K_DATA) && m->data_len > 0;
	return 0;
}

int dlp_wire_frame_len(const uint8_t hdr[DLP_WIRE_HDR_LEN], uint32_t *len)
{
	uint32_t n = ((uint32_t)hdr[0] << 24) | ((uint32_t)hdr[1] << 16) |
		     ((uint32_t)hdr[2] << 8) | hdr[3];

	if (n == 0)
		return -EPROTO;
	if (n > DLP_WIRE_MAX_FRAME)
		return -EMSGSIZE;
	*len = n;
	return 0;
}

/* ---- decoding ---- */

static int get_uint(const msgpack_object *o, uint64_t max, uint64_t *v)
{
	if (o->type != MSGPACK_OBJECT_POSITIVE_INTEGER || o->via.u64 > max)
		return -EPROTO;
	*v = o->via.u64;
	return 0;
}

static int get_int(const msgpack_object *o, int64_t *v)
{
	if (o->type == MSGPACK_OBJECT_POSITIVE_INTEGER) {
		if (o->via.u64 > INT64_MAX)
			return -EPROTO;
		*v = (int64_t)o->via.u64;
		return 0;
	}
	if (o->type == MSGPACK_OBJECT_NEGATIVE_INTEGER) {
		*v = o->via.i64;
		return 0;
	}
	return -EPROTO;
}

static int get_addr(const msgpack_object *o, uint8_t *dst, uint16_t *family)
{
	if (o->type != MSGPACK_OBJECT_BIN ||
	    (o->via.bin.size != 4 && o->via.bin.size != 16))
		return -EPROTO;
	memset(dst, 0, 16);
	memcpy(dst, o->via.bin.ptr, o->via.bin.size);
	if (family)
		*family = o->via.bin.size == 4 ? 2 /* AF_INET */ : 10 /* AF_INET6 */;
	return 0;
}

static int decode_key(struct dlp_msg *m, unsigned k, const msgpack_object *v,
		      const char **why)
{
	const struct wire_key *wk = &dlp_wire_keys[k];
	const char *sp = NULL;
	size_t sl = 0;
	uint64_t u = 0;
	int64_t i = 0;
	uint32_t j;

	switch (wk->kind) {
	case WK_INT:
		if (get_int(v, &i) < 0)
			goto bad_type;
		break;
	case WK_UINT:
		if (get_uint(v, wk->max, &u) < 0)
			goto bad_type;
		break;
	case WK_STR:
		if (v->type != MSGPACK_OBJECT_STR || v->via.str.size > wk->max)
			goto bad_type;
		sp = v->via.str.ptr;
		sl = v->via.str.size;
		if (memchr(sp, '\0', sl)) {
			*why = "NUL byte inside a string field";
			return -EPROTO;
		}
		break;
	case WK_BIN:
		if (v->type != MSGPACK_OBJECT_BIN || v->via.bin.size > wk->max)
			goto bad_type;
		sp = v->via.bin.ptr;
		sl = v->via.bin.size;
		break;
	case WK_ADDR:
		if (get_addr(v, m->addr, NULL) < 0)
			goto bad_type;
		break;
	case WK_ADDRS:
		if (v->type != MSGPACK_OBJECT_ARRAY || v->via.array.size > wk->max)
			goto bad_type;
		for (j = 0; j < v->via.array.size; j++)
			if (get_addr(&v->via.array.ptr[j], m->addrs[j].addr,
				     &m->addrs[j].family) < 0)
				goto bad_type;
		m->naddrs = v->via.array.size;
		break;
	case WK_NONE:
		*why = "unknown key";
		return -EPROTO;
	}

	switch (k) {
	case DLP_K_PID:      m->pid = i; break;
	case DLP_K_PPID:     m->ppid = i; break;
	case DLP_K_FD:       m->fd = i; break;
	case DLP_K_FAMILY:   m->family = (uint32_t)u; break;
	case DLP_K_PORT:     m->port = (uint32_t)u; break;
	case DLP_K_SOCKTYPE: m->socktype = (uint32_t)u; break;
	case DLP_K_DIR:      m->dir = (uint32_t)u; break;
	case DLP_K_CHAN:     m->chan = (uint32_t)u; break;
	case DLP_K_VERDICT:  m->verdict = (uint32_t)u; break;
	case DLP_K_ERRNO:    m->err = (uint32_t)u; break;
	case DLP_K_FLAGS:    m->flags = (uint32_t)u; break;
	case DLP_K_QTYPE:    m->qtype = (uint32_t)u; break;
	case DLP_K_EXE:      m->exe = sp; m->exe_len = sl; break;
	case DLP_K_HOST:     m->host = sp; m->host_len = sl; break;
	case DLP_K_REASON:   m->reason = sp; m->reason_len = sl; break;
	case DLP_K_CANON:    m->canon = sp; m->canon_len = sl; break;
	case DLP_K_ARGV:     m->argv = sp; m->argv_len = sl; break;
	case DLP_K_DATA:     m->data = (const uint8_t *)sp; m->data_len = sl; break;
	default: break;
	}
	return 0;

bad_type:
	*why = "field has the wrong type or is too large";
	return -EPROTO;
}

int dlp_wire_decode(const uint8_t *p, size_t len, msgpack_zone *zone,
		    struct dlp_msg *m, const char **why)
{
	msgpack_object root, map;
	const struct wire_msg *wm;
	size_t off = 0;
	uint64_t ver, type, seq;
	uint32_t i;
	const char *dummy;
	int rc;

	if (!why)
		why = &dummy;
	*why = NULL;
	memset(m, 0, sizeof(*m));
	if (len == 0 || len > DLP_WIRE_MAX_FRAME) {
		*why = "frame length out of range";
		return len ? -EMSGSIZE : -EPROTO;
	}
	rc = msgpack_unpack((const char *)p, len, &off, zone, &root);
	if (rc != MSGPACK_UNPACK_SUCCESS) {
		*why = rc == MSGPACK_UNPACK_EXTRA_BYTES ? "trailing bytes after message"
			: "not a complete msgpack object";
		return -EPROTO;
	}
	if (off != len) {
		*why = "trailing bytes after message";
		return -EPROTO;
	}
	if (root.type != MSGPACK_OBJECT_ARRAY || root.via.array.size != 4) {
		*why = "message is not a 4-element array";
		return -EPROTO;
	}
	if (get_uint(&root.via.array.ptr[0], UINT32_MAX, &ver) < 0 ||
	    ver != DLP_WIRE_VERSION) {
		*why = "unsupported protocol version";
		return -EPROTO;
	}
	if (get_uint(&root.via.array.ptr[1], DLP_MSG_TYPE_MAX, &type) < 0 || type == 0) {
		*why = "unknown message type";
		return -EPROTO;
	}
	if (get_uint(&root.via.array.ptr[2], UINT32_MAX, &seq) < 0) {
		*why = "bad sequence number";
		return -EPROTO;
	}
	map = root.via.array.ptr[3];
	if (map.type != MSGPACK_OBJECT_MAP) {
		*why = "message body is not a map";
		return -EPROTO;
	}
	m->type = (uint32_t)type;
	m->seq = (uint32_t)seq;
	wm = &dlp_wire_msgs[type];
	for (i = 0; i < map.via.map.size; i++) {
		const msgpack_object_kv *kv = &map.via.map.ptr[i];
		uint64_t k;

		if (get_uint(&kv->key, DLP_K_MAX, &k) < 0 || k == 0 ||
		    !(wm->allowed & K(k))) {
			*why = "key not allowed in this message type";
			return -EPROTO;
		}
		if (DLP_HAS(m, k)) {
			*why = "duplicate key";
			return -EPROTO;
		}
		rc = decode_key(m, (unsigned)k, &kv->val, why);
		if (rc < 0)
			return rc;
		DLP_SET(m, k);
	}
	if ((m->present & wm->required) != wm->required) {
		*why = "required key missing";
		return -EPROTO;
	}
	if (DLP_HAS(m, DLP_K_ADDR) && DLP_HAS(m, DLP_K_FAMILY) &&
	    m->family != 2 && m->family != 10) {
		*why = "address family is neither AF_INET nor AF_INET6";
		return -EPROTO;
	}
	return 0;
}
