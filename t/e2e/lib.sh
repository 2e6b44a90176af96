# lib.sh - shared helpers for the end-to-end tests (sourced, POSIX sh + bash).
# Every test: sources this, runs checks with ok/fail, ends with `finish`.
# Servers started here bind loopback only and are killed on exit.
set -u
: "${top_srcdir:=$(cd "$(dirname "$0")/../.." && pwd)}"
: "${top_builddir:=$top_srcdir}"
: "${DLPJAIL:=$top_builddir/dlpjail}"
: "${DLPJAIL_SHIM:=$top_builddir/.libs/libdlpshim.so}"
export DLPJAIL_SHIM
unset DLPJAIL_SOCK LD_PRELOAD
T=$(mktemp -d "${TMPDIR:-/tmp}/dlpjail-t.XXXXXX")
PIDS=""
npass=0
nfail=0

cleanup() {
	for p in $PIDS; do kill "$p" 2>/dev/null; done
	wait 2>/dev/null
	rm -rf "$T"
}
trap cleanup EXIT

ok()   { npass=$((npass + 1)); echo "ok - $*"; }
fail() { nfail=$((nfail + 1)); echo "not ok - $*"; }
skip() { echo "SKIP: $*"; exit 77; }

# check DESCRIPTION COMMAND...: passes when COMMAND succeeds
check() {
	d=$1; shift
	if "$@"; then ok "$d"; else fail "$d"; fi
}

# start_http BIND NAME: starts httpd.py, sets ${NAME}_PORT and ${NAME}_LOG
start_http() {
	bind=$1 name=$2
	python3 "$top_srcdir/t/e2e/httpd.py" "$bind" "$T/$name.port" "$T/$name.log" &
	PIDS="$PIDS $!"
	i=0
	while [ ! -s "$T/$name.port" ] && [ $i -lt 100 ]; do sleep 0.05; i=$((i + 1)); done
	[ -s "$T/$name.port" ] || { echo "cannot start http server on $bind"; exit 99; }
	touch "$T/$name.log"
	eval "${name}_PORT=\$(cat \"\$T/\$name.port\")"
	eval "${name}_LOG=\"\$T/\$name.log\""
}

# jail ARGS...: run dlpjail with an event log at $T/events.jsonl
jail() {
	"$DLPJAIL" --no-default-policy --log "$T/events.jsonl" "$@"
}

# events_match PATTERN...: every grep -E pattern appears in one event line
event_has() {
	line=$(cat "$T/events.jsonl" 2>/dev/null)
	for pat in "$@"; do
		line=$(printf '%s\n' "$line" | grep -E -- "$pat") || return 1
	done
	[ -n "$line" ]
}

finish() {
	echo "$npass passed, $nfail failed"
	[ "$nfail" -eq 0 ]
}
