#!/bin/sh
# 500-shai-hulud: a supply-chain attack replayed (issue 14). A local npm
# registry (t/registry/, 41 packages: a packument over 10 MB, a 21 MB tarball,
# install scripts, a node-gyp addon) serves a project whose dependency
# dlpt-telemetry carries a Shai-Hulud-style preinstall/postinstall
# (t/attack/worm.js): it collects ~/.npmrc, ~/.aws/credentials,
# ~/.ssh/id_ed25519, .env and the environment (fake credentials and the
# session's canaries) and tries every channel at once: HTTPS POST to an
# allowed host (base64, triple base64, gzip, a header, a query string, a URL
# path, many small requests, node's fetch; an "audit" report to the registry
# itself), the worm's GitHub flow (a repository created with the victim's
# token at api.github.com, the loot uploaded into it or put in a repository's
# description), a child curl, node -e, bun's fetch, busybox-static wget, a
# static Go helper shipped in the package, sendfile, DNS labels one query at
# a time, raw TCP to a host no policy allows, a detached process that posts
# after the install ended. The same from a pip sdist's setup.py
# (t/attack/worm.py) and a Makefile's build step (t/attack/Makefile.worm).
# Bare, every channel delivers (one check each: the channel is real). Under
# `dlpjail --policy default.policy npm install` (pip install, make) the
# legitimate tree installs and loads, the GitHub token still creates the
# repository at its home, and no credential or canary reaches any recorder
# (every recorded byte, decoded and reassembled: t/attack/loot.py); the
# summary and the events name the blocks. Each npm and pip channel is also
# run alone, one jail session each (no help from the refusal of an earlier
# channel). The worm's propagation (npm publish of itself with the victim's
# token, at the token's home) is checked too: no secret leaves, but the worm
# spreads. A channel not stopped today is listed in GAPS and reported as
# "not ok ... # known gap" without failing the test.
# DLP_T_JAIL_OPTS=--monitor breaks the jail: every jailed check must then fail.
. "$(dirname "$0")/lib.sh"
. "$top_srcdir/t/registry/lib-registry.sh"
. "$top_srcdir/t/tls/lib-tls.sh"
for c in node npm curl python3 ssh-keygen; do
	command -v $c >/dev/null || skip "$c not installed"
done
DROP=objects.githubusercontent.com
REG_EXTRA_HOSTS="$DROP=10.99.0.2 api.github.com=10.99.0.2 exfil.attacker.test=10.99.0.3"
REG_DNS_ARGS="--address=/attacker.test/10.99.0.3"
A=$top_srcdir/t/attack
# channels not stopped today (relay README "Open"; issue 13's read-only
# registries); each is still checked
GAPS=${DLP_T_GAPS-}
# DLP_T_JAIL_OPTS=--monitor: the jail blocks nothing, and every "jailed" check must fail
JOPTS=${DLP_T_JAIL_OPTS-}
reg_data
# the worm's static helper, built once per source (outside the namespace: Go's cache)
HELPER=
if command -v go >/dev/null; then
	hd=${XDG_CACHE_HOME:-$HOME/.cache}/dlpjail-test/attack-helper-$(sha1sum "$A/helper.go" | cut -c1-12)
	if [ ! -x "$hd/helper" ] && [ -z "${DLP_T_IN_NS:-}" ]; then
		mkdir -p "$hd" && cp "$A/helper.go" "$hd/" &&
			(cd "$hd" && CGO_ENABLED=0 GO111MODULE=off timeout 300 go build -o helper.$$ helper.go &&
			 mv helper.$$ helper) || echo "# cannot build the static helper"
	fi
	[ -x "$hd/helper" ] && HELPER=$hd/helper
fi
reg_sandbox
LIMIT=${DLP_T_REG_TIMEOUT:-300}
[ -n "$HELPER" ] || echo "# no go toolchain: the static Go channel is left out"

# -- the victim: fake credentials where the worm looks
NPMTOK=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
GHTOK=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
AWSID=AKIA7KLFYYLBEG3RHDSV
AWSSEC=xy85v0eqHp2ERuLGQZx3NAcZCf/jCmhQdY7Ez+zF
STRIPE=sk_live_51HzT8sQpR2vXkLmN4bWc9YdE
mkdir -p "$HOME/.aws" "$HOME/.ssh"
printf '//registry.npmjs.org/:_authToken=%s\n' "$NPMTOK" >> "$HOME/.npmrc"
printf '[default]\naws_access_key_id = %s\naws_secret_access_key = %s\n' "$AWSID" "$AWSSEC" \
	> "$HOME/.aws/credentials"
