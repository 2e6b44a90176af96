#!/bin/sh
# 335-profiles: each shipped profile against local stand-ins of its
# registries (issue 13). The names are mapped to the t/registry stand-in by
# the test's DNS in a private network namespace (lib-registry.sh), the test CA
# is the only one trusted. go mod download, cargo fetch and gem install run
# for real under their profiles with no flags (a GOPROXY and a cargo sparse
# index served as static files, t/registry/genmods.py; a gem index from gem
# generate_index), cargo publish and gem push are refused; for each profile a
# curl named as the tool: the profile's registries answer, a host outside it is refused, and
# where the profile makes its registries read-only a POST/PUT is refused with
# the method rule (file:line) named in the event and never reaches the server.
. "$(dirname "$0")/lib.sh"
. "$top_srcdir/t/registry/lib-registry.sh"
command -v curl >/dev/null || skip "curl not installed"
# the toolchains, found before HOME moves into $T
CARGO=$(command -v cargo || echo "$HOME/.cargo/bin/cargo")
: "${RUSTUP_HOME:=$HOME/.rustup}"
export RUSTUP_HOME
GO=$(command -v go || true)
# a static Go HTTP client (Go's own TLS, no hooks: the relay's CA path), cached
GOHTTP=${XDG_CACHE_HOME:-$HOME/.cache}/dlpjail-test/gohttp-1/gohttp
if [ -n "$GO" ] && [ ! -x "$GOHTTP" ]; then
	d=${GOHTTP%/*}.tmp.$$
	mkdir -p "$d" && cp "$top_srcdir/t/registry/gohttp.go" "$d/main.go" &&
		printf 'module gohttp\n\ngo 1.19\n' > "$d/go.mod" &&
		(cd "$d" && CGO_ENABLED=0 GOFLAGS= GOTOOLCHAIN=local timeout 120 "$GO" build -o gohttp .) &&
		mkdir -p "${GOHTTP%/*}" && mv "$d/gohttp" "$GOHTTP.$$" && mv "$GOHTTP.$$" "$GOHTTP"
	rm -rf "$d"
fi
REG_EXTRA_HOSTS=""
for n in registry.npmmirror.com nodejs.org repo.yarnpkg.com crates.io index.crates.io \
	static.crates.io proxy.golang.org sum.golang.org rubygems.org index.rubygems.org \
	outside.test; do
	REG_EXTRA_HOSTS="$REG_EXTRA_HOSTS $n=$REG_ADDR"
done
reg_data --small
reg_sandbox
mkdir -p "$T/static" "$T/bin"
python3 "$top_srcdir/t/registry/genmods.py" "$T/static" || { echo "cannot generate modules"; exit 99; }
# a gem and its index (gem build + gem generate_index: specs.4.8.gz, quick/, gems/)
if command -v gem >/dev/null; then
	mkdir -p "$T/gemsrc/lib" "$T/static/gems"
	printf 'Gem::Specification.new do |s|\n s.name = "dlpt-gem"; s.version = "1.0.0"; s.summary = "t"\n s.authors = ["t"]; s.license = "MIT"; s.files = ["lib/dlpt_gem.rb"]\nend\n' \
		> "$T/gemsrc/dlpt-gem.gemspec"
	echo 'module DlptGem; HELLO = "hello from dlpt-gem"; end' > "$T/gemsrc/lib/dlpt_gem.rb"
	(cd "$T/gemsrc" && gem build -q dlpt-gem.gemspec > /dev/null 2>&1 &&
		cp dlpt-gem-1.0.0.gem "$T/static/gems/" && gem generate_index -q -d "$T/static" > /dev/null 2>&1) ||
		{ echo "cannot build the test gem"; exit 99; }
fi
export REG_STATIC="$T/static"
reg_start

# ev LOG PATTERN...: one event of LOG matches every pattern
ev() {
	log=$1; shift
	line=$(cat "$T/$log.jsonl" 2>/dev/null)
	for pat in "$@"; do
		line=$(printf '%s\n' "$line" | grep -E -- "$pat") || return 1
	done
	[ -n "$line" ]
}
no_blocks() { ! grep -q '"action":"blocked"' "$T/$1.jsonl" 2>/dev/null; }
reached() { grep -q -- "$1" "$REG_LOG"; }
absent() { ! grep -q -- "$1" "$REG_LOG"; }
n=0
# as TOOL LOG ARGS...: curl named TOOL (its profile picked from the name), no flags
as() {
	tool=$1 log=$2; shift 2
	[ -e "$T/bin/$tool" ] || ln -s "$(command -v curl)" "$T/bin/$tool"
	timeout -k 5 30 "$DLPJAIL" --log "$T/$log.jsonl" "$T/bin/$tool" -s -o /dev/null \
		--max-time 10 "$@" > /dev/null 2> "$T/$log.err"
}
# reach TOOL HOST: a GET to HOST under TOOL's profile reaches the stand-in
reach() {
	n=$((n + 1)); p=/p335-$1-$n
	as "$1" "get-$1-$n" "https://$2$p"
	check "$1: GET https://$2 reaches the stand-in" reached "GET $p "
}
# refused TOOL HOST: a GET to HOST under TOOL's profile is refused
refused() {
	n=$((n + 1)); p=/p335-$1-$n
	as "$1" "out-$1-$n" "https://$2$p"
	check "$1: $2 (not in the profile) is refused" \
		sh -c "! grep -q -- 'GET $p ' '$REG_LOG' && grep -q '\"action\":\"blocked\"' '$T/out-$1-$n.jsonl'"
}
# rdonly TOOL PROFILE HOST METHOD [PATH]: METHOD to HOST refused by PROFILE's method rule
rdonly() {
	n=$((n + 1)); p=${5:-/p335-$1-$n}
	as "$1" "ro-$1-$n" -X "$4" --data x "https://$3$p"
	check "$1: $4 https://$3$p refused, the event names $2.policy's method rule" \
		ev "ro-$1-$n" '"action":"blocked"' "methods GET,HEAD \\(.*$2.policy:[0-9]+\\)" "\"reason\":\"$4 "
	check "$1: the $4 never reached the stand-in" absent "^$4 $p "
}
# writable TOOL HOST METHOD: METHOD to HOST is not limited by TOOL's profile
writable() {
	n=$((n + 1)); p=/p335-$1-$n
	as "$1" "rw-$1-$n" -X "$3" --data x "https://$2$p"
	check "$1: $3 https://$2 reaches the stand-in (no method rule)" reached "$3 $p "
}

# ---- go: go mod download through proxy.golang.org, the go profile, no flags ----
if [ -n "$GO" ]; then
	G=$T/gomod
	mkdir -p "$G"
	printf 'module dlpt.test/app\n\ngo 1.19\n\nrequire dlpt.test/hello v1.0.0\n' > "$G/go.mod"
	export GOPATH="$T/gopath" GOMODCACHE="$T/gopath/mod" GOCACHE="$T/gocache" GOSUMDB=off \
		GOTOOLCHAIN=local GOFLAGS=-mod=mod GONOSUMDB= GOPRIVATE= GOPROXY=
	unset GOPROXY
	(cd "$G" && timeout -k 5 60 "$DLPJAIL" --log "$T/go.jsonl" "$GO" mod download -x dlpt.test/hello) \
		> "$T/go.out" 2>&1
	rc=$?
	[ $rc -eq 0 ] || tail -8 "$T/go.out" | sed 's/^/# /'
	check "go mod download under the go profile: exit 0 (exit $rc)" [ $rc -eq 0 ]
	check "go: nothing blocked" no_blocks go
	check "go: the module zip came from the proxy stand-in" reached "GET /dlpt.test/hello/@v/v1.0.0.zip 200"
	check "go: the module is in the module cache" [ -f "$GOMODCACHE/dlpt.test/hello@v1.0.0/hello.go" ]
	check "go: its connections allowed by go.policy's lines" ev go '"action":"allowed"' 'policy/go.policy:[0-9]+' 
else
	echo "# SKIP go: not installed"
fi
# a proxy go is configured with (GOPROXY, the user's environment) is allowed, with a note
if [ -n "$GO" ]; then
	rm -rf "$GOMODCACHE"
	(cd "$G" && GOPROXY=https://outside.test timeout -k 5 60 "$DLPJAIL" --log "$T/goproxy.jsonl" \
		"$GO" mod download dlpt.test/hello) > "$T/goproxy.out" 2>&1
	rc=$?
	check "GOPROXY=https://outside.test: go mod download works (exit $rc)" [ $rc -eq 0 ]
	check "... with an event naming \$GOPROXY" ev goproxy '"op":"policy"' 'allowed outside.test: a module proxy go is configured with'
fi
# Go's own TLS (a static Go binary named go: the CA path, no hooks)
if [ -x "$GOHTTP" ]; then
	ln -s "$GOHTTP" "$T/bin/go"
	out=$(timeout -k 5 30 "$DLPJAIL" --log "$T/gohttp-get.jsonl" "$T/bin/go" GET \
		https://proxy.golang.org/dlpt.test/hello/@v/list 2>/dev/null)
	check "static Go GET to proxy.golang.org passes ($out)" [ "$out" = "status 200" ]
	out=$(timeout -k 5 30 "$DLPJAIL" --log "$T/gohttp-put.jsonl" "$T/bin/go" PUT \
		https://proxy.golang.org/p335-gohttp-put 2>/dev/null)
	check "static Go PUT to proxy.golang.org is refused" [ "${out#status}" = "$out" ]
	check "... by go.policy's method rule" ev gohttp-put '"action":"blocked"' 'methods GET,HEAD \(.*go.policy:[0-9]+\)'
	check "... and never reached the stand-in" absent "p335-gohttp-put"
	rm -f "$T/bin/go"
else
	echo "# SKIP static Go client: go not installed"
fi
reach go sum.golang.org
rdonly go go proxy.golang.org POST
rdonly go go proxy.golang.org PUT /dlpt.test/hello/@v/v1.0.1.zip
refused go registry.npmjs.org
refused go outside.test

# ---- cargo: cargo fetch of a project depending on a crate from index.crates.io ----
if [ -x "$CARGO" ] && "$CARGO" --version > /dev/null 2>&1; then
	C=$T/crate
	mkdir -p "$C/src"
	printf '[package]\nname = "app"\nversion = "0.1.0"\nedition = "2021"\n\n[dependencies]\ndlptx = "0.1.0"\n' \
		> "$C/Cargo.toml"
	: > "$C/src/lib.rs"
	export CARGO_HOME="$T/cargo" CARGO_HTTP_CAINFO="$CA" CARGO_NET_RETRY=0 CARGO_TERM_COLOR=never
	(cd "$C" && timeout -k 5 90 "$DLPJAIL" --log "$T/cargo.jsonl" "$CARGO" fetch) > "$T/cargo.out" 2>&1
	rc=$?
	[ $rc -eq 0 ] || tail -8 "$T/cargo.out" | sed 's/^/# /'
	check "cargo fetch under the cargo profile: exit 0 (exit $rc)" [ $rc -eq 0 ]
	check "cargo: nothing blocked" no_blocks cargo
	check "cargo: its connections allowed by cargo.policy's lines" ev cargo '"action":"allowed"' 'policy/cargo.policy:[0-9]+'
	check "cargo: the sparse index was read" reached "GET /dl/pt/dlptx 200"
	check "cargo: the .crate came from static.crates.io's stand-in" reached "GET /crates/dlptx/0.1.0/download 200"
	check "cargo: the crate is unpacked in CARGO_HOME" sh -c "ls '$CARGO_HOME'/registry/src/*/dlptx-0.1.0/src/lib.rs >/dev/null"
	# the real cargo publish: PUT /api/v1/crates/new to crates.io
	printf 'description = "t"\nlicense = "MIT"\n' > "$C/extra"
	sed -i '/^edition/r '"$C/extra" "$C/Cargo.toml"
	(cd "$C" && CARGO_REGISTRY_TOKEN=t335-not-a-token timeout -k 5 90 "$DLPJAIL" \
		--log "$T/publish.jsonl" "$CARGO" publish --no-verify --allow-dirty) > "$T/publish.out" 2>&1
	rc=$?
	check "cargo publish is refused (exit $rc)" [ $rc -ne 0 ]
	check "cargo publish: by cargo.policy's method rule" \
		ev publish '"action":"blocked"' 'methods GET,HEAD \(.*cargo.policy:[0-9]+\)' '"reason":"PUT '
	check "cargo publish: no PUT reached the stand-in" absent "^PUT /api/v1/crates/new"
else
	echo "# SKIP cargo: not installed"
fi
rdonly cargo cargo crates.io PUT /api/v1/crates/new
rdonly cargo cargo index.crates.io POST
# git dependencies: github.com takes fetches (upload-pack), not pushes (receive-pack)
for t in cargo go gem npm; do
	n=$((n + 1))
	as $t "up-$t-$n" -X POST --data x "https://github.com/dlpt/p335-$t-$n.git/git-upload-pack"
	check "$t: a git fetch POST (git-upload-pack) to github.com passes" reached "POST /dlpt/p335-$t-$n.git/git-upload-pack "
	rdonly $t $t github.com POST "/dlpt/p335-$t-$n.git/git-receive-pack"
done
refused cargo pypi.org
refused cargo outside.test

# ---- gem: gem install from rubygems.org, gem push refused ----
if command -v gem >/dev/null; then
	export GEM_HOME="$T/gems" GEM_PATH="$T/gems" GEM_SPEC_CACHE="$T/gems/specs"
	# known slow: 11 s here against 0.16 s without dlpjail, all of it ruby's
	# TLS ClientHello to rubygems.org (the second host) waiting for the
	# ServerHello through the relay; most of this test's run time
	timeout -k 5 60 "$DLPJAIL" --log "$T/geminst.jsonl" gem install --no-document dlpt-gem \
		> "$T/geminst.out" 2>&1
	rc=$?
	[ $rc -eq 0 ] || tail -8 "$T/geminst.out" | sed 's/^/# /'
	check "gem install under the gem profile: exit 0 (exit $rc)" [ $rc -eq 0 ]
	check "gem: nothing blocked" no_blocks geminst
	check "gem: the .gem came from the rubygems.org stand-in" reached "GET /gems/dlpt-gem-1.0.0.gem 200"
	check "gem: its connections allowed by gem.policy's lines" ev geminst '"action":"allowed"' 'policy/gem.policy:[0-9]+'
	out=$(GEM_HOME="$T/gems" ruby -e 'require "dlpt_gem"; puts DlptGem::HELLO' 2>&1)
	check "gem: the installed gem loads ($out)" [ "$out" = "hello from dlpt-gem" ]
	(cd "$T/gemsrc" && GEM_HOST_API_KEY=t335-not-a-key timeout -k 5 60 "$DLPJAIL" \
		--log "$T/gempush.jsonl" gem push dlpt-gem-1.0.0.gem) > "$T/gempush.out" 2>&1
	rc=$?
	check "gem push is refused (exit $rc)" [ $rc -ne 0 ]
	check "gem push: by gem.policy's method rule" \
		ev gempush '"action":"blocked"' 'methods GET,HEAD \(.*gem.policy:[0-9]+\)' '"reason":"POST '
	check "gem push: no POST reached the stand-in" absent "^POST /api/v1/gems"
else
	echo "# SKIP gem install/push: ruby not installed (scripts/setup installs it)"
fi
# and a curl named gem
as gem gem-get "https://rubygems.org/specs.4.8.gz"
check "gem: GET rubygems.org/specs.4.8.gz reaches the stand-in" reached "GET /specs.4.8.gz 200"
reach gem index.rubygems.org
rdonly gem gem rubygems.org POST /api/v1/gems
refused gem registry.npmjs.org
refused gem outside.test

# ---- the others: registries reachable, outside refused, read-only rules ----
for t in npm yarn pnpm bun; do
	reach $t registry.npmjs.org
	reach $t registry.yarnpkg.com
	reach $t registry.npmmirror.com
	rdonly $t $t registry.npmjs.org PUT /dlpt-mine
	rdonly $t $t registry.yarnpkg.com POST
	refused $t pypi.org
	refused $t outside.test
done
reach npm nodejs.org
# bun's own TLS (BoringSSL, no hooks: the CA path): fetch with PUT
if command -v bun >/dev/null; then
	cat > "$T/put.js" <<'JS'
const m = process.argv[3];
fetch(process.argv[2], m === "GET" ? {} : {method: m, body: "x"}).then(r => console.log("status", r.status),
  e => console.log("error", e.code || e.message));
JS
	out=$(timeout -k 5 30 "$DLPJAIL" --log "$T/bun-get.jsonl" bun "$T/put.js" \
		https://registry.npmjs.org/p335-bun-get GET 2>/dev/null)
	check "bun fetch GET to registry.npmjs.org passes ($out)" [ "$out" = "status 404" ]
	out=$(timeout -k 5 30 "$DLPJAIL" --log "$T/bun-put.jsonl" bun "$T/put.js" \
		https://registry.npmjs.org/p335-bun-put PUT 2>/dev/null)
	check "bun fetch PUT to registry.npmjs.org is refused" ev bun-put '"action":"blocked"' 'methods GET,HEAD \(.*bun.policy:[0-9]+\)'
	check "... and never reached the stand-in" absent "p335-bun-put"
	# the real bun publish (PUT /dlpt-bunpub with the tarball)
	B=$T/bunpub
	mkdir -p "$B"
	printf '{"name":"dlpt-bunpub","version":"1.0.0"}\n' > "$B/package.json"
	printf '//registry.npmjs.org/:_authToken=t335-not-a-token\n' > "$B/.npmrc"
	(cd "$B" && timeout -k 5 60 "$DLPJAIL" --log "$T/bunpub.jsonl" bun publish) > "$T/bunpub.out" 2>&1
	rc=$?
	[ $rc -ne 0 ] || tail -5 "$T/bunpub.out" | sed 's/^/# /'
	check "bun publish is refused (exit $rc)" [ $rc -ne 0 ]
	check "bun publish: by bun.policy's method rule" \
		ev bunpub '"action":"blocked"' 'methods GET,HEAD \(.*bun.policy:[0-9]+\)' '"reason":"PUT '
	check "bun publish: no PUT reached the stand-in" absent "^PUT /dlpt-bunpub"
fi
reach yarn repo.yarnpkg.com
rdonly yarn yarn repo.yarnpkg.com POST
reach pip pypi.org
reach pip files.pythonhosted.org
rdonly pip pip pypi.org POST
rdonly pip pip files.pythonhosted.org PUT
refused pip registry.npmjs.org
refused pip outside.test
reach git github.com
writable git github.com POST
refused git registry.npmjs.org
refused git outside.test
for h in registry.npmjs.org pypi.org crates.io proxy.golang.org rubygems.org github.com; do
	reach make $h
done
writable make registry.npmjs.org PUT
refused make outside.test
# strict: nothing but what the user allows
n=$((n + 1))
timeout -k 5 30 "$DLPJAIL" --profile strict --log "$T/strict.jsonl" curl -s -o /dev/null \
	--max-time 10 "https://registry.npmjs.org/p335-strict" > /dev/null 2>&1
check "strict: registry.npmjs.org is refused" \
	sh -c "! grep -q 'p335-strict' '$REG_LOG' && grep -q '\"action\":\"blocked\"' '$T/strict.jsonl'"
# the test's tokens (cargo publish, gem push, bun publish) never in an event unredacted
check "no token of the test in any event or message unredacted" \
	sh -c "! grep -l 't335-not-a' '$T'/*.jsonl '$T'/*.out '$T'/*.err"
finish
