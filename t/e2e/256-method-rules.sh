#!/bin/sh
# 256-method-rules: read-only registries (issue 13). Under npm's profile
# (registry.npmjs.org takes GET, HEAD and the audit POST only) npm install
# with its audit works against the t/registry stand-in; npm publish (PUT)
# is refused before it leaves, with the policy line named in the event and
# on stderr, and reaches the stand-in once the user's own file allows it.
# Then the ways around it: a POST carrying a canary written as headers and
# body apart, plain HTTP through the relay (busybox wget: no shim) and
# through the hooks (--no-relay), HTTP/2 prior knowledge, a Host header
# naming the registry on a connection made by address, a dot-segment path
# under the allowed audit prefix, and bytes that are not HTTP.
. "$(dirname "$0")/lib.sh"
. "$top_srcdir/t/registry/lib-registry.sh"
command -v node >/dev/null && command -v npm >/dev/null || skip "node/npm not installed"
command -v curl >/dev/null || skip "curl not installed"
reg_data --small
reg_sandbox
reg_start
start_http $REG_ADDR plain
CANARY=dlpcanary-m3thod-7Qx9vRk2
RULE='allow registry.npmjs.org methods GET,HEAD \(.*npm.policy:[0-9]+\)'

# mjail LOG CMD...: the command under npm's profile (no other policy file)
mjail() {
	log=$1; shift
	timeout -k 5 120 "$DLPJAIL" --profile npm --log "$T/$log.jsonl" "$@"
}
# ev LOG PATTERN...: one event of LOG matches every pattern
ev() {
	log=$1; shift
	line=$(cat "$T/$log.jsonl" 2>/dev/null)
	for pat in "$@"; do
		line=$(printf '%s\n' "$line" | grep -E -- "$pat") || return 1
	done
	[ -n "$line" ]
}
no_blocks() { ! grep -q '"action":"blocked"' "$T/$1.jsonl" 2>/dev/null; }
reached() { grep -q -- "$1" "$2"; }

# 1. npm install with its audit: GETs and the POST below /-/npm/v1/security/
P=$T/proj
mkdir -p "$P"
printf '{"name":"t-proj","version":"1.0.0","dependencies":{"dlpt-hello":"*","dlpt-leaf":"*"}}\n' \
	> "$P/package.json"
(cd "$P" && mjail install npm install --audit --no-fund) > "$T/install.out" 2>&1
rc=$?
[ $rc -eq 0 ] || tail -15 "$T/install.out" | sed 's/^/# /'
check "npm install under the read-only profile: exit 0 (exit $rc)" [ $rc -eq 0 ]
check "npm install: nothing blocked" no_blocks install
check "npm install: the packages came (GET)" reached "GET /dlpt-hello/-/dlpt-hello-1.0.0.tgz 200" "$REG_LOG"
check "npm install: its audit POST reached the registry" reached "POST /-/npm/v1/security/" "$REG_LOG"
check "npm install: dlpt-hello installed" [ -f "$P/node_modules/dlpt-hello/package.json" ]

# the other package managers under their own read-only profiles (yarn,
# pnpm and bun audit POST below /-/npm/v1/security/ too; pip only GETs)
for pm in yarn pnpm bun; do
	command -v $pm >/dev/null || { echo "# SKIP $pm: not installed"; continue; }
	D=$T/$pm
	mkdir -p "$D"
	cp "$P/package.json" "$D/"
	case $pm in
	yarn) set -- yarn install --non-interactive --no-progress ;;
	pnpm) set -- pnpm install --reporter=append-only ;;
	bun) set -- bun install --no-progress ;;
	esac
	(cd "$D" && timeout -k 5 120 "$DLPJAIL" --log "$T/$pm.jsonl" -- "$@") > "$T/$pm.out" 2>&1
	rc=$?
	[ $rc -eq 0 ] || tail -8 "$T/$pm.out" | sed 's/^/# /'
	check "$pm install under its read-only profile: exit 0, nothing blocked (exit $rc)" \
		sh -c "[ $rc -eq 0 ] && ! grep -q '\"action\":\"blocked\"' '$T/$pm.jsonl'"