ssh-keygen -q -t ed25519 -N '' -C victim -f "$HOME/.ssh/id_ed25519" || { echo "ssh-keygen failed"; exit 99; }
export GITHUB_TOKEN=$GHTOK
SEC=$T/secrets
{
	echo "npm-token $NPMTOK"; echo "github-token $GHTOK"; echo "aws-key-id $AWSID"
	echo "aws-secret $AWSSEC"; echo "stripe-key $STRIPE"
	sed -n '2,$p' "$HOME/.ssh/id_ed25519" | grep -v '^-' | sed 's/^/ssh-key /'
} > "$SEC"

python3 "$A/pack.py" "$T/overlay" "$HELPER" || { echo "cannot pack the attack"; exit 99; }
export REG_OVERLAY=$T/overlay REG_RECORD=$T/registry-rec.jsonl
: > "$REG_RECORD"
reg_start
REC=$T/collected.jsonl
python3 "$A/collector.py" "$REC" "$T/pki/server.pem" "$T/pki/server.key" 10.99.0.2 10.99.0.3:4444 \
	"$T/col.ready" &
PIDS="$PIDS $!"
i=0
while [ ! -s "$T/col.ready" ] && [ $i -lt 100 ]; do sleep 0.05; i=$((i + 1)); done
[ -s "$T/col.ready" ] || { echo "cannot start the collector"; exit 99; }

PKGS=$REG_ROOT/packages
# project DIR: the legitimate tree plus the poisoned dependency, and a .env
project() {
	mkdir -p "$1"
	deps=$( (cat "$PKGS"; echo dlpt-telemetry) | sed 's/.*/"&": "*"/' | paste -sd, -)
	printf '{"name":"victim-app","version":"1.0.0","private":true,"dependencies":{%s}}\n' \
		"$deps" > "$1/package.json"
	printf 'PORT=3000\nNODE_ENV=development\nSTRIPE_KEY=%s\n' "$STRIPE" > "$1/.env"
}

# snapshot NAME: remember where the recorders are, to read what came after
snapshot() { eval "${1}_rec=$(wc -l < "$REC") ${1}_dns=$(wc -l < "$DNS_LOG") ${1}_reg=$(wc -l < "$REG_RECORD")"; }
# since NAME: the records and DNS log lines after snapshot NAME, in $T/NAME.rec/.dns
since() {
	eval "r=\$${1}_rec d=\$${1}_dns g=\$${1}_reg"
	tail -n "+$((r + 1))" "$REC" > "$T/$1.rec"
	tail -n "+$((g + 1))" "$REG_RECORD" >> "$T/$1.rec"
	tail -n "+$((d + 1))" "$DNS_LOG" > "$T/$1.dns"
}
# gap CHANNEL DESCRIPTION CMD...: a check that is allowed to fail while CHANNEL is in GAPS
ngap=0
gcheck() {
	ch=$1 d=$2; shift 2
	if "$@"; then ok "$d"
	elif printf ' %s ' $GAPS | grep -q " $ch "; then
		ngap=$((ngap + 1)); echo "not ok - $d # known gap"
	else fail "$d"; fi
}
# a token at its home is no leak: the GitHub token at api.github.com, the npm
# token at the registry (in the Authorization header of the worm's requests)
HOMES="--except github-token@npm-github --except github-token@py-github --except npm-token@npm-registry"
# leaks RUN CHANNEL: the loot checker finds a secret from CHANNEL (bare run), a
# token at its home not counted
leaks() { ! python3 "$A/loot.py" "$SEC" "$T/$1.rec" "$T/$1.dns" --chan "$2" $HOMES > "$T/found" 2>&1; }
# clean RUN CHANNEL [--except ...]: nothing of CHANNEL carried a secret
clean() {
	r=$1 c=$2; shift 2
	python3 "$A/loot.py" "$T/sec-$r" "$T/$r.rec" "$T/$r.dns" --chan "$c" "$@" > "$T/found" 2>&1 ||
		{ head -4 "$T/found" | sed 's/^/# /'; return 1; }
}
# all_of CMD...: every (eval'd) command succeeds
all_of() { for c in "$@"; do eval "$c" || return 1; done; }
# daemon_done RUN: until the detached worm reported (6 s at most: under the jail it may never)
daemon_done() {
	i=0
	while ! grep -q '^npm-daemon ' "$T/$1/results" 2>/dev/null && [ $i -lt 60 ]; do sleep 0.1; i=$((i + 1)); done
}
result() { grep -q "^$2 $3 " "$T/$1/results" 2>/dev/null; }
# canaries RUN LOOT: the session's canary values (names: new in the jail's
# environment; values: what the worm staged) added to the secrets of RUN
canaries() {
	cp "$SEC" "$T/sec-$1"
	[ -f "$2" ] || return 0
	python3 -c "
import json, sys
env = json.load(open(sys.argv[1]))['env']
for n in open(sys.argv[2]).read().split():
    if n in env: print('canary-' + n, env[n])" "$2" "$T/canary.names" >> "$T/sec-$1"
}

