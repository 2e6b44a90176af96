/* SPDX-License-Identifier: MIT */
/* check_swap.c - runs the secretless jail's Check suites (broker/swap.c, placeholder.c). */
#include "config.h"

#include <check.h>
#include <stdlib.h>

Suite *swap_suite(void);

static Suite *(*const brk_swap_suites[])(void) = {
	swap_suite,
};

int main(void)
{
	SRunner *sr = srunner_create(NULL);
	size_t i;
	int failed;

	for (i = 0; i < sizeof(brk_swap_suites) / sizeof(brk_swap_suites[0]); i++)
		srunner_add_suite(sr, brk_swap_suites[i]());
	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
