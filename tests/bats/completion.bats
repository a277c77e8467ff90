#!/usr/bin/env bats
# The shell completions of pvmmap: bash driven through its completion
# function, zsh through a pseudo-terminal (zsh/zpty), fish with `complete -C`.
# They never run pvmmap itself.  The processes and addresses they offer are
# compared with /proc, read here another way: kernel threads are kthreadd
# (pid 2) and its children, not the PF_KTHREAD flag the completions read.
# check-aarch64: left out: the completion scripts are text and never run pvmmap, the same on every architecture (the x86_64 run tests them); zsh and fish are not in the guest

load helpers

BASH_COMPLETION=/usr/share/bash-completion/bash_completion

setup() {
	[[ -f $BASH_COMPLETION ]] || skip "bash-completion is not installed ($BASH_COMPLETION)"
	# shellcheck source=/dev/null
	source "$BASH_COMPLETION"
	# shellcheck source=../../completions/pvmmap
	source "$TOP/completions/pvmmap"
}

teardown() {
	local p
	for p in ${SLEEP:-} ${ZOMBIE_PARENT:-}; do
		kill "$p" 2>/dev/null || :
		wait "$p" 2>/dev/null || :
	done
}

# start_sleep: a user process of this test, $SLEEP (a sleep), once its
# mappings have settled (the same twice in a row after the exec); teardown
# kills it.
start_sleep() {
	sleep 1000 >/dev/null 2>&1 3>&- &
	SLEEP=$!
	local i a b=
	for ((i = 0; i < 100 * ${FX_WAIT_PCT:-100} / 100; i++)); do
		a=$b
		b=$(cat "/proc/$SLEEP/comm" "/proc/$SLEEP/maps" 2>/dev/null) || :
		[[ $b == sleep$'\n'* && $b == "$a" ]] && return 0
		sleep 0.05
	done
	fail "sleep $SLEEP did not settle: $b"
}

