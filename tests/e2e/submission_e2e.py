#!/usr/bin/env python3
"""Clients for t_submission.sh: STARTTLS on the MX (2525) with the plaintext
injection check, TLSREQUIRED (2526), submission with STARTTLS (2587) and smtps
(2465). Prints PASS/FAIL lines; reads accepted messages from queue/mess."""
import glob, os, smtplib, socket, ssl, sys, time

CA = os.environ['CA']
HOME = os.environ['QM_HOME']
HOST = '127.0.0.1'


def res(name, ok, why=''):
    print(('PASS %s' % name) if ok else ('FAIL %s: %s' % (name, why)))
    sys.stdout.flush()


def ctx():
    c = ssl.create_default_context(cafile=CA)
    return c


def queued(subject):
    """The queued message with this subject, or ''."""
    for i in range(30):
        for f in glob.glob(os.path.join(HOME, 'queue/mess/*/*')):
            try:
                data = open(f, 'rb').read().decode('latin-1')
            except OSError:
                continue
            if 'Subject: %s\n' % subject in data:
                return data
        time.sleep(0.1)
    return ''


def msg(subject, frm='a@example.net', to='joe@example.org'):
    return 'From: %s\r\nTo: %s\r\nSubject: %s\r\n\r\nbody\r\n' % (frm, to, subject)


def run(name, f):
    try:
        f()
    except Exception as e:          # a client error is a failed check, not a crash
        res(name, False, '%s: %s' % (type(e).__name__, e))


# --- MX with STARTTLS ------------------------------------------------------------------
def mx_starttls():
    s = smtplib.SMTP(HOST, 2525, timeout=10)
    s.ehlo('client.example')
    before = s.has_extn('starttls')
    s.starttls(context=ctx())
    s.ehlo('client.example')
    after = s.has_extn('starttls')
    ver = s.sock.version()
    s.sendmail('a@example.net', ['joe@example.org'], msg('mx starttls'))
    s.quit()
    res('mx_starttls_offered_once', before and not after, 'before %s after %s' % (before, after))
    res('mx_starttls_tls13', ver == 'TLSv1.3', ver)
    m = queued('mx starttls')
    first = '\n'.join(m.split('\n')[1:3]) if m else ''
    res('mx_received_esmtps', 'with ESMTPS (TLSv1.3 TLS_' in first, repr(m[:300]))


def injection():
    raw = socket.create_connection((HOST, 2525), 10)
    f = raw.makefile('rb')
    f.readline()
    raw.sendall(b'EHLO client.example\r\n')
    while True:
        line = f.readline()
        if line[3:4] != b'-':
            break
    raw.sendall(b'STARTTLS\r\nRSET\r\n')      # one write: RSET comes before the handshake
    ready = f.readline()
    t = ctx().wrap_socket(raw, server_hostname='mail.example.org')
    tf = t.makefile('rb')
    t.sendall(b'NOOP\r\n')
    first = tf.readline()
    t.sendall(b'MAIL FROM:<a@example.net>\r\n')
    mail = tf.readline()
    t.sendall(b'QUIT\r\n')
    tf.readline()
    res('starttls_ready_reply', ready.startswith(b'220 2.0.0'), ready)
    res('injected_rset_not_answered', first.startswith(b'250 2.0.0 ok'), 'first reply after TLS: %r' % first)
    res('session_reset_after_starttls', mail.startswith(b'503'), 'MAIL without EHLO after TLS: %r' % mail)


def tls_required():
    s = smtplib.SMTP(HOST, 2526, timeout=10)
    s.ehlo('client.example')
    code, text = s.mail('a@example.net')
    s.rset()
    s.starttls(context=ctx())
    s.ehlo('client.example')
    code2, _ = s.mail('a@example.net')
    s.quit()
    res('tlsrequired_530', code == 530 and code2 == 250, '%s %s then %s' % (code, text, code2))


