/* SPDX-License-Identifier: MIT */
/*
 * det_table.h - access to the detector registry (det_table.c).
 * Internal to broker/scan/ and its tests.
 */
#ifndef DLP_BROKER_SCAN_DET_TABLE_H
#define DLP_BROKER_SCAN_DET_TABLE_H

#include <stddef.h>
#include <stdint.h>

#include "broker/scan/detect.h"

extern const struct brk_scan_det brk_scan_detectors[];
extern const size_t brk_scan_ndetectors;

/* The entry with this id, or NULL. */
const struct brk_scan_det *brk_scan_det_find(const char *id);

/*
 * Run the check of every specific (not generic) detector at each of its
 * anchors that starts in buf[lo, hi) (buf[0, len) is what is known; final
 * as for a check): the index of the first detector whose check answers
 * want (BRK_SCAN_CHK_YES, BRK_SCAN_CHK_MORE), or -1.
 */
int brk_scan_det_specific_at(const uint8_t *buf, size_t len, size_t lo, size_t hi, int final,
			     int want);

#endif /* DLP_BROKER_SCAN_DET_TABLE_H */
