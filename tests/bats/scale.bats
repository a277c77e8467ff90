#!/usr/bin/env bats
# Scale (guarantee 5) and rollback on a signal (guarantees 4 and 6) with
# large ranges: a 16 GiB MAP_NORESERVE reservation with 16 MiB touched moves
# by copying those 16 MiB only, and they arrive where they were; a SIGTERM in
# the middle of a 2 GiB move (1 GiB under ASan: fx_big_gib) leaves both
# processes exactly as they were.
# check-aarch64: left out: a 16 GiB reservation and a 2 GiB move, half the guest's memory and far too long under emulation

bats_require_minimum_version 1.5.0

FREE=0x100000000000
MiB=1048576
GiB=1073741824

setup_file() { load fixture; fx_setup_file; }

setup() { load fixture; fx_setup; }

teardown() { fx_teardown; }


# bigsum NAME START END: a mapper's (or blocker's) sum of a range, which may
# take a while: "START-END HASH"
bigsum() { bigsum_of "$1" "$2-$3"; }
bigsum_of() { # NAME TARGET
	local n r
	n=$(fx_nlines "$1")
	echo "sum $2" >&"$(< "$(fx_dir)/fd.$1")"
	r=$(fx_wait_line "$1" '^(sum|error) ' 120 "$n") || return 1
	echo "${r#sum }"
}

# rss_kb PID START: Rss of the VMA that starts at START
rss_kb() {
	awk -v a="${2#0x}-" 'index($1, a) == 1 { f = 1 } f && /^Rss:/ { print $2; exit }' "/proc/$1/smaps"
}

traced() { fx_traced "$1"; }

@test "16 GiB MAP_NORESERVE with 16 MiB touched moves: bytes_copied 16 MiB, the touched bytes arrive in place, the rest reads zero" {
	start_cmd src anon-sparse:16G:label=sp
	start_cmd dst anon:64K:label=x
	[[ $(cstart src sp) != 0x0 ]] || skip "this machine cannot reserve 16 GiB: $(cfield src sp unsupported)"
	local sp dp s e
	sp=$(cpid src)
	dp=$(cpid dst)
	s=$(cstart src sp)
	e=$(cend src sp)
	assert_equal $(( e - s )) $(( 16 * GiB ))
	# 16 chunks of 1 MiB of random bytes, one at each GiB, the last at the
	# very end; they cover the 3 pages mapper touched (first, middle, last)
	local offs=() i
	for (( i = 0; i < 15; i++ )); do offs+=($(( i * GiB ))); done
	offs+=($(( 16 * GiB - MiB )))
	head -c $(( 16 * MiB )) /dev/urandom > "$(fx_dir)/chunks"
	for i in "${!offs[@]}"; do
		dd if="$(fx_dir)/chunks" of="/proc/$sp/mem" bs=1M count=1 skip="$i" \
			seek=$(( s + offs[i] )) oflag=seek_bytes conv=notrunc status=none
	done
	local rss; rss=$(rss_kb "$sp" "$s")
	[[ $rss == 16384 ]] || skip "the kernel populated $rss kB for 16 MiB written (transparent huge pages?)"
	# each chunk with 1 MiB of never-touched memory next to it
	local wins=() want=()
	for i in "${!offs[@]}"; do
		if (( i < 15 )); then
			wins+=("$(( offs[i] ))")
		else
			wins+=("$(( offs[i] - MiB ))")
		fi
		want+=("$(bigsum src "$(hex $(( s + wins[i] )))" "$(hex $(( s + wins[i] + 2 * MiB )))")")
	done
	# the gap windows really are untouched zeros in the source
	local z; z=$(bigsum src "$(hex $(( s + 512 * MiB )))" "$(hex $(( s + 513 * MiB )))")
	pvrun 0 move "$sp" "$s" 16G --to "$dp" --at $FREE --json
	assert_equal "$(jqo '.vmas | length')" 1
	assert_equal "$(jqo '.vmas[0].status')" "done"
	assert_equal "$(jqo '.vmas[0].size')" $(( 16 * GiB ))
	assert_equal "$(jqo '.summary.bytes_copied')" $(( 16 * MiB ))
	# in the target: the same reservation, 16 MiB resident, each chunk in place
	grep -q "^${FREE#0x}-$(printf '%x' $(( FREE + 16 * GiB ))) rw-p " "/proc/$dp/maps"
	assert_equal "$(rss_kb "$dp" $FREE)" 16384
	for i in "${!wins[@]}"; do
		local a b
		a=$(hex $(( FREE + wins[i] )))
		b=$(hex $(( FREE + wins[i] + 2 * MiB )))
		assert_equal "$(bigsum dst "$a" "$b")" "$a-$b ${want[i]##* }"
	done
	local za zb
	za=$(hex $(( FREE + 512 * MiB )))
	zb=$(hex $(( FREE + 513 * MiB )))
	assert_equal "$(bigsum dst "$za" "$zb")" "$za-$zb ${z##* }"
	run ask dst "read $za-$zb 12345"
	assert_output "read $za-$zb 0x3039 0x00"
	# the source lost the whole range
	refute grep -q "^${s#0x}-" "/proc/$sp/maps"
}

