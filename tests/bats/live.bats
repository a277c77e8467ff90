#!/usr/bin/env bats
# Live transfers (issue 10): private anonymous memory is copied while the
# source runs, its writes tracked, then copied again under one short final
# freeze.  A writer (tests/fixtures/writer.c) stamps sequence numbers into
# random pages and drops some meanwhile; afterwards the target must hold
# the region exactly as it was at one instant (no page older or newer than
# the others).  Each fallback to the frozen copy says why in a note; a
# death of pvmmap, or a failure, during a round leaves both processes as
# they were.

bats_require_minimum_version 1.5.0

setup_file() { load fixture; fx_setup_file; }

setup() { load fixture; fx_setup; }

teardown() { fx_teardown; }

# needs_tracking: skip where the kernel cannot track writes (before 6.7,
# as Debian 12's own 6.1 and the arm64 guest of check-aarch64): there every
# transfer is frozen with the note frozen-no-tracking, which the
# PVMMAP_NO_TRACK test checks everywhere.
needs_tracking() {
	local why
	why=$("$FIXTURES/writer" -t) || skip "$why"
}

# start_writer NAME [OPTIONS] SIZE: a writer fixture taking commands.
start_writer() { start_cmd_prog "$1" "$FIXTURES/writer" "${@:2}"; }

# vmflags PID ADDR: the VmFlags of the VMA starting at ADDR.
vmflags() {
	awk -v a="${2#0x}-" 'index($1, a) == 1 { on = 1; next }
		on && /^VmFlags:/ { sub(/^VmFlags: */, ""); print; exit }' "/proc/$1/smaps"
}

# check_instant WRITER TARGET_PID ADDR: the writer stops, then finds the
# target holding its region as at one instant; prints the reply.
check_instant() {
	local r
	r=$(fx_reply "$1" stop) || return 1
	echo "# $r" >&3
	r=$(fx_reply "$1" "check $2 $3") || return 1
	echo "# $r" >&3
	[[ $r == "check ok "* ]] || { echo "not one instant: $r" >&2; return 1; }
	echo "$r"
}

# live_with_writer OP: OP the 64 MiB region of a writer `src` into `dst`
# (at the same address, in $s), live: done, in two or more rounds.
live_with_writer() {
	start_writer src 64M
	start_cmd dst anon:64K:label=x
	s=$(cstart src w)
	pvrun 0 "$1" "$(cpid src)" "$s" 64M --to "$(cpid dst)" --json
	keep
	[[ $(jqo '.vmas[0].status') == done ]]
	[[ $(jqo '.vmas[0].live') == true ]]
	[[ $(jqo '.vmas[0].note') == null ]]
	(( $(jqo '.summary.rounds') >= 2 ))
}

@test "live copy with a writer: the target holds one instant of the source, in two or more rounds" {
	needs_tracking
	local s
	live_with_writer copy
	(( $(jqo '.summary.bytes_recopied') > 0 ))
	(( $(jqo '.summary.bytes_copied') >= $(jqo '.summary.bytes_recopied') ))
	local paused elapsed
	paused=$(jqo '.summary.source_paused_s'); elapsed=$(jqo '.summary.elapsed_s')
	[[ $paused != null && $elapsed != null ]]
	awk -v p="$paused" -v e="$elapsed" 'BEGIN { exit !(p > 0 && p <= e) }'
	local r; r=$(check_instant src "$(cpid dst)" "$s")
	# the writer wrote before the final freeze, and (a copy) went on after it
	[[ $r =~ before=([0-9]+) ]] && (( BASH_REMATCH[1] > 0 ))
	# the source keeps its range, and nothing of pvmmap's tracking
	maps_has "$(cpid src)" "$s"
	[[ " $(vmflags "$(cpid src)" "$s") " != *" uw "* ]]
	all_valid
}

@test "live move with a writer: the target holds one instant; the source lost the range (its writer noticed)" {
	needs_tracking
	local s
	live_with_writer move
	! maps_has "$(cpid src)" "$s"
	local r; r=$(check_instant src "$(cpid dst)" "$s")
	# nothing it wrote after the final freeze can have landed anywhere
	[[ $r == *" after=0" ]]
	run fx_reply src stop
	[[ $output == *gone=1* ]]
	all_valid
}

