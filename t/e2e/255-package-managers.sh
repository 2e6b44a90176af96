#!/bin/sh
# 255-package-managers: npm install/ci, npx, yarn, pnpm, bun, pip and git clone
# work under dlpjail with the default policy and no flags, against a local
# stand-in for registry.npmjs.org, registry.yarnpkg.com, pypi.org and
# github.com (t/registry/: HTTPS, a throwaway CA, names mapped by the test's
# own DNS server in a private network namespace). The packages: a
# dependency graph, a scoped package, a bin, a node-gyp native addon, sharp-
# style optional platform packages (os/cpu), a packument over 10 MB and a
# gzip tarball over 20 MB. Every package must then load in node.
# DLP_T_REG_SMALL=1 leaves out the two big packages (quick iteration).
. "$(dirname "$0")/lib.sh"
. "$top_srcdir/t/registry/lib-registry.sh"
. "$top_srcdir/t/tls/lib-tls.sh"
command -v node >/dev/null && command -v npm >/dev/null || skip "node/npm not installed"
reg_data ${DLP_T_REG_SMALL:+--small}
reg_sandbox
reg_start
PKGS=$REG_ROOT/packages
LIMIT=${DLP_T_REG_TIMEOUT:-240}

# pjail LOG CMD...: the command under dlpjail with the default policy only
pjail() {
	log=$1; shift
	timeout -k 5 "$LIMIT" "$DLPJAIL" --policy "$top_srcdir/policy/default.policy" \
		--log "$T/$log.jsonl" -- "$@"
}

# no_blocks LOG: the jail refused nothing
no_blocks() { ! grep -q '"action":"blocked"' "$T/$1.jsonl" 2>/dev/null; }

# project DIR: a package.json depending on every generated package
project() {
	mkdir -p "$1"
	deps=$(sed 's/.*/"&": "*"/' "$PKGS" | paste -sd, -)
	printf '{"name":"t-project","version":"1.0.0","private":true,"dependencies":{%s},
"allowScripts":{"dlpt-native":true,"dlpt-preinstall":true,"dlpt-postinstall":true},
"trustedDependencies":["dlpt-native","dlpt-preinstall","dlpt-postinstall"]}\n' "$deps" \
		> "$1/package.json"
	printf 'allowBuilds:\n  dlpt-native: true\n  dlpt-preinstall: true\n  dlpt-postinstall: true\n' > "$1/pnpm-workspace.yaml"
}

loads() { (cd "$1" && timeout 60 node "$top_srcdir/t/registry/check.js" "$PKGS") > "$T/load.out" 2>&1 ||
	{ sed 's/^/# /' "$T/load.out"; return 1; }; }

# run_pm NAME DIR CMD...: one package manager's install, checked
run_pm() {
	name=$1 dir=$2; shift 2
	(cd "$dir" && pjail "$name" "$@") > "$T/$name.out" 2>&1
	rc=$?
	[ $rc -eq 0 ] || tail -15 "$T/$name.out" | sed 's/^/# /'
	check "$name: exit 0 under the default policy (exit $rc)" [ $rc -eq 0 ]
	check "$name: nothing blocked" no_blocks "$name"
	check "$name: every package loads (native addon, platform package, big tarball)" loads "$dir"
}

P=$T/npm
project "$P"
run_pm "npm install" "$P" npm install --no-audit --no-fund
check "npm install: the big packument and tarball came from the stand-in" \
	sh -c "[ -n \"\${DLP_T_REG_SMALL:-}\" ] || grep -q 'GET /dlpt-bigblob/-/dlpt-bigblob-1.0.0.tgz 200' '$REG_LOG'"
check "npm install: the darwin platform package was not fetched" \
	sh -c "! grep -q 'img-darwin-arm64-1.0.0.tgz' '$REG_LOG'"
rm -rf "$P/node_modules" "$HOME/.npm"
run_pm "npm ci" "$P" npm ci --no-audit --no-fund
out=$(cd "$T" && pjail npx npx --yes dlpt-hello 2>&1); rc=$?
check "npx dlpt-hello runs the bin (exit $rc)" has "$out" "hello from dlpt-hello"

if command -v yarn >/dev/null; then
	project "$T/yarn"
	run_pm "yarn install" "$T/yarn" yarn install --non-interactive --no-progress
else
	echo "# SKIP yarn: not installed (scripts/setup installs it)"
