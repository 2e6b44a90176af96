/* SPDX-License-Identifier: MIT */
/*
 * profile.c - the policy chain of a run: profile from the command name,
 * search path for shipped files, merge order, and the registries package
 * tools are configured with (see profile.h).
 */
#include "config.h"

#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <unistd.h>

#include "common/dlp_err.h"
#include "common/paths.h"
#include "broker/profile.h"

#define PROFILE_DEPTH 4

/* Command name -> profile. */
static const struct {
	const char *cmd;
	const char *profile;
} profile_cmds[] = {
	{ "npm", "npm" }, { "npx", "npm" }, { "yarn", "yarn" }, { "yarnpkg", "yarn" },
	{ "pnpm", "pnpm" }, { "pnpx", "pnpm" }, { "bun", "bun" }, { "bunx", "bun" },
	{ "pip", "pip" }, { "pip3", "pip" }, { "uv", "pip" }, { "uvx", "pip" },
	{ "poetry", "pip" }, { "pipx", "pip" }, { "cargo", "cargo" }, { "go", "go" },
	{ "gem", "gem" }, { "bundle", "gem" }, { "bundler", "gem" }, { "git", "git" },
	{ "make", "make" }, { "gmake", "make" },
};

static const char *const shells[] = { "sh", "bash", "dash", "zsh", "ksh", "fish" };

static const char *base_name(const char *s)
{
	const char *b = strrchr(s, '/');

	return b ? b + 1 : s;
}

static bool is_assignment(const char *w)
{
	const char *eq = strchr(w, '=');

	return eq && eq != w && strspn(w, "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"
				       "0123456789_") == (size_t)(eq - w);
}

static const char *profile_words(char *const *argv, int depth);

/*
 * A shell -c string: the first command of it that picks a profile, command
 * by command ("cd x && yarn install" picks yarn). Words split at blanks and
 * quotes, commands at ; & | ( ) and newlines: no full shell grammar.
 */
static const char *profile_shell_string(const char *cmd, int depth)
{
	char buf[1024], *words[32], *seg, *s, *save = NULL, *wsave;
	const char *prof;
	int n;

	snprintf(buf, sizeof(buf), "%s", cmd);
	for (seg = strtok_r(buf, ";&|()\n", &save); seg; seg = strtok_r(NULL, ";&|()\n", &save)) {
		n = 0;
		wsave = NULL;
		for (s = strtok_r(seg, " \t'\"", &wsave); s && n < 31;
		     s = strtok_r(NULL, " \t'\"", &wsave))
			words[n++] = s;
		words[n] = NULL;
		prof = n ? profile_words(words, depth + 1) : NULL;
		if (prof)
			return prof;
	}
	return NULL;
}

static const char *profile_words(char *const *argv, int depth)
{
	const char *cmd;
	size_t i;

	if (depth > PROFILE_DEPTH)
		return NULL;
	while (*argv && (is_assignment(*argv) || !strcmp(*argv, "exec") ||
			 !strcmp(*argv, "command") || !strcmp(*argv, "nice")))
		argv++;
	if (!*argv)
		return NULL;
	cmd = base_name(*argv);
	if (!strcmp(cmd, "env")) {
		for (argv++; *argv; argv++) {
			if (!strcmp(*argv, "-u") || !strcmp(*argv, "-C") ||
			    !strcmp(*argv, "--unset") || !strcmp(*argv, "--chdir")) {
				if (!*++argv)
					return NULL;
			} else if ((*argv)[0] != '-' && !is_assignment(*argv)) {
				break;
			}
		}
		return profile_words(argv, depth + 1);
	}
	for (i = 0; i < DLP_ARRAY_SIZE(shells); i++) {
		if (strcmp(cmd, shells[i]))
			continue;
		/* sh -c 'npm install', sh -ec '...', bash -lc '...' */
		for (argv++; *argv && (*argv)[0] == '-'; argv++)
			if ((*argv)[1] != '-' && strchr(*argv, 'c'))
				return argv[1] ? profile_shell_string(argv[1], depth) : NULL;
		return NULL;
	}
	/* python3 -m pip ... */
	if (!strncmp(cmd, "python", 6) && argv[1] && !strcmp(argv[1], "-m") && argv[2])
		return profile_words(argv + 2, depth + 1);
	for (i = 0; i < DLP_ARRAY_SIZE(profile_cmds); i++)
		if (!strcmp(cmd, profile_cmds[i].cmd))
			return profile_cmds[i].profile;
	return NULL;
}

