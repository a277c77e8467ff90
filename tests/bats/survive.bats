#!/usr/bin/env bats
# What pvmmap does when it, or a process it holds, is killed (issue 8; the
# kill after every single step is tests/bats/death.bats): terminating
# signals from the first instruction, oom_score_adj, a peer that exits, and
# the residue a killed pvmmap leaves (maps labels it, clean removes it).

bats_require_minimum_version 1.5.0

setup_file() { load fixture; fx_setup_file; }

setup() { load fixture; fx_setup; }

teardown() { fx_teardown; }

tracer_of() { awk '/^TracerPid:/{print $2}' "/proc/$1/status"; }

# (pvmmap_signalled, helpers.bash: the signal pending from the first instant)
@test "a terminating signal in pvmmap's first instant rolls back: the document, then death by it (128+n)" {
	start_cmd src anon:4M:label=a
	start_cmd dst anon:64K:label=x
	local sp dp s dmaps; sp=$(cpid src); dp=$(cpid dst); s=$(cstart src a)
	dmaps=$(cat "/proc/$dp/maps")
	for sig in SIGTERM SIGUSR1 SIGPIPE SIGALRM; do
		run -"$(( 128 + $(kill -l "$sig") ))" pvmmap_signalled "$sig" move "$sp" "$s" 4M --to "$dp" --json
		keep
		assert_equal "$(jqo '.error.code')" interrupted
		assert_equal "$(jqo '.error.message')" "interrupted by ${sig#SIG} (start); everything was rolled back"
		assert_equal "$(jqo '.vmas[0].status')" rolled-back
		assert_equal "$(cat "/proc/$dp/maps")" "$dmaps"
	done
	all_valid
	ask src "sum a" >/dev/null
}

# -1000 needs CAP_SYS_RESOURCE (bit 24), which some sandboxes withhold: then
# pvmmap keeps the value it has.
@test "while it holds processes pvmmap's oom_score_adj is -1000 (where it may lower it)" {
	start_cmd src "anon:$LONG_REGION:label=b"
	start_cmd dst anon:64K:label=x
	local sp dp s; sp=$(cpid src); dp=$(cpid dst); s=$(cstart src b)
	"$PVMMAP" copy "$sp" "$s" "$LONG_REGION" --to "$dp" --json > "$(fx_dir)/oom.json" 3>&- &
	local pv=$! adj=
	# the target: a live copy lets the source go while it copies, and
	# freezes the target after it: 60 s (scaled), since under emulation on
	# a loaded machine the live copy of 512 MiB takes minutes (the arm64
	# guest missed 10 s x 8; transfer.bats' SIGTERM test waits so too)
	wait_until 60 fx_traced "$dp"
	adj=$(cat "/proc/$pv/oom_score_adj" 2>/dev/null) || adj=gone
	local st=0
	wait "$pv" || st=$?
	assert_equal "$st" 0
	# gone: the copy ended between the two reads (a fast machine); it
	# cannot have been anything else while the target was traced
	local want=-1000 eff
	eff=$(awk '/^CapEff:/{print $2}' /proc/self/status)
	(( 0x$eff >> 24 & 1 )) || want=$(cat /proc/self/oom_score_adj)
	[[ $adj == gone ]] || assert_equal "$adj" "$want"
}

@test "the target killed mid-transfer: exit 3 naming it, the source as it was and let go" {
	start_cmd src "anon:$LONG_REGION:label=b"
	start_cmd dst anon:64K:label=x
	local sp dp s smaps; sp=$(cpid src); dp=$(cpid dst); s=$(cstart src b)
	smaps=$(cat "/proc/$sp/maps")
	"$PVMMAP" move "$sp" "$s" "$LONG_REGION" --to "$dp" --json > "$(fx_dir)/t.json" 3>&- &
	local pv=$!
	wait_until 60 fx_traced "$dp"
	kill -KILL "$dp"
	local st=0
	wait "$pv" || st=$?
	assert_equal "$st" 3
	output=$(< "$(fx_dir)/t.json")
	keep
	assert_equal "$(jqo '.error.code')" no-such-process
	assert_equal "$(jqo '.error.message')" "the target $dp exited during the transfer; the source $sp is unchanged"
	assert_equal "$(tracer_of "$sp")" 0
	assert_equal "$(cat "/proc/$sp/maps")" "$smaps"
	assert_equal "$(awk '/^SigBlk:/{print $2}' "/proc/$sp/status")" 0000000000000000
	ask src "sum b" >/dev/null
	all_valid
}

