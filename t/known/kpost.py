# SPDX-License-Identifier: MIT
# kpost.py - what the t/known senders share: the npm tokens of
# $HOME/.npmrc, and one POST to the test's recording server on loopback
# (True when it was answered, False when dlpjail refused or reset it),
# and the check that none of the bodies sent arrived.
import http.client
import os


def npmrc_tokens():
    s = {}
    for line in open(os.environ["HOME"] + "/.npmrc"):
        k, _, v = line.strip().partition("=")
        if k.endswith(":_authToken"):
            s["npmrc-" + k.split("/")[2]] = v.strip('"').encode()
    return s


def post(port, body, ctype="application/octet-stream", timeout=10):
    try:
        c = http.client.HTTPConnection("127.0.0.1", port, timeout=timeout)
        c.request("POST", "/v", body=body, headers={"Content-Type": ctype})
        c.getresponse().read()
        c.close()
        return True
    except (OSError, http.client.HTTPException):
        return False


def leaked(log_path, sent_path):
    """1 (and a LEAKED line each) when a body of sent_path ("NAME HEX"
    lines) is in the recording server's log, else 0."""
    log = open(log_path, "rb").read()
    bad = 0
    for line in open(sent_path):
        name, body = line.split()
        if bytes.fromhex(body) in log:
            print("LEAKED %s" % name)
            bad = 1
    return bad