@test "SIGTERM in the middle of a 2 GiB move (1 GiB under ASan): the document, death by SIGTERM (143), both processes' maps and the source's bytes as before" {
	# the source: a blocker with 2 GiB filled, and a thread blocked in read
	local g; g=$(fx_big_gib 2)
	start_blocker src -m ${g}G read
	start_cmd dst anon:64K:label=x
	[[ $(cstart src mem) != 0x0 ]] || skip "this machine cannot make $g GiB: $(cfield src mem unsupported)"
	local sp dp s smaps dmaps ssum
	sp=$(cpid src)
	dp=$(cpid dst)
	s=$(cstart src mem)
	smaps=$(cat "/proc/$sp/maps")
	dmaps=$(cat "/proc/$dp/maps")
	ssum=$(bigsum_of src mem)
	[[ $ssum =~ ^mem\ [0-9a-f]{16}$ ]] || fail "sum: $ssum"
	"$PVMMAP" move "$sp" "$s" ${g}G --to "$dp" --json > "$(fx_dir)/term.json" 2> "$(fx_dir)/term.err" 3>&- &
	local pv=$!
	# the target: a live transfer holds it throughout, not the source
	wait_until 20 traced "$dp" || fail "pvmmap never attached"
	kill -TERM "$pv"
	local st=0
	wait "$pv" || st=$?
	output=$(< "$(fx_dir)/term.json")
	assert_equal "$st" 143
	assert_equal "$(jqo '.error.code')" interrupted
	assert_equal "$(jqo '.vmas[0].status')" rolled-back
	assert_equal "$(fx_tracer "$sp")" 0
	assert_equal "$(fx_tracer "$dp")" 0
	assert_equal "$(cat "/proc/$dp/maps")" "$dmaps"
	assert_equal "$(cat "/proc/$sp/maps")" "$smaps"
	assert_equal "$(bigsum_of src mem)" "$ssum"
	# both still answer; the source's blocked thread saw nothing
	run ask dst "sum x"
	assert_output --regexp '^sum x [0-9a-f]{16}$'
	assert_equal "$(fx_reply src "stats read")" "stats read returns=0 eintr=0"
}

# A process of 20 000 VMAs (a reservation split by mprotect, every other
# page readable and written), with a 4 KiB VMA of its own at each end.
start_many() {
	start_python many <<'PY'
N = 10000
base = raw_mmap(2 * (N + 8) * PAGE, 0, 0x22 | 0x4000)   # PROT_NONE, NORESERVE
for i in range(N):
    libc.mprotect(base + (2 * i + 4) * PAGE, PAGE, 3)
    ctypes.memset(base + (2 * i + 4) * PAGE, 0x5a, PAGE)
low = base + PAGE
high = base + (2 * N + 6) * PAGE
for a in (low, high):
    libc.mprotect(a, PAGE, 1 | 2 | 4)   # rwx: a VMA of its own
    ctypes.memset(a, 0x33, PAGE)
emit("low", low, low + PAGE)
emit("high", high, high + PAGE)
# SIGUSR1: the high VMA's flags (MADV_DONTDUMP) and policy (MPOL_BIND to
# node 0) change, headers unchanged; then OUT.usr1 exists
MBIND = {"x86_64": 237, "aarch64": 235}[os.uname().machine]
def usr1(sig, frame):
    mask = ctypes.c_ulong(1)
    libc.madvise(ctypes.c_void_p(high), PAGE, 16)
    libc.syscall(MBIND, ctypes.c_void_p(high), ctypes.c_size_t(PAGE), 2,
                 ctypes.byref(mask), ctypes.c_ulong(64), 0)
    open(OUT + ".usr1", "w").close()
signal.signal(signal.SIGUSR1, usr1)
ready()
PY
}

