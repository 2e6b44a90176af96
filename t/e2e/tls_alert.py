#!/usr/bin/env python3
# tls_alert.py - the python3 attacker of t/e2e/403 (ssl: hooked, the key
# path): TLS alert records that carry data. plain: a MemoryBIO client's
# hello goes out, then a raw plaintext record of type 21 holding
# "tok=TOKEN"; sealed: a full TLS 1.3 handshake, then a raw record
# sealed with the session's own client application key (the program
# logs its keys, as any process can) whose inner type is alert and whose
# 1000 bytes of plaintext hold TOKEN; clean: the same session sends an
# HTTP request through ssl. Needs python3-cryptography for "sealed".
# usage: tls_alert.py MODE PORT TOKEN CAFILE
import hashlib, hmac, os, socket, ssl, struct, sys, tempfile, time
mode, port, tok, ca = sys.argv[1], int(sys.argv[2]), sys.argv[3].encode(), sys.argv[4]

def expand_label(h, secret, label, n):
    info = struct.pack("!H", n) + bytes([6 + len(label)]) + b"tls13 " + label + b"\0"
    out, prev, i = b"", b"", 1
    while len(out) < n:
        prev = hmac.new(secret, prev + info + bytes([i]), h).digest()
        out += prev
        i += 1
    return out[:n]

try:
    if mode == "plain":
        ctx = ssl.create_default_context()
        ctx.check_hostname = False
        ctx.verify_mode = ssl.CERT_NONE
        i, o = ssl.MemoryBIO(), ssl.MemoryBIO()
        obj = ctx.wrap_bio(i, o, server_hostname="localhost")
        try:
            obj.do_handshake()
        except ssl.SSLWantReadError:
            pass
        s = socket.create_connection(("127.0.0.1", port), timeout=5)
        s.sendall(o.read())
        time.sleep(0.3)
        p = b"tok=" + tok
        s.sendall(b"\x15\x03\x03" + struct.pack("!H", len(p)) + p)
        time.sleep(0.5)
        print(mode, "sent")
    else:
        kl = tempfile.mktemp()
        ctx = ssl.create_default_context(cafile=ca)
        ctx.minimum_version = ssl.TLSVersion.TLSv1_3
        ctx.keylog_filename = kl
        s = ctx.wrap_socket(socket.create_connection(("127.0.0.1", port), timeout=5),
                            server_hostname="localhost")
        if mode == "clean":
            s.sendall(b"POST / HTTP/1.1\r\nHost: localhost\r\nContent-Length: 5\r\n\r\nclean")
            print(mode, s.recv(100).split(b"\r\n")[0])
            sys.exit(0)
        from cryptography.hazmat.primitives.ciphers.aead import AESGCM, ChaCha20Poly1305
        name = s.cipher()[0]
        secret = None
        for line in open(kl):
            f = line.split()
            if f and f[0] == "CLIENT_TRAFFIC_SECRET_0":
                secret = bytes.fromhex(f[2])
        h = hashlib.sha384 if "SHA384" in name else hashlib.sha256
        kn = 16 if "AES_128" in name else 32
        key, iv = expand_label(h, secret, b"key", kn), expand_label(h, secret, b"iv", 12)
        aead = ChaCha20Poly1305(key) if "CHACHA" in name else AESGCM(key)
        inner = (b"tok=" + tok + b" ").ljust(1000, b"x") + b"\x15"   # inner type: alert
        hdr = b"\x17\x03\x03" + struct.pack("!H", len(inner) + 16)
        rec = hdr + aead.encrypt(iv, inner, hdr)     # sequence number 0: nonce = iv
        os.write(s.fileno(), rec)   # the raw socket, not through ssl
        time.sleep(0.5)
        print(mode, "sent", len(rec))
except (OSError, ssl.SSLError) as e:
    print(mode, "refused:", e)
