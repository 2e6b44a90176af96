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


def gz(data):
    return gzip.compress(data, mtime=0)  # deterministic: no time stamp


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


def smtp(cte, body):
    return (b'EHLO ci.example.test\r\nMAIL FROM:<ci@example.test>\r\nRCPT TO:<x@example.net>\r\nDATA\r\n'
            b'From: ci@example.test\r\nSubject: build log\r\nMIME-Version: 1.0\r\n'
            b'Content-Type: multipart/mixed; boundary="=_b0"\r\n\r\n--=_b0\r\n'
            b'Content-Type: text/plain\r\n' + cte + b'\r\n\r\n' + body + b'\r\n--=_b0--\r\n.\r\nQUIT\r\n')


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
    ('gzip-ce', lambda v: http('POST', '/g', [('Content-Encoding', 'gzip')], gz(jbody(v)))),
    ('deflate-ce', lambda v: http('POST', '/g', [('Content-Encoding', 'deflate')], zlib.compress(jbody(v)))),
    ('rawdeflate-ce', lambda v: http('POST', '/g', [('Content-Encoding', 'deflate')], raw_deflate(jbody(v)))),
    ('brotli-ce', lambda v: http('POST', '/g', [('Content-Encoding', 'br')], brotli(jbody(v)))),
    ('zstd-ce', lambda v: http('POST', '/g', [('Content-Encoding', 'zstd')], zstd(jbody(v)))),
    ('gzip-no-ce', lambda v: http('POST', '/g', [], gz(v))),
    ('gzip-ce-lies', lambda v: http('POST', '/g', [('Content-Encoding', 'identity')], gz(v))),
    ('base64-gzip', lambda v: http('POST', '/g', [], b'payload=' + b64(gz(v)))),
    ('gzip-gzip', lambda v: gz(gz(v))),
    ('entity-base64', lambda v: b'<p>' + html_ent(b64(v)) + b'</p>'),
    ('base64x3', lambda v: b64(b64(b64(v)), url=True, pad=False)),
    ('hex-base64-zstd', lambda v: binascii.hexlify(b64(zstd(v)))),
    ('brotli-base64-json', lambda v: b'{"blob":"' + b64(brotli(jbody(v))) + b'"}'),
    ('invalid-utf8', lambda v: b'\xff\xfe\xc3\x28' + PNGISH + v + b'\xff'),
    # URL path segments (issue 12): the '/' around a base64url segment is
    # itself a base64 character
    ('path-base64url', lambda v: http('GET', '/v1/t/' + b64(v, url=True, pad=False).decode() + '/pixel.gif', [])),
    ('path-base64', lambda v: http('GET', '/a/' + urllib.parse.quote(b64(v), safe='/') + '/b', [])),
    ('path-hex', lambda v: http('GET', '/c/' + binascii.hexlify(v).decode() + '.png', [])),
    ('path-percent', lambda v: http('GET', '/d/' + pct_all(v).decode() + '/x', [])),
    ('base64x2', lambda v: http('POST', '/collect', [], b'd=' + b64(b64(v)))),
    ('base64x3-json', lambda v: b'{"v":"' + b64(b64(b64(v))) + b'"}'),
    ('hex-base64', lambda v: http('POST', '/h', [], binascii.hexlify(b64(v)))),
    ('mime-qp-part', lambda v: http('POST', '/m', [('Content-Type', 'multipart/mixed; boundary="XbOuNdArY"')],
                                    multipart([(b'Content-Type: text/plain; charset=utf-8\r\n'
                                                b'Content-Transfer-Encoding: quoted-printable', qp(b'note: ' + v))]))),
    ('mime-base64-part', lambda v: http('POST', '/m', [('Content-Type', 'multipart/related; boundary=XbOuNdArY')],
                                        multipart([(b'Content-Type: application/octet-stream\r\n'
                                                    b'Content-Transfer-Encoding: base64', b64(b'x\n' + v + b'\n', wrap=76))]))),
    ('smtp-base64', lambda v: smtp(b'Content-Transfer-Encoding: base64', b64(b'hi,\n' + v + b'\n', wrap=76))),
    ('smtp-qp', lambda v: smtp(b'Content-Transfer-Encoding: quoted-printable', qp(b'hi, ' + v))),
    ('cookie', lambda v: http('GET', '/', [('Cookie', '_ga=GA1.2.3; d=' + urllib.parse.quote(v, safe='') + '; x=1')])),
    ('xml', lambda v: b'<?xml version="1.0"?><config><item>' +
     v.replace(b'&', b'&amp;').replace(b'<', b'&lt;').replace(b'>', b'&gt;') + b'</item></config>'),
    ('split-json', lambda v: http('POST', '/s', [], jbody(v))),
    ('split-base64', lambda v: b'data=' + b64(v)),
    ('split-gzip', lambda v: http('POST', '/s', [('Content-Encoding', 'gzip')], gz(jbody(v)))),
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


