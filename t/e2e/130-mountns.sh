#!/bin/sh
# 130-mountns: the jail's private mount namespace (broker/mountns.c) puts the
# shim into /etc/ld.so.preload and our text into /etc/resolv.conf for every
# process in the jail, environment-scrubbing and static ones included, and
# never touches the host's /etc. Driven by t/mountns/ns_driver, which calls
# the mountns API the way the launcher does and execs its arguments.
. "$(dirname "$0")/lib.sh"
D="$top_builddir/t/mountns/ns_driver"
S="$DLPJAIL_SHIM"
RESOLV="nameserver 127.53.0.1
options timeout:1 attempts:1"
[ -x "$D" ] || skip "ns_driver not built"
[ -r "$S" ] || skip "shim not built"

host_state() {
	for f in /etc/ld.so.preload /etc/resolv.conf; do
		if [ -e "$f" ] || [ -L "$f" ]; then ls -l "$f"; cksum < "$f"; else echo "no $f"; fi
	done
}
before=$(host_state)
export TMPDIR="$T"
out=$("$D" -s "$S" -r "$RESOLV" -- true 2>"$T/err"); rc=$?
if [ $rc -eq 3 ]; then
	cat "$T/err"
	skip "no private mount namespace here"
fi
check "prepare and enter succeed ($(cat "$T/err"))" [ $rc -eq 0 ]

# -- env -i scrubs LD_PRELOAD; /etc/ld.so.preload still loads the shim
n=$("$D" -s "$S" -r "$RESOLV" -- env -i /bin/sh -c 'grep -c libdlpshim /proc/self/maps' 2>/dev/null)
check "env -i /bin/sh has libdlpshim mapped ($n)" [ "${n:-0}" -gt 0 ]
out=$("$D" -s "$S" -- env -i /bin/cat /etc/ld.so.preload 2>/dev/null | head -n 1)
check "ld.so.preload names the shim first" [ "$out" = "$S" ]

# -- the private resolv.conf, seen by a static binary too
out=$("$D" -s "$S" -r "$RESOLV" -- cat /etc/resolv.conf 2>/dev/null)
check "dynamic cat sees the private resolv.conf" [ "$out" = "$RESOLV" ]
if command -v busybox >/dev/null && ! ldd "$(command -v busybox)" >/dev/null 2>&1; then
	out=$("$D" -s "$S" -r "$RESOLV" -- busybox cat /etc/resolv.conf 2>/dev/null)
	check "static busybox sees the private resolv.conf" [ "$out" = "$RESOLV" ]
else
	echo "# no static busybox: static resolv.conf check not run"
fi
out=$("$D" -s "$S" -- cat /etc/resolv.conf 2>/dev/null)
check "without resolv text, resolv.conf is the host's" [ "$out" = "$(cat /etc/resolv.conf)" ]

# -- the session socket link for shims whose environment was scrubbed
out=$("$D" -s "$S" -k /run/dlpjail-test/broker.sock -- readlink /etc/dlpjail.sock 2>/dev/null)
check "/etc/dlpjail.sock links to the session socket" [ "$out" = /run/dlpjail-test/broker.sock ]

# -- writes to /etc in the jail never reach the host
"$D" -s "$S" -r "$RESOLV" -- sh -c 'echo x > /etc/dlpjail-130-probe' 2>/dev/null
check "a write to /etc in the jail does not reach the host" [ ! -e /etc/dlpjail-130-probe ]
rm -f /etc/dlpjail-130-probe 2>/dev/null

# -- failure mode: the launcher can be told (and tested) to fall back
out=$(DLPJAIL_NO_MOUNTNS=1 "$D" -s "$S" -- true 2>&1); rc=$?
check "DLPJAIL_NO_MOUNTNS=1 makes prepare return -EOPNOTSUPP" [ $rc -eq 3 ]
check "the reason names the variable" sh -c "echo '$out' | grep -q DLPJAIL_NO_MOUNTNS"
out=$("$D" -s relative/shim.so -- true 2>&1); rc=$?
check "a relative shim path is -EINVAL" [ $rc -eq 4 ]
check "no staging directory is left behind" sh -c "! grep -q 'left behind' '$T/err'"

if [ "$(id -u)" -eq 0 ]; then
	# -- mounts below /etc (a container's /etc/hosts) survive the overlay
	printf 'echo "HOSTS-130" > "$T/hosts"; mount --bind "$T/hosts" /etc/hosts\n%s\n' \
		"\"$D\" -s \"$S\" -r \"$RESOLV\" -- sh -c 'cat /etc/hosts; cat /etc/resolv.conf'" \
		> "$T/sub.sh"
	out=$(T="$T" unshare -m --propagation private sh "$T/sub.sh" 2>/dev/null)
	check "a bind-mounted /etc/hosts is preserved" sh -c "echo '$out' | grep -q HOSTS-130"
	check "next to the private resolv.conf" sh -c "echo '$out' | grep -q 127.53.0.1"

	# -- as a user: user namespace, read-only overlay
	if command -v setpriv >/dev/null; then
		mkdir "$T/u" && chown 65534:65534 "$T/u" && chmod 711 "$T"
		nb="setpriv --reuid=65534 --regid=65534 --clear-groups"
		out=$(TMPDIR="$T/u" $nb "$D" -s "$S" -r "$RESOLV" -- env -i /bin/sh -c \
			'grep -c libdlpshim /proc/self/maps; cat /etc/resolv.conf; echo; id -u' 2>"$T/err")
		rc=$?
		if [ $rc -eq 3 ]; then
			echo "# user namespaces unavailable: $(cat "$T/err")"
		else
			check "user: env -i child has the shim (user namespace)" \
				sh -c "echo '$out' | head -n 1 | grep -q '^[1-9]'"
			check "user: private resolv.conf" sh -c "echo '$out' | grep -q 127.53.0.1"
			check "user: same uid inside" sh -c "echo '$out' | tail -n 1 | grep -qx 65534"
			TMPDIR="$T/u" $nb "$D" -s "$S" -- sh -c 'echo x > /etc/ld.so.preload' 2>/dev/null
			check "user: /etc/ld.so.preload cannot be rewritten in the jail" [ $? -ne 0 ]
		fi
	fi
fi

after=$(host_state)
check "host /etc/ld.so.preload and /etc/resolv.conf unchanged" [ "$before" = "$after" ]
finish
