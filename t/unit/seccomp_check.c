/* SPDX-License-Identifier: MIT */
/*
 * seccomp_check.c - runs the seccomp module's Check suite (broker/seccomp/).
 * Live behaviour is covered by t/seccomp/run.sh.
 */
#include "config.h"

#include <check.h>
#include <stdlib.h>

Suite *seccomp_suite(void);

int main(void)
{
	SRunner *sr = srunner_create(seccomp_suite());
	int failed;

	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