@test "--progress shows the rounds of a live copy" {
	needs_tracking
	start_writer src 64M
	start_cmd dst anon:64K:label=x
	local s; s=$(cstart src w)
	pvrun 0 copy "$(cpid src)" "$s" 64M --to "$(cpid dst)" --progress
	[[ $stderr == *"pvmmap: round 2: "*" written while copying"* ]]
}

@test "--frozen: one round, nothing recopied, no note; the target holds one instant" {
	start_writer src 16M
	start_cmd dst anon:64K:label=x
	local s; s=$(cstart src w)
	pvrun 0 copy "$(cpid src)" "$s" 16M --to "$(cpid dst)" --json --frozen
	keep
	[[ $(jqo '.vmas[0].live') == false ]]
	[[ $(jqo '.vmas[0].note') == null ]]
	[[ $(jqo '.summary.rounds') == 1 ]]
	[[ $(jqo '.summary.bytes_recopied') == 0 ]]
	check_instant src "$(cpid dst)" "$s" >/dev/null
	# a dry run says what would be done: live where the kernel can track
	# writes (not on Debian 12's 6.1: the arm64 guest)
	pvrun 0 copy "$(cpid src)" "$s" 16M --to "$(cpid dst)" --at any --json -n
	if "$FIXTURES/writer" -t >/dev/null 2>&1; then
		[[ $(jqo '.vmas[0].live') == true ]]
	else
		[[ $(jqo '.vmas[0].live') == false ]]
	fi
	pvrun 0 copy "$(cpid src)" "$s" 16M --to "$(cpid dst)" --at any --json -n --frozen
	[[ $(jqo '.vmas[0].live') == false ]]
	all_valid
}

@test "a kernel that cannot track writes (PVMMAP_NO_TRACK=1): frozen, with the note frozen-no-tracking" {
	start_writer src 16M
	start_cmd dst anon:64K:label=x
	local s; s=$(cstart src w)
	PVMMAP_NO_TRACK=1 pvrun 0 move "$(cpid src)" "$s" 16M --to "$(cpid dst)" --json
	keep
	[[ $(jqo '.vmas[0].status') == done ]]
	[[ $(jqo '.vmas[0].live') == false ]]
	[[ $(jqo '.vmas[0].note.code') == frozen-no-tracking ]]
	[[ $(jqo '.vmas[0].note.message') == *PVMMAP_NO_TRACK* ]]
	[[ $(jqo '.summary.rounds') == 1 ]]
	check_instant src "$(cpid dst)" "$s" >/dev/null
	# the table says it too
	start_cmd src2 anon:1M:label=a
	PVMMAP_NO_TRACK=1 pvrun 0 copy "$(cpid src2)" "$(cstart src2 a)" 1M --to "$(cpid dst)" --at any
	[[ $output == *"note: copied with the source stopped throughout, not live: this kernel cannot track"* ]]
	all_valid
}

@test "a stopped source (SIGSTOP): frozen, with the note frozen-stopped; it stays stopped" {
	needs_tracking
	start_cmd src anon:4M:label=a
	start_cmd dst anon:64K:label=x
	local sp s e; sp=$(cpid src); s=$(cstart src a); e=$(cend src a)
	local want; want=$(sum src "$s" "$e")
	kill -STOP "$sp"
	wait_until 5 [ "$(fx_state "$sp")" = T ]
	pvrun 0 copy "$sp" "$s" 4M --to "$(cpid dst)" --json
	keep
	[[ $(jqo '.vmas[0].live') == false ]]
	[[ $(jqo '.vmas[0].note.code') == frozen-stopped ]]
	[[ $(jqo '.summary.rounds') == 1 ]]
	[[ $(fx_state "$sp") == T ]]
	kill -CONT "$sp"
	assert_equal "$(sum dst "$s" "$e")" "$want"
	assert_equal "$(sum src "$s" "$e")" "$want"
	all_valid
}