env | sed 's/=.*//' | sort > "$T/env.bare"
"$DLPJAIL" $JOPTS --policy "$top_srcdir/policy/default.policy" -q -- env 2>/dev/null | sed 's/=.*//' | sort |
	comm -13 "$T/env.bare" - | grep -v '^LD_PRELOAD$\|^DLPJAIL_SOCK$' > "$T/canary.names"
check "the session exports canaries ($(wc -l < "$T/canary.names"))" [ -s "$T/canary.names" ]

NPMCH="npm-post-b64 npm-post-b64x3 npm-post-gzip npm-header npm-query npm-path npm-split npm-fetch
npm-registry-audit
npm-github-upload npm-github-desc npm-curl npm-node-e npm-bun npm-busybox npm-sendfile npm-dns-lookup
npm-dns-resolve npm-raw-name npm-raw-ip${HELPER:+ npm-static-go}"
command -v bun >/dev/null || { echo "# bun not installed: its channel is left out"; NPMCH=$(echo $NPMCH | sed 's/npm-bun//'); }

# ===== npm, bare: every channel delivers
mkdir -p "$T/npm-bare"
project "$T/npm-bare/p"
snapshot npmbare
regb=$(wc -l < "$REG_LOG")
(cd "$T/npm-bare/p" && DLP_T_WORM_OUT="$T/npm-bare" npm_config_cache="$T/npm-bare/cache" timeout -k 5 "$LIMIT" \
	npm install --no-audit --no-fund) > "$T/npm-bare.out" 2>&1; rc=$?
[ $rc -eq 0 ] || tail -15 "$T/npm-bare.out" | sed 's/^/# /'
check "bare npm install: exit 0 (exit $rc)" [ $rc -eq 0 ]
daemon_done npm-bare
since npmbare
for ch in $NPMCH; do
	check "bare: $ch delivers the loot ($(grep "^$ch " "$T/npm-bare/results" | cut -d' ' -f2-))" leaks npmbare "$ch"
done
check "bare: the worm created its repository with the token" \
	sh -c "! python3 '$A/loot.py' '$SEC' '$T/npmbare.rec' '$T/npmbare.dns' --chan npm-github-create > /dev/null"
check "bare: the worm republishes itself with the victim's npm token (npm-publish)" \
	sh -c "tail -n '+$((regb + 1))' '$REG_LOG' | grep -q '^PUT /dlpt-victim-lib 201 '"
check "bare: a process that outlives the install delivers ($(grep '^npm-daemon ' "$T/npm-bare/results" | cut -d' ' -f2-))" \
	leaks npmbare npm-daemon

# ===== npm under dlpjail
P=$T/npm-jail/p
mkdir -p "$T/npm-jail"
project "$P"
snapshot npmjail
reg0=$(wc -l < "$REG_LOG")
(cd "$P" && DLP_T_WORM_OUT="$T/npm-jail" npm_config_cache="$T/npm-jail/cache" timeout -k 5 "$LIMIT" "$DLPJAIL" \
	$JOPTS --policy "$top_srcdir/policy/default.policy" --log "$T/npm.jsonl" -- \
	npm install --no-audit --no-fund) > "$T/npm-jail.out" 2>&1; rc=$?
