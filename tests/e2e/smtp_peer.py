#!/usr/bin/env python3
# A scripted SMTP peer for qmail-remote's end-to-end tests: answers one session as
# the scenario says and writes every byte it received to a file. Used only where a
# test needs replies a real server cannot be told to give. An optional fifth
# argument is the number of sessions to answer one after the other (default 1);
# the dump then holds them all. An address with ':' is IPv6.
import socket, sys

host, port, scenario, dump = sys.argv[1], int(sys.argv[2]), sys.argv[3], sys.argv[4]
sessions = int(sys.argv[5]) if len(sys.argv) > 5 else 1
s = socket.socket(socket.AF_INET6 if ":" in host else socket.AF_INET, socket.SOCK_STREAM)
s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
s.bind((host, port)); s.listen(8)
print("ready", flush=True)
got = bytearray()

def send(b): c.sendall(b)

def line():
    global buf
    while b"\n" not in buf:
        d = c.recv(4096)
        if not d: raise EOFError
        got.extend(d); buf.extend(d)
        # written as it comes: a connection kept for reuse ends long after its mail
        open(dump, "wb").write(bytes(got))
    i = buf.index(b"\n"); l = bytes(buf[:i + 1]); del buf[:i + 1]
    return l

ehlo = {"pipe": b"250-peer.test\r\n250-PIPELINING\r\n250-8BITMIME\r\n250 SIZE 100000\r\n",
        "nopipe": b"250 peer.test\r\n", "hostile": b"250 peer.test\r\n"}
for _ in range(sessions):
    c, _ = s.accept()
    buf = bytearray()
    try:
        send(b"220 peer.test ESMTP\r\n")
        while True:
            l = line(); v = l[:4].upper()
            if v == b"EHLO":
                if scenario == "helo": send(b"502 no\r\n")
                else: send(ehlo.get(scenario, b"250 peer.test\r\n"))
            elif v == b"HELO": send(b"250 peer.test\r\n")
            elif v == b"MAIL": send(b"250 ok\r\n")
            elif v == b"RCPT":
                if b"<bad@" in l:
                    if scenario == "hostile":
                        send(b"550-5.1.1 no\x00such\x1b[2J user\r\n550 second\rline\r\n")
                    else: send(b"550 5.1.1 no such user\r\n")
                elif b"<tmp@" in l: send(b"451 try later\r\n")
                else: send(b"250 ok\r\n")
            elif v == b"DATA":
                send(b"354 go\r\n")
                while line() != b".\r\n": pass
                send(b"250 ok queued as 42\r\n")
            elif v == b"QUIT":
                send(b"221 bye\r\n"); break
            else: send(b"502 what\r\n")
    except EOFError:
        pass
    c.close()
    open(dump, "wb").write(bytes(got))
