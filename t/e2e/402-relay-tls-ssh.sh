#!/bin/sh
# 402-relay-tls-ssh: SSH and SOCKS inside the TLS sessions the relay reads
# (branch redteam-egress3), against the loopback TLS recorder tls_rec.py.
# The leak: the SSH gate (relay_ssh.c) looked at a plain stream's first
# bytes only, so an SSH session inside TLS to an allowed host:443 (an
# sshd behind stunnel or any TLS front) passed unread on both TLS paths:
# the relay decrypted (key path) or terminated (CA path) the session and
# forwarded the banner and the SSH packets after it, which nobody can
# read. Now the start of a TLS session's egress plaintext, and the start
# of a CONNECT tunnel in it, are gated like a plain stream's start: an
# SSH banner is refused (relay-ssh, "inside TLS"), a SOCKS handshake too
# (relay-socks). Seen failing with rl_tls_gates() off (the banner and the
# packet arrived on both paths, no event). Legitimate: HTTP inside the
# same sessions, a plaintext CONNECT tunnel inside TLS, and a stream that
# only starts like a banner still arrive.
. "$(dirname "$0")/lib.sh"
. "$top_srcdir/t/tls/lib-tls.sh"
need_relay
make_ca

python3 "$top_srcdir/t/e2e/tls_rec.py" 127.0.0.1 "$T/rec.port" "$T/rec.log" \
	"$T/pki/server.pem" "$T/pki/server.key" &
PIDS="$PIDS $!"
i=0
while [ ! -s "$T/rec.port" ] && [ $i -lt 100 ]; do sleep 0.05; i=$((i + 1)); done
PORT=$(cat "$T/rec.port") LOG=$T/rec.log
touch "$LOG"
PY="python3 $top_srcdir/t/e2e/tls_ssh.py"
J="--no-default-policy --relay --allow 127.0.0.1 --upstream-ca $T/pki/ca.pem --log $T/events.jsonl -q"
MARK=opaque-402-packet
arrived() { grep -q "$1" "$LOG"; }
run() {
	: > "$LOG"
	: > "$T/events.jsonl"
	out=$(timeout 20 "$DLPJAIL" $J -- "$@" 2>&1)
	sleep 0.3
}

# the recorder takes all of it without the jail
: > "$LOG"
out=$($PY ssh "$PORT" "$T/pki/ca.pem" $MARK 2>&1)
sleep 0.3
check "bare: SSH inside TLS reaches the recorder ($out)" sh -c "grep -q SSH-2.0 '$LOG' && grep -q $MARK '$LOG'"

# key path (python3 ssl, hooked)
for m in ssh ssh1 tunnel-ssh; do
	run $PY $m "$PORT" "$T/pki/ca.pem" $MARK
	check "python3 $m (key path): neither banner nor packet arrives ($out)" \
		sh -c "! grep -q 'SSH-2.0' '$LOG' && ! grep -q $MARK '$LOG'"
	check "python3 $m: a relay-ssh event, inside TLS" \
		event_has '"action":"blocked"' '"rule":"relay-ssh"' 'inside TLS' "\"port\":$PORT"
done
check "python3 tunnel-ssh: the event says inside a tunnel" event_has '"rule":"relay-ssh"' 'CONNECT tunnel'
run $PY socks "$PORT" "$T/pki/ca.pem" $MARK
check "python3 socks (key path): the SOCKS request never arrives ($out)" sh -c "! grep -q $MARK '$LOG'"
check "python3 socks: a relay-socks event" event_has '"action":"blocked"' '"rule":"relay-socks"'
run $PY clean "$PORT" "$T/pki/ca.pem" $MARK
check "python3 HTTP inside TLS still arrives ($out)" arrived $MARK
check "...with no refusal" sh -c "! grep -q '\"verdict\":\"deny\"' '$T/events.jsonl'"
run $PY tunnel-clean "$PORT" "$T/pki/ca.pem" $MARK
check "python3 plaintext CONNECT tunnel inside TLS still arrives ($out)" arrived "TUNNEL:tunnel $MARK"

# CA path (static Go: its own TLS, no hook)
if command -v go >/dev/null; then
	(cd "$T" && cp "$top_srcdir/t/e2e/tls_ssh_go.go" . &&
	 CGO_ENABLED=0 GO111MODULE=off timeout 120 go build -o gossh tls_ssh_go.go) ||
		{ echo "cannot build tls_ssh_go.go"; exit 99; }
	for m in ssh tunnel-ssh; do
		run "$T/gossh" $m "$PORT" $MARK
		check "Go $m (CA path): neither banner nor packet arrives ($out)" \
			sh -c "! grep -q 'SSH-2.0' '$LOG' && ! grep -q $MARK '$LOG'"
		check "Go $m: a relay-ssh event, inside TLS" \
			event_has '"action":"blocked"' '"rule":"relay-ssh"' 'inside TLS' "\"port\":$PORT"
	done
	run "$T/gossh" clean "$PORT" $MARK
	check "Go HTTP inside TLS (CA path) still arrives ($out)" arrived $MARK
	# the user's own `ssh HOST` names the verified name: passed, unread, evented
	printf 'allow 127.0.0.1\nssh localhost\n' > "$T/user.policy"
	: > "$LOG"
	: > "$T/events.jsonl"
	out=$(timeout 20 "$DLPJAIL" --relay -p "$T/user.policy" --upstream-ca "$T/pki/ca.pem" \
		--log "$T/events.jsonl" -q -- "$T/gossh" ssh "$PORT" $MARK 2>&1)
	sleep 0.3
	check "Go ssh with 'ssh localhost' in the user's policy arrives ($out)" arrived $MARK
	check "...with an allow event" event_has '"verdict":"allow"' 'relay-ssh' 'inside TLS, passed unread'
else
	echo "# no go toolchain: the CA-path half skipped"
fi
finish