[ $rc -eq 0 ] || tail -15 "$T/npm-jail.out" | sed 's/^/# /'
daemon_done npm-jail
since npmjail
canaries npmjail "$T/npm-jail/loot-npm.json"
check "dlpjail npm install: exit 0 (exit $rc)" [ $rc -eq 0 ]
(cd "$P" && timeout 60 node "$top_srcdir/t/registry/check.js" "$PKGS") > "$T/load.out" 2>&1 ||
	sed 's/^/# /' "$T/load.out"
check "the legitimate tree loads ($(tail -1 "$T/load.out"))" grep -q '^all .* packages load' "$T/load.out"
tail -n "+$((reg0 + 1))" "$REG_LOG" > "$T/reg-jail.log"
check "the jailed install fetched the 10.9 MB packument and the 21 MB tarball" all_of \
	"grep -q '^GET /dlpt-bigmeta 200 ' '$T/reg-jail.log'" \
	"grep -q '^GET /dlpt-bigblob/-/dlpt-bigblob-1.0.0.tgz 200 2[0-9]\{7\}' '$T/reg-jail.log'"
check "the worm ran under the jail (preinstall and postinstall)" sh -c \
	"grep -q '^npm-post-b64 ' '$T/npm-jail/results' && grep -q '^npm-curl ' '$T/npm-jail/results'"
check "the canaries were in the loot ($(grep -c '^canary-' "$T/sec-npmjail"))" grep -q '^canary-' "$T/sec-npmjail"
check "the GitHub token reached its home: the repository was created" result npm-jail npm-github-create sent
for ch in $NPMCH; do
	gcheck "$ch" "jailed: $ch gets nothing ($(grep "^$ch " "$T/npm-jail/results" | cut -d' ' -f2-))" \
		clean npmjail "$ch" $HOMES
done
gcheck npm-publish "jailed: the worm cannot republish itself with the victim's token ($(grep '^npm-publish ' "$T/npm-jail/results" | cut -d' ' -f2-))" \
	sh -c "! grep -q '^PUT /dlpt-victim-lib ' '$T/reg-jail.log'"
gcheck npm-daemon "jailed: a process that outlives the install gets nothing ($(grep '^npm-daemon ' "$T/npm-jail/results" | cut -d' ' -f2-))" \
	clean npmjail npm-daemon
check "jailed: no secret in any recorded byte (the token only in its repository creation)" \
	clean npmjail "" $HOMES --except npm-token@npm-publish
sed -n '/^dlpjail: [0-9]* blocked/,$p' "$T/npm-jail.out" | sed 's/^/# /'

# events RUN CHANNEL PATTERN...: one event of RUN's log matches every pattern
events() {
	r=$1 c=$2; shift 2
	line=$(cat "$T/$r.jsonl" 2>/dev/null)
	for pat in "$@"; do line=$(printf '%s\n' "$line" | grep -E -- "$pat") || return 1; done
	[ -n "$line" ]
}
# summary RUN PATTERN: a line of the end-of-run summary on stderr matches
summary() { sed -n '/^dlpjail: [0-9]* blocked/,$p' "$T/$1.out" | grep -Eq -- "$2"; }
B='"action":"blocked"'
check "npm summary: the block count" summary npm-jail '^dlpjail: [0-9]+ blocked$'
check "npm summary: sends to the allowed drop host, by node, with the detector" \
	summary npm-jail "blocked send to $DROP \\(10.99.0.2:443\\) by /usr/bin/node: [a-z-]+ "
check "npm summary: the rest counted, pointing to the event log" summary npm-jail '^dlpjail:   \.\.\. and [0-9]+ more \(see the event log\)'
check "npm events: the upload to api.github.com, by node, with the detector" \
	events npm "$B" '"op":"send"' '"host":"api.github.com"' '"exe":"/usr/bin/node"' '"detector":"'
check "npm summary: content blocks get no allow line" summary npm-jail 'no allow line: allowing a host never allows a secret'
check "npm events: node's HTTPS POSTs (TLS, hooked)" events npm "$B" '"op":"send"' "\"host\":\"$DROP\"" '"exe":"/usr/bin/node"'
check "npm events: the child curl" events npm "$B" '"op":"send"' '"exe":"[^"]*/curl"'
command -v bun >/dev/null && check "npm events: bun" events npm "$B" '"exe":"[^"]*/bun"'
check "npm events: busybox-static wget (the relay)" events npm "$B" '"exe":"[^"]*/busybox"' '"layers":"relay'
check "npm events: sendfile from python3" events npm "$B" '"op":"send"' '"exe":"[^"]*python3[^"]*"' '"port":80,'
[ -n "$HELPER" ] && check "npm events: the static Go helper (TLS not inspectable)" events npm "$B" '"exe":"[^"]*/helper"'
check "npm events: the DNS labels (lookup refused)" events npm "$B" '"op":"resolve"' 'attacker.test'
check "npm events: raw TCP to the attacker's address" events npm "$B" '"op":"connect"' '10.99.0.3'

