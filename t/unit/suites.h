/* SPDX-License-Identifier: MIT */
/* suites.h - the Check suites of t/unit/check_dlp, one per module. */
#ifndef DLP_T_UNIT_SUITES_H
#define DLP_T_UNIT_SUITES_H

#include <check.h>

Suite *wire_suite(void);
Suite *addr_suite(void);
Suite *policy_suite(void);
Suite *event_suite(void);
Suite *tls_ca_suite(void);

#endif