# ---- credentials known by their key name (issue 12) ---------------------

def keyed_values(rnd):
    """(detector, [key names], value generator) for values with no shape of
    their own: only the key says what they are."""
    def uid():
        return str(uuid.UUID(int=rnd.getrandbits(128), version=4))

    def hex32():
        return '%032x' % rnd.getrandbits(128)

    def azkey():
        return base64.b64encode(bytes(rnd.getrandbits(8) for _ in range(64))).decode()

    def userpass():
        pw = ''.join(rnd.choice('abcdefghijkmnpqrstuvwxyzABCDEFGHJKLMNPQRSTUVWXYZ23456789') for _ in range(18))
        return base64.b64encode(('ci-%d:%s' % (rnd.randrange(99), pw)).encode()).decode()

    def generic():
        return ''.join(rnd.choice('abcdefghijkmnpqrstuvwxyzABCDEFGHJKLMNPQRSTUVWXYZ0123456789') for _ in range(32))
    return [
        ('npm-token-legacy', ['_authToken', 'NPM_TOKEN', 'npmAuthToken', 'npm_auth_token', 'NODE_AUTH_TOKEN'], uid),
        ('heroku-api-key-legacy', ['HEROKU_API_KEY', 'herokuApiKey', 'heroku_api_token', 'heroku-api-key'], uid),
        ('twilio-auth-token', ['TWILIO_AUTH_TOKEN', 'authToken', 'auth_token', 'AuthToken', 'twilio_auth_token'], hex32),
        ('azure-storage-key', ['AccountKey', 'accountKey', 'storage_account_key', 'AZURE_STORAGE_KEY', 'account-key'], azkey),
        ('npm-auth-basic', ['_auth'], userpass),
        ('generic-secret', ['api_secret', 'session_token', 'client_secret', 'password', 'apiKey'], generic),
        ('generic-secret', ['api_key', 'csrf_token', 'webhook_secret'], lambda: '%040x' % rnd.getrandbits(160)),
        ('generic-secret', ['session_token', 'secret'], lambda: generic()[:20] + '.' + generic()[:22]),
    ]


def cookie_name(k):
    return k.replace('session', 'api').replace('csrf', 'api')


KEYED_CARRIERS = [
    ('json', lambda k, v: http('POST', '/c', [('Content-Type', 'application/json')],
                               json.dumps({'name': 'x', 'cfg': {k: v}}).encode())),
    ('json-in-json', lambda k, v: json.dumps({'payload': json.dumps({k: v})}).encode()),
    ('xml', lambda k, v: ('<?xml version="1.0"?><settings><%s>%s</%s></settings>' % (k, v, k)).encode()),
    ('form', lambda k, v: http('POST', '/f', [('Content-Type', 'application/x-www-form-urlencoded')],
                               ('a=1&%s=%s&z=2' % (k, urllib.parse.quote_plus(v))).encode())),
    ('header', lambda k, v: http('GET', '/', [('X-' + k.replace('_', '-'), v)] if not k.startswith('_')
                                 else [('X-Npmrc', '//npm.example.net/:%s=%s' % (k, v))])),
    # session and CSRF cookies are the site's own (benign, see
    # gen_close_negatives): a secret-named cookie is the client's
    ('cookie', lambda k, v: http('GET', '/', [('Cookie', 'sid=1; %s=%s; theme=dark' % (cookie_name(k), urllib.parse.quote(v, safe='')))])),
    ('npmrc', lambda k, v: ('registry=https://npm.example.net/\n//npm.example.net/:%s=%s\n' % (k, v)).encode()),
    ('hex-base64', lambda k, v: binascii.hexlify(b64(('%s=%s' % (k, v)).encode()))),
    ('base64x2', lambda k, v: b'x=' + b64(b64(('%s: %s' % (k, v)).encode()))),
    # fed in 3-byte writes by the test (the "-split" suffix)
    ('json-split', lambda k, v: http('POST', '/s', [('Content-Type', 'application/json')],
                                     json.dumps({k: v}).encode())),
    ('cookie-split', lambda k, v: http('GET', '/', [('Cookie', '%s=%s' % (cookie_name(k), urllib.parse.quote(v, safe='')))])),
]


