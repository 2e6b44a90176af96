#!/bin/sh
# 401-collect-gaps: credentials where the collector did not look before:
# past 64 KiB (a ~/.kube/config of 300 KiB of clusters with embedded CA
# bundles whose user's token comes last, and whose other user's
# client-key-data, an RSA-4096 key, is a 4.3 KiB line; a 100 KiB ./.env),
# in YAML flow style (~/.config/gh/hosts.yml as one flow map,
# ~/.yarnrc.yml's npmRegistries in flow, a $KUBECONFIG file all flow with
# an anchored credential used by alias), and on a SQLite overflow page
# (gcloud's credentials.db: a 6 KiB row, made by python3's sqlite3, whose
# client secret lies past the part on the table page). Real python3 under
# dlpjail POSTs each value (plain and base64) to a loopback server: each
# is refused and evented redacted; run bare, all reach it. Close
# negatives from the same files (hostnames, server URLs, "https", a user
# name, a CA bundle line, a .env feature flag) go through the jail.
# Bound: 1 GiB sparse files at ~/.netrc, ~/.docker/config.json and
# gcloud's access_tokens.db cost `--show-secrets` under 3 s and 100 MB.
# Firefox's cookies.sqlite (2000 trackers, 3 session cookies, one of them
# 5 KiB), and a running profile's whose last cookie is only in its
# cookies.sqlite-wal: the session cookies refused, a tracker's value and a
# consent flag sent.
. "$(dirname "$0")/lib.sh"
command -v openssl >/dev/null || skip "openssl not installed"
python3 -c 'import sqlite3' 2>/dev/null || skip "python3 without sqlite3"
need_relay
start_http 127.0.0.1 col

H=$T/home
W=$T/work
mkdir -p "$H/.kube" "$H/.config/gh" "$H/.config/gcloud" "$H/keys" "$W" \
	"$H/.mozilla/firefox/t401.default-release" "$H/.mozilla/firefox/t401.running"
openssl genrsa -out "$T/k4096.pem" 4096 2>/dev/null || { echo "openssl genrsa failed"; exit 99; }
python3 - "$T" "$H" "$W" <<'PY' || { echo "cannot write the credential files"; exit 99; }
import base64, json, secrets, sqlite3, sys
t, h, w = sys.argv[1:4]
r = lambda n: secrets.token_urlsafe(n)
v = {"kube-big-token": r(24), "env-big-token": r(24), "gh-flow-token": r(27),
     "yarn-flow-token": r(30), "kube-flow-token": r(25), "gcloud-db-secret": r(18),
     "gcloud-db-refresh": "1//0g" + r(60)}
# ~/.kube/config: 40 clusters with 6 KiB CA bundles, then the users
ca = base64.b64encode(secrets.token_bytes(4600)).decode()
cl = "".join("- cluster:\n    certificate-authority-data: %s\n    server: https://k%d.t401.example:6443\n"
             "  name: c%d\n" % (ca, i, i) for i in range(40))
kd = base64.b64encode(open(t + "/k4096.pem", "rb").read()).decode()
open(h + "/.kube/config", "w").write(
    "apiVersion: v1\nclusters:\n" + cl + "contexts:\n- context:\n    cluster: c39\n    user: ci\n"
    "  name: t\ncurrent-context: t\nkind: Config\nusers:\n- name: keyed\n  user:\n"
    "    client-key-data: %s\n- name: ci\n  user:\n    token: %s\n" % (kd, v["kube-big-token"]))
# ./.env: 100 KiB of settings, the token last
open(w + "/.env", "w").write("".join("FEATURE_%04d=enabled\n" % i for i in range(5000)) +
                             "API_TOKEN=%s\n" % v["env-big-token"])
# flow style
open(h + "/.config/gh/hosts.yml", "w").write(
    "{ghe.t401.example: {user: octocat, oauth_token: %s, git_protocol: https}}\n" % v["gh-flow-token"])
open(h + "/.yarnrc.yml", "w").write(
    "enableTelemetry: false\nnpmRegistries: {\"//npm.t401.example\": {npmAlwaysAuth: true,\n"
    "    npmAuthToken: '%s'}}\n" % v["yarn-flow-token"])
open(h + "/keys/flow.yaml", "w").write(
    "creds: &ci {token: \"%s\"}\napiVersion: v1\nkind: Config\n"
    "clusters: [{name: t, cluster: {server: 'https://k8s.t401.example:6443'}}]\n"
    "contexts: [{name: t, context: {cluster: t, user: ci}}]\n"
    "users: [{name: ci, user: *ci}]\n" % v["kube-flow-token"])
