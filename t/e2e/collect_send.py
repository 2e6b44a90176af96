#!/usr/bin/env python3
# collect_send.py PORT DIR secrets|benign: the collection tests' sender
# (401, 413-415). "secrets": each "NAME VALUE" line of DIR/values POSTed
# as is and in base64, printing "NAME-plain sent|blocked" and
# "NAME-b64 ..."; "benign": each line of DIR/benign, "benign-N ...".
import base64, http.client, sys
port, t, which = sys.argv[1:4]
def post(body):
    try:
        c = http.client.HTTPConnection("127.0.0.1", int(port), timeout=20)
        c.request("POST", "/v", body=body)
        ok = c.getresponse().status == 200
        c.close()
        return ok
    except (OSError, http.client.HTTPException):
        return False
if which == "secrets":
    for line in open(t + "/values"):
        name, v = line.split()
        for form, b in (("plain", v.encode()), ("b64", base64.b64encode(v.encode()))):
            print(name + "-" + form, "sent" if post(b) else "blocked")
else:
    for i, line in enumerate(open(t + "/benign")):
        print("benign-%d" % i, "sent" if post(line.strip().encode()) else "blocked")
