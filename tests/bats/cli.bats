#!/usr/bin/env bats
# The command line: help texts, usage errors (exit 2, a line on stderr
# naming the bad argument, then the Try line), number syntax, and the first
# move/copy without --dry-run (transfer.bats has the rest; conventions.bats
# the forms of numbers, negative numbers, help, streams and signals).
# check-aarch64: left out: the command line's parsing, help texts and usage errors, code that is the same on every architecture (the x86_64 run tests it); 36 tests at about a minute each under emulation

bats_require_minimum_version 1.5.0

setup_file() { load fixture; fx_setup_file; }

setup() { load fixture; fx_setup; }

teardown() { fx_teardown; }

# usage_error and ranges: helpers.bash.

# ---- help, usage, version ---------------------------------------------------

@test "--help lists the commands and exits 0" {
	run --separate-stderr -0 "$PVMMAP" --help
	assert_equal "$stderr" ""
	assert_line --index 0 'Usage: pvmmap [OPTION...] COMMAND [ARGS...]'
	assert_line --index 1 'Move or copy memory mappings between live processes.'
	assert_line --regexp '^  maps PID \[ADDR \[LEN\]\] +list the mappings'
	assert_line --regexp '^  move PID ADDR LEN --to PID2 +hand the range over; PID loses it$'
	assert_line --regexp '^  copy PID ADDR LEN --to PID2 +duplicate it; shared memory stays shared$'
	assert_line --regexp '^ +(-V, )?--version +Print the program version$'
	assert_line --regexp "pvmmap COMMAND --help' describes each command's options\.$"
}

@test "-h is --help" {
	run -0 "$PVMMAP" --help
	local long=$output
	run --separate-stderr -0 "$PVMMAP" -h
	assert_equal "$stderr" ""
	assert_equal "$output" "$long"
}

@test "--usage prints the short usage and exits 0" {
	run --separate-stderr -0 "$PVMMAP" --usage
	assert_equal "$stderr" ""
	assert_output 'Usage: pvmmap [-hV] [--help] [--usage] [--version] COMMAND [ARGS...]'
}

@test "--version prints 'pvmmap VERSION' and exits 0" {
	local version
	version=$(sed -n 's/^VERSION *:= *//p' "$TOP/Makefile")
	[[ -n "$version" ]]
	run --separate-stderr -0 "$PVMMAP" --version
	assert_equal "$stderr" ""
	assert_output "pvmmap $version"
}

@test "maps --help describes maps and its options" {
	run --separate-stderr -0 "$PVMMAP" maps --help
	assert_equal "$stderr" ""
	assert_line --index 0 'Usage: pvmmap maps [OPTION...] PID [ADDR [LEN] | START-END]'
	# the range as one argument too, in the same or the next usage line
	assert_line --regexp '^(Usage|  or): +pvmmap maps \[OPTION\.\.\.\] PID .*START-END'
	assert_line "List PID's mappings and what a move (or copy) would do with each."
	assert_line --regexp '^ +--for=move\|copy +Give the verdicts for move \(default\) or copy$'
	assert_line --regexp '^ +--json +Print one JSON document$'
	assert_line --regexp '^  -t, --to=PID2 +Also apply the rules of a target process$'
	refute_line --partial -- '--dry-run'
}

@test "move --help describes move and every transfer option" {
	run --separate-stderr -0 "$PVMMAP" move --help
	assert_equal "$stderr" ""
	assert_line --index 0 'Usage: pvmmap move [OPTION...] PID {ADDR LEN | START-END} --to PID2'
	assert_line --regexp '^(Usage|  or): +pvmmap move \[OPTION\.\.\.\] PID .*START-END.* --to PID2$'
	assert_line 'Move [ADDR, ADDR+LEN) of PID into PID2; PID no longer maps it afterwards.'
	local opt
	for opt in --allow-cross-user --at=ADDR2\|any --json --no-progress '-n, --dry-run' \
		--partial --progress '-q, --quiet' --replace --timeout=SECONDS '-t, --to=PID2' --force; do
		assert_line --partial -- "$opt "
	done
}

@test "copy --help describes copy" {
	run --separate-stderr -0 "$PVMMAP" copy --help
	assert_equal "$stderr" ""
	assert_line --index 0 'Usage: pvmmap copy [OPTION...] PID {ADDR LEN | START-END} --to PID2'
	assert_line --regexp '^(Usage|  or): +pvmmap copy \[OPTION\.\.\.\] PID .*START-END.* --to PID2$'
	assert_line 'Copy [ADDR, ADDR+LEN) of PID into PID2; shared memory stays shared.'
	assert_line --partial -- '-n, --dry-run '
	assert_line --partial -- '--at=ADDR2|any '
}

