#!/usr/bin/env bats
# pvmmap may be SIGKILLed at any instant, and the processes it holds never
# notice (issue 8).  PVMMAP_DIE_AT=K makes pvmmap kill itself right after
# the K-th step of a transfer (every action that changes a process it
# holds); for K = 1, 2, 3... until it runs to the end, two sentinels
# (tests/fixtures/sentinel.c) check themselves after each kill, and the
# outcome must be rolled back, done, or (a move) ended as a copy: never data
# lost, a partial region or a leftover.  tests/soak/lib.bash runs and judges
# each round.  Then the shortened soak: 30 kills at random instants.
#
# Time (about 90 s a build in all, the soak half of it): every K for move
# anon and copy memfd; every 6th K for the six other cases, each starting
# at another K (1 to 6), so that together they still meet every step
# number.  A sanitized pvmmap takes about 3 times as long per run (its
# `pvmmap maps` too): there every stride is 3 times as long, and the
# release build's run is the full sweep.  8 MiB regions: the steps are
# those of any size, the copy is shorter.
# check-aarch64: every stride 4 times as long and 10 random kills: a run of
# pvmmap takes 5-10 s under emulation (a full sweep of one case took 9
# minutes); the rescue code is the architecture's at every step alike, and
# the x86_64 run sweeps every step.

bats_require_minimum_version 1.5.0

setup() {
	load helpers
	. "$TOP/tests/soak/lib.bash"
	sn_init "$BATS_TEST_TMPDIR/sn"
}

teardown() {
	sn_cleanup
}

BOUND=2000      # no transfer has that many steps: past it, K is ignored

# every_step OP KIND STRIDE FIRST: PVMMAP_DIE_AT=FIRST, FIRST+STRIDE, ...
# Rolled back, both sentinels are as they started and serve the next K;
# otherwise a fresh pair.
every_step() {
	local op=$1 kind=$2 stride=$3 first=$4 k fresh=1
	[[ $PVMMAP == *asan* ]] && stride=$(( stride * 3 ))
	[[ ${TEST_MARK:-} == check-aarch64 ]] && stride=$(( stride * 4 ))
	for (( k = first; k <= BOUND; k += stride )); do
		if (( fresh )); then
			sn_pair "$op" "$kind" 8M || fail "the sentinels did not start"
		fi
		sn_round "$op" die "$k"
		echo "PVMMAP_DIE_AT=$k: exit $R_STATUS, $R_OUTCOME (${R_TIME} s)"
		case $R_OUTCOME in
		rolled-back | "done" | move-ended-as-copy) ;;
		*) fail "PVMMAP_DIE_AT=$k: $R_OUTCOME: $R_WHY" ;;
		esac
		if [[ $R_STATUS != 137 ]]; then
			# it ran past its last step
			(( k > first )) ||
				fail "PVMMAP_DIE_AT=$k did not kill pvmmap (exit $R_STATUS): the variable is not honoured"
			[[ $R_OUTCOME == "done" && $R_STATUS == 0 ]] ||
				fail "with no step left to die at, the $op ended $R_OUTCOME, exit $R_STATUS: $R_WHY"
			return 0
		fi
		fresh=$(( !R_REUSE ))
	done
	fail "pvmmap still died at PVMMAP_DIE_AT=$BOUND: it never runs to the end"
}

@test "move anon: killed after every step, both processes intact" {
	every_step move anon 1 1
}

@test "copy memfd: killed after every step, both processes intact" {
	every_step copy memfd 1 1
}

@test "copy anon: killed after every 6th step, both processes intact" {
	every_step copy anon 6 2
}

@test "move memfd: killed after every 6th step, both processes intact" {
	every_step move memfd 6 3
}

@test "move filecow: killed after every 6th step, both processes intact" {
	every_step move filecow 6 4
}

@test "copy filecow: killed after every 6th step, both processes intact" {
	every_step copy filecow 6 5
}

@test "move sysv: killed after every 6th step, both processes intact" {
	every_step move sysv 6 6
}

@test "copy sysv: killed after every 6th step, both processes intact" {
	every_step copy sysv 6 1
}

@test "make soak, shortened: 30 kills at random instants leave nothing corrupted, left over or lost" {
	local n=30
	[[ ${TEST_MARK:-} == check-aarch64 ]] && n=10
	run "$TOP/tests/soak/run" -n "$n"
	echo "$output"
	[[ $status == 0 ]]
}