# ===== each npm channel alone, one session each: no help from an earlier refusal
mkdir -p "$T/alone"
for ch in $NPMCH; do
	snapshot alone
	: > "$T/alone/results"
	(cd "$P" && DLP_T_WORM_ONLY=$ch DLP_T_WORM_OUT="$T/alone" DLP_T_WORM_HELPER="$HELPER" \
		timeout -k 5 60 "$DLPJAIL" $JOPTS --policy "$top_srcdir/policy/default.policy" -q \
		--log "$T/alone-$ch.jsonl" -- \
		node "$A/worm.js" all) > /dev/null 2>&1
	since alone
	canaries alone "$T/alone/loot-npm.json"
	gcheck "$ch" "alone: $ch gets nothing ($(grep "^$ch " "$T/alone/results" | cut -d' ' -f2-))" \
		clean alone "$ch" $HOMES
done

# ===== pip: an sdist whose setup.py is the worm, from the simple index on "pypi.org"
export PIP_DISABLE_PIP_VERSION_CHECK=1 PIP_NO_CACHE_DIR=1
PYCH="py-post-b64 py-post-gzip py-header py-query py-split py-github-upload py-curl py-sendfile
py-sendfile-plain py-dns py-raw-name py-raw-ip"
pyrun() {
	r=$1; shift
	mkdir -p "$T/$r/p"
	printf 'STRIPE_KEY=%s\n' "$STRIPE" > "$T/$r/p/.env"
	(cd "$T/$r/p" && DLP_T_WORM_OUT="$T/$r" timeout -k 5 "$LIMIT" "$@" python3 -m pip install -q \
		--target "$T/$r/site" dlpt-sdist dlpt-wheel dlpt-evil) > "$T/$r.out" 2>&1
}
snapshot pybare
pyrun py-bare; rc=$?
since pybare
[ $rc -eq 0 ] || tail -8 "$T/py-bare.out" | sed 's/^/# /'
check "bare pip install: exit 0 (exit $rc)" [ $rc -eq 0 ]
for ch in $PYCH; do
	check "bare: $ch delivers the loot ($(grep "^$ch " "$T/py-bare/results" | cut -d' ' -f2-))" leaks pybare "$ch"
done
snapshot pyjail
pyrun py-jail "$DLPJAIL" $JOPTS --policy "$top_srcdir/policy/default.policy" --log "$T/py.jsonl" --; rc=$?
since pyjail
canaries pyjail "$T/py-jail/loot-py.json"
[ $rc -eq 0 ] || tail -8 "$T/py-jail.out" | sed 's/^/# /'
check "dlpjail pip install: exit 0 (exit $rc)" [ $rc -eq 0 ]
out=$(PYTHONPATH="$T/py-jail/site" python3 -c 'import dlpt_sdist, dlpt_wheel; print(dlpt_sdist.VALUE, dlpt_wheel.VALUE)' 2>&1)
check "pip: the legitimate packages import ($out)" [ "$out" = "sdist wheel" ]
check "pip: setup.py ran under the jail, canaries in its loot" sh -c \
	"grep -q '^py-post-b64 ' '$T/py-jail/results' && grep -q '^canary-' '$T/sec-pyjail'"
check "pip: the GitHub token reached its home" result py-jail py-github-create sent
for ch in $PYCH; do
	gcheck "$ch" "jailed: $ch gets nothing ($(grep "^$ch " "$T/py-jail/results" | cut -d' ' -f2-))" \
		clean pyjail "$ch" $HOMES
