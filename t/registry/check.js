// check.js - require every package a test project installed from the stand-in.
// usage: node check.js PACKAGES_FILE   (run in the project directory)
// Prints one line per failure and exits 1 if any; else prints "all N packages load".
'use strict';
const fs = require('fs');
const path = require('path');
const { createRequire } = require('module');
const req = createRequire(path.join(process.cwd(), 'package.json'));
const names = fs.readFileSync(process.argv[2], 'utf8').split('\n').filter(Boolean);
let bad = 0;
function fail(msg) { console.log('FAIL ' + msg); bad++; }
for (const n of names) {
  try {
    const m = req(n);
    if (n === 'dlpt-native' && (typeof m.answer !== 'function' || m.answer() !== 42))
      fail('dlpt-native: the addon does not answer 42');
    if (n === 'dlpt-sharpish' && m !== process.platform + '-' + process.arch)
      fail('dlpt-sharpish: loaded ' + m);
    if (n === 'dlpt-bigblob') {
      const blob = path.join(path.dirname(req.resolve('dlpt-bigblob')), 'lib', 'blob.bin');
      if (fs.statSync(blob).size !== 21 * 1024 * 1024) fail('dlpt-bigblob: truncated blob');
    }
  } catch (e) {
    fail(n + ': ' + String(e.message).split('\n')[0]);
  }
}
// sharp-style: only the matching optional platform package may be installed
const sharpDir = path.dirname(req.resolve('dlpt-sharpish'));
const sreq = createRequire(path.join(sharpDir, 'index.js'));
for (const p of ['darwin-arm64', 'win32-x64']) {
  try { sreq.resolve('@dlpt/img-' + p); fail('@dlpt/img-' + p + ' installed on ' + process.platform); }
  catch (e) { /* expected */ }
}
if (bad) process.exit(1);
console.log('all ' + names.length + ' packages load');
