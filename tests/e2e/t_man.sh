#!/bin/bash
# Man pages as installed: every page under the home's man/ formats without a single
# groff warning (groff -man -ww -z), and every program installed in bin/ has a page
# in section 1 or 8.
. "$QM_SRC/tests/e2e/lib.sh"
inst_new
n=0 bad=
for m in "$QM_HOME"/man/man*/*; do
  [ -f "$m" ] || continue
  n=$((n + 1))
  w=$(groff -man -ww -z "$m" 2>&1)
  [ -z "$w" ] || bad="$bad ${m#"$QM_HOME"/}: $(echo "$w" | head -n 2 | tr '\n' ' ')"
done
[ "$n" -gt 0 ] && [ -z "$bad" ] && pass "man_groff_clean ($n pages)" || fail man_groff_clean "${bad:-no pages installed}"
missing=
for b in "$QM_HOME"/bin/*; do
  p=${b##*/}
  [ -f "$QM_HOME/man/man8/$p.8" ] || [ -f "$QM_HOME/man/man1/$p.1" ] || missing="$missing $p"
done
[ -z "$missing" ] && pass man_every_program || fail man_every_program "no man page for:$missing"
# The pages name their program: NAME's first word is the file's name.
wrong=
for m in "$QM_HOME"/man/man[18]/*; do
  [ -f "$m" ] || continue
  p=${m##*/}; p=${p%.*}
  first=$(sed -n '/^\.SH NAME/{n;p;q}' "$m" | sed 's/\\-/-/g' | cut -d' ' -f1)
  [ "$first" = "$p" ] || wrong="$wrong $p($first)"
done
[ -z "$wrong" ] && pass man_names_match || fail man_names_match "NAME does not start with the page's name:$wrong"