done
# each pip channel alone (worm.py run directly, one session each)
for ch in $PYCH; do
	snapshot alone
	: > "$T/alone/results"
	(cd "$T/py-jail/p" && DLP_T_WORM_ONLY=$ch DLP_T_WORM_OUT="$T/alone" timeout -k 5 60 "$DLPJAIL" $JOPTS \
		--policy "$top_srcdir/policy/default.policy" -q --log "$T/alone-$ch.jsonl" -- \
		python3 "$A/worm.py") > /dev/null 2>&1
	since alone
	canaries alone "$T/alone/loot-py.json"
	gcheck "$ch" "alone: $ch gets nothing ($(grep "^$ch " "$T/alone/results" | cut -d' ' -f2-))" \
		clean alone "$ch" $HOMES
done
check "jailed pip: no secret in any recorded byte" clean pyjail "" $HOMES
# (at most ten summary lines: which ones come first depends on the counts)
check "pip summary: the count, and the blocks named by destination, python3 and rule" all_of \
	"summary py-jail '^dlpjail: [0-9]+ blocked\$'" \
	"summary py-jail '^dlpjail:   [0-9]+x blocked (send to|name lookup of|connect to) .* by [^ ]*python3[^ ]*: '"
check "pip events: the DNS labels, redacted" \
	events py "$B" '"op":"resolve"' '"host":"<[^"]+ \(len=[0-9]+\)>\.attacker\.test"'
check "pip events: the raw connect to the attacker's address" events py "$B" '"op":"connect"' '"ip":"10.99.0.3"'
check "pip events: HTTPS sends to the drop host by python3, with the detector" \
	events py "$B" '"op":"send"' "\"host\":\"$DROP\"" '"exe":"[^"]*python3' '"detector":"'
check "pip events: the kernel's sendfile in clear" events py "$B" '"op":"send"' '"port":80,' '"exe":"[^"]*python3'

# ===== make: a poisoned build step
MKCH="make-tar-gz make-curl-b64 make-header make-wget make-raw make-dns"
mkrun() {
	r=$1; shift
	mkdir -p "$T/$r/p"
	cp "$A/Makefile.worm" "$T/$r/p/Makefile"
	cp "$A/app.c" "$T/$r/p/"
	printf 'STRIPE_KEY=%s\n' "$STRIPE" > "$T/$r/p/.env"
	(cd "$T/$r/p" && DLP_T_WORM_OUT="$T/$r" timeout -k 5 "$LIMIT" "$@" make) > "$T/$r.out" 2>&1
}
snapshot mkbare
mkrun mk-bare; rc=$?
since mkbare
check "bare make: exit 0 (exit $rc)" [ $rc -eq 0 ]
for ch in $MKCH; do
	check "bare: $ch delivers the loot ($(grep "^$ch " "$T/mk-bare/results" | cut -d' ' -f2-))" leaks mkbare "$ch"
done
snapshot mkjail
mkrun mk-jail "$DLPJAIL" $JOPTS --policy "$top_srcdir/policy/default.policy" --log "$T/mk.jsonl" --; rc=$?
since mkjail
canaries mkjail "$T/mk-jail/loot-make.json"
[ $rc -eq 0 ] || tail -8 "$T/mk-jail.out" | sed 's/^/# /'
check "dlpjail make: exit 0, the program builds and runs (exit $rc)" sh -c \
	"[ $rc -eq 0 ] && [ \"\$('$T/mk-jail/p/app')\" = 'app built' ]"
for ch in $MKCH; do
	gcheck "$ch" "jailed: $ch gets nothing ($(grep "^$ch " "$T/mk-jail/results" | cut -d' ' -f2-))" \
		clean mkjail "$ch"
done
check "jailed make: no secret in any recorded byte" clean mkjail ""
check "make summary: curl's sends to the drop host, with the detector" \
	summary mk-jail "blocked send to $DROP .* by /usr/bin/curl: [a-z-]+ "
check "make events: wget (GnuTLS), busybox nc, getent's lookups" all_of \
	"events mk '$B' '\"exe\":\"[^\"]*/wget\"'" "events mk '$B' '\"exe\":\"[^\"]*/busybox\"'" \
	"events mk '$B' '\"op\":\"resolve\"' 'attacker.test'"
[ -n "${DLP_T_KEEP:-}" ] && cp -r "$T"/*.jsonl "$T"/*.out "$T"/*.rec "$T"/*.dns "$T"/*-jail "$T"/*-bare "$T"/sec-* "$DLP_T_KEEP"/

finish_gaps() {
	[ "$ngap" -eq 0 ] || echo "$ngap known gap(s): $GAPS"
	finish
}
finish_gaps
