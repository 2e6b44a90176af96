#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
# gen-corpus.py - writes the DNS module's test corpora (t/dns/):
#   benign-hosts.txt  real-shaped hostnames (CDN, cloud LB, registries,
#                     tracking, preview deploys, ...) with hashed labels
#   exfil-cases.txt   "<case> <qtype> <name>" lines; lines of one case are
#                     one session in order: fake credential-shaped secrets
#                     encoded (base64, base64url, base32, hex) in one query,
#                     split over labels, or one short label per query.
# Deterministic (fixed seed); rerun and commit the output when changing it.
# No secret here is real: every token is random with a real-looking shape.
import base64, random, string, os, sys

R = random.Random(20240601)
LOW = string.ascii_lowercase
AL = LOW + string.digits
HEX = "0123456789abcdef"
B32 = "ABCDEFGHIJKLMNOPQRSTUVWXYZ234567"
B62 = string.ascii_letters + string.digits

def rs(alpha, n): return "".join(R.choice(alpha) for _ in range(n))
def pick(xs): return R.choice(xs)

REGIONS = ["us-east-1", "us-east-2", "us-west-2", "eu-west-1", "eu-central-1",
           "ap-southeast-1", "ap-northeast-1", "sa-east-1", "ca-central-1"]
WORDS = ["api", "web", "app", "prod", "staging", "internal", "payments", "auth",
         "billing", "search", "assets", "static", "media", "images", "orders",
         "users", "gateway", "edge", "admin", "docs", "metrics", "logs", "events",
         "checkout", "catalog", "inventory", "shipping", "notify", "reports"]
ORGS = ["acme", "contoso", "initech", "globex", "umbrella", "hooli", "stark",
        "wayne", "wonka", "tyrell", "cyberdyne", "soylent", "vandelay", "dunder"]
ADJ = ["gentle", "brave", "fuzzy", "happy", "lively", "calm", "witty", "proud",
       "zealous", "mellow", "nifty", "sturdy", "bold", "quiet", "rapid"]
NOUN = ["river", "meadow", "waddle", "rocket", "pebble", "forest", "island",
        "falcon", "harbor", "canyon", "glacier", "garden", "beacon", "comet"]

def name(): return pick(ORGS) + "-" + pick(WORDS)

