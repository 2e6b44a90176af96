#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
# unredacted.py VALUES LOG... - exit 1 when a value of VALUES (one a line)
# or 12 characters from its middle is in one of the logs (events, the
# jail's stderr): what the t/e2e detection tests check of redaction.
import sys

logs = "".join(open(p, errors="replace").read() for p in sys.argv[2:])
sys.exit(any(v in logs or v[8:20] in logs for v in open(sys.argv[1]).read().split()))
