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
	start_cmd src anon:4M:label=b
	start_cmd dst anon:64K:label=x
	local sp dp s; sp=$(cpid src); dp=$(cpid dst); s=$(cstart src b)
	# pvmmap stops itself once it holds both (PVMMAP_STOP_AT=held): read
	# then, on any machine (a poll for the trace raced the copy)
	PVMMAP_STOP_AT=held "$PVMMAP" copy "$sp" "$s" 4M --to "$dp" --json > "$(fx_dir)/oom.json" 3>&- &
	local pv=$! adj
	wait_until 60 fx_stopped "$pv" || fail "pvmmap never stopped once it held both"
	adj=$(cat "/proc/$pv/oom_score_adj")
	kill -CONT "$pv"
	local st=0
	wait "$pv" || st=$?
	assert_equal "$st" 0
	local want=-1000 eff
	eff=$(awk '/^CapEff:/{print $2}' /proc/self/status)
	(( 0x$eff >> 24 & 1 )) || want=$(cat /proc/self/oom_score_adj)
	assert_equal "$adj" "$want"
}

@test "the target killed mid-transfer: exit 3 naming it, the source as it was and let go" {
	start_cmd src anon:4M:label=b
	start_cmd dst anon:64K:label=x
	local sp dp s smaps; sp=$(cpid src); dp=$(cpid dst); s=$(cstart src b)
	smaps=$(cat "/proc/$sp/maps")
	# pvmmap stops itself once its first batch is copied: the middle of the
	# move on any machine (a poll for the trace raced a 512 MiB copy)
	PVMMAP_STOP_AT=copy "$PVMMAP" move "$sp" "$s" 4M --to "$dp" --json > "$(fx_dir)/t.json" 3>&- &
	local pv=$!
	wait_until 60 fx_stopped "$pv" || fail "pvmmap never stopped after its first batch"
	kill -KILL "$dp"
	wait_until 30 eval '! fx_alive "$dp"' || fail "the target outlived SIGKILL"
	kill -CONT "$pv"
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
	start_cmd src nohugepage:72M:label=b
	start_cmd dst anon:64K:label=x
	local sp dp s dmaps fds; sp=$(cpid src); dp=$(cpid dst); s=$(cstart src b)
	dmaps=$(cat "/proc/$dp/maps"); fds=$(ls "/proc/$dp/fd")
	# pvmmap stops itself once its first batch is copied: the middle of the
	# move on any machine (a poll for the trace raced a 512 MiB copy).  Two
	# batches (64 MiB of 4 KiB pages, then 8): in a frozen move a source
	# that dies after the last batch dies in the commit, and the target
	# keeps the whole range (as without write tracking, the arm64 guest)
	PVMMAP_STOP_AT=copy "$PVMMAP" move "$sp" "$s" 72M --to "$dp" --json > "$(fx_dir)/s.json" 3>&- &
	local pv=$!
	wait_until 60 fx_stopped "$pv" || fail "pvmmap never stopped after its first batch"
	kill -KILL "$sp"
	wait_until 30 eval '! fx_alive "$sp"' || fail "the source outlived SIGKILL"
	kill -CONT "$pv"
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
	# killed after its first batch: the destination made, nothing committed
	# (a step number would differ between a live and a frozen move)
	run -137 env PVMMAP_DIE_AT=copy "$PVMMAP" move "$sp" "$s" 4M --to "$dp"
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
