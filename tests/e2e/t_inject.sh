#!/bin/bash
# qmail-inject and sendmail end to end, installed: the header each writes byte for
# byte (date and id normalised, then checked apart), the envelope through a
# recording QMAILQUEUE for every flag, QMAILINJECT letter, environment variable and
# control file, every exit code, the streaming of a large body in little memory,
# Message-ID uniqueness, and finally real messages through the installed qmail-queue.
. "$QM_SRC/tests/e2e/lib.sh"
need_root
inst_new
w=$(mktemp -d /tmp/inject-e2e.XXXXXX)
chmod 755 "$w"
trap 'rm -rf "$w"; inst_cleanup' EXIT
QI=$QM_HOME/bin/qmail-inject
SM=$QM_HOME/bin/sendmail

# The recording queue program: message to msg, envelope to env, REC_ERR to fd 6,
# exit REC_EXIT; REC_NOREAD exits before reading anything.
rec=$w/rec
cat > "$rec" <<'SH'
#!/bin/sh
[ -n "$REC_NOREAD" ] && exit "$REC_NOREAD"
cat > "$REC_DIR/msg"
cat <&1 > "$REC_DIR/env"
[ -n "$REC_ERR" ] && printf '%s' "$REC_ERR" >&6
exit "${REC_EXIT:-0}"
SH
chmod 755 "$rec"

# launch PROG [VAR=value ...] -- ARGS: PROG with only the given environment.
launch() {
  local prog=$1 envs=()
  shift
  while [ "$1" != -- ]; do envs+=("$1"); shift; done
  shift
  rm -f "$w/msg" "$w/env"
  env -i PATH=/usr/bin:/bin QMAILQUEUE="$rec" REC_DIR="$w" USER=alice "${envs[@]}" "$prog" "$@"
}
inj() { launch "$QI" "$@"; }
sm() { launch "$SM" "$@"; }
# the recorded message with Date and Message-ID values replaced by DATE and ID
norm() {
  sed -E -e 's/^((Resent-)?Date): [0-9]{1,2} [A-Z][a-z]{2} [0-9]{4} [0-9]{2}:[0-9]{2}:[0-9]{2} -0000$/\1: DATE/' \
         -e 's/^((Resent-)?Message-ID): <[0-9]{14}\.[0-9]{9}\.[0-9]+\.qmail@([^>]*)>$/\1: <ID@\3>/' "$@"
}
envl() { tr '\0' '|' < "$w/env"; }
expect_eq() { if [ "$2" = "$3" ]; then pass "$1"; else fail "$1" "got '$2' want '$3'"; fi; }
expect_msg() { # name want (the normalised message)
  local got
  got=$(norm "$w/msg" 2>/dev/null; echo x)
  expect_eq "$1" "${got%x}" "$2"
}
H0='Date: DATE
Message-ID: <ID@mail.example.org>
'

# --- the plain case: echo hi | qmail-inject bob -----------------------------------
echo hi | inj -- bob@example.net
expect_eq plain_exit $? 0
expect_msg plain_msg "${H0}From: alice@mail.example.org
Cc: recipient list not shown: ;

hi
"
expect_eq plain_env "$(envl)" "Falice@mail.example.org|Tbob@example.net||"
d=$(sed -n 's/^Date: //p' "$w/msg")
now=$(date +%s) then=$(date -u -d "${d% -0000}" +%s 2>/dev/null || echo 0)
if [ $((now - then)) -ge 0 ] && [ $((now - then)) -lt 120 ]; then pass plain_date_now
else fail plain_date_now "Date: $d"; fi
id=$(sed -n 's/^Message-ID: <\([0-9]*\)\..*/\1/p' "$w/msg")
expect_eq plain_id_stamp "$id" "$(date -u -d "@$then" +%Y%m%d%H%M%S)"

# --- recipients: -a -h -H -A --------------------------------------------------------
M1='To: a@x.example, b
Cc: c@x.example
Bcc: d@x.example
Apparently-To: e@x.example
Subject: s