# gcloud's credentials.db: the row spills to an overflow page
db = sqlite3.connect(h + "/.config/gcloud/credentials.db")
db.execute("CREATE TABLE credentials (account_id TEXT PRIMARY KEY, value BLOB)")
cred = {"client_id": "32555940559.apps.googleusercontent.com", "id_token": r(3000),
        "scopes": ["https://www.googleapis.com/auth/cloud-platform"] * 30,
        "client_secret": v["gcloud-db-secret"], "refresh_token": v["gcloud-db-refresh"],
        "type": "authorized_user"}
db.execute("INSERT INTO credentials VALUES (?, ?)", ("ci@t401.example", json.dumps(cred)))
db.commit()
db.close()
# Firefox's cookies.sqlite (its schema): 2000 trackers, a session cookie
# (a 5 KiB one on overflow pages), a token-random one with no telling name
v["cookie-session"] = "US" + r(30)
v["cookie-jwt-session"] = "eyJ" + r(4000)
v["cookie-li-at"] = "AQED" + r(40)
db = sqlite3.connect(h + "/.mozilla/firefox/t401.default-release/cookies.sqlite")
db.execute("CREATE TABLE moz_cookies (id INTEGER PRIMARY KEY, originAttributes TEXT NOT NULL DEFAULT '', "
           "name TEXT, value TEXT, host TEXT, path TEXT, expiry INTEGER, lastAccessed INTEGER, "
           "creationTime INTEGER, isSecure INTEGER, isHttpOnly INTEGER, inBrowserElement INTEGER DEFAULT 0, "
           "sameSite INTEGER DEFAULT 0, rawSameSite INTEGER DEFAULT 0, schemeMap INTEGER DEFAULT 0, "
           "isPartitionedAttributeSet INTEGER DEFAULT 0, CONSTRAINT moz_uniqueid UNIQUE (name, host, path, originAttributes))")
rows = [("_ga", "GA1.2.%d.%d" % (1000 + i, 7000 + i), ".site%d.example" % i) for i in range(2000)]
rows[700:700] = [("user_session", v["cookie-session"], "github.com")]
rows[1400:1400] = [("big_jwt_session", v["cookie-jwt-session"], ".corp.t401.example"),
                   ("li_at", v["cookie-li-at"], ".www.linkedin.com"),
                   ("consent", "yes-all-accepted-v2", ".site7.example")]
db.executemany("INSERT INTO moz_cookies (name, value, host, path, expiry) VALUES (?, ?, ?, '/', 1)", rows)
db.commit()
schema = db.execute("SELECT sql FROM sqlite_master WHERE name = 'moz_cookies'").fetchone()[0]
db.close()
# a running Firefox: its last cookie only in cookies.sqlite-wal (copied
# while the connection is open, as a backup of a live profile would be)
v["cookie-wal-session"] = "WS" + r(30)
db = sqlite3.connect(t + "/live.sqlite")
db.execute("PRAGMA journal_mode=WAL")
db.execute("PRAGMA wal_autocheckpoint=0")
db.execute(schema)
db.executemany("INSERT INTO moz_cookies (name, value, host, path, expiry) VALUES (?, ?, ?, '/', 1)", rows[:500])
db.commit()
db.execute("PRAGMA wal_checkpoint(TRUNCATE)")
db.execute("INSERT INTO moz_cookies (name, value, host, path, expiry) VALUES ('sessionid', ?, '.t401.example', '/', 1)",
           (v["cookie-wal-session"],))
db.commit()
for ext in ("", "-wal"):
    open(h + "/.mozilla/firefox/t401.running/cookies.sqlite" + ext, "wb").write(open(t + "/live.sqlite" + ext, "rb").read())
db.close()
with open(t + "/values", "w") as f:
    for k, x in v.items():
        f.write("%s %s\n" % (k, x))
    body = "".join(l for l in open(t + "/k4096.pem").read().splitlines() if not l.startswith("-----"))
    f.write("kube-rsa4096-reversed %s\n" % body[::-1])
with open(t + "/benign", "w") as f:
    for x in ["ghe.t401.example", "octocat", "https", "https://k8s.t401.example:6443",
              "npm.t401.example", "k39.t401.example", "ci@t401.example", ca[:2000], "FEATURE_0042=enabled",
              "32555940559.apps.googleusercontent.com", "https://www.googleapis.com/auth/cloud-platform",
              "GA1.2.1042.7042", "yes-all-accepted-v2"]:
        f.write(x + "\n")
PY
KC=$H/keys/flow.yaml:$H/.kube/config

cp "$top_srcdir/t/e2e/collect_send.py" "$T/send.py"   # each value plain and in base64
J="--no-default-policy --allow 127.0.0.1 --no-canaries"
ENVS="HOME=$H KUBECONFIG=$KC"
NV=$(wc -l < "$T/values")
NB=$(wc -l < "$T/benign")
no_plain() {
	while read -r name s; do
		if grep -qF -- "$s" "$@"; then echo "plaintext $name in $*"; return 1; fi
	done < "$T/values"
}