def gen_keyed(out, n):
    d = os.path.join(out, 'pos')
    rnd = random.Random(12)
    for did, keys, val in keyed_values(rnd):
        for ci, (cname, fn) in enumerate(KEYED_CARRIERS):
            for r in range(2):
                k = keys[(ci + r) % len(keys)]
                data = fn(k, val())
                name = 'keyed-' + cname.replace('-split', '') + ('-split' if cname.endswith('-split') else '')
                open(os.path.join(d, '%04d-%s--%s.bin' % (n, did, name)), 'wb').write(data)
                n += 1
    return n


def gen_close_negatives(out):
    """Benign look-alikes of the classes above: UUIDs and hex digests under
    ordinary keys, public analytics keys, base64 images, SRI and npm
    integrity strings, git SHAs and digests in URL paths."""
    d = os.path.join(out, 'benign')
    rnd = random.Random(13)
    items = []

    def uid():
        return str(uuid.UUID(int=rnd.getrandbits(128), version=4))
    for i in range(8):
        pkgs = {'node_modules/p%d' % j: {'version': '1.0.%d' % j, 'resolved': 'https://registry.npmjs.org/p%d/-/p%d-1.0.%d.tgz' % (j, j, j),
                                          'integrity': 'sha512-' + base64.b64encode(hashlib.sha512(b'%d%d' % (i, j)).digest()).decode(),
                                          'id': uid(), 'key': uid()} for j in range(60)}
        items.append(('lock-uuids', json.dumps({'lockfileVersion': 3, 'packages': pkgs}, indent=2).encode()))
    for i in range(8):
        cfg = {'key': uid(), 'writeKey': uid(), 'projectId': uid(), 'clientId': uid(), 'measurementId': 'G-%08X' % rnd.getrandbits(32),
               'dsn': 'https://%032x@o1.ingest.sentry.io/1' % rnd.getrandbits(128), 'publishableKey': 'pk_live_' + uid()}
        items.append(('analytics-keys', http('POST', '/v1/batch', [('Content-Type', 'application/json')], json.dumps(cfg).encode())))
        items.append(('analytics-xml', ('<config><key>%s</key><token_type>bearer</token_type><sessionId>%s</sessionId></config>'
                                        % (uid(), uid())).encode()))
    for i in range(8):
        digs = {'sha256': hashlib.sha256(b'%d' % i).hexdigest(), 'md5': hashlib.md5(b'%d' % i).hexdigest(),
                'checksum': hashlib.md5(b'c%d' % i).hexdigest(), 'etag': '"%s"' % hashlib.md5(b'e%d' % i).hexdigest(),
                'commit': hashlib.sha1(b'%d' % i).hexdigest(), 'request_id': '%032x' % rnd.getrandbits(128),
                'token_type': 'bearer', 'expires_in': 3600}
        items.append(('hex-digests', json.dumps(digs).encode()))
        items.append(('hex-digests-form', ('md5=%s&trace_id=%032x&token_count=12' % (digs['md5'], rnd.getrandbits(128))).encode()))
    for i in range(8):
        sha = hashlib.sha1(b'p%d' % i).hexdigest()
        dg = hashlib.sha256(b'p%d' % i).hexdigest()
        paths = ['/repos/o/r/commits/' + sha, '/o/r/archive/%s.tar.gz' % sha, '/gh/o/r@%s/dist/x.min.js' % sha,
                 '/v2/library/node/blobs/sha256:' + dg, '/v2/library/node/manifests/sha256:' + dg,
                 '/npm/p@1.0.%d/+esm' % i, '/' + uid() + '/avatar.png', '/_next/static/chunks/%s.js' % dg[:16],
                 '/c/' + base64.urlsafe_b64encode(hashlib.sha256(b'%d' % i).digest()).decode().rstrip('=') + '.webp']
        for pth in paths:
            items.append(('url-path', http('GET', pth, [('Accept', '*/*')])))
    for p in sorted(glob.glob('/usr/share/**/*.png', recursive=True))[30:38]:
        img = open(p, 'rb').read()[:48 * 1024]
        items.append(('data-uri-image', b'<img src="data:image/png;base64,' + base64.b64encode(img) + b'">'))
        items.append(('mime-image', multipart([(b'Content-Type: image/png\r\nContent-Transfer-Encoding: base64', b64(img, wrap=76))])))
    for i in range(6):
        sri = ' '.join('sha384-' + base64.b64encode(hashlib.sha384(b'%d%d' % (i, j)).digest()).decode() for j in range(3))
        items.append(('sri-npm-integrity', ('<link integrity="%s"><x data-integrity="sha512-%s">' %
                                            (sri, base64.b64encode(hashlib.sha512(b'%d' % i).digest()).decode())).encode()))
    for i in range(4):
        body = qp(b'Hello,\n\nyour build %s finished; see https://ci.example.test/b/%s\n' % (uid().encode(), uid().encode()))
        items.append(('smtp-qp-benign', smtp(b'Content-Transfer-Encoding: quoted-printable', body)))
    # session, CSRF and analytics cookies (random by design, the site's own),
    # and secret-named cookies with public or non-random values
    def rtok(n, al='abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789'):
        return ''.join(rnd.choice(al) for _ in range(n))
    for i in range(6):
        jar = ['PHPSESSID=' + rtok(26, 'abcdefghijklmnopqrstuv0123456789'),
               'sessionid=' + rtok(32), 'csrftoken=' + rtok(64), 'sid=' + rtok(24),
               '_ga=GA1.2.%d.%d' % (rnd.getrandbits(30), 1700000000 + i),
               '_gid=GA1.2.%d.%d' % (rnd.getrandbits(30), 1700000000 + i),
               'JSESSIONID=' + rtok(32, '0123456789ABCDEF'), 'XSRF-TOKEN=' + rtok(40),
               '__Secure-next-auth.session-token=' + rtok(48), 'connect.sid=s%3A' + rtok(32) + '.' + rtok(43),
               'token_type=bearer', 'theme=dark', 'auth_provider=github', 'secret_santa=2026',
               'api_key_hint=last4-' + rtok(4), 'cookie_consent=' + uid()]
        rnd.shuffle(jar)
        items.append(('cookie-session', http('GET', '/app/%d' % i, [('Cookie', '; '.join(jar[:9]))])))
        items.append(('cookie-session-h2', ('cookie: %s\r\ncookie: %s\r\n' % ('; '.join(jar[9:]), jar[0])).encode()))
    # stacked encodings of ordinary values (a hex dump of a base64 avatar, an
    # encoded state blob holding only public keys and ids)
    for i in range(6):
        state = json.dumps({'redirect': '/home', 'nonce_id': i, 'token_type': 'bearer',
                            'client_id': 'web-%d' % i, 'password_hint': 'your pet'}).encode()
        items.append(('hex-base64-state', b'state=' + binascii.hexlify(b64(state))))
        items.append(('base64x2-state', b'blob=' + b64(b64(state))))
        img = hashlib.sha512(b'img%d' % i).digest() * 8
        items.append(('hex-base64-image', binascii.hexlify(b64(img))))
    for i, (kind, data) in enumerate(items):
        open(os.path.join(d, 'c%03d-%s.bin' % (i, kind)), 'wb').write(data)
    return len(items)


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
            z = gz(body[:maxf])
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
        z = gz(json.dumps(bulk).encode())
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
    ap.add_argument('--keep-benign', action='store_true',
                    help='keep the npm-derived benign files; rebuild the rest')
    a = ap.parse_args()
    for sub in ('pos', 'benign'):
        for f in glob.glob(os.path.join(a.out, sub, '*.bin')):
            if not (a.keep_benign and sub == 'benign' and not os.path.basename(f).startswith('c')):
                os.unlink(f)
    npos = gen_pos(a.out, a.per_detector)
    npos = gen_keyed(a.out, npos)
    nben = gen_close_negatives(a.out)
    if not a.keep_benign:
        nben += gen_benign(a.out, a.npm_dir, a.max_file)
    print('corpus: %d positive, %d benign payloads in %s' % (npos, nben, a.out))


if __name__ == '__main__':
    main()
