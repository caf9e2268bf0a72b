#!/usr/bin/env python3
# An SMTP peer for the connection reuse tests: serves any number of connections at
# once and appends one line per event to a log, "<seconds> <conn> <event> [arg]":
# conn, ehlo, mail, rcpt <address>, done (final reply sent), quit, eof. Modes:
# normal; close421 (0.3 s after each final reply it says 421, notes "late" if a
# command still comes within 3 s, and closes); close (closes 0.3 s after each final
# reply, silently); reset (the same with a TCP reset); slow (greets 2 s after the
# connection). usage: smtp_count_peer.py host port log mode
import socket, struct, sys, threading, time

host, port, log, mode = sys.argv[1], int(sys.argv[2]), sys.argv[3], sys.argv[4]
lock = threading.Lock()
count = [0]

def note(n, what):
    with lock:
        with open(log, "a") as f:
            f.write("%.3f %d %s\n" % (time.time(), n, what))

def serve(c, n):
    f = c.makefile("rwb")
    def send(b):
        f.write(b); f.flush()
    try:
        if mode == "slow": time.sleep(2)
        send(b"220 peer.test ESMTP\r\n")
        for l in f:
            v = l[:4].upper()
            if v == b"EHLO":
                note(n, "ehlo")
                send(b"250-peer.test\r\n250-PIPELINING\r\n250-8BITMIME\r\n250 SIZE 100000\r\n")
            elif v == b"MAIL":
                note(n, "mail"); send(b"250 ok\r\n")
            elif v == b"RCPT":
                note(n, "rcpt " + l[8:].strip().decode(errors="replace")); send(b"250 ok\r\n")
            elif v == b"RSET":
                send(b"250 ok\r\n")
            elif v == b"DATA":
                send(b"354 go\r\n")
                for d in f:
                    if d == b".\r\n": break
                note(n, "done"); send(b"250 ok queued\r\n")
                if mode in ("close421", "close", "reset"):
                    time.sleep(0.3)
                    if mode == "close421":
                        send(b"421 4.4.2 idle too long\r\n")
                        note(n, "closed")
                        c.settimeout(3)
                        try:
                            if f.readline(): note(n, "late")
                        except OSError: pass
                        break
                    if mode == "reset":
                        c.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
                        note(n, "closed"); c.close(); return
                    note(n, "closed")
                    break
            elif v == b"QUIT":
                note(n, "quit"); send(b"221 bye\r\n"); break
            else: send(b"502 what\r\n")
        else:
            note(n, "eof")
    except OSError:
        note(n, "eof")
    try: c.shutdown(socket.SHUT_RDWR)
    except OSError: pass
    c.close()

s = socket.socket(); s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
s.bind((host, port)); s.listen(64)
print("ready", flush=True)
while True:
    c, _ = s.accept()
    count[0] += 1
    note(count[0], "conn")
    threading.Thread(target=serve, args=(c, count[0]), daemon=True).start()
