#!/usr/bin/env bats
# The conventions of a careful Linux tool (issue 9, second section): how
# addresses and lengths are written (a line of /proc/PID/maps pasted as it
# is), negative numbers, the form of a usage error, control characters in
# arguments, `pvmmap help`, -V, the METHOD column, what fits a terminal and
# what a pipe gets, which stream gets what (and -q), write errors (exit 7),
# death by a terminating signal after the report (128+n), and the progress
# line.  cli.bats has the rest of the command line.
# check-aarch64: left out: how numbers, usage errors, streams and terminals are handled by the command line, the same on every architecture (the x86_64 run tests it); 35 tests at about a minute each under emulation

bats_require_minimum_version 1.5.0

# An address no mapper uses: far below the mmap area and above the program.
FREE=0x100000000000
# The label of the file mapping whose name is longer than a terminal row.
LONG='long-name-that-a-terminal-row-must-cut'

setup_file() {
	load fixture; fx_setup_file
	start_mapper src anon several thread "file-shared:label=$LONG"
	start_mapper dst anon
}

teardown_file() { fx_teardown; }

setup() { load fixture; fx_setup src dst; E=$'\r\e[K'; }

teardown() { fx_teardown; }

# starts ADDR...: the range pvmmap makes of each ADDR (maps $$ ADDR --json),
# as "start end", one a line.
starts() {
	local a docs=''
	for a; do
		pvrun 0 maps $$ "$a" --json
		docs+=$output
	done
	jq -r '"\(.range.start) \(.range.end)"' <<< "$docs"
}

# pvfull STATUS ARGS...: pvmmap ARGS with stdout on /dev/full, its stderr in
# $stderr; fails unless it exits STATUS.
pvfull() {
	local want=$1 err
	shift
	err="$(fx_dir)/pvfull.err"
	status=0
	"$PVMMAP" "$@" > /dev/full 2> "$err" || status=$?
	stderr=$(< "$err")
	[[ $status == "$want" ]] || fail "pvmmap $* >/dev/full exited $status, not $want; stderr: $stderr"
}

# maps_line PID ADDR: the first field (START-END) of the line of
# /proc/PID/maps that starts at 0xADDR.
maps_line() { awk -v a="${2#0x}" 'index($1, a "-") == 1 { print $1 }' "/proc/$1/maps"; }

# The text of one progress redraw: 'pvmmap: 1.2G of 2G copied (60%)', then
# ', 850M/s' and ', 1s left' once known.
SZ='[0-9]+(\.[0-9])?[BKMGTPE]'
PROGRESS="^pvmmap: $SZ of $SZ copied \\([0-9]{1,3}%\\)(, $SZ/s(, <?[0-9][0-9hms:.]* left)?)?\$"

# ---- 1. ADDR -------------------------------------------------------------------

@test "ADDR: 0x is hex; a leading 0 or a hex letter is hex too; other digits are decimal" {
	# the decimal ones as shell arithmetic prints them
	run -0 starts 0x10000 0X10000 010000 00010000 0000555c75e15000 00400000 \
		7ffd1234a000 7FFD1234A000 abc000 65536 4096 0 "$(( 0x555555554000 ))"
	assert_output '0x10000 0x11000
0x10000 0x11000
0x10000 0x11000
0x10000 0x11000
0x555c75e15000 0x555c75e16000
0x400000 0x401000
0x7ffd1234a000 0x7ffd1234b000
0x7ffd1234a000 0x7ffd1234b000
0xabc000 0xabd000
0x10000 0x11000
0x1000 0x2000
0x0 0x1000
0x555555554000 0x555555555000'
}

@test "ADDR as pvmmap prints it (16 digits, zero-padded) is hex, and --at takes the same forms" {
	local s e
	s=$(fx_start src anon)
	e=$(fx_end src anon)
	pvrun 0 maps "$SRC" "$(printf '%016x' "$s")" --json
	assert_equal "$(jqo -c '[.range.start, .vmas[0].start, .vmas[0].end]')" "[\"$s\",\"$s\",\"$e\"]"
	pvrun 0 copy "$SRC" "$s" 4K --to "$DST" --at "$(printf '%016x' "$FREE")" -n --json
	assert_equal "$(jqo '.dest.start')" "$FREE"
	pvrun 0 copy "$SRC" "$s" 4K --to "$DST" --at 0000100000001000 -n --json
	assert_equal "$(jqo '.dest.start')" 0x100000001000
}

@test "START-END pasted from /proc/PID/maps is the range, for maps, move and copy" {
	local s e f
	s=$(fx_start src anon)
	e=$(fx_end src anon)
	f=$(maps_line "$SRC" "$s")
	assert_equal "$f" "${s#0x}-${e#0x}"
	pvrun 0 maps "$SRC" "$f" --json
	assert_equal "$(jqo -c '[.range.start, .range.end, (.vmas | length), .vmas[0].start]')" \
		"[\"$s\",\"$e\",1,\"$s\"]"
	pvrun 0 move "$SRC" "$f" --to "$DST" --at "$FREE" -n --json
	assert_equal "$(jqo -c '[.range.start, .range.end, .dest.start, .dest.end]')" \
		"[\"$s\",\"$e\",\"$FREE\",\"$(hex "$FREE + $e - $s")\"]"
	pvrun 0 copy "$SRC" "$f" --to "$DST" --at "$FREE" -n --json
	assert_equal "$(jqo -c '[.range.start, .range.end]')" "[\"$s\",\"$e\"]"
	# 0x on either side, or both; as the table prints them (16 digits)
	local form
	for form in "$s-$e" "$s-${e#0x}" "${s#0x}-$e" "$(printf '%016x-%016x' "$s" "$e")"; do
		pvrun 0 maps "$SRC" "$form" --json
		assert_equal "$(jqo -c '[.range.start, .range.end]')" "[\"$s\",\"$e\"]"
	done
}