body
'
printf '%s' "$M1" | inj -- -a r@y.example
expect_eq opt_a "$(envl)" "Falice@mail.example.org|Tr@y.example||"
printf '%s' "$M1" | inj -- -h r@y.example
expect_eq opt_h "$(envl)" "Falice@mail.example.org|Ta@x.example|Tb@mail.example.org|Tc@x.example|Td@x.example|Te@x.example||"
printf '%s' "$M1" | inj -- -H r@y.example
expect_eq opt_H "$(envl)" "Falice@mail.example.org|Tr@y.example|Ta@x.example|Tb@mail.example.org|Tc@x.example|Td@x.example|Te@x.example||"
printf '%s' "$M1" | inj -- -A r@y.example
expect_eq opt_A_args "$(envl)" "Falice@mail.example.org|Tr@y.example||"
printf '%s' "$M1" | inj -- -a -A
expect_eq opt_A_header "$(envl)" "Falice@mail.example.org|Ta@x.example|Tb@mail.example.org|Tc@x.example|Td@x.example|Te@x.example||"
expect_msg header_rewritten "${H0}From: alice@mail.example.org
To: a@x.example, b@mail.example.org
Cc: c@x.example
Apparently-To: e@x.example
Subject: s

body
"

# --- resent messages -----------------------------------------------------------------
printf 'From: x@y.example\nTo: t@y.example\nResent-To: r1@y.example\nResent-Bcc: r2@y.example\n\nb\n' | inj --
expect_eq resent_env "$(envl)" "Falice@mail.example.org|Tr1@y.example|Tr2@y.example||"
expect_msg resent_msg "Resent-Date: DATE
Resent-Message-ID: <ID@mail.example.org>
Resent-From: alice@mail.example.org
From: x@y.example
To: t@y.example
Resent-To: r1@y.example

b
"
printf 'Resent-From: x@y.example\nTo: t@y.example\n\n' | inj -- -H r@y.example
expect_msg resent_cc "Resent-Date: DATE
Resent-Message-ID: <ID@mail.example.org>
Resent-Cc: recipient list not shown: ;
Resent-From: x@y.example
To: t@y.example

"
expect_eq resent_cc_env "$(envl)" "Falice@mail.example.org|Tr@y.example||"

# --- dropped and kept fields, -n ----------------------------------------------------------
M2='Return-Path: <rp@y.example>
Content-Length: 3
Date: Mon, 1 Jan 2024 00:00:00 +0000
Message-ID: <old@y.example>
From: Joe <joe@y.example>
Subject: kept
'
printf '%s\nbody\n' "$M2" | inj -- -n r@y.example > "$w/out"
expect_eq n_exit $? 0
expect_eq n_output "$(cat "$w/out")" "Return-Path: <rp@y.example>
Cc: recipient list not shown: ;
Date: Mon, 1 Jan 2024 00:00:00 +0000
Message-ID: <old@y.example>
From: Joe <joe@y.example>
Subject: kept

body"
[ -e "$w/env" ] && fail n_no_queue "qmail-queue ran" || pass n_no_queue
printf '%s\n' "$M2" | inj -- -n -N r@y.example > "$w/out"
expect_eq N_queues "$(envl)" "Frp@y.example|Tr@y.example||"
printf '%s\n' "$M2" | inj QMAILINJECT=fis -- r@y.example
expect_eq letters_fis_env "$(envl)" "Falice@mail.example.org|Tr@y.example||"
expect_msg letters_fis_msg "Message-ID: <ID@mail.example.org>
From: alice@mail.example.org
Cc: recipient list not shown: ;
Date: Mon, 1 Jan 2024 00:00:00 +0000
Subject: kept

"

