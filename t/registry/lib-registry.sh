# lib-registry.sh - the package registry stand-in (sourced after t/e2e/lib.sh).
# reg_sandbox: re-runs the test in its own network and mount namespaces
# (like dns_sandbox) where a dnsmasq maps registry.npmjs.org,
# registry.yarnpkg.com, pypi.org, files.pythonhosted.org and github.com to
# 10.99.0.1 (on lo: not loopback, so the rebinding rule does not apply) and
# t/registry/regserver.py answers HTTPS on 10.99.0.1:443 with a certificate
# from a throwaway CA, which is the only CA in the namespace's system bundle.
# The tools run with their default settings and the default policy; only
# HOME, caches and CA paths point into $T. reg_data: the generated packages
# (t/registry/gen.py), made once and cached under
# ${XDG_CACHE_HOME:-$HOME/.cache}/dlpjail-test/ keyed by REG_DATA_VERSION.
REG_DATA_VERSION=registry-4
REG_NAMES="registry.npmjs.org registry.yarnpkg.com pypi.org files.pythonhosted.org github.com"
REG_ADDR=10.99.0.1
# a test may add before reg_sandbox: REG_EXTRA_HOSTS="NAME=ADDR ..." (names the
# certificate also covers, each ADDR put on lo) and REG_DNS_ARGS (more dnsmasq
# options, e.g. --address=/attacker.test/10.99.0.3)
: "${REG_EXTRA_HOSTS:=}" "${REG_DNS_ARGS:=}"

# reg_data [--small]: sets REG_ROOT to the generated data
reg_data() {
	tag=$REG_DATA_VERSION${1:+-small}
	REG_ROOT=${XDG_CACHE_HOME:-$HOME/.cache}/dlpjail-test/$tag
	if [ ! -f "$REG_ROOT/.done" ]; then
		# a private temp dir: 255 and 500 may generate at once under make -j2;
		# whichever finishes second drops its copy (same seed, same bytes)
		tmp=$REG_ROOT.tmp.$$
		rm -rf "$tmp"
		mkdir -p "$tmp" && timeout 300 python3 "$top_srcdir/t/registry/gen.py" "$tmp" "$@" &&
			touch "$tmp/.done" || { rm -rf "$tmp"; echo "cannot generate registry data"; exit 99; }
		[ -d "$REG_ROOT" ] && [ ! -f "$REG_ROOT/.done" ] && rm -rf "$REG_ROOT"
		mv -T "$tmp" "$REG_ROOT" 2>/dev/null || rm -rf "$tmp"
		[ -f "$REG_ROOT/.done" ] || { echo "cannot generate registry data"; exit 99; }
	fi
}

reg_certs() {
	command -v openssl >/dev/null || skip "openssl not installed"
	d=$T/pki
	mkdir -p "$d"
	san=$(printf 'DNS:%s,' $REG_NAMES ${REG_EXTRA_HOSTS:+$(printf '%s\n' $REG_EXTRA_HOSTS | sed 's/=.*//')})IP:$REG_ADDR
	openssl req -x509 -newkey rsa:2048 -nodes -days 2 -subj "/CN=dlpjail registry test CA" \
		-keyout "$d/ca.key" -out "$d/ca.pem" -addext "basicConstraints=critical,CA:TRUE" \
		-addext "keyUsage=critical,keyCertSign,cRLSign" 2>/dev/null &&
	openssl req -newkey rsa:2048 -nodes -subj "/CN=registry.npmjs.org" \
		-keyout "$d/server.key" -out "$d/server.csr" 2>/dev/null &&
	printf 'subjectAltName=%s\nbasicConstraints=CA:FALSE\nextendedKeyUsage=serverAuth\n' \
		"$san" > "$d/ext.cnf" &&
	openssl x509 -req -in "$d/server.csr" -CA "$d/ca.pem" -CAkey "$d/ca.key" \
		-CAcreateserial -days 2 -extfile "$d/ext.cnf" -out "$d/server.pem" 2>/dev/null ||
		{ echo "cannot make test certificates"; exit 99; }
	CA=$d/ca.pem
}

