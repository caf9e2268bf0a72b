#!/usr/bin/env python3
"""Helpers for the scheduler's end-to-end tests: queue messages through the real
qmail-queue (one at a time or as fast as possible from several workers), count
Message-IDs in Maildirs (missing and duplicated), and check a delivery status
notification with Python's email package.

  send_e2e.py inject SENDER RCPT [RCPT...]     (Message-ID from $MSGID if set)
  send_e2e.py load N PREFIX WORKERS RCPT       N messages <PREFIX.i@e2e.test>
  send_e2e.py count N PREFIX DIR [DIR...]      prints "missing M dup D"
  send_e2e.py dsn FILE ACTION RCPT STATUS      checks one RFC 3464 report
"""
import os
import subprocess
import sys
import threading
import time
import email
import email.policy

QM_HOME = os.environ.get("QM_HOME", "/var/qmail")
QQ = os.path.join(QM_HOME, "bin", "qmail-queue")


def queue(sender, rcpts, msgid, body="hello\n"):
    """One message through qmail-queue; returns its exit code."""
    msg = ("From: %s\nTo: %s\nSubject: e2e %s\nMessage-ID: %s\n\n%s"
           % (sender or "MAILER-DAEMON@example.org", ", ".join(rcpts), msgid, msgid, body)).encode()
    env = ("F" + sender + "\0" + "".join("T" + r + "\0" for r in rcpts) + "\0").encode()
    mr, mw = os.pipe()
    er, ew = os.pipe()
    p = subprocess.Popen([QQ], stdin=mr, stdout=er, close_fds=True, pass_fds=())
    os.close(mr)
    os.close(er)
    # both fit in a pipe buffer for these small messages; write in order anyway
    os.write(mw, msg)
    os.close(mw)
    os.write(ew, env)
    os.close(ew)
    return p.wait()


def cmd_inject(args):
    msgid = os.environ.get("MSGID", "<%d.%d@e2e.test>" % (time.time(), os.getpid()))
    rc = queue(args[0], args[1:], msgid)
    sys.exit(rc)


def cmd_load(args):
    n, prefix, workers, rcpt = int(args[0]), args[1], int(args[2]), args[3]
    failures = []
    nxt = [0]
    lock = threading.Lock()

    def work():
        while True:
            with lock:
                i = nxt[0]
                nxt[0] += 1
            if i >= n:
                return
            mid = "<%s.%d@e2e.test>" % (prefix, i)
            for _ in range(20):
                rc = queue("load@example.net", [rcpt], mid)
                if rc == 0:
                    break
                time.sleep(0.05)
            else:
                with lock:
                    failures.append((i, rc))

    t0 = time.time()
    ts = [threading.Thread(target=work) for _ in range(workers)]
    for t in ts:
        t.start()
    for t in ts:
        t.join()
    print("queued %d in %.1f s, failed %d" % (n - len(failures), time.time() - t0, len(failures)))
    sys.exit(1 if failures else 0)


def message_ids(dirs):
    seen = {}
    for d in dirs:
        for sub in ("new", "cur"):
            p = os.path.join(d, sub)
            if not os.path.isdir(p):
                continue
            for f in os.listdir(p):
                with open(os.path.join(p, f), "rb") as fh:
                    for line in fh:
                        if line in (b"\n", b"\r\n"):
                            break
                        if line.lower().startswith(b"message-id:"):
                            k = line.split(b":", 1)[1].strip().decode("ascii", "replace")
                            seen[k] = seen.get(k, 0) + 1
                            break
    return seen


def cmd_count(args):
    n, prefix, dirs = int(args[0]), args[1], args[2:]
    seen = message_ids(dirs)
    missing = [i for i in range(n) if "<%s.%d@e2e.test>" % (prefix, i) not in seen]
    dup = sum(c - 1 for k, c in seen.items() if k.startswith("<%s." % prefix) and c > 1)
    print("missing %d dup %d" % (len(missing), dup))
    if missing:
        print("first missing: %s" % missing[:5], file=sys.stderr)


def cmd_dsn(args):
    path, action, rcpt, status = args
    with open(path, "rb") as fh:
        raw = fh.read()
    # skip what qmail-local puts in front of the message
    m = email.message_from_bytes(raw, policy=email.policy.default)
    bad = []
    if m.get_content_type() != "multipart/report":
        bad.append("type %s" % m.get_content_type())
    if m.get_param("report-type") != "delivery-status":
        bad.append("report-type %s" % m.get_param("report-type"))
    parts = list(m.iter_parts()) if m.is_multipart() else []
    types = [p.get_content_type() for p in parts]
    if len(types) < 3 or types[0] != "text/plain" or types[1] != "message/delivery-status" \
       or types[2] not in ("message/rfc822", "text/rfc822-headers"):
        bad.append("parts %s" % types)
    else:
        ds = parts[1]
        # message/delivery-status: per-message fields, then per-recipient groups
        groups = [g for g in ds.get_payload()] if ds.is_multipart() else []
        if len(groups) < 2:
            bad.append("delivery-status has %d groups" % len(groups))
        else:
            per_msg = groups[0]
            if not (per_msg.get("Reporting-MTA") or "").startswith("dns;"):
                bad.append("Reporting-MTA %r" % per_msg.get("Reporting-MTA"))
            if not per_msg.get("Arrival-Date"):
                bad.append("no Arrival-Date")
            found = False
            for g in groups[1:]:
                fr = (g.get("Final-Recipient") or "").replace(" ", "")
                if fr.lower() == ("rfc822;" + rcpt).lower():
                    found = True
                    if (g.get("Action") or "").strip() != action:
                        bad.append("Action %r" % g.get("Action"))
                    if not (g.get("Status") or "").strip().startswith(status):
                        bad.append("Status %r want %s" % (g.get("Status"), status))
                    if action == "failed" and not g.get("Diagnostic-Code"):
                        bad.append("no Diagnostic-Code")
            if not found:
                bad.append("no group for %s: %s" % (rcpt, [g.get("Final-Recipient") for g in groups[1:]]))
        orig = parts[2]
        if orig.get_content_type() == "message/rfc822":
            inner = orig.get_payload()[0] if orig.is_multipart() else None
            if inner is None or not inner.get("Message-ID"):
                bad.append("original message has no Message-ID")
    if m["Date"] is None or getattr(m["Date"], "datetime", None) is None:
        bad.append("Date %r does not parse" % m.get("Date"))
    if m.get("From", "").find("MAILER-DAEMON@") < 0:
        bad.append("From %r" % m.get("From"))
    if bad:
        print("; ".join(bad))
        sys.exit(1)
    print("ok")


if __name__ == "__main__":
    cmds = {"inject": cmd_inject, "load": cmd_load, "count": cmd_count, "dsn": cmd_dsn}
    if len(sys.argv) < 2 or sys.argv[1] not in cmds:
        print(__doc__, file=sys.stderr)
        sys.exit(100)
    cmds[sys.argv[1]](sys.argv[2:])
