#!/usr/bin/env bats
# The shell completions of pvmmap: bash driven through its completion
# function, zsh through a pseudo-terminal (zsh/zpty), fish with `complete -C`.
# They never run pvmmap itself.

load helpers

BASH_COMPLETION=/usr/share/bash-completion/bash_completion

setup() {
	[[ -f $BASH_COMPLETION ]] || skip "bash-completion is not installed ($BASH_COMPLETION)"
	# shellcheck source=/dev/null
	source "$BASH_COMPLETION"
	# shellcheck source=../../completions/pvmmap
	source "$TOP/completions/pvmmap"
}

# complete_words CWORD WORD...: the candidates bash offers when the words
# are WORD... and the cursor is at the end of word CWORD; one a line, sorted.
complete_words() {
	local cword=$1
	shift
	COMP_WORDS=("$@")
	COMP_CWORD=$cword
	# words joined as the user typed them: a space between them, none around "="
	COMP_LINE=
	local i
	for ((i = 0; i <= cword; i++)); do
		if ((i > 0)) && [[ ${COMP_WORDS[i]} != = && ${COMP_WORDS[i - 1]} != = ]]; then
			COMP_LINE+=" "
		fi
		COMP_LINE+=${COMP_WORDS[i]}
	done
	COMP_POINT=${#COMP_LINE}
	COMPREPLY=()
	_pvmmap pvmmap "${COMP_WORDS[cword]}" "${COMP_WORDS[cword - 1]}"
	if ((${#COMPREPLY[@]})); then
		printf '%s\n' "${COMPREPLY[@]}" | LC_ALL=C sort
	fi
}

# complete_line LINE: the same for a command line, the cursor at its end
# (a trailing space starts a new, empty word).
complete_line() {
	local -a w
	read -ra w <<<"$1"
	[[ $1 == *' ' ]] && w+=('')
	complete_words $((${#w[@]} - 1)) "${w[@]}"
}

sorted() { printf '%s\n' "$@" | LC_ALL=C sort; }

MOVE_OPTS=(--to --at --replace --partial --dry-run --json --timeout --allow-cross-user
	--force --progress --no-progress --quiet)

# ---------------------------------------------------------------- bash

@test "bash: the completion is registered for pvmmap" {
	run complete -p pvmmap
	assert_success
	assert_output "complete -F _pvmmap pvmmap"
}

@test "bash: pvmmap <TAB> gives the commands and the global options" {
	run complete_line "pvmmap "
	assert_success
	assert_output "$(sorted maps move copy clean --help --usage --version -h)"
}

@test "bash: pvmmap mo<TAB> gives move" {
	run complete_line "pvmmap mo"
	assert_success
	assert_output "move"
}

@test "bash: pvmmap --<TAB> gives the long global options" {
	run complete_line "pvmmap --"
	assert_success
	assert_output "$(sorted --help --usage --version)"
}

@test "bash: pvmmap move --<TAB> gives the options of move" {
	run complete_line "pvmmap move --"
	assert_success
	assert_output "$(sorted "${MOVE_OPTS[@]}" --help --usage)"
}

@test "bash: pvmmap copy --<TAB> gives the options of copy (those of move)" {
	run complete_line "pvmmap copy --"
	assert_success
	assert_output "$(sorted "${MOVE_OPTS[@]}" --help --usage)"
}

@test "bash: pvmmap move -<TAB> also gives the short options" {
	run complete_line "pvmmap move -"
	assert_success
	assert_output "$(sorted "${MOVE_OPTS[@]}" --help --usage -h -n -q -t)"
}

@test "bash: pvmmap maps --<TAB> gives the options of maps" {
	run complete_line "pvmmap maps --"
	assert_success
	assert_output "$(sorted --to --for --json --help --usage)"
}

@test "bash: pvmmap maps <TAB> gives process ids, and nothing else" {
	run complete_line "pvmmap maps "
	assert_success
	assert_line "$$"
	assert_line "1"
	refute_line --regexp '[^0-9]'
	# as many as /proc lists, give or take the processes that came or went
	local n
	n=$(find /proc -maxdepth 1 -name '[0-9]*' | wc -l)
	((${#lines[@]} > n / 2))
	# no empty candidate (run's $lines leaves empty lines out: look at $output)
	run grep -cx '' <<<"$output"
	assert_output 0
}

@test "bash: pvmmap maps PREFIX<TAB> gives only the process ids with that prefix" {
	local prefix=${$:0:1}
	run complete_line "pvmmap maps $prefix"
	assert_success
	assert_line "$$"
	refute_line --regexp "^([^$prefix]|.*[^0-9])"
}

@test "bash: pvmmap move 1 0x1000 4K --to <TAB> gives process ids" {
	run complete_line "pvmmap move 1 0x1000 4K --to "
	assert_success
	assert_line "$$"
	refute_line --regexp '[^0-9]'
}

@test "bash: pvmmap copy 1 0x1000 4K -t <TAB> gives process ids (-t is --to)" {
	run complete_line "pvmmap copy 1 0x1000 4K -t "
	assert_success
	assert_line "$$"
	refute_line --regexp '[^0-9]'
	# -t 5 is an option with its value: the next word is the PID operand
	run complete_line "pvmmap maps -t 5 "
	assert_success
	assert_line "$$"
	refute_line --regexp '[^0-9]'
}

@test "bash: pvmmap copy 1 0x1000 4K --to=<TAB> gives process ids" {
	# readline splits --to=PID into three words
	run complete_words 7 pvmmap copy 1 0x1000 4K --to = ''
	assert_success
	assert_line "$$"
	refute_line --regexp '[^0-9]'
}

@test "bash: pvmmap maps 1 --for <TAB> is exactly copy move" {
	run complete_line "pvmmap maps 1 --for "
	assert_success
	assert_output "$(sorted copy move)"
}

@test "bash: pvmmap copy 1 0x1000 4K --to 2 --at <TAB> gives any" {
	run complete_line "pvmmap copy 1 0x1000 4K --to 2 --at "
	assert_success
	assert_output "any"
}

@test "bash: ADDR, LEN and the --timeout value get no candidates" {
	run complete_line "pvmmap move 1 "
	assert_success
	assert_output ""
	run complete_line "pvmmap move 1 0x1000 "
	assert_success
	assert_output ""
	run complete_line "pvmmap move 1 0x1000 4K --timeout "
	assert_success
	assert_output ""
	run complete_line "pvmmap maps 1 0x1000 "
	assert_success
	assert_output ""
}

@test "bash: after the operands, and after an option and its value, <TAB> gives the options" {
	run complete_line "pvmmap move 1 0x1000 4K "
	assert_success
	assert_output "$(sorted "${MOVE_OPTS[@]}" --help --usage -h -n -q -t)"
	# --to 5 is an option with its value, not the PID operand
	run complete_line "pvmmap move --to 5 "
	assert_success
	assert_line "$$"
	refute_line --regexp '[^0-9]'
}

@test "bash: nothing after a global option or an unknown command" {
	run complete_line "pvmmap --version "
	assert_success
	assert_output ""
	run complete_line "pvmmap frobnicate "
	assert_success
	assert_output ""
}

# ---------------------------------------------------------------- zsh

# zsh_complete LINE: the candidates zsh offers for LINE<TAB>, one a line,
# sorted.  An interactive zsh runs in a pseudo-terminal with compinit and
# completions/ in $fpath; compadd is wrapped to write what it adds to a file.
# The completion is finished when the line typed after it has run.
zsh_complete() {
	local work=$BATS_TEST_TMPDIR/zsh
	mkdir -p "$work"
	cat >"$work/drive.zsh" <<-'EOF'
		emulate -L zsh
		zmodload zsh/zpty || exit 90
		local dir=$1 w=$2 line=$3 i
		rm -f $w/ready $w/done $w/out
		zpty z zsh -f -i || exit 91
		zpty -w z "fpath=(${(q)dir} \$fpath); autoload -U compinit; compinit -u -d ${(q)w}/zcompdump"
		zpty -w z 'compadd() { local -a __h; builtin compadd -O __h "$@"; (( $#__h )) && print -rl -- $__h >> '${(q)w}'/out; builtin compadd "$@"; }'
		zpty -w z "print >| ${(q)w}/ready"
		for (( i = 0; i < 300 * ${FX_WAIT_PCT:-100} / 100; i++ )); do [[ -e $w/ready ]] && break; sleep 0.1; done
		# the line, TAB, then ^U (kill the line) and a command that says "done"
		zpty -w -n z "$line"$'\t'$'\025'
		zpty -w z "print >| ${(q)w}/done"
		for (( i = 0; i < 300 * ${FX_WAIT_PCT:-100} / 100; i++ )); do [[ -e $w/done ]] && break; sleep 0.1; done
		zpty -d z
		[[ -e $w/done ]] || exit 92
		[[ -e $w/out ]] && LC_ALL=C sort -u $w/out
		return 0
	EOF
	zsh -f "$work/drive.zsh" "$TOP/completions" "$work" "$1"
}

need_zsh() {
	command -v zsh >/dev/null || skip "zsh is not installed"
}

need_zpty() {
	need_zsh
	zsh -fc 'zmodload zsh/zpty' 2>/dev/null || skip "zsh has no zsh/zpty module"
}

@test "zsh: _pvmmap parses (zsh -n) and starts with #compdef pvmmap" {
	need_zsh
	run zsh -n "$TOP/completions/_pvmmap"
	assert_success
	assert_output ""
	run head -1 "$TOP/completions/_pvmmap"
	assert_output "#compdef pvmmap"
}

@test "zsh: pvmmap <TAB> gives the commands" {
	need_zpty
	run zsh_complete "pvmmap "
	assert_success
	assert_output "$(sorted clean copy maps move)"
}

@test "zsh: pvmmap move --<TAB> gives the options of move" {
	need_zpty
	run zsh_complete "pvmmap move --"
	assert_success
	assert_output "$(sorted "${MOVE_OPTS[@]}" --help --usage)"
}

@test "zsh: pvmmap maps 1 --for <TAB> is exactly copy move" {
	need_zpty
	run zsh_complete "pvmmap maps 1 --for "
	assert_success
	assert_output "$(sorted copy move)"
}

@test "zsh: pvmmap copy 1 0x1000 4K --to 2 --at <TAB> gives any" {
	need_zpty
	run zsh_complete "pvmmap copy 1 0x1000 4K --to 2 --at "
	assert_success
	assert_output "any"
}

@test "zsh: pvmmap move 1 0x1000 4K --to <TAB> gives process ids" {
	need_zpty
	run zsh_complete "pvmmap move 1 0x1000 4K --to "
	assert_success
	[ "${#lines[@]}" -ge 1 ]
	refute_line --regexp '[^0-9]'
}

# ---------------------------------------------------------------- fish

# fish_complete LINE: the candidates fish offers for LINE, without their
# descriptions, one a line, sorted.
fish_complete() {
	fish --no-config -c 'source $argv[1]; complete -C $argv[2]' "$TOP/completions/pvmmap.fish" "$1" |
		cut -f1 | LC_ALL=C sort
}

need_fish() {
	command -v fish >/dev/null || skip "fish is not installed"
}

@test "fish: pvmmap.fish parses (fish --no-execute)" {
	need_fish
	run fish --no-execute "$TOP/completions/pvmmap.fish"
	assert_success
	assert_output ""
}

@test "fish: pvmmap <TAB> gives the commands" {
	need_fish
	run fish_complete "pvmmap "
	assert_success
	assert_output "$(sorted clean copy maps move)"
}

@test "fish: pvmmap move --<TAB> gives the options of move" {
	need_fish
	run fish_complete "pvmmap move --"
	assert_success
	assert_output "$(sorted "${MOVE_OPTS[@]}" --help --usage)"
}

@test "fish: pvmmap maps --<TAB> gives the options of maps" {
	need_fish
	run fish_complete "pvmmap maps --"
	assert_success
	assert_output "$(sorted --to --for --json --help --usage)"
}

@test "fish: pvmmap maps 1 --for <TAB> is exactly copy move" {
	need_fish
	run fish_complete "pvmmap maps 1 --for "
	assert_success
	assert_output "$(sorted copy move)"
}

@test "fish: pvmmap copy 1 0x1000 4K --to 2 --at <TAB> gives any" {
	need_fish
	run fish_complete "pvmmap copy 1 0x1000 4K --to 2 --at "
	assert_success
	assert_output "any"
}

@test "fish: the PID operand and --to give process ids; ADDR gets none" {
	need_fish
	run fish_complete "pvmmap maps "
	assert_success
	assert_line "$$"
	refute_line --regexp '[^0-9]'
	run fish_complete "pvmmap move 1 0x1000 4K --to "
	assert_success
	assert_line "$$"
	refute_line --regexp '[^0-9]'
	run fish_complete "pvmmap move 1 "
	assert_success
	assert_output ""
}
