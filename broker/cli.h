/* SPDX-License-Identifier: MIT */
/*
 * cli.h - subcommands that judge without running a command: policy check,
 * policy show, test, explain, shell-init. Each takes argv from its own
 * name on and returns the exit status.
 */
#ifndef DLP_BROKER_CLI_H
#define DLP_BROKER_CLI_H

/* dlpjail itself refused to run (usage, a broken policy file, no profile):
 * the command was never started. Documented in dlpjail(1) EXIT STATUS. */
#define DLP_EXIT_REFUSED 125

int brk_cli_policy(int argc, char **argv);
int brk_cli_test(int argc, char **argv);
int brk_cli_explain(int argc, char **argv);
int brk_cli_shell_init(int argc, char **argv);

#endif /* DLP_BROKER_CLI_H */