@test "START-END: both sides are hex even when they look decimal" {
	pvrun 0 maps $$ 10000-20000 --json
	assert_equal "$(jqo -c '.range')" '{"start":"0x10000","end":"0x20000"}'
	pvrun 0 maps $$ 0X10000-0X11000 --json
	assert_equal "$(jqo -c '.range')" '{"start":"0x10000","end":"0x11000"}'
}

@test "START-END: a LEN after it, an empty or reversed range, an unaligned side: usage errors" {
	usage_match "^pvmmap maps: length '4096' given after the range '10000-20000'\$" \
		maps $$ 10000-20000 4096
	usage_match "^pvmmap move: length '4K' given after the range '0x10000-0x20000'\$" \
		move $$ 0x10000-0x20000 4K --to $$ -n
	usage_match "^pvmmap maps: .*'20000-10000'.*(is empty|ends before it starts)" maps $$ 20000-10000
	usage_match "^pvmmap maps: .*'10000-10000'.*(is empty|ends before it starts)" maps $$ 10000-10000
	usage_match "^pvmmap copy: .*'0x20000-0x10000'.*(is empty|ends before it starts)" \
		copy $$ 0x20000-0x10000 --to $$ -n
	usage_match "^pvmmap maps: .*not page aligned" maps $$ 10001-20000
	usage_match "^pvmmap maps: .*not page aligned" maps $$ 10000-20001
	# --at takes one address
	usage_error "pvmmap move: --at '0x20000-0x30000': not a valid number" \
		move $$ 0x10000 4K --to $$ --at 0x20000-0x30000 -n
}

@test "an unaligned decimal ADDR: the message says how to write it in hex, when that reading is aligned" {
	usage_error "pvmmap maps: address '555555554000' is not page aligned (pages are 4096 bytes); if it is hex, write 0x555555554000" \
		maps $$ 555555554000
	# hex already: no such hint
	usage_error "pvmmap maps: address '0x1001' is not page aligned (pages are 4096 bytes)" maps $$ 0x1001
	usage_error "pvmmap maps: address '01001' is not page aligned (pages are 4096 bytes)" maps $$ 01001
	usage_error "pvmmap maps: address '7ffd1234a001' is not page aligned (pages are 4096 bytes)" \
		maps $$ 7ffd1234a001
	# read as hex, 20 digits do not fit in 64 bits: no hint
	usage_error "pvmmap maps: address '10000000000000000001' is not page aligned (pages are 4096 bytes)" \
		maps $$ 10000000000000000001
	# the hex reading is a number, though not an aligned one: no hint (it
	# would propose another unaligned address)
	usage_error "pvmmap move: address '4097' is not page aligned (pages are 4096 bytes)" \
		move $$ 4097 4K --to $$ -n
}

# ---- 2. LEN ----------------------------------------------------------------------

@test "LEN suffixes in any case, with or without B or iB, are powers of 1024" {
	run -0 ranges '0x10000 4k' '0x10000 4K' '0x10000 4kb' '0x10000 4KB' '0x10000 4Kb' \
		'0x10000 4kib' '0x10000 4KiB' '0x10000 4KIB'
	assert_output "$(printf '0x11000\n%.0s' {1..8})"
	run -0 ranges '0x10000 1m' '0x10000 1mb' '0x10000 1MB' '0x10000 1MiB' '0x10000 1mib' '0x10000 1MIB'
	assert_output "$(printf '0x110000\n%.0s' {1..6})"
	run -0 ranges '0x10000 1g' '0x10000 1gb' '0x10000 1GB' '0x10000 1GiB' '0x10000 1gib'
	assert_output "$(printf '0x40010000\n%.0s' {1..5})"
	run -0 ranges '0x10000 1t' '0x10000 1tb' '0x10000 1TB' '0x10000 1TiB' '0x10000 1tib'
	assert_output "$(printf '0x10000010000\n%.0s' {1..5})"
	# a hex count takes them too
	run -0 ranges '0x10000 0x10kb' '0x10000 0x1M'
	assert_output '0x14000
0x110000'
}

@test "an invalid LEN suffix: the message lists the valid ones" {
	local l
	for l in 1x 4kbit 4KiBB 4ki; do
		usage_error "pvmmap maps: length '$l': not a valid number (suffixes, in any case: K M G T, KB MB GB TB, KiB MiB GiB TiB; all powers of 1024)" \
			maps $$ 0x10000 "$l"
	done
}

# ---- 3. negative numbers ------------------------------------------------------------