def benign():
    h = set()
    add = h.add
    for _ in range(40):
        add("d%s.cloudfront.net" % rs(AL, 13))
    for _ in range(20):
        r = pick(REGIONS)
        add("%s-%d.%s.elb.amazonaws.com" % (name(), R.randrange(10**9, 10**10), r))
        add("internal-%s-%d.%s.elb.amazonaws.com" % (name(), R.randrange(10**9, 10**10), r))
        add("%s-%s.elb.%s.amazonaws.com" % (name(), rs(HEX, 16), r))
        add("k8s-%s-%s-%s.elb.%s.amazonaws.com" % (pick(["default", "prod", "kube-system"]),
            pick(WORDS)[:8], rs(HEX, 10), r))
    for _ in range(15):
        r = pick(REGIONS)
        acct = rs(string.digits, 12)
        add("%s.s3.amazonaws.com" % (name() + "-artifacts"))
        add("%s.s3.%s.amazonaws.com" % (name() + "-" + pick(["logs", "backups", "uploads"]), r))
        add("cdk-hnb659fds-assets-%s-%s.s3.%s.amazonaws.com" % (acct, r, r))
        add("%s.dkr.ecr.%s.amazonaws.com" % (acct, r))
        add("%s.gr7.%s.eks.amazonaws.com" % (rs(HEX, 32).upper(), r))
        add("%s.execute-api.%s.amazonaws.com" % (rs(AL, 10), r))
        add("%s.lambda-url.%s.on.aws" % (rs(AL, 32), r))
        add("%s.c%s.%s.rds.amazonaws.com" % (pick(WORDS) + "-db", rs(AL, 11), r))
        add("%s.%s.ng.0001.%s.cache.amazonaws.com" % (pick(WORDS), rs(AL, 6), r.replace("-", "")[:4]))
        add("ec2-%d-%d-%d-%d.compute-1.amazonaws.com" % tuple(R.randrange(1, 255) for _ in range(4)))
        add("ip-10-%d-%d-%d.%s.compute.internal" % (R.randrange(256), R.randrange(256), R.randrange(256), r))
        add("vpce-%s-%s.vpce-svc-%s.%s.vpce.amazonaws.com" % (rs(HEX, 17), rs(AL, 8), rs(HEX, 17), r))
        add("pr-%d.d%s.amplifyapp.com" % (R.randrange(1, 900), rs(AL, 13)))
        add("%s.cloudfront.net" % ("d" + rs(AL, 13)))
    for _ in range(12):
        o = pick(ORGS)
        add("%s%s.blob.core.windows.net" % (o, rs(AL, 8)))
        add("%s-%s.azurewebsites.net" % (o, pick(WORDS)))
        add("%s-%s.z01.azurefd.net" % (pick(WORDS), rs(AL, 16)))
        add("%s-%s-%s.%d.azurestaticapps.net" % (pick(ADJ), pick(NOUN), rs(HEX, 9), R.randrange(1, 6)))
        add("%s%s.azurecr.io" % (o, pick(WORDS)))
        add("%s-kv-%s.vault.azure.net" % (o, rs(AL, 5)))
        add("adb-%s.%d.azuredatabricks.net" % (rs(string.digits, 16), R.randrange(1, 20)))
        g = "%s-%s-%s-%s-%s" % (rs(HEX, 8), rs(HEX, 4), rs(HEX, 4), rs(HEX, 4), rs(HEX, 12))
        add("%s.ods.opinsights.azure.com" % g)
        add("%s.trafficmanager.net" % (o + "-" + pick(WORDS)))
    for _ in range(12):
        add("%s-%s-%s.a.run.app" % (pick(WORDS), rs(AL, 10), pick(["uc", "ue", "ew", "an"])))
        add("%s-%s.%s.run.app" % (pick(WORDS), rs(string.digits, 12), pick(["us-central1", "europe-west1"])))
        add("%s--pr%d-%s-%s.web.app" % (pick(ORGS), R.randrange(1, 500), pick(WORDS), rs(AL, 8)))
        add("%s-%s.firebaseapp.com" % (pick(ORGS), rs(string.digits, 5)))
        add("%s.storage.googleapis.com" % (name() + "-bucket"))
        add("lh%d.googleusercontent.com" % R.randrange(1, 7))
        add("doc-%s-%s-docs.googleusercontent.com" % (rs(AL, 2), rs(AL, 2)))
        add("%s.safeframe.googlesyndication.com" % rs(HEX, 32))
        add("%s-dot-%s.appspot.com" % (pick(WORDS), pick(ORGS) + "-" + rs(string.digits, 6)))
    for _ in range(10):
        add("e%d.a.akamaiedge.net" % R.randrange(1000, 99999))
        add("e%d.dscx.akamaiedge.net" % R.randrange(1000, 99999))
        add("a%d.dscb.akamai.net" % R.randrange(100, 9999))
        add("%s.%s.com.edgekey.net" % (pick(WORDS), pick(ORGS)))
        add("%s.%s.com.edgesuite.net" % (pick(WORDS), pick(ORGS)))
        add("%s.map.fastly.net" % pick(["dualstack.n", "n", "j", "p2", "f3"]))
        add("%s.global.ssl.fastly.net" % (pick(ORGS) + "-" + pick(WORDS)))
        add("%s-%s.vercel.app" % (name(), rs(AL, 9)))
        add("%s-git-%s-%s.vercel.app" % (pick(ORGS), pick(["main", "feat-login", "fix-cache", "dependabot-npm"]), pick(ORGS) + "-team"))
        add("%s--%s.netlify.app" % (rs(HEX, 24), pick(ORGS) + "-site"))
        add("deploy-preview-%d--%s.netlify.app" % (R.randrange(1, 3000), pick(ORGS) + "-docs"))
        add("%s.%s.pages.dev" % (rs(HEX, 8), pick(ORGS) + "-" + pick(WORDS)))
        add("%s-%s.herokuapp.com" % (name(), rs(HEX, 12)))
        add("%s-production-%s.up.railway.app" % (pick(WORDS), rs(AL, 4)))
        add("%s-pr-%d.onrender.com" % (name(), R.randrange(1, 900)))
        add("%s-%s-%s-%d.app.github.dev" % (pick(ADJ), pick(NOUN), rs(AL, 16), pick([3000, 8080, 5173, 8000])))
        add("%s.%s.ts.net" % (pick(WORDS), "tail" + rs(HEX, 5)))
        add("%s-%s-%s-%s-%s.ngrok-free.app" % (rs(HEX, 4), R.randrange(1, 255), R.randrange(0, 255), R.randrange(0, 255), R.randrange(1, 255)))
        add("%s.r2.cloudflarestorage.com" % rs(HEX, 32))
        add("sha-%s.preview.%s.dev" % (rs(HEX, 7), pick(ORGS)))
        add("review-%s-%s.%s.io" % (pick(["feat-login", "fix-ci", "main"]), rs(AL, 6), pick(ORGS)))
        add("o%s.ingest.sentry.io" % rs(string.digits, 6))
        add("o%s.ingest.us.sentry.io" % rs(string.digits, 16))
        add("%s.ingest.sentry.io" % rs(HEX, 32)[:0] if False else "o%d.ingest.de.sentry.io" % R.randrange(10**5, 10**7))
        add("%s.myshopify.com" % (pick(ORGS) + "-" + pick(["store", "shop", "outlet"])))
        add("%s.atlassian.net" % pick(ORGS))
        add("%s.slack.com" % pick(ORGS))
        add("%s._domainkey.%s.com" % (rs(AL, 32), pick(ORGS)))
    for _ in range(5):
        sha = rs(HEX, 40)
        add("%s.previews.%s.dev" % (sha, pick(ORGS)))
        add("%s-%s.ssl.cf1.rackcdn.com" % (rs(HEX, 20), rs(HEX, 32)))
        ip = [R.randrange(256) for _ in range(16)]
        nib = "".join("%02x" % b for b in ip)
        add(".".join(reversed(nib)) + ".ip6.arpa")
        add("%d.%d.%d.%d.in-addr.arpa" % tuple(R.randrange(1, 255) for _ in range(4)))
        add("%s.%s.svc.cluster.local" % (pick(WORDS), pick(["default", "prod", "monitoring"])))
        add("%d-%d-%d-%d.default.pod.cluster.local" % (10, 244, R.randrange(256), R.randrange(256)))
        add("_acme-challenge.%s.%s.com" % (pick(WORDS), pick(ORGS)))
        add("_dmarc.%s.com" % pick(ORGS))
        add("_sip._tcp.%s.com" % pick(ORGS))
        add("selector%d._domainkey.%s.com" % (R.randrange(1, 3), pick(ORGS)))
    fixed = """registry.npmjs.org registry.yarnpkg.com pypi.org files.pythonhosted.org
production.cloudflare.docker.com registry-1.docker.io auth.docker.io index.docker.io ghcr.io
pkg-containers.githubusercontent.com objects.githubusercontent.com raw.githubusercontent.com
avatars.githubusercontent.com codeload.github.com api.github.com github.com static.crates.io
index.crates.io proxy.golang.org sum.golang.org repo.maven.apache.org repo1.maven.org
plugins.gradle.org services.gradle.org rubygems.org index.rubygems.org deb.debian.org
security.debian.org archive.ubuntu.com dl-cdn.alpinelinux.org quay.io cdn01.quay.io
public.ecr.aws cdn.jsdelivr.net fastly.jsdelivr.net unpkg.com cdnjs.cloudflare.com
www.googletagmanager.com www.google-analytics.com region1.google-analytics.com
stats.g.doubleclick.net tpc.googlesyndication.com browser-intake-datadoghq.com
http-intake.logs.datadoghq.com api.segment.io cdn.segment.com api-js.mixpanel.com
api2.amplitude.com c.clarity.ms script.hotjar.com vars.hotjar.com dpm.demdex.net
logx.optimizely.com cdn.optimizely.com bam.nr-data.net js-agent.newrelic.com
api-iam.intercom.io widget.intercom.io nexus-websocket-a.intercom.io
clientstream.launchdarkly.com events.launchdarkly.com rs.fullstory.com edge.fullstory.com
sdk.iad-01.braze.com api2.branch.io js.stripe.com m.stripe.network q.stripe.com
api.openai.com api.anthropic.com generativelanguage.googleapis.com login.microsoftonline.com
aadcdn.msftauth.net l-0005.l-msedge.net a-0001.a-msedge.net p26-content.icloud.com
storage.googleapis.com europe-west1-docker.pkg.dev us-docker.pkg.dev gcr.io
hooks.slack.com api.twilio.com api.sendgrid.com sentry.io o0.ingest.sentry.io
www.npmjs.com nodejs.org yarnpkg.com go.dev dl.google.com packages.microsoft.com
download.docker.com apt.releases.hashicorp.com releases.hashicorp.com
checkpoint-api.hashicorp.com registry.terraform.io objects.githubusercontent.com
github-releases.githubusercontent.com release-assets.githubusercontent.com
uploads.github.com lfs.github.com copilot-proxy.githubusercontent.com
api.nuget.org globalcdn.nuget.org repo.anaconda.com conda.anaconda.org
binstar-cio-packages-prod.s3.amazonaws.com mirrors.kernel.org cdn.kernel.org
archive.archlinux.org fedora.mirror.constant.com updates.jenkins.io
get.helm.sh charts.bitnami.com registry.k8s.io prod-registry-k8s-io-us-east-1.s3.dualstack.us-east-1.amazonaws.com
storage.googleapis.com oauth2.googleapis.com www.googleapis.com
accounts.google.com fonts.googleapis.com fonts.gstatic.com ajax.googleapis.com
s3.amazonaws.com sts.amazonaws.com sts.us-east-1.amazonaws.com ec2.us-west-2.amazonaws.com
secretsmanager.eu-west-1.amazonaws.com dynamodb.ap-southeast-1.amazonaws.com
api.ecr.us-east-1.amazonaws.com prod-us-east-1-starport-layer-bucket.s3.us-east-1.amazonaws.com
management.azure.com login.windows.net graph.microsoft.com
time.cloudflare.com one.one.one.one dns.google localhost""".split()
    for f in fixed:
        add(f)
    return sorted(h)