# ---- usage errors -----------------------------------------------------------

@test "no command: usage error" {
	usage_error 'pvmmap: missing command (maps, move, copy or clean)'
}

@test "unknown command: usage error naming it" {
	usage_error "pvmmap: unknown command 'frob' (expected maps, move, copy or clean)" frob 1
	# with --json: no operation, not "maps"
	pvrun 2 frob 1 --json
	assert_equal "$(jqo -c '[.operation, .error.code, .error.message]')" \
		"[null,\"usage\",\"pvmmap: unknown command 'frob' (expected maps, move, copy or clean)\"]"
}

@test "unknown option: usage error naming it" {
	usage_error "pvmmap maps: unrecognized option '--bogus'" maps $$ --bogus
}

@test "unaligned address: usage error naming it" {
	usage_error "pvmmap maps: address '0x1001' is not page aligned (pages are 4096 bytes)" maps $$ 0x1001
	usage_error "pvmmap move: address '4097' is not page aligned (pages are 4096 bytes)" \
		move $$ 4097 4K --to $$ -n
}

@test "zero length: usage error naming it" {
	usage_error "pvmmap maps: length '0' is zero" maps $$ 0x1000 0
	usage_error "pvmmap copy: length '0x0' is zero" copy $$ 0x1000 0x0 --to $$ -n
}

@test "overflowing lengths: usage error naming them" {
	usage_error "pvmmap maps: length '16777216T': out of range" maps $$ 0x1000 16777216T
	usage_error "pvmmap maps: length '99999999999999999999': out of range" \
		maps $$ 0x1000 99999999999999999999
	usage_error "pvmmap move: length '0x10000000000000000': out of range" \
		move $$ 0x1000 0x10000000000000000 --to $$ -n
}

@test "a length that rounds up past 2^64: usage error" {
	usage_error "pvmmap maps: length '18446744073709551615' is too large" \
		maps $$ 0x1000 18446744073709551615
}

@test "malformed numbers: usage error naming them" {
	usage_error "pvmmap maps: PID '12x': not a valid number" maps 12x
	usage_error "pvmmap maps: address '4096x': not a valid number" maps $$ 4096x
	usage_error "pvmmap maps: address '0x': not a valid number" maps $$ 0x
	usage_error "pvmmap maps: length '1KBB': not a valid number (suffixes, in any case: K M G T, KB MB GB TB, KiB MiB GiB TiB; all powers of 1024)" \
		maps $$ 0x1000 1KBB
	usage_error "pvmmap maps: length ' 4096': not a valid number (suffixes, in any case: K M G T, KB MB GB TB, KiB MiB GiB TiB; all powers of 1024)" \
		maps $$ 0x1000 ' 4096'
	usage_error "pvmmap maps: PID '0x10': not a valid number" maps 0x10
}

@test "-1 as PID: usage error" {
	# not taken for an option; after -- the same
	usage_error "pvmmap maps: PID '-1': negative numbers are not allowed" maps -1
	usage_error "pvmmap maps: PID '-1': negative numbers are not allowed" maps -- -1
}

@test "PID 0 and a PID past INT_MAX: usage error" {
	usage_error "pvmmap maps: PID '0': out of range" maps 0
	usage_error "pvmmap maps: PID '2147483648': out of range" maps 2147483648
	usage_error "pvmmap maps: --to '0': out of range" maps $$ --to 0
}

@test "missing PID, ADDR or LEN: usage error naming it" {
	usage_error 'pvmmap maps: missing PID' maps
	usage_error 'pvmmap move: missing ADDR' move $$ --to $$ -n
	usage_error 'pvmmap move: missing LEN' move $$ 0x1000 --to $$ -n
	usage_error 'pvmmap copy: missing LEN' copy $$ 0x1000 --to $$ -n
}

@test "missing --to: usage error" {
	usage_error 'pvmmap move: missing --to PID2 (the process that receives the range)' \
		move $$ 0x1000 4K -n
	usage_error 'pvmmap copy: missing --to PID2 (the process that receives the range)' \
		copy $$ 0x1000 4K -n
}

@test "--at unaligned: usage error naming it" {
	usage_error "pvmmap move: --at '0x1001' is not page aligned (pages are 4096 bytes)" \
		move $$ 0x1000 4K --to $$ --at 0x1001 -n
	usage_error "pvmmap copy: --at 'anywhere': not a valid number" \
		copy $$ 0x1000 4K --to $$ --at anywhere -n
}

