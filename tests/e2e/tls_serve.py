#!/usr/bin/env python3
"""A fake SMTP-ish server for qmail-tlsd's end-to-end test, run as the served
program: logs every byte it reads from fd 0 (to prove what reached it), answers
220/250, and on STARTTLS asks the helper over the control descriptor.
Arguments: state directory, key file it must not be able to read."""
import os, sys

state, keyfile = sys.argv[1], sys.argv[2]
ctl = int(os.environ['QMAIL_TLSCTL'])
mode = os.environ['QMAIL_TLSMODE']
pid = os.getpid()

def note(name, text):
    with open(os.path.join(state, name), 'a') as f:
        f.write(text)

try:
    open(keyfile).close()
    note('key', 'readable\n')
except OSError as e:
    note('key', 'refused %d\n' % e.errno)
note('pid', '%d\n' % pid)

def ctl_line():
    b = b''
    while not b.endswith(b'\n'):
        c = os.read(ctl, 1)
        if not c:
            return None
        b += c
    return b.decode()

def out(s):
    os.write(1, s.encode())

if mode == 'implicit':
    note('report', ctl_line() or 'EOF\n')

out('220 fake ready\r\n')
buf = b''
indata = False
while True:
    if b'\n' not in buf:
        d = os.read(0, 4096)
        if not d:
            break
        note('raw', d.decode('latin-1'))
        buf += d
        continue
    line, buf = buf.split(b'\n', 1)
    cmd = line.strip().upper()
    note('cmds', cmd.decode('latin-1') + '\n')
    if indata:
        if cmd == b'.':
            indata = False
            out('250 accepted\r\n')
        continue
    if cmd == b'DATA':
        indata = True
        out('354 go on\r\n')
    elif cmd.startswith(b'EHLO'):
        out('250-fake\r\n250 STARTTLS\r\n')
    elif cmd == b'STARTTLS' and os.path.exists(os.path.join(state, 'refuse')):
        out('454 not now\r\n')
        os.write(ctl, b'plain\n')
    elif cmd == b'STARTTLS':
        out('220 go ahead\r\n')
        os.write(ctl, b'starttls\n')
        r = ctl_line()
        note('report', r or 'EOF\n')
        if not r or not r.startswith('ok '):
            sys.exit(1)
        buf = b''
    elif cmd == b'WAIT':
        out('250 waiting\r\n')
        os.read(0, 1)   # the test looks at the processes now
        break
    elif cmd == b'QUIT':
        out('221 bye\r\n')
        break
    else:
        out('250 ok\r\n')
