#!/usr/bin/env bats
# tests/run counts every test it planned to run: fake TAP streams (tests
# that never ran, a crashed stream, skips as bats and cmocka spell them)
# go through its counting functions; stand-in jobs through its scheduler,
# which must never run an exclusive file beside another job.  tests/run
# runs this file once, first.
# check-aarch64: left out: it tests this counting and scheduling of tests/run, bash the same on every architecture (the x86_64 run tests it), and costs minutes under emulation

bats_require_minimum_version 1.5.0

setup() {
	load helpers
	# the functions only: tests/run returns before its main part when sourced
	# shellcheck source=../run
	source "$TOP/tests/run"
	OUT=$BATS_TEST_TMPDIR/out
	mkdir -p "$OUT"
}

# count LABEL WHAT: tap_count on stdin, then its counts and its failures
count() {
	tap_count "$1" "$2"
	echo "counts $TAP_PASS $TAP_FAIL $TAP_SKIP"
	local f
	for f in ${TAP_FAILURES[@]+"${TAP_FAILURES[@]}"}; do echo "failure: $f"; done
}

# stream PLAN RESULTS: a TAP stream of RESULTS "ok" lines for a plan of PLAN
stream() {
	local i
	echo "1..$1"
	for (( i = 1; i <= $2; i++ )); do echo "ok $i test number $i"; done
}

@test "a whole stream: passes, a failure named, skips as bats and cmocka spell them, each line with its file" {
	run -0 count f.bats bats <<-'TAP'
		1..6
		ok 1 first
		not ok 2 second
		# (in test file tests/bats/f.bats, line 12)
		ok 3 third # skip no swap here
		not ok 4 # SKIP test_fourth
		ok 5 - test_fifth
		ok 6 sixth # SKIP
	TAP
	assert_output - <<-'OUT'
		# f.bats: 6 tests
		ok 1 f.bats: first
		not ok 2 f.bats: second
		# f.bats: # (in test file tests/bats/f.bats, line 12)
		skip 3 f.bats: third # skip no swap here
		skip 4 f.bats: # SKIP test_fourth
		ok 5 f.bats: test_fifth
		skip 6 f.bats: sixth # SKIP
		counts 2 1 3
		failure: not ok 2 f.bats: second
	OUT
}

@test "bats stopped early: the 119 planned tests that did not run are failures, counted and named" {
	run -0 count asan/big.bats bats < <(stream 259 140
		echo "xmalloc: cannot allocate 16 bytes"
		echo "bats warning: Executed 140 instead of expected 259 tests")
	assert_line --index 0 "# asan/big.bats: 259 tests"
	assert_line "ok 140 asan/big.bats: test number 140"
	assert_line "# asan/big.bats: xmalloc: cannot allocate 16 bytes"
	assert_line "not ok - asan/big.bats: 119 planned tests did not run (bats stopped after 140 of 259)"
	assert_line "counts 140 119 0"
	assert_line "failure: not ok - asan/big.bats: 119 planned tests did not run (bats stopped after 140 of 259)"
}

@test "a unit-test binary that crashed: its TAP ends early, the tests it never reached fail" {
	run -0 count unit/test_x test_x < <(printf '%s\n' 1..7 'ok 1 - test_a' 'not ok 2 # SKIP test_b' \
		'AddressSanitizer:DEADLYSIGNAL' '==123==ERROR: AddressSanitizer: SEGV on unknown address')
	assert_line "not ok - unit/test_x: 5 planned tests did not run (test_x stopped after 2 of 7)"
	assert_line "counts 1 5 1"
	# its exit status adds nothing: the failures are counted already
	tap_count unit/test_x test_x < <(printf '%s\n' 1..7 'ok 1 - test_a') >/dev/null
	tap_exit unit/test_x test_x 139 >/dev/null
	assert_equal "$TAP_FAIL" 6
}

