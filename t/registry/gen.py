#!/usr/bin/env python3
# gen.py - generate the package registry stand-in's data, once, with a fixed seed.
# usage: gen.py OUTDIR [--small]
# OUTDIR/npm/NAME/index.json[.gz] packument (tarball URLs on https://registry.npmjs.org/)
# OUTDIR/npm/NAME/-/FILE.tgz      tarballs
# OUTDIR/pypi/simple/NAME/index.html, OUTDIR/pypi/files/*   a PEP 503 index
# OUTDIR/git/dlpt/hello.git       a bare repository (served as github.com/dlpt/hello.git)
# OUTDIR/packages                 the npm packages a test project depends on
# --small leaves out the big ones (the >10 MB packument, the >20 MB tarball).
# Everything is deterministic (random.Random(SEED)) so a cached copy is reused.
import base64
import hashlib
import io
import json
import os
import random
import subprocess
import sys
import tarfile
import zipfile

SEED = 9
REG = "https://registry.npmjs.org"
WORDS = ("alpha bravo charlie delta echo foxtrot golf hotel india juliet kilo lima mike "
         "november oscar papa quebec romeo sierra tango uniform victor whiskey xray yankee "
         "zulu package module install version build release stable patch minor major").split()
TS = 1700000000  # fixed mtime: identical tarballs on every run


def words(rng, n):
    return " ".join(rng.choice(WORDS) for _ in range(n))


def tgz(files):
    """files: {path: bytes|str} under package/ -> gzip'd tar bytes (deterministic)."""
    raw = io.BytesIO()
    with tarfile.open(fileobj=raw, mode="w", format=tarfile.USTAR_FORMAT) as tf:
        for path in sorted(files):
            data = files[path]
            if isinstance(data, str):
                data = data.encode()
            ti = tarfile.TarInfo("package/" + path)
            ti.size = len(data)
            ti.mtime = TS
            ti.mode = 0o755 if path.startswith("bin/") else 0o644
            tf.addfile(ti, io.BytesIO(data))
    import gzip
    out = io.BytesIO()
    with gzip.GzipFile(fileobj=out, mode="wb", mtime=TS, compresslevel=6) as gz:
        gz.write(raw.getvalue())
    return out.getvalue()


class Npm:
    def __init__(self, out):
        self.out = os.path.join(out, "npm")
        self.docs = {}

    def add(self, name, version, files, deps=None, extra=None, readme_words=0, rng=None):
        pj = {"name": name, "version": version, "description": "dlpjail test package " + name,
              "main": "index.js", "license": "MIT"}
        if deps:
            pj["dependencies"] = deps
        if extra:
            pj.update(extra)
        files = dict(files)
        files["package.json"] = json.dumps(pj, indent=2) + "\n"
        data = tgz(files)
        short = name.split("/")[-1]
        fname = "%s-%s.tgz" % (short, version)
        d = os.path.join(self.out, name, "-")
        os.makedirs(d, exist_ok=True)
        with open(os.path.join(d, fname), "wb") as f:
            f.write(data)
        ver = dict(pj)
        ver["_id"] = "%s@%s" % (name, version)
        ver["dist"] = {
            "tarball": "%s/%s/-/%s" % (REG, name, fname),
            "shasum": hashlib.sha1(data).hexdigest(),
            "integrity": "sha512-" + base64.b64encode(hashlib.sha512(data).digest()).decode(),
        }
        if "scripts" in pj and set(pj["scripts"]) & {"preinstall", "install", "postinstall"} \
                or "binding.gyp" in files:
            ver["hasInstallScript"] = True
        doc = self.docs.setdefault(name, {"_id": name, "name": name, "versions": {},
                                          "time": {}, "dist-tags": {}})
        doc["versions"][version] = ver
        doc["time"][version] = "2024-01-01T00:00:00.000Z"
        doc["dist-tags"]["latest"] = version
        if readme_words:
            doc["readme"] = words(rng, readme_words)

    def write(self):
        import gzip
        for name, doc in self.docs.items():
            data = json.dumps(doc).encode()
            with open(os.path.join(self.out, name, "index.json"), "wb") as f:
                f.write(data)
            # the registry sends packuments gzip'd (Content-Encoding) when asked
            with open(os.path.join(self.out, name, "index.json.gz"), "wb") as f:
                f.write(gzip.compress(data, 6, mtime=TS))