const char *brk_profile_for_argv(char *const *argv)
{
	const char *p = argv ? profile_words(argv, 0) : NULL;

	return p ? p : "default";
}

/*
 * Where the shipped files are: the directory of the default policy as
 * common/paths.c finds it (the source tree's policy/ for a binary in its
 * build tree, PREFIX/share/dlpjail of a relocated install, pkgdatadir).
 */
static int shipped_dir(char *dst, size_t cap)
{
	char *slash;

	if (dlp_find_default_policy(dst, cap, NULL, 0) < 0)
		return -ENOENT;
	slash = strrchr(dst, '/');
	if (!slash)
		return -ENOENT;
	*slash = '\0';
	return 0;
}

/* $XDG_CONFIG_HOME/dlpjail, else ~/.config/dlpjail. */
static int config_dir(char *dst, size_t cap)
{
	const char *x = getenv("XDG_CONFIG_HOME"), *h = getenv("HOME");

	if (x && x[0] == '/')
		return (size_t)snprintf(dst, cap, "%s/dlpjail", x) < cap ? 0 : -ENAMETOOLONG;
	if (h && h[0] == '/')
		return (size_t)snprintf(dst, cap, "%s/.config/dlpjail", h) < cap ? 0 : -ENAMETOOLONG;
	return -ENOENT;
}

int brk_policy_config_dir(char *dst, size_t cap)
{
	struct stat st;
	int rc = config_dir(dst, cap);

	if (rc == 0 && (stat(dst, &st) < 0 || !S_ISDIR(st.st_mode)))
		rc = -ENOENT;
	if (rc < 0 && cap)
		dst[0] = '\0';
	return rc;
}

static bool valid_profile_name(const char *n)
{
	return *n && strlen(n) < 64 && n[0] != '.' &&
	       strspn(n, "abcdefghijklmnopqrstuvwxyz0123456789-_.") == strlen(n);
}

int brk_policy_find(const char *name, char *dst, size_t cap)
{
	char dirs[5][PATH_MAX];
	int nd = 0, i;

	if (!valid_profile_name(name))
		return -EINVAL;
	if (config_dir(dirs[nd], sizeof(dirs[0])) == 0)
		nd++;
	snprintf(dirs[nd++], sizeof(dirs[0]), "/etc/dlpjail");
	if (shipped_dir(dirs[nd], sizeof(dirs[0])) == 0)
		nd++;
	snprintf(dirs[nd++], sizeof(dirs[0]), "%s", DLP_PKGDATADIR);
	for (i = 0; i < nd; i++) {
		if ((size_t)snprintf(dst, cap, "%s/%s.policy", dirs[i], name) >= cap)
			continue;
		if (access(dst, R_OK) == 0)
			return 0;
	}
	dst[0] = '\0';
	return -ENOENT;
}

static int load_if_there(struct brk_policy *p, const char *path, enum brk_policy_tier tier,
			 char *err, size_t errlen)
{
	if (access(path, F_OK) != 0)
		return 0;
	brk_policy_set_tier(p, tier);
	return brk_policy_load_file(p, path, err, errlen);
}

int brk_policy_compose(struct brk_policy *p, const char *profile, char *err, size_t errlen)
{
	char path[PATH_MAX], dir[PATH_MAX - 32];
	int rc;

	if (!profile)
		profile = "default";
	if (brk_policy_find("base", path, sizeof(path)) == 0 &&
	    (rc = load_if_there(p, path, BRK_TIER_BASE, err, errlen)) < 0)
		goto out;
	if (brk_policy_find(profile, path, sizeof(path)) < 0) {
		snprintf(err, errlen, "no policy profile '%.64s' (looked for %.64s.policy in "
			 "$XDG_CONFIG_HOME/dlpjail, /etc/dlpjail and %s)", profile, profile,
			 DLP_PKGDATADIR);
		rc = -ENOENT;
		goto out;
	}
	brk_policy_set_tier(p, BRK_TIER_PROFILE);
	rc = brk_policy_load_file(p, path, err, errlen);
	if (rc < 0)
		goto out;
	rc = load_if_there(p, "/etc/dlpjail/site.policy", BRK_TIER_USER, err, errlen);
	if (rc < 0)
		goto out;
	if (config_dir(dir, sizeof(dir)) == 0) {
		snprintf(path, sizeof(path), "%s/user.policy", dir);
		rc = load_if_there(p, path, BRK_TIER_USER, err, errlen);
		if (rc < 0)
			goto out;
	}
	rc = load_if_there(p, ".dlpjail.policy", BRK_TIER_PROJECT, err, errlen);
	if (rc < 0)
		goto out;
	rc = brk_policy_add_registries(p, profile);
	if (rc < 0)
		snprintf(err, errlen, "cannot add the configured registries: %s", strerror(-rc));
out:
	brk_policy_set_tier(p, BRK_TIER_EXPLICIT);
	return rc;
}

