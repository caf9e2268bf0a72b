#!/usr/bin/env python3
# Client side of t_smtpd.sh: drives a running qmail-smtpd (tcpserver on loopback)
# with smtplib and raw sockets and checks what qmail-queue wrote (no qmail-send runs,
# so committed messages stay in todo/). Prints PASS/FAIL/SKIP lines. Environment:
# HOME_DIR (the instance), PORT, RELAYPORT, QQPORT (a server whose queue program only
# exits with the code in EXITFILE), V6PORT (empty: no IPv6), SWAKS (path or empty).
import os, smtplib, socket, subprocess, threading, time, glob, struct

HOME = os.environ["HOME_DIR"]
PORT = int(os.environ["PORT"])
RELAYPORT = int(os.environ["RELAYPORT"])
V6PORT = os.environ.get("V6PORT", "")
SWAKS = os.environ.get("SWAKS", "")
CTL = os.path.join(HOME, "control")

def out(kind, name, why=""):
    print(f"{kind} smtpd_{name}" + (f": {why}" if why else ""), flush=True)

def check(name, cond, why):
    out("PASS", name) if cond else out("FAIL", name, why)

def control(name, value):
    p = os.path.join(CTL, name)
    if value is None:
        if os.path.exists(p):
            os.unlink(p)
    else:
        with open(p, "w") as f:
            f.write(value)

# --- what was queued -------------------------------------------------------------
def queued():
    """List of (message bytes, sender, [recipients]) for everything queued so far."""
    res = []
    for todo in glob.glob(os.path.join(HOME, "queue/todo/*")) + glob.glob(os.path.join(HOME, "queue/todo/*/*")):
        if not os.path.isfile(todo):
            continue
        n = int(os.path.basename(todo))
        with open(todo, "rb") as f:
            e = f.read()
        with open(glob.glob(os.path.join(HOME, f"queue/mess/*/{n}"))[0], "rb") as f:
            m = f.read()
        res.append((m,) + parse_env(e))
    return res

def parse_env(e):
    sender, rcpts = None, []
    for rec in e.split(b"\0"):
        if rec[:1] == b"F":
            sender = rec[1:].decode("utf-8", "replace")
        elif rec[:1] == b"T":
            rcpts.append(rec[1:].decode("utf-8", "replace"))
    return sender, rcpts

def count():
    return len(queued())

def clear():
    """Forgets what earlier tests queued (no qmail-send runs in this instance)."""
    pats = [os.path.join(HOME, "queue", d, "*") for d in ("todo", "intd")] + \
           [os.path.join(HOME, "queue", d, "*", "*") for d in ("todo", "mess")]
    for pat in pats:
        for f in glob.glob(pat):
            if os.path.isfile(f):
                os.unlink(f)


# --- raw sockets -----------------------------------------------------------------
class Raw:
    def __init__(self, port=None, host="127.0.0.1", family=socket.AF_INET):
        self.s = socket.socket(family, socket.SOCK_STREAM)
        self.s.settimeout(20)
        self.s.connect((host, port or PORT))
        self.buf = b""
        self.greeting = self.reply()

    def send(self, data):
        self.s.sendall(data)

    def line(self):
        while b"\r\n" not in self.buf:
            d = self.s.recv(65536)
            if not d:
                raise EOFError(self.buf)
            self.buf += d
        l, self.buf = self.buf.split(b"\r\n", 1)
        return l.decode("utf-8", "replace")

    def reply(self):
        lines = []
        while True:
            l = self.line()
            lines.append(l)
            if len(l) < 4 or l[3] != "-":
                return "\n".join(lines)

    def cmd(self, c):
        self.send(c.encode() + b"\r\n" if isinstance(c, str) else c)
        return self.reply()

    def closed(self, wait=5):
        self.s.settimeout(wait)
        try:
            while True:
                d = self.s.recv(65536)
                if not d:
                    return True
                self.buf += d
        except (ConnectionResetError, BrokenPipeError):
            return True
        except socket.timeout:
            return False

    def close(self):
        self.s.close()