# --- envelope sender: -f, VERP letters, QMAILSUSER/QMAILSHOST ---------------------------
sender() { echo hi | inj "$@" r@y.example; tr '\0' '\n' < "$w/env" | head -n 1; }
expect_eq f_sender "$(sender -- -f s@y.example)" Fs@y.example
expect_eq f_short "$(sender -- -f s)" Fs@mail.example.org
expect_eq f_null "$(sender -- -f '')" F
expect_eq f_null_brackets "$(sender -- -f '<>')" F
expect_eq verp_r "$(sender QMAILINJECT=r --)" "Falice-@mail.example.org-@[]"
expect_eq verp_r_f "$(sender QMAILINJECT=r -- -f s@y.example)" "Fs@y.example"
v=$(sender QMAILINJECT=m --)
[[ $v =~ ^Falice-[0-9]+\.[0-9]+@mail\.example\.org$ ]] && pass verp_m || fail verp_m "$v"
v=$(sender QMAILINJECT=mr --)
[[ $v =~ ^Falice-[0-9]+\.[0-9]+-@mail\.example\.org-@\[\]$ ]] && pass verp_mr || fail verp_mr "$v"
expect_eq suser_shost "$(sender QMAILSUSER=bounce QMAILSHOST=lists.example --)" Fbounce@lists.example
printf 'Return-Path: <rp@y.example>\n\n' | inj QMAILINJECT=r -- r@y.example
expect_eq verp_r_return_path "$(tr '\0' '\n' < "$w/env" | head -n 1)" "Frp@y.example-@[]"

# --- From: from the environment -------------------------------------------------------------
from() { echo | inj "$@" -- -n r@y.example | sed -n 's/^From: //p'; }
expect_eq from_user "$(from)" "alice@mail.example.org"
expect_eq from_qmailuser "$(from QMAILUSER=q MAILUSER=m LOGNAME=l)" "q@mail.example.org"
expect_eq from_mailuser "$(from MAILUSER=m LOGNAME=l)" "m@mail.example.org"
expect_eq from_logname "$(env -u USER bash -c 'echo | env -i PATH=/usr/bin:/bin LOGNAME=l '"$QI"' -n r@y.example' | sed -n 's/^From: //p')" "l@mail.example.org"
expect_eq from_anonymous "$(echo | env -i PATH=/usr/bin:/bin "$QI" -n r@y.example | sed -n 's/^From: //p')" "anonymous@mail.example.org"
expect_eq from_qmailhost "$(from QMAILHOST=h.example MAILHOST=m.example)" "alice@h.example"
expect_eq from_mailhost "$(from MAILHOST=m.example)" "alice@m.example"
expect_eq from_name "$(from QMAILNAME='Q Name' MAILNAME=M NAME=N)" '"Q Name" <alice@mail.example.org>'
expect_eq from_mailname "$(from MAILNAME=M NAME=N)" '"M" <alice@mail.example.org>'
expect_eq from_name_env "$(from NAME=N)" '"N" <alice@mail.example.org>'
expect_eq from_name_comment "$(from NAME=N QMAILINJECT=c)" 'alice@mail.example.org (N)'
expect_eq from_name_hostile "$(from NAME="$(printf 'A\nBcc: evil@x')")" '"A Bcc: evil@x" <alice@mail.example.org>'

# --- control files and their environment overrides ---------------------------------------
c=$QM_HOME/control
printf 'dh.example\n' > "$c/defaulthost"
printf 'dd.example\n' > "$c/defaultdomain"
printf 'pd.example\n' > "$c/plusdomain"
printf 'id.example\n' > "$c/idhost"
printf 'To: a, b@host, c@host+\n\n' | inj -- -n > "$w/out"
expect_eq controls "$(norm "$w/out")" "Return-Path: <alice@dh.example>
Date: DATE
Message-ID: <ID@id.example>
From: alice@dh.example
To: a@dh.example, b@host.dd.example, c@host.pd.example"
printf 'To: a, b@host, c@host+\n\n' | inj QMAILDEFAULTHOST=eh QMAILDEFAULTDOMAIN=ed.example \
  QMAILPLUSDOMAIN=ep.example QMAILIDHOST=ei.example -- -n > "$w/out"
