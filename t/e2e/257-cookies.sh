#!/bin/sh
# 257-cookies: cookies and stacked encodings (issue 12). A site's own
# cookies go back to it: a JWT session cookie and a random auth_token the
# site set (Set-Cookie, learned from the response), session, CSRF and
# analytics cookies; the same JWT to another name, and a secret-named
# cookie the client made itself (api_key) are refused before they leave. A
# generic key=value secret hex-encoded over base64 in a POST is refused,
# while a single base64 layer of the same body only warns.
. "$(dirname "$0")/lib.sh"
command -v python3 >/dev/null || skip "python3 not installed"
JWT=eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9.eyJzdWIiOiAiMDYzMzA3NjM5MyIsICJuYW1lIjogIkphbmUiLCAiaWF0IjogMTUxNjIzOTAyMn0.xVGudwVgY_yeK9trCv9kkkNZat7xoAKnZz3CugepfTs
RND=cHz7nEt4BiiNG1WFmSPWmWwvTghgL3Xu
cat > "$T/site.py" <<EOF
import http.server, sys
class H(http.server.BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    def log_message(self, *a): pass
    def _ok(self, extra=()):
        n = int(self.headers.get("Content-Length", "0") or 0)
        body = self.rfile.read(n) if n else b""
        if len(body) != n: return      # cut off: nothing arrived
        with open(sys.argv[2], "a") as f:
            f.write("%s %s cookie=%s body=%s\n" % (self.command, self.path,
                    self.headers.get("Cookie", ""), body.decode(errors="replace")))
        self.send_response(200)
        for k, v in extra: self.send_header(k, v)
        self.send_header("Content-Length", "3")
        self.end_headers()
        self.wfile.write(b"ok\n")
    def do_GET(self):
        if self.path == "/login":
            return self._ok([("Set-Cookie", "session=$JWT; Path=/; HttpOnly"),
                             ("Set-Cookie", "auth_token=$RND; Path=/")])
        self._ok()
    do_POST = do_GET
s = http.server.ThreadingHTTPServer(("127.0.0.1", 0), H)
open(sys.argv[1], "w").write(str(s.server_address[1]))
s.serve_forever()
EOF
python3 "$T/site.py" "$T/site.port" "$T/site.log" &
PIDS="$PIDS $!"
i=0
while [ ! -s "$T/site.port" ] && [ $i -lt 100 ]; do sleep 0.05; i=$((i + 1)); done
P=$(cat "$T/site.port")
touch "$T/site.log"
J="--allow localhost --allow 127.0.0.1"

# the site's own cookies, back to it (python's cookie jar)
cat > "$T/jar.py" <<EOF
import urllib.request, http.cookiejar, sys
cj = http.cookiejar.CookieJar()
o = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(cj))
o.open("http://localhost:$P/login").read()
try:
    print(o.open("http://localhost:$P/app").read().decode().strip())
except Exception as e:
    print("refused", e)
EOF
out=$(jail $J -- python3 "$T/jar.py" 2>&1)
check "a JWT session cookie and an auth_token the site set go back to it ($out)" [ "$out" = ok ]
check "... and arrived" grep -q "GET /app cookie=.*session=eyJ" "$T/site.log"

# the same JWT to another name of the host: not the site that set it
out=$(jail $J -- python3 -c "
import urllib.request
r = urllib.request.Request('http://127.0.0.1:$P/other', headers={'Cookie': 'session=$JWT'})
try: print(urllib.request.urlopen(r).read().decode().strip())
except Exception as e: print('refused')" 2>/dev/null)
check "the JWT cookie to a destination that did not set it is refused" [ "$out" = refused ]
check "... and never arrived" sh -c "! grep -q 'GET /other' '$T/site.log'"

# by address from here: a name allowed by --allow may take generic
# credentials (it is the user's own choice of server)
cookie() { # cookie HEADER-VALUE PATH: a GET to 127.0.0.1 with it, under the jail
	jail $J -- python3 -c "
import urllib.request, sys
r = urllib.request.Request('http://127.0.0.1:$P' + sys.argv[2], headers={'Cookie': sys.argv[1]})
try: print(urllib.request.urlopen(r).read().decode().strip())
except Exception as e: print('refused')" "$1" "$2" 2>/dev/null
}
out=$(cookie "_ga=GA1.2.3; api_key=9f86d081884c7d659a2feaa0c55ad015; theme=dark" /apikey)
check "a secret-named cookie the client made (api_key) is refused" [ "$out" = refused ]
check "... the event names cookie-secret" event_has '"detector":"cookie-secret"' '"action":"blocked"'
check "... and it never arrived" sh -c "! grep -q 'GET /apikey' '$T/site.log'"
out=$(cookie "PHPSESSID=r2t5uvjq435r4q7ib3vtdjq120; csrftoken=$RND; _ga=GA1.2.1716451276.1700000000; sessionid=Pa5WGidNXynxt1Q7Gi1W6IgRQI0gDoQw" /sess)
check "session, CSRF and analytics cookies pass" [ "$out" = ok ]

# stacked encodings: hex of base64 of "client_secret=..." refused, base64 once warns
KV="client_secret=t7eJvtJmEmaxgUrT5n176Hizj9V0dTGW"
HEX=$(printf '%s' "$KV" | base64 -w0 | od -An -tx1 | tr -d ' \n')
B64=$(printf '%s' "$KV" | base64 -w0)
post() {
	jail $J -- python3 -c "
import urllib.request, sys
try: print(urllib.request.urlopen('http://127.0.0.1:$P' + sys.argv[2], data=sys.argv[1].encode()).read().decode().strip())
except Exception as e: print('refused')" "$1" "$2" 2>/dev/null
}
out=$(post "d=$HEX" /hexb64)
check "a key=value secret as hex of base64 is refused" [ "$out" = refused ]
check "... and its body never arrived" sh -c "! grep -q 'POST /hexb64' '$T/site.log'"
out=$(post "d=$B64" /b64once)
check "the same under one base64 layer passes (a warning)" [ "$out" = ok ]
finish
