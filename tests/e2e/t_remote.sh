#!/bin/bash
# qmail-remote against a scripted SMTP peer on loopback, routed there by smtproutes:
# the reports on stdout byte for byte, what the peer received (pipelining, dot
# stuffing, CRLF), HELO fallback, hostile replies sanitized, no server at all.
. "$QM_SRC/tests/e2e/lib.sh"
inst_new
w=$(mktemp -d /tmp/qr-e2e.XXXXXX)
trap 'rm -rf "$w"; inst_cleanup' EXIT
ip addr add 127.0.0.2/8 dev lo 2>/dev/null
printf 'example.net:[127.0.0.2]:2525\nnobody.test:[127.0.0.3]:2525\n' > "$QM_HOME/control/smtproutes"
printf '5\n' > "$QM_HOME/control/timeoutremote"
printf 'Subject: t\n\n.leading dot\nbare\rcr\n.\nend\n' > "$w/msg"

peer() { # scenario: starts the peer, waits until it listens
  rm -f "$w/ready.$1"
  python3 "$QM_SRC/tests/e2e/smtp_peer.py" 127.0.0.2 2525 "$1" "$w/got.$1" > "$w/ready.$1" &
  PEER=$!
  for _ in $(seq 50); do [ -s "$w/ready.$1" ] && return; sleep 0.1; done
}
# the peer must be done within 10 s whatever qmail-remote did
wait_peer() { ( sleep 10; kill $PEER 2>/dev/null ) & local k=$!; wait $PEER; kill $k 2>/dev/null; }
remote() { run_as qmailr "$QM_HOME/bin/qmail-remote" "$@" < "$w/msg"; }
expect_bytes() { # name file want(printf format)
  printf "$3" > "$w/want"
  if cmp -s "$2" "$w/want"; then pass "$1"; else fail "$1" "got $(od -c "$2" | head -8 | tr -s ' ')"; fi
}

peer pipe
remote example.net joe@example.org good@example.net bad@example.net tmp@example.net > "$w/out.pipe"
wait_peer
expect_bytes remote_pipe_reports "$w/out.pipe" 'r\0h127.0.0.2 does not like recipient.\nRemote host said: 550 5.1.1 no such user\n\0s127.0.0.2 does not like recipient.\nRemote host said: 451 try later\n\0K127.0.0.2 accepted message. Not encrypted.\nRemote host said: 250 ok queued as 42\n\0'
grep -q $'^MAIL FROM:<joe@example.org> SIZE=[0-9]* BODY=8BITMIME\r$' "$w/got.pipe" && pass remote_pipe_mail ||
  fail remote_pipe_mail "$(head -3 "$w/got.pipe")"
sed -n '/^DATA\r$/,/^\.\r$/p' "$w/got.pipe" | tail -n +2 > "$w/data.pipe"
expect_bytes remote_pipe_body "$w/data.pipe" 'Subject: t\r\n\r\n..leading dot\r\nbare\r\ncr\r\n..\r\nend\r\n.\r\n'
[ "$(grep -c $'^RCPT TO:<[a-z]*@example.net>\r$' "$w/got.pipe")" = 3 ] && pass remote_pipe_one_transaction ||
  fail remote_pipe_one_transaction "$(grep -c RCPT "$w/got.pipe") RCPT lines"

peer nopipe
remote example.net joe@example.org good@example.net > "$w/out.nopipe"
wait_peer
expect_bytes remote_nopipe_reports "$w/out.nopipe" 'r\0K127.0.0.2 accepted message. Not encrypted.\nRemote host said: 250 ok queued as 42\n\0'
grep -q $'^MAIL FROM:<joe@example.org>\r$' "$w/got.nopipe" && pass remote_nopipe_nosize || fail remote_nopipe_nosize "$(grep MAIL "$w/got.nopipe")"

peer helo
remote example.net '' good@example.net > "$w/out.helo"
wait_peer
grep -q $'^HELO mail.example.org\r$' "$w/got.helo" && grep -q $'^MAIL FROM:<>\r$' "$w/got.helo" &&
  pass remote_helo_fallback || fail remote_helo_fallback "$(head -4 "$w/got.helo")"

peer hostile
remote example.net joe@example.org bad@example.net > "$w/out.hostile"
wait_peer
expect_bytes remote_hostile_sanitized "$w/out.hostile" 'h127.0.0.2 does not like recipient.\nRemote host said: 550-5.1.1 no?such?[2J user\n550 secondline\n\0DGiving up on 127.0.0.2.\n\0'

remote nobody.test joe@example.org x@nobody.test > "$w/out.none"
expect_bytes remote_no_server "$w/out.none" "ZSorry, I wasn't able to establish an SMTP connection. (#4.4.1)\n\0"

printf 'no final newline' > "$w/msg"
peer pipe
remote example.net joe@example.org good@example.net > "$w/out.partial"
wait_peer
expect_bytes remote_partial_line "$w/out.partial" 'r\0DSMTP cannot transfer messages with partial final lines. (#5.6.2)\n\0'
grep -q $'^\\.\r$' "$w/got.pipe" && fail remote_partial_no_dot "a final dot was sent" || pass remote_partial_no_dot
