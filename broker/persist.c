/* SPDX-License-Identifier: MIT */
/*
 * persist.c - the list of files that run outside the jail, their state
 * before the run, and what the command did to them (see persist.h).
 */
#include "config.h"

#include <errno.h>
#include <fnmatch.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <unistd.h>

#include "broker/event.h"
#include "broker/persist.h"
#include "broker/policy.h"
#include "common/log.h"

enum ps_base { PS_HOME, PS_CWD };

/*
 * Each runs (or is read to run something) later, outside the jail: by a
 * login or interactive shell, ssh (ProxyCommand, authorized_keys), git
 * (core.hooksPath, core.fsmonitor, aliases, credential helpers; a hook),
 * systemd --user, a desktop session, PATH lookup, npm (script-shell,
 * registry), yarn (yarnPath), bun (preload), python (a .pth in the user
 * site), gpg-agent (pinentry), direnv, an editor, the next dlpjail run.
 * created: one the command creates is refused too. The project's .git
 * entries only where they exist (a clone or `git init` makes its own).
 */
static const struct {
	enum ps_base base;
	const char *rel;
	bool created;
} ps_paths[] = {
	{ PS_HOME, ".bashrc", true },
	{ PS_HOME, ".bash_profile", true },
	{ PS_HOME, ".bash_login", true },
	{ PS_HOME, ".bash_logout", true },
	{ PS_HOME, ".profile", true },
	{ PS_HOME, ".zshrc", true },
	{ PS_HOME, ".zshenv", true },
	{ PS_HOME, ".zprofile", true },
	{ PS_HOME, ".zlogin", true },
	{ PS_HOME, ".zlogout", true },
	{ PS_HOME, ".config/fish", true },
	{ PS_HOME, ".pam_environment", true },
	{ PS_HOME, ".xprofile", true },
	{ PS_HOME, ".xsessionrc", true },
	{ PS_HOME, ".xinitrc", true },
	{ PS_HOME, ".ssh", true },
	{ PS_HOME, ".gitconfig", true },
	{ PS_HOME, ".config/git", true },
	{ PS_HOME, ".config/systemd", true },
	{ PS_HOME, ".config/autostart", true },
	{ PS_HOME, ".config/environment.d", true },
	{ PS_HOME, ".local/bin", true },
	{ PS_HOME, "bin", true },
	{ PS_HOME, ".npmrc", true },
	{ PS_HOME, ".yarnrc.yml", true },	/* yarnPath: JS run by every yarn */
	{ PS_HOME, ".bunfig.toml", true },	/* preload scripts */
	{ PS_HOME, ".local/lib", true },	/* user site-packages: .pth, usercustomize */
	{ PS_HOME, ".gnupg/gpg-agent.conf", true },	/* pinentry-program */
	{ PS_HOME, ".tmux.conf", true },
	{ PS_HOME, ".emacs", true },
	{ PS_HOME, ".vimrc", true },
	{ PS_HOME, ".config/nvim", true },
	{ PS_CWD, ".git/hooks", false },
	{ PS_CWD, ".git/config", false },
	{ PS_CWD, ".vscode", true },
	{ PS_CWD, ".envrc", true },
	{ PS_CWD, ".dlpjail.policy", true },
	{ PS_CWD, ".npmrc", true },
};

/* Does a `writable` line cover path ("~/" the home, relative: the cwd)? */
static bool ps_writable(const struct brk_policy *p, const char *home, const char *cwd,
			const char *path)
{
	const char *const *v;
	size_t i, n = brk_policy_writables(p, &v);
	char full[PATH_MAX];

	for (i = 0; i < n; i++) {
		int k;

		if (!strncmp(v[i], "~/", 2))
			k = snprintf(full, sizeof(full), "%s/%s", home, v[i] + 2);
		else if (v[i][0] == '/')
			k = snprintf(full, sizeof(full), "%s", v[i]);
		else
			k = snprintf(full, sizeof(full), "%s/%s", cwd, v[i]);
		if (k < 0 || (size_t)k >= sizeof(full))
			continue;
		while (k > 1 && full[k - 1] == '/')
			full[--k] = '\0';
		/* the line names the path, or a directory above it */
		if (!strncmp(full, path, (size_t)k) && (path[k] == '\0' || path[k] == '/'))
			return true;
	}
	return false;
}

/*
 * Directories above the entries made mount points of themselves
 * (brk_persist_pin): only the project's .git. A mount point is also a
 * boundary for link(2) and rename(2) (EXDEV), and the home, ~/.config,
 * ~/.local and the working directory as mount points of their own broke
 * every hard link and rename between them and the rest: pnpm's store
 * (~/.local/share/pnpm) could not be linked into a project, so pnpm fell
 * back to a store inside node_modules and downloaded every package again
 * in each install (warm pnpm install 5.9x bare CPU, bench/install), and a
 * temporary file in /tmp renamed into the project failed. A rename of one
 * of those directories is caught after the run instead: every entry is
 * checked by its path, and one that is another inode than at the start
 * (planted in a directory put in the renamed one's place) is moved aside
 * (brk_persist_check).
 */
static const struct {
	enum ps_base base;
	const char *rel;
} ps_pins[] = {
	{ PS_CWD, ".git" },
};

static void ps_pins_take(struct brk_persist *ps, const char *home, const char *cwd)
{
	size_t i;

	ps->npin = 0;
	for (i = 0; i < sizeof(ps_pins) / sizeof(ps_pins[0]); i++) {
		const char *base = ps_pins[i].base == PS_HOME ? home : cwd;
		char *d = ps->pin[ps->npin];
		struct stat st;
		int k;

		if (!base || base[0] != '/' || !strcmp(base, "/"))
			continue;
		k = snprintf(d, PATH_MAX, "%s%s%s", base, *ps_pins[i].rel ? "/" : "",
			     ps_pins[i].rel);
		if (k > 0 && k < PATH_MAX && lstat(d, &st) == 0 && S_ISDIR(st.st_mode))
			ps->npin++;
	}
}