def index_js(name, deps):
    req = "".join("require(%s);\n" % json.dumps(d) for d in deps)
    return "%smodule.exports = %s;\n" % (req, json.dumps(name))


def npm_packages(out, rng, small):
    npm = Npm(out)
    # a dependency graph: leaves first, each later package needs two earlier ones
    names = ["dlpt-%s" % w for w in ("leaf", "left", "right", "mid", "core", "util", "fmt",
                                     "log", "cli", "conf", "http", "parse", "path", "time")]
    done = []
    for i, n in enumerate(names):
        deps = {}
        if i >= 2:
            for d in rng.sample(done, 2):
                deps[d] = "^1.0.0"
        # two versions: ranges must pick the newer one
        npm.add(n, "1.0.0", {"index.js": index_js(n, [])}, deps)
        npm.add(n, "1.1.0", {"index.js": index_js(n, deps), "README.md": words(rng, 200)}, deps)
        done.append(n)
    npm.add("@dlpt/scoped", "2.0.0", {"index.js": index_js("@dlpt/scoped", ["dlpt-core"])},
            {"dlpt-core": "^1.1.0"})
    # a bin, for npx
    npm.add("dlpt-hello", "1.0.0", {
        "index.js": index_js("dlpt-hello", []),
        "bin/dlpt-hello.js": "#!/usr/bin/env node\nconsole.log('hello from dlpt-hello');\n",
    }, extra={"bin": {"dlpt-hello": "bin/dlpt-hello.js"}})
    # a native addon built by node-gyp against the system's node headers
    npm.add("dlpt-native", "1.0.0", {
        "binding.gyp": json.dumps({"targets": [{"target_name": "dlpt_native",
                                                "sources": ["addon.c"]}]}),
        "addon.c": NATIVE_C,
        "index.js": "module.exports = require('./build/Release/dlpt_native.node');\n",
    }, extra={"scripts": {"install": "node-gyp rebuild"}, "gypfile": True})
    # sharp-style optional platform packages: only the matching one installs
    plats = [("linux", "x64"), ("linux", "arm64"), ("darwin", "arm64"), ("win32", "x64")]
    opt = {}
    for os_, cpu in plats:
        pn = "@dlpt/img-%s-%s" % (os_, cpu)
        npm.add(pn, "1.0.0", {"index.js": "module.exports = %s;\n" % json.dumps(os_ + "-" + cpu),
                              "lib/blob.bin": rng.randbytes(4096)},
                extra={"os": [os_], "cpu": [cpu]})
        opt[pn] = "1.0.0"
    npm.add("dlpt-sharpish", "1.0.0", {
        "index.js": "module.exports = require('@dlpt/img-' + process.platform + '-' + "
                    "process.arch);\n"}, extra={"optionalDependencies": opt})
    if not small:
        # a packument over 10 MB: many versions with long descriptions
        for v in range(120):
            npm.add("dlpt-bigmeta", "1.0.%d" % v, {"index.js": index_js("dlpt-bigmeta", [])},
                    extra={"description": words(rng, 14000)})
        # a tarball over 20 MB (gzip of incompressible data, like a prebuilt library)
        npm.add("dlpt-bigblob", "1.0.0", {"index.js": index_js("dlpt-bigblob", []),
                                          "lib/blob.bin": rng.randbytes(21 * 1024 * 1024)})
    # a second layer of the graph, each needing two of the first (issue 14: 40 packages)
    more = ["dlpt-%s" % w for w in ("color", "queue", "stream", "hash", "json", "yaml", "glob",
                                    "semver", "chalk", "debug", "retry", "cache", "event", "url")]
    for n in more:
        deps = {d: "^1.0.0" for d in rng.sample(names, 2)}
        npm.add(n, "2.0.0", {"index.js": index_js(n, deps), "README.md": words(rng, 100)}, deps)
    # install scripts that do legitimate work: a preinstall that generates the
    # module's code, a postinstall that writes a marker beside it
    npm.add("dlpt-preinstall", "1.0.0", {
        "gen.js": "require('fs').writeFileSync(__dirname + '/generated.js', "
                  "'module.exports = \"generated\";\\n');\n",
        "index.js": "module.exports = require('./generated.js');\n",
    }, extra={"scripts": {"preinstall": "node gen.js"}})
    npm.add("dlpt-postinstall", "1.0.0", {
        "index.js": "const fs = require('fs');\n"
                    "if (!fs.existsSync(__dirname + '/installed')) throw new Error('postinstall did not run');\n"
                    "module.exports = 'postinstall';\n",
    }, extra={"scripts": {"postinstall": "node -e \"require('fs').writeFileSync('installed', 'yes')\""}})
    npm.write()
    top = ["dlpt-time", "dlpt-path", "dlpt-parse", "@dlpt/scoped", "dlpt-hello",
           "dlpt-native", "dlpt-sharpish", "dlpt-preinstall", "dlpt-postinstall"] + more + ([] if small else ["dlpt-bigmeta", "dlpt-bigblob"])
    with open(os.path.join(out, "packages"), "w") as f:
        f.write("\n".join(top) + "\n")


