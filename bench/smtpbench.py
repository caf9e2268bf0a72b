#!/usr/bin/env python3
# Helpers of bench/smtp.sh and bench/remote.sh (python3, standard library only):
#   latency HOST PORT N CLIENTS SIZE FROM TO NEWDIR
#       N messages of about SIZE bytes from CLIENTS parallel SMTP clients (one
#       connection a message); for each, the time from the server's final 250 to the
#       file's arrival in the Maildir's NEWDIR (inotify, CLOCK_MONOTONIC in both
#       processes); prints "rate=... p50_ms=... p99_ms=... max_ms=... lost=...".
#   watch NEWDIR N SECONDS   (used by latency) arrival times of files in NEWDIR
#   waitn DIR N SECONDS      waits until DIR holds N files; prints the wall-clock time
#                            (seconds since the epoch) when it saw them, and the count
#   pss KIND NSPID           until SIGTERM, samples the sum of Pss over the processes
#                            of KIND (suite|postfix|qmail-dns) in NSPID's mount
#                            namespace every 0.2 s; then prints "max_kb=... median_kb=..."
# Talks only to the loopback address it is given; every loop is bounded.
import ctypes, os, select, signal, socket, struct, subprocess, sys, threading, time

IN_CREATE, IN_MOVED_TO = 0x100, 0x80
SUITE_COMMS = {"s6-svscan", "s6-supervise", "s6-log", "s6-softlimit", "tcpserver",
               "qmail-send", "qmail-start", "qmail-lspawn", "qmail-clean", "qmail-dns",
               "qmail-smtpd", "qmail-queue", "qmail-local", "qmail-getpw", "qmail-rspawn",
               "qmail-remote", "qmail-tls", "qmail-queued", "qmail-smtpdd",
               "qmail-smtpdc"}


def watch(newdir, n, secs):
    libc = ctypes.CDLL("libc.so.6", use_errno=True)
    fd = libc.inotify_init1(os.O_CLOEXEC)
    if fd < 0 or libc.inotify_add_watch(fd, newdir.encode(), IN_CREATE | IN_MOVED_TO) < 0:
        sys.exit("smtpbench: fatal: unable to watch %s" % newdir)
    print("ready", flush=True)
    seen, out, end = 0, [], time.monotonic() + secs
    while seen < n and time.monotonic() < end:
        r, _, _ = select.select([fd], [], [], 0.5)
        if not r:
            continue
        buf = os.read(fd, 1 << 16)
        t = time.monotonic()
        off = 0
        while off + 16 <= len(buf):
            _, mask, _, ln = struct.unpack_from("iIII", buf, off)
            name = buf[off + 16:off + 16 + ln].split(b"\0", 1)[0].decode()
            off += 16 + ln
            if mask & (IN_CREATE | IN_MOVED_TO) and name:
                out.append("%.6f %s" % (t, name))
                seen += 1
    sys.stdout.write("\n".join(out) + "\n")


def reply(f):
    """The last line of one (possibly multi-line) SMTP reply."""
    for _ in range(100):
        line = f.readline()
        if not line:
            raise IOError("connection closed")
        if len(line) < 4 or line[3:4] != b"-":
            return line
    raise IOError("reply too long")