void brk_persist_pin(const struct brk_persist *ps)
{
	size_t i;

	/* recursive: what is mounted below (the secretless jail's covered
	 * credential files, the launcher's read-only binds) stays on top */
	for (i = 0; i < ps->npin; i++)
		(void)mount(ps->pin[i], ps->pin[i], NULL, MS_BIND | MS_REC, NULL);
	if (ps->cwd[0])
		(void)chdir(ps->cwd);
}

static void ps_stat(struct brk_persist_ent *e)
{
	struct stat st;

	e->present = lstat(e->path, &st) == 0;
	if (!e->present)
		return;
	e->dev = st.st_dev;
	e->ino = st.st_ino;
	e->size = st.st_size;
	e->mtim = st.st_mtim;
	e->ctim = st.st_ctim;
}

void brk_persist_take(struct brk_persist *ps, const struct brk_policy *p)
{
	const char *home = getenv("HOME");
	char cwd[PATH_MAX];
	size_t i, j;

	ps->n = 0;
	if (!getcwd(cwd, sizeof(cwd)))
		cwd[0] = '\0';
	ps_pins_take(ps, home, cwd);
	memcpy(ps->cwd, cwd, sizeof(ps->cwd));
	for (i = 0; i < sizeof(ps_paths) / sizeof(ps_paths[0]) && ps->n < BRK_PERSIST_MAX; i++) {
		struct brk_persist_ent *e = &ps->e[ps->n];
		const char *base = ps_paths[i].base == PS_HOME ? home : cwd;
		int k;

		if (!base || base[0] != '/' || !strcmp(base, "/"))
			continue;
		k = snprintf(e->path, sizeof(e->path), "%s/%s", base, ps_paths[i].rel);
		if (k < 0 || (size_t)k >= sizeof(e->path) ||
		    ps_writable(p, home ? home : "", cwd, e->path))
			continue;
		/* the same path twice (the cwd is the home): once */
		for (j = 0; j < ps->n && strcmp(ps->e[j].path, e->path); j++)
			;
		if (j < ps->n)
			continue;
		e->created = ps_paths[i].created;
		ps_stat(e);
		if (!e->present && !e->created)
			continue;
		ps->n++;
	}
}

static bool ps_same(const struct brk_persist_ent *a, const struct brk_persist_ent *b)
{
	return a->present == b->present && (!a->present ||
		(a->dev == b->dev && a->ino == b->ino && a->size == b->size &&
		 a->mtim.tv_sec == b->mtim.tv_sec && a->mtim.tv_nsec == b->mtim.tv_nsec &&
		 a->ctim.tv_sec == b->ctim.tv_sec && a->ctim.tv_nsec == b->ctim.tv_nsec));
}

/* Moves path to PATH.dlpjail-refused (or -N): 0, or a negative errno. */
static int ps_move_aside(const char *path, char *to, size_t cap)
{
	int i, k;

	for (i = 0; i < 100; i++) {
		struct stat st;

		k = i ? snprintf(to, cap, "%s.dlpjail-refused-%d", path, i)
		      : snprintf(to, cap, "%s.dlpjail-refused", path);
		if (k < 0 || (size_t)k >= cap)
			return -ENAMETOOLONG;
		if (lstat(to, &st) == 0)
			continue;
		return rename(path, to) < 0 ? -errno : 0;
	}
	return -EEXIST;
}

bool brk_persist_covers(const struct brk_persist *ps, const char *path)
{
	size_t i, n;

	for (i = 0; i < ps->n; i++) {
		n = strlen(ps->e[i].path);
		if (ps->e[i].present && !strncmp(ps->e[i].path, path, n) &&
		    (path[n] == '\0' || path[n] == '/'))
			return true;
	}
	return false;
}

void brk_persist_check(const struct brk_persist *ps, struct brk_eventlog *log)
{
	size_t i;

	for (i = 0; i < ps->n; i++) {
		const struct brk_persist_ent *was = &ps->e[i];
		struct brk_persist_ent now = *was;
		struct brk_event ev = { .op = "write", .port = -1, .verdict = BRK_DENY,
					.enforced = true, .rule = "persist" };
		char why[3 * PATH_MAX], to[PATH_MAX];
		int rc;

		ps_stat(&now);
		if (ps_same(was, &now))
			continue;
		/* created, or another inode in its place (the old one renamed
		 * away): the new one is moved aside */
		if (now.present && (!was->present || was->dev != now.dev || was->ino != now.ino)) {
			rc = ps_move_aside(was->path, to, sizeof(to));
			snprintf(why, sizeof(why), "the command %s %s, which would run outside "
				 "the jail later: %s%s%s (a policy line `writable PATH` in your own "
				 "file allows it)", was->present ? "replaced" : "created", was->path, rc == 0 ? "moved to " : "could not "
				 "move it aside: ", rc == 0 ? to : strerror(-rc), rc == 0 ? "" :
				 " - remove it");
		} else {
			snprintf(why, sizeof(why), "the command %s %s, which runs outside the jail "
				 "(no private mount namespace kept it read-only): check it",
				 now.present ? "changed" : "removed", was->path);
		}
		ev.reason = why;
		dlp_log(DLP_LOG_WARN, "%s", why);
		if (log)
			brk_eventlog_write(log, &ev);
	}
}
