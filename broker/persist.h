/* SPDX-License-Identifier: MIT */
/*
 * persist.h - files the jail could write that run later outside it
 * (shell start-up files, ~/.ssh, git config and hooks, systemd user
 * units, autostart entries, ~/.local/bin, ~/.npmrc, the next session's
 * ./.dlpjail.policy): a malicious build step's way to outlive dlpjail.
 *
 * Those that exist are read-only in the jail's private mount namespace
 * (the launcher binds each on itself, child side; a write gets EROFS).
 * One that did not exist and that the command created is moved aside
 * after the run ("PATH.dlpjail-refused"), with an event and a stderr
 * line; so is one changed where there was no mount namespace. A policy
 * line `writable PATH` (the user's own files only) leaves one alone.
 */
#ifndef DLP_BROKER_PERSIST_H
#define DLP_BROKER_PERSIST_H

#include <limits.h>
#include <stdbool.h>
#include <stddef.h>
#include <time.h>
#include <sys/types.h>

struct brk_policy;
struct brk_eventlog;

#define BRK_PERSIST_MAX 64

struct brk_persist {
	size_t n;
	struct brk_persist_ent {
		char path[PATH_MAX];
		bool created;          /* a new one counts (not only a change) */
		bool present;          /* at the start */
		dev_t dev;
		ino_t ino;
		off_t size;
		struct timespec mtim, ctim;
	} e[BRK_PERSIST_MAX];
	size_t npin;
	char pin[6][PATH_MAX];         /* directories above them (brk_persist_pin) */
	char cwd[PATH_MAX];            /* re-entered after the pins ("": none) */
};

/* Fills *ps from HOME and the working directory, minus the policy's
 * `writable` lines, and takes each path's state now. */
void brk_persist_take(struct brk_persist *ps, const struct brk_policy *p);

/*
 * Child side, in the private mount namespace, before the entries' own
 * read-only binds: the working directory's .git becomes a mount point of
 * itself (a recursive bind, still writable), so it cannot be renamed away
 * (EBUSY) and replaced by a copy holding a planted file while the
 * read-only binds move with the old one. The home, ~/.config, ~/.local
 * and the working directory are not pinned (a mount point breaks hard
 * links and renames across it: persist.c ps_pins); a planted entry in a
 * directory put in their place is moved aside after the run.
 * Then the working directory is entered again: a cwd taken before stays
 * on the mount below, where later binds do not show (a relative
 * .git/hooks would be writable). Best effort. AS-SAFE.
 */
void brk_persist_pin(const struct brk_persist *ps);

/* After the run: each path the command created (where that counts) or
 * changed (only possible without a mount namespace) is reported (event
 * op "write", stderr); a created one is moved to PATH.dlpjail-refused. */
void brk_persist_check(const struct brk_persist *ps, struct brk_eventlog *log);

/* Is path (absolute) an entry that existed at the start, or below one? */
bool brk_persist_covers(const struct brk_persist *ps, const char *path);

#endif /* DLP_BROKER_PERSIST_H */
