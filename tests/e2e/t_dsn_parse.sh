#!/bin/bash
# Notices from lib/qm_dsn, built by the dsn-gen test program, read back with
# Python's email package: multipart/report with report-type=delivery-status, the
# three parts in order, every per-message and per-recipient field, the returned
# headers or copy, and no parser defects, for failures, delay notices, double
# bounces, hostile report texts, a forged boundary, 1000 recipients and a huge
# original. Needs no instance and no root.
. "$QM_SRC/tests/e2e/lib.sh"
gen=$QM_BUILD/testbin/dsn-gen
if [ ! -x "$gen" ]; then fail dsn_parse "no $gen (run make all)"; exit 0; fi
command -v python3 > /dev/null || { skip dsn_parse "no python3"; exit 0; }
w=$(mktemp -d /tmp/dsn-e2e.XXXXXX)
trap 'rm -rf "$w"' EXIT

# --- the notices -------------------------------------------------------------------
printf 'Subject: Quarterly report\nFrom: Joe <joe@example.org>\nMessage-ID: <q1@example.org>\n\nHello Bob,\nthe figures.\n' > "$w/orig1"
"$gen" -i 1048623 -z "$(stat -c %s "$w/orig1")" < "$w/orig1" > "$w/fail.eml" \
  bob@example.net F "" mx.example.net $'Remote host said: 550 5.1.1 <bob@example.net>: Recipient\naddress rejected: User unknown' \
  $'j\xc3\xbcrgen@example.de' F "" "" "Sorry, no mailbox here by that name. (#5.1.1)" \
  carol@example.com F 5.2.2 "" "Remote host said: 552 mailbox full" ||
  fail dsn_gen_failure "dsn-gen exited $?"

"$gen" -k d -b 0 -n 1700014400 < "$w/orig1" > "$w/delay.eml" \
  bob@example.net D "" "" "Connected to 192.0.2.1 but greeting failed. (#4.4.2)" ||
  fail dsn_gen_delay "dsn-gen exited $?"

printf 'From: Mail Delivery System <MAILER-DAEMON@mail.example.org>\nSubject: Delivery Status Notification (Failure)\n\nthe bounce\n' |
  "$gen" -k 2 -T postmaster@mail.example.org -S "" > "$w/double.eml" \
  joe@example.org F "" "" "Sorry, no mailbox here by that name. (#5.1.1)" ||
  fail dsn_gen_double "dsn-gen exited $?"

# hostile: a report text with CR, LF, an escape and 8-bit; an original that forges
# the notice's boundary (id 7, now 1700003600, salt 9, kind 1)
b='=_qm-dsn_7_6553ff10_9_1'
printf 'Subject: forged\n\n--%s\nContent-Type: text/plain\n\ninjected\n--%s--\nafter\n' "$b" "$b" |
  "$gen" -i 7 -s 9 > "$w/hostile.eml" \
  bob@example.net F "" $'mx\r\nX-Evil: 1' $'550 no\r\nFinal-Recipient: rfc822; evil@example.com\r\n\x1b[1m\xff\xfe' ||
  fail dsn_gen_hostile "dsn-gen exited $?"

args=()
for i in $(seq 1 1000); do args+=("user$i@example.net" F "" "" "Sorry, no mailbox here by that name. (#5.1.1)"); done
printf 'Subject: many\n\nx\n' | "$gen" "${args[@]}" > "$w/many.eml" || fail dsn_gen_many "dsn-gen exited $?"

{ printf 'Subject: huge\n\n'; head -c 3000000 /dev/zero | tr '\0' 'z' | fold -w 100; } > "$w/huge"
"$gen" -b 2000 -z "$(stat -c %s "$w/huge")" < "$w/huge" > "$w/huge.eml" bob@example.net F "" "" "(#5.3.4)" ||
  fail dsn_gen_huge "dsn-gen exited $?"

printf 'Subject: no body\nX-Other: value' | "$gen" > "$w/nosep.eml" bob@example.net F "" "" "(#5.1.1)" ||
  fail dsn_gen_nosep "dsn-gen exited $?"