NATIVE_C = r"""
#include <node_api.h>

static napi_value answer(napi_env env, napi_callback_info info)
{
	napi_value v;

	(void)info;
	napi_create_int32(env, 42, &v);
	return v;
}

static napi_value init(napi_env env, napi_value exports)
{
	napi_value fn;

	napi_create_function(env, "answer", NAPI_AUTO_LENGTH, answer, NULL, &fn);
	napi_set_named_property(env, exports, "answer", fn);
	return exports;
}

NAPI_MODULE(NODE_GYP_MODULE_NAME, init)
"""


BACKEND = r"""
# tbackend.py - a minimal PEP 517 backend: one module, one pure wheel
import base64, hashlib, os, zipfile

NAME, VER, MOD = "dlpt_sdist", "1.0", "dlpt_sdist.py"
INFO = "%s-%s.dist-info/" % (NAME, VER)
META = "Metadata-Version: 2.1\nName: dlpt-sdist\nVersion: 1.0\n"
WHEEL = "Wheel-Version: 1.0\nGenerator: tbackend\nRoot-Is-Purelib: true\nTag: py3-none-any\n"


def get_requires_for_build_wheel(config_settings=None):
    return []


def prepare_metadata_for_build_wheel(d, config_settings=None):
    os.makedirs(os.path.join(d, INFO), exist_ok=True)
    for n, t in (("METADATA", META), ("WHEEL", WHEEL)):
        with open(os.path.join(d, INFO, n), "w") as f:
            f.write(t)
    return INFO.rstrip("/")


def build_wheel(d, config_settings=None, metadata_directory=None):
    name = "%s-%s-py3-none-any.whl" % (NAME, VER)
    with open(MOD) as f:
        files = {MOD: f.read(), INFO + "METADATA": META, INFO + "WHEEL": WHEEL}
    rec = []
    for p, t in files.items():
        h = base64.urlsafe_b64encode(hashlib.sha256(t.encode()).digest()).rstrip(b"=")
        rec.append("%s,sha256=%s,%d" % (p, h.decode(), len(t)))
    files[INFO + "RECORD"] = "\n".join(rec + [INFO + "RECORD,,"]) + "\n"
    with zipfile.ZipFile(os.path.join(d, name), "w") as z:
        for p, t in files.items():
            z.writestr(p, t)
    return name
"""