# --- submission on 587 -----------------------------------------------------------------
def sub_before_tls():
    s = smtplib.SMTP(HOST, 2587, timeout=10)
    s.ehlo('client.example')
    noauth = not s.has_extn('auth')
    code, text = s.docmd('AUTH', 'PLAIN AGpvZQBzZWNyZXQ=')
    mcode, _ = s.mail('joe@example.org')
    s.quit()
    res('auth_not_offered_before_tls', noauth, s.esmtp_features)
    res('auth_before_tls_refused', code == 538, '%s %s' % (code, text))
    res('mail_without_auth_refused', mcode == 530, str(mcode))


def sub_login():
    s = smtplib.SMTP(HOST, 2587, timeout=10)
    s.starttls(context=ctx())
    s.ehlo('client.example')
    offered = s.has_extn('auth') and 'PLAIN' in s.esmtp_features.get('auth', '')
    code, _ = s.login('joe', 'secret')
    refused = s.sendmail('joe@example.org', ['friend@remote.example'], msg('sub relay', 'joe@example.org', 'friend@remote.example'))
    s.quit()
    res('auth_offered_after_tls', offered, s.esmtp_features)
    res('auth_right_password', code == 235, str(code))
    res('auth_relays', refused == {}, str(refused))
    m = queued('sub relay')
    first = '\n'.join(m.split('\n')[1:3]) if m else ''
    res('received_records_auth', 'with ESMTPSA (TLSv1.3 ' in first and '(authenticated as joe)' in first
        and 'secret' not in m, repr(first))


def sub_wrong():
    s = smtplib.SMTP(HOST, 2587, timeout=10)
    s.starttls(context=ctx())
    s.ehlo('client.example')
    codes = []
    for i in range(3):
        codes.append(s.docmd('AUTH', 'PLAIN AGpvZQB3cm9uZw==')[0])   # joe / wrong
    # the 421 follows the third 535 unasked; then the server hangs up
    after = s.getreply()[0]
    closed = False
    try:
        s.noop()
    except (smtplib.SMTPServerDisconnected, OSError):
        closed = True
    res('auth_wrong_password', codes[0] == 535, str(codes))
    res('auth_rate_limit', codes == [535, 535, 535] and after == 421 and closed,
        '%s then %s, closed %s' % (codes, after, closed))


def sub_sender():
    s = smtplib.SMTP(HOST, 2587, timeout=10)
    s.starttls(context=ctx())
    s.ehlo('client.example')
    s.login('joe', 'secret')
    c1, _ = s.mail('boss@example.org')
    s.rset()
    c2, _ = s.mail('joe-lists@example.org')
    s.quit()
    res('sender_not_owned_refused', c1 == 553, str(c1))
    res('sender_extension_owned', c2 == 250, str(c2))


def sub_login_mech():
    s = smtplib.SMTP(HOST, 2587, timeout=10)
    s.starttls(context=ctx())
    s.ehlo('client.example')
    s.user, s.password = 'ann@example.org', 'annpw'
    code, _ = s.auth('LOGIN', s.auth_login)
    c1, _ = s.mail('ann@example.org')
    s.quit()
    res('auth_login_mechanism', code == 235 and c1 == 250, '%s %s' % (code, c1))


def smtps():
    s = smtplib.SMTP_SSL(HOST, 2465, timeout=10, context=ctx())
    ver = s.sock.version()
    s.ehlo('client.example')
    notls = not s.has_extn('starttls')
    s.login('joe', 'secret')
    refused = s.sendmail('joe@example.org', ['friend@remote.example'], msg('smtps relay', 'joe@example.org', 'friend@remote.example'))
    s.quit()
    m = queued('smtps relay')
    res('smtps_implicit_tls', ver == 'TLSv1.3' and notls, '%s starttls offered: %s' % (ver, not notls))
    res('smtps_auth_relays', refused == {} and '(authenticated as joe)' in m, repr(m[:300]))


for name, f in [('mx_starttls', mx_starttls), ('injection', injection), ('tls_required', tls_required),
                ('sub_before_tls', sub_before_tls), ('sub_login', sub_login), ('sub_wrong', sub_wrong),
                ('sub_sender', sub_sender), ('sub_login_mech', sub_login_mech), ('smtps', smtps)]:
    run(name, f)