(cd "$W" && env $ENVS "$DLPJAIL" --show-secrets) > "$T/show.out" 2>&1
sed 's/^/# /' "$T/show.out"
check "--show-secrets: the big kubeconfig's last token, homed at its cluster" \
	grep -Eq 'from ~/.kube/config:[0-9]+ +homes: k39.t401.example$' "$T/show.out"
check "--show-secrets: the big kubeconfig's RSA-4096 client-key-data" \
	grep -Eq 'private key +from ~/.kube/config:[0-9]+ ' "$T/show.out"
check "--show-secrets: the big .env's token" grep -Eq 'from ./.env:5001 ' "$T/show.out"
check "--show-secrets: the flow hosts.yml token, homed at its host" \
	grep -Eq 'from ~/.config/gh/hosts.yml:1 +homes: ghe.t401.example api.ghe.t401.example' "$T/show.out"
check "--show-secrets: the flow .yarnrc.yml token, homed at its registry" \
	grep -Eq 'from ~/.yarnrc.yml:[0-9]+ +homes: npm.t401.example$' "$T/show.out"
check "--show-secrets: the flow kubeconfig's aliased token, homed at its server" \
	grep -Eq 'from .*/keys/flow.yaml:[0-9]+ +homes: k8s.t401.example$' "$T/show.out"
check "--show-secrets: credentials.db's spilled client secret and refresh token" \
	sh -c "[ \$(grep -Ec 'from ~/.config/gcloud/credentials.db +homes: oauth2.googleapis.com' '$T/show.out') -ge 2 ]"
check "--show-secrets: Firefox's session cookies, homed at their hosts, no tracker" sh -c \
	"grep -Eq 'firefox/t401.default-release/cookies.sqlite +homes: github.com$' '$T/show.out' &&
	 grep -Eq 'cookies.sqlite +homes: corp.t401.example \*.corp.t401.example$' '$T/show.out' &&
	 grep -Eq 'cookies.sqlite +homes: www.linkedin.com' '$T/show.out' &&
	 [ \$(grep -c 'cookies.sqlite' '$T/show.out') -eq 4 ]"
check "--show-secrets: the cookie only in a running profile's cookies.sqlite-wal" \
	grep -Eq 't401.running/cookies.sqlite +homes: t401.example \*.t401.example$' "$T/show.out"
check "--show-secrets: no plaintext" no_plain "$T/show.out"

(cd "$W" && env $ENVS python3 "$T/send.py" $col_PORT "$T" secrets) > "$T/bare.out" 2>&1
sed 's/^/# bare: /' "$T/bare.out"
check "bare: all $((NV * 2)) forms reach the server" sh -c "[ \$(grep -c ' sent\$' '$T/bare.out') -eq $((NV * 2)) ]"

: > "$col_LOG"
(cd "$W" && env $ENVS "$DLPJAIL" --log "$T/events.jsonl" $J -- python3 "$T/send.py" $col_PORT "$T" secrets) \
	> "$T/jail.out" 2> "$T/jail.err"
sed 's/^/# jail: /' "$T/jail.out"
while read -r name s; do
	for form in plain b64; do
		check "jail: $name ($form) refused" grep -q "^$name-$form blocked\$" "$T/jail.out"
	done
done < "$T/values"
check "jail: the server received none of them" no_plain "$col_LOG"
check "jail: evented as known-secret" event_has '"detector":"known-secret"'
check "no plaintext in the events or on stderr" no_plain "$T/events.jsonl" "$T/jail.err"

(cd "$W" && env $ENVS "$DLPJAIL" --log "$T/events2.jsonl" $J -- python3 "$T/send.py" $col_PORT "$T" benign) \
	> "$T/benign.out" 2>&1
sed 's/^/# benign: /' "$T/benign.out"
check "jail: all $NB close negatives go through" sh -c "[ \$(grep -c ' sent\$' '$T/benign.out') -eq $NB ]"

# the bound: sparse 1 GiB files where credential files are looked for
mkdir -p "$H/.docker"
for f in .netrc .docker/config.json .config/gcloud/access_tokens.db; do truncate -s 1G "$H/$f"; done
(cd "$W" && env $ENVS /usr/bin/time -f '%e %M' -o "$T/time.out" "$DLPJAIL" --show-secrets) > "$T/show2.out" 2>&1
echo "# huge files: $(cat "$T/time.out") (s, KiB)"
check "huge files: --show-secrets under 3 s and 100 MB" \
	awk '{ exit !($1 < 3 && $2 < 102400) }' "$T/time.out"
check "huge files: the same secrets still listed" sh -c \
	"[ \"\$(head -1 '$T/show.out')\" = \"\$(head -1 '$T/show2.out')\" ]"
finish
