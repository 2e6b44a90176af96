#!/bin/sh
# 395-tls-rustls-keys: pnpm 11+ is a Rust program whose rustls (on aws-lc,
# linked into the executable) does its own TLS: no hooked library, so its
# connections took the relay's CA path (two TLS legs each). The shim now
# patches aws-lc's key schedule (hook_awslc.c) and hands the traffic
# secrets to the broker: the key path, one TLS leg, the relay decrypts.
# Asserted: real pnpm's connections take the key path (the relay's -v -v
# line), a clean request works, and a secret in its POST body (`pnpm
# audit` posts the lockfile's package names), in the request path or in an
# Authorization header is still refused and never reaches the server.
# node (https.get) keeps its own key path (hook_node.c) in the same run.
. "$(dirname "$0")/lib.sh"
. "$top_srcdir/t/tls/lib-tls.sh"
need_relay
command -v pnpm >/dev/null || skip "pnpm not installed"
PNPM=$(readlink -f "$(command -v pnpm)")
nm -D "$PNPM" 2>/dev/null | grep -q ' T aws_lc_.*_HKDF_expand$' ||
	skip "this pnpm is not rustls on an exported aws-lc"

make_ca
mkdir -p "$T/saved" "$T/docs/dlp-demo/-" "$T/pkg" "$T/p"
TOKEN=ghp_Zq3CanaryToken7Xy9Kp2Lm4Nn6Rr8Tt0Vv1
start_https 127.0.0.1 w4 --save "$T/saved" --docroot "$T/docs"
REG="https://localhost:$w4_PORT/"
export SSL_CERT_FILE="$CA" NODE_EXTRA_CA_CERTS="$CA"
J="--allow 127.0.0.1 --canary $TOKEN -v -v"

printf 'module.exports = 1;\n' > "$T/pkg/index.js"
printf '{"name":"dlp-demo","version":"1.0.0"}\n' > "$T/pkg/package.json"
(cd "$T/pkg" && tar -czf "$T/docs/dlp-demo/-/dlp-demo-1.0.0.tgz" --transform 's,^\.,package,' .)
integ="sha512-$(openssl dgst -sha512 -binary "$T/docs/dlp-demo/-/dlp-demo-1.0.0.tgz" | base64 -w0)"
cat > "$T/docs/dlp-demo.json" <<JSON
{"name":"dlp-demo","dist-tags":{"latest":"1.0.0"},"time":{"1.0.0":"2026-01-01T00:00:00.000Z"},
"versions":{"1.0.0":{"name":"dlp-demo","version":"1.0.0","dist":{"tarball":"${REG}dlp-demo/-/dlp-demo-1.0.0.tgz","integrity":"$integ"}}}}
JSON

cd "$T/p" || exit 99
printf '{"name":"p","version":"1.0.0"}\n' > package.json
out=$(jail $J -- pnpm view dlp-demo version --registry "$REG" 2>&1); rc=$?
check "pnpm view over TLS works under the jail" [ "$rc" -eq 0 ]
check "pnpm view printed the version" has "$out" '^1\.0\.0$'
check "pnpm's connection took the key path" has "$out" 'relay: TLS from [^ ]*pnpm to localhost:[0-9]+: key path'
check "no pnpm connection took the CA path" sh -c '! printf "%s\n" "$1" | grep -q "pnpm to .*: CA path"' _ "$out"

# audit POSTs {"NAME":["VERSION"]} for every lockfile package: the canary is a name
printf '{"name":"p","version":"1.0.0","dependencies":{"%s":"1.0.0"}}\n' "$TOKEN" > package.json
cat > pnpm-lock.yaml <<YAML
lockfileVersion: '9.0'

importers:
  .:
    dependencies:
      $TOKEN:
        specifier: 1.0.0
        version: 1.0.0

packages:
  $TOKEN@1.0.0:
    resolution: {integrity: sha512-AAAA}

