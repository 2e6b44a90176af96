#!/bin/sh
# 030-canonical-addr: other spellings of a denied IPv4 address are refused:
# IPv4-mapped and IPv4-compatible IPv6, NAT64, 0.0.0.0 and :: (loopback).
. "$(dirname "$0")/lib.sh"

start_http 127.0.0.1 a
start_http 127.0.0.2 b

# python3 connect helper: prints "ok" or the errno name
try() {
	jail "$@" -- python3 -c "
import socket,errno,sys
fam=socket.AF_INET6 if ':' in sys.argv[1] else socket.AF_INET
s=socket.socket(fam)
try:
    s.connect((sys.argv[1],int(sys.argv[2]))); print('ok')
except OSError as e:
    print(errno.errorcode.get(e.errno,e.errno))" "$ADDR" "$PORT" 2>/dev/null
}

ADDR=127.0.0.2 PORT=$b_PORT
check "plain denied IPv4 is refused" [ "$(try --allow 127.0.0.0/8 --deny 127.0.0.2)" = EACCES ]
ADDR=::ffff:127.0.0.2
check "IPv4-mapped form of a denied IPv4 is refused" [ "$(try --allow 127.0.0.0/8 --allow ::/0 --deny 127.0.0.2)" = EACCES ]
check "event shows the canonical IPv4 rule" event_has '"verdict":"deny"' '"rule":"deny 127.0.0.2/32'
ADDR=::ffff:127.0.0.1 PORT=$a_PORT
check "IPv4-mapped form of an allowed IPv4 connects" [ "$(try --allow 127.0.0.1)" = ok ]
ADDR=::127.0.0.2 PORT=$b_PORT
check "IPv4-compatible form of a denied IPv4 is refused" [ "$(try --allow ::/0 --deny 127.0.0.2)" = EACCES ]
ADDR=64:ff9b::7f00:2
check "NAT64 form of a denied IPv4 is refused (not ENETUNREACH)" [ "$(try --allow ::/0 --deny 127.0.0.2)" = EACCES ]
ADDR=64:ff9b::a9fe:a9fe
check "NAT64 form of the metadata address is refused" [ "$(try --allow ::/0 --allow 0.0.0.0/0)" = EACCES ]
ADDR=::ffff:169.254.169.254
check "IPv4-mapped metadata address is refused under allow-all" [ "$(try --allow ::/0 --allow 0.0.0.0/0)" = EACCES ]
ADDR=0.0.0.0 PORT=$a_PORT
check "0.0.0.0 is judged as loopback (denied)" [ "$(try --allow 0.0.0.0/0 --deny 127.0.0.0/8)" = EACCES ]
check "0.0.0.0 reaches loopback when loopback is allowed" [ "$(try --allow 127.0.0.1)" = ok ]
ADDR=::
check ":: is judged as loopback (denied)" [ "$(try --allow ::/0 --deny 127.0.0.0/8)" = EACCES ]
finish