/* One input of the chain (brk_policy_inputs), as a path template. */
enum input_base { IN_ABS, IN_CWD, IN_HOME, IN_XDG_CONFIG, IN_CARGO_HOME };

static const struct {
	enum input_base base;
	const char *rel;
} chain_inputs[] = {
	{ IN_ABS, "/etc/dlpjail/site.policy" },
	{ IN_XDG_CONFIG, "dlpjail/user.policy" },
	{ IN_CWD, ".dlpjail.policy" },
	{ IN_HOME, ".npmrc" },
	{ IN_CWD, ".npmrc" },
	{ IN_XDG_CONFIG, "pip/pip.conf" },
	{ IN_HOME, ".pip/pip.conf" },
	{ IN_CARGO_HOME, "config.toml" },
	{ IN_CWD, ".cargo/config.toml" },
};

static int input_path(enum input_base b, const char *rel, char *dst, size_t cap)
{
	const char *home = getenv("HOME"), *v = NULL, *sub = "";
	char cwd[PATH_MAX];

	switch (b) {
	case IN_ABS:
		return (size_t)snprintf(dst, cap, "%s", rel) < cap ? 0 : -ENAMETOOLONG;
	case IN_CWD:
		if (!getcwd(cwd, sizeof(cwd)))
			return -errno;
		v = cwd;
		break;
	case IN_HOME:
		v = home;
		break;
	case IN_XDG_CONFIG:
		v = getenv("XDG_CONFIG_HOME");
		if (!v || v[0] != '/') {
			v = home;
			sub = ".config/";
		}
		break;
	case IN_CARGO_HOME:
		v = getenv("CARGO_HOME");
		if (!v || v[0] != '/') {
			v = home;
			sub = ".cargo/";
		}
		break;
	}
	if (!v || v[0] != '/')
		return -ENOENT;
	return (size_t)snprintf(dst, cap, "%s/%s%s", v, sub, rel) < cap ? 0 : -ENAMETOOLONG;
}

size_t brk_policy_inputs(char (*dst)[PATH_MAX], size_t max)
{
	size_t i, n = 0;

	for (i = 0; i < sizeof(chain_inputs) / sizeof(chain_inputs[0]) && n < max; i++)
		if (input_path(chain_inputs[i].base, chain_inputs[i].rel, dst[n], PATH_MAX) == 0)
			n++;
	return n;
}

/* ---- the registries package tools are configured with ---- */

/* Host of a URL ("https://user@h.example:8443/path", "sparse+https://h/"). */
static int url_host(const char *url, char *dst, size_t cap)
{
	const char *s = strstr(url, "://"), *e, *at;
	size_t n;

	if (!s)
		return -EINVAL;
	s += 3;
	e = s + strcspn(s, "/?#");
	at = memchr(s, '@', (size_t)(e - s));
	if (at)
		s = at + 1;
	if (*s == '[')
		return -EINVAL;      /* an address literal: name it with --allow */
	n = strcspn(s, ":/?#");
	if (n == 0 || n >= cap)
		return -EINVAL;
	memcpy(dst, s, n);
	dst[n] = '\0';
	return brk_host_normalise(dst, dst, cap);
}

/*
 * npm's own registry setting (never a project's: its home lines would be
 * ignored anyway) makes that host a home of npm's _auth Basic value: npm
 * sends it there as "Authorization: Basic", wherever it is configured.
 */
static bool npm_home_of(const char *what)
{
	return !strcmp(what, "the registry npm is configured with");
}

static int allow_registry(struct brk_policy *p, const char *url, const char *origin,
			  const char *what)
{
	char host[256], err[200], note[900], line[300];
	struct brk_decision d;

	if (url_host(url, host, sizeof(host)) < 0)
		return 0;
	if (npm_home_of(what)) {
		snprintf(line, sizeof(line), "home npm-auth-basic %s", host);
		brk_policy_add_line(p, line, origin, err, sizeof(err));
	}
	brk_policy_check_host(p, host, &d);
	if (d.verdict == BRK_ALLOW && strcmp(d.rule, "localhost"))
		return 0;               /* already allowed (or denied: deny wins anyway) */
	if (brk_policy_add_rule(p, "allow", host, origin, err, sizeof(err)) != 0)
		return 0;       /* invalid, or set aside by the merge rules (noted) */
	snprintf(note, sizeof(note), "%s: allowed %s: %s", origin, host, what);
	return brk_policy_add_note(p, note);
}

