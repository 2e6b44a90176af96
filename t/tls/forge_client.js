// forge_client.js - an HTTPS/1.1 request over node-forge's own TLS (pure
// JavaScript: no OpenSSL, no hook sees it), for t/e2e/340-tls-ca.sh.
// usage: NODE_PATH=DIR node forge_client.js HOST PORT MODE [TOKEN]
//   MODE get | header | query | gzip | split (the header's token in two
//   TLS records) ; roots: the PEM file in
//   $FORGE_ROOTS, else $NODE_EXTRA_CA_CERTS (certificates forge cannot
//   read, ECDSA ones, are skipped: forge speaks RSA only)
const forge = require('node-forge');
const net = require('net');
const fs = require('fs');
const zlib = require('zlib');

const [host, port, mode, token] = process.argv.slice(2);
const roots = [];
const pem = fs.readFileSync(process.env.FORGE_ROOTS || process.env.NODE_EXTRA_CA_CERTS, 'utf8');
for (const m of pem.match(/-----BEGIN CERTIFICATE-----[^-]+-----END CERTIFICATE-----/g) || []) {
  try { roots.push(forge.pki.certificateFromPem(m)); } catch (e) { /* not RSA */ }
}
let path = '/forge', extra = '', body = Buffer.alloc(0), method = 'GET';
if (mode === 'header') extra = `X-Token: ${token}\r\n`;
if (mode === 'query') path += `?t=${token}`;
if (mode === 'gzip') {
  method = 'POST';
  body = zlib.gzipSync(Buffer.from(`payload=${token}`));
  extra = `Content-Encoding: gzip\r\nContent-Length: ${body.length}\r\n`;
}
const sock = net.connect(Number(port), '127.0.0.1');
let out = '';
const tls = forge.tls.createConnection({
  server: false,
  caStore: roots,
  virtualHost: host,
  verify: (c, verified) => verified,
  connected: (c) => {
    if (mode === 'split') {
      c.prepare(`GET ${path} HTTP/1.1\r\nHost: ${host}\r\nX-Token: ${token.slice(0, 20)}`);
      c.prepare(`${token.slice(20)}\r\nConnection: close\r\n\r\n`);
      return;
    }
    c.prepare(`${method} ${path} HTTP/1.1\r\nHost: ${host}\r\nConnection: close\r\n${extra}\r\n`);
    if (body.length) c.prepare(body.toString('binary'));
  },
  tlsDataReady: (c) => sock.write(Buffer.from(c.tlsData.getBytes(), 'binary')),
  dataReady: (c) => { out += c.data.getBytes(); },
  closed: () => { console.log(out.split('\r\n')[0] + ' ' + out.split('\r\n\r\n')[1]); sock.end(); },
  error: (c, e) => { console.log('ERR ' + e.message); process.exitCode = 1; sock.destroy(); },
});
sock.on('connect', () => tls.handshake());
sock.on('data', (d) => tls.process(d.toString('binary')));
sock.on('end', () => tls.close());
sock.on('error', (e) => { console.log('ERR ' + e.message); process.exitCode = 1; });
