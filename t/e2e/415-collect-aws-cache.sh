#!/bin/sh
# 415-collect-aws-cache: the AWS CLI's and SSO's credential caches. An
# `aws sso login` or an assume-role profile leaves live credentials in
# ~/.aws/cli/cache/HASH.json ({"Credentials": {AccessKeyId,
# SecretAccessKey, SessionToken}}) and ~/.aws/sso/cache/HASH.json
# (accessToken, refreshToken, clientSecret), while ~/.aws/credentials may
# hold nothing. Real python3 under dlpjail POSTs each value (plain and
# base64) to a loopback server: each is refused and evented redacted;
# --show-secrets names the file (its hash-like name redacted, as events
# show it); run bare, all reach it. Close negatives
# from the same files go through: the expiry, the start URL, the region,
# the role ARN, and a non-JSON file in the cache directory. A cache that
# botocore never pruned (300 expired files) still yields the live one, the
# newest, wherever readdir puts it.
. "$(dirname "$0")/lib.sh"
need_relay
start_http 127.0.0.1 col

H=$T/home
mkdir -p "$H/.aws/cli/cache" "$H/.aws/sso/cache"
python3 - "$T" "$H" <<'PY' || { echo "cannot write the credential files"; exit 99; }
import json, secrets, string, sys
t, h = sys.argv[1:3]
r = lambda n: secrets.token_urlsafe(n)
up = lambda n: "".join(secrets.choice(string.ascii_uppercase + "234567") for _ in range(n))
v = {"cli-key-id": "ASIA" + up(16), "cli-secret": r(30), "cli-session": "IQoJb3JpZ2luX2Vj" + r(60),
     "sso-access": "aoaAAAAA" + r(40), "sso-refresh": "Atzr|" + r(40), "sso-client": r(48)}
json.dump({"Credentials": {"AccessKeyId": v["cli-key-id"], "SecretAccessKey": v["cli-secret"],
                           "SessionToken": v["cli-session"], "Expiration": "2026-12-03T23:59:00Z"},
           "AssumedRoleUser": {"Arn": "arn:aws:sts::123456789012:assumed-role/dev/t415"}},
          open(h + "/.aws/cli/cache/5d41402abc4b2a76b9719d911017c592ae00bc39.json", "w"))
json.dump({"startUrl": "https://t415-corp.awsapps.com/start", "region": "eu-west-1",
           "accessToken": v["sso-access"], "expiresAt": "2026-12-03T23:00:00Z",
           "clientId": "t415clientid", "clientSecret": v["sso-client"], "refreshToken": v["sso-refresh"]},
          open(h + "/.aws/sso/cache/7c4a8d09ca3762af61e59520943dc26494f8941b.json", "w"))
benign_file = "NOTJSON" + r(24)
open(h + "/.aws/sso/cache/notes.txt", "w").write("token=%s\n" % benign_file)
with open(t + "/values", "w") as f:
    for k, x in v.items():
        f.write("%s %s\n" % (k, x))
with open(t + "/benign", "w") as f:
    for x in ["2026-12-03T23:59:00Z", "https://t415-corp.awsapps.com/start", "eu-west-1",
              "arn:aws:sts::123456789012:assumed-role/dev/t415", benign_file]:
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

HOME=$H "$DLPJAIL" --show-secrets > "$T/show.out" 2>&1
sed 's/^/# /' "$T/show.out"
check "--show-secrets: the CLI cache's three values" sh -c \
	"[ \$(grep -c 'from ~/.aws/cli/cache/5d41.*[.]json:1 ' '$T/show.out') -eq 3 ]"
check "--show-secrets: the SSO cache's three values, homed at AWS" sh -c \
	"[ \$(grep -c 'from ~/.aws/sso/cache/7c4a.*[.]json:1 .*awsapps.com' '$T/show.out') -eq 3 ]"
check "--show-secrets: exactly these $NV" grep -q "^$NV known secrets" "$T/show.out"
check "--show-secrets: no plaintext" no_plain "$T/show.out"

HOME=$H python3 "$T/send.py" $col_PORT "$T" secrets > "$T/bare.out" 2>&1
check "bare: all $((NV * 2)) forms reach the server" sh -c "[ \$(grep -c ' sent\$' '$T/bare.out') -eq $((NV * 2)) ]"

: > "$col_LOG"
HOME=$H "$DLPJAIL" --log "$T/events.jsonl" $J -- python3 "$T/send.py" $col_PORT "$T" secrets \
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

HOME=$H "$DLPJAIL" --log "$T/events2.jsonl" $J -- python3 "$T/send.py" $col_PORT "$T" benign \
	> "$T/benign.out" 2>&1
sed 's/^/# benign: /' "$T/benign.out"
check "jail: all $NB close negatives go through" sh -c "[ \$(grep -c ' sent\$' '$T/benign.out') -eq $NB ]"

# botocore never prunes: 300 stale files, then the live one, written last
H2=$T/home2
mkdir -p "$H2/.aws/cli/cache"
python3 - "$H2" "$T" <<'PY' || { echo "cannot write the stale caches"; exit 99; }
import json, os, secrets, sys
h, t = sys.argv[1:3]
d = h + "/.aws/cli/cache/"
for i in range(300):
    p = d + secrets.token_hex(20) + ".json"
    json.dump({"Credentials": {"SecretAccessKey": secrets.token_urlsafe(30)}}, open(p, "w"))
    os.utime(p, (1700000000 + i, 1700000000 + i))
live = secrets.token_urlsafe(30)
json.dump({"Credentials": {"SecretAccessKey": live}}, open(d + "ffffffffffffffffffffffffffffffffffffffff.json", "w"))
open(t + "/live", "w").write(live + "\n")
PY
HOME=$H2 "$DLPJAIL" --show-secrets > "$T/show2.out" 2>&1
check "300 stale caches: the live one, the newest, is known" \
	grep -q 'from ~/.aws/cli/cache/ffff.*[.]json:1 ' "$T/show2.out"
check "300 stale caches: bounded (64 newest)" sh -c "[ \$(grep -c 'from ~/.aws/cli/cache/' '$T/show2.out') -eq 64 ]"
HOME=$H2 "$DLPJAIL" $J -- python3 -c '
import socket, sys
s = socket.create_connection(("127.0.0.1", int(sys.argv[1])))
s.sendall(b"POST / HTTP/1.1\r\nHost: x\r\nContent-Length: %d\r\n\r\n%s" % (len(sys.argv[2]), sys.argv[2].encode()))
print("sent" if s.recv(100) else "closed")' $col_PORT "$(cat "$T/live")" > "$T/live.out" 2>&1
check "300 stale caches: the live secret key does not reach the server" sh -c \
	"! grep -qF -- \"\$(cat '$T/live')\" '$col_LOG'"
finish