fi
if command -v pnpm >/dev/null; then
	project "$T/pnpm"
	run_pm "pnpm install" "$T/pnpm" pnpm install --reporter=append-only
else
	echo "# SKIP pnpm: not installed (scripts/setup installs it)"
fi
if command -v bun >/dev/null; then
	project "$T/bun"
	run_pm "bun install" "$T/bun" bun install --no-progress
else
	echo "# SKIP bun: not installed (scripts/setup installs it)"
fi

# pip from the PEP 503 index on "pypi.org": one sdist (built here), one wheel
export PIP_DISABLE_PIP_VERSION_CHECK=1 PIP_NO_CACHE_DIR=1
out=$(pjail pip python3 -m pip install -q --target "$T/py" \
	dlpt-sdist dlpt-wheel 2>&1); rc=$?
[ $rc -eq 0 ] || printf '%s\n' "$out" | tail -8 | sed 's/^/# /'
check "pip install of an sdist and a wheel (exit $rc)" [ $rc -eq 0 ]
out=$(PYTHONPATH="$T/py" python3 -c 'import dlpt_sdist, dlpt_wheel; print(dlpt_sdist.VALUE, dlpt_wheel.VALUE)' 2>&1)
check "pip: both modules import" [ "$out" = "sdist wheel" ]
check "pip: nothing blocked" no_blocks pip

# git clone over HTTPS from "github.com"
out=$(cd "$T" && pjail git git clone -q https://github.com/dlpt/hello.git 2>&1); rc=$?
[ $rc -eq 0 ] || printf '%s\n' "$out" | tail -5 | sed 's/^/# /'
check "git clone https://github.com/dlpt/hello.git (exit $rc)" grep -q "loopback forge" "$T/hello/README"
check "git: nothing blocked" no_blocks git

# Name lookups cost under dlpjail what they cost bare (issue 9: pnpm and
# yarn had 5 s gaps after lookups). From here the name server drops every
# AAAA question (t/registry/dnsdrop.py) and answers the rest after 400 ms,
# with glibc's default 5 s timeout, as many home routers and VPNs do.
python3 "$top_srcdir/t/registry/dnsdrop.py" 127.0.0.55 127.0.0.53 "$T/drop.log" 400 &
PIDS="$PIDS $!"
i=0
while ! grep -q started "$T/drop.log" 2>/dev/null && [ $i -lt 100 ]; do sleep 0.05; i=$((i + 1)); done
printf 'nameserver 127.0.0.55\n' > "$T/resolv-drop.conf"
mount --bind "$T/resolv-drop.conf" /etc/resolv.conf
: > "$T/drop.log"
# node connects with AI_ADDRCONFIG: no IPv6 here, so bare node never asks AAAA
GET="require('https').get('https://registry.npmjs.org/dlpt-leaf', r => { r.resume();
r.on('end', () => console.log('status', r.statusCode)); }).on('error', e => console.log(e.code))"
s=$(date +%s%N)
out=$(pjail addrconfig node -e "$GET" 2>&1)
ms=$(( ($(date +%s%N) - s) / 1000000 ))
check "node https.get under dlpjail: answered (${ms} ms)" [ "$out" = "status 200" ]
check "the broker asked no AAAA for a caller with AI_ADDRCONFIG" sh -c "! grep -q 'dropped type 28' '$T/drop.log'"
check "so no resolver timeout: under 4 s (${ms} ms)" [ "$ms" -lt 4000 ]
# eight threads resolving at once wait 400 ms together, not 8 x 400 ms
PAR="import socket, threading, time
got = []
def look():
    got.append(socket.getaddrinfo('registry.npmjs.org', 443, socket.AF_INET)[0][4][0])
t0 = time.time()
ts = [threading.Thread(target=look) for _ in range(8)]
[t.start() for t in ts]; [t.join() for t in ts]
print(int((time.time() - t0) * 1000) if got == ['$REG_ADDR'] * 8 else 'failed')"
bare=$(timeout 30 python3 -c "$PAR")
jailed=$(pjail parallel python3 -c "$PAR" 2>/dev/null)
check "8 concurrent lookups all answered and concurrent (bare ${bare} ms, jailed ${jailed:-?} ms)" \
	sh -c "case '$jailed' in ''|*[!0-9]*) exit 1;; esac; [ '$jailed' -lt 1600 ]"
umount /etc/resolv.conf
finish