@test "a stream that never began (no plan, no result) is one failure, named" {
	run -0 count unit/test_y test_y < /dev/null
	assert_line "not ok - unit/test_y: test_y printed no plan line (1..N), so its tests are not known; 0 results came"
	assert_line "counts 0 1 0"
}

@test "results without a plan, more results than planned, a second plan: each a failure" {
	run -0 count a.bats bats < <(printf '%s\n' 'ok 1 one' 'ok 2 two')
	assert_line "counts 2 1 0"
	assert_line --partial "a.bats: bats printed no plan line"
	run -0 count b.bats bats < <(stream 1 2)
	assert_line "not ok - b.bats: 2 results for a plan of 1"
	assert_line "counts 2 1 0"
	run -0 count c.bats bats < <(stream 2 2; stream 2 0)
	assert_line "not ok - c.bats: a second plan line: 1..2"
	assert_line "counts 2 1 0"
}

@test "a program that exits non-zero while every test passed is one failure" {
	tap_count d.bats bats < <(stream 3 3) >/dev/null
	run -0 tap_exit d.bats bats 1
	assert_output "not ok - d.bats: bats exited with status 1, and no test failed"
	tap_exit d.bats bats 1 >/dev/null
	assert_equal "$TAP_PASS $TAP_FAIL" "3 1"
	tap_count d.bats bats < <(stream 3 3) >/dev/null
	tap_exit d.bats bats 0
	assert_equal "$TAP_FAIL" 0
}

@test "a last line without a newline still counts" {
	run -0 count e.bats bats < <(printf '1..2\nok 1 one\nok 2 two')
	assert_line "counts 2 0 0"
}

@test "run_job: the lines as they come, the counts, the exit status and the raw stream" {
	add_job bats asan tests/bats/fake.bats asan/fake.bats
	job_cmd() { printf '%s\n' 1..3 'ok 1 one' 'ok 2 two # skip later'; return 1; }
	run -0 run_job 0
	assert_line "ok 1 asan/fake.bats: one"
	assert_line "skip 2 asan/fake.bats: two # skip later"
	assert_line "not ok - asan/fake.bats: 1 planned test did not run (bats stopped after 2 of 3)"
	assert_line --regexp '^# asan/fake\.bats: 1 passed, 1 failed, 1 skipped \([0-9]+ s\)$'
	read -r p f s t rc < "$OUT/${J_KEY[0]}.res"
	assert_equal "$p $f $s $rc" "1 1 1 1"
	assert_equal "$(< "$OUT/${J_KEY[0]}.fail")" \
		"not ok - asan/fake.bats: 1 planned test did not run (bats stopped after 2 of 3)"
	assert_equal "$(< "$OUT/${J_KEY[0]}.tap")" "$(printf '%s\n' 1..3 'ok 1 one' 'ok 2 two # skip later')"
	[[ ! -e $OUT/${J_KEY[0]}.running ]]
}