done
export PIP_DISABLE_PIP_VERSION_CHECK=1 PIP_NO_CACHE_DIR=1
timeout -k 5 120 "$DLPJAIL" --log "$T/pip.jsonl" -- python3 -m pip download -q -d "$T/dl" \
	dlpt-wheel > "$T/pip.out" 2>&1
rc=$?
[ $rc -eq 0 ] || tail -8 "$T/pip.out" | sed 's/^/# /'
check "pip download under pip's read-only profile: exit 0, nothing blocked (exit $rc)" \
	sh -c "[ $rc -eq 0 ] && ! grep -q '\"action\":\"blocked\"' '$T/pip.jsonl'"

# 2. npm publish: PUT /dlpt-mine, refused with the rule named
Q=$T/pub
mkdir -p "$Q"
printf '{"name":"dlpt-mine","version":"1.0.0"}\n' > "$Q/package.json"
printf '//registry.npmjs.org/:_authToken=npm_%s\n' "$(printf 'p%.0s' $(seq 36))" > "$Q/.npmrc"
(cd "$Q" && mjail publish npm publish --fetch-retries=0) > "$T/publish.out" 2>&1
rc=$?
check "npm publish is refused (exit $rc)" [ $rc -ne 0 ]
check "npm publish: no PUT reached the registry" sh -c "! grep -q '^PUT ' '$REG_LOG'"
check "npm publish: the event names the method rule" ev publish '"action":"blocked"' "$RULE" '"reason":"PUT '
check "npm publish: stderr names the method rule" grep -Eq "$RULE" "$T/publish.out"
check "npm publish: the summary says how to allow it" grep -q "a method rule limits the requests to this host" "$T/publish.out"
# the user's own file opens publishing of that one package
mkdir -p "$XDG_CONFIG_HOME/dlpjail"
printf 'allow registry.npmjs.org method PUT path /dlpt-mine\n' > "$XDG_CONFIG_HOME/dlpjail/user.policy"
(cd "$Q" && mjail publish2 npm publish --fetch-retries=0) > "$T/publish2.out" 2>&1
check "npm publish allowed by the user's file: the PUT reaches the registry" \
	reached "PUT /dlpt-mine " "$REG_LOG"
check "npm publish allowed by the user's file: no method refusal" \
	sh -c "! grep -q 'methods GET,HEAD' '$T/publish2.jsonl'"
rm -f "$XDG_CONFIG_HOME/dlpjail/user.policy"

# 3. a POST carrying a canary, headers and body in two writes, over TLS
cat > "$T/post.js" <<EOF
const r = require('https').request('https://registry.npmjs.org/dlpt-exfil', {method: 'POST',
  headers: {'content-type': 'text/plain', 'content-length': '${#CANARY}'}}, s => {
  s.resume(); s.on('end', () => console.log('status', s.statusCode)); });
r.on('error', e => console.log('error', e.code));
r.flushHeaders();
setTimeout(() => r.end('$CANARY'), 300);
EOF
out=$(mjail canary --canary "$CANARY" node "$T/post.js" 2>&1)
check "a canary POST to the read-only registry is refused ($out)" sh -c "! echo '$out' | grep -q 'status'"
check "canary POST: nothing reached the registry" sh -c "! grep -q 'dlpt-exfil' '$REG_LOG'"
check "canary POST: refused by the method rule" ev canary '"action":"blocked"' "$RULE" '"reason":"POST '
check "canary POST: the canary never in an event unredacted" sh -c "! grep -q '$CANARY' '$T/canary.jsonl'"

