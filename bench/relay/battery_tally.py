# SPDX-License-Identifier: MIT
#
# battery_tally.py - what battery.py and battery_keys.py share: run
# `dlpjail scan --json` over the written bodies and count, per class, how
# many were blocked.
import json
import subprocess


def scan_blocked(cmd, paths):
    """{path: blocked} for each body, from one `dlpjail scan --json` run."""
    out = subprocess.run(cmd + list(paths), capture_output=True).stdout
    got = {}
    for line in out.decode().splitlines():
        o = json.loads(line)
        got[o["file"]] = o["blocked"]
    return got


def tally(files, got):
    """Print caught/total per class and in all; files: (path, class, who).
    Returns the misses as "class/who"."""
    per, tot, miss = {}, [0, 0], []
    for p, cls, who in files:
        c = per.setdefault(cls, [0, 0])
        c[1] += 1
        tot[1] += 1
        if got.get(p):
            c[0] += 1
            tot[0] += 1
        else:
            miss.append("%s/%s" % (cls, who))
    for cls, (g, n) in per.items():
        print("%-22s %d/%d" % (cls, g, n))
    print("TOTAL %d/%d" % tuple(tot))
    return miss
