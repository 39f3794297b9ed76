#!/bin/sh
# SPDX-License-Identifier: ISC
# completion.sh: the shell completions of p2pctl, asked as the shells ask
# them. bash sources contrib/completion/bash/p2pctl and calls its function
# with COMP_WORDS/COMP_CWORD as bash sets them; zsh sources _p2pctl with
# words/CURRENT/PREFIX and compadd recording the candidates. Against a
# running agent with a session to bob and the group lobby: commands, a
# command's options and an option's values (from p2pctl --help), peer ids
# and group names (from the agent, over the socket named on the line).
. "$top_srcdir/tests/integration/lib.sh"

command -v bash >/dev/null 2>&1 || skip "bash not found"
BASHC="$top_srcdir/contrib/completion/bash/p2pctl"
ZSHC="$top_srcdir/contrib/completion/zsh/_p2pctl"

start_server
start_agent alice lobby
start_agent bob lobby
wait_registered alice bob
ctl alice connect bob --timeout 10 || fail "connect"
ctl alice group join lobby || fail "group join"
S="$T/alice/sock"

# bcomp WORDS...: the candidates bash offers for the last word.
bcomp() {
	bash -c '. "$1"; shift; COMP_WORDS=("$@"); COMP_CWORD=$(($# - 1))
	    _p2pctl; printf "%s\n" "${COMPREPLY[@]}"' bcomp "$BASHC" "$@"
}
want() {	# want WHAT CANDIDATES WORD...: each WORD is among CANDIDATES
	_what=$1 _c=$2; shift 2
	for _w in "$@"; do
		printf '%s\n' "$_c" | grep -qx -- "$_w" ||
		    fail "$_what: '$_w' not offered; got: $(echo $_c)"
	done
	echo "$_what: $(echo $_c)"
}
P="$P2PCTL"
want "bash: p2pctl <tab>" "$(bcomp "$P" "")" status peers connect send recv pipe ping events nat group match
want "bash: p2pctl pi<tab>" "$(bcomp "$P" pi)" ping pipe
[ "$(bcomp "$P" pi | grep -c .)" -eq 2 ] || fail "bash: pi offered more than ping and pipe"
want "bash: p2pctl -<tab>" "$(bcomp "$P" -)" -s --socket --json --help --version
want "bash: p2pctl -s S connect <tab>" "$(bcomp "$P" -s "$S" connect "")" bob
want "bash: p2pctl --socket=S send <tab>" "$(bcomp "$P" "--socket=$S" send "")" bob
want "bash: p2pctl send bob --<tab>" "$(bcomp "$P" -s "$S" send bob --)" --service --sync --mode --channel
want "bash: p2pctl send bob --mode <tab>" "$(bcomp "$P" -s "$S" send bob --mode "")" reliable unordered sequenced unreliable
want "bash: p2pctl ping bob -<tab>" "$(bcomp "$P" -s "$S" ping bob -)" -c -i --timeout
bcomp "$P" -s "$S" ping bob - | grep -qx -- -s && fail "bash: the global -s offered as a ping option"
want "bash: p2pctl group <tab>" "$(bcomp "$P" -s "$S" group "")" create destroy join leave list show send search
want "bash: p2pctl match --<tab>" "$(bcomp "$P" -s "$S" match --)" --attr --size --timeout --cancel
want "bash: p2pctl group show <tab>" "$(bcomp "$P" -s "$S" group show "")" lobby
[ -z "$(bcomp "$P" -s "$S" send bob --service "")" ] || fail "bash: a value was offered for --service NAME"
[ -z "$(bcomp "$P" -s "$T/nosuch" connect "")" ] || fail "bash: peers offered without an agent"

if command -v zsh >/dev/null 2>&1; then
	# zcomp WORDS...: the candidates the zsh function passes to compadd.
	zcomp() {
		zsh -f -c 'compadd() { print -rl -- ${@:#--} }; _files() { print -r -- FILES }
		    words=("${@:2}"); CURRENT=$(($# - 1)); PREFIX=${words[CURRENT]}
		    source "$1"' zcomp "$ZSHC" "$@"
	}
	want "zsh: p2pctl <tab>" "$(zcomp "$P" "")" status peers connect send recv pipe ping events nat group
	want "zsh: p2pctl -s S connect <tab>" "$(zcomp "$P" -s "$S" connect "")" bob
	want "zsh: p2pctl send bob --mode <tab>" "$(zcomp "$P" -s "$S" send bob --mode "")" reliable unordered sequenced unreliable
	want "zsh: p2pctl send bob --<tab>" "$(zcomp "$P" -s "$S" send bob --)" --service --sync --mode --channel
	want "zsh: p2pctl group show <tab>" "$(zcomp "$P" -s "$S" group show "")" lobby
	want "zsh: p2pctl match --attr a=b --<tab>" "$(zcomp "$P" -s "$S" match --attr a=b --)" --size --timeout --cancel
	want "zsh: p2pctl -s <tab>" "$(zcomp "$P" -s "")" FILES
else
	echo "zsh not installed: its completion was not exercised"
fi
echo ok