@test "a negative number is said to be one, wherever a number goes, never taken for an option" {
	usage_error "pvmmap maps: PID '-1': negative numbers are not allowed" maps -1
	usage_error "pvmmap maps: PID '-1': negative numbers are not allowed" maps -- -1
	usage_error "pvmmap move: PID '-42': negative numbers are not allowed" move -42 0x1000 4K --to $$ -n
	usage_error "pvmmap maps: address '-4096': negative numbers are not allowed" maps $$ -4096
	usage_error "pvmmap maps: address '-0x1000': negative numbers are not allowed" maps $$ -0x1000
	usage_error "pvmmap maps: length '-1': negative numbers are not allowed" maps $$ 0x1000 -1
	usage_error "pvmmap copy: length '-4K': negative numbers are not allowed" copy $$ 0x1000 -4K --to $$ -n
	usage_error "pvmmap maps: --to '-5': negative numbers are not allowed" maps $$ --to -5
	usage_error "pvmmap maps: --to '-5': negative numbers are not allowed" maps $$ --to=-5
	usage_error "pvmmap move: --to '-5': negative numbers are not allowed" move $$ 0x1000 4K -t -5 -n
	usage_error "pvmmap move: --at '-4096': negative numbers are not allowed" \
		move $$ 0x1000 4K --to $$ --at -4096 -n
	usage_error "pvmmap clean: PID '-7': negative numbers are not allowed" clean -7
	usage_error "pvmmap move: --timeout '-1': negative numbers are not allowed" \
		move $$ 0x1000 4K --to $$ -n --timeout -1
	usage_error "pvmmap copy: --timeout '-0.5': negative numbers are not allowed" \
		copy $$ 0x1000 4K --to $$ -n --timeout=-0.5
}

# ---- 4. usage errors ---------------------------------------------------------------

@test "a usage error in a command: its message, then Try 'pvmmap CMD --help'; nothing on stdout" {
	# usage_error demands exactly these two lines
	usage_error "pvmmap maps: unrecognized option '--bogus'" maps $$ --bogus
	usage_error "pvmmap move: address 'x': not a valid number" move $$ x 4K --to $$
	usage_error 'pvmmap copy: missing --to PID2 (the process that receives the range)' copy $$ 0x1000 4K
	usage_error 'pvmmap clean: missing PID' clean
	pvrun 2 move $$ x 4K --to $$
	assert_equal "$stderr" "pvmmap move: address 'x': not a valid number
Try 'pvmmap move --help' for more information."
}

@test "a usage error before the command: Try 'pvmmap --help'" {
	usage_error 'pvmmap: missing command (maps, move, copy or clean)'
	usage_error "pvmmap: unknown command 'frob' (expected maps, move, copy or clean)" frob 1
	usage_error "pvmmap: unrecognized option '--bogus'" --bogus maps $$
	pvrun 2
	assert_equal "$stderr" "pvmmap: missing command (maps, move, copy or clean)
Try 'pvmmap --help' for more information."
}

@test "--json usage error: the document on stdout, the same two lines on stderr" {
	pvrun 2 maps $$ 0x1001 --json
	assert_equal "$stderr" "pvmmap maps: address '0x1001' is not page aligned (pages are 4096 bytes)
Try 'pvmmap maps --help' for more information."
	assert_equal "$(jqo -c '[.operation, .error.code, .error.message]')" \
		"[\"maps\",\"usage\",\"pvmmap maps: address '0x1001' is not page aligned (pages are 4096 bytes)\"]"
	keep
	pvrun 2 frob --json
	assert_equal "$stderr" "pvmmap: unknown command 'frob' (expected maps, move, copy or clean)
Try 'pvmmap --help' for more information."
	assert_equal "$(jqo -c '[.operation, .error.code]')" '[null,"usage"]'
	keep
	pvrun 2 move $$ -1 4K --to $$ --json
	assert_equal "$stderr" "pvmmap move: address '-1': negative numbers are not allowed
Try 'pvmmap move --help' for more information."
	assert_equal "$(jqo -c '[.operation, .error.code]')" '["move","usage"]'
	keep
	all_valid
	# clean prints its own document
	pvrun 2 clean --json
	assert_equal "$stderr" "pvmmap clean: missing PID
Try 'pvmmap clean --help' for more information."
	assert_equal "$(jqo -c '[.operation, .error.code]')" '["clean","usage"]'
}

# ---- 5. control characters in arguments ---------------------------------------------

@test "control characters of an argument are escaped: each message stays one line" {
	usage_error "pvmmap maps: PID 'a\\nb': not a valid number" maps $'a\nb'
	usage_error "pvmmap maps: address '0x1\\t0': not a valid number" maps $$ $'0x1\t0'
	usage_error "pvmmap maps: PID '1\\x01': not a valid number" maps $'1\x01'
	usage_error "pvmmap maps: PID '\\x1b[31m': not a valid number" maps $'\e[31m'
	usage_error "pvmmap move: --at '\\x0d4096': not a valid number" move $$ 0x1000 4K --to $$ --at $'\r4096'
	usage_error "pvmmap: unknown command 'fr\\nob' (expected maps, move, copy or clean)" $'fr\nob'
	usage_error "pvmmap maps: unrecognized option '--bo\\ngus'" maps $$ $'--bo\ngus'
	usage_error "pvmmap maps: unexpected argument 'x\\ny'" maps $$ 0x1000 4K $'x\ny'
	# the same line in the document
	pvrun 2 maps $'a\nb' --json
	assert_equal "$(jqo '.error.message')" "pvmmap maps: PID 'a\\nb': not a valid number"
}

# ---- 6. help and -V -------------------------------------------------------------------

@test "pvmmap help is pvmmap --help; help COMMAND is COMMAND --help" {
	local cmd want
	run --separate-stderr -0 "$PVMMAP" --help
	want=$output
	[[ -n $want ]]
	pvrun 0 help
	assert_equal "$stderr" ''
	assert_equal "$output" "$want"
	for cmd in maps move copy clean; do
		run --separate-stderr -0 "$PVMMAP" "$cmd" --help
		want=$output
		pvrun 0 help "$cmd"
		assert_equal "$stderr" ''
		assert_equal "$output" "$want"
	done
}

@test "pvmmap help frob: a usage error naming the command" {
	usage_error "pvmmap: unknown command 'frob' (expected maps, move, copy or clean)" help frob
}