def open_data():
    """A connection that has sent EHLO, MAIL, RCPT and DATA (354 read)."""
    r = Raw()
    r.cmd("EHLO client.example")
    r.cmd("MAIL FROM:<a@b.example>")
    r.cmd("RCPT TO:<joe@example.org>")
    r.cmd("DATA")
    return r

def code(r):
    return r[:3]

# --- tests -----------------------------------------------------------------------
def t_basic():
    clear()
    with smtplib.SMTP("127.0.0.1", PORT, local_hostname="client.example") as s:
        code_, msg = s.ehlo()
        feats = s.esmtp_features
        check("ehlo_features", all(k in feats for k in ("pipelining", "8bitmime", "size", "enhancedstatuscodes", "smtputf8")),
              f"features {sorted(feats)}")
        check("ehlo_no_starttls_yet", "starttls" not in feats and "auth" not in feats, "unexpected extension")
        s.sendmail("sender@client.example", ["joe@example.org", "ann@example.org"],
                   b"Subject: hello\r\nMessage-ID: <basic@x>\r\n\r\n.leading dot\r\nline two\r\n")
    q = queued()
    if len(q) != 1:
        return out("FAIL", "basic", f"{len(q)} messages queued, want 1")
    m, sender, rcpts = q[0]
    check("basic_envelope", sender == "sender@client.example" and rcpts == ["joe@example.org", "ann@example.org"],
          f"envelope {sender} {rcpts}")
    body_ok = m.endswith(b"Subject: hello\nMessage-ID: <basic@x>\n\n.leading dot\nline two\n")
    check("basic_body_lf_unstuffed", body_ok, repr(m[-120:]))
    rec = [l for l in m.split(b"\n") if l.startswith(b"Received: from")]
    check("queue_received_line", m.startswith(b"Received: (qmail ") and b" invoked from network); " in m.split(b"\n")[0],
              repr(m[:100]))
    check("received_line", rec and rec[-1].startswith(b"Received: from unknown (HELO client.example) (127.0.0.1)")
          and b"\n  by mail.example.org with ESMTP; " in m, repr(m[:300]))

def t_sequence():
    r = Raw()
    check("greeting", r.greeting.startswith("220 mail.example.org ESMTP"), r.greeting)
    a = r.cmd("MAIL FROM:<a@b.example>")
    b = r.cmd("HELO client.example")
    c = r.cmd("RCPT TO:<joe@example.org>")
    d = r.cmd("DATA")
    e = r.cmd("VRFY joe")
    f = r.cmd("FROB")
    g = r.cmd("HELP")
    h = r.cmd("NOOP")
    i = r.cmd("RSET")
    j = r.cmd("QUIT")
    check("mail_before_helo_503", a.startswith("503 5.5.1"), a)
    check("rcpt_before_mail_503", c.startswith("503 5.5.1"), c)
    check("data_before_mail_503", d.startswith("503 5.5.1"), d)
    check("vrfy_252", e.startswith("252 "), e)
    check("unknown_500", f.startswith("500 5.5.2"), f)
    check("help_214", g.startswith("214"), g)
    check("noop_rset_quit", h.startswith("250 2.0.0") and i.startswith("250 2.0.0") and j.startswith("221 2.0.0")
          and r.closed(), f"{h} {i} {j}")

