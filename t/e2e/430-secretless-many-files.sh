#!/bin/sh
# 430-secretless-many-files: the secretless jail covers every file it
# collects from, however many. A HOME whose AWS caches hold 64 files in
# each of ~/.aws/cli/cache, ~/.aws/sso/cache and ~/.aws/boto/cache (what
# collection now takes), and a monorepo root's .env above the working
# directory: inside the jail, `cat` and python read no real value of the
# last-listed cache files nor of the parent's .env.
. "$(dirname "$0")/lib.sh"
command -v python3 >/dev/null || skip "python3 not installed"

H=$T/home
R=$H/src/mono
W=$R/packages/app
mkdir -p "$H/.aws/cli/cache" "$H/.aws/sso/cache" "$H/.aws/boto/cache" "$R/.git" "$W"
python3 - "$T" "$H" "$R" <<'PY' || { echo "cannot write the files"; exit 99; }
import json, secrets, string, sys
t, h, r = sys.argv[1:4]
up = lambda n: "".join(secrets.choice(string.ascii_uppercase + "234567") for _ in range(n))
last = {}
for d in ("cli", "sso", "boto"):
    for i in range(64):
        v = "ASIA" + up(16)
        p = "%s/.aws/%s/cache/%s.json" % (h, d, secrets.token_hex(20))
        json.dump({"Credentials": {"AccessKeyId": v, "SessionToken": "IQoJb3JpZ2luX2Vj" + secrets.token_urlsafe(60)}}, open(p, "w"))
        last[d] = (p, v)
env = "ghp_" + secrets.token_urlsafe(27).replace("-", "a").replace("_", "b")[:36]
open(r + "/.env", "w").write("GITHUB_TOKEN=%s\n" % env)
with open(t + "/files", "w") as f:
    for d, (p, v) in last.items():
        f.write("%s %s\n" % (p, v))
    f.write("%s/.env %s\n" % (r, env))
PY
check "setup: 192 cache files" sh -c "[ \$(ls '$H'/.aws/*/cache | grep -c json) -eq 192 ]"
while read -r f v; do
	grep -qF -- "$v" "$f" || { echo "setup: $f lacks its value"; exit 99; }
	(cd "$W" && HOME=$H "$DLPJAIL" --no-default-policy --no-canaries -- cat "$f") \
		> "$T/cat.out" 2>>"$T/err"
	check "inside, cat $(basename "$(dirname "$f")")/$(basename "$f" | cut -c1-8): not the real value" \
		sh -c "[ -s '$T/cat.out' ] && ! grep -qF -- '$v' '$T/cat.out'"
	(cd "$W" && HOME=$H "$DLPJAIL" --no-default-policy --no-canaries -- \
		python3 -c 'import sys; print(open(sys.argv[1]).read())' "$f") > "$T/py.out" 2>>"$T/err"
	check "inside, python reads $(basename "$f" | cut -c1-8): not the real value" \
		sh -c "[ -s '$T/py.out' ] && ! grep -qF -- '$v' '$T/py.out'"
	check "the host file still holds the real value" grep -qF -- "$v" "$f"
done < "$T/files"
check "every run started: the copies were all prepared" sh -c "! grep -q . '$T/err'"
finish
