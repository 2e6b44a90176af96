#!/bin/sh
# 270-known-secrets: the credentials the command can read (a fake HOME's
# ~/.npmrc with two registries, ~/.aws/credentials, ~/.ssh/id_ed25519, a
# ./.env) are known to the broker: a postinstall-style script (python3 and
# node) that sends them reversed, XOR'd, in UTF-16, base64 at each
# alignment, a byte per request, half on each of two connections, or the
# SSH key body alone, to an allowed loopback server is blocked every time
# and the server never receives a secret in any of those forms; each token
# still goes to its own registry (names mapped to 127.0.0.1 by the test's
# DNS server). `dlpjail --show-secrets` lists them redacted, with sources
# and homes; no plaintext in it, in the events or on stderr.
. "$(dirname "$0")/lib.sh"
command -v ssh-keygen >/dev/null || skip "ssh-keygen not installed"
command -v node >/dev/null || skip "node not installed"
dns_sandbox
. "$top_srcdir/t/tls/lib-tls.sh"
make_ca
start_https 127.0.0.1 web
start_http 127.0.0.1 col

H=$T/home
W=$T/work
mkdir -p "$H/.aws" "$H/.ssh" "$W"
NPM=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   # real format (valid CRC tail)
CORP=CorpT0ken-7fQ2xLp9Vb4Nz8Rk3Wm6hJ          # no detector knows this one
AWSID=AKIA7KLFYYLBEG3RHDSV
AWSSEC=xy85v0eqHp2ERuLGQZx3NAcZCf/jCmhQdY7Ez+zF
ENVK=sk_live_51HzT8sQpR2vXkLmN4bWc9YdE
printf '//registry.npmjs.org/:_authToken=%s\n//npm.allowed.test/:_authToken=%s\n' "$NPM" "$CORP" > "$H/.npmrc"
printf '[default]\naws_access_key_id = %s\naws_secret_access_key = %s\n' "$AWSID" "$AWSSEC" > "$H/.aws/credentials"
ssh-keygen -q -t ed25519 -N '' -C t270 -f "$H/.ssh/id_ed25519" || { echo "ssh-keygen failed"; exit 99; }
printf 'PORT=3000\nNODE_ENV=development\nSTRIPE_KEY=%s\n' "$ENVK" > "$W/.env"
KEYLINE=$(sed -n 2p "$H/.ssh/id_ed25519")
ALL="$NPM $CORP $AWSID $AWSSEC $ENVK"