def t_paths():
    r = Raw()
    r.cmd("EHLO client.example")
    res = {
        "nobrackets": r.cmd("MAIL FROM:a@b.example"),
        "sourceroute": r.cmd("MAIL FROM:<@relay.example:a@b.example>"),
        "quoted": r.cmd("RCPT TO:<\"joe smith\"@example.org>"),
        "literal_rcpt_refused": r.cmd("RCPT TO:<joe@[192.0.2.1]>"),
        "badparam": r.cmd("RCPT TO:<joe@example.org> FOO=BAR"),
        "badsyntax": r.cmd("RCPT TO:<joe..x@example.org>"),
        "nul": r.cmd(b"RCPT TO:<jo\0e@example.org>\r\n"),
        "ctrl": r.cmd(b"NO\x01OP\r\n"),
    }
    r.cmd("RSET")
    res["size_over"] = r.cmd("MAIL FROM:<a@b.example> SIZE=2000001")
    res["body8"] = r.cmd("MAIL FROM:<a@b.example> SIZE=100 BODY=8BITMIME")
    res["utf8_without"] = r.cmd("RCPT TO:<jörg@example.org>".encode() + b"\r\n")
    r.cmd("RSET")
    res["utf8_with"] = r.cmd("MAIL FROM:<jörg@b.example> SMTPUTF8".encode() + b"\r\n")
    res["utf8_rcpt"] = r.cmd("RCPT TO:<jörg@example.org>".encode() + b"\r\n")
    res["postmaster"] = r.cmd("RCPT TO:<postmaster>")
    want = {"nobrackets": "501", "sourceroute": "250", "quoted": "250", "literal_rcpt_refused": "553",
            "badparam": "555", "badsyntax": "501", "nul": "500", "ctrl": "500", "size_over": "552",
            "body8": "250", "utf8_without": "553", "utf8_with": "250", "utf8_rcpt": "250", "postmaster": "250"}
    for k, w in want.items():
        check("path_" + k, code(res[k]) == w, f"got {res[k]!r}, want {w}")
    clear()
    r.cmd("DATA")
    d = r.cmd("Subject: utf8\r\n\r\nhi\r\n.")
    q = queued()
    check("utf8_queued", d.startswith("250 2.0.0") and len(q) == 1 and q[0][1] == "jörg@b.example"
          and q[0][2] == ["jörg@example.org", "postmaster"]
          and b"with UTF8SMTP" in q[0][0], f"{d} {q[:1] and q[0][1:]}")
    r.close()

def t_localiphost():
    """box@[own IP] is queued as box@localiphost (control/localiphost, else me)."""
    extra = os.environ.get("EXTRAIP", "")
    clear()
    r = Raw()
    r.cmd("EHLO client.example")
    r.cmd("MAIL FROM:<a@b.example>")
    a = r.cmd("RCPT TO:<postmaster@[127.0.0.1]>")
    b = r.cmd("RCPT TO:<joe@[192.0.2.1]>")
    c = r.cmd("RCPT TO:<Joe@[IPv6:::FFFF:127.0.0.1]>")
    e = r.cmd(f"RCPT TO:<box@[{extra}]>") if extra else "250 skipped"
    f = r.cmd("RCPT TO:<v6@[IPv6:0:0:0:0:0:0:0:1]>") if V6PORT else "250 skipped"
    r.cmd("DATA")
    d = r.cmd("Subject: literal\r\n\r\n.")
    r.close()
    q = queued()
    want = ["postmaster@mail.example.org", "Joe@mail.example.org"] + (["box@mail.example.org"] if extra else []) \
        + (["v6@mail.example.org"] if V6PORT else [])
    check("localiphost_me", all(x.startswith("250") for x in (a, c, d, e, f)) and len(q) == 1 and q[0][2] == want,
          f"{a} / {c} / {e} / {f} / {d} / {q[:1] and q[0][1:]}, want {want}")
    check("literal_not_ours", b.startswith("553 5.7.1"), b)
    if not extra:
        out("SKIP", "localiphost_interface", "no extra address on lo")
    clear()
    control("localiphost", "localhost\n")
    try:
        r = Raw()
        r.cmd("EHLO client.example")
        r.cmd("MAIL FROM:<a@b.example>")
        a = r.cmd("RCPT TO:<postmaster@[127.0.0.1]>")
        r.cmd("DATA")
        d = r.cmd("Subject: literal\r\n\r\n.")
        r.close()
        q = queued()
        check("localiphost_control", a.startswith("250") and d.startswith("250") and q
              and q[0][2] == ["postmaster@localhost"], f"{a} / {d} / {q[:1] and q[0][1:]}")
    finally:
        control("localiphost", None)