expect_eq controls_env "$(norm "$w/out")" "Return-Path: <alice@eh.ed.example>
Date: DATE
Message-ID: <ID@ei.example>
From: alice@eh.ed.example
To: a@eh.ed.example, b@host.ed.example, c@host.ep.example"
rm -f "$c/defaulthost" "$c/plusdomain" "$c/idhost"
printf 'example.org\n' > "$c/defaultdomain"

# --- address lists, CRLF, Mail-Followup-To ---------------------------------------------------
printf 'To: "Smith, J" <@r.example:js@y>, (c) k (kk) , list: m, n@y.example;, <>\r\nCc: x@y.example\r\n\r\nline\r\nlone\rcr\r\n' | inj -- -h
expect_msg addresses_crlf "${H0}From: alice@mail.example.org
To: \"Smith, J\" <js@y.example.org>, (c) k@mail.example.org (kk) , list: m@mail.example.org, n@y.example;, <>
Cc: x@y.example

line
lone$(printf '\r')cr
"
expect_eq addresses_env "$(envl)" "Falice@mail.example.org|Tjs@y.example.org|Tk@mail.example.org|Tm@mail.example.org|Tn@y.example|Tx@y.example||"
printf 'list@y.example\n' > "$w/mft"
printf 'To: list@y.example\nCc: bob@y.example\n\n' | (cd "$w" && inj QMAILMFTFILE=mft -- -n) > "$w/out"
expect_eq mail_followup_to "$(norm "$w/out" | sed -n '/^Mail-Followup-To/,/^To/p')" "Mail-Followup-To: list@y.example,
  bob@y.example
To: list@y.example"

# --- exit codes ---------------------------------------------------------------------------------
code() { local name=$1 want=$2; shift 2; "$@" > /dev/null 2> "$w/err"; expect_eq "exit_$name" $? "$want"; }
code usage 100 inj -- -x r@y.example < /dev/null
grep -q '^qmail-inject: usage: ' "$w/err" && pass usage_text || fail usage_text "$(cat "$w/err")"
code bad_arg 100 inj -- 'a b@c d' < /dev/null
grep -q '^qmail-inject: fatal: unable to parse address: a b@c d$' "$w/err" && pass bad_arg_text || fail bad_arg_text "$(cat "$w/err")"
code empty_arg 100 inj -- '' < /dev/null
code long_arg 100 inj -- "$(head -c 1001 /dev/zero | tr '\0' a)" < /dev/null
code bad_from 100 inj -- r@y.example <<< $'From: John Smith\n'
grep -q '^qmail-inject: fatal: unable to parse the addresses in header field: From$' "$w/err" && pass bad_from_text || fail bad_from_text "$(cat "$w/err")"
code bad_to_h 100 inj -- -h <<< $'To: <unclosed\n'
code bad_to_a 0 inj -- -a r@y.example <<< $'To: <unclosed\n'
printf 'A: \0\n\n' > "$w/nul"
code header_nul 100 inj -- r@y.example < "$w/nul"
{ printf 'X: '; head -c 70000 /dev/zero | tr '\0' a; printf '\n\n'; } > "$w/long"
code field_long 100 inj -- r@y.example < "$w/long"
grep -q 'fatal: header field longer than 64 KiB' "$w/err" && pass field_long_text || fail field_long_text "$(cat "$w/err")"
{ for i in $(seq 20); do printf 'X: '; head -c 60000 /dev/zero | tr '\0' a; printf '\n'; done; printf '\n'; } > "$w/long"
code block_long 100 inj -- r@y.example < "$w/long"
grep -q 'fatal: header longer than 1 MiB' "$w/err" && pass block_long_text || fail block_long_text "$(cat "$w/err")"
code no_recipients 100 inj -- < /dev/null
[ -e "$w/env" ] && fail no_recipients_nothing_run "qmail-queue ran" || pass no_recipients_nothing_run
code qq_perm 100 inj REC_EXIT=31 -- r@y.example <<< hi
grep -q 'fatal: mail server permanently rejected message (#5.3.0)' "$w/err" && pass qq_perm_text || fail qq_perm_text "$(cat "$w/err")"
code qq_temp 111 inj REC_EXIT=71 -- r@y.example <<< hi
code qq_custom_d 100 inj REC_EXIT=82 REC_ERR='Dno thanks (#5.7.1)' -- r@y.example <<< hi
grep -q 'fatal: no thanks (#5.7.1)$' "$w/err" && pass qq_custom_text || fail qq_custom_text "$(cat "$w/err")"
code qq_custom_z 111 inj REC_EXIT=82 REC_ERR='Zlater' -- r@y.example <<< hi
code qq_missing 111 inj QMAILQUEUE=/nonexistent -- r@y.example <<< hi
head -c 4000000 /dev/zero > "$w/big"
code qq_dies_early 100 inj REC_NOREAD=31 -- r@y.example < "$w/big"
mkdir "$c/defaulthost"
code control_unreadable 111 inj -- r@y.example <<< hi
rmdir "$c/defaulthost"
printf 'a(b\n' > "$c/defaulthost"
code control_unparsable 100 inj -- r@y.example <<< hi
rm -f "$c/defaulthost"

