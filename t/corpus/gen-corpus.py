#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
#
# gen-corpus.py - builds t/corpus/pos/ and t/corpus/benign/ for
# t/unit/scan_corpus_test.c (and bench/scan/run).
#
# Positives: every detector's positive samples (parsed from
# broker/scan/det_table.c, so a new detector is covered automatically),
# carried in headers, query strings, JSON, forms and multipart bodies,
# through every decoder and compressor, nested, and as "-split" files that
# the test feeds as a stream in 3-byte writes. File name:
# NNNN-<detector>--<how>[-split].bin.
#
# Benign: what package managers really send and receive, taken from a real
# npm install (run bench/scan/run --setup, or pass --npm-dir DIR with a
# node_modules and an npm cache): packuments as the registry sent them
# (sha512- integrity strings, tarball URLs, readmes), package-lock.json,
# tarballs (gzip), minified JS, plus git SHAs, UUIDs, PGP public keys
# (Debian keyrings), CDN URLs with SRI hashes, PNG images and typical npm
# request headers. Deterministic for a given input (fixed seed).
#
# Usage: t/corpus/gen-corpus.py [--npm-dir DIR] [--out DIR] [--max-file BYTES]
import argparse
import base64
import binascii
import glob
import gzip
import hashlib
import io
import json
import os
import random
import re
import subprocess
import sys
import tarfile
import urllib.parse
import uuid
import zlib

HERE = os.path.dirname(os.path.abspath(__file__))
TOP = os.path.dirname(os.path.dirname(HERE))


def c_unescape(s):
    out = bytearray()
    i = 0
    while i < len(s):
        c = s[i]
        if c != '\\':
            out += c.encode()
            i += 1
            continue
        n = s[i + 1]
        if n == 'x':
            out.append(int(s[i + 2:i + 4], 16))
            i += 4
        else:
            out += {'n': b'\n', 'r': b'\r', 't': b'\t', '"': b'"', '\\': b'\\'}.get(n, n.encode())
            i += 2
    return bytes(out)


def detectors():
    src = open(os.path.join(TOP, 'broker/scan/det_table.c')).read()
    dets = []
    for ent in src.split('\t{\n\t\t.id = ')[1:]:
        did = ent.split('"')[1]
        pos = ent.split('.pos = BRK_SCAN_LIST(')[1].split('),\n')[0]
        vals = [c_unescape(m) for m in re.findall(r'"((?:[^"\\]|\\.)*)"', pos)]
        dets.append((did, vals))
    return dets


# ---- compressors -------------------------------------------------------

def brotli(data):
    js = "const z=require('zlib');let b=[];process.stdin.on('data',d=>b.push(d));" \
         "process.stdin.on('end',()=>process.stdout.write(z.brotliCompressSync(Buffer.concat(b))))"
    return subprocess.run(['node', '-e', js], input=data, capture_output=True, check=True).stdout


def zstd(data):
    return subprocess.run(['zstd', '-q', '-c'], input=data, capture_output=True, check=True).stdout


def raw_deflate(data):
    c = zlib.compressobj(9, zlib.DEFLATED, -15)
    return c.compress(data) + c.flush()


# ---- carriers and encodings ---------------------------------------------

def http(method, path, headers, body=b''):
    h = '%s %s HTTP/1.1\r\nHost: api.example.net\r\nUser-Agent: node\r\n' % (method, path)
    for k, v in headers:
        h += '%s: %s\r\n' % (k, v)
    if body:
        h += 'Content-Length: %d\r\n' % len(body)
    return h.encode('latin1') + b'\r\n' + body


def b64(x, url=False, pad=True, wrap=0):
    s = (base64.urlsafe_b64encode(x) if url else base64.b64encode(x))
    if not pad:
        s = s.rstrip(b'=')
    if wrap:
        s = b'\r\n'.join(s[i:i + wrap] for i in range(0, len(s), wrap))
    return s


def pct_all(x):
    return ''.join('%%%02X' % c for c in x).encode()


def json_u(x):
    return ''.join('\\u%04x' % c for c in x).encode()


def html_ent(x):
    return ''.join(('&#%d;' % c) if i % 2 else ('&#x%x;' % c) for i, c in enumerate(x)).encode()


