#!/bin/sh
# 365-root-kernel: a root jail's ways out below the filter and the relay
# (branch redteam-egress). uid 0 owns the kernel's knob files, so no
# capability guards them: "|PROG" in kernel.core_pattern or in a cgroup v1
# release_agent makes the kernel run PROG as root outside every namespace,
# filter and cgroup of the jail (PROG then connects anywhere, unseen), and
# net.ipv4.ping_group_range opens ICMP sockets. With CAP_NET_RAW,
# socket(AF_INET, SOCK_PACKET) is an AF_PACKET socket the filter saw as
# AF_INET; with CAP_NET_ADMIN /dev/net/tun makes a device whose writes
# enter the stack. The attacker only opens the knobs for writing (an open
# that succeeds is the escape; nothing host-wide is written) and sends a
# SOCK_PACKET frame with the secret on lo, recorded by a sniffer outside.
# Held: /proc/sys, /proc/sysrq-trigger and /sys read-only in the jail's
# mount namespace (mountns.c), the table of jail_caps.c dropped.
# The ad hoc form (no mount namespace) loses the same capabilities and gets
# the knobs denied by the shim's Landlock domain (write access beneath every top-level directory
# but /proc and /sys; shim/backstop.c), and so does a launcher run with
# --no-mountns (brk_sc_filter_guard_knobs, sc_rules.c).
# Still works: reading /proc/sys, a clean request to an allowed server.
. "$(dirname "$0")/lib.sh"

[ "$(id -u)" -eq 0 ] || skip "the root jail's capabilities need root"
need_relay
SECRET=AKIAZ7QH3MXR5TLB2WQE
E="$top_srcdir/t/e2e/root_escape.py"

python3 "$top_srcdir/t/e2e/lo_sniff.py" "$SECRET" "$T/sniff.ready" "$T/sniff.log" &
PIDS="$PIDS $!"
i=0
while [ ! -s "$T/sniff.ready" ] && [ $i -lt 100 ]; do sleep 0.05; i=$((i + 1)); done
[ -s "$T/sniff.ready" ] || skip "cannot open a packet socket on lo"
touch "$T/sniff.log"
start_server recsrv.py 127.0.0.1 rec

timeout 30 "$DLPJAIL" --relay --allow 127.0.0.1 -q -- python3 "$E" "$rec_PORT" "$SECRET" \
	> "$T/out" 2>&1
sed 's/^/# /' "$T/out"
for k in core_pattern ping_group_range release_agent sock_packet tun; do
	check "$k: held" grep -q "^held $k:" "$T/out"
done
check "no escape primitive open to the jail" sh -c "! grep -q '^LEAK' '$T/out'"
sleep 0.3
check "SOCK_PACKET frame with the secret never on lo" sh -c "! grep -q '$SECRET' '$T/sniff.log'"
check "the jail still reads /proc/sys" grep -q '^read ostype: Linux' "$T/out"
check "the jail's caps: no CAP_SYS_ADMIN, CAP_NET_ADMIN, CAP_NET_RAW" \
	"$DLPJAIL" --relay -q -- python3 -c '
import sys
c = int([l for l in open("/proc/self/status") if l.startswith("CapEff")][0].split()[1], 16)
sys.exit(1 if c & (1 << 21 | 1 << 12 | 1 << 13) else 0)'
timeout 20 "$DLPJAIL" --relay --allow 127.0.0.1 -q -- \
	curl -sS -o /dev/null -w '%{http_code}\n' "http://127.0.0.1:$rec_PORT/clean-365" > "$T/curl" 2>&1
check "a clean request still arrives" grep -q 'clean-365' "$rec_LOG"

# the ad hoc form (LD_PRELOAD into a root process) has no mount namespace:
# the shim's Landlock domain takes writes below /proc and /sys away
mkdir -p "$T/run"
printf 'allow 127.0.0.1\n' > "$T/adhoc.policy"
XDG_RUNTIME_DIR="$T/run" DLPJAIL_BIN="$DLPJAIL" DLPJAIL_POLICY="$T/adhoc.policy" DLPJAIL_IDLE=5 \
	timeout 30 env LD_PRELOAD="$DLPJAIL_SHIM" sh -c '
		python3 "$1" "$2" "$3"; echo written > "$4/adhoc.txt"; cat "$4/adhoc.txt"
	' sh "$E" "$rec_PORT" "$SECRET" "$T" > "$T/adhoc.out" 2>&1
sed 's/^/# adhoc: /' "$T/adhoc.out"
# its capabilities go as the launcher's jail's do (common/jail_caps.h)
for k in sock_packet tun; do
	check "ad hoc: $k held" grep -q "^held $k:" "$T/adhoc.out"
done
# Landlock ABI (x86_64 landlock_create_ruleset = 444, version query)
abi=$(python3 -c 'import ctypes; print(ctypes.CDLL(None, use_errno=True).syscall(444, None, 0, 1))')
if [ "${abi:-0}" -ge 4 ]; then
	for k in core_pattern ping_group_range release_agent; do
		check "ad hoc: $k held" grep -q "^held $k:" "$T/adhoc.out"
	done
	check "ad hoc: files elsewhere are still written" grep -q '^written$' "$T/adhoc.out"
	# --no-mountns: the launcher's Landlock domain does the same
	timeout 30 "$DLPJAIL" --no-mountns --relay --allow 127.0.0.1 -q -- sh -c '
		python3 "$1" "$2" "$3"; echo written > "$4/nomnt.txt"; cat "$4/nomnt.txt"
	' sh "$E" "$rec_PORT" "$SECRET" "$T" > "$T/nomnt.out" 2>&1
	sed 's/^/# no-mountns: /' "$T/nomnt.out"
	check "--no-mountns: no escape primitive open" sh -c "grep -q '^held core_pattern' '$T/nomnt.out' && ! grep -q '^LEAK' '$T/nomnt.out'"
	check "--no-mountns: files elsewhere are still written" grep -q '^written$' "$T/nomnt.out"
else
	echo "# no Landlock on this kernel: the ad hoc form cannot keep a root process off the knobs"
fi
finish
