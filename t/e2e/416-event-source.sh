#!/bin/sh
# 416-event-source: a known secret's event says where the value was read,
# as --show-secrets names it ("source": "~/.aws/credentials:3", never the
# value; a canary's says "canary"), and so do the stderr lines ("(from
# ~/.aws/credentials:3)"). Real python3 and curl POST the values of a fake
# home to a loopback server. A file name is anyone's choice: a key file
# named after another known secret (a letters-only .netrc password, no
# credential shape) is shown with that word redacted. A detector finding
# of no known value has no source. The teardown deadline (a relay thread
# stuck in a serving past 5 s, DLPJAIL_TEST_RELAY_STALL_MS as in 398)
# writes an event too (op teardown, rule teardown-deadline, "reset": the
# TCP sockets it reset, two for the one relayed connection), to a file and
# to syslog; a clean run has none.
# Every event log is valid under doc/events.schema.json.
. "$(dirname "$0")/lib.sh"
need_relay
start_http 127.0.0.1 h
V="python3 $top_srcdir/t/e2e/validate-events.py $top_srcdir/doc/events.schema.json"

H=$T/home
mkdir -p "$H/.aws" "$H/.ssh"
python3 - "$T" "$H" <<'PY' || { echo "cannot write the credential files"; exit 99; }
import secrets, string, sys
t, h = sys.argv[1:3]
pick = lambda a, n: "".join(secrets.choice(a) for _ in range(n))
kid = "AKIA" + pick(string.ascii_uppercase + "234567", 16)
sec = pick(string.ascii_letters + string.digits + "/+", 40)
# no digit, no credential shape: only the engine knows it is one
pw = pick(string.ascii_letters, 28)
open(h + "/.aws/credentials", "w").write(
    "[default]\naws_access_key_id = %s\naws_secret_access_key = %s\n" % (kid, sec))
open(h + "/.netrc", "w").write("machine git.t416.test login me password %s\n" % pw)
with open(t + "/values", "w") as f:
    f.write("aws-secret %s\naws-key-id %s\nnetrc %s\n" % (sec, kid, pw))
PY
PW=$(awk '$1 == "netrc" { print $2 }' "$T/values")
SEC=$(awk '$1 == "aws-secret" { print $2 }' "$T/values")
KID=$(awk '$1 == "aws-key-id" { print $2 }' "$T/values")
ssh-keygen -q -t ed25519 -N '' -C t416 -f "$H/.ssh/$PW" >/dev/null 2>&1 ||
	{ echo "cannot make a key"; exit 99; }
CANARY=ghp_Zq3CanaryToken7Xy9Kp2Lm4Nn6Rr8Tt0Vv1
UNKNOWN=AKIA$(python3 -c 'import secrets, string; print("".join(secrets.choice(string.ascii_uppercase + "234567") for _ in range(16)))')
no_plain() {
	while read -r name s; do
		if grep -qF -- "$s" "$@"; then echo "plaintext $name in $*"; return 1; fi
	done < "$T/values"
}

HOME=$H "$DLPJAIL" --show-secrets > "$T/show.out" 2>&1
check "--show-secrets names ~/.aws/credentials:3" grep -q 'from ~/.aws/credentials:3 ' "$T/show.out"
check "--show-secrets: the key file named after the .netrc password is not named in clear" \
	sh -c "! grep -qF -- '$PW' '$T/show.out'"

cat > "$T/post.py" <<'PY'
import http.client, sys
port, path = int(sys.argv[1]), sys.argv[2]
body = open(path, "rb").read() if path.startswith("/") else path.encode()
try:
    c = http.client.HTTPConnection("127.0.0.1", port, timeout=20)
    c.request("POST", "/v", body=body)
    print("sent" if c.getresponse().status == 200 else "refused")
except (OSError, http.client.HTTPException):
    print("blocked")
PY
: > "$h_LOG"
HOME=$H "$DLPJAIL" --no-default-policy --allow 127.0.0.1 --log "$T/events.jsonl" \
	--canary "$CANARY" -- sh -c "
	python3 '$T/post.py' $h_PORT 'secret=$SEC' > '$T/py.out'
	curl -s -o /dev/null -d 'id=$KID' http://127.0.0.1:$h_PORT/k
	curl -s -o /dev/null -d 'c=$CANARY' http://127.0.0.1:$h_PORT/c
	python3 '$T/post.py' $h_PORT '$H/.ssh/$PW' > '$T/key.out'
	python3 '$T/post.py' $h_PORT 'other=$UNKNOWN' > '$T/unknown.out'
	python3 '$T/post.py' $h_PORT 'see ~/.aws/credentials line 3' > '$T/benign.out'" \
	> "$T/jail.out" 2> "$T/jail.err"
sed 's/^/# /' "$T/jail.err"
check "python3: the AWS secret is refused ($(cat "$T/py.out"))" grep -q blocked "$T/py.out"
check "...the event names its file and line" event_has '"op":"send"' \
	'"detector":"known-secret"' '"action":"blocked"' '"source":"~/.aws/credentials:3"'
