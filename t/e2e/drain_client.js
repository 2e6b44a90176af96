// drain_client.js - the CA-path client of t/e2e/398 (bun: its own TLS
// stack, no hook claims it): writes FILE over TLS to 127.0.0.1:PORT (SNI
// localhost) and exits with status 7 once the write is handed over.
// usage: bun drain_client.js PORT FILE
const tls = require('node:tls'), fs = require('node:fs');
const [port, file] = process.argv.slice(2);
const data = fs.readFileSync(file);
const c = tls.connect({ host: '127.0.0.1', port: +port, servername: 'localhost' }, () => {
	c.write(data, () => process.exit(7));
});
c.on('error', e => { console.log('client error ' + e.message); process.exit(1); });