# --- the body is streamed: 64 MiB through a process limited to 48 MiB ---------------------
n=$( { printf 'Subject: big\n\n'; yes 0123456789abcde | head -c 67108864; } |
  (ulimit -v 49152; inj -- -n r@y.example) | sed '1,/^$/d' | wc -c)
expect_eq body_streamed "$n" 67108864

# --- Message-ID unique over many quick injections ----------------------------------------
for i in $(seq 300); do echo | inj -- -n r@y.example | sed -n 's/^Message-ID: //p'; done > "$w/ids"
expect_eq msgid_unique "$(sort -u "$w/ids" | wc -l)" 300

# --- sendmail -----------------------------------------------------------------------------------
printf 'To: t@y.example\nBcc: b@y.example\n\nhi\n.\nafter the dot\n' | sm -- -t -i -oi -odi -oem -B8BITMIME r@y.example
expect_eq sm_t_exit $? 0
expect_eq sm_t_env "$(envl)" "Falice@mail.example.org|Tr@y.example|Tt@y.example|Tb@y.example||"
grep -q '^after the dot$' "$w/msg" && pass sm_dot_not_end || fail sm_dot_not_end "body cut at the dot"
printf 'To: t@y.example\n\nhi\n' | sm -- r@y.example
expect_eq sm_args_only "$(envl)" "Falice@mail.example.org|Tr@y.example||"
printf 'Subject: s\n\n' | sm NAME=Someone MAILHOST=m.example -- -f 'sender@s.example' -F 'Full Name' r@y.example
expect_eq sm_f_env "$(envl)" "Fsender@s.example|Tr@y.example||"
expect_eq sm_f_from "$(sed -n 's/^From: //p' "$w/msg")" '"Full Name" <sender@s.example>'
printf 'Subject: s\n\n' | sm NAME=Someone -- -fsender@s.example r@y.example
expect_eq sm_f_from_noname "$(sed -n 's/^From: //p' "$w/msg")" 'sender@s.example'
printf 'Subject: s\n\n' | sm -- -FCronDaemon r@y.example
expect_eq sm_F "$(sed -n 's/^From: //p' "$w/msg")" '"CronDaemon" <alice@mail.example.org>'
printf 'Subject: s\n\n' | sm -- -f '' r@y.example
expect_eq sm_null_sender "$(envl)" "F|Tr@y.example||"
code sm_usage 100 sm -- -q < /dev/null
code sm_missing_value 100 sm -- -f < /dev/null
code sm_bad_b 100 sm -- -bz < /dev/null
code sm_no_recipients 100 sm -- < /dev/null
code sm_bad_address 100 sm -- 'a b@c d' < /dev/null
code sm_qq_temp 111 sm REC_EXIT=71 -- r@y.example <<< hi
ln -s "$SM" "$w/newaliases"
code sm_newaliases 100 "$w/newaliases"
code sm_bi 100 sm -- -bi
ln -s "$SM" "$w/mailq"
code sm_mailq 0 "$w/mailq"
code sm_bp 0 sm -- -bp
if [ -x "$QM_HOME/bin/qmail-smtpd" ]; then
  out=$(printf 'QUIT\r\n' | sm -- -bs | head -c 4)
  expect_eq sm_bs "$out" "220 "
  # the environment -bs sets lets the local user relay, with the sender as given
  printf 'HELO x\r\nMAIL FROM:<a@b.example>\r\nRCPT TO:<x@elsewhere.example>\r\nDATA\r\nSubject: s\r\n\r\nhi\r\n.\r\nQUIT\r\n' |
    sm -- -bs > "$w/bs.out" 2> "$w/bs.err"
  grep -q '^250' "$w/bs.out" && [ "$(grep -c '^[45]' "$w/bs.out")" = 0 ] && pass sm_bs_relay ||
    fail sm_bs_relay "$(tr '\r\n' '  ' < "$w/bs.out")"
  expect_eq sm_bs_envelope "$(envl)" "Fa@b.example|Tx@elsewhere.example||"