# npm's _auth (Basic user:password) goes to the registry, not elsewhere
AUTH=$(printf 'ci-deploy:Qm7vRt2xLp9KwZ4n' | base64 -w0)
cat > "$T/auth.js" <<EOF
require('https').get('https://' + process.argv[2] + '/dlpt-auth', {headers: {authorization:
  'Basic $AUTH'}}, r => { r.resume(); r.on('end', () => console.log('status', r.statusCode)); })
  .on('error', e => console.log('error', e.code));
EOF
out=$(mjail auth node "$T/auth.js" registry.npmjs.org 2>&1)
check "npm _auth Basic to registry.npmjs.org passes ($out)" [ "$out" = "status 404" ]
check "... judged as npm-auth-basic at its home" ev auth '"detector":"npm-auth-basic"' '"rule":"home-domain"'
n=$(grep -c 'GET /dlpt-auth ' "$REG_LOG")
mjail auth2 node "$T/auth.js" github.com > /dev/null 2>&1
check "the same Basic value to github.com is refused" ev auth2 '"action":"blocked"' '"detector":"basic-auth"'
check "... and never reached it" [ "$(grep -c 'GET /dlpt-auth ' "$REG_LOG")" -eq "$n" ]

# 4. a dot-segment path under the allowed audit prefix
out=$(mjail dots curl -s -o /dev/null -w '%{http_code}' --path-as-is -X POST --data x \
	"https://registry.npmjs.org/-/npm/v1/security/../../../dlpt-x" 2>&1)
check "POST /-/npm/v1/security/../../../x is refused" ev dots '"action":"blocked"' "$RULE"
check "dot-segment POST: nothing reached the registry" sh -c "! grep -q 'dlpt-x' '$REG_LOG'"

# 5. plain HTTP through the relay only (busybox-static: no shim) ...
URL=http://registry.npmjs.org:$plain_PORT
if command -v busybox >/dev/null; then
	out=$(mjail bbget busybox wget -q -O - "$URL/read" 2>&1)
	check "busybox wget GET through the relay works ($out)" [ "$out" = "hello" ]
	mjail bbpost busybox wget -q -O - --post-data "x=1" "$URL/bb-post" > /dev/null 2>&1
	check "busybox wget POST (relay path) refused: not at the server" \
		sh -c "! grep -q 'bb-post' '$plain_LOG'"
	check "busybox wget POST: the relay's event names the rule" \
		ev bbpost '"action":"blocked"' '"layers":"relay' "$RULE"
else
	echo "# SKIP busybox-static not installed"
fi
# ... and through the hooks alone
mjail nr --no-relay curl -s -X POST --data x "$URL/nr-post" > /dev/null 2>&1
check "curl POST with --no-relay (hook path) refused: not at the server" \
	sh -c "! grep -q 'nr-post' '$plain_LOG'"
check "curl POST with --no-relay: the event names the rule" ev nr '"action":"blocked"' "$RULE"
# HTTP/2 prior knowledge: :method and :path
mjail h2 curl -s --http2-prior-knowledge -X PUT --data x "$URL/h2-put" > /dev/null 2>&1
check "HTTP/2 PUT refused by the rule" ev h2 '"action":"blocked"' "$RULE" '"reason":"PUT '
check "HTTP/2 PUT: not at the server" sh -c "! grep -q 'h2-put' '$plain_LOG'"

# 6. by address, naming the registry in the Host header
mjail hosthdr --allow $REG_ADDR curl -s -X DELETE -H "Host: registry.npmjs.org" \
	"http://$REG_ADDR:$plain_PORT/host-del" > /dev/null 2>&1
check "DELETE by address with Host: registry.npmjs.org refused" \
	ev hosthdr '"action":"blocked"' "$RULE" '"reason":"DELETE '
check "Host header trick: not at the server" sh -c "! grep -q 'host-del' '$plain_LOG'"

