#!/bin/sh
# 383-outside-reach: ways to a process or service outside the jail that
# already hold, kept held (branch redteam-egress2): an abstract Unix
# socket of a host service (D-Bus style), a path socket (SSH_AUTH_SOCK,
# docker.sock style) no unix line names, a UDP datagram that is not DNS,
# /proc/PID/mem and environ of an outside process of the same user,
# process_vm_readv on it, TCP Fast Open data in the SYN carrying a
# secret, and a setsid'd double-forked daemon that connects after the
# command exited. The same probe run bare first shows each channel
# delivers, so the test can tell.
. "$(dirname "$0")/lib.sh"
need_relay

SECRET=AKIAZ7QH3MXR5TLB2WQE
AN="dlpjail-373-$$"
python3 "$top_srcdir/t/e2e/reach_srv.py" "$T" "$AN" & PIDS="$PIDS $!"
sleep 60 & OUT=$!; PIDS="$PIDS $OUT"
i=0; while [ ! -s "$T/ports" ] && [ $i -lt 100 ]; do sleep 0.05; i=$((i + 1)); done
read TP UP < "$T/ports" || { echo "cannot start reach_srv"; exit 99; }
probe() { python3 "$top_srcdir/t/e2e/reach_probe.py" "$TP" "$UP" "$OUT" "$T/agent.sock" "$AN" "$SECRET"; }

probe > "$T/bare.out" 2>&1
sleep 1.5
sed 's/^/# bare: /' "$T/bare.out"
check "control, bare: the abstract socket, the path socket and UDP deliver" \
	sh -c "grep -q abstract-leak '$T/got.log' && grep -q path-leak '$T/got.log' && grep -q 'UDP udp-leak' '$T/got.log'"
check "control, bare: the late daemon delivers" grep -q late-daemon "$T/got.log"
check "control, bare: the outside process's environ is readable" grep -q "environ OPEN" "$T/bare.out"
check "control, bare: process_vm_readv reaches it (read, or EFAULT at an unmapped address)" \
	grep -E -q "pvm (OPEN|held: OSError .Errno 14)" "$T/bare.out"
: > "$T/got.log"

timeout 20 "$DLPJAIL" --no-default-policy --relay --allow 127.0.0.1 --log "$T/events.jsonl" -- \
	sh -c "$(command -v python3) '$top_srcdir/t/e2e/reach_probe.py' $TP $UP $OUT '$T/agent.sock' $AN $SECRET" \
	> "$T/jail.out" 2>&1
sleep 1.5
sed 's/^/# jail: /' "$T/jail.out"
for ch in abstract pathsock udp mem environ pvm fastopen; do
	check "jailed: $ch held (EPERM/EACCES)" grep -q "^$ch held: PermissionError" "$T/jail.out"
done
check "jailed: nothing reached the outside services" test ! -s "$T/got.log"
check "...the Unix and UDP refusals are evented" event_has '"verdict":"deny"' 'agent.sock|unix'
finish