@test "-V is --version" {
	run --separate-stderr -0 "$PVMMAP" --version
	local want=$output
	assert_regex "$want" '^pvmmap [0-9]'
	pvrun 0 -V
	assert_equal "$stderr" ''
	assert_equal "$output" "$want"
}

# ---- 7, 8. usage and help texts ------------------------------------------------------

@test "move --usage and copy --usage name --to once" {
	local cmd n
	for cmd in move copy; do
		pvrun 0 "$cmd" --usage
		n=$(grep -o -- '--to\b' <<< "$output" | wc -l)
		[[ $n == 1 ]] || fail "$cmd --usage names --to $n times: $output"
	done
}

@test "the --help of maps, move and copy explains how numbers are written" {
	local cmd
	for cmd in maps move copy; do
		pvrun 0 "$cmd" --help
		[[ $output == *START-END* ]] || fail "$cmd --help: no START-END: $output"
		[[ $output == *0x* ]] || fail "$cmd --help: no 0x: $output"
		[[ $output == *KiB* ]] || fail "$cmd --help: no suffixes: $output"
		[[ $output == *decimal* ]] || fail "$cmd --help: no decimal: $output"
	done
}

# ---- 9. the METHOD column -------------------------------------------------------------

@test "the table's column METHOD: the header, and each row's method or status under it" {
	pvrun 0 maps "$SRC" --json
	local -a want
	mapfile -t want < <(jqo '.vmas[] | if .status == "ok" then .method else .status end')
	pvrun 0 maps "$SRC"
	local -a ls
	mapfile -t ls <<< "$output"
	assert_equal "${ls[1]}" 'ADDRESS          PERM KIND      SIZE    RSS METHOD   NAME'
	local h=${ls[1]%%METHOD*} i n=0
	for (( i = 2; i < ${#ls[@]}; i++ )); do
		[[ ${ls[i]} =~ ^[0-9a-f]{16}\  ]] || continue
		assert_regex "${ls[i]:${#h}}" "^${want[n]} "
		n=$(( n + 1 ))
	done
	assert_equal "$n" "${#want[@]}"
	# a plan has it too
	pvrun 0 copy "$SRC" "$(fx_start src anon)" 4K --to "$DST" --at any -n
	assert_equal "$(sed -n 2p <<< "$output")" 'ADDRESS          PERM KIND      SIZE    RSS METHOD   NAME'
	assert_regex "$(sed -n 3p <<< "$output")" "^[0-9a-f]{16} rw-p anon +4K +4K copy +\$"
}

# ---- 10. errors -------------------------------------------------------------------------

@test "a process error: 'pvmmap: CODE: message' on one line, then '  hint: ...', on a terminal too" {
	local tid msg hint
	tid=$(fx_field src thread tid)
	pvrun 3 maps "$tid" --json
	msg=$(jqo '.error.message')
	hint=$(jqo '.error.hint')
	assert_equal "$(jqo '.error.code')" not-a-process
	(( ${#msg} > 80 )) || fail "too short to show wrapping: $msg"
	[[ -n $hint && $hint != null ]] || fail "no hint: $output"
	pvrun 3 maps "$tid"
	assert_equal "$output" ''
	assert_equal "$stderr" "pvmmap: not-a-process: $msg
  hint: $hint"
	on_tty 80 3 maps "$tid"
	assert_equal "$ttyl" "pvmmap: not-a-process: $msg
  hint: $hint
"
}

# ---- 11. the table on a terminal and through a pipe --------------------------------------

@test "not on a terminal: a row is one line, its reason one line, its hint one line" {
	pvrun 0 maps "$SRC" --json
	local -a json
	mapfile -t json < <(jqo '.vmas[] | [(.start | ltrimstr("0x")), .perms, .kind,
		(if .status == "ok" then .method else .status end), .name, (.reason // ""),
		(.message // ""), (.hint // "")] | join("|")')
	pvrun 0 maps "$SRC"
	local -a ls
	mapfile -t ls <<< "$output"
	local i=2 n start perms kind method name reason msg hint long=0
	for (( n = 0; n < ${#json[@]}; n++ )); do
		IFS='|' read -r start perms kind method name reason msg hint <<< "${json[n]}"
		[[ ${ls[i]} == "$(printf '%016x' "0x$start") $perms $kind "* ]] || fail "row $n: ${ls[i]}"
		[[ ${ls[i]} == *" $method "*"$name" ]] || fail "row $n: ${ls[i]}, not $method ... $name"
		(( ${#ls[i]} > 80 )) && long=$(( long + 1 ))
		i=$(( i + 1 ))
		if [[ -n $reason ]]; then
			assert_equal "${ls[i]}" "    $reason: $msg"
			(( ${#ls[i]} > 80 )) && long=$(( long + 1 ))
			i=$(( i + 1 ))
			if [[ -n $hint ]]; then
				assert_equal "${ls[i]}" "      hint: $hint"
				i=$(( i + 1 ))
			fi
		fi
	done
	# then the summary, one line, and nothing else
	assert_regex "${ls[i]}" '^[0-9]+ VMAs, .*, 0 failed\.$'
	assert_equal "$(( i + 1 ))" "${#ls[@]}"
	# the long file name and a long reason were not cut
	(( long >= 2 )) || fail "no line longer than 80 columns: $output"
	[[ $output == *"/pvmmap-mapper.$LONG."* ]]
}

@test "on a terminal: every line fits its width; a long name keeps its tail after '...'; reasons wrap" {
	pvrun 0 maps "$SRC" --json
	local -A name
	local s nm
	while IFS='|' read -r s nm; do
		name[$(printf '%016x' "$s")]=$nm
	done < <(jqo '.vmas[] | "\(.start)|\(.name)"')
	pvrun 0 maps "$SRC"
	local pipe=$output
	on_tty 80 0 maps "$SRC"
	local -a t p
	mapfile -t t <<< "${ttyl%$'\n'}"
	mapfile -t p <<< "$pipe"
	(( ${#t[@]} > ${#p[@]} )) || fail "nothing was wrapped: $ttyl"
	local l
	for l in "${t[@]}"; do
		(( ${#l} <= 80 )) || fail "a line of ${#l} columns: '$l'"
	done
	# rows: the same as through the pipe, or the name cut on its left
	local -a trow=() prow=()
	for l in "${t[@]}"; do [[ $l =~ ^[0-9a-f]{16}\  ]] && trow+=("$l"); done
	for l in "${p[@]}"; do [[ $l =~ ^[0-9a-f]{16}\  ]] && prow+=("$l"); done
	assert_equal "${#trow[@]}" "${#prow[@]}"
	local i cut=0 pre tail full
	for (( i = 0; i < ${#prow[@]}; i++ )); do
		[[ ${trow[i]} == "${prow[i]}" ]] && continue
		full=${name[${prow[i]%% *}]}
		pre=${trow[i]%%...*}
		tail=${trow[i]#*...}
		assert_equal "$pre" "${prow[i]%"$full"}"
		[[ -n $tail && $full == *"$tail" && ${#tail} -lt ${#full} ]] ||
			fail "row cut wrong: '${trow[i]}' for '$full'"
		[[ $full == *"$LONG"* ]] && cut=$(( cut + 1 ))
	done
	assert_equal "$cut" 1
	# nothing else changed but where the lines break
	local tt pp
	tt=$(printf '%s\n' "${t[@]}" | grep -Ev '^[0-9a-f]{16} ' | tr -d ' \n')
	pp=$(printf '%s\n' "${p[@]}" | grep -Ev '^[0-9a-f]{16} ' | tr -d ' \n')
	assert_equal "$tt" "$pp"
	# each reason (indented 4) and hint (indented 6) starts on a line of its
	# own, with its indent, and breaks between words
	local pl found
	for pl in "${p[@]}"; do
		[[ $pl == '    '* ]] || continue
		found=0
		for l in "${t[@]}"; do
			if [[ ${l%%[! ]*} == "${pl%%[! ]*}" && $l == *[!\ ]* && $pl == "$l"* &&
				( ${#l} == "${#pl}" || ${pl:${#l}:1} == ' ' ) ]]; then
				found=1
				break
			fi
		done
		(( found )) || fail "no line on the terminal starts as '$pl'"
	done
}

@test "on a terminal wider than every line: the same lines as through a pipe" {
	pvrun 0 maps "$SRC"
	local pipe=$output w
	w=$(awk '{ if (length > w) w = length } END { print w + 10 }' <<< "$pipe")
	(( w > 90 ))
	on_tty "$w" 0 maps "$SRC"
	assert_equal "$ttyl" "$pipe"$'\n'
}

# ---- 12. streams, -q ------------------------------------------------------------------------

@test "a refusal: the table on stdout, one line 'pvmmap: refused: ...' on stderr, nothing changed" {
	local s e smaps dmaps
	s=$(fx_start src several-1)
	e=$(fx_end src several-3)
	smaps=$(cat "/proc/$SRC/maps")
	dmaps=$(cat "/proc/$DST/maps")
	# several's three parts, then the free page after them
	pvrun 1 copy "$SRC" "$s" "$(( e - s + 0x1000 ))" --to "$DST" --at "$FREE"
	local sentence='nothing copied: 1 VMA refused (all or nothing; --partial would copy the other 3).'
	assert_equal "$stderr" "pvmmap: refused: $sentence"
	assert_regex "$output" $'^copy '
	[[ $output == *": $sentence" ]] || fail "the table's summary: $output"
	assert_equal "$(cat "/proc/$SRC/maps")" "$smaps"
	assert_equal "$(cat "/proc/$DST/maps")" "$dmaps"
	# a dry run says it the same way
	pvrun 1 copy "$SRC" "$s" "$(( e - s + 0x1000 ))" --to "$DST" --at "$FREE" -n
	sentence='nothing would be copied: 1 VMA refused (all or nothing; --partial would copy the other 3).'
	assert_equal "$stderr" "pvmmap: refused: $sentence"
	[[ $output == *": $sentence" ]] || fail "the table's summary: $output"
}

@test "-q: a success prints nothing at all" {
	start_mapper a anon:64K:label=a
	start_mapper b anon:64K:label=x
	local s
	s=$(fx_start a a)
	pvrun 0 copy "$(fx_pid a)" "$s" 64K --to "$(fx_pid b)" --at "$FREE" -n -q
	assert_equal "$output$stderr" ''
	pvrun 0 move "$(fx_pid a)" "$s" 64K --to "$(fx_pid b)" --at "$FREE" -q
	assert_equal "$output$stderr" ''
	refute maps_has "$(fx_pid a)" "$s"
	maps_has "$(fx_pid b)" "$FREE"
}

@test "-q and a refusal: stdout empty; on stderr each refused VMA, then the refused line" {
	local f s e
	f=$(awk '$6 == "[vdso]" { print $1 }' "/proc/$SRC/maps")
	[[ -n $f ]] || skip "no [vdso] here"
	s=0x${f%-*}
	e=0x${f#*-}
	local dmaps
	dmaps=$(cat "/proc/$DST/maps")
	pvrun 1 copy "$SRC" "$f" --to "$DST" --at any --json
	local msg hint
	msg=$(jqo '.vmas[0].message')
	hint=$(jqo '.vmas[0].hint // ""')
	assert_equal "$(jqo '.vmas[0].reason')" special-mapping
	# without -q: the table, and the one refused line
	pvrun 1 copy "$SRC" "$f" --to "$DST" --at any
	local refused=$stderr table=$output
	assert_regex "$refused" '^pvmmap: refused: [^'$'\n'']+$'
	pvrun 1 copy "$SRC" "$f" --to "$DST" --at any -q
	assert_equal "$output" ''
	local want
	want="pvmmap: special-mapping: $(printf '%016x-%016x' "$s" "$e") [vdso]: $msg"
	if [[ $stderr == *$'\n  hint: '* ]]; then
		want+=$'\n'"  hint: $hint"
	fi
	assert_equal "$stderr" "$want"$'\n'"$refused"
	assert_equal "$(cat "/proc/$DST/maps")" "$dmaps"
	# a gap and the parts that all or nothing skips: only the gap is listed
	local s2 e2
	s2=$(fx_start src several-1)
	e2=$(fx_end src several-3)
	pvrun 1 copy "$SRC" "$s2" "$(( e2 - s2 + 0x1000 ))" --to "$DST" --at "$FREE" -q
	assert_equal "$output" ''
	local -a ls
	mapfile -t ls <<< "$stderr"
	[[ ${ls[0]} == "pvmmap: not-mapped: $(printf '%016x-%016x' "$e2" "$(( e2 + 0x1000 ))")"*': nothing is mapped here in the source process' ]] ||
		fail "first line: ${ls[0]}"
	local l n=0
	for l in "${ls[@]}"; do
		[[ $l == 'pvmmap: '* || $l == '  hint: '* ]] || fail "a line of stderr: '$l'"
		[[ $l == 'pvmmap: '* ]] && n=$(( n + 1 ))
	done
	assert_equal "$n" 2
	# the refused line is the summary's sentence, as the spec's example
	[[ $table == *": ${refused#pvmmap: refused: }" ]] || fail "refused line '$refused'; the table's summary: $table"
	assert_equal "${ls[-1]}" 'pvmmap: refused: nothing copied: 1 VMA refused (all or nothing; --partial would copy the other 3).'
}

@test "a dry run that exits 6: one line 'pvmmap: deferred: ...' on stderr; 7 when stdout fails" {
	start_mapper spin spinner:label=t anon:64K:label=a
	local p a
	p=$(fx_pid spin)
	a=$(fx_start spin a)
	pvrun 6 move "$p" "$a" 64K --to "$DST" --at any -n
	assert_regex "$stderr" '^pvmmap: deferred: [^'$'\n'']+$'
	local deferred=$stderr table=$output
	pvfull 7 move "$p" "$a" 64K --to "$DST" --at any -n --json
	assert_equal "$stderr" 'pvmmap: write error: No space left on device'
	pvfull 7 move "$p" "$a" 64K --to "$DST" --at any -n
	[[ $stderr == *'pvmmap: write error: No space left on device'* ]] || fail "stderr: $stderr"
	# the line says what the summary says
	[[ $table == *": ${deferred#pvmmap: deferred: }" ]] || fail "deferred line '$deferred'; the table's summary: $table"
}

# ---- 13. write errors ---------------------------------------------------------------------

@test "stdout that cannot be written: 'pvmmap: write error: ...', exit 7" {
	pvfull 7 maps "$SRC"
	assert_equal "$stderr" 'pvmmap: write error: No space left on device'
	pvfull 7 maps "$SRC" --json
	assert_equal "$stderr" 'pvmmap: write error: No space left on device'
	pvfull 7 copy "$SRC" "$(fx_start src anon)" 4K --to "$DST" --at any -n
	assert_equal "$stderr" 'pvmmap: write error: No space left on device'
	pvfull 7 --help
	pvfull 7 maps --help
	# nothing to write, nothing wrong
	pvfull 0 copy "$SRC" "$(fx_start src anon)" 4K --to "$DST" --at any -n -q
	assert_equal "$stderr" ''
}

@test "a write error does not hide a failure: exit 1 and 3 stand" {
	pvfull 1 copy "$SRC" "$FREE" 4K --to "$DST"
	[[ $stderr == *'pvmmap: write error: No space left on device'* ]] || fail "stderr: $stderr"
	[[ $stderr == *'pvmmap: refused: '* ]] || fail "stderr: $stderr"
	pvfull 1 copy "$SRC" "$FREE" 4K --to "$DST" --json
	[[ $stderr == *'pvmmap: write error: No space left on device'* ]] || fail "stderr: $stderr"
	pvfull 3 maps "$(fx_field src thread tid)" --json
	[[ $stderr == *'pvmmap: write error: No space left on device'* ]] || fail "stderr: $stderr"
}

@test "a real copy whose report cannot be written: done all the same, exit 7" {
	start_mapper a anon:64K:label=a
	start_mapper b anon:64K:label=x
	local s
	s=$(fx_start a a)
	pvfull 7 copy "$(fx_pid a)" "$s" 64K --to "$(fx_pid b)" --at "$FREE"
	assert_equal "$stderr" 'pvmmap: write error: No space left on device'
	maps_has "$(fx_pid b)" "$FREE"
	maps_has "$(fx_pid a)" "$s"
}

# ---- 14. terminating signals ------------------------------------------------------------------

@test "SIGTERM, SIGINT, SIGHUP at the start of a move: rolled back, the document, then death by it" {
	start_cmd src anon:4M:label=a
	start_cmd dst anon:64K:label=x
	local sp dp s smaps dmaps sig n
	sp=$(cpid src)
	dp=$(cpid dst)
	s=$(cstart src a)
	smaps=$(cat "/proc/$sp/maps")
	dmaps=$(cat "/proc/$dp/maps")
	for sig in SIGTERM SIGINT SIGHUP; do
		n=$(( 128 + $(kill -l "$sig") ))
		run -"$n" pvmmap_signalled "$sig" move "$sp" "$s" 4M --to "$dp" --json
		keep
		assert_equal "$(jqo -c '[.error.code, .vmas[0].status, .summary.vmas]')" '["interrupted","rolled-back",1]'
		assert_equal "$(jqo '.error.message')" "interrupted by ${sig#SIG} (start); everything was rolled back"
		assert_equal "$(cat "/proc/$sp/maps")" "$smaps"
		assert_equal "$(cat "/proc/$dp/maps")" "$dmaps"
	done
	all_valid
	ask src "sum a" >/dev/null
	ask dst "sum x" >/dev/null
}

@test "SIGHUP in the middle of a move: rolled back, the error said, then death by it (129)" {
	start_cmd src anon:4M:label=b
	start_cmd dst anon:64K:label=x
	local sp dp s smaps dmaps
	sp=$(cpid src)
	dp=$(cpid dst)
	s=$(cstart src b)
	smaps=$(cat "/proc/$sp/maps")
	dmaps=$(cat "/proc/$dp/maps")
	# pvmmap stops itself once its first batch is copied (PVMMAP_STOP_AT=
	# copy): the middle of the move on any machine
	PVMMAP_STOP_AT=copy "$PVMMAP" move "$sp" "$s" 4M --to "$dp" > "$(fx_dir)/hup.out" 2> "$(fx_dir)/hup.err" 3>&- &
	local pv=$!
	wait_until 60 fx_stopped "$pv" || fail "pvmmap never stopped after its first batch"
	# signals are blocked from before the seize: HUP waits for the next step
	kill -HUP "$pv"
	kill -CONT "$pv"
	local st=0
	wait "$pv" || st=$?
	assert_equal "$st" 129
	output=$(< "$(fx_dir)/hup.out")
	stderr=$(< "$(fx_dir)/hup.err")
	# people get the error, one line on stderr, as for any error
	assert_equal "$output" ''
	assert_regex "$stderr" '^pvmmap: interrupted: interrupted by HUP \(copy\); everything was rolled back$'
	assert_equal "$(fx_tracer "$sp")" 0
	assert_equal "$(fx_tracer "$dp")" 0
	assert_equal "$(cat "/proc/$sp/maps")" "$smaps"
	assert_equal "$(cat "/proc/$dp/maps")" "$dmaps"
	# both still answer, the source's range still readable
	run ask src "read b 0"
	assert_output --regexp '^read b 0x0 0x[0-9a-f]{2}$'
	run ask dst "read x 0"
	assert_output --regexp '^read x 0x0 0x[0-9a-f]{2}$'
}

@test "maps and dry runs: the whole report, then death by the signal" {
	run -143 --separate-stderr pvmmap_signalled SIGTERM maps "$SRC" --json
	keep
	assert_equal "$(jqo -c '[.operation, (.vmas | length) == .summary.vmas, .summary.vmas > 5]')" \
		'["maps",true,true]'
	run -129 --separate-stderr pvmmap_signalled SIGHUP maps "$SRC"
	assert_regex "$(tail -n 1 <<< "$output")" '^[0-9]+ VMAs, .*\.$'
	run -130 --separate-stderr pvmmap_signalled SIGINT copy "$SRC" "$(fx_start src several)" 3M \
		--to "$DST" --at "$FREE" -n
	assert_equal "$(tail -n 1 <<< "$output")" '3 VMAs, 3M mapped, 3M resident: 3 can be copied (3 copy), 0 refused, 0 failed.'
	run -143 --separate-stderr pvmmap_signalled SIGTERM copy "$SRC" "$(fx_start src several)" 3M \
		--to "$DST" --at "$FREE" -n --json
	keep
	assert_equal "$(jqo -c '[.dry_run, .summary.vmas, [.vmas[].status]]')" '[true,3,["ok","ok","ok"]]'
	all_valid
}

# ---- 15. progress ------------------------------------------------------------------------------

# hold_pvmmap TGT SECS [SCRIPT]: pvmmap runs with PVMMAP_STOP_AT=held, so it
# stops itself once it holds both processes, before it copies anything (the
# progress line's clock runs by then).  Wait for that stop, keep it SECS
# seconds, then let it go on.  That is a lower bound on how long the transfer
# takes, on any machine, so that the rate is known (after 0.2 s) and, with
# more than one 64 MiB batch left, the time left too.  A poll for the trace
# alone raced a fast copy: CI once saw all 256 MiB copied before the stop
# landed (a THP region is one 256 MiB batch, so no line came before the end).
# Some versions of script(1) stop themselves when their child stops: SCRIPT
# (its pid) is continued too.
hold_pvmmap() {
	local pv
	wait_until 30 fx_traced "$1" || fail "pvmmap never attached"
	pv=$(fx_tracer "$1")
	# never 0: kill -CONT 0 would signal this test's own process group
	[[ $pv =~ ^[1-9][0-9]*$ ]] || fail "pvmmap let $1 go at once (tracer '$pv')"
	wait_until 30 eval '[[ $(fx_state "$pv") == T ]]' || fail "pvmmap never stopped at 'held'"
	sleep "$2"
	kill -CONT ${3:+"$3"} "$pv"
}

@test "progress on a terminal: redrawn in place with \\r ESC[K, erased at the end" {
	start_cmd big anon:256M:label=b
	start_mapper to anon:64K:label=x
	local bp s tp cmd f sc
	bp=$(cpid big)
	s=$(cstart big b)
	tp=$(fx_pid to)
	# stdout (the JSON document) to a file, stderr on the terminal
	f="$(fx_dir)/tty.out"
	printf -v cmd '%q ' "$PVMMAP" copy "$bp" "$s" 256M --to "$tp" --at "$FREE" --replace --progress --json
	PVMMAP_STOP_AT=held script -qec "stty cols 80 rows 24; exec env -u COLUMNS -u LINES $cmd >$(printf %q "$(fx_dir)/p.json")" \
		/dev/null < /dev/null > "$f" 3>&- &
	sc=$!
	hold_pvmmap "$tp" 0.3 "$sc"
	status=0
	wait "$sc" || status=$?
	assert_equal "$status" 0
	tty=$(cat "$f"; echo .)
	tty=${tty%.}
	output=$(< "$(fx_dir)/p.json")
	assert_equal "$(jqo '.summary.bytes_copied')" 268435456
	[[ $tty != *'%)%)'* ]] || fail "a stray %)%): $(printf '%q' "$tty")"
	[[ $tty != *$'\n'* ]] || fail "a newline: $(printf '%q' "$tty")"
	# "\r ESC[K" + text, again and again, then "\r ESC[K" alone: nothing left
	[[ $tty == "$E"* && $tty == *"$E" ]] || fail "not redrawn in place: $(printf '%q' "$tty")"
	local rest=${tty#"$E"} seg n=0
	while [[ $rest == *"$E"* ]]; do
		seg=${rest%%"$E"*}
		rest=${rest#*"$E"}
		assert_regex "$seg" "$PROGRESS"
		n=$(( n + 1 ))
	done
	assert_equal "$rest" ''
	# (a redraw comes at most every 0.1 s: the last batch's may not)
	# Whether a redraw here shows the time left depends on the batches (a
	# THP region is one 256 MiB batch: its only line is the last): the
	# same line's rate and time left are asserted by the next test, on
	# 4 KiB pages and with a hold that spans a second.
	(( n >= 1 )) || fail "no redraw: $(printf '%q' "$tty")"
	# auto: a terminal and 64 MiB or more
	on_tty 80 0 -o "$(fx_dir)/p.out" copy "$bp" "$s" 256M --to "$tp" --at "$FREE" --replace
	[[ $tty == "$E"pvmmap:*"$E" && $tty != *$'\n'* ]] || fail "auto on a terminal: $(printf '%q' "$tty")"
	# never with --no-progress, nor below 64 MiB
	on_tty 80 0 -o "$(fx_dir)/p.out" copy "$bp" "$s" 256M --to "$tp" --at "$FREE" --replace --no-progress
	assert_equal "$tty" ''
	on_tty 80 0 -o "$(fx_dir)/p.out" copy "$bp" "$s" 32M --to "$tp" --at "$FREE" --replace
	assert_equal "$tty" ''
}

@test "--progress without a terminal: plain lines, no \\r, no escape, at most one a second; auto prints nothing" {
	start_cmd big nohugepage:256M:label=b
	start_mapper to anon:64K:label=x
	local bp s tp pv
	bp=$(cpid big)
	s=$(cstart big b)
	tp=$(fx_pid to)
	# 4 KiB pages: 64 MiB batches, so lines come between them (THP's
	# batches are 256 MiB: the whole region)
	PVMMAP_STOP_AT=held "$PVMMAP" copy "$bp" "$s" 256M --to "$tp" --at "$FREE" --replace --progress --json \
		> "$(fx_dir)/p.json" 2> "$(fx_dir)/p.err" 3>&- &
	pv=$!
	# past a second: a line comes before the end, with the rate and time left
	hold_pvmmap "$tp" 1.2
	status=0
	wait "$pv" || status=$?
	assert_equal "$status" 0
	output=$(< "$(fx_dir)/p.json")
	stderr=$(< "$(fx_dir)/p.err")
	assert_equal "$(jqo '.summary.bytes_copied')" 268435456
	[[ $stderr != *$'\r'* && $stderr != *$'\e'* ]] || fail "stderr: $(printf '%q' "$stderr")"
	[[ -n $stderr && $(tail -c 1 "$(fx_dir)/p.err" | od -An -c) == *'\n'* ]] ||
		fail "no line, or no newline at the end: $(printf '%q' "$stderr")"
	local l n=0 eta=0 secs
	while IFS= read -r l; do
		assert_regex "$l" "$PROGRESS"
		[[ $l == *'/s, '*' left' ]] && eta=$(( eta + 1 ))
		n=$(( n + 1 ))
	done <<< "$stderr"
	(( eta >= 1 )) || fail "no rate and time left: $stderr"
	# one a second at most: one per whole second, and the last
	secs=$(jqo '.summary.elapsed_s | floor')
	(( n <= secs + 2 )) || fail "$n lines in $(jqo .summary.elapsed_s) s: $stderr"
	# auto: stderr is no terminal, so nothing
	pvrun 0 copy "$bp" "$s" 256M --to "$tp" --at "$FREE" --replace --json
	assert_equal "$stderr" ''
}
