# lib-tls.sh - helpers for the TLS end-to-end tests (sourced after t/e2e/lib.sh).
# make_ca: a throwaway CA + server cert in $T/pki (only the test servers use
# it: dlpjail itself needs no CA). start_https BIND NAME [httpsd options]:
# starts t/tls/httpsd.py, sets ${NAME}_PORT and ${NAME}_LOG.
CA="$T/pki/ca.pem"

make_ca() {
	command -v openssl >/dev/null || skip "openssl not installed"
	sh "$top_srcdir/t/tls/mkcerts.sh" "$T/pki" || { echo "cannot make test certificates"; exit 99; }
}

start_https() {
	bind=$1 name=$2
	shift 2
	python3 "$top_srcdir/t/tls/httpsd.py" "$bind" "$T/$name.port" "$T/$name.log" \
		"$T/pki/server.pem" "$T/pki/server.key" "$@" &
	PIDS="$PIDS $!"
	i=0
	while [ ! -s "$T/$name.port" ] && [ $i -lt 200 ]; do sleep 0.05; i=$((i + 1)); done
	[ -s "$T/$name.port" ] || { echo "cannot start https server on $bind"; exit 99; }
	touch "$T/$name.log"
	eval "${name}_PORT=\$(cat \"\$T/\$name.port\")"
	eval "${name}_LOG=\"\$T/\$name.log\""
}

# has OUTPUT PATTERN: grep -E on a captured string
has() { printf '%s\n' "$1" | grep -Eq -- "$2"; }

# no_token FILE...: the token never reached these files
no_token() { ! grep -qF "$TOKEN" "$@"; }
