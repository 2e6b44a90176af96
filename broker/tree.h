/* SPDX-License-Identifier: MIT */
/*
 * tree.h - the jailed process tree as one unit: the launcher is its
 * subreaper, and when the command exits whatever it left behind (daemons,
 * setsid + double fork) is killed before the relay and the supervisor stop,
 * so no socket of the tree outlives the inspection of its bytes.
 * Only the launcher calls it. Returns 0 or negative errno.
 */
#ifndef DLP_BROKER_TREE_H
#define DLP_BROKER_TREE_H

/* Before forking the command: orphans of the tree are reparented to us. */
int brk_tree_adopt(void);

/*
 * After the command was reaped: SIGKILL every remaining child (each is a
 * leftover of the tree, reparented to us) until none is left, reaping
 * them. Returns how many were killed. Blocks until they are gone.
 */
unsigned int brk_tree_kill_leftovers(void);

#endif /* DLP_BROKER_TREE_H */