@test "the source killed mid-move: exit 3 naming it, the target as it was" {
	start_cmd src "anon:$LONG_REGION:label=b"
	start_cmd dst anon:64K:label=x
	local sp dp s dmaps fds; sp=$(cpid src); dp=$(cpid dst); s=$(cstart src b)
	dmaps=$(cat "/proc/$dp/maps"); fds=$(ls "/proc/$dp/fd")
	"$PVMMAP" move "$sp" "$s" "$LONG_REGION" --to "$dp" --json > "$(fx_dir)/s.json" 3>&- &
	local pv=$!
	wait_until 60 fx_traced "$dp"
	kill -KILL "$sp"
	local st=0
	wait "$pv" || st=$?
	assert_equal "$st" 3
	output=$(< "$(fx_dir)/s.json")
	keep
	assert_equal "$(jqo '.error.code')" no-such-process
	assert_equal "$(jqo '.error.message')" "the source $sp exited during the transfer; the target $dp is as it was"
	assert_equal "$(tracer_of "$dp")" 0
	assert_equal "$(cat "/proc/$dp/maps")" "$dmaps"
	assert_equal "$(ls "/proc/$dp/fd")" "$fds"
	ask dst "sum x" >/dev/null
	all_valid
}

# A pvmmap killed after step 12 of a move (the target's rescue area is in
# place, its destination made): the target undid it; what is left is the
# rescue code, which maps labels and clean removes.
@test "what a killed pvmmap leaves: maps labels it, clean removes it (vdso and own mapping)" {
	start_cmd src anon:4M:label=a
	start_cmd dst anon:64K:label=x
	local sp dp s; sp=$(cpid src); dp=$(cpid dst); s=$(cstart src a)
	for how in vdso mapped; do
		local env=() maps0
		[[ $how == mapped ]] && env=(PVMMAP_RESCUE=mapped)
		maps0=$(cat "/proc/$dp/maps")
		run -137 env "${env[@]}" PVMMAP_DIE_AT=12 "$PVMMAP" move "$sp" "$s" 4M --to "$dp"
		pvrun 0 maps "$dp" --json
		assert_equal "$(jqo '[.vmas[] | select(.residue)] | length')" 1
		if [[ $how == vdso ]]; then
			assert_equal "$(jqo '.vmas[] | select(.residue) | .name')" "[vdso]"
			assert_equal "$(cat "/proc/$dp/maps")" "$maps0"
		else
			assert_equal "$(jqo '.vmas[] | select(.residue) | .perms')" r-xp
		fi
		pvrun 0 maps "$dp"
		assert_output --partial "note: rescue code of a pvmmap that was killed is left at"
		pvrun 0 clean "$dp" --json
		assert_equal "$(jqo '.removed | length')" 1
		assert_equal "$(jqo '.error')" null
		pvrun 0 maps "$dp" --json
		assert_equal "$(jqo '[.vmas[] | select(.residue)] | length')" 0
		assert_equal "$(cat "/proc/$dp/maps")" "$maps0"
		pvrun 0 clean "$dp"
		assert_output "process $dp (mapper) holds nothing a killed pvmmap left"
		# the move itself was never made: the source keeps the range
		ask src "sum a" >/dev/null
	done
}

@test "clean refuses while a stopped process still rests in the rescue code; continued, it undoes the journal" {
	start_cmd src anon:4M:label=a
	start_cmd dst anon:64K:label=x
	local sp dp s maps0; sp=$(cpid src); dp=$(cpid dst); s=$(cstart src a)
	maps0=$(cat "/proc/$dp/maps")
	kill -STOP "$dp"
	run -137 env PVMMAP_DIE_AT=30 "$PVMMAP" move "$sp" "$s" 4M --to "$dp"
	# still stopped, the destination still there until it runs again
	assert_equal "$(awk '{print $3}' "/proc/$dp/stat")" T
	run -4 pvmmap clean "$dp" --json
	assert_equal "$(jqo '.error.code')" busy
	kill -CONT "$dp"
	wait_until 10 test "$(cat "/proc/$dp/maps")" = "$maps0"
	assert_equal "$(cat "/proc/$dp/maps")" "$maps0"
	assert_equal "$(awk '/^SigBlk:/{print $2}' "/proc/$dp/status")" 0000000000000000
	pvrun 0 clean "$dp" --json
	assert_equal "$(jqo '.removed | length')" 1
	ask dst "sum x" >/dev/null
}
