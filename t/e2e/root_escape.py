# root_escape.py - what a root jail could reach below the filter (t/e2e/365).
# Each probe prints "held NAME: why" or "LEAK NAME: what it got". Nothing
# host-wide is changed: the knob files are only opened for writing (an open
# that succeeds is the escape: "|PROG" written there runs PROG as root
# outside every namespace and filter of the jail), never written.
# argv: udp-port secret
import ctypes, errno, fcntl, glob, os, socket, struct, sys

port, secret = int(sys.argv[1]), sys.argv[2].encode()
libc = ctypes.CDLL(None, use_errno=True)


def held(name, why):
    print("held %s: %s" % (name, why), flush=True)


def knob(name, path):
    try:
        fd = os.open(path, os.O_WRONLY)
    except OSError as e:
        held(name, errno.errorcode.get(e.errno, e.errno))
        return
    os.close(fd)
    print("LEAK %s: %s open for writing" % (name, path), flush=True)


knob("core_pattern", "/proc/sys/kernel/core_pattern")
knob("ping_group_range", "/proc/sys/net/ipv4/ping_group_range")
ra = sorted(glob.glob("/sys/fs/cgroup/*/release_agent") + glob.glob("/sys/fs/cgroup/release_agent"))
if ra:
    for p in ra[:1]:
        knob("release_agent", p)
else:
    held("release_agent", "no cgroup v1 hierarchy")


def csum(b):
    s = sum(struct.unpack("!%dH" % (len(b) // 2), b))
    s = (s >> 16) + (s & 0xffff)
    return ~(s + (s >> 16)) & 0xffff


# socket(AF_INET, SOCK_PACKET): the kernel makes it an AF_PACKET socket
# after seccomp saw AF_INET; a frame on lo to the recorder's UDP port
def packet():
    fd = libc.socket(socket.AF_INET, 10, socket.htons(0x0800))
    if fd < 0:
        held("sock_packet", errno.errorcode.get(ctypes.get_errno(), "?"))
        return
    payload = b"SOCK_PACKET " + secret
    udp = struct.pack("!HHHH", 40000, port, 8 + len(payload), 0) + payload
    ip = struct.pack("!BBHHHBBH4s4s", 0x45, 0, 20 + len(udp), 1, 0, 64, 17, 0,
                     socket.inet_aton("127.0.0.1"), socket.inet_aton("127.0.0.1"))
    ip = ip[:10] + struct.pack("!H", csum(ip)) + ip[12:]
    frame = b"\0" * 12 + b"\x08\x00" + ip + udp
    spkt = struct.pack("H14sH", 17, b"lo", socket.htons(0x0800))
    buf = ctypes.create_string_buffer(frame, len(frame))
    sa = ctypes.create_string_buffer(spkt, len(spkt))
    n = libc.syscall(44, fd, buf, len(frame), 0, sa, len(spkt))  # SYS_sendto, no shim
    e = ctypes.get_errno()
    os.close(fd)
    if n < 0:
        held("sock_packet", "socket made, send " + errno.errorcode.get(e, "?"))
    else:
        print("LEAK sock_packet: %d bytes sent" % n, flush=True)


packet()


# /dev/net/tun: a device whose writes enter the stack as received packets
def tun():
    try:
        fd = os.open("/dev/net/tun", os.O_RDWR)
    except OSError as e:
        held("tun", errno.errorcode.get(e.errno, e.errno))
        return
    try:
        fcntl.ioctl(fd, 0x400454ca, struct.pack("16sH", b"dlpt%d", 0x0001 | 0x1000))
        print("LEAK tun: TUNSETIFF made a device", flush=True)
    except OSError as e:
        held("tun", errno.errorcode.get(e.errno, e.errno))
    os.close(fd)


tun()
# what must keep working: reading the knobs
print("read ostype: " + open("/proc/sys/kernel/ostype").read().strip(), flush=True)