def qp(x):
    out, col = b'', 0
    for c in x:
        t = b'=%02X' % c if (c in b'=_-' or c < 32 or c > 126) else bytes([c])
        if col + len(t) > 72:
            out += b'=\r\n'
            col = 0
        out += t
        col += len(t)
    return out


def jbody(v):
    return json.dumps({'name': 'pkg', 'env': {'CI': 'true', 'DATA': v.decode('latin1')}}).encode()


def multipart(parts):
    b = b''
    for hdrs, body in parts:
        b += b'--XbOuNdArY\r\n' + hdrs + b'\r\n\r\n' + body + b'\r\n'
    return b + b'--XbOuNdArY--\r\n'


PNGISH = bytes(range(256)) * 4 + b'\x89PNG\r\n\x1a\n\xff\xfe\x00'

TRANSFORMS = [
    ('header', lambda v: http('GET', '/v1/x', [('X-Debug', v.decode('latin1'))])),
    ('query', lambda v: http('GET', '/c?d=' + urllib.parse.quote(v, safe='') + '&x=1', [])),
    ('json', lambda v: http('POST', '/collect', [('Content-Type', 'application/json')], jbody(v))),
    ('form', lambda v: http('POST', '/f', [('Content-Type', 'application/x-www-form-urlencoded')],
                            b'a=1&blob=' + urllib.parse.quote_plus(v).encode() + b'&z=2')),
    ('multipart', lambda v: http('POST', '/up', [('Content-Type', 'multipart/form-data; boundary=XbOuNdArY')],
                                 multipart([(b'Content-Disposition: form-data; name="img"; filename="a.png"', PNGISH),
                                            (b'Content-Disposition: form-data; name="t"', v)]))),
    ('base64', lambda v: http('POST', '/collect', [], jbody(b64(v)))),
    ('base64url-nopad', lambda v: http('GET', '/p?q=' + b64(v, url=True, pad=False).decode(), [])),
    ('base64-wrap76', lambda v: b'Content-Transfer-Encoding: base64\r\n\r\n' + b64(v + b'\n' + b'x' * 120, wrap=76)),
    ('hex', lambda v: http('GET', '/h', [('X-Trace', binascii.hexlify(v).decode().upper())])),
    ('percent-all', lambda v: http('GET', '/p?v=' + pct_all(v).decode(), [])),
    ('json-unicode', lambda v: b'{"d":"' + json_u(v) + b'"}'),
    ('html-entities', lambda v: b'<input type="hidden" value="' + html_ent(v) + b'">'),
    ('quoted-printable', lambda v: b'Content-Transfer-Encoding: quoted-printable\r\n\r\n' + qp(v)),
    ('gzip-ce', lambda v: http('POST', '/g', [('Content-Encoding', 'gzip')], gzip.compress(jbody(v)))),
    ('deflate-ce', lambda v: http('POST', '/g', [('Content-Encoding', 'deflate')], zlib.compress(jbody(v)))),
    ('rawdeflate-ce', lambda v: http('POST', '/g', [('Content-Encoding', 'deflate')], raw_deflate(jbody(v)))),
    ('brotli-ce', lambda v: http('POST', '/g', [('Content-Encoding', 'br')], brotli(jbody(v)))),
    ('zstd-ce', lambda v: http('POST', '/g', [('Content-Encoding', 'zstd')], zstd(jbody(v)))),
    ('gzip-no-ce', lambda v: http('POST', '/g', [], gzip.compress(v))),
    ('gzip-ce-lies', lambda v: http('POST', '/g', [('Content-Encoding', 'identity')], gzip.compress(v))),
    ('base64-gzip', lambda v: http('POST', '/g', [], b'payload=' + b64(gzip.compress(v)))),
    ('gzip-gzip', lambda v: gzip.compress(gzip.compress(v))),
    ('entity-base64', lambda v: b'<p>' + html_ent(b64(v)) + b'</p>'),
    ('base64x3', lambda v: b64(b64(b64(v)), url=True, pad=False)),
    ('hex-base64-zstd', lambda v: binascii.hexlify(b64(zstd(v)))),
    ('brotli-base64-json', lambda v: b'{"blob":"' + b64(brotli(jbody(v))) + b'"}'),
    ('invalid-utf8', lambda v: b'\xff\xfe\xc3\x28' + PNGISH + v + b'\xff'),
    ('split-json', lambda v: http('POST', '/s', [], jbody(v))),
    ('split-base64', lambda v: b'data=' + b64(v)),
    ('split-gzip', lambda v: http('POST', '/s', [('Content-Encoding', 'gzip')], gzip.compress(jbody(v)))),
]