# start_zombie: a zombie, $ZOMBIE: the child of $ZOMBIE_PARENT (python3),
# which reaps it only when teardown's SIGTERM comes, so that none is left to
# init.
start_zombie() {
	local out=$BATS_TEST_TMPDIR/zombie i st=
	# made here: the background job's redirection may come after the
	# first read below (CI once read before it: cat failed, and the test)
	: > "$out"
	python3 -c '
import os, signal, sys
pid = os.fork()
if pid == 0:
    os._exit(0)
signal.signal(signal.SIGTERM, lambda *_: (os.waitpid(pid, 0), sys.exit(0)))
print(pid, flush=True)
while True:
    signal.pause()' >"$out" 2>/dev/null 3>&- &
	ZOMBIE_PARENT=$!
	for ((i = 0; i < 100 * ${FX_WAIT_PCT:-100} / 100; i++)); do
		ZOMBIE=$(cat "$out")
		if [[ -n $ZOMBIE ]]; then
			st=$(cat "/proc/$ZOMBIE/stat" 2>/dev/null) || st=
		fi
		[[ ${st##*) } == "Z $ZOMBIE_PARENT "* ]] && return 0
		sleep 0.05
	done
	fail "no zombie child of $ZOMBIE_PARENT: '$st'"
}

# need_kthreadd: skips unless pid 2 is kthreadd (not so in a PID namespace).
need_kthreadd() {
	[[ $(cat /proc/2/comm 2>/dev/null) == kthreadd ]] || skip "pid 2 is not kthreadd here (a PID namespace?)"
}

# kernel_threads: kthreadd and its children, one a line, sorted.
kernel_threads() {
	cat /proc/[0-9]*/stat 2>/dev/null |
		awk '{ pid = $1; sub(/^.*\) /, ""); if (pid == 2 || $2 == 2) print pid }' | LC_ALL=C sort
}

# no_kernel_thread: $output (one candidate a line, a description after a tab
# or a space allowed) holds no kernel thread, and there are some to miss.
no_kernel_thread() {
	local k offered
	k=$(kernel_threads)
	[[ -n $k ]] || fail "no kernel thread found in /proc"
	offered=$(awk '{ print $1 }' <<<"$output" | LC_ALL=C sort)
	assert_equal "$(LC_ALL=C comm -12 <(echo "$k") <(echo "$offered"))" ""
}

# vma_starts PID: the starts of its VMAs, 0x and the digits of /proc/PID/maps.
vma_starts() { sed 's/-.*//; s/^/0x/' "/proc/$1/maps" | LC_ALL=C sort; }

# vma_first PID: the start of its first VMA, as /proc/PID/maps prints it.
vma_first() { sed -n '1s/-.*//p' "/proc/$1/maps"; }

# vma_first_name PID: the name of its first VMA (a path, here).
vma_first_name() { awk 'NR == 1 { print $6 }' "/proc/$1/maps"; }

# vma_chain PID: the ends of its first VMA and of each VMA that follows it
# without a hole, 0x and /proc's digits.
vma_chain() {
	awk -F '[- ]' 'NR == 1 || $1 == end { end = $2; print "0x" end; next } { exit }' "/proc/$1/maps" |
		LC_ALL=C sort
}

# no_pid: a process id no process has (ids stay below pid_max).
no_pid() { cat /proc/sys/kernel/pid_max; }

# re_quote TEXT: TEXT as an extended regular expression that matches it.
# shellcheck disable=SC2001 # a bracket expression, which ${//} lacks
re_quote() { sed 's/[][\\.*^$+?(){}|]/\\&/g' <<<"$1"; }

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
	--force --frozen --progress --no-progress --quiet)

# ---------------------------------------------------------------- bash

@test "bash: the completion is registered for pvmmap" {
	run complete -p pvmmap
	assert_success
	assert_output "complete -F _pvmmap pvmmap"
}

@test "bash: pvmmap <TAB> gives the commands and the global options" {
	run complete_line "pvmmap "
	assert_success
	assert_output "$(sorted maps move copy clean help --help --usage --version -h -V)"
}

@test "bash: pvmmap -<TAB> gives the global options, -V (--version) too" {
	run complete_line "pvmmap -"
	assert_success
	assert_output "$(sorted --help --usage --version -h -V)"
}

@test "bash: pvmmap help <TAB> gives the command names, and nothing after one" {
	run complete_line "pvmmap help "
	assert_success
	assert_output "$(sorted clean copy maps move)"
	run complete_line "pvmmap help c"
	assert_success
	assert_output "$(sorted clean copy)"
	run complete_line "pvmmap help maps "
	assert_success
	assert_output ""
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
	# as many as /proc lists user processes, give or take the processes that
	# came or went
	local n
	n=$(($(find /proc -maxdepth 1 -name '[0-9]*' | wc -l) - $(kernel_threads | wc -l)))
	((${#lines[@]} > n / 2))
	# no empty candidate (run's $lines leaves empty lines out: look at $output)
	run grep -cx '' <<<"$output"
	assert_output 0
}

@test "bash: the PID operand and --to give user processes, never a kernel thread" {
	need_kthreadd
	start_sleep
	local line
	for line in "pvmmap maps " "pvmmap clean " "pvmmap move $SLEEP 0x1000 4K --to " \
		"pvmmap copy $SLEEP 0x1000 4K -t "; do
		run complete_line "$line"
		assert_success
		assert_line "$SLEEP"
		assert_line "$$"
		refute_line 2
		no_kernel_thread
	done
	# nor a zombie: its memory is gone
	start_zombie
	run complete_line "pvmmap maps "
	assert_success
	assert_line "$SLEEP"
	refute_line "$ZOMBIE"
	# a prefix narrows them, kernel threads still left out; the prefix is
	# the sleep's first digit, so that one candidate at least exists
	local d=${SLEEP:0:1}
	run complete_line "pvmmap maps $d"
	assert_success
	assert_line "$SLEEP"
	refute_line 2
	refute_line --regexp "^([^$d]|.*[^0-9])"
	no_kernel_thread
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

@test "bash: ADDR gives the starts of the PID's VMAs, in 0x hex" {
	start_sleep
	local want
	want=$(vma_starts "$SLEEP")
	[[ $want == 0x* ]]
	run complete_line "pvmmap maps $SLEEP "
	assert_success
	assert_output "$want"
	run complete_line "pvmmap move $SLEEP "
	assert_success
	assert_output "$want"
	run complete_line "pvmmap copy --dry-run $SLEEP --to $$ "
	assert_success
	assert_output "$want"
	# what is typed narrows them
	local first
	first=$(vma_first "$SLEEP")
	run complete_line "pvmmap move $SLEEP 0x${first:0:4}"
	assert_success
	assert_line "0x$first"
	assert_output "$(grep "^0x${first:0:4}" <<<"$want")"
}

@test "bash: after ADDR START-, the ends of that VMA and of those that follow it without a hole" {
	start_sleep
	local start
	start=$(vma_first "$SLEEP")
	run complete_line "pvmmap maps $SLEEP 0x$start-"
	assert_success
	assert_output "$(vma_chain "$SLEEP" | sed "s/^/0x$start-/")"
	# START as typed: without 0x, in capitals
	run complete_line "pvmmap move $SLEEP ${start^^}-"
	assert_success
	assert_output "$(vma_chain "$SLEEP" | sed "s/^/${start^^}-/")"
	# no VMA starts there: nothing
	run complete_line "pvmmap move $SLEEP 0x1-"
	assert_success
	assert_output ""
}

@test "bash: START-END is ADDR and LEN: the options come next" {
	run complete_line "pvmmap move 1 0x1000-0x2000 "
	assert_success
	assert_output "$(sorted "${MOVE_OPTS[@]}" --help --usage -h -n -q -t)"
	run complete_line "pvmmap maps 1 1000-2000 "
	assert_success
	assert_output "$(sorted --to --for --json --help --usage -h -t)"
}

@test "bash: --at gives any and the starts of the --to process's VMAs" {
	start_sleep
	local want
	want=$({ echo any; vma_starts "$SLEEP"; } | LC_ALL=C sort)
	run complete_line "pvmmap move 1 0x1000 4K --to $SLEEP --at "
	assert_success
	assert_output "$want"
	run complete_line "pvmmap copy 1 0x1000 4K --at "
	assert_success
	assert_output "any"
	# readline splits --to=PID and --at=ADDR into three words each
	run complete_words 10 pvmmap copy 1 0x1000 4K --to = "$SLEEP" --at = ''
	assert_success
	assert_output "$want"
	run complete_line "pvmmap move --at 0x -t$SLEEP 1 0x1000 4K"
	assert_success
	assert_output ""
	run complete_line "pvmmap move -t$SLEEP --at 0x"
	assert_success
	assert_output "$(vma_starts "$SLEEP")"
}

@test "bash: ADDR of a pid that does not exist or is no number, LEN and --timeout get no candidates" {
	run complete_line "pvmmap move $(no_pid) "
	assert_success
	assert_output ""
	run complete_line "pvmmap maps $(no_pid) 0x"
	assert_success
	assert_output ""
	run complete_line "pvmmap move x1 "
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

@test "bash: the completion runs under set -e and set -u" {
	start_sleep
	local start
	start=$(vma_first "$SLEEP")
	run bash -c '
		set -eu
		source "$1"
		source "$2/completions/pvmmap"
		eval "$3"
		shift 3
		for line; do complete_line "$line" >/dev/null; done
		echo survived' _ "$BASH_COMPLETION" "$TOP" "$(declare -f complete_words complete_line)" \
		"pvmmap " "pvmmap help " "pvmmap maps " "pvmmap move $SLEEP " "pvmmap move $SLEEP 0x$start-" \
		"pvmmap move $(no_pid) " "pvmmap move x " "pvmmap move 1 0x1-0x2 " "pvmmap copy 1 0x1000 4K --at " \
		"pvmmap copy 1 0x1000 4K -t $SLEEP --at " "pvmmap clean 1 " "pvmmap frobnicate "
	assert_success
	assert_output "survived"
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

# zsh_complete LINE [desc]: the candidates zsh offers for LINE<TAB>, one a
# line, sorted; with desc, the lines zsh would list for them instead
# ("CANDIDATE  -- DESCRIPTION", one a candidate: list-grouped is turned off).
# An interactive zsh runs in a pseudo-terminal with compinit and completions/
# in $fpath; compadd is wrapped to write what it adds to a file, and the
# display strings it is given (-d ARRAY) to another.  The completion is
# finished when the line typed after it has run.
zsh_complete() {
	local work=$BATS_TEST_TMPDIR/zsh
	mkdir -p "$work"
	cat >"$work/drive.zsh" <<-'EOF'
		emulate -L zsh
		zmodload zsh/zpty || exit 90
		local dir=$1 w=$2 line=$3 what=${4:-out} i
		rm -f $w/ready $w/done $w/out $w/desc
		zpty z zsh -f -i || exit 91
		zpty -w z "fpath=(${(q)dir} \$fpath); autoload -U compinit; compinit -u -d ${(q)w}/zcompdump"
		zpty -w z 'compadd() { local -a __h; builtin compadd -O __h "$@"; (( $#__h )) && print -rl -- $__h >> '${(q)w}'/out; local __d=${argv[(i)-d]}; (( __d < $# )) && print -rl -- "${(@P)argv[__d+1]}" >> '${(q)w}'/desc; builtin compadd "$@"; }'
		[[ $what == desc ]] && zpty -w z "zstyle ':completion:*' list-grouped false"
		zpty -w z "print >| ${(q)w}/ready"
		for (( i = 0; i < 300 * ${FX_WAIT_PCT:-100} / 100; i++ )); do [[ -e $w/ready ]] && break; sleep 0.1; done
		# the line, TAB, then ^U (kill the line) and a command that says "done"
		zpty -w -n z "$line"$'\t'$'\025'
		zpty -w z "print >| ${(q)w}/done"
		for (( i = 0; i < 300 * ${FX_WAIT_PCT:-100} / 100; i++ )); do [[ -e $w/done ]] && break; sleep 0.1; done
		zpty -d z
		[[ -e $w/done ]] || exit 92
		[[ -e $w/$what ]] && LC_ALL=C sort -u $w/$what | sed 's/ *$//'
		return 0
	EOF
	zsh -f "$work/drive.zsh" "$TOP/completions" "$work" "$1" "${2:-out}"
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
	assert_output "$(sorted clean copy help maps move)"
}

@test "zsh: pvmmap -<TAB> gives the global options, -V (--version) too" {
	need_zpty
	run zsh_complete "pvmmap -"
	assert_success
	assert_output "$(sorted --help --usage --version -h -V)"
}

@test "zsh: pvmmap help <TAB> gives the command names" {
	need_zpty
	run zsh_complete "pvmmap help "
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

@test "zsh: the PID operand and --to give user processes, described by their command names" {
	need_zpty
	need_kthreadd
	start_sleep
	run zsh_complete "pvmmap maps "
	assert_success
	assert_line "$SLEEP"
	assert_line "$$"
	refute_line 2
	refute_line --regexp '[^0-9]'
	no_kernel_thread
	start_zombie
	run zsh_complete "pvmmap maps " desc
	assert_success
	assert_line --regexp "^$SLEEP +-- sleep\$"
	refute_line --regexp '^2 '
	refute_line --regexp "^$ZOMBIE "
	no_kernel_thread
	run zsh_complete "pvmmap copy 1 0x1000 4K --to " desc
	assert_success
	assert_line --regexp "^$SLEEP +-- sleep\$"
	no_kernel_thread
}

@test "zsh: ADDR gives the starts of the PID's VMAs in 0x hex, described by their names" {
	need_zpty
	start_sleep
	local first name
	first=$(vma_first "$SLEEP")
	name=$(vma_first_name "$SLEEP")
	run zsh_complete "pvmmap maps $SLEEP "
	assert_success
	assert_output "$(vma_starts "$SLEEP")"
	run zsh_complete "pvmmap move $SLEEP "
	assert_success
	assert_output "$(vma_starts "$SLEEP")"
	run zsh_complete "pvmmap move $SLEEP " desc
	assert_success
	[[ -n $name ]]
	assert_line --regexp "^0x$first +-- $(re_quote "$name")\$"
}

@test "zsh: after ADDR START-, the ends of that VMA and of those that follow it without a hole" {
	need_zpty
	start_sleep
	local first name
	first=$(vma_first "$SLEEP")
	name=$(vma_first_name "$SLEEP")
	run zsh_complete "pvmmap copy $SLEEP 0x$first-"
	assert_success
	assert_output "$(vma_chain "$SLEEP")"
	run zsh_complete "pvmmap maps $SLEEP $first-" desc
	assert_success
	assert_line --regexp "^$(vma_chain "$SLEEP" | head -1) +-- end of $(re_quote "$name")\$"
}

@test "zsh: START-END is ADDR and LEN: the options come next, as after LEN" {
	need_zpty
	run zsh_complete "pvmmap move 1 0x1000-0x2000 "
	assert_success
	assert_output "$(sorted "${MOVE_OPTS[@]}" --help --usage -h -n -q -t)"
	run zsh_complete "pvmmap move 1 0x1000 4K "
	assert_success
	assert_output "$(sorted "${MOVE_OPTS[@]}" --help --usage -h -n -q -t)"
}

@test "zsh: --at gives any and the starts of the --to process's VMAs" {
	need_zpty
	start_sleep
	run zsh_complete "pvmmap copy 1 0x1000 4K --to $SLEEP --at "
	assert_success
	assert_output "$({ echo any; vma_starts "$SLEEP"; } | LC_ALL=C sort)"
}

@test "zsh: ADDR of a pid that does not exist gets no address" {
	need_zpty
	run zsh_complete "pvmmap move $(no_pid) "
	assert_success
	refute_line --regexp '^0x'
	run zsh_complete "pvmmap move $(no_pid) 0x"
	assert_success
	assert_output ""
}

# ---------------------------------------------------------------- fish

# fish_complete LINE: the candidates fish offers for LINE, without their
# descriptions, one a line, sorted.
fish_complete() {
	fish_complete_desc "$1" | cut -f1
}

# fish_complete_desc LINE: the same with their descriptions, "CANDIDATE<tab>DESCRIPTION".
fish_complete_desc() {
	fish --no-config -c 'source $argv[1]; complete -C $argv[2]' "$TOP/completions/pvmmap.fish" "$1" |
		LC_ALL=C sort
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
	assert_output "$(sorted clean copy help maps move)"
}

@test "fish: pvmmap -<TAB> gives the global options, -V (--version) too" {
	need_fish
	run fish_complete "pvmmap -"
	assert_success
	assert_output "$(sorted --help --usage --version -h -V)"
}

@test "fish: pvmmap help <TAB> gives the command names, and nothing after one" {
	need_fish
	run fish_complete "pvmmap help "
	assert_success
	assert_output "$(sorted clean copy maps move)"
	run fish_complete "pvmmap help maps "
	assert_success
	assert_output ""
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

@test "fish: the command is the word after pvmmap: maps --for move -<TAB> gives the options of maps" {
	need_fish
	run fish_complete "pvmmap maps 1 --for move --"
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

@test "fish: the PID operand and --to give process ids; ADDR of a pid that does not exist gets none" {
	need_fish
	run fish_complete "pvmmap maps "
	assert_success
	assert_line "$$"
	refute_line --regexp '[^0-9]'
	run fish_complete "pvmmap move 1 0x1000 4K --to "
	assert_success
	assert_line "$$"
	refute_line --regexp '[^0-9]'
	run fish_complete "pvmmap move $(no_pid) "
	assert_success
	assert_output ""
}

@test "fish: the PID operand and --to give user processes, described by their command names" {
	need_fish
	need_kthreadd
	start_sleep
	start_zombie
	local line
	for line in "pvmmap maps " "pvmmap clean " "pvmmap copy 1 0x1000 4K --to "; do
		run fish_complete_desc "$line"
		assert_success
		assert_line "$SLEEP"$'\t'sleep
		assert_line --regexp "^$$"$'\t'
		refute_line --regexp $'^2\t'
		refute_line --regexp "^$ZOMBIE"$'\t'
		no_kernel_thread
	done
}

@test "fish: ADDR gives the starts of the PID's VMAs in 0x hex, described by their names" {
	need_fish
	start_sleep
	local first name
	first=$(vma_first "$SLEEP")
	name=$(vma_first_name "$SLEEP")
	run fish_complete "pvmmap maps $SLEEP "
	assert_success
	assert_output "$(vma_starts "$SLEEP")"
	run fish_complete "pvmmap copy $SLEEP "
	assert_success
	assert_output "$(vma_starts "$SLEEP")"
	run fish_complete_desc "pvmmap move $SLEEP "
	assert_success
	[[ -n $name ]]
	assert_line "0x$first"$'\t'"$name"
}

@test "fish: after ADDR START-, the ends of that VMA and of those that follow it without a hole" {
	need_fish
	start_sleep
	local first name
	first=$(vma_first "$SLEEP")
	name=$(vma_first_name "$SLEEP")
	run fish_complete "pvmmap maps $SLEEP 0x$first-"
	assert_success
	assert_output "$(vma_chain "$SLEEP" | sed "s/^/0x$first-/")"
	run fish_complete_desc "pvmmap move $SLEEP $first-"
	assert_success
	assert_line "$first-$(vma_chain "$SLEEP" | head -1)"$'\t'"end of $name"
}

@test "fish: --at gives any and the starts of the --to process's VMAs" {
	need_fish
	start_sleep
	run fish_complete "pvmmap copy 1 0x1000 4K --to $SLEEP --at "
	assert_success
	assert_output "$({ echo any; vma_starts "$SLEEP"; } | LC_ALL=C sort)"
	run fish_complete "pvmmap copy 1 0x1000 4K -t$SLEEP --at "
	assert_success
	assert_output "$({ echo any; vma_starts "$SLEEP"; } | LC_ALL=C sort)"
}
