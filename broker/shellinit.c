/* SPDX-License-Identifier: MIT */
/*
 * shellinit.c - `dlpjail shell-init bash|zsh|fish`: functions that run the
 * package tools under dlpjail, and completions for dlpjail (cli.h).
 *
 * Each wrapper is defined only when the tool is installed at the time the
 * output is sourced, calls the dlpjail binary that printed it by absolute
 * path, and runs the tool directly when already inside a jail
 * ($DLPJAIL_SOCK set), so nested tools are not jailed twice.
 */
#include "config.h"

#include <limits.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "broker/cli.h"

static const char *const wrapped[] = {
	"npm", "npx", "yarn", "pnpm", "bun", "pip", "pip3", "uv", "poetry",
	"cargo", "go", "gem", "bundle",
};

static const char *const subcommands =
	"policy test explain shell-init scan broker";
static const char *const options =
	"--allow --deny --policy --profile --no-default-policy --log --monitor --canary "
	"--no-canaries --decoy-home --no-seccomp --no-mountns --quiet --verbose --help --version";
static const char *const profiles =
	"default strict npm yarn pnpm bun pip cargo go gem git make";

/* The binary's path, single-quoted for sh (a quote in it ends the output). */
static int self_path(char *dst, size_t cap)
{
	ssize_t n = readlink("/proc/self/exe", dst, cap - 1);

	if (n <= 0)
		return -1;
	dst[n] = '\0';
	return strchr(dst, '\'') ? -1 : 0;
}

static void posix_wrappers(const char *self)
{
	size_t i;

	printf("# dlpjail shell-init: package tools run under dlpjail (dlpjail(1)).\n"
	       "# 'command TOOL ...' runs one unprotected.\n");
	for (i = 0; i < sizeof(wrapped) / sizeof(wrapped[0]); i++)
		printf("if command -v %s >/dev/null 2>&1; then\n"
		       "  %s() { if [ -n \"${DLPJAIL_SOCK:-}\" ]; then command %s \"$@\"; "
		       "else '%s' -- %s \"$@\"; fi; }\n"
		       "fi\n", wrapped[i], wrapped[i], wrapped[i], self, wrapped[i]);
}

static void bash_completion(void)
{
	printf("_dlpjail() {\n"
	       "  local cur=${COMP_WORDS[COMP_CWORD]} prev=${COMP_WORDS[COMP_CWORD-1]} i\n"
	       "  case $prev in\n"
	       "    --profile|-P) COMPREPLY=($(compgen -W '%s' -- \"$cur\")); return;;\n"
	       "    --policy|-p|--log|-l|--data) COMPREPLY=($(compgen -f -- \"$cur\")); return;;\n"
	       "    policy) COMPREPLY=($(compgen -W 'check show' -- \"$cur\")); return;;\n"
	       "    shell-init) COMPREPLY=($(compgen -W 'bash zsh fish' -- \"$cur\")); return;;\n"
	       "    check) COMPREPLY=($(compgen -f -- \"$cur\")); return;;\n"
	       "  esac\n"
	       "  for ((i = 1; i < COMP_CWORD; i++)); do\n"
	       "    case ${COMP_WORDS[i]} in\n"
	       "      --profile|-P|--policy|-p|--log|-l|--allow|-a|--deny|-d|--canary) ((i++));;\n"
	       "      -*) ;;\n"
	       "      *) COMPREPLY=($(compgen -c -- \"$cur\")); return;;\n"
	       "    esac\n"
	       "  done\n"
	       "  if [[ $cur == -* ]]; then COMPREPLY=($(compgen -W '%s' -- \"$cur\"));\n"
	       "  else COMPREPLY=($(compgen -W '%s' -- \"$cur\") $(compgen -c -- \"$cur\")); fi\n"
	       "}\n"
	       "complete -F _dlpjail dlpjail\n", profiles, options, subcommands);
}

static void zsh_completion(void)
{
	printf("_dlpjail() {\n"
	       "  _arguments -s \\\n"
	       "    '*'{-a,--allow}'[allow a destination]:destination:' \\\n"
	       "    '*'{-d,--deny}'[deny a destination]:destination:' \\\n"
	       "    '*'{-p,--policy}'[policy file]:file:_files' \\\n"
	       "    {-P,--profile}'[profile]:profile:(%s)' \\\n"
	       "    {-l,--log}'[event log]:file:_files' \\\n"
	       "    {-m,--monitor}'[block nothing, log what would be blocked]' \\\n"
	       "    '--canary[canary token]:token:' \\\n"
	       "    '--no-default-policy[load no policy file]' \\\n"
	       "    {-q,--quiet}'[no summary]' '*'{-v,--verbose}'[more diagnostics]' \\\n"
	       "    '1:command:->cmd' '*::args:->args'\n"
	       "  case $state in\n"
	       "    cmd) _alternative 'sub:subcommand:(%s)' 'cmd:command:_command_names -e';;\n"
	       "    args) case $words[1] in\n"
	       "      policy) _values subcommand check show;;\n"
	       "      shell-init) _values shell bash zsh fish;;\n"
	       "      *) _normal;;\n"
	       "    esac;;\n"
	       "  esac\n"
	       "}\n"
	       "if (( $+functions[compdef] )); then compdef _dlpjail dlpjail; fi\n",
	       profiles, subcommands);
}

static void fish_init(const char *self)
{
	size_t i;

	printf("# dlpjail shell-init fish: package tools run under dlpjail (dlpjail(1)).\n"
	       "# 'command TOOL ...' runs one unprotected.\n");
	for (i = 0; i < sizeof(wrapped) / sizeof(wrapped[0]); i++)
		printf("if command -q %s\n"
		       "  function %s --wraps %s\n"
		       "    if set -q DLPJAIL_SOCK; command %s $argv; else; '%s' -- %s $argv; end\n"
		       "  end\n"
		       "end\n", wrapped[i], wrapped[i], wrapped[i], wrapped[i], self, wrapped[i]);
	printf("complete -c dlpjail -n __fish_use_subcommand -a '%s'\n", subcommands);
	printf("complete -c dlpjail -s P -l profile -x -a '%s'\n", profiles);
	printf("complete -c dlpjail -s p -l policy -r -F\n"
	       "complete -c dlpjail -s l -l log -r -F\n"
	       "complete -c dlpjail -s m -l monitor\n"
	       "complete -c dlpjail -s q -l quiet\n");
}

int brk_cli_shell_init(int argc, char **argv)
{
	char self[PATH_MAX];

	if (argc != 2 || self_path(self, sizeof(self)) < 0)
		goto usage;
	if (!strcmp(argv[1], "bash")) {
		posix_wrappers(self);
		bash_completion();
	} else if (!strcmp(argv[1], "zsh")) {
		posix_wrappers(self);
		zsh_completion();
	} else if (!strcmp(argv[1], "fish")) {
		fish_init(self);
	} else {
		goto usage;
	}
	return 0;
usage:
	fprintf(stderr, "usage: dlpjail shell-init bash|zsh|fish\n"
		"  add to ~/.bashrc: eval \"$(dlpjail shell-init bash)\"\n"
		"  ~/.zshrc (after compinit): eval \"$(dlpjail shell-init zsh)\"\n"
		"  ~/.config/fish/config.fish: dlpjail shell-init fish | source\n");
	return DLP_EXIT_REFUSED;
}