def t_relay():
    r = Raw()
    r.cmd("EHLO client.example")
    r.cmd("MAIL FROM:<a@b.example>")
    a = r.cmd("RCPT TO:<x@elsewhere.example>")
    b = r.cmd("RCPT TO:<x@sub.example.org>")
    check("relay_refused", a.startswith("553 5.7.1"), a)
    check("rcpthosts_no_subdomain", b.startswith("553 5.7.1"), b)
    r.close()
    control("rcpthosts", None)
    try:
        r = Raw()
        r.cmd("EHLO client.example")
        r.cmd("MAIL FROM:<a@b.example>")
        a = r.cmd("RCPT TO:<joe@example.org>")
        p = r.cmd("RCPT TO:<postmaster>")
        check("no_rcpthosts_no_relay", a.startswith("553 5.7.1") and p.startswith("250"), f"{a} / {p}")
        r.close()
    finally:
        control("rcpthosts", "localhost\nmail.example.org\nexample.org\n.sub2.example.org\n")
    r = Raw()
    r.cmd("EHLO client.example")
    r.cmd("MAIL FROM:<a@b.example>")
    a = r.cmd("RCPT TO:<x@a.sub2.example.org>")
    check("rcpthosts_suffix", a.startswith("250"), a)
    r.close()
    clear()
    r = Raw(RELAYPORT)
    r.cmd("EHLO client.example")
    r.cmd("MAIL FROM:<a@b.example>")
    a = r.cmd("RCPT TO:<x@elsewhere.example>")
    r.cmd("DATA")
    d = r.cmd("Subject: relay\r\n\r\n.")
    q = queued()
    check("relayclient_tcprules", a.startswith("250") and d.startswith("250") and q and q[0][2] == ["x@elsewhere.example"],
          f"{a} {d} {q[:1]}")
    r.close()

def t_lists():
    control("badmailfrom", "spammer@bad.example\n@worse.example\n")
    control("badrcptto", "trap@example.org\n")
    control("maxrcpt", "5\n")
    try:
        r = Raw()
        r.cmd("EHLO client.example")
        a = r.cmd("MAIL FROM:<Spammer@BAD.example>")
        b = r.cmd("MAIL FROM:<anyone@worse.example>")
        c = r.cmd("MAIL FROM:<ok@b.example>")
        d = r.cmd("RCPT TO:<trap@example.org>")
        check("badmailfrom", a.startswith("553 5.7.1") and b.startswith("553 5.7.1") and c.startswith("250"), f"{a} {b} {c}")
        check("badrcptto", d.startswith("553 5.7.1"), d)
        codes = [code(r.cmd(f"RCPT TO:<u{i}@example.org>")) for i in range(101)]
        check("maxrcpt_at_least_100", codes[:100] == ["250"] * 100 and codes[100] == "452", str(codes[95:]))
        r.close()
    finally:
        control("badmailfrom", None)
        control("badrcptto", None)
        control("maxrcpt", None)

def t_pipelining():
    clear()
    r = Raw()
    batch = b"EHLO client.example\r\n"
    for i in range(3):
        batch += (f"MAIL FROM:<p{i}@b.example>\r\nRCPT TO:<joe@example.org>\r\nDATA\r\n"
                  f"Subject: pipe {i}\r\n\r\nbody {i}\r\n.\r\n").encode()
    batch += b"QUIT\r\n"
    r.send(batch)
    replies = [r.reply() for _ in range(1 + 3 * 4 + 1)]
    codes = [code(x) for x in replies]
    want = ["250"] + ["250", "250", "354", "250"] * 3 + ["221"]
    check("pipelined_replies", codes == want, str(codes))
    check("pipelined_queued", count() == 3, f"{count()} queued")

def smuggle(seq, name):
    clear()
    r = open_data()
    r.send(b"Subject: smuggle\r\n\r\nhello" + seq +
           b"MAIL FROM:<evil@b.example>\r\nRCPT TO:<victim@example.org>\r\nDATA\r\nSubject: smuggled\r\n\r\nx\r\n.\r\n")
    a = r.reply()
    b = r.cmd("NOOP")
    q = queued()
    check("smuggling_" + name, a.startswith("554 5.6.0") and b.startswith("250") and not q,
          f"reply {a!r}, then {b!r}, {len(q)} queued")
    r.close()