@test "totals: every job in order, the failures again, skips not passed, the closing line" {
	add_job unit asan build/asan/tests/unit/test_a unit/test_a
	add_job bats asan tests/bats/big.bats asan/big.bats
	add_job bats release tests/bats/big.bats release/big.bats
	echo "5 0 2 3 0" > "$OUT/${J_KEY[0]}.res"
	: > "$OUT/${J_KEY[0]}.fail"
	echo "140 119 0 60 1" > "$OUT/${J_KEY[1]}.res"
	echo "not ok - asan/big.bats: 119 planned tests did not run (bats stopped after 140 of 259)" > "$OUT/${J_KEY[1]}.fail"
	# release/big.bats left no result at all (its job was killed)
	run -1 totals
	assert_line --regexp '^# unit/test_a +5 passed +0 failed +2 skipped +3 s$'
	assert_line --regexp '^# release/big\.bats +0 passed +1 failed +0 skipped +0 s$'
	assert_line "not ok - asan/big.bats: 119 planned tests did not run (bats stopped after 140 of 259)"
	assert_line "not ok - release/big.bats: the job left no result"
	assert_line "# 2 skipped (not counted as passed)"
	assert_line --index $(( ${#lines[@]} - 1 )) "145 passed, 120 failed"
	echo "259 0 0 70 0" > "$OUT/${J_KEY[1]}.res"
	: > "$OUT/${J_KEY[1]}.fail"
	echo "259 0 0 70 0" > "$OUT/${J_KEY[2]}.res"
	: > "$OUT/${J_KEY[2]}.fail"
	run -0 totals
	refute_line "# ---- failures"
	assert_line --index $(( ${#lines[@]} - 1 )) "523 passed, 0 failed"
}

@test "schedule: two jobs at a time, an exclusive file alone, every job once, SLOW ones early" {
	local f
	for f in runner.bats a.bats scale.bats b.bats real.bats transfer.bats c.bats; do
		add_job bats asan "tests/bats/$f" "asan/$f"
	done
	[[ ${J_EXCL[*]} == "0 0 1 0 0 1 0" ]] || fail "exclusive: ${J_EXCL[*]}"
	LOG=$BATS_TEST_TMPDIR/log
	# stand-in jobs that take a second (not a bound: no scale)
	run_job() { echo "+ $1" >> "$LOG"; sleep 1; echo "- $1" >> "$LOG"; }
	TEST_JOBS=2 schedule
	# replay the log: what ran beside what, and in which order
	local ev i most=0 alone=1 ran=()
	declare -A live=()
	while read -r ev i; do
		if [[ $ev == + ]]; then
			(( J_EXCL[i] && ${#live[@]} > 0 )) && alone=0
			for f in "${!live[@]}"; do (( J_EXCL[f] )) && alone=0; done
			live[$i]=1
			ran+=("$i")
			(( ${#live[@]} > most )) && most=${#live[@]}
		else
			unset "live[$i]"
		fi
	done < "$LOG"
	assert_equal "$alone" 1
	assert_equal "$most" 2
	# the self-test and real.bats first, the other shared ones, the exclusive ones
	assert_equal "$(printf '%s\n' "${ran[@]:0:2}" | sort -n | tr '\n' ' ')" "0 4 "
	assert_equal "$(printf '%s\n' "${ran[@]:2:3}" | sort -n | tr '\n' ' ')" "1 3 6 "
	assert_equal "${ran[*]:5}" "2 5"
}

@test "ONCE holds only files that never run the binary under test" {
	local f
	for f in "${!ONCE[@]}"; do
		[[ -e $TOP/tests/bats/$f ]] || fail "ONCE names $f: no such file"
		[[ $f == runner.bats ]] && continue     # this file: the pattern below
		! grep -nE '\$\{?PVMMAP\b|pvrun |pvmmap\(\)|^[[:space:]]*pvmmap ' "$TOP/tests/bats/$f" ||
			fail "$f runs pvmmap: it must run against both builds (remove it from ONCE)"
	done
}

@test "EXCLUSIVE names existing tests, and holds every file that changes the system or needs much memory" {
	local f
	for f in "${!EXCLUSIVE[@]}"; do
		[[ -e $TOP/tests/bats/$f || -e $TOP/tests/unit/$f.c ]] || fail "EXCLUSIVE names $f: no such test"
	done
	# growing the huge page pool, swap, a sysctl written, a GiB of memory
	for f in $(grep -lE 'fx_hugepages|swapon|sysctl -w|> */proc/sys/|[0-9]+G(:|[[:space:]]|$)' "$TOP"/tests/bats/*.bats); do
		[[ $f == */runner.bats ]] && continue     # this file: the pattern above
		[[ -n ${EXCLUSIVE[$(basename "$f")]:-} ]] || fail "$(basename "$f") is not in tests/run's EXCLUSIVE"
	done
}