def gen_pos(out, per_det):
    d = os.path.join(out, 'pos')
    os.makedirs(d, exist_ok=True)
    n = 0
    T = len(TRANSFORMS)
    for i, (did, vals) in enumerate(detectors()):
        for k in range(per_det):
            name, fn = TRANSFORMS[(i * per_det + k) % T]
            v = vals[k % len(vals)]
            data = fn(v)
            suffix = '-split' if name.startswith('split') else ''
            fn_ = '%04d-%s--%s%s.bin' % (n, did, name.replace('split-', ''), suffix)
            open(os.path.join(d, fn_), 'wb').write(data)
            n += 1
    return n


# ---- benign ------------------------------------------------------------

def cache_entries(cache):
    """(key, path) of npm's content cache (index-v5 -> content-v2)."""
    res = []
    for f in glob.glob(os.path.join(cache, 'index-v5', '*', '*', '*')):
        for line in open(f, errors='replace'):
            try:
                ent = json.loads(line.split('\t', 1)[1])
            except Exception:
                continue
            integ = ent.get('integrity', '')
            if not integ.startswith('sha512-'):
                continue
            h = base64.b64decode(integ[7:]).hex()
            p = os.path.join(cache, 'content-v2', 'sha512', h[:2], h[2:4], h[4:])
            if os.path.exists(p):
                res.append((ent.get('key', ''), p))
    return sorted(set(res))


