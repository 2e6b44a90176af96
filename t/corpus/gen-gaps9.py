#!/usr/bin/env python3
# gen-gaps9.py - branch unsep-gaps: detector patterns (no known value)
# cut in the ways the separated-token decoder (broker/scan/dec_unsep.c)
# missed: in only two or three places into uneven parts, in uneven groups
# (3, then 5, then 4 characters...), an AWS key id of capitals alone cut
# every 3 or 4, and cuts by mixed separators, each by '_', '-', '.', ':',
# ',', ';' and '|' behind a label.
# And their close negatives, which must pass: dates and times, versions,
# UUIDs, paths, CSV rows, snake_case and SCREAMING_SNAKE identifiers,
# kebab-case package names with digits, MAC and IPv6 addresses, dotted
# hostnames, and a token whose checksum is wrong cut the same ways. Writes
# t/corpus/pos/g9NN-<detector>--<how>.bin and t/corpus/benign/g9NN-*.bin,
# deterministic. Run from the top.
import random
import zlib

r = random.Random(9417)
B62 = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"
B32 = "ABCDEFGHIJKLMNOPQRSTUVWXYZ234567"


def crc_token(prefix, ok=True):
    body = "".join(r.choice(B62) for _ in range(30))
    n = zlib.crc32(body.encode()) ^ (0 if ok else 7)
    tail = ""
    for _ in range(6):
        tail = B62[n % 62] + tail
        n //= 62
    return prefix + body + tail


def akia(digits=True):
    al = B32 if digits else B32[:26]
    return "AKIA" + "".join(r.choice(al) for _ in range(16))


def cut(tok, sizes, seps):
    """tok cut into groups of sizes (repeated), joined by seps (cycled)"""
    parts, i, k = [], 0, 0
    while i < len(tok):
        n = sizes[k % len(sizes)]
        parts.append(tok[i:i + n])
        i += n
        k += 1
    out = parts[0]
    for j, p in enumerate(parts[1:]):
        out += seps[j % len(seps)] + p
    return out


def parts3(tok):
    a = r.randint(6, len(tok) // 2)
    b = r.randint(a + 4, len(tok) - 4)
    return [a, b - a, len(tok) - b]


LABELS = ("token=%s\n", '{"key": "%s"}\n', "export X=%s\n", "id: %s\n")
SEPS = "_-.:,;|"
MAKERS = (("github-pat", lambda: crc_token("ghp_")), ("npm-token", lambda: crc_token("npm_")),
          ("aws-access-key-id", akia))
n = 0
for det, make in MAKERS:
    for sep in SEPS:
        for how, sizes in (("parts3", None), ("uneven354", [3, 5, 4]), ("uneven627", [6, 2, 7])):
            tok = make()
            s = cut(tok, sizes or parts3(tok), sep)
            with open("t/corpus/pos/g9%02d-%s--%s-%s.bin" % (n, det, how, hex(ord(sep))), "w") as o:
                o.write(r.choice(LABELS) % s)
            n += 1
for sep in "_-.":
    for k in (3, 4):
        with open("t/corpus/pos/g9%02d-aws-access-key-id--caps%d-%s.bin" % (n, k, hex(ord(sep))), "w") as o:
            o.write(r.choice(LABELS) % cut(akia(False), [k], sep))
        n += 1
for seps in ("-_.:", "_-", ".:|", ",;"):
    with open("t/corpus/pos/g9%02d-github-pat--mixed.bin" % n, "w") as o:
        o.write(r.choice(LABELS) % cut(crc_token("ghp_"), [r.choice((3, 4, 5))], seps))
    n += 1

BENIGN = [
    "date,time,value\n2024-01-15,12:30:45,17\n2023-11-02,08:05:59,3\n2025-07-31,23:59:01,12\n",
    "released 1.2.3, then 10.20.30-rc.1 and 2.0.0-beta.12+build.3456 on 2024.05.06\n",
    "request 550e8400-e29b-41d4-a716-446655440000 and 6F9619FF-8B86-D011-B42D-00C04FC964FF\n",
    "/usr/lib/x86_64-linux-gnu/libssl.so.3 /opt/node-v20.11.1-linux-x64/bin/node\n",
    "C:\\Program Files\\node-v18.19.0-win-x64\\node.exe; ./src/lib/v2/util_3d.c\n",
    "id,name,sku,qty\n1001,widget,AB12-CD34-EF56,7\n1002,gadget,ZX98-YW76-VU54,3\n",
    "get_user_by_id_v2 parse_http2_frame_header load_x509_cert_chain_3 utf8_to_utf16_le\n",
    "MAX_RETRY_COUNT_FOR_HTTP2 AWS_DEFAULT_REGION_NAME SSL_CTX_SET_TLSEXT_HOST_NAME\n",
    "ABC_DEF_GHI_JKL_MNO_PQR FOO-BAR-BAZ-QUX-ZAP-ZIP THE.END.FOR.NOW.AND.YOU\n",
    "deps: eslint-plugin-react-hooks-4.6.0 babel-preset-es2015-6.24.1 vue-router-3.6.5\n",
    "mac 00:1A:2B:3C:4D:5E ipv6 2001:0db8:85a3:0000:0000:8a2e:0370:7334 fe80::1ff:fe23:4567:890a\n",
    "host eu-west-1.compute.amazonaws.com api.v2.staging-3.example.co.uk ip-10-0-12-34.ec2.internal\n",
    "key|value|count\nalpha1|beta2|3\ngamma4|delta5|6\nepsilon7|zeta8|9\n",
    "a;b;c;1;2;3;x9;y8;z7;w6;v5;u4 12:34:56:78:90:ab:cd:ef\n",
    "sha: 3f2a9c1-8d4e7b0-a1b2c3d git describe v2.43.0-1-g3f2a9c1 build_2024_01_15_1230\n",
    "phone +1-555-867-5309 ISBN 978-3-16-148410-0 serial SN-2024-00123-A7\n",
]
for i, text in enumerate(BENIGN):
    with open("t/corpus/benign/g9%02d-unsep-lookalike.bin" % i, "w") as o:
        o.write(text)
i = len(BENIGN)
for det, prefix in (("ghp", "ghp_"), ("npm", "npm_")):
    for sep in "_-.":
        tok = crc_token(prefix, ok=False)
        with open("t/corpus/benign/g9%02d-unsep-badcrc-%s.bin" % (i, det), "w") as o:
            o.write("see %s\n" % cut(tok, [3, 5, 4], sep))
        i += 1
        with open("t/corpus/benign/g9%02d-unsep-badcrc-%s.bin" % (i, det), "w") as o:
            o.write("see %s\n" % cut(tok, parts3(tok), sep))
        i += 1
