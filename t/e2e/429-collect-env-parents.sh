#!/bin/sh
# 429-collect-env-parents: env files above the working directory. A
# monorepo's package loads the root's .env (dotenv-flow, Next.js, Vite's
# envDir, turbo), direnv its parents' .envrc: from ~/src/mono/packages/app
# the .env, .env.local and .envrc of packages/ and of the repository's
# root (the directory holding .git), and ~/.env when there is no
# repository; an npm lifecycle script run in node_modules/dep outside HOME
# and any repository reads its project's .env (npm_config_local_prefix).
# Real python3 under dlpjail POSTs each value (plain and base64): each is
# refused; --show-secrets names its file. Close negatives go through: the
# .env of the directory above the repository's root, and .env.example's.
. "$(dirname "$0")/lib.sh"
need_relay
start_http 127.0.0.1 col

H=$T/home
R=$H/src/mono
P=$T/proj
mkdir -p "$R/.git" "$R/packages/app" "$H/notrepo/a/b" "$P/node_modules/dep"
python3 - "$T" "$H" "$R" "$P" <<'PY' || { echo "cannot write the env files"; exit 99; }
import secrets, sys
t, h, r, p = sys.argv[1:5]
x = lambda n: secrets.token_urlsafe(n)
v = {"root-env": x(28), "root-local": "sk_live_" + x(24), "pkgs-envrc": "hvs." + x(40),
     "home-env": x(30), "npm-env": x(26)}
b = {"above-root": x(27), "tmpl": x(25)}
open(r + "/.env", "w").write("DATABASE_PASSWORD=%s\nLOG_LEVEL=info\n" % v["root-env"])
open(r + "/.env.local", "w").write("STRIPE_SECRET_KEY=%s\n" % v["root-local"])
open(r + "/.env.example", "w").write("API_TOKEN=%s\n" % b["tmpl"])
open(r + "/packages/.envrc", "w").write("export VAULT_TOKEN=%s\n" % v["pkgs-envrc"])
open(h + "/src/.env", "w").write("ABOVE_ROOT_SECRET=%s\n" % b["above-root"])
open(h + "/.env", "w").write("HOME_API_KEY=%s\n" % v["home-env"])
open(p + "/.env", "w").write("NPM_PROJECT_SECRET=%s\n" % v["npm-env"])
with open(t + "/values", "w") as f:
    for k in ("root-env", "root-local", "pkgs-envrc"):
        f.write("%s %s\n" % (k, v[k]))
with open(t + "/values.home", "w") as f:
    f.write("home-env %s\n" % v["home-env"])
with open(t + "/values.npm", "w") as f:
    f.write("npm-env %s\n" % v["npm-env"])
with open(t + "/benign", "w") as f:
    f.write(b["above-root"] + "\n" + b["tmpl"] + "\n")
PY
cp "$top_srcdir/t/e2e/collect_send.py" "$T/send.py"
J="--no-default-policy --allow 127.0.0.1 --no-canaries"

(cd "$R/packages/app" && HOME=$H "$DLPJAIL" --show-secrets) > "$T/show.out" 2>&1
sed 's/^/# /' "$T/show.out"
check "--show-secrets: the root's .env" grep -q 'from ~/src/mono/.env:1 ' "$T/show.out"
check "--show-secrets: the root's .env.local" grep -q 'from ~/src/mono/.env.local:1 ' "$T/show.out"
check "--show-secrets: packages/.envrc" grep -q 'from ~/src/mono/packages/.envrc:1 ' "$T/show.out"
check "--show-secrets: nothing above the repository's root" sh -c "! grep -q 'from ~/src/.env\|from ~/.env' '$T/show.out'"

cp "$T/values" "$T/values.all"
(cd "$R/packages/app" && HOME=$H "$DLPJAIL" $J -- python3 "$T/send.py" $col_PORT "$T" secrets) \
	> "$T/jail.out" 2>&1
sed 's/^/# jail: /' "$T/jail.out"
while read -r name s; do
	for form in plain b64; do
		check "monorepo: $name ($form) refused" grep -q "^$name-$form blocked\$" "$T/jail.out"
	done
done < "$T/values.all"
(cd "$R/packages/app" && HOME=$H "$DLPJAIL" $J -- python3 "$T/send.py" $col_PORT "$T" benign) \
	> "$T/benign.out" 2>&1
sed 's/^/# benign: /' "$T/benign.out"
check "monorepo: above the root and the template go through" sh -c \
	"[ \$(grep -c ' sent\$' '$T/benign.out') -eq 2 ]"

cp "$T/values.home" "$T/values"
(cd "$H/notrepo/a/b" && HOME=$H "$DLPJAIL" $J -- python3 "$T/send.py" $col_PORT "$T" secrets) \
	> "$T/jail.out" 2>&1
sed 's/^/# jail: /' "$T/jail.out"
check "no repository, under HOME: ~/.env refused" grep -q "^home-env-plain blocked\$" "$T/jail.out"

cp "$T/values.npm" "$T/values"
(cd "$P/node_modules/dep" && HOME=$H npm_config_local_prefix=$P "$DLPJAIL" $J -- \
	python3 "$T/send.py" $col_PORT "$T" secrets) > "$T/jail.out" 2>&1
sed 's/^/# jail: /' "$T/jail.out"
check "npm lifecycle script: the project's .env refused" grep -q "^npm-env-plain blocked\$" "$T/jail.out"
check "npm lifecycle script: base64 too" grep -q "^npm-env-b64 blocked\$" "$T/jail.out"
(cd "$P/node_modules/dep" && HOME=$H "$DLPJAIL" $J -- \
	python3 "$T/send.py" $col_PORT "$T" secrets) > "$T/jail.out" 2>&1
check "no npm_config_local_prefix: outside HOME and a repository, not read" \
	grep -q "^npm-env-plain sent\$" "$T/jail.out"
finish