def gen_benign(out, npm_dir, maxf):
    d = os.path.join(out, 'benign')
    os.makedirs(d, exist_ok=True)
    rnd = random.Random(1)
    items = []

    def add(kind, data):
        items.append((kind, data[:maxf]))

    cache = os.path.join(npm_dir, '.npm-cache', '_cacache')
    if not os.path.isdir(cache):
        cache = os.path.expanduser('~/.npm/_cacache')
    ents = cache_entries(cache)
    packs = [(k, p) for k, p in ents if 'registry.npmjs.org' in k and not k.endswith('.tgz')]
    tgzs = [(k, p) for k, p in ents if k.endswith('.tgz')]
    for k, p in packs[:90]:
        body = open(p, 'rb').read()
        add('packument', body)
        if len(items) % 3 == 0:
            z = gzip.compress(body[:maxf])
            add('packument-http-gzip', b'HTTP/1.1 200 OK\r\nContent-Type: application/vnd.npm.install-v1+json\r\n'
                b'Content-Encoding: gzip\r\nContent-Length: %d\r\n\r\n' % len(z) + z)
    for k, p in tgzs[:40]:
        add('tarball', open(p, 'rb').read())
    # minified / bundled JS and package.json files from node_modules
    nm = os.path.join(npm_dir, 'node_modules')
    js = sorted(glob.glob(os.path.join(nm, '**', '*.min.js'), recursive=True))
    js += sorted(glob.glob(os.path.join(nm, '*', 'dist', '*.js')))
    for p in js[:50]:
        add('minified-js', open(p, 'rb').read())
    pj = sorted(glob.glob(os.path.join(nm, '*', 'package.json')))
    for p in pj[:30]:
        add('package-json', open(p, 'rb').read())
    lock = os.path.join(npm_dir, 'package-lock.json')
    if os.path.exists(lock):
        lk = open(lock, 'rb').read()
        for i in range(20):
            add('package-lock', lk[i * len(lk) // 20:(i + 1) * len(lk) // 20 + 4096])
    # npm requests as the client sends them
    names = [os.path.basename(os.path.dirname(p)) for p in pj] or ['left-pad']
    for i in range(30):
        n = names[i % len(names)]
        sess = '%016x' % rnd.getrandbits(64)
        add('npm-request', ('GET /%s HTTP/1.1\r\nHost: registry.npmjs.org\r\nuser-agent: npm/10.8.2 node/v20.20.2 linux x64 workspaces/false\r\n'
                            'npm-command: install\r\nnpm-session: %s\r\npacote-version: 18.0.6\r\npacote-req-type: packument\r\n'
                            'accept: application/vnd.npm.install-v1+json; q=1.0, application/json; q=0.8, */*\r\n'
                            'accept-encoding: gzip,deflate\r\nconnection: keep-alive\r\n\r\n' % (n, sess)).encode())
    # npm audit bulk body, gzip
    for i in range(10):
        bulk = {names[(i + j) % len(names)]: ['1.%d.%d' % (j, i)] for j in range(40)}
        z = gzip.compress(json.dumps(bulk).encode())
        add('npm-audit', b'POST /-/npm/v1/security/advisories/bulk HTTP/1.1\r\nHost: registry.npmjs.org\r\n'
            b'content-encoding: gzip\r\ncontent-type: application/json\r\ncontent-length: %d\r\n\r\n' % len(z) + z)
    # git: SHAs everywhere
    for i in range(20):
        lines = []
        for j in range(200):
            sha = hashlib.sha1(b'%d-%d' % (i, j)).hexdigest()
            lines.append('%04x%s refs/heads/branch-%d\n' % (len(sha) + 25, sha, j))
        add('git-refs', ''.join(lines).encode())
    # UUIDs and request ids
    for i in range(20):
        rows = [{'id': str(uuid.UUID(int=rnd.getrandbits(128))), 'request_id': '%032x' % rnd.getrandbits(128),
                 'trace': str(uuid.UUID(int=rnd.getrandbits(128), version=4)), 'ts': 1700000000 + j}
                for j in range(100)]
        add('uuids', json.dumps(rows).encode())
    # PGP public keys (Debian keyrings, ASCII-armored)
    for p in sorted(glob.glob('/usr/share/keyrings/*.gpg'))[:12]:
        raw = open(p, 'rb').read()
        body = b64(raw, wrap=64)
        add('pgp-public-key', b'-----BEGIN PGP PUBLIC KEY BLOCK-----\n\n' + body + b'\n-----END PGP PUBLIC KEY BLOCK-----\n')
    # CDN URLs with SRI hashes
    for i in range(20):
        tags = []
        for j in range(30):
            n = names[(i * 7 + j) % len(names)]
            sri = base64.b64encode(hashlib.sha384(b'%s%d' % (n.encode(), j)).digest()).decode()
            tags.append('<script src="https://cdn.jsdelivr.net/npm/%s@1.%d.0/dist/%s.min.js" integrity="sha384-%s" '
                        'crossorigin="anonymous"></script>' % (n, j, n, sri))
            tags.append('https://unpkg.com/%s@%d.0.%d/index.js' % (n, i, j))
        add('cdn-urls', '\n'.join(tags).encode())
    # images
    imgs = sorted(glob.glob('/usr/share/**/*.png', recursive=True))[:30]
    for p in imgs:
        add('image', open(p, 'rb').read())
    for p in imgs[:10]:
        add('image-multipart', http('POST', '/upload', [('Content-Type', 'multipart/form-data; boundary=XbOuNdArY')],
                                    multipart([(b'Content-Disposition: form-data; name="f"; filename="i.png"\r\n'
                                                b'Content-Type: image/png', open(p, 'rb').read())])))
    for i, (kind, data) in enumerate(items):
        open(os.path.join(d, '%04d-%s.bin' % (i, kind)), 'wb').write(data)
    return len(items)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument('--npm-dir', default='/tmp/dlpjail-bench-npm')
    ap.add_argument('--out', default=HERE)
    ap.add_argument('--per-detector', type=int, default=5)
    ap.add_argument('--max-file', type=int, default=256 * 1024)
    a = ap.parse_args()
    for sub in ('pos', 'benign'):
        for f in glob.glob(os.path.join(a.out, sub, '*.bin')):
            os.unlink(f)
    npos = gen_pos(a.out, a.per_detector)
    nben = gen_benign(a.out, a.npm_dir, a.max_file)
    print('corpus: %d positive, %d benign payloads in %s' % (npos, nben, a.out))


if __name__ == '__main__':
    main()