/* Trim blanks and one pair of quotes; returns the start. */
static char *trim(char *s)
{
	char *e;

	s += strspn(s, " \t");
	e = s + strlen(s);
	while (e > s && strchr(" \t\r\n", e[-1]))
		*--e = '\0';
	if (e - s >= 2 && (*s == '"' || *s == '\'') && e[-1] == *s) {
		e[-1] = '\0';
		s++;
	}
	return s;
}

/*
 * Read "key = value" lines of an ini-like file (npmrc, pip.conf, cargo's
 * config.toml); keys matched by suffix ("registry" also matches
 * "@scope:registry", "index" matches cargo's [registries.x] index).
 */
static int scan_config(struct brk_policy *p, const char *path, const char *shown,
		       const char *const *keys, const char *what, bool project)
{
	char line[2048], origin[PATH_MAX + 32];
	unsigned lineno = 0;
	FILE *f = fopen(path, "re");
	int rc = 0;

	if (!f)
		return 0;
	if (project) {
		/* a project's registry lines are never your own choice of server */
		snprintf(origin, sizeof(origin), "%s:0", shown);
		brk_policy_set_tier(p, BRK_TIER_PROJECT);
		brk_policy_add_line(p, "shipped", origin, line, sizeof(line));
	}
	while (rc == 0 && fgets(line, sizeof(line), f)) {
		char *eq, *k, *v;
		size_t i, kl;

		lineno++;
		eq = strchr(line, '=');
		if (!eq || line[strspn(line, " \t")] == '#' || line[strspn(line, " \t")] == ';')
			continue;
		*eq = '\0';
		k = trim(line);
		v = trim(eq + 1);
		kl = strlen(k);
		for (i = 0; keys[i]; i++) {
			size_t l = strlen(keys[i]);
			if (kl >= l && !strcmp(k + kl - l, keys[i]) &&
			    (kl == l || strchr(":.-_", k[kl - l - 1]))) {
				snprintf(origin, sizeof(origin), "%s:%u", shown, lineno);
				rc = allow_registry(p, v, origin, what);
				break;
			}
		}
	}
	fclose(f);
	brk_policy_set_tier(p, BRK_TIER_EXPLICIT);
	return rc;
}

static int from_env(struct brk_policy *p, const char *name, const char *what)
{
	const char *v = getenv(name);
	char origin[80], buf[2048], *s, *save = NULL;
	int rc = 0;

	if (!v || !*v)
		return 0;
	snprintf(origin, sizeof(origin), "$%s", name);
	snprintf(buf, sizeof(buf), "%s", v);
	/* PIP_EXTRA_INDEX_URL and GOPROXY hold lists */
	for (s = strtok_r(buf, " ,|", &save); s && !rc; s = strtok_r(NULL, " ,|", &save))
		rc = allow_registry(p, s, origin, what);
	return rc;
}

static bool profile_is(const char *profile, const char *const *names)
{
	for (; *names; names++)
		if (!strcmp(profile, *names))
			return true;
	return false;
}