if "$gen" < /dev/null > /dev/null 2>&1; then fail dsn_gen_norcpt "a notice with no recipient was written"
else pass dsn_gen_norcpt; fi

# --- reading them back ---------------------------------------------------------------
python3 - "$w" <<'PY'
import email, email.utils, sys, os
w = sys.argv[1]

def out(ok, name, why=""):
    print(("PASS %s" % name) if ok else ("FAIL %s: %s" % (name, why)))

def load(name):
    raw = open(os.path.join(w, name), "rb").read()
    return raw, email.message_from_bytes(raw)

def check_shape(name, raw, m, third):
    errs = []
    if m.get_content_type() != "multipart/report": errs.append("type %s" % m.get_content_type())
    if m.get_param("report-type") != "delivery-status": errs.append("report-type %s" % m.get_param("report-type"))
    if m.get("MIME-Version") != "1.0": errs.append("MIME-Version")
    if m.get("Auto-Submitted") != "auto-replied": errs.append("Auto-Submitted")
    if not m.get("Message-ID", "").startswith("<") or "@" not in m.get("Message-ID", ""): errs.append("Message-ID")
    if email.utils.parsedate_to_datetime(m["Date"]) is None: errs.append("Date")
    parts = m.get_payload()
    types = [p.get_content_type() for p in parts]
    if types != ["text/plain", "message/delivery-status", third]: errs.append("parts %s" % types)
    for p in [m] + list(m.walk()):
        if p.defects: errs.append("defects %s" % p.defects)
    if b"\r" in raw: errs.append("CR in output")
    if max(len(l) for l in raw.split(b"\n")) > 998: errs.append("line over 998")
    out(not errs, "dsn_shape_" + name, "; ".join(errs))
    return parts

def blocks(part):
    return part.get_payload()

def unfold(v):
    return " ".join(v.replace("\n", " ").split()) if v else v

raw, m = load("fail.eml")
parts = check_shape("failure", raw, m, "message/rfc822")
out(m["Subject"] == "Delivery Status Notification (Failure)", "dsn_failure_subject", m["Subject"])
out(m["To"] == "<joe@example.org>" and "MAILER-DAEMON@mail.example.org" in m["From"], "dsn_failure_addresses", "%s / %s" % (m["To"], m["From"]))
b = blocks(parts[1])
out(len(b) == 4, "dsn_failure_blocks", "got %d blocks" % len(b))
out(b[0]["Reporting-MTA"] == "dns; mail.example.org", "dsn_reporting_mta", str(b[0]["Reporting-MTA"]))
ad = email.utils.parsedate_to_datetime(b[0]["Arrival-Date"])
out(ad is not None and int(ad.timestamp()) == 1700000000, "dsn_arrival_date", str(b[0]["Arrival-Date"]))
want = [
    ("rfc822; bob@example.net", "failed", "5.1.1", "dns; mx.example.net",
     "smtp; Remote host said: 550 5.1.1 <bob@example.net>: Recipient address rejected: User unknown"),
    ("utf-8; j\\x{FC}rgen@example.de", "failed", "5.1.1", None,
     "smtp; Sorry, no mailbox here by that name. (#5.1.1)"),
    ("rfc822; carol@example.com", "failed", "5.2.2", None, "smtp; Remote host said: 552 mailbox full"),
]
for i, (fr, ac, st, rm, dc) in enumerate(want):
    r = b[i + 1]
    got = (r["Final-Recipient"], r["Action"], r["Status"], r["Remote-MTA"], unfold(r["Diagnostic-Code"]))
    out(got == (fr, ac, st, rm, dc), "dsn_rcpt_fields_%d" % (i + 1), "got %r want %r" % (got, (fr, ac, st, rm, dc)))
orig = parts[2].get_payload(0)
out(orig["Subject"] == "Quarterly report" and orig["Message-ID"] == "<q1@example.org>"
    and orig.get_payload() == "Hello Bob,\nthe figures.\n", "dsn_failure_original",
    "%r %r" % (orig["Subject"], orig.get_payload()))