SECRETS = []
def secrets():
    if SECRETS:
        return SECRETS
    s = SECRETS
    for _ in range(3):
        s.append("AKIA" + rs(B32, 16))
        s.append(rs(B62 + "+/", 40))                       # AWS secret access key
        s.append("ghp_" + rs(B62, 36))
        s.append("github_pat_" + rs(B62, 22) + "_" + rs(B62, 59))
        s.append("xoxb-%s-%s-%s" % (rs(string.digits, 12), rs(string.digits, 13), rs(B62, 24)))
        s.append("sk_live_" + rs(B62, 24))
        s.append("sk-proj-" + rs(B62 + "-_", 48))
        s.append("sk-ant-api03-" + rs(B62 + "-_", 95) + "AA")
        s.append("npm_" + rs(B62, 36))
        s.append("glpat-" + rs(B62 + "-_", 20))
        s.append("AIza" + rs(B62 + "-_", 35))
        s.append("SG.%s.%s" % (rs(B62 + "-_", 22), rs(B62 + "-_", 43)))
        s.append("SK" + rs(HEX, 32))
        s.append("eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9.eyJzdWIiOiI%s.%s" % (rs(B62, 20), rs(B62 + "-_", 43)))
        s.append("aws_secret_access_key = " + rs(B62 + "+/", 40))
        s.append("DATABASE_URL=postgres://app:%s@db.internal:5432/prod" % rs(B62, 16))
        s.append("-----BEGIN OPENSSH PRIVATE KEY-----")
        s.append("password=" + rs(B62 + "!@#", 14))
        s.append("//registry.npmjs.org/:_authToken=npm_" + rs(B62, 36))
        s.append("hunter2-" + rs(B62, 8))
    return s