int brk_policy_add_registries(struct brk_policy *p, const char *profile)
{
	static const char *const js[] = { "npm", "yarn", "pnpm", "bun", "default", "make", NULL };
	static const char *const py[] = { "pip", "default", "make", NULL };
	static const char *const rs[] = { "cargo", "default", "make", NULL };
	static const char *const gop[] = { "go", "default", "make", NULL };
	static const char *const npm_keys[] = { "registry", NULL };
	static const char *const pip_keys[] = { "index-url", "extra-index-url", NULL };
	static const char *const cargo_keys[] = { "index", "registry", NULL };
	const char *home = getenv("HOME"), *xdg = getenv("XDG_CONFIG_HOME");
	char path[PATH_MAX];
	int rc = 0;

	if (profile_is(profile, js)) {
		rc = rc ?: from_env(p, "NPM_CONFIG_REGISTRY", "the registry npm is configured with");
		rc = rc ?: from_env(p, "npm_config_registry", "the registry npm is configured with");
		if (home && home[0] == '/') {
			snprintf(path, sizeof(path), "%s/.npmrc", home);
			rc = rc ?: scan_config(p, path, "~/.npmrc", npm_keys,
					       "the registry npm is configured with", false);
		}
		rc = rc ?: scan_config(p, ".npmrc", "./.npmrc", npm_keys,
				       "the registry this project's .npmrc names", true);
	}
	if (profile_is(profile, py)) {
		rc = rc ?: from_env(p, "PIP_INDEX_URL", "the index pip is configured with");
		rc = rc ?: from_env(p, "PIP_EXTRA_INDEX_URL", "an index pip is configured with");
		rc = rc ?: from_env(p, "UV_INDEX_URL", "the index uv is configured with");
		rc = rc ?: from_env(p, "UV_DEFAULT_INDEX", "the index uv is configured with");
		if (xdg && xdg[0] == '/')
			snprintf(path, sizeof(path), "%s/pip/pip.conf", xdg);
		else if (home && home[0] == '/')
			snprintf(path, sizeof(path), "%s/.config/pip/pip.conf", home);
		else
			path[0] = '\0';
		rc = rc ?: scan_config(p, path, "pip.conf", pip_keys,
				       "the index pip is configured with", false);
		if (home && home[0] == '/') {
			snprintf(path, sizeof(path), "%s/.pip/pip.conf", home);
			rc = rc ?: scan_config(p, path, "~/.pip/pip.conf", pip_keys,
					       "the index pip is configured with", false);
		}
		rc = rc ?: scan_config(p, "/etc/pip.conf", "/etc/pip.conf", pip_keys,
				       "the index pip is configured with", false);
	}
	if (profile_is(profile, rs)) {
		const char *ch = getenv("CARGO_HOME");

		if (ch && ch[0] == '/')
			snprintf(path, sizeof(path), "%s/config.toml", ch);
		else if (home && home[0] == '/')
			snprintf(path, sizeof(path), "%s/.cargo/config.toml", home);
		else
			path[0] = '\0';
		rc = rc ?: scan_config(p, path, "~/.cargo/config.toml", cargo_keys,
				       "a registry cargo is configured with", false);
		rc = rc ?: scan_config(p, ".cargo/config.toml", "./.cargo/config.toml", cargo_keys,
				       "a registry this project's cargo config names", true);
	}
	if (profile_is(profile, gop))
		rc = rc ?: from_env(p, "GOPROXY", "a module proxy go is configured with");
	return rc;
}

/* ---- the secretless jail: what each profile's tool needs (swap.h) ---- */

static const struct {
	const char *profile;
	unsigned needs;
} brk_profile_secrets[] = {
	{ "npm", BRK_SECRET_K_NPM },
	{ "yarn", BRK_SECRET_K_NPM },
	{ "pnpm", BRK_SECRET_K_NPM },
	{ "bun", BRK_SECRET_K_NPM },
	{ "git", BRK_SECRET_K_FORGE },
	{ "go", BRK_SECRET_K_FORGE },      /* private modules come over git */
	{ "pip", BRK_SECRET_K_PYPI },
	{ "cargo", BRK_SECRET_K_CARGO },
	{ "gem", BRK_SECRET_K_GEM },
};

unsigned brk_profile_secret_needs(const char *profile)
{
	size_t i;

	for (i = 0; profile && i < DLP_ARRAY_SIZE(brk_profile_secrets); i++)
		if (!strcmp(profile, brk_profile_secrets[i].profile))
			return brk_profile_secrets[i].needs;
	return 0;
}

static const struct {
	unsigned kind;
	const char *name;
} brk_secret_kind_names[] = {
	{ BRK_SECRET_K_NPM, "npm" },
	{ BRK_SECRET_K_FORGE, "forge" },
	{ BRK_SECRET_K_PYPI, "pypi" },
	{ BRK_SECRET_K_CARGO, "cargo" },
	{ BRK_SECRET_K_GEM, "gem" },
	{ BRK_SECRET_K_DOCKER, "docker" },
	{ BRK_SECRET_K_AWS, "aws" },
	{ BRK_SECRET_K_AWS_KEY, "aws-secret-key" },
	{ BRK_SECRET_K_SSH_KEY, "private-key" },
};

const char *brk_profile_secret_kind_name(unsigned kind)
{
	size_t i;

	for (i = 0; i < DLP_ARRAY_SIZE(brk_secret_kind_names); i++)
		if (brk_secret_kind_names[i].kind == kind)
			return brk_secret_kind_names[i].name;
	return "other";
}