human = parts[0].get_payload(decode=True).decode("utf-8")
out("bob@example.net" in human and "jürgen@example.de" in human and "permanent" in human
    and "What you can do" in human and "truncated" not in human, "dsn_failure_human", human[:200])

raw, m = load("delay.eml")
parts = check_shape("delay", raw, m, "text/rfc822-headers")
b = blocks(parts[1])
r = b[1] if len(b) > 1 else {}
out(m["Subject"] == "Delivery Status Notification (Delay)", "dsn_delay_subject", m["Subject"])
wru = email.utils.parsedate_to_datetime(r.get("Will-Retry-Until", "x")) if r.get("Will-Retry-Until") else None
out(r.get("Action") == "delayed" and r.get("Status") == "4.4.2" and wru is not None and int(wru.timestamp()) == 1700604800,
    "dsn_delay_fields", "%r %r %r" % (r.get("Action"), r.get("Status"), r.get("Will-Retry-Until")))
hdrs = parts[2].get_payload()
hdrs = hdrs if isinstance(hdrs, str) else str(hdrs)
out("Subject: Quarterly report" in hdrs and "Message-ID: <q1@example.org>" in hdrs and "the figures" not in hdrs,
    "dsn_delay_returned_headers", repr(hdrs[:200]))
human = parts[0].get_payload(decode=True).decode()
out("keeps trying" in human and "4 hours" in human, "dsn_delay_human", human[:300])

raw, m = load("double.eml")
parts = check_shape("double", raw, m, "message/rfc822")
out(m["To"] == "<postmaster@mail.example.org>" and ".double@" in m["Message-ID"], "dsn_double_headers", "%s %s" % (m["To"], m["Message-ID"]))
out(parts[2].get_payload(0)["Subject"] == "Delivery Status Notification (Failure)", "dsn_double_original", "")

raw, m = load("hostile.eml")
parts = check_shape("hostile", raw, m, "message/rfc822")
b = blocks(parts[1])
r = b[1] if len(b) > 1 else {}
out(len(b) == 2 and "X-Evil" not in m and r.get("Remote-MTA") == "dns; mx__X-Evil:_1"
    and unfold(r.get("Diagnostic-Code")) == "smtp; 550 no Final-Recipient: rfc822; evil@example.com [1m??",
    "dsn_hostile_fields", "%d blocks %r %r" % (len(b), r.get("Remote-MTA"), r.get("Diagnostic-Code")))
body = parts[2].get_payload(0).get_payload()
out(isinstance(body, str) and " --=_qm-dsn_7_6553ff10_9_1\n" in body and "injected" in body and "after" in body,
    "dsn_hostile_boundary", repr(body)[:300])

raw, m = load("many.eml")
parts = check_shape("many", raw, m, "message/rfc822")
b = blocks(parts[1])
finals = [x["Final-Recipient"] for x in b[1:]]
out(len(finals) == 1000 and finals[0] == "rfc822; user1@example.net" and finals[-1] == "rfc822; user1000@example.net"
    and all(x["Status"] == "5.1.1" for x in b[1:]), "dsn_many_recipients", "got %d" % len(finals))

raw, m = load("huge.eml")
parts = check_shape("huge", raw, m, "message/rfc822")
body = parts[2].get_payload(0).get_payload()
human = parts[0].get_payload(decode=True).decode()
out(len(raw) < 10000 and len(body.replace("\n", "")) == 2000 - 2000 // 101 and "truncated to its first 2000 bytes" in human,
    "dsn_huge_truncated", "notice %d bytes, body %d" % (len(raw), len(body)))

raw, m = load("nosep.eml")
parts = check_shape("nosep", raw, m, "message/rfc822")
o = parts[2].get_payload(0)
out(o["Subject"] == "no body" and o["X-Other"] == "value" and not o.get_payload(), "dsn_nosep_original",
    "%r %r" % (o["X-Other"], o.get_payload()))
PY