@test "--at plus the length wrapping: usage error" {
	usage_error 'pvmmap move: --at 0xfffffffffffff000 + the length passes the end of the address space' \
		move $$ 0x1000 8K --to $$ --at 0xfffffffffffff000 -n
}

@test "--for bogus: usage error naming it" {
	usage_error "pvmmap maps: --for 'bogus': expected move or copy" maps $$ --for bogus
}

@test "--timeout 0, -1, abc: usage error naming the value" {
	local t
	for t in 0 abc 1e9 nan; do
		usage_error "pvmmap move: --timeout '$t': expected seconds, more than 0 and at most 86400" \
			move $$ 0x1000 4K --to $$ -n --timeout "$t"
	done
	usage_error "pvmmap move: --timeout '-1': negative numbers are not allowed" \
		move $$ 0x1000 4K --to $$ -n --timeout -1
}

@test "ADDR+LEN wrapping: usage error" {
	usage_error 'pvmmap maps: the range 0xfffffffffffff000 + 0x2000 passes the end of the address space' \
		maps $$ 0xfffffffffffff000 8K
}

@test "an extra argument: usage error naming it" {
	usage_error "pvmmap maps: unexpected argument 'extra'" maps $$ 0x1000 4K extra
	usage_error "pvmmap move: unexpected argument '4K'" move $$ 0x1000 4K 4K --to $$ -n
}

@test "--json usage error: the JSON document on stdout, the lines on stderr, exit 2" {
	run --separate-stderr -2 "$PVMMAP" maps $$ 0x1001 --json
	assert_equal "${#stderr_lines[@]}" 2
	assert_equal "${stderr_lines[0]}" "pvmmap maps: address '0x1001' is not page aligned (pages are 4096 bytes)"
	assert_equal "${stderr_lines[1]}" "Try 'pvmmap maps --help' for more information."
	assert_equal "$(jq -r '.error.code' <<< "$output")" usage
	assert_equal "$(jq -r '.error.message' <<< "$output")" "${stderr_lines[0]}"
	assert_equal "$(jq -r '.pvmmap' <<< "$output")" 1
	assert_equal "$(jq -r '.operation' <<< "$output")" maps
	assert_equal "$(jq -c '.vmas' <<< "$output")" '[]'
}

@test "--json usage error of move (missing --to)" {
	run --separate-stderr -2 "$PVMMAP" move $$ 0x1000 4K -n --json
	assert_equal "$stderr" "pvmmap move: missing --to PID2 (the process that receives the range)
Try 'pvmmap move --help' for more information."
	assert_equal "$(jq -r '.error.code + " " + .operation' <<< "$output")" 'usage move'
}

# ---- numbers ------------------------------------------------------------------

@test "LEN suffixes K M G T, KB MB GB TB and KiB MiB GiB TiB, in any case" {
	run -0 ranges '0x10000 1K' '0x10000 1KiB' '0x10000 1k' '0x10000 1KB' '0x10000 8K' '0x10000 2M' '0x10000 2MiB' \
		'0x10000 3G' '0x10000 3GiB' '0x10000 5T' '0x10000 5TiB' '0x10000 0x10K'
	assert_output '0x11000
0x11000
0x11000
0x11000
0x12000
0x210000
0x210000
0xc0010000
0xc0010000
0x50000010000
0x50000010000
0x14000'
}

@test "LEN is rounded up to whole pages" {
	run -0 ranges '0x10000 1' '0x10000 4096' '0x10000 4097' '0x10000 0x1'
	assert_output '0x11000
0x11000
0x12000
0x11000'
}

@test "ADDR in hex or decimal; LEN defaults to one page" {
	run -0 "$PVMMAP" maps $$ 65536 --json
	assert_equal "$(jq -c '.range' <<< "$output")" '{"start":"0x10000","end":"0x11000"}'
	run -0 "$PVMMAP" maps $$ 0x10000 --json
	assert_equal "$(jq -c '.range' <<< "$output")" '{"start":"0x10000","end":"0x11000"}'
	run -0 "$PVMMAP" maps $$ 0X7F0000001000 --json
	assert_equal "$(jq -c '.range' <<< "$output")" '{"start":"0x7f0000001000","end":"0x7f0000002000"}'
}