else
  code sm_bs_missing 111 sm -- -bs < /dev/null
  grep -q "sendmail: fatal: unable to run $QM_HOME/bin/qmail-smtpd" "$w/err" && pass sm_bs_text || fail sm_bs_text "$(cat "$w/err")"
fi
mv "$QI" "$QI.away"
code sm_no_inject 111 sm -- r@y.example <<< hi
mv "$QI.away" "$QI"

# --- through the real qmail-queue --------------------------------------------------------------
q=$QM_HOME/queue
find "$q/todo" -type f -delete
echo hi | run_as nobody env -i PATH=/usr/bin:/bin USER=nobody "$QI" someone@localhost
expect_eq real_exit $? 0
id=$(ls "$q/todo")
if [ -n "$id" ]; then
  printf 'u%s\0p' "$(id -u nobody)" > "$w/want"
  expect_eq real_envelope "$(tr '\0' '|' < "$q/todo/$id" | sed 's/^u[0-9]*|p[0-9]*|//')" "Fnobody@mail.example.org|Tsomeone@localhost.example.org|"
  s=$((id % $(head -n 1 "$QM_SRC/conf-files/conf-split")))
  got=$(tail -n +2 "$q/mess/$s/$id" | norm; echo x)
  expect_eq real_message "${got%x}" "${H0}From: nobody@mail.example.org
Cc: recipient list not shown: ;

hi
"
  head -n 1 "$q/mess/$s/$id" | grep -q "^Received: (qmail [0-9]* invoked by uid $(id -u nobody)); " &&
    pass real_received || fail real_received "$(head -n 1 "$q/mess/$s/$id")"
  # ... and qmail-qread lists it: one message, its sender, its one recipient.
  qr=$("$QM_HOME/bin/qmail-qread" 2>&1)
  if [ "$(printf '%s\n' "$qr" | grep -c "#$id ")" = 1 ] &&
     printf '%s\n' "$qr" | grep -q "#$id  [0-9]*  <nobody@mail.example.org> " &&
     printf '%s\n' "$qr" | grep -qx "$(printf '\t')todo$(printf '\t')someone@localhost.example.org"; then
    pass real_qread_lists
  else
    fail real_qread_lists "$qr"
  fi
else
  fail real_envelope "nothing in queue/todo"
fi
find "$q/todo" -type f -delete
printf 'To: t@localhost\n\nhi\n' | run_as nobody env -i PATH=/usr/bin:/bin USER=nobody "$SM" -t
expect_eq real_sendmail_exit $? 0
id=$(ls "$q/todo")
[ -n "$id" ] && expect_eq real_sendmail_envelope "$(tr '\0' '|' < "$q/todo/$id" | sed 's/^u[0-9]*|p[0-9]*|//')" \
  "Fnobody@mail.example.org|Tt@localhost.example.org|" || fail real_sendmail_envelope "nothing queued"
