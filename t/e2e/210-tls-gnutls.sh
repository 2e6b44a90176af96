#!/bin/sh
# 210-tls-gnutls: plaintext inside GnuTLS (wget; git clone/push over HTTPS,
# whose git-remote-https links libcurl-gnutls). A canary in a header, a
# query string or a body is refused before gnutls_record_send encrypts it
# (each byte judged once although gnutls_record_send calls _send2 through
# the PLT); a response carrying one is found in gnutls_record_recv and
# reported, not refused (received bytes are no leak); clean
# transfers, clone and push work byte for byte.
. "$(dirname "$0")/lib.sh"
. "$top_srcdir/t/tls/lib-tls.sh"
command -v wget >/dev/null || skip "wget not installed"
command -v git >/dev/null || skip "git not installed"

make_ca
mkdir -p "$T/saved" "$T/docs" "$T/git"
head -c 300000 /dev/urandom > "$T/docs/blob.bin"
TOKEN=ghp_Zq3CanaryToken7Xy9Kp2Lm4Nn6Rr8Tt0Vv1
printf 'error: your token %s is invalid\n' "$TOKEN" > "$T/leak.txt"

# a bare repository with one commit, served by git http-backend
git init -q --bare "$T/git/repo.git"
git -C "$T/git/repo.git" config http.receivepack true
git init -q "$T/seed"
printf 'seed file\n' > "$T/seed/README"
git -C "$T/seed" add README
git -C "$T/seed" -c user.name=t -c user.email=t@t commit -qm seed
git -C "$T/seed" push -q "$T/git/repo.git" HEAD:refs/heads/main 2>/dev/null
git -C "$T/git/repo.git" symbolic-ref HEAD refs/heads/main

start_https 127.0.0.1 w4 --save "$T/saved" --docroot "$T/docs" --leak "$T/leak.txt" --git "$T/git"
start_https ::1 w6 --save "$T/saved"
J="--allow 127.0.0.1 --allow ::1 --canary $TOKEN"
W="wget -q --tries=1 -O- --ca-certificate=$CA"
U4="https://localhost:$w4_PORT"

# -- wget --
out=$(jail $J -- $W --post-data="{\"t\":\"$TOKEN\"}" "$U4/w" 2>&1); rc=$?
check "wget: canary in a POST body over TLS fails" [ "$rc" -ne 0 ]
check "wget: stderr says dlpjail blocked the TLS send" has "$out" 'dlpjail: blocked TLS send to localhost'
check "wget: the event is a TLS-plaintext canary block with address" \
	event_has '"exe":"/usr/bin/wget"' '"op":"send"' '"ip":"127.0.0.1"' '"detector":"canary"' '"layers":"tls-plaintext"'
n=$(grep -c '"exe":"/usr/bin/wget".*"op":"send".*"action":"blocked"' "$T/events.jsonl")
check "wget: one block event for one refused request (no double scan)" [ "$n" -eq 1 ]
out=$(jail $J -- $W --header="X-Token: $TOKEN" "$U4/h" 2>&1)
check "wget: canary in a header is blocked" has "$out" 'dlpjail: blocked TLS send'
out=$(jail $J -- $W "$U4/q?token=$TOKEN" 2>&1)
check "wget: canary in a query string is blocked" has "$out" 'dlpjail: blocked TLS send'
out=$(jail $J -- $W --post-data="x=$TOKEN" "https://[::1]:$w6_PORT/v6" 2>&1)
check "wget: canary over IPv6 (::1) is blocked" has "$out" 'dlpjail: blocked TLS send'
out=$(jail $J -- $W "$U4/leak" 2>/dev/null); rc=$?
check "wget: a response carrying a canary is read (exit $rc)" [ "$rc" -eq 0 ]
check "wget: the response reached wget's output whole" sh -c "printf '%s' \"\$1\" | grep -qF '$TOKEN'" _ "$out"
check "wget: the canary is a recv event, allowed, rule received" \
	event_has '"exe":"/usr/bin/wget"' '"op":"recv"' '"verdict":"allow"' '"rule":"received"'

head -c 200000 /dev/urandom > "$T/up.bin"
out=$(jail $J -- $W --post-file="$T/up.bin" "$U4/save/wget.bin" 2>/dev/null)
check "wget: a clean 200 KB upload goes through" [ "$out" = "got 200000" ]
check "wget: the upload arrived byte for byte" cmp -s "$T/up.bin" "$T/saved/wget.bin"
jail $J -- $W "$U4/blob.bin" > "$T/down.bin" 2>/dev/null
check "wget: a clean 300 KB download arrives byte for byte" cmp -s "$T/docs/blob.bin" "$T/down.bin"

# -- git over HTTPS (libcurl-gnutls) --
export GIT_SSL_CAINFO="$CA" GIT_TERMINAL_PROMPT=0
out=$(jail $J -- git clone -q "$U4/git/repo.git" "$T/clone" 2>&1); rc=$?
check "git clone over HTTPS works" [ "$rc" -eq 0 ]
check "git clone: the working tree is byte for byte" cmp -s "$T/seed/README" "$T/clone/README"
head -c 100000 /dev/urandom | base64 > "$T/clone/data.txt"
git -C "$T/clone" add data.txt
git -C "$T/clone" -c user.name=t -c user.email=t@t commit -qm data
out=$(jail $J -- git -C "$T/clone" push -q origin HEAD:main 2>&1); rc=$?
check "git push over HTTPS works" [ "$rc" -eq 0 ]
check "git push: the server has the pushed commit" \
	[ "$(git -C "$T/git/repo.git" rev-parse main)" = "$(git -C "$T/clone" rev-parse HEAD)" ]
check "git push: the pushed file is byte for byte" \
	sh -c "git -C '$T/git/repo.git' show main:data.txt | cmp -s - '$T/clone/data.txt'"

out=$(jail $J -- git -c "http.extraHeader=Authorization: Bearer $TOKEN" clone -q "$U4/git/repo.git" "$T/clone2" 2>&1); rc=$?
check "git clone with a canary in a header fails" [ "$rc" -ne 0 ]
check "git clone: stderr says dlpjail blocked the TLS send" has "$out" 'dlpjail: blocked TLS send'
check "git: the event names git-remote-https" event_has '"exe":"/usr/lib/git-core/git-remote-http' '"op":"send"' '"action":"blocked"'
out=$(jail $J -- git ls-remote "$U4/git/repo.git?t=$TOKEN" 2>&1); rc=$?
check "git ls-remote with a canary in the query fails" [ "$rc" -ne 0 ]

check "no server ever received the token" no_token "$w4_LOG" "$w6_LOG"
check "the event log never holds the token in clear" no_token "$T/events.jsonl"
finish