def t_smuggling():
    for seq, name in ((b"\n.\n", "lf_dot_lf"), (b"\n.\r\n", "lf_dot_crlf"), (b"\r\n.\n", "crlf_dot_lf"),
                      (b"\r.\r", "cr_dot_cr"), (b"\r\n.\r", "crlf_dot_cr"), (b"\r.\r\n", "cr_dot_crlf"),
                      (b"\n.\r", "lf_dot_cr")):
        smuggle(seq, name)

def t_hops():
    for n, want in ((99, "250"), (100, "554")):
        clear()
        r = open_data()
        hdr = b"".join(b"Received: from x by y; hop %d\r\n" % i if i % 2 else b"Delivered-To: a@b\r\n" for i in range(n))
        a = r.cmd(hdr + b"\r\nbody\r\n.\r\n")
        check(f"hops_{n}", code(a) == want and count() == (1 if want == "250" else 0), f"{a}, {count()} queued")
        r.close()

def stream_data(name, chunk):
    """Streams BIG bytes of chunk inside DATA at a 2 MB databytes limit, then the
    dot: 552, at speed, nothing queued, the session goes on."""
    big = int(os.environ.get("BIG", str(4 << 30)))
    clear()
    r = open_data()
    t0 = time.time()
    sent = 0
    try:
        while sent < big:
            r.send(chunk)
            sent += len(chunk)
        a = r.cmd(b"\r\n.\r\n")
    except Exception as e:
        a = f"error {e!r} after {sent} bytes"
    dt = time.time() - t0
    b = r.cmd("NOOP") if a.startswith("552") else ""
    check(name, a.startswith("552 5.3.4") and b.startswith("250") and count() == 0,
          f"{a} / {b} after {sent} bytes in {dt:.1f}s")
    print(f"# streamed {sent} bytes in {dt:.1f}s", flush=True)
    r.close()

def t_databytes_stream():
    stream_data("databytes_stream", (b"x" * 1022 + b"\r\n") * 1024)

def t_garbage():
    r = Raw()
    r.send(bytes(range(256)) * 4 + b"\0\0\0\r\n" * 20)
    replies = []
    try:
        while len(replies) < 100:
            replies.append(r.reply())
    except EOFError:
        pass
    closed = r.closed()
    check("garbage_dropped", closed and any(x.startswith("421 4.7.0") for x in replies), str(replies[-2:]))
    r = Raw()
    r.send(b"A" * 200000)
    a = r.reply()
    b = r.reply()
    check("overlong_line", a.startswith("500 5.5.2") and b.startswith("421") and r.closed(), f"{a} / {b}")
    r = Raw()
    a = r.cmd("NOOP")
    check("served_after_garbage", a.startswith("250"), a)
    r.close()

def flood(r, chunk, big):
    """Sends chunk until big bytes went or the server hung up, reading replies at the
    same time; returns (replies, bytes sent, seconds, closed)."""
    sent = [0]
    def pump():
        try:
            while sent[0] < big:
                r.s.sendall(chunk)
                sent[0] += len(chunk)
        except OSError:
            pass
    t0 = time.time()
    th = threading.Thread(target=pump, daemon=True)
    th.start()
    replies = []
    try:
        while len(replies) < 5:
            replies.append(r.reply())
    except (EOFError, OSError):
        pass
    th.join(60)
    closed = r.closed()
    return replies, sent[0], time.time() - t0, closed

def t_command_stream():
    """BIG bytes of one command line without LF (letters, then garbage with NULs):
    an answer and a hangup after a few KB, under the memory limit; the next
    connection is served."""
    big = int(os.environ.get("BIG", str(4 << 30)))
    garbage = bytes(c for c in range(256) if c != 10) * 256
    for name, chunk in (("letters", b"x" * 65536), ("garbage", garbage)):
        r = Raw()
        r.cmd("EHLO client.example")
        replies, sent, dt, closed = flood(r, chunk, big)
        r.close()
        ok = len(replies) == 2 and replies[0].startswith("500 5.5.2") and replies[1].startswith("421 4.7.0") \
            and closed and sent < 64 << 20
        check(f"command_stream_{name}", ok, f"{replies} closed={closed} after {sent} bytes in {dt:.1f}s")
    r = Raw()
    a = r.cmd("NOOP")
    r.close()
    check("served_after_command_stream", a.startswith("250"), a)

