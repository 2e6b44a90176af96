/* SPDX-License-Identifier: MIT */
/* check_dlp.c - runs every core unit suite (the table below). */
#include "config.h"

#include <stdlib.h>

#include "common/dlp_err.h"
#include "t/unit/suites.h"

static Suite *(*const suites[])(void) = {
	wire_suite,
	addr_suite,
	policy_suite,
	event_suite,
	tls_ca_suite,
};

int main(void)
{
	SRunner *sr = srunner_create(NULL);
	size_t i;
	int failed;

	for (i = 0; i < DLP_ARRAY_SIZE(suites); i++)
		srunner_add_suite(sr, suites[i]());
	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
