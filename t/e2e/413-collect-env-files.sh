#!/bin/sh
# 413-collect-env-files: the working directory's other env files and YAML
# that does not parse whole. ./.env.local, ./.env.production and
# ./.env.development.local (what dotenv loaders read over .env), direnv's
# ./.envrc, the files compose.yaml's services name in env_file (a string,
# a list, a {path:} entry, in a sub directory), ~/_netrc; a ~/.kube/config
# with one entry kubectl would reject (a tab-indented preferences) and a
# ~/.config/hub whose first document is broken: their users' tokens are
# known all the same. Real python3 under dlpjail POSTs each value (plain
# and base64) to a loopback server: each is refused and evented redacted,
# --show-secrets names its file (path and line, never the value); run
# bare, all reach it. Close negatives from the same files go through:
# .env.example's token (a committed template), "${DB_PASSWORD}",
# "changeme", a feature flag, a user name, an env_file path, and the
# value inside the kubeconfig's broken entry (nothing of it is read).
. "$(dirname "$0")/lib.sh"
need_relay
start_http 127.0.0.1 col

H=$T/home
W=$T/work
mkdir -p "$H/.kube" "$H/.config" "$W/config"
python3 - "$T" "$H" "$W" <<'PY' || { echo "cannot write the credential files"; exit 99; }
import secrets, sys
t, h, w = sys.argv[1:4]
r = lambda n: secrets.token_urlsafe(n)
v = {"env-local": "sk_live_" + r(24), "env-production": r(30), "env-dev-local": r(26),
     "envrc": "hvs." + r(40), "env-file-api": r(28), "env-file-worker": r(22),
     "env-file-opt": r(25), "win-netrc": r(18), "kube-part": r(32), "hub-part": "gho_" + r(27)}
tmpl = "tmpl" + r(24)
open(w + "/.env.local", "w").write(
    "# local overrides\nSTRIPE_SECRET_KEY=%s\nFEATURE_CHECKOUT=enabled\nDB_PASSWORD=${DB_PASSWORD}\n"
    "ADMIN_PASSWORD=changeme\n" % v["env-local"])
open(w + "/.env.production", "w").write("export SESSION_SECRET=\"%s\"\nLOG_LEVEL=warn\n" % v["env-production"])
open(w + "/.env.development.local", "w").write("API_TOKEN='%s'\n" % v["env-dev-local"])
open(w + "/.env.example", "w").write("API_TOKEN=%s\n" % tmpl)
open(w + "/.envrc", "w").write("dotenv_if_exists .env.local\nexport VAULT_TOKEN=%s\nPATH_add bin\n" % v["envrc"])
open(w + "/compose.yaml", "w").write(
    "services:\n  api:\n    image: corp/api:1.2\n    env_file: config/api.env\n"
    "  worker:\n    image: corp/worker\n    env_file:\n      - ./config/worker.env\n"
    "      - path: config/opt.env\n        required: false\n")
open(w + "/config/api.env", "w").write("API_SIGNING_KEY=%s\nAPI_USER=deploy-bot\n" % v["env-file-api"])
open(w + "/config/worker.env", "w").write("QUEUE_PASSWORD=%s\nWORKERS=4\n" % v["env-file-worker"])
open(w + "/config/opt.env", "w").write("OPT_TOKEN=%s\n" % v["env-file-opt"])
open(h + "/_netrc", "w").write("machine git.t413.example login bob password %s\n" % v["win-netrc"])
bad = r(30)
open(h + "/.kube/config", "w").write(
    "apiVersion: v1\nclusters:\n- cluster:\n    server: https://k8s.t413.example:6443\n  name: k\n"
    "contexts:\n- context:\n    cluster: k\n    user: ci\n  name: k\ncurrent-context: k\nkind: Config\n"
    "preferences:\n\tcolors: true\n\ttoken: %s\nusers:\n- name: ci\n  user:\n    token: %s\n"
    % (bad, v["kube-part"]))
open(h + "/.config/hub", "w").write(
    "ghe.t413.example: {oauth_token: \"unterminated\n---\ngithub.com:\n- user: bob\n"
    "  oauth_token: %s\n  protocol: https\n" % v["hub-part"])
with open(t + "/values", "w") as f:
    for k, x in v.items():
        f.write("%s %s\n" % (k, x))
with open(t + "/benign", "w") as f:
    for x in [tmpl, "${DB_PASSWORD}", "changeme", "FEATURE_CHECKOUT=enabled", "deploy-bot",
              "config/api.env", "https://k8s.t413.example:6443", bad, "git.t413.example"]:
        f.write(x + "\n")
PY

cp "$top_srcdir/t/e2e/collect_send.py" "$T/send.py"   # each value plain and in base64
J="--no-default-policy --allow 127.0.0.1 --no-canaries"
NV=$(wc -l < "$T/values")
NB=$(wc -l < "$T/benign")
no_plain() {
	while read -r name s; do
		if grep -qF -- "$s" "$@"; then echo "plaintext $name in $*"; return 1; fi
	done < "$T/values"
}

(cd "$W" && HOME=$H "$DLPJAIL" --show-secrets) > "$T/show.out" 2>&1
sed 's/^/# /' "$T/show.out"
check "--show-secrets: .env.local, .env.production, .env.development.local" sh -c \
	"grep -Eq 'from ./.env.local:2 ' '$T/show.out' && grep -Eq 'from ./.env.production:1 ' '$T/show.out' &&
	 grep -Eq 'from ./.env.development.local:1 ' '$T/show.out'"
check "--show-secrets: direnv's .envrc" grep -Eq 'from ./.envrc:2 ' "$T/show.out"
check "--show-secrets: compose env_file files (string, list, {path:})" sh -c \
	"grep -Eq 'from ./config/api.env:1 ' '$T/show.out' && grep -Eq 'from ./config/worker.env:1 ' '$T/show.out' &&
	 grep -Eq 'from ./config/opt.env:1 ' '$T/show.out'"
check "--show-secrets: ~/_netrc, homed at its machine" \
	grep -Eq 'from ~/_netrc:1 +homes: git.t413.example$' "$T/show.out"
check "--show-secrets: the kubeconfig's user beside a broken entry, homed at its server" \
	grep -Eq 'from ~/.kube/config:19 +homes: k8s.t413.example$' "$T/show.out"
check "--show-secrets: hub's second document" grep -Eq 'from ~/.config/hub:5 +homes: github.com' "$T/show.out"
check "--show-secrets: exactly these $NV" grep -q "^$NV known secrets" "$T/show.out"
check "--show-secrets: no plaintext" no_plain "$T/show.out"

(cd "$W" && HOME=$H python3 "$T/send.py" $col_PORT "$T" secrets) > "$T/bare.out" 2>&1
check "bare: all $((NV * 2)) forms reach the server" sh -c "[ \$(grep -c ' sent\$' '$T/bare.out') -eq $((NV * 2)) ]"

: > "$col_LOG"
(cd "$W" && HOME=$H "$DLPJAIL" --log "$T/events.jsonl" $J -- python3 "$T/send.py" $col_PORT "$T" secrets) \
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

(cd "$W" && HOME=$H "$DLPJAIL" --log "$T/events2.jsonl" $J -- python3 "$T/send.py" $col_PORT "$T" benign) \
	> "$T/benign.out" 2>&1
sed 's/^/# benign: /' "$T/benign.out"
check "jail: all $NB close negatives go through" sh -c "[ \$(grep -c ' sent\$' '$T/benign.out') -eq $NB ]"
finish
