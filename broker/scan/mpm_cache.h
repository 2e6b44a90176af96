/* SPDX-License-Identifier: MIT */
/*
 * mpm_cache.h - a per-user cache of compiled matcher databases, so that a
 * session deserializes the detector database instead of compiling it
 * (Hyperscan compilation costs ~300 ms; loading costs a few).
 *
 * Only mpm_hs.c (and its tests) call this. Entries are opaque blobs named
 * by a 32-byte key the caller derives from everything the blob depends on
 * (matcher version, platform, expressions). The cache lives in
 * $XDG_CACHE_HOME/dlpjail, else $HOME/.cache/dlpjail.
 *
 * Trust: a directory or file that is not ours, is a symlink, or is group-
 * or world-writable is ignored. A file whose magic, key, length or SHA-256
 * does not check out is ignored (and replaced by the next store). Stores
 * are atomic (temporary file + rename), best effort, and never fail the
 * caller. The checksum guards against corruption and foreign entries, not
 * against a process of the same user forging one: callers verify what
 * they load (scan.c runs the detector samples through it).
 */
#ifndef DLP_BROKER_SCAN_MPM_CACHE_H
#define DLP_BROKER_SCAN_MPM_CACHE_H

#include <stddef.h>
#include <stdint.h>

#define BRK_SCAN_CACHE_KEYLEN 32
#define BRK_SCAN_CACHE_MAX (256u << 20)   /* larger entries are refused */

/* The default cache directory into dst. -ENOENT when neither
 * XDG_CACHE_HOME nor HOME is an absolute path, -ENAMETOOLONG. */
int brk_scan_cache_default_dir(char *dst, size_t cap);

/* SHA-256 over n (pointer, length) pairs: the key of an entry. */
void brk_scan_cache_key(uint8_t key[BRK_SCAN_CACHE_KEYLEN], const void *const *parts,
			const size_t *lens, size_t n);

/* Load the entry for key from dir: *blob (malloc'd, caller frees) and *len.
 * -ENOENT no entry, -EPERM untrusted directory or file, -EBADMSG corrupt
 * or foreign entry, -ENOMEM, other negative errno from the file system. */
int brk_scan_cache_load(const char *dir, const uint8_t key[BRK_SCAN_CACHE_KEYLEN],
			uint8_t **blob, size_t *len);

/* A loaded entry, mapped read-only: blob/len inside base/size. */
struct brk_scan_cache_map {
	void *base;
	size_t size;
	const uint8_t *blob;
	size_t len;
};

/* brk_scan_cache_load() without the copy: the entry mapped (release with
 * brk_scan_cache_unmap(), which also accepts a zeroed or failed map).
 * The digest of the whole entry is checked once per file: a later load of
 * the same unchanged file (same inode, size, mtime and ctime; its stamp
 * "ok-<hex key>" beside it) skips it. Same returns. */
int brk_scan_cache_map(const char *dir, const uint8_t key[BRK_SCAN_CACHE_KEYLEN],
		       struct brk_scan_cache_map *m);
void brk_scan_cache_unmap(struct brk_scan_cache_map *m);

/* Store blob under key in dir (created 0700 if missing, parents too),
 * then remove all but the 8 newest entries (other builds) and temporary
 * files older than an hour. -EPERM untrusted directory, -EFBIG, other
 * negative errno. */
int brk_scan_cache_store(const char *dir, const uint8_t key[BRK_SCAN_CACHE_KEYLEN],
			 const uint8_t *blob, size_t len);

/* Create dir (0700, parents too) and check it is trusted: 0 or -EPERM,
 * other negative errno. */
int brk_scan_cache_mkdir(const char *dir);

/* The entry's file name for key into dst ("hs-<64 hex>.db" under dir). */
int brk_scan_cache_path(const char *dir, const uint8_t key[BRK_SCAN_CACHE_KEYLEN],
			char *dst, size_t cap);

#endif /* DLP_BROKER_SCAN_MPM_CACHE_H */
