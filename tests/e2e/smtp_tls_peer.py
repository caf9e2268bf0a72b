#!/usr/bin/env python3
# A small SMTP receiver for qmail-remote's TLS tests, run by tcpserver, either
# behind qmail-tlsd -s (QMAIL_TLSCTL set: STARTTLS offered, switched through the
# control descriptor as PROTOCOL says) or alone (no STARTTLS). Appends to the dump
# file every command line it reads, "TLS <report line>" after a switch and the
# message lines, so a test can tell what reached it in clear and what encrypted.
# With BROKEN_TLS=1 in the environment (and no qmail-tlsd) it offers STARTTLS, says
# 220 and then answers the client's handshake with bytes that are not TLS.
import os, sys

dump = sys.argv[1]
ctl = int(os.environ['QMAIL_TLSCTL']) if 'QMAIL_TLSCTL' in os.environ else None
inp = os.fdopen(0, 'rb', buffering=0)
buf = b''
tls = False
broken = os.environ.get('BROKEN_TLS') == '1'

def note(b):
    with open(dump, 'ab') as f:
        f.write(b)

def send(b):
    os.write(1, b)

def line():
    global buf
    while b'\n' not in buf:
        d = inp.read(4096)
        if not d:
            sys.exit(0)
        buf += d
    i = buf.index(b'\n')
    l, buf = buf[:i + 1], buf[i + 1:]
    return l

send(b'220 peer.test ESMTP\r\n')
while True:
    l = line()
    note((b'tls ' if tls else b'plain ') + l)
    v = l[:4].upper()
    if v == b'EHLO':
        if (ctl is not None or broken) and not tls:
            send(b'250-peer.test\r\n250-8BITMIME\r\n250 STARTTLS\r\n')
        else:
            send(b'250-peer.test\r\n250 8BITMIME\r\n')
    elif v == b'HELO':
        send(b'250 peer.test\r\n')
    elif l[:8].upper() == b'STARTTLS' and broken:
        send(b'220 go ahead\r\n')
        note(b'TLS broken\n')
        os.read(0, 4096)
        send(b'this is not a TLS record at all\r\n' * 4)
        sys.exit(0)
    elif l[:8].upper() == b'STARTTLS' and ctl is not None and not tls:
        send(b'220 go ahead\r\n')
        os.write(ctl, b'starttls\n')
        buf = b''
        r = b''
        while not r.endswith(b'\n'):
            c = os.read(ctl, 1)
            if not c:
                note(b'TLS failed\n')
                sys.exit(0)
            r += c
        note(b'TLS ' + r)
        if not r.startswith(b'ok '):
            sys.exit(0)
        tls = True
    elif v in (b'MAIL', b'RCPT', b'RSET', b'NOOP'):
        send(b'250 ok\r\n')
    elif v == b'DATA':
        send(b'354 go\r\n')
        while True:
            d = line()
            note((b'tls ' if tls else b'plain ') + d)
            if d == b'.\r\n':
                break
        send(b'250 ok queued\r\n')
    elif v == b'QUIT':
        send(b'221 bye\r\n')
        sys.exit(0)
    else:
        send(b'502 unknown\r\n')