@test "20 000 VMAs: move and copy dry runs plan the same through PROCMAP_QUERY, smaps alone and the whole smaps; a 4 KiB VMA at either end moves out and back" {
	start_many
	start_cmd dst anon:64K:label=x
	local mp dp n what op out=() k
	mp=$(fx_pid many)
	dp=$(cpid dst)
	n=$(wc -l < "/proc/$mp/maps")
	(( n >= 20000 )) || fail "the fixture made $n mappings"
	for what in low high; do
		for op in move copy; do
			out=()
			for k in X=1 PVMMAP_NO_PROCMAP_QUERY=1 PVMMAP_WHOLE_SMAPS=1; do
				PVRUN_WRAP=(env "$k")
				pvrun 0 "$op" "$mp" "$(fx_start many "$what")" 4K --to "$dp" -n --json
				out+=("$(jq -S 'del(.summary.elapsed_s)' <<< "$output")")
			done
			PVRUN_WRAP=()
			assert_equal "$(jqo -r '[.vmas[] | "\(.status)|\(.kind)|\(.method)"] | join(",")')" "ok|anon|copy"
			assert_equal "${out[1]}" "${out[0]}"
			assert_equal "${out[2]}" "${out[0]}"
		done
		pvrun 0 move "$mp" "$(fx_start many "$what")" 4K --to "$dp" --json
		assert_equal "$(jqo -r '.summary.done')" 1
		[[ $(dd if="/proc/$dp/mem" bs=4096 count=1 skip=$(( $(fx_start many "$what") / 4096 )) \
			status=none | od -An -v -tx1 | tr -d ' \n' | tr -s 3) == 3 ]] || fail "the bytes did not arrive"
		pvrun 0 move "$dp" "$(fx_start many "$what")" 4K --to "$mp" --json
		assert_equal "$(jqo -r '.summary.done')" 1
		assert_equal "$(wc -l < "/proc/$mp/maps")" "$n"
	done
}

# A move between two processes places cursors in the source's smaps and
# numa_maps before the freeze, read on under it (issue 10, the `high` case).
early_stopped() { [[ $(fx_state "$1") == T ]]; }

@test "20 000 VMAs: a move through the smaps cursors plans as one without them (PVMMAP_NO_SMAPS_CURSOR=1), and sees flags and a policy changed after they were placed" {
	start_many
	start_cmd dst anon:64K:label=x
	local mp dp what k s out=() pv st
	mp=$(fx_pid many)
	dp=$(cpid dst)
	for what in low high; do
		s=$(fx_start many "$what")
		out=()
		for k in X=1 PVMMAP_NO_SMAPS_CURSOR=1; do
			PVRUN_WRAP=(env "$k")
			pvrun 0 move "$mp" "$s" 4K --to "$dp" --json
			out+=("$(jq -S 'del(.summary.elapsed_s, .summary.source_paused_s)' <<< "$output")")
			PVRUN_WRAP=()
			pvrun 0 move "$dp" "$s" 4K --to "$mp" --json
			assert_equal "$(jqo -r '.summary.done')" 1
		done
		assert_equal "$(jq -r '.summary.done' <<< "${out[0]}")" 1
		assert_equal "${out[1]}" "${out[0]}"
	done
	# stopped once the cursors are placed and the destination made, the
	# source running: what it changes then is what the target gets
	s=$(fx_start many high)
	PVMMAP_STOP_AT=early "$PVMMAP" move "$mp" "$s" 4K --to "$dp" --json \
		> "$(fx_dir)/early.json" 2> "$(fx_dir)/early.err" 3>&- &
	pv=$!
	wait_until 10 early_stopped "$pv"
	kill -USR1 "$mp"
	wait_until 10 test -e "$(fx_dir)/fx.many.usr1"
	kill -CONT "$pv"
	st=0
	wait "$pv" || st=$?
	output=$(< "$(fx_dir)/early.json")
	assert_equal "$st" 0
	assert_equal "$(jqo -r '.summary.done')" 1
	grep -A30 "^${s#0x}-" "/proc/$dp/smaps" | grep -m1 '^VmFlags:' | grep -qw dd ||
		fail "the target's VMA lacks dd: $(grep -A30 "^${s#0x}-" "/proc/$dp/smaps" | grep -m1 '^VmFlags:')"
	if [[ -e /proc/$dp/numa_maps ]]; then
		grep -q "^${s#0x} bind:0" "/proc/$dp/numa_maps" ||
			fail "the target's VMA has not the source's policy: $(grep "^${s#0x} " "/proc/$dp/numa_maps")"
	fi
}
