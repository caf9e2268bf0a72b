# squat.py, run as python3 - stream|seqpacket PATH < squat.py by whatever account:
# listens on PATH in place of a daemon and prints what the first client sent; a
# client that checks whom it talks to must send nothing ("got 0 bytes and 0 fds").
import os
import socket
import sys

kind = socket.SOCK_STREAM if sys.argv[1] == "stream" else socket.SOCK_SEQPACKET
s = socket.socket(socket.AF_UNIX, kind)
s.bind(sys.argv[2])
os.chmod(sys.argv[2], 0o777)
s.listen(5)
s.settimeout(15)
c, _ = s.accept()
c.settimeout(5)
try:
    msg, fds, _, _ = socket.recv_fds(c, 70000, 4)
    print("got", len(msg), "bytes and", len(fds), "fds", flush=True)
except Exception as e:
    print("got nothing:", type(e).__name__, flush=True)