@test "a range up to the last page but one does not wrap: accepted" {
	run -0 "$PVMMAP" maps $$ 0xffffffffffffd000 8K --json
	assert_equal "$(jq -c '.range' <<< "$output")" \
		'{"start":"0xffffffffffffd000","end":"0xfffffffffffff000"}'
	# one page further ends at 2^64, which wraps to 0
	usage_error 'pvmmap maps: the range 0xffffffffffffe000 + 0x2000 passes the end of the address space' \
		maps $$ 0xffffffffffffe000 8K
}

# ---- move and copy without --dry-run ----------------------------------------------

@test "move without --dry-run: private anonymous memory moves (exit 0)" {
	start_mapper src anon
	start_mapper dst anon
	local a
	a=$(fx_start src anon)
	run --separate-stderr "$PVMMAP" move "$(fx_pid src)" "$a" 4K --to "$(fx_pid dst)" --at any -q
	assert_equal "$status" 0
	assert_equal "$output" ""
	assert_equal "$stderr" ""
	# the page left the source
	! grep -q "^${a#0x}-" "/proc/$(fx_pid src)/maps"
}

@test "copy without --dry-run of an unmapped range: exit 1, nothing done" {
	run --separate-stderr "$PVMMAP" copy $$ 0x10000 4K --to $$
	assert_equal "$status" 1
	assert_line --partial 'not-mapped'
}

@test "every transfer option is accepted, long and short forms" {
	run --separate-stderr -1 "$PVMMAP" copy $$ 0x10000 4K -t $$ -n --partial --progress \
		--no-progress -q --timeout 0.5 --allow-cross-user --replace --at=any --force
	# --quiet: the refusal (nothing mapped there) on stderr only, one line,
	# and the refused line
	assert_equal "$output" ''
	[[ ${stderr_lines[0]} == 'pvmmap: not-mapped: 0000000000010000-0000000000011000'*': nothing is mapped here in the source process' ]] ||
		fail "stderr: $stderr"
	assert_regex "${stderr_lines[-1]}" '^pvmmap: refused: '
	pvrun 1 move $$ 0x10000 4K --to=$$ --at 0x20000 --dry-run --timeout=86400 --json
	assert_equal "$(jqo -c '[.target.pid, .dest.start]')" "[$$,\"0x20000\"]"
}

@test "--timeout: a process that does not stop is said in words, not as ETIMEDOUT's text" {
	local fifo=$BATS_TEST_TMPDIR/fifo p s
	mkfifo "$fifo"
	start_mapper dst anon:4K
	# a vfork parent (posix_spawn) whose child blocks opening a FIFO: in
	# state D until the FIFO is opened for writing, and no ptrace stop
	start_bg vf "$FX_PY" -c 'import os, sys, time
os.posix_spawn("/bin/true", ["true"], os.environ, file_actions=[(os.POSIX_SPAWN_OPEN, 0, sys.argv[1], os.O_RDONLY, 0)])
time.sleep(60)' "$fifo"
	p=$(fx_bgpid vf)
	# whatever happens, the child is let go (it opens the FIFO, runs true)
	local d=no
	wait_until 5 grep -q '^State:[[:space:]]*D' "/proc/$p/status" && d=yes
	if [[ $d == yes ]]; then
		s=$("$PVMMAP" maps "$p" --json |
			jq -r 'first(.vmas[] | select(.kind == "anon" and .status == "ok" and .perms == "rw-p")) | .start')
		run --separate-stderr "$PVMMAP" copy "$p" "$s" 4K --to "$(fx_pid dst)" --at any --timeout 0.5
	fi
	timeout 5 sh -c ': > "$1"' _ "$fifo" || true
	[[ $d == yes ]] || skip "no vfork parent in state D here"
	assert_equal "$status" 3
	[[ $stderr == *"(process $p did not stop within 0.5 seconds)"* ]] || fail "stderr: $stderr"
	[[ $stderr != *'Connection timed out'* ]] || fail "stderr: $stderr"
	[[ $stderr == 'pvmmap: timeout: '* ]] || fail "stderr: $stderr"
}

@test "-n and --dry-run are the same" {
	run -1 "$PVMMAP" copy $$ 0x10000 4K --to $$ -n --json
	local short=$output
	run -1 "$PVMMAP" copy $$ 0x10000 4K --to $$ --dry-run --json
	assert_equal "$(jq -c 'del(.summary.elapsed_s)' <<< "$output")" \
		"$(jq -c 'del(.summary.elapsed_s)' <<< "$short")"
	assert_equal "$(jq -r '.dry_run' <<< "$output")" true
}
