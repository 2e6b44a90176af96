#!/bin/sh
# mkcerts.sh DIR [SANS] - make a throwaway test CA and a server certificate
# for localhost, 127.0.0.1 and ::1 in DIR (ca.pem, server.pem, server.key);
# SANS adds names ("DNS:github.com,DNS:*.allowed.test").
# The CA exists only for the test servers: dlpjail itself never needs one.
set -e
d=$1
mkdir -p "$d"
cd "$d"
openssl req -x509 -newkey rsa:2048 -nodes -days 2 -subj "/CN=dlpjail test CA" \
	-keyout ca.key -out ca.pem -addext "basicConstraints=critical,CA:TRUE" \
	-addext "keyUsage=critical,keyCertSign,cRLSign" 2>/dev/null
openssl req -newkey rsa:2048 -nodes -subj "/CN=localhost" \
	-keyout server.key -out server.csr 2>/dev/null
printf 'subjectAltName=DNS:localhost,DNS:home.test,DNS:registry.npmjs.org,DNS:collector.test,IP:127.0.0.1,IP:::1%s\nbasicConstraints=CA:FALSE\nextendedKeyUsage=serverAuth\n' "${2:+,$2}" > ext.cnf
openssl x509 -req -in server.csr -CA ca.pem -CAkey ca.key -CAcreateserial \
	-days 2 -extfile ext.cnf -out server.pem 2>/dev/null
rm -f server.csr ext.cnf ca.srl
