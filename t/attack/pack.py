#!/usr/bin/env python3
# pack.py - the malicious packages of t/e2e/500-shai-hulud.sh, packed at test
# time into an overlay the registry stand-in serves before its cached data
# (t/registry/regserver.py, REG_OVERLAY): dlpt-telemetry on npm (preinstall and
# postinstall run worm.js; bin/helper is the static helper, when built) and
# dlpt-evil on the simple index (an sdist whose setup.py is worm.py, run by
# its build backend as setuptools runs a setup.py).
# usage: pack.py OVERLAY_DIR [HELPER_BINARY]
#        pack.py --demo OVERLAY_DIR SCRIPT   (scripts/demo: only dlpt-telemetry, whose
#                                              postinstall is SCRIPT)
import hashlib
import io
import os
import sys
import tarfile

HERE = os.path.dirname(os.path.abspath(__file__))
sys.dont_write_bytecode = True   # no __pycache__ in the source tree
sys.path.insert(0, os.path.join(HERE, "..", "registry"))
import gen  # noqa: E402  (the generator's packing code, reused)


def npm(out, helper):
    n = gen.Npm(out)
    with open(os.path.join(HERE, "worm.js")) as f:
        files = {"index.js": "module.exports = 'telemetry';\n", "bundle.js": f.read()}
    if helper:
        with open(helper, "rb") as f:
            files["bin/helper"] = f.read()
    n.add("dlpt-telemetry", "1.0.0", files,
          extra={"scripts": {"preinstall": "node bundle.js pre", "postinstall": "node bundle.js post"}})
    n.write()


def pypi(out):
    d = os.path.join(out, "pypi")
    base = "dlpt_evil-1.0"
    backend = gen.BACKEND.replace("dlpt_sdist", "dlpt_evil").replace("dlpt-sdist", "dlpt-evil")
    backend = backend.replace("def build_wheel(d, config_settings=None, metadata_directory=None):\n",
                              "def build_wheel(d, config_settings=None, metadata_directory=None):\n"
                              "    import runpy\n    runpy.run_path('setup.py')\n")
    with open(os.path.join(HERE, "worm.py")) as f:
        setup = f.read()
    sfiles = {"pyproject.toml": '[build-system]\nrequires = []\nbuild-backend = "tbackend"\n'
                                'backend-path = ["."]\n',
              "tbackend.py": backend, "setup.py": setup, "dlpt_evil.py": "VALUE = 'evil'\n",
              "PKG-INFO": "Metadata-Version: 2.1\nName: dlpt_evil\nVersion: 1.0\n"}
    raw = io.BytesIO()
    with tarfile.open(fileobj=raw, mode="w:gz") as tf:
        for p, data in sorted(sfiles.items()):
            ti = tarfile.TarInfo(base + "/" + p)
            ti.size = len(data.encode())
            ti.mtime = gen.TS
            tf.addfile(ti, io.BytesIO(data.encode()))
    os.makedirs(os.path.join(d, "files"), exist_ok=True)
    fn = base + ".tar.gz"
    with open(os.path.join(d, "files", fn), "wb") as f:
        f.write(raw.getvalue())
    pd = os.path.join(d, "simple", "dlpt-evil")
    os.makedirs(pd, exist_ok=True)
    with open(os.path.join(pd, "index.html"), "w") as f:
        f.write('<!DOCTYPE html><html><body><a href="/files/%s#sha256=%s">%s</a></body></html>\n'
                % (fn, hashlib.sha256(raw.getvalue()).hexdigest(), fn))


def demo(out, script):
    n = gen.Npm(out)
    with open(script) as f:
        files = {"index.js": "module.exports = 'telemetry';\n", "bundle.js": f.read()}
    n.add("dlpt-telemetry", "1.0.0", files, extra={"scripts": {"postinstall": "node bundle.js"}})
    n.write()


def main():
    if sys.argv[1] == "--demo":
        return demo(sys.argv[2], sys.argv[3])
    out = sys.argv[1]
    npm(out, sys.argv[2] if len(sys.argv) > 2 and sys.argv[2] else None)
    pypi(out)


if __name__ == "__main__":
    main()