snapshots:
  $TOKEN@1.0.0: {}
YAML
out=$(jail $J -- pnpm audit --registry "$REG" 2>&1); rc=$?
check "pnpm audit with a canary in its POST body fails" [ "$rc" -ne 0 ]
check "audit: the key path, not the CA path" has "$out" 'pnpm to localhost:[0-9]+: key path'
check "audit: dlpjail says it blocked the send" has "$out" 'dlpjail: blocked (TLS )?send'
check "audit: the event is a canary block in TLS plaintext" \
	event_has '"op":"send"' '"detector":"canary"' '"layers":"relay>tls' '"action":"blocked"'
rm -f pnpm-lock.yaml
printf '{"name":"p","version":"1.0.0"}\n' > package.json

out=$(jail $J -- pnpm view "$TOKEN" --registry "$REG" 2>&1); rc=$?
check "pnpm view of a canary-named package (request path) fails" [ "$rc" -ne 0 ]
out=$(jail $J -- pnpm view dlp-demo version --registry "$REG" \
	"--//localhost:$w4_PORT/:_authToken=$TOKEN" 2>&1); rc=$?
check "pnpm with a canary auth token (header) fails" [ "$rc" -ne 0 ]
check "the server never received the token" no_token "$w4_LOG"

# a clean install over the key path, byte for byte
printf '{"name":"p","version":"1.0.0","dependencies":{"dlp-demo":"1.0.0"}}\n' > package.json
out=$(jail $J -- pnpm install --registry "$REG" --store-dir "$T/store" 2>&1); rc=$?
check "pnpm install over the key path works" [ "$rc" -eq 0 ] || printf '%s\n' "$out" | tail -5
check "pnpm install: the package arrived byte for byte" \
	cmp -s "$T/pkg/index.js" "$T/p/node_modules/dlp-demo/index.js"

# TLS 1.2 (its key block's PRF), full and resumed: a second pnpm process
# and several connections of one install resume the session
start_https 127.0.0.1 w2 --save "$T/saved" --docroot "$T/docs" --tls12
REG2="https://localhost:$w2_PORT/"
sed "s|$REG|$REG2|g" "$T/docs/dlp-demo.json" > "$T/docs/dlp-demo.json.2" &&
	mv "$T/docs/dlp-demo.json.2" "$T/docs/dlp-demo.json"
rm -rf node_modules pnpm-lock.yaml "$T/store"
out=$(jail $J -- pnpm install --registry "$REG2" --store-dir "$T/store" 2>&1); rc=$?
check "TLS 1.2: pnpm install over the key path works" [ "$rc" -eq 0 ] || printf '%s\n' "$out" | tail -5
check "TLS 1.2: the key path" has "$out" "pnpm to localhost:$w2_PORT: key path"
check "TLS 1.2: the package arrived byte for byte" \
	cmp -s "$T/pkg/index.js" "$T/p/node_modules/dlp-demo/index.js"
out=$(jail $J -- pnpm view dlp-demo version --registry "$REG2" \
	"--//localhost:$w2_PORT/:_authToken=$TOKEN" 2>&1); rc=$?
check "TLS 1.2: a canary auth token fails" [ "$rc" -ne 0 ]
check "TLS 1.2: the server never received the token" no_token "$w2_LOG"

# node (its own patched OpenSSL, hook_node.c) still goes the key path too
if command -v node >/dev/null; then
	out=$(jail $J -- node -e "
require('https').get({host: 'localhost', port: $w4_PORT, path: '/dlp-demo.json'}, r => {
	r.resume(); r.on('end', () => console.log('status', r.statusCode)); });" 2>&1)
	check "node https.get works" has "$out" '^status 200'
	check "node's connection took the key path" has "$out" 'TLS from [^ ]*node to localhost:[0-9]+: key path'
fi
check "the event log never holds the token in clear" no_token "$T/events.jsonl"
finish
