#!/usr/bin/env python3
# gaps9.py - for t/e2e/417-detect-unsep-uneven.sh (branch unsep-gaps): a
# GitHub PAT, an npm token (valid CRC32 tails) and an AWS key id of
# capitals alone, made up here and told to no one (the detectors' patterns
# alone), drawn fresh per run, cut the ways the separated-token decoder
# missed: in two places into three uneven parts, in groups of 3, 5, 4 and
# of 6, 2, 7, every 3 or 4 (the key id), by '-', '_' or '.'. POSTs each to
# http://127.0.0.1:PORT, then the close negatives (the same cuts of tokens
# whose checksum is wrong, dates, versions, UUIDs, paths, CSV, snake_case)
# that must go out. Prints "NAME:HOW sent|blocked", writes every body, hex,
# one a line, to BODIES, the token values to BODIES.values.
# usage: gaps9.py send PORT BODIES | body HOW FILE | leaked LOG BODIES
import random
import sys
import gaps8
from kpost import leaked, post

R = random.SystemRandom()


def crc_token(prefix, ok=True):
    return gaps8.crc_token(prefix, ok).decode()


def cut(tok, sizes, sep):
    parts, i, k = [], 0, 0
    while i < len(tok):
        n = sizes[k % len(sizes)]
        parts.append(tok[i:i + n])
        i += n
        k += 1
    return sep.join(parts)


def parts3(tok):
    a = R.randint(6, len(tok) // 2)
    b = R.randint(a + 4, len(tok) - 4)
    return [a, b - a, len(tok) - b]


FORMS = {
    "parts3-dash": lambda t: cut(t, parts3(t), "-"),
    "parts3-dot": lambda t: cut(t, parts3(t), "."),
    "uneven354-underscore": lambda t: cut(t, [3, 5, 4], "_"),
    "uneven627-dash": lambda t: cut(t, [6, 2, 7], "-"),
}
AKIA_FORMS = {
    "every3-underscore": lambda t: cut(t, [1, 3], "_"),
    "every4-underscore": lambda t: cut(t, [1, 4], "_"),
    "uneven354-dot": lambda t: cut(t, [3, 5, 4], "."),
}


def akia():
    return "AKIA" + "".join(R.choice("ABCDEFGHIJKLMNOPQRSTUVWXYZ") for _ in range(16))


def secrets():
    return {"pat": crc_token("ghp_"), "npm": crc_token("npm_"), "aws": akia()}


def sends(sec):
    for name in ("pat", "npm"):
        for how, f in FORMS.items():
            yield name, how, f(sec[name])
    for how, f in AKIA_FORMS.items():
        yield "aws", how, f(sec["aws"])


NEGATIVES = {
    "dates": "2024-01-15,12:30:45,17 2023-11-02T08:05:59Z 2025.07.31",
    "versions": "1.2.3 10.20.30-rc.1 2.0.0-beta.12+build.3456 v2.43.0-1-g3f2a9c1",
    "uuid": "550e8400-e29b-41d4-a716-446655440000",
    "paths": "/usr/lib/x86_64-linux-gnu/libssl.so.3 ./src/lib/v2/util_3d.c",
    "csv": "id,name,sku,qty\n1001,widget,AB12-CD34-EF56,7\n",
    "snake": "get_user_by_id_v2 MAX_RETRY_COUNT_FOR_HTTP2 eslint-plugin-react-hooks-4.6.0",
}


def main():
    if sys.argv[1] == "leaked":
        return leaked(sys.argv[2], sys.argv[3])
    sec = secrets()
    if sys.argv[1] == "body":
        open(sys.argv[3], "w").write("token=%s\n" % FORMS[sys.argv[2]](sec["pat"]))
        return 0
    port, out = int(sys.argv[2]), open(sys.argv[3], "w")
    with open(sys.argv[3] + ".values", "w") as f:
        f.write("".join(v + "\n" for v in sec.values()))
    for name, how, s in sends(sec):
        body = ("token=%s\n" % s).encode()
        out.write("%s:%s %s\n" % (name, how, body.hex()))
        out.flush()
        print("%s:%s %s" % (name, how, "sent" if post(port, body) else "blocked"), flush=True)
    for how, f in FORMS.items():
        for prefix in ("ghp_", "npm_"):
            body = ("see %s\n" % f(crc_token(prefix, ok=False))).encode()
            print("clean:badcrc-%s%s %s" % (prefix, how, "sent" if post(port, body) else "blocked"),
                  flush=True)
    for how, text in NEGATIVES.items():
        print("clean:%s %s" % (how, "sent" if post(port, text.encode()) else "blocked"), flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