def t_data_garbage_stream():
    """NULs, 8-bit and control bytes without a line end inside DATA."""
    stream_data("data_garbage_stream", bytes(c for c in range(256) if c not in (10, 13)) * 1024)

def t_drop_mid_data():
    clear()
    r = open_data()
    r.send(b"Subject: cut\r\n\r\n" + b"y" * 100000)
    r.s.shutdown(socket.SHUT_RDWR)
    r.close()
    time.sleep(1)
    check("drop_mid_data_nothing_queued", count() == 0, f"{count()} queued")

def t_qq_exits():
    """Every qmail-queue exit code class, through a queue program that only exits."""
    qqport = int(os.environ["QQPORT"])
    for ex, want in ((0, "250 2.0.0"), (11, "554 5.1.3"), (31, "554 5.3.0"), (25, "554 5.3.0"),
                     (51, "451 4.3.0"), (52, "451 4.3.0"), (53, "451 4.3.0"), (54, "451 4.3.0"),
                     (55, "451 4.3.0"), (56, "451 4.3.0"), (61, "451 4.3.0"), (62, "451 4.3.0"),
                     (63, "451 4.3.0"), (64, "451 4.3.0"), (65, "451 4.3.0"), (66, "451 4.3.0"),
                     (71, "451 4.3.0"), (72, "451 4.4.1"), (73, "451 4.4.1"), (74, "451 4.4.2"),
                     (81, "451 4.3.0"), (91, "451 4.3.0"), (99, "451 4.3.0")):
        with open(os.environ["EXITFILE"], "w") as f:
            f.write(str(ex))
        r = Raw(qqport)
        r.cmd("EHLO client.example")
        r.cmd("MAIL FROM:<a@b.example>")
        r.cmd("RCPT TO:<joe@example.org>")
        r.cmd("DATA")
        a = r.cmd("Subject: x\r\n\r\n.")
        r.close()
        check(f"qq_exit_{ex}", a.startswith(want), f"got {a!r}, want {want}")

def t_timeout():
    control("timeoutsmtpd", "2\n")
    try:
        clear()
        r = Raw()
        t0 = time.time()
        ok = r.closed(wait=10)
        dt = time.time() - t0
        check("timeout_idle", ok and dt < 8 and r.buf.startswith(b"421 4.4.2"), f"closed={ok} after {dt:.1f}s {r.buf!r}")
        r = open_data()
        r.send(b"Subject: slow\r\n\r\npart")
        ok = r.closed(wait=10)
        time.sleep(0.5)
        check("timeout_in_data_nothing_queued", ok and count() == 0, f"closed={ok} {count()} queued")
    finally:
        control("timeoutsmtpd", None)

def t_concurrent():
    clear()
    errors = []
    def worker(n):
        try:
            with smtplib.SMTP("127.0.0.1", PORT, local_hostname="c.example", timeout=60) as s:
                for k in range(5):
                    s.sendmail(f"s{n}@c.example", [f"r{n}@example.org"],
                               f"Subject: {n}.{k}\r\nMessage-ID: <{n}.{k}@c>\r\n\r\nbody {n} {k}\r\n".encode())
        except Exception as e:
            errors.append(f"{n}: {e!r}")
    t0 = time.time()
    ts = [threading.Thread(target=worker, args=(n,)) for n in range(200)]
    for t in ts: t.start()
    for t in ts: t.join()
    dt = time.time() - t0
    ids = {}
    for m, s, rc in queued():
        for l in m.split(b"\n"):
            if l.startswith(b"Message-ID: "):
                ids[l] = ids.get(l, 0) + 1
    exact = len(ids) == 1000 and all(v == 1 for v in ids.values())
    check("concurrent_200x5_exactly_once", not errors and exact,
          f"{len(errors)} errors ({errors[:2]}), {len(ids)} distinct, dups {[k for k, v in ids.items() if v != 1][:3]}")
    print(f"# 1000 messages over 200 sessions in {dt:.1f}s", flush=True)

