#!/bin/sh
# 366-fd-theft: a root jail reaching into a host process (branch
# redteam-egress). The kernel lets a root process without CAP_SYS_PTRACE
# into another root process whose capabilities are a subset of its own (a
# hardened daemon, here one run with an empty bounding set): pidfd_getfd
# takes its connected socket, on which a raw write() leaves unrelayed and
# unscanned; /proc/PID/root is the host's mount namespace (a writable
# /proc/sys) and /proc/PID/environ its secrets. Landlock (ABI >= 4), where
# present, keeps the jail out of such processes; the filter refuses
# pidfd_getfd either way, and without Landlock (older kernels,
# DLPJAIL_NO_LANDLOCK=1 here) the launcher hides the /proc entries of such
# processes. Checked both ways.
# Still works: pidfd_open (on the jail's own processes).
. "$(dirname "$0")/lib.sh"

[ "$(id -u)" -eq 0 ] || skip "the caps-subset rule is a root jail's"
command -v setpriv >/dev/null || skip "setpriv (util-linux) not installed"
command -v gcc >/dev/null || skip "gcc not installed"
need_relay
SECRET=AKIAZ7QH3MXR5TLB2WQE
gcc -O2 -static -o "$T/fd_steal" "$top_srcdir/t/e2e/fd_steal.c" 2>"$T/cc.log" ||
	gcc -O2 -o "$T/fd_steal" "$top_srcdir/t/e2e/fd_steal.c" || exit 99
start_server recsrv.py 127.0.0.1 rec
setpriv --bounding-set=-all --inh-caps=-all \
	python3 "$top_srcdir/t/e2e/fd_holder.py" "$rec_PORT" "$T/holder" &
PIDS="$PIDS $!"
i=0
while [ ! -s "$T/holder" ] && [ $i -lt 100 ]; do sleep 0.05; i=$((i + 1)); done
read -r HPID HFD < "$T/holder" || exit 99
grep -q '^CapPrm:.*0000000000000000' "/proc/$HPID/status" || exit 99

for ll in landlock no-landlock; do
	if [ $ll = no-landlock ]; then export DLPJAIL_NO_LANDLOCK=1; else unset DLPJAIL_NO_LANDLOCK; fi
	timeout 30 "$DLPJAIL" --relay -- sh -c '
		"$1" "$2" "$3" "$4"
		python3 -c "
import os, sys
pid = sys.argv[1]
for p, fl in ((\"/proc/%s/root/proc/sys/kernel/core_pattern\" % pid, os.O_WRONLY),
	      (\"/proc/%s/environ\" % pid, os.O_RDONLY)):
	try:
		os.close(os.open(p, fl)); print(\"LEAK\", p)
	except OSError as e:
		print(\"held\", p, e.strerror)
os.close(os.pidfd_open(os.getpid())); print(\"pidfd_open own: ok\")
" "$2"' sh "$T/fd_steal" "$HPID" "$HFD" "$SECRET" > "$T/$ll.out" 2>&1
	sed "s/^/# $ll: /" "$T/$ll.out"
	check "$ll: the stolen socket carries nothing" sh -c "! grep -q '$SECRET' '$rec_LOG'"
	check "$ll: pidfd_getfd fails" grep -q 'pidfd_getfd -[0-9]' "$T/$ll.out"
	if [ $ll = landlock ]; then
		# Landlock keeps the jail out of its root (environ stays readable
		# there: a read of what the jail can read anyway, not a way out)
		check "$ll: no way into the host's /proc/sys through its root" \
			sh -c "grep -q '^held .*/root/proc/sys' '$T/$ll.out'"
	else
		check "$ll: no /proc way into the host process" sh -c "grep -q '^held /proc' '$T/$ll.out' && ! grep -q '^LEAK' '$T/$ll.out'"
	fi
	check "$ll: pidfd_open of the jail's own still works" grep -q '^pidfd_open own: ok' "$T/$ll.out"
done
check "without Landlock the refusal is reported" grep -q 'refused by .*pidfd_getfd' "$T/no-landlock.out"
finish