J="--allow registry.npmjs.org --allow *.allowed.test --allow collector.test --allow 127.0.0.1 --no-canaries"
run() {
	(cd "$W" && HOME="$H" "$DLPJAIL" --no-default-policy --log "$T/events.jsonl" $J -- "$@") 2>>"$T/jail.err"
}
# no_plain FILE...: no secret (nor the key body) in clear in these files
no_plain() {
	for s in $ALL "$KEYLINE"; do
		if grep -qF -- "$s" "$@"; then echo "plaintext ${s%"${s#????}"}... in $*"; return 1; fi
	done
}

# --show-secrets: what was found, redacted, with sources and homes
(cd "$W" && HOME="$H" "$DLPJAIL" --show-secrets) > "$T/show.out" 2>&1
sed 's/^/# /' "$T/show.out"
check "--show-secrets: 6 known secrets" grep -q '^6 known secrets' "$T/show.out"
check "--show-secrets: the npm token, its .npmrc line, its registry" \
	grep -Eq '^npm_.*npm-token +from ~/.npmrc:1 +homes: registry.npmjs.org' "$T/show.out"
check "--show-secrets: the second registry's token and its own home" \
	grep -Eq '^Corp.*from ~/.npmrc:2 +homes: npm.allowed.test$' "$T/show.out"
check "--show-secrets: the AWS key id (AWS homes) and secret key (no home)" sh -c \
	"grep -Eq '^AKIA.*from ~/.aws/credentials:2 +homes: \*.amazonaws.com' '$T/show.out' &&
	 grep -Eq 'from ~/.aws/credentials:3 +homes: \(none' '$T/show.out'"
check "--show-secrets: the SSH private key and the .env value" sh -c \
	"grep -Eq 'private key +from ~/.ssh/id_ed25519 ' '$T/show.out' &&
	 grep -Eq '^sk_l.*from ./.env:3' '$T/show.out'"
check "--show-secrets: PORT=3000 and the like are not secrets" sh -c "! grep -q 'env:[12]' '$T/show.out'"
check "--show-secrets: no plaintext" no_plain "$T/show.out"

# the attacks: python3 (encodings, then splits) and node
run python3 "$top_srcdir/t/known/attack.py" "$col_PORT" enc > "$T/py.out"
run python3 "$top_srcdir/t/known/attack.py" "$col_PORT" split "%s.allowed.test" >> "$T/py.out"
run node "$top_srcdir/t/known/attack.js" "$col_PORT" > "$T/node.out"
sed 's/^/# /' "$T/py.out" "$T/node.out"
n=$(cat "$T/py.out" "$T/node.out" | grep -c ' blocked$')
check "python3: $(grep -c ' blocked$' "$T/py.out") attempts, every one blocked" sh -c \
	"[ \$(grep -c ' blocked\$' '$T/py.out') -eq 47 ] && ! grep -q ' sent\$' '$T/py.out'"
check "node: every attempt blocked" sh -c "[ \$(grep -c ' blocked\$' '$T/node.out') -eq 8 ] && ! grep -q ' sent\$' '$T/node.out'"
# bytewise(S/N): S bytes of N went out (the rest refused, or not tried)
check "a byte per request: refused before 25 of its 40 bytes went out" sh -c \
	"grep -Eq '^npmrc-registry.npmjs.org:bytewise\(([0-9]|1[0-9]|2[0-4])/40\) blocked' '$T/py.out'"
check "the collector never received a secret, in clear or encoded ($n blocks)" \
	python3 "$top_srcdir/t/known/leaked.py" "$col_LOG" $ALL
check "... nor the SSH key body" no_plain "$col_LOG"
check "the blocks are evented as known-secret (or placeholder: the jail holds those), with the transform" \
	event_has '"detector":"(known-secret|placeholder)"' '"layers":"(raw|relay)>reversed"'
check "... and across messages" event_has '"detector":"(known-secret|placeholder)"' 'split'

# each token still goes to its own registry
: > "$web_LOG"
run curl -s --cacert "$CA" -H "Authorization: Bearer $NPM" "https://registry.npmjs.org:$web_PORT/a" >/dev/null
check "the npm token to registry.npmjs.org (its home) goes through" grep -qF "$NPM" "$web_LOG"
# (-k: the test certificate does not name npm.allowed.test)
run curl -s -k -H "Authorization: Bearer $CORP" "https://npm.allowed.test:$web_PORT/b" >/dev/null
check "the second token to its own registry (from .npmrc) goes through" grep -qF "$CORP" "$web_LOG"
: > "$web_LOG"
run curl -s --cacert "$CA" -H "Authorization: Bearer $CORP" "https://registry.npmjs.org:$web_PORT/c" >/dev/null
rc=$?
check "... but not to the other registry (exit $rc)" sh -c "[ $rc -ne 0 ] && ! grep -qF '$CORP' '$web_LOG'"
check "no plaintext in the events or on stderr" no_plain "$T/events.jsonl" "$T/jail.err"

# the ad hoc broker (LD_PRELOAD, no launcher) collects them too
mkdir -m 700 "$T/run"
printf 'allow 127.0.0.1\n' > "$T/adhoc.policy"
: > "$col_LOG"
(cd "$W" && HOME="$H" XDG_RUNTIME_DIR="$T/run" DLPJAIL_BIN="$DLPJAIL" DLPJAIL_POLICY="$T/adhoc.policy" \
	DLPJAIL_IDLE=5 LD_PRELOAD="$DLPJAIL_SHIM" python3 "$top_srcdir/t/known/attack.py" "$col_PORT" enc) \
	> "$T/adhoc.out" 2> "$T/adhoc.err"
bpid=$(fuser "$T/run/dlpjail/broker.lock" 2>/dev/null | tr -d ' ')
[ -n "$bpid" ] && PIDS="$PIDS $bpid"
check "ad hoc broker: all $(grep -c ' blocked$' "$T/adhoc.out") encoded sends blocked" sh -c \
	"[ \$(grep -c ' blocked\$' '$T/adhoc.out') -eq 37 ] && ! grep -q ' sent\$' '$T/adhoc.out'"
check "ad hoc broker: nothing reached the collector, no plaintext in its events" sh -c \
	"python3 '$top_srcdir/t/known/leaked.py' '$col_LOG' $ALL && ! grep -qF -e '$NPM' -e '$AWSSEC' '$T/run/dlpjail/events.jsonl' '$T/adhoc.err'"
[ -n "$bpid" ] && kill "$bpid" 2>/dev/null
finish