reg_sandbox() {
	if [ -z "${DLP_T_IN_NS:-}" ]; then
		command -v dnsmasq >/dev/null || skip "dnsmasq is not installed"
		if [ "$(id -u)" -eq 0 ]; then set -- unshare -mn; else set -- unshare -rmn; fi
		"$@" true 2>/dev/null || skip "cannot create network/mount namespaces"
		rm -rf "$T"
		trap - EXIT
		DLP_T_IN_NS=1 exec "$@" --propagation private sh "$0"
	fi
	# a killed test still stops its servers (EXIT alone does not run on signals)
	trap 'exit 143' TERM INT HUP PIPE
	ip link set lo up
	ip addr add $REG_ADDR/32 dev lo 2>/dev/null
	for h in $REG_EXTRA_HOSTS; do ip addr add "${h#*=}/32" dev lo 2>/dev/null; done
	# REG_DROP_AAAA=1: the name server never answers AAAA (t/registry/dnsdrop.py
	# in front of dnsmasq), with glibc's default timeout: 5 s per unanswered query
	if [ -n "${REG_DROP_AAAA:-}" ]; then
		printf 'nameserver 127.0.0.53\n' > "$T/resolv.conf"
		dns_ip=127.0.0.54
	else
		printf 'nameserver 127.0.0.53\noptions timeout:2 attempts:1\n' > "$T/resolv.conf"
		dns_ip=127.0.0.53
	fi
	mount --bind "$T/resolv.conf" /etc/resolv.conf
	DNS_LOG=$T/dnsmasq.log
	: > "$DNS_LOG"
	set --
	for n in $REG_NAMES; do set -- "$@" --host-record=$n,$REG_ADDR; done
	for h in $REG_EXTRA_HOSTS; do set -- "$@" --host-record="${h%%=*},${h#*=}"; done
	# shellcheck disable=SC2086
	set -- "$@" $REG_DNS_ARGS
	dnsmasq --keep-in-foreground --no-resolv --no-hosts --bind-interfaces \
		--listen-address=$dns_ip --port=53 --user=root "$@" \
		--log-queries=extra --log-facility="$DNS_LOG" --pid-file="$T/dnsmasq.pid" &
	PIDS="$PIDS $!"
	i=0
	while ! grep -q "started" "$DNS_LOG" 2>/dev/null && [ $i -lt 100 ]; do sleep 0.05; i=$((i + 1)); done
	if [ -n "${REG_DROP_AAAA:-}" ]; then
		python3 "$top_srcdir/t/registry/dnsdrop.py" 127.0.0.53 127.0.0.54 "$T/dnsdrop.log" &
		PIDS="$PIDS $!"
		i=0
		while ! grep -q "started" "$T/dnsdrop.log" 2>/dev/null && [ $i -lt 100 ]; do
			sleep 0.05; i=$((i + 1))
		done
	fi
	reg_certs
	# the test CA is the system bundle here (npm's cafile, openssl, git, curl)
	for b in /etc/ssl/certs/ca-certificates.crt; do
		[ -f "$b" ] && mount --bind "$CA" "$b"
	done
	export NODE_EXTRA_CA_CERTS="$CA" PIP_CERT="$CA" SSL_CERT_FILE="$CA" GIT_SSL_CAINFO="$CA"
	# a fresh HOME: no user cache or config is read or written
	export HOME="$T/home" XDG_CACHE_HOME="$T/home/.cache" XDG_DATA_HOME="$T/home/.local/share"
	export XDG_CONFIG_HOME="$T/home/.config" XDG_STATE_HOME="$T/home/.local/state"
	mkdir -p "$HOME"
	printf 'nodedir=/usr\naudit=false\nfund=false\nupdate-notifier=false\n' > "$HOME/.npmrc"
	printf '[user]\n\tname = t\n\temail = t@example.invalid\n' > "$HOME/.gitconfig"
	unset npm_config_cache npm_config_registry YARN_CACHE_FOLDER
	# node-gyp builds offline against the system's node headers (pnpm's and
	# bun's node-gyp runs read no ~/.npmrc); bun finds npm's node-gyp on PATH
	export npm_config_nodedir=/usr PIP_CONFIG_FILE=/dev/null
	for d in "$(npm root -g 2>/dev/null)/npm/bin/node-gyp-bin" /usr/share/nodejs/npm/bin/node-gyp-bin; do
		[ -x "$d/node-gyp" ] && { PATH=$PATH:$d; break; }
	done
}

# reg_start: starts the stand-in on $REG_ADDR:443; sets REG_LOG
reg_start() {
	REG_LOG=$T/registry.log
	: > "$REG_LOG"
	python3 "$top_srcdir/t/registry/regserver.py" $REG_ADDR 443 "$T/reg.port" "$REG_LOG" \
		"$T/pki/server.pem" "$T/pki/server.key" "$REG_ROOT" &
	PIDS="$PIDS $!"
	i=0
	while [ ! -s "$T/reg.port" ] && [ $i -lt 200 ]; do sleep 0.05; i=$((i + 1)); done
	[ -s "$T/reg.port" ] || { echo "cannot start the registry stand-in"; exit 99; }
}