@test "2 MiB or less: frozen, note frozen-small, one freeze; 2 MiB and a page: live" {
	needs_tracking
	start_cmd src anon:2M:label=a anon:2052K:label=b
	start_cmd dst anon:64K:label=x
	local sp s e; sp=$(cpid src); s=$(cstart src a); e=$(cend src a)
	local want; want=$(sum src "$s" "$e")
	pvrun 0 copy "$sp" "$s" 2M --to "$(cpid dst)" --json
	keep
	[[ $(jqo '.vmas[0].status') == done ]]
	[[ $(jqo '.vmas[0].live') == false ]]
	[[ $(jqo '.vmas[0].note.code') == frozen-small ]]
	[[ $(jqo '.summary.rounds') == 1 ]]
	assert_equal "$(sum dst "$s" "$e")" "$want"
	all_valid
	s=$(cstart src b); e=$(cend src b); want=$(sum src "$s" "$e")
	pvrun 0 copy "$sp" "$s" 2052K --to "$(cpid dst)" --json
	keep
	[[ $(jqo '.vmas[0].live') == true ]]
	[[ $(jqo '.vmas[0].note') == null ]]
	(( $(jqo '.summary.rounds') >= 2 ))
	assert_equal "$(sum dst "$s" "$e")" "$want"
	all_valid
}

@test "a range the source registered with its own userfaultfd (write-protect): frozen, note frozen-uffd, the source intact" {
	needs_tracking
	start_writer src -u 16M
	[[ $(cfield src w unsupported) == "" ]] || skip "userfaultfd here: $(cfield src w unsupported)"
	start_cmd dst anon:64K:label=x
	local sp s; sp=$(cpid src); s=$(cstart src w)
	[[ " $(vmflags "$sp" "$s") " == *" uw "* ]]
	pvrun 0 copy "$sp" "$s" 16M --to "$(cpid dst)" --json
	keep
	[[ $(jqo '.vmas[0].status') == done ]]
	[[ $(jqo '.vmas[0].live') == false ]]
	[[ $(jqo '.vmas[0].note.code') == frozen-uffd ]]
	check_instant src "$(cpid dst)" "$s" >/dev/null
	# its own registration is still there, and nothing was added to it
	[[ " $(vmflags "$sp" "$s") " == *" uw "* ]]
	maps_has "$sp" "$s"
	all_valid
}

@test "hugetlb: frozen, with the note frozen-hugetlb" {
	fx_hugepages 4 || skip "no huge page could be reserved here"
	start_cmd src hugetlb:label=h
	[[ $(cfield src h unsupported) == "" ]] || skip "hugetlb here: $(cfield src h unsupported)"
	start_cmd dst anon:64K:label=x
	local s e; s=$(cstart src h); e=$(cend src h)
	local want; want=$(sum src "$s" "$e")
	pvrun 0 copy "$(cpid src)" "$s" $(( e - s )) --to "$(cpid dst)" --json
	keep
	[[ $(jqo '.vmas[0].live') == false ]]
	[[ $(jqo '.vmas[0].note.code') == frozen-hugetlb ]]
	assert_equal "$(sum dst "$s" "$e")" "$want"
	all_valid
}

@test "pvmmap SIGKILLed during a round: the source keeps no registration and runs on, the target has nothing left" {
	needs_tracking
	start_writer src 64M
	start_cmd dst anon:64K:label=x
	local sp dp s; sp=$(cpid src); dp=$(cpid dst); s=$(cstart src w)
	local dmaps; dmaps=$(cat "/proc/$dp/maps")
	PVMMAP_DIE_AT=round pvrun 137 copy "$sp" "$s" 64M --to "$dp" --json
	# the target's rescue code has undone what was made in it
	wait_until 10 [ "$(cat "/proc/$dp/maps")" = "$dmaps" ]
	assert_equal "$(cat "/proc/$dp/maps")" "$dmaps"
	# the kernel dropped the tracking with pvmmap's descriptor
	[[ " $(vmflags "$sp" "$s") " != *" uf "* && " $(vmflags "$sp" "$s") " != *" uw "* ]]
	maps_has "$sp" "$s"
	# the source writes on, and both answer
	local r; r=$(fx_reply src stop)
	[[ $r == *gone=0* ]]
	[[ $(fx_state "$sp") != [TtZ] ]]
	ask dst "sum x" >/dev/null
	[[ $(fx_tracer "$sp") == 0 && $(fx_tracer "$dp") == 0 ]]
}