def pypi(out, rng):
    d = os.path.join(out, "pypi")
    files = os.path.join(d, "files")
    os.makedirs(files, exist_ok=True)
    # an sdist with an in-tree PEP 517 backend: builds offline, needs neither
    # setuptools nor wheel (build isolation installs nothing)
    raw = io.BytesIO()
    base = "dlpt_sdist-1.0"
    sfiles = {
        "pyproject.toml": '[build-system]\nrequires = []\nbuild-backend = "tbackend"\n'
                          'backend-path = ["."]\n',
        "tbackend.py": BACKEND,
        "dlpt_sdist.py": "VALUE = 'sdist'\n",
        "PKG-INFO": "Metadata-Version: 2.1\nName: dlpt_sdist\nVersion: 1.0\n",
    }
    with tarfile.open(fileobj=raw, mode="w:gz") as tf:
        for p, data in sorted(sfiles.items()):
            ti = tarfile.TarInfo(base + "/" + p)
            ti.size = len(data)
            ti.mtime = TS
            tf.addfile(ti, io.BytesIO(data.encode()))
    with open(os.path.join(files, base + ".tar.gz"), "wb") as f:
        f.write(raw.getvalue())
    # a wheel, written by hand (no 'wheel' package needed)
    wname = "dlpt_wheel-1.0-py3-none-any.whl"
    info = "dlpt_wheel-1.0.dist-info/"
    wfiles = {
        "dlpt_wheel.py": "VALUE = 'wheel'\n",
        info + "METADATA": "Metadata-Version: 2.1\nName: dlpt-wheel\nVersion: 1.0\n",
        info + "WHEEL": "Wheel-Version: 1.0\nGenerator: dlpjail-test\nRoot-Is-Purelib: true\n"
                        "Tag: py3-none-any\n",
    }
    rec = []
    for p, data in wfiles.items():
        h = base64.urlsafe_b64encode(hashlib.sha256(data.encode()).digest()).rstrip(b"=")
        rec.append("%s,sha256=%s,%d" % (p, h.decode(), len(data)))
    rec.append(info + "RECORD,,")
    wfiles[info + "RECORD"] = "\n".join(rec) + "\n"
    with zipfile.ZipFile(os.path.join(files, wname), "w") as z:
        for p, data in wfiles.items():
            z.writestr(zipfile.ZipInfo(p, (2024, 1, 1, 0, 0, 0)), data)
    for proj, fn in (("dlpt-sdist", base + ".tar.gz"), ("dlpt-wheel", wname)):
        pd = os.path.join(d, "simple", proj)
        os.makedirs(pd, exist_ok=True)
        with open(os.path.join(files, fn), "rb") as f:
            h = hashlib.sha256(f.read()).hexdigest()
        with open(os.path.join(pd, "index.html"), "w") as f:
            f.write('<!DOCTYPE html><html><body><a href="/files/%s#sha256=%s">%s</a>'
                    '</body></html>\n' % (fn, h, fn))


def git(out):
    d = os.path.join(out, "git", "dlpt", "hello.git")
    work = os.path.join(out, "git-work")
    env = dict(os.environ, GIT_AUTHOR_DATE="@%d +0000" % TS, GIT_COMMITTER_DATE="@%d +0000" % TS,
               GIT_AUTHOR_NAME="t", GIT_AUTHOR_EMAIL="t@t", GIT_COMMITTER_NAME="t",
               GIT_COMMITTER_EMAIL="t@t", GIT_CONFIG_NOSYSTEM="1", HOME=out)
    subprocess.run(["git", "init", "-q", "-b", "main", work], check=True, env=env)
    with open(os.path.join(work, "README"), "w") as f:
        f.write("hello from the loopback forge\n")
    subprocess.run(["git", "-C", work, "add", "README"], check=True, env=env)
    subprocess.run(["git", "-C", work, "commit", "-qm", "first"], check=True, env=env)
    subprocess.run(["git", "clone", "-q", "--bare", work, d], check=True, env=env)
    subprocess.run(["rm", "-rf", work], check=True)


def main():
    out = sys.argv[1]
    small = "--small" in sys.argv[2:]
    rng = random.Random(SEED)
    os.makedirs(out, exist_ok=True)
    npm_packages(out, rng, small)
    pypi(out, rng)
    git(out)


if __name__ == "__main__":
    main()
