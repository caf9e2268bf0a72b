#!/usr/bin/env python3
"""Client-mode served program for qmail-tlsd's end-to-end test, in qmail-remote's
place: connects to PORT on 127.0.0.1, does the plaintext STARTTLS exchange itself,
hands the socket to the helper with "starttls NAME VERIFY" and speaks through the
descriptor it gets back. Prints the helper's report line and the server's answers."""
import os, socket, sys

port, name, verify = int(sys.argv[1]), sys.argv[2], sys.argv[3]
ctl = socket.socket(fileno=int(os.environ['QMAIL_TLSCTL']))
s = socket.create_connection(('127.0.0.1', port))
f = s.makefile('rb')
f.readline()
s.sendall(b'STARTTLS\r\n')
f.readline()
socket.send_fds(ctl, [('starttls %s %s\n' % (name, verify)).encode()], [s.fileno()])
f.close(); s.close()        # the helper owns the connection now
msg, fds, _, _ = socket.recv_fds(ctl, 512, 1)
print(msg.decode().rstrip('\n'))
if not msg.startswith(b'ok ') or len(fds) != 1:
    sys.exit(1)
p = socket.socket(fileno=fds[0])
pf = p.makefile('rb')
p.sendall(b'EHLO client\r\n')
while True:
    line = pf.readline().decode().rstrip()
    print(line)
    if line[3:4] != '-':
        break
p.sendall(b'QUIT\r\n')
print(pf.readline().decode().rstrip())
