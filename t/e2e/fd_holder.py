# fd_holder.py - a process outside the jail (t/e2e/366) with a socket
# connected to the recorder: writes "PID FD" to INFO, then sleeps.
# argv: port info-file
import os, socket, sys, time

s = socket.create_connection(("127.0.0.1", int(sys.argv[1])))
with open(sys.argv[2] + ".tmp", "w") as f:
    f.write("%d %d\n" % (os.getpid(), s.fileno()))
os.rename(sys.argv[2] + ".tmp", sys.argv[2])
time.sleep(60)
