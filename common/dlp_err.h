/* SPDX-License-Identifier: MIT */
/*
 * dlp_err.h - the error convention shared by every dlpjail module.
 *
 * Functions return int: >= 0 on success, a negative errno value on failure
 * (-EINVAL bad argument or input, -ENOMEM, -EMSGSIZE over a hard limit,
 * -EPROTO malformed peer data, -EACCES refused by policy). Results travel
 * through pointer arguments. dlp_rc_filter() clamps anything else to -EFAULT
 * at module edges so callers only ever see documented codes.
 */
#ifndef DLP_COMMON_DLP_ERR_H
#define DLP_COMMON_DLP_ERR_H

#include <errno.h>

static inline int dlp_rc_filter(int rc)
{
	if (rc >= 0)
		return rc;
	switch (-rc) {
	case EINVAL: case ENOMEM: case EMSGSIZE: case EPROTO: case EACCES:
	case ENOENT: case EIO: case EPIPE: case ECONNREFUSED: case ETIMEDOUT:
	case EAGAIN: case EOPNOTSUPP: case E2BIG: case EBADF: case ENOSPC:
		return rc;
	default:
		return -EFAULT;
	}
}

#define DLP_ARRAY_SIZE(a) (sizeof(a) / sizeof((a)[0]))

#endif /* DLP_COMMON_DLP_ERR_H */
