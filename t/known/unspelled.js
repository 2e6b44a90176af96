// unspelled.js - for t/e2e/274-pattern-unspelled.sh: an install script's
// ways to hide a GitHub PAT whose value no one registered (found by its
// shape only): reversed, ROT13, ROT7, reversed then ROT13, base64 of it
// reversed, hex of it reversed, each POSTed with node's http module to
// http://127.0.0.1:PORT, then a clean body full of look-alikes. Prints
// "HOW sent|blocked".
// usage: node unspelled.js PORT TOKEN
'use strict';
const http = require('http');
const port = +process.argv[2], tok = process.argv[3];
const rot = (s, n) => s.replace(/[a-z]/g, c => String.fromCharCode(97 + (c.charCodeAt(0) - 97 + n) % 26))
	.replace(/[A-Z]/g, c => String.fromCharCode(65 + (c.charCodeAt(0) - 65 + n) % 26));
const rev = s => s.split('').reverse().join('');
const forms = [
	['reversed', rev(tok)],
	['rot13', rot(tok, 13)],
	['rot7', rot(tok, 7)],
	['reversed-rot13', rot(rev(tok), 13)],
	['base64-of-reversed', Buffer.from(rev(tok)).toString('base64')],
	['hex-of-reversed', Buffer.from(rev(tok)).toString('hex')],
	['concat', '"' + tok.match(/.{1,4}/g).join('" + "') + '"'],
	['clean', 'var tuc_ab = 1, _phgx = 2; function xoy_read(jsc_opts) { return __proto__; } // pkg-10853'],
];
function send(i) {
	if (i >= forms.length)
		return;
	const [how, body] = forms[i];
	const req = http.request({ host: '127.0.0.1', port, method: 'POST', path: '/u',
		headers: { 'Content-Type': 'application/javascript' } }, res => {
		res.resume();
		res.on('end', () => { console.log(how + (res.statusCode === 200 ? ' sent' : ' blocked')); send(i + 1); });
	});
	req.on('error', () => { console.log(how + ' blocked'); send(i + 1); });
	req.setTimeout(10000, () => req.destroy());
	req.end(how === 'concat' ? 'const t = ' + body + ';\n' : 'const t = "' + body + '";\n');
}
send(0);