# 7. what a server may take for another request: a method override header,
# ambiguous framing (a second request smuggled in a "body"), an
# absolute-form target naming the registry on a connection by address
cat > "$T/smuggle.py" <<'EOF'
import socket, sys
host, port, what = sys.argv[1], int(sys.argv[2]), sys.argv[3]
reqs = {
    "override": b"POST /-/npm/v1/security/x-override HTTP/1.1\r\nHost: registry.npmjs.org\r\n"
                b"X-HTTP-Method-Override: PUT\r\nContent-Length: 1\r\n\r\nx",
    "clte": b"POST /-/npm/v1/security/x-clte HTTP/1.1\r\nHost: registry.npmjs.org\r\n"
            b"Content-Length: 40\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n"
            b"PUT /x-smuggled HTTP/1.1\r\nHost: a\r\n\r\n",
    "absolute": b"PUT http://registry.npmjs.org/x-absolute HTTP/1.1\r\nHost: other.test\r\n"
                b"Content-Length: 1\r\n\r\nx",
}
s = socket.create_connection((host, port))
try:
    s.sendall(reqs[what]); s.settimeout(2); print(s.recv(100))
except OSError as e:
    print("error", e)
EOF
for w in override clte; do
	mjail "sm-$w" python3 "$T/smuggle.py" registry.npmjs.org "$plain_PORT" $w > /dev/null 2>&1
done
check "POST with X-HTTP-Method-Override: PUT is refused by the rule" \
	ev sm-override '"action":"blocked"' "$RULE" '"reason":"PUT '
check "Content-Length with Transfer-Encoding to a read-only host is refused" \
	ev sm-clte '"action":"blocked"' 'ambiguous framing'
mjail sm-absolute --allow $REG_ADDR python3 "$T/smuggle.py" $REG_ADDR "$plain_PORT" absolute > /dev/null 2>&1
check "an absolute-form PUT naming the registry, by address, is refused" \
	ev sm-absolute '"action":"blocked"' "$RULE"
check "none of them reached the server" sh -c "! grep -Eq 'x-override|x-clte|x-smuggled|x-absolute' '$plain_LOG'"

# 8. bytes that are not HTTP to a read-only host
cat > "$T/raw.py" <<EOF
import socket, sys
s = socket.create_connection(("registry.npmjs.org", int(sys.argv[1])))
try:
    s.sendall(b"PUT  /raw-put HTTP/1.1\r\nHost: registry.npmjs.org\r\n\r\n")
    s.settimeout(2); print(s.recv(100))
except OSError as e:
    print("error", e)
EOF
mjail raw python3 "$T/raw.py" "$plain_PORT" > /dev/null 2>&1
check "a request line that is not HTTP to a read-only host is refused" \
	ev raw '"action":"blocked"' 'method rules'
check "not-HTTP bytes: not at the server" sh -c "! grep -q 'raw-put' '$plain_LOG'"
# another protocol to the same host (git over SSH to github.com) is no request
cat > "$T/ssh.py" <<EOF
import socket, sys
s = socket.create_connection(("registry.npmjs.org", int(sys.argv[1])))
s.sendall(b"SSH-2.0-OpenSSH_9.2p1 Debian-2\r\n")
s.settimeout(2)
try: print("got", len(s.recv(100)))
except OSError as e: print("error", e)
EOF
# SSH is refused by its own gate (t/e2e/380) unless the user's policy says
# "ssh HOST"; with that line the method rules must not refuse it either
mjail ssh0 python3 "$T/ssh.py" "$plain_PORT" > /dev/null 2>&1
check "an SSH banner without an ssh line: refused by the SSH gate, not the method rules" \
	sh -c "grep -q 'relay-ssh' '$T/ssh0.jsonl' && ! grep -q 'method rules' '$T/ssh0.jsonl'"
printf 'allow registry.npmjs.org\nallow registry.npmjs.org methods GET,HEAD\nssh registry.npmjs.org\n' \
	> "$T/ssh.policy"
out=$(mjail ssh -p "$T/ssh.policy" python3 "$T/ssh.py" "$plain_PORT" 2>&1)
check "an SSH banner to a read-only host named by ssh HOST is not refused ($out)" sh -c "! grep -q '\"action\":\"blocked\"' '$T/ssh.jsonl'"
finish
