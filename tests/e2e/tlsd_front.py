#!/usr/bin/env python3
"""A hostile or broken qmail-tlsc, run as the listener of qmail-tlsd -D (in place of
tcpserver): it talks to the daemon over the QMAIL_TLSD socket directly and prints
what the daemon answered to each request, one line each:

  garbage    a request that is not one (bad framing)
  nul        a NUL byte inside an argument
  overlong   a field longer than the limit
  nofds      a well-formed request without the connection descriptors
  badgram    a request datagram without a socket attached
  silent     a front that connects and sends nothing (the daemon must time out)
  good       a well-formed request for /bin/echo: the daemon must still serve it

The last line is "exit N" of the good request; the daemon must have survived the
others. Usage: tlsd_front.py LOGFILE (the answers go there; stdout is untouched)."""
import os
import socket
import sys


def connect(dfd):
    a, b = socket.socketpair(socket.AF_UNIX, socket.SOCK_STREAM)
    d = socket.socket(fileno=os.dup(dfd))
    socket.send_fds(d, [b'c'], [b.fileno()])
    d.close()
    b.close()
    return a


def field(tag, data):
    return tag + str(len(data)).encode() + b':' + data + b','


def answer(f):
    try:
        line = f.readline()
    except (socket.timeout, OSError):
        return '<timeout>'
    return line.decode(errors='replace').strip() if line else '<eof>'


def reader(s, timeout=15):
    s.settimeout(timeout)
    return s.makefile('rb')


def main():
    log = open(sys.argv[1], 'a', buffering=1)
    dfd = int(os.environ['QMAIL_TLSD'])
    v = field(b'v', b'1')
    end = field(b'.', b'')
    devnull = os.open('/dev/null', os.O_RDWR)
    conn = [devnull, devnull, log.fileno()]
    cases = [
        ('garbage', b'this is not a request\n', conn),
        ('nul', v + field(b'a', b'/bin/e\0cho') + end, conn),
        ('overlong', v + b'a99999:' + b'x' * 4000, conn),
        ('nofds', v + field(b'a', b'/bin/true') + end, []),
    ]
    for name, req, fds in cases:
        s = connect(dfd)
        if fds:
            socket.send_fds(s, [req], fds)
        else:
            s.sendall(req)
        log.write('%s %s\n' % (name, answer(reader(s))))
        s.close()
    # a datagram without a socket: the daemon ignores it and logs a line
    d = socket.socket(fileno=os.dup(dfd))
    d.send(b'c')
    d.close()
    log.write('badgram sent\n')
    # a front that says nothing: the daemon's session must give up by itself
    if os.environ.get('TLSD_FRONT_SILENT'):
        s = connect(dfd)
        log.write('silent %s\n' % answer(reader(s, 20)))
        s.close()
    # and a good one: the daemon is still there and serves it
    s = connect(dfd)
    req = v + field(b'a', b'/bin/sh') + field(b'a', b'-c') + field(b'a', b'exit 7') + \
        field(b'e', b'PATH=/usr/bin:/bin') + end
    socket.send_fds(s, [req], conn)
    f = reader(s)
    log.write('good %s\n' % answer(f))
    log.write('good %s\n' % answer(f))
    s.close()
    log.write('done\n')


main()