@test "a failure at a round boundary or in the final freeze rolls back: exit 4, both as before" {
	needs_tracking
	start_writer src -n 16M
	start_cmd dst anon:64K:label=x
	local sp dp s; sp=$(cpid src); dp=$(cpid dst); s=$(cstart src w)
	local smaps dmaps at op
	smaps=$(cat "/proc/$sp/maps"); dmaps=$(cat "/proc/$dp/maps")
	for op in copy move; do
		for at in round final after-copy; do
			PVMMAP_FAIL_AT=$at pvrun 4 "$op" "$sp" "$s" 16M --to "$dp" --json
			keep
			[[ $(jqo '.vmas[0].status') == rolled-back ]]
			[[ $(jqo '.error.message') == *"$at"* ]]
			assert_equal "$(cat "/proc/$dp/maps")" "$dmaps"
			assert_equal "$(cat "/proc/$sp/maps")" "$smaps"
			[[ " $(vmflags "$sp" "$s") " != *" uw "* ]]
		done
	done
	# the region is whole: a copy of it now holds the fill, every page
	pvrun 0 copy "$sp" "$s" 16M --to "$dp" --json
	local r; r=$(fx_reply src "check $dp $s")
	[[ $r == "check ok pages=4096 cut=0 "* ]]
	all_valid
}

stopped() { [[ $(fx_state "$1") == T ]]; }

# changed_between OP COMMAND: OP a source's 4 MiB region `x` live, the
# source running COMMAND (a mapper command; HALF: x's first half) between the first and the
# final freeze, where pvmmap waits (PVMMAP_STOP_AT=round): the final freeze
# sees it and rolls back (exit 4), both processes as they were then.
changed_between() {
	needs_tracking
	start_cmd src anon:4M:label=x
	start_cmd dst anon:64K:label=y
	local sp dp s pv st=0 dmaps smaps sum0
	sp=$(cpid src); dp=$(cpid dst); s=$(cstart src x)
	ask src "write x 0 7" >/dev/null
	dmaps=$(cat "/proc/$dp/maps")
	PVMMAP_STOP_AT=round "$PVMMAP" "$1" "$sp" "$s" 4M --to "$dp" --json \
		> "$(fx_dir)/between.json" 2> "$(fx_dir)/between.err" 3>&- &
	pv=$!
	wait_until 10 stopped "$pv"
	# the source runs meanwhile
	[[ $(fx_state "$sp") != [tT] ]]
	[[ $(ask src "${2//HALF/$(printf '0x%x-0x%x' $((s)) $((s + 0x200000)))}") != error* ]]
	smaps=$(cat "/proc/$sp/maps"); sum0=$(ask src "sum x")
	kill -CONT "$pv"
	wait "$pv" || st=$?
	output=$(< "$(fx_dir)/between.json")
	keep
	assert_equal "$st" 4
	[[ $(jqo '.error.message') == *"changed its range while it ran"* ]]
	[[ $(jqo '.vmas[0].status') == rolled-back ]]
	assert_equal "$(cat "/proc/$dp/maps")" "$dmaps"
	assert_equal "$(cat "/proc/$sp/maps")" "$smaps"
	assert_equal "$(ask src "sum x")" "$sum0"
	[[ " $(vmflags "$sp" "$s") " != *" uw "* ]]
	[[ $(fx_tracer "$sp") == 0 && $(fx_tracer "$dp") == 0 ]]
	all_valid
}

@test "a source that protects its whole range between the freezes (no split): a live copy rolls back" {
	changed_between copy "protect x r"
}

@test "a source that protects its whole range between the freezes (no split): a live move rolls back" {
	changed_between move "protect x r"
}

@test "a source that madvises its whole range between the freezes (VmFlags alone): a live move rolls back" {
	changed_between move "advise x dontfork"
}

@test "a source that protects half its range between the freezes (a split): a live copy rolls back" {
	changed_between copy "protect HALF r"
}

@test "without PROCMAP_QUERY (PVMMAP_NO_PROCMAP_QUERY=1) the first freeze reads the range in full: still live, one instant" {
	needs_tracking
	start_writer src 16M
	start_cmd dst anon:64K:label=x
	local s; s=$(cstart src w)
	PVMMAP_NO_PROCMAP_QUERY=1 pvrun 0 copy "$(cpid src)" "$s" 16M --to "$(cpid dst)" --json
	keep
	[[ $(jqo '.vmas[0].status') == done ]]
	[[ $(jqo '.vmas[0].live') == true ]]
	check_instant src "$(cpid dst)" "$s" >/dev/null
	all_valid
}