def message(seq, size, sender, rcpt):
    head = ("From: <%s>\r\nTo: <%s>\r\nSubject: smtp bench\r\nX-Bench-Id: %d\r\n"
            "Message-ID: <bench-%d@example.org>\r\n\r\n" % (sender, rcpt, seq, seq)).encode()
    line = b"0123456789abcdefghijklmnopqrstuvwxyz0123456789abcdefghijklmnopqrstuvwxyz\r\n"
    body = line * max(1, (size - len(head)) // len(line))
    return head + body + b".\r\n"


def latency(host, port, n, clients, size, sender, rcpt, newdir):
    w = subprocess.Popen([sys.executable, __file__, "watch", newdir, str(n), str(60 + n // 5)],
                         stdout=subprocess.PIPE, text=True)
    if w.stdout.readline().strip() != "ready":
        sys.exit("smtpbench: fatal: the watcher did not start")
    lock = threading.Lock()
    nxt = [0]
    acked = {}
    errors = []

    def client():
        while True:
            with lock:
                if nxt[0] >= n or len(errors) > 10:
                    return
                seq = nxt[0]
                nxt[0] += 1
            try:
                s = socket.create_connection((host, port), timeout=60)
                f = s.makefile("rb")
                for cmd in (None, b"EHLO bench.client\r\n", b"MAIL FROM:<%s>\r\n" % sender.encode(),
                            b"RCPT TO:<%s>\r\n" % rcpt.encode(), b"DATA\r\n"):
                    if cmd:
                        s.sendall(cmd)
                    r = reply(f)
                    if r[:1] not in (b"2", b"3"):
                        raise IOError(r.decode(errors="replace").strip())
                s.sendall(message(seq, size, sender, rcpt))
                r = reply(f)
                t = time.monotonic()
                if r[:3] != b"250":
                    raise IOError(r.decode(errors="replace").strip())
                acked[seq] = t
                s.sendall(b"QUIT\r\n")
                reply(f)
                s.close()
            except (IOError, OSError) as e:
                with lock:
                    errors.append(str(e))

    t0 = time.monotonic()
    th = [threading.Thread(target=client) for _ in range(clients)]
    for t in th:
        t.start()
    for t in th:
        t.join()
    t_acc = time.monotonic()
    events = w.communicate()[0].split("\n")
    t_end = t_acc
    lat = []
    for ev in events:
        if not ev:
            continue
        ts, name = ev.split(" ", 1)
        try:
            with open(os.path.join(newdir, name), "rb") as fh:
                head = fh.read(4096)
        except OSError:
            continue
        i = head.find(b"X-Bench-Id: ")
        if i < 0:
            continue
        seq = int(head[i + 12:].split(b"\n", 1)[0].strip())
        if seq in acked:
            lat.append(float(ts) - acked[seq])
            t_end = max(t_end, float(ts))
    lat.sort()

    def pct(p):
        return lat[min(len(lat) - 1, int(p * len(lat)))] * 1000 if lat else float("nan")
    print("acked=%d delivered=%d accept_rate=%.1f rate=%.1f p50_ms=%.1f p99_ms=%.1f max_ms=%.1f "
          "errors=%d%s" % (len(acked), len(lat), len(acked) / (t_acc - t0),
                           len(lat) / (t_end - t0) if lat else 0, pct(0.50), pct(0.99),
                           lat[-1] * 1000 if lat else float("nan"), len(errors),
                           (" first_error=" + errors[0].replace(" ", "_")) if errors else ""))


def waitn(d, n, secs):
    end = time.monotonic() + secs
    c = 0
    while time.monotonic() < end:
        c = len(os.listdir(d))
        if c >= n:
            break
        time.sleep(0.005)
    print("%.6f %d" % (time.time(), c))
    return 0 if c >= n else 1


def procs(kind, mntns):
    for p in os.listdir("/proc"):
        if not p.isdigit():
            continue
        try:
            if os.readlink("/proc/%s/ns/mnt" % p) != mntns:
                continue
            with open("/proc/%s/comm" % p) as f:
                comm = f.read().strip()
            if kind == "postfix":
                if not os.readlink("/proc/%s/exe" % p).startswith("/usr/lib/postfix/"):
                    continue
            elif kind == "qmail-dns":
                if comm != "qmail-dns":
                    continue
            elif comm not in SUITE_COMMS:
                continue
            yield p
        except OSError:
            continue


def pss_sum(kind, mntns):
    total, count = 0, 0
    for p in procs(kind, mntns):
        try:
            with open("/proc/%s/smaps_rollup" % p) as f:
                for line in f:
                    if line.startswith("Pss:"):
                        total += int(line.split()[1])
                        count += 1
                        break
        except OSError:
            continue
    return total, count


def pss(kind, nspid):
    mntns = os.readlink("/proc/%s/ns/mnt" % nspid)
    stop = [False]
    signal.signal(signal.SIGTERM, lambda *a: stop.__setitem__(0, True))
    samples = []
    for _ in range(3000):           # 10 minutes at most
        if stop[0]:
            break
        samples.append(pss_sum(kind, mntns))
        time.sleep(0.2)
    if not samples:
        samples.append(pss_sum(kind, mntns))
    kb = sorted(s[0] for s in samples)
    top = max(samples)
    print("max_kb=%d median_kb=%d procs_at_max=%d samples=%d" %
          (top[0], kb[len(kb) // 2], top[1], len(samples)), flush=True)


def main():
    a = sys.argv[1:]
    if a[:1] == ["latency"] and len(a) == 9:
        latency(a[1], int(a[2]), int(a[3]), int(a[4]), int(a[5]), a[6], a[7], a[8])
    elif a[:1] == ["watch"] and len(a) == 4:
        watch(a[1], int(a[2]), float(a[3]))
    elif a[:1] == ["waitn"] and len(a) == 4:
        sys.exit(waitn(a[1], int(a[2]), float(a[3])))
    elif a[:1] == ["pss"] and len(a) == 3:
        pss(a[1], a[2])
    else:
        sys.exit("usage: smtpbench.py latency|watch|waitn|pss ...")


if __name__ == "__main__":
    main()