check "curl: the key id's event names line 2" event_has '"action":"blocked"' \
	'"source":"~/.aws/credentials:2"'
check "the canary's event says canary" event_has '"detector":"canary"' '"source":"canary"'
check "stderr, at the block: (from ~/.aws/credentials:3)" \
	grep -q '^dlpjail: blocked send to .*known-secret .* (from ~/.aws/credentials:3) leaving' "$T/jail.err"
check "stderr, the summary: (from ~/.aws/credentials:3)" \
	grep -q '^dlpjail:   1x blocked send to .*(from ~/.aws/credentials:3)$' "$T/jail.err"
check "a key file named after a known secret: refused ($(cat "$T/key.out"))" grep -q blocked "$T/key.out"
check "...its source shows the name redacted" event_has '"source":"~/\.ssh/[^"]*•••'
check "a detector finding of no known value: refused ($(cat "$T/unknown.out")), evented, no source" \
	sh -c "grep -q blocked '$T/unknown.out' && grep '\"detector\":\"aws-access-key-id\"' '$T/events.jsonl' |
	       grep '\"argv\":\[[^]]*other=' | grep -qv '\"source\"'"
check "close negative: a file's name in clear text goes through ($(cat "$T/benign.out"))" \
	grep -q sent "$T/benign.out"
check "no known value in clear in the events, on stderr or at the server" \
	no_plain "$T/events.jsonl" "$T/jail.err" "$h_LOG"
check "the canary never reaches the log or the server" \
	sh -c "! grep -qF '$CANARY' '$T/events.jsonl' '$h_LOG'"
out=$($V "$T/events.jsonl"); rc=$?
check "every event is valid under the schema ($out)" [ "$rc" -eq 0 ]
check "a clean run has no teardown event" sh -c "! grep -q '\"op\":\"teardown\"' '$T/events.jsonl'"

# the teardown deadline: 8 s a relay read, the stop waits for that serving
mkdir -p "$T/sink"
python3 "$top_srcdir/t/e2e/drain_sink.py" "$T/sink.port" "$T/sink" &
PIDS="$PIDS $!"
i=0; while [ ! -s "$T/sink.port" ] && [ $i -lt 100 ]; do sleep 0.05; i=$((i + 1)); done
SP=$(cat "$T/sink.port")
python3 -c 'import sys; open(sys.argv[1], "w").write("x" * 300000)' "$T/pay.txt"
deadline() { # LOG ARGS...: the jailed client past the teardown deadline
	log=$1; shift
	t0=$(date +%s)
	DLPJAIL_TEST_RELAY_STALL_MS=8000 timeout 30 "$DLPJAIL" --no-default-policy --relay \
		--allow 127.0.0.1 --log "$log" -q "$@" -- \
		python3 "$top_srcdir/t/e2e/drain_client.py" plain "$SP" "$T/pay.txt" 2> "$T/td.err"
	rc=$? t1=$(date +%s)
}
deadline "$T/td.jsonl"
sed 's/^/# teardown: /' "$T/td.err"
check "teardown: dlpjail's status is the command's ($rc), within 7 s ($((t1 - t0)) s)" \
	[ "$rc" = 7 ] && [ $((t1 - t0)) -le 7 ]
check "teardown: the stderr line" grep -q 'teardown deadline: connections still open are reset' "$T/td.err"
cp "$T/td.jsonl" "$T/events.jsonl"
check "teardown: the event, with the sockets reset (both ends: 2 or more)" event_has '"op":"teardown"' \
	'"rule":"teardown-deadline"' '"verdict":"deny"' '"action":"blocked"' '"reset":([2-9]|[1-9][0-9]+)\}$'
check "teardown: the event has no proto" sh -c "! grep '\"op\":\"teardown\"' '$T/td.jsonl' | grep -q proto"
check "teardown: the event is the log's last line" sh -c "tail -n 1 '$T/td.jsonl' | grep -q '\"op\":\"teardown\"'"
out=$($V "$T/td.jsonl"); rc=$?
check "teardown: the log is valid under the schema ($out)" [ "$rc" -eq 0 ]
python3 "$top_srcdir/t/e2e/syslogd.py" "$T/log.sock" "$T/syslog.out" &
PIDS="$PIDS $!"
i=0; while [ ! -e "$T/syslog.out.ready" ] && [ $i -lt 100 ]; do sleep 0.05; i=$((i + 1)); done
export DLPJAIL_SYSLOG_SOCKET="$T/log.sock"
deadline syslog
unset DLPJAIL_SYSLOG_SOCKET
sleep 0.2
check "teardown, --log syslog: one datagram with the event" \
	grep -q 'dlpjail\[[0-9]*\]: {"v":1,.*"op":"teardown".*"reset":[1-9][0-9]*}$' "$T/syslog.out"
finish