def cdb_write(path, pairs):
    """A cdb file (D. J. Bernstein's format), written here so the test needs no tool."""
    def h(k):
        v = 5381
        for c in k:
            v = ((v << 5) + v) ^ c
            v &= 0xffffffff
        return v
    body = b""
    pos = 2048
    tables = [[] for _ in range(256)]
    for k, v in pairs:
        tables[h(k) & 255].append((h(k), pos))
        rec = struct.pack("<II", len(k), len(v)) + k + v
        body += rec
        pos += len(rec)
    head = b""
    tail = b""
    for t in tables:
        n = len(t) * 2
        slots = [(0, 0)] * n
        for hv, p in t:
            i = (hv >> 8) % n
            while slots[i][1]:
                i = (i + 1) % n
            slots[i] = (hv, p)
        head += struct.pack("<II", pos + len(tail), n)
        tail += b"".join(struct.pack("<II", a, b) for a, b in slots)
    with open(path + ".tmp", "wb") as f:
        f.write(head + body + tail)
    os.chmod(path + ".tmp", 0o644)
    os.rename(path + ".tmp", path)

def t_recipients_cdb():
    p = os.path.join(HOME, "users/recipients.cdb")
    cdb_write(p, [(b"@example.org", b""), (b"=joe@example.org", b""), (b"+list-@example.org", b"")])
    try:
        r = Raw()
        r.cmd("EHLO client.example")
        r.cmd("MAIL FROM:<a@b.example>")
        got = {a: r.cmd(f"RCPT TO:<{a}>") for a in ("joe@example.org", "Joe@Example.ORG", "nobody@example.org",
                                                     "list-x-y@example.org", "x@mail.example.org")}
        r.close()
        want = {"joe@example.org": "250", "Joe@Example.ORG": "250", "nobody@example.org": "550",
                "list-x-y@example.org": "250", "x@mail.example.org": "250"}
        bad = {a: g for a, g in got.items() if code(g) != want[a]}
        check("recipients_cdb", not bad and got["nobody@example.org"].startswith("550 5.1.1"), str(bad))
    finally:
        os.unlink(p)

def t_swaks():
    if not SWAKS:
        return out("SKIP", "swaks", "swaks not installed")
    clear()
    rc = subprocess.run([SWAKS, "--server", f"127.0.0.1:{PORT}", "--from", "sw@client.example", "--to", "joe@example.org",
                         "--pipeline", "--header", "Subject: swaks", "--body", "via swaks"],
                        capture_output=True, timeout=60)
    q = queued()
    check("swaks_pipelined", rc.returncode == 0 and len(q) == 1 and b"via swaks" in q[0][0],
          f"exit {rc.returncode}, {len(q)} queued: {rc.stdout[-300:]!r}")

def t_ipv6():
    if not V6PORT:
        return out("SKIP", "ipv6", "no ::1 in this namespace")
    clear()
    r = Raw(int(V6PORT), "::1", socket.AF_INET6)
    r.cmd("EHLO [IPv6:::1]")
    r.cmd("MAIL FROM:<a@b.example>")
    r.cmd("RCPT TO:<joe@example.org>")
    r.cmd("DATA")
    a = r.cmd("Subject: v6\r\n\r\n.")
    r.close()
    q = queued()
    check("ipv6", a.startswith("250") and q and b"(HELO [IPv6:::1]) (::1)" in q[0][0], f"{a} {q[:1] and q[0][0][:200]}")

for t in (t_basic, t_sequence, t_paths, t_localiphost, t_relay, t_lists, t_pipelining, t_smuggling, t_hops, t_garbage,
          t_drop_mid_data, t_qq_exits, t_timeout, t_recipients_cdb, t_swaks, t_ipv6, t_concurrent,
          t_databytes_stream, t_command_stream, t_data_garbage_stream):
    try:
        t()
    except Exception as e:
        out("FAIL", t.__name__[2:], f"exception {e!r}")