def enc(kind, b):
    if kind == "b64": return base64.b64encode(b).decode()
    if kind == "b64url": return base64.urlsafe_b64encode(b).decode().rstrip("=")
    if kind == "b32": return base64.b32encode(b).decode().rstrip("=")
    if kind == "b32lower": return base64.b32encode(b).decode().rstrip("=").lower()
    if kind == "b32pad": return base64.b32encode(b).decode()
    if kind == "hex": return b.hex()
    raise ValueError(kind)

def chunks(s, n): return [s[i:i + n] for i in range(0, len(s), n)]

EVIL = ["evil.example", "exfil.attacker.test", "c2.badcdn.net", "x.oast.fun",
        "t.duckdns.org", "logs.data-sync.io"]

def exfil():
    out = []
    case = 0
    for sec in secrets():
        b = sec.encode()
        for kind in ["b64", "b64url", "b32", "b32lower", "b32pad", "hex"]:
            e = enc(kind, b)
            dom = pick(EVIL)
            # one query, labels of 63 (or shorter) characters
            for width in (63, 30, 16):
                labs = chunks(e, width)
                if sum(len(l) + 1 for l in labs) + len(dom) > 250:
                    labs = labs[:(250 - len(dom)) // (width + 1)]
                case += 1
                out.append("%d A %s.%s" % (case, ".".join(labs), dom))
            # across queries, one short label per query with a sequence label
            for width in (4, 8):
                case += 1
                sid = rs(AL, 4)
                for i, c in enumerate(chunks(e, width)):
                    out.append("%d A %s.%d.%s.%s" % (case, c, i, sid, dom))
            # across queries without sequence numbers, TXT type
            case += 1
            for c in chunks(e, 12):
                out.append("%d TXT %s.%s" % (case, c, dom))
    return out

# Issue 12: drips whose labels carry a counter or a separator next to a few
# characters of data ("6768-0.x.example.test", "705f-4.x..."). Case ids are
# "c<n>" so the test can report their cut-off on its own.
COUNTER_FORMS = [
    lambda c, i, off: "%s-%d" % (c, off),      # data-offset
    lambda c, i, off: "%s-%d" % (c, i),        # data-index
    lambda c, i, off: "%d-%s" % (i, c),        # index-data
    lambda c, i, off: "%s_%d" % (c, i),        # data_index
    lambda c, i, off: "p%d-%s" % (i, c),       # p<index>-data
    lambda c, i, off: "%s--%03d" % (c, i),     # data--NNN
]

R2 = random.Random(20261201)   # own stream: the older cases stay as they were
def rs2(alpha, n): return "".join(R2.choice(alpha) for _ in range(n))
def pick2(xs): return R2.choice(xs)

def counter_drips():
    out = []
    case = 0
    for sec in secrets():
        b = sec.encode()
        for kind in ["hex", "b32lower", "b64url"]:
            e = enc(kind, b)
            for width in (2, 4, 6):
                form = COUNTER_FORMS[case % len(COUNTER_FORMS)]
                dom = pick2(EVIL)
                sub = pick2(["x", "q", "d%s" % rs2(AL, 3), ""])
                case += 1
                for i, c in enumerate(chunks(e, width)):
                    lab = form(c, i, i * width)
                    out.append("c%d A %s.%s%s" % (case, lab, sub + "." if sub else "", dom))
    return out

# Benign names with counters, many under one domain (as one session they
# must not look like a drip): numbered CDN edges, shards, EC2 internal
# names, stateful sets, numbered workers with hashed labels.
def counter_benign():
    h = []
    for i in range(1, 41):
        h.append("cdn-%02d.static.acme-corp.com" % i)
        h.append("shard-%d-of-64.db.globex.net" % i)
        h.append("ip-10-0-%d-%d.ec2.internal" % (i // 8, i * 7 % 250))
        h.append("ip-172-31-%d-%d.us-west-2.compute.internal" % (i, i * 3))
        h.append("worker-%d.build.initech.io" % i)
        h.append("redis-%d.redis.default.svc.cluster.local" % (i % 12))
        h.append("edge-%d-%s.cdn.hooli.com" % (i, pick2(["fra", "ams", "iad", "sfo"])))
        h.append("node%d.k8s.stark.dev" % i)
        h.append("s%d-%s.img.wonka.com" % (i, rs2(HEX, 6)))
        h.append("api-v%d.dunder.com" % (i % 4 + 1))
        h.append("mirror-%d.%s.debian.org" % (i, pick2(["ftp", "deb"])))
    return sorted(set(h))

def main():
    here = os.path.dirname(os.path.abspath(__file__))
    b = sorted(set(benign()) | set(counter_benign()))
    with open(os.path.join(here, "benign-hosts.txt"), "w") as f:
        f.write("# benign-hosts.txt - generated by gen-corpus.py; real-shaped names, random ids\n")
        for h in b:
            f.write(h + "\n")
    x = exfil() + counter_drips()
    with open(os.path.join(here, "exfil-cases.txt"), "w") as f:
        f.write("# exfil-cases.txt - generated by gen-corpus.py; <case> <qtype> <name>\n")
        f.write("# fake credential-shaped secrets, encoded; one case = one session\n")
        for l in x:
            f.write(l + "\n")
    print("benign: %d names, exfil: %d cases, %d queries" % (len(b), len(set(l.split()[0] for l in x)), len(x)))

if __name__ == "__main__":
    main()
