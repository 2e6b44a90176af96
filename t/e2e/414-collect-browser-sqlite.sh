#!/bin/sh
# 414-collect-browser-sqlite: Chrome's and Chromium's cookie stores and the
# SQLite the readers skipped. ~/.config/google-chrome/Default/Network/Cookies
# (database version 24: the v10 plaintext starts with SHA-256 of the host)
# and ~/.config/chromium/Profile 1/Cookies (version 20, no prefix), made by
# python3's sqlite3 with Chrome's schema, values encrypted as Linux Chrome
# does without a keyring (AES-128-CBC, key PBKDF2-HMAC-SHA1("peanuts",
# "saltysalt", 1), IV 16 spaces; openssl enc here); a session cookie
# deleted since but kept in Cookies-journal (PERSIST mode); gcloud's
# credentials.db as a WITHOUT ROWID table whose row spills to overflow
# pages. Real python3 under dlpjail POSTs each value (plain and base64)
# to a loopback server: refused, evented redacted, --show-secrets names
# the file; bare, all reach it. Close negatives from the same stores go
# through: 500 trackers' values, a consent flag, a v11 cookie's value (the
# keyring's key is not read), the host names.
. "$(dirname "$0")/lib.sh"
command -v openssl >/dev/null || skip "openssl not installed"
python3 -c 'import sqlite3' 2>/dev/null || skip "python3 without sqlite3"
need_relay
start_http 127.0.0.1 col

H=$T/home
W=$T/work
mkdir -p "$H/.config/google-chrome/Default/Network" "$H/.config/chromium/Profile 1" \
	"$H/.config/gcloud" "$W"
python3 - "$T" "$H" <<'PY' || { echo "cannot write the credential files"; exit 99; }
import hashlib, json, secrets, sqlite3, subprocess, sys
t, h = sys.argv[1:3]
r = lambda n: secrets.token_urlsafe(n)
key = hashlib.pbkdf2_hmac("sha1", b"peanuts", b"saltysalt", 1, 16)
def enc(host, value, version, prefix=b"v10"):
    pt = (hashlib.sha256(host.encode()).digest() if version >= 24 else b"") + value.encode()
    return prefix + subprocess.run(["openssl", "enc", "-aes-128-cbc", "-K", key.hex(), "-iv", "20" * 16],
                                   input=pt, capture_output=True, check=True).stdout
SCHEMA = ("CREATE TABLE cookies(creation_utc INTEGER NOT NULL,host_key TEXT NOT NULL,"
          "top_frame_site_key TEXT NOT NULL,name TEXT NOT NULL,value TEXT NOT NULL,"
          "encrypted_value BLOB NOT NULL,path TEXT NOT NULL,expires_utc INTEGER NOT NULL,"
          "is_secure INTEGER NOT NULL,is_httponly INTEGER NOT NULL,last_access_utc INTEGER NOT NULL,"
          "has_expires INTEGER NOT NULL,is_persistent INTEGER NOT NULL,priority INTEGER NOT NULL,"
          "samesite INTEGER NOT NULL,source_scheme INTEGER NOT NULL,source_port INTEGER NOT NULL,"
          "last_update_utc INTEGER NOT NULL,source_type INTEGER NOT NULL,"
          "has_cross_site_ancestor INTEGER NOT NULL)")
INS = "INSERT INTO cookies VALUES (?,?,'',?,'',?,'/',1,1,1,1,1,1,1,0,2,443,1,0,0)"
v, benign = {}, ["GA1.2.1042.7042", "yes-all-accepted-v2", "github.com", "www.linkedin.com"]
def store(path, version, tag):
    db = sqlite3.connect(path)
    db.execute("CREATE TABLE meta(key LONGVARCHAR NOT NULL UNIQUE PRIMARY KEY, value LONGVARCHAR)")
    db.execute("INSERT INTO meta VALUES ('version', ?)", (str(version),))
    db.execute(SCHEMA)
    rows = [(".site%d.example" % i, "_ga", "GA1.2.%d.%d" % (1000 + i, 7000 + i)) for i in range(500)]
    v[tag + "-session"] = "CS" + r(30)
    v[tag + "-random"] = "AQED" + r(40)
    rows[200:200] = [("github.com", "user_session", v[tag + "-session"]),
                     (".www.linkedin.com", "li_at", v[tag + "-random"]),
                     (".site7.example", "consent", "yes-all-accepted-v2")]
    for i, (host, name, value) in enumerate(rows):
        db.execute(INS, (i, host, name, enc(host, value, version)))
    v11 = "V11" + r(30)
    benign.append(v11)
    db.execute(INS, (9000, ".kr.t414.example", "sessionid", enc(".kr.t414.example", v11, version, b"v11")))
    db.commit()
    return db
store(h + "/.config/google-chrome/Default/Network/Cookies", 24, "chrome").close()
db = store(h + "/.config/chromium/Profile 1/Cookies", 20, "chromium")
# a session cookie written, then deleted: only the journal keeps it
db.execute("PRAGMA journal_mode=PERSIST")
v["journal-session"] = "JS" + r(30)
db.execute(INS, (9999, ".old.t414.example", "sessionid", enc(".old.t414.example", v["journal-session"], 20)))
db.commit()
db.execute("DELETE FROM cookies WHERE creation_utc = 9999")
db.commit()
db.close()
# gcloud's credentials.db WITHOUT ROWID, its row over overflow pages
db = sqlite3.connect(h + "/.config/gcloud/credentials.db")
db.execute("CREATE TABLE credentials (account_id TEXT PRIMARY KEY, value BLOB) WITHOUT ROWID")
v["gcloud-worowid-secret"] = r(18)
v["gcloud-worowid-refresh"] = "1//0g" + r(60)
db.execute("INSERT INTO credentials VALUES (?, ?)", ("ci@t414.example", json.dumps(
    {"client_id": "32555940559.apps.googleusercontent.com", "id_token": r(3000),
     "client_secret": v["gcloud-worowid-secret"], "refresh_token": v["gcloud-worowid-refresh"],
     "type": "authorized_user"})))
db.commit()
db.close()
benign.append("32555940559.apps.googleusercontent.com")
with open(t + "/values", "w") as f:
    for k, x in v.items():
        f.write("%s %s\n" % (k, x))
with open(t + "/benign", "w") as f:
    for x in benign:
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
check "--show-secrets: Chrome's v24 cookies (host hash dropped), homed at their hosts" sh -c \
	"grep -Eq 'CS.*\(len=42\).*google-chrome/Default/Network/Cookies +homes: github.com$' '$T/show.out' &&
	 grep -Eq 'google-chrome/Default/Network/Cookies +homes: www.linkedin.com \*.www.linkedin.com$' '$T/show.out'"
check "--show-secrets: Chromium's v20 cookies" sh -c \
	"[ \$(grep -c 'from ~/.config/chromium/Profile 1/Cookies ' '$T/show.out') -eq 3 ]"
check "--show-secrets: the deleted cookie in Cookies-journal" \
	grep -Eq 'Profile 1/Cookies +homes: old.t414.example \*.old.t414.example$' "$T/show.out"
check "--show-secrets: the WITHOUT ROWID credentials.db's spilled row" sh -c \
	"[ \$(grep -c 'from ~/.config/gcloud/credentials.db ' '$T/show.out') -eq 2 ]"
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
