#!/usr/bin/env bats
# move/copy --dry-run between two mapper processes: how the range is cut into
# pieces, where each piece would go, the target-side refusals, and the
# per-process refusals (exit 3).
# check-aarch64: left out: the plan of a dry run, made by src/plan.c from the facts alone, no architecture in it (the x86_64 run tests it); the per-process refusals run on arm64 in attach.bats and reasons.bats

bats_require_minimum_version 1.5.0

# An address no mapper uses: far below the mmap area and above the program.
FREE=0x100000000000

setup_file() {
	load fixture; fx_setup_file
	start_mapper src anon several file-private mlock anon-sparse:64M thread memfd
	start_mapper dst anon
}

teardown_file() { fx_teardown; }

setup() { load fixture; fx_setup src dst; }

teardown() { fx_teardown; }

# The pieces of a --json plan, one line each: start end dest_start kind
# method status reason size rss.
pieces() {
	jqo '.vmas[] | [.start, .end, .dest_start, .kind, .method, .status, .reason, .size, .rss]
		| map(tostring) | join(" ")'
}

# mapped PID ADDR: true when ADDR is inside a mapping of PID.
mapped() {
	local a=$(( $2 )) s e rest
	while IFS='- ' read -r s e rest; do
		(( 0x$s <= a && a < 0x$e )) && return 0
	done < "/proc/$1/maps"
	return 1
}

# unmapped PID ADDR: fails the test when ADDR is mapped in PID.
unmapped() {
	if mapped "$1" "$2"; then
		fail "$2 is mapped in process $1: the test's premise does not hold"
	fi
}

@test "a range cutting VMAs at both edges: pieces with exact bounds, at the same address" {
	local s1 e1 e2 e3
	s1=$(fx_start src several-1)
	e1=$(fx_end src several-1)
	e2=$(fx_end src several-2)
	e3=$(fx_end src several-3)
	pvrun 0 move "$SRC" "$(hex "$s1 + 0x1000")" "$(( e3 - s1 - 0x2000 ))" --to "$DST" -n --json
	assert_equal "$(pieces)" "$(hex "$s1 + 0x1000") $e1 $(hex "$s1 + 0x1000") anon copy ok null 1044480 1044480
$e1 $e2 $e1 anon copy ok null 1048576 1048576
$e2 $(hex "$e3 - 0x1000") $e2 anon copy ok null 1044480 1044480"
	assert_equal "$(jqo -c '[.operation, .dry_run, .range, .dest, .summary.vmas, .summary.refused, .error]')" \
		"[\"move\",true,{\"start\":\"$(hex "$s1 + 0x1000")\",\"end\":\"$(hex "$e3 - 0x1000")\"},{\"start\":\"$(hex "$s1 + 0x1000")\",\"end\":\"$(hex "$e3 - 0x1000")\"},3,0,null]"
	# the same plan for copy
	pvrun 0 copy "$SRC" "$(hex "$s1 + 0x1000")" "$(( e3 - s1 - 0x2000 ))" --to "$DST" -n --json
	assert_equal "$(pieces | cut -d' ' -f1-3,5,6 | tr '\n' ,)" \
		"$(hex "$s1 + 0x1000") $e1 $(hex "$s1 + 0x1000") copy ok,$e1 $e2 $e1 copy ok,$e2 $(hex "$e3 - 0x1000") $e2 copy ok,"
}

@test "a cut private file mapping: the piece's file offset and resident pages are its own" {
	local s
	s=$(fx_start src file-private)
	pvrun 0 copy "$SRC" "$(hex "$s + 0x3000")" 8K --to "$DST" -n --json
	assert_equal "$(jqo -c '[.vmas[] | [.start, .end, .offset, .kind, .method, .size, .rss]]')" \
		"[[\"$(hex "$s + 0x3000")\",\"$(hex "$s + 0x5000")\",\"0x3000\",\"file\",\"file-cow\",8192,8192]]"
}

@test "a gap in the range: its own not-mapped entry (kind null), exit 1" {
	local s e
	s=$(fx_start src anon)
	e=$(fx_end src anon)
	# mapper leaves the page on each side of a mapping free
	unmapped "$SRC" "$s - 0x1000"
	unmapped "$SRC" "$e"
	pvrun 1 copy "$SRC" "$(hex "$s - 0x1000")" "$(( e - s + 0x2000 ))" --to "$DST" -n --json
	# all or nothing: the mapped piece is skipped because of the gaps
	assert_equal "$(pieces)" "$(hex "$s - 0x1000") $s null null null refused not-mapped 4096 0
$s $e $s anon copy skipped all-or-nothing 1048576 1048576
$e $(hex "$e + 0x1000") null null null refused not-mapped 4096 0"
	assert_equal "$(jqo -c '[.vmas[0] | .perms, .offset, .dev, .inode, .name, .message]')" \
		'[null,null,null,null,null,"nothing is mapped here in the source process"]'
	assert_equal "$(jqo -c '[.summary.vmas, .summary.refused, .summary.skipped, .error]')" '[3,2,1,null]'
	# with --partial it keeps its own verdict
	pvrun 1 copy "$SRC" "$(hex "$s - 0x1000")" "$(( e - s + 0x2000 ))" --to "$DST" -n --partial --json
	assert_equal "$(pieces | sed -n 2p)" "$s $e $s anon copy ok null 1048576 1048576"
}

@test "all or nothing: a refused dry run says that nothing would be done, and what --partial would do" {
	local s e
	s=$(fx_start src several-1)
	e=$(fx_end src several-3)
	# several's three parts, then the free page after them
	run --separate-stderr -1 "$PVMMAP" copy "$SRC" "$s" "$(( e - s + 0x1000 ))" --to "$DST" -n
	# the table on stdout; stderr says it in one line
	assert_equal "$stderr" 'pvmmap: refused: nothing would be copied: 1 VMA refused (all or nothing; --partial would copy the other 3).'
	assert_line --index 2 --regexp "^0*${s#0x} rw-p anon +1M +1M skipped +\$"
	assert_line '    not-mapped: nothing is mapped here in the source process'
	refute_line --partial 'can be copied'
	refute_line --partial 'all-or-nothing:'
	# the summary: the last line, not wrapped (stdout is no terminal)
	assert_equal "${lines[-1]}" "4 VMAs, 3M mapped, 3M resident: nothing would be copied: 1 VMA refused (all or nothing; --partial would copy the other 3)."
	# move says move
	run --separate-stderr -1 "$PVMMAP" move "$SRC" "$s" "$(( e - s + 0x1000 ))" --to "$DST" -n
	assert_equal "${lines[-1]}" '4 VMAs, 3M mapped, 3M resident: nothing would be moved: 1 VMA refused (all or nothing; --partial would move the other 3).'
	assert_equal "$stderr" 'pvmmap: refused: nothing would be moved: 1 VMA refused (all or nothing; --partial would move the other 3).'
}

@test "a range with nothing mapped at all: one not-mapped entry, exit 1" {
	unmapped "$SRC" "$FREE"
	pvrun 1 move "$SRC" "$FREE" 64K --to "$DST" -n --json
	assert_equal "$(pieces)" "$FREE $(hex "$FREE + 0x10000") null null null refused not-mapped 65536 0"
	run -1 "$PVMMAP" move "$SRC" "$FREE" 64K --to "$DST" -n
	assert_line --index 0 "dry run: move $FREE-$(hex "$FREE + 0x10000") of $SRC (mapper) to $DST (mapper) at $FREE"
	assert_line --index 3 '    not-mapped: nothing is mapped here in the source process'
}

@test "--at ADDR2 shifts every dest_start by the same amount" {
	local s1 e1 e2
	s1=$(fx_start src several-1)
	e1=$(fx_end src several-1)
	e2=$(fx_end src several-2)
	unmapped "$DST" "$FREE"
	pvrun 0 copy "$SRC" "$(hex "$s1 + 0x2000")" "$(( e2 - s1 - 0x2000 ))" --to "$DST" --at "$FREE" -n --json
	assert_equal "$(pieces | cut -d' ' -f1-3)" "$(hex "$s1 + 0x2000") $e1 $FREE
$e1 $e2 $(hex "$FREE + e1 - s1 - 0x2000")"
	assert_equal "$(jqo -c '.dest')" \
		"{\"start\":\"$FREE\",\"end\":\"$(hex "$FREE + e2 - s1 - 0x2000")\"}"
	run -0 "$PVMMAP" copy "$SRC" "$(hex "$s1 + 0x2000")" "$(( e2 - s1 - 0x2000 ))" --to "$DST" --at "$FREE" -n
	assert_line --index 0 "dry run: copy $(hex "$s1 + 0x2000")-$e2 of $SRC (mapper) to $DST (mapper) at $FREE"
}

@test "--at any: the kernel chooses, so dest and every dest_start are null" {
	local s e
	s=$(fx_start src anon)
	e=$(fx_end src anon)
	pvrun 0 move "$SRC" "$s" 1M --to "$DST" --at any -n --json
	assert_equal "$(pieces)" "$s $e null anon copy ok null 1048576 1048576"
	assert_equal "$(jqo -c '.dest')" null
	run -0 "$PVMMAP" move "$SRC" "$s" 1M --to "$DST" --at any -n
	assert_line --index 0 "dry run: move $s-$e of $SRC (mapper) to $DST (mapper) at an address the kernel chooses"
}

@test "target-occupied: the destination is mapped in the target; --replace lifts it" {
	local s t te
	s=$(fx_start src anon)
	t=$(fx_start dst anon)
	te=$(fx_end dst anon)
	pvrun 1 copy "$SRC" "$s" 64K --to "$DST" --at "$t" -n --json
	assert_equal "$(pieces)" "$s $(hex "$s + 0x10000") $t anon null refused target-occupied 65536 65536"
	assert_equal "$(jqo '.vmas[0].message')" \
		"the destination address range is already mapped in the target ($t-$te (anonymous) is there)"
	pvrun 0 copy "$SRC" "$s" 64K --to "$DST" --at "$t" --replace -n --json
	assert_equal "$(pieces)" "$s $(hex "$s + 0x10000") $t anon copy ok null 65536 65536"
}

@test "target-occupied: --replace cannot replace the target's [vdso]" {
	local s vdso
	s=$(fx_start src anon)
	vdso=0x$(awk '$NF == "[vdso]" { split($1, r, "-"); print r[1] }' "/proc/$DST/maps")
	pvrun 1 copy "$SRC" "$s" 4K --to "$DST" --at "$vdso" --replace -n --json
	assert_equal "$(jqo '.vmas[0] | [.reason, .message] | join("|")')" \
		"target-occupied|the destination address range is already mapped in the target (the target's [vdso] at $vdso cannot be replaced)"
}

@test "target-out-of-range: below vm.mmap_min_addr, and past the top of the address space" {
	local s min top=0x7ffffffff000
	s=$(fx_start src anon)
	min=$(< /proc/sys/vm/mmap_min_addr)
	(( min > 0 )) || skip "vm.mmap_min_addr is 0: every address from 0 can be mapped"
	pvrun 1 copy "$SRC" "$s" 4K --to "$DST" --at 0 -n --json
	assert_equal "$(jqo '.vmas[0] | [.dest_start, .reason, .message] | join("|")')" \
		"0x0|target-out-of-range|the destination lies outside the addresses the target process can map (the target can map $(hex "$min")-$top)"
	# the last two pages below the top fit; one page higher does not
	unmapped "$DST" 0x7fffffffd000
	unmapped "$DST" 0x7fffffffe000
	pvrun 0 copy "$SRC" "$s" 8K --to "$DST" --at 0x7fffffffd000 -n --json
	assert_equal "$(pieces)" "$s $(hex "$s + 0x2000") 0x7fffffffd000 anon copy ok null 8192 8192"
	pvrun 1 copy "$SRC" "$s" 8K --to "$DST" --at 0x7fffffffe000 -n --json
	assert_equal "$(pieces)" "$s $(hex "$s + 0x2000") 0x7fffffffe000 anon null refused target-out-of-range 8192 8192"
}

@test "target-memlock-limit: mlocked memory into a target with RLIMIT_MEMLOCK 0 and no CAP_IPC_LOCK" {
	local s e
	s=$(fx_start src mlock)
	e=$(fx_end src mlock)
	start_mapper_via locked prlimit --memlock=0:0 setpriv --inh-caps=-all --bounding-set=-all -- anon:4K
	grep -q '^CapEff:[[:space:]]*0000000000000000$' "/proc/$(fx_pid locked)/status"
	pvrun 1 copy "$SRC" "$s" 1M --to "$(fx_pid locked)" --at any -n --json
	assert_equal "$(pieces)" "$s $e null anon null refused target-memlock-limit 1048576 1048576"
	assert_equal "$(jqo '.vmas[0].message')" \
		'this memory is locked in RAM (mlock) and the target may not lock that much more (RLIMIT_MEMLOCK) (RLIMIT_MEMLOCK is 0 kB, 0 kB already locked)'
	# memory that is not locked goes in
	pvrun 0 copy "$SRC" "$(fx_start src anon)" 1M --to "$(fx_pid locked)" --at any -n --json
}

@test "target-memlock-limit does not apply to a target with CAP_IPC_LOCK" {
	local s
	s=$(fx_start src mlock)
	start_mapper_via capable prlimit --memlock=0:0 -- anon:4K
	pvrun 0 copy "$SRC" "$s" 1M --to "$(fx_pid capable)" --at any -n --json
	assert_equal "$(pieces | cut -d' ' -f5-7)" 'copy ok null'
}

@test "target-memory-limit: more than the target's RLIMIT_AS" {
	local s e
	s=$(fx_start src anon-sparse)
	e=$(fx_end src anon-sparse)
	start_mapper_via small prlimit --as=67108864 -- anon:4K
	pvrun 1 copy "$SRC" "$s" 64M --to "$(fx_pid small)" --at any -n --json
	assert_equal "$(pieces | cut -d' ' -f1-2,4-8)" "$s $e anon null refused target-memory-limit 67108864"
	assert_regex "$(jqo '.vmas[0].message')" \
		'^the target cannot take this much more memory: its address-space limit \(RLIMIT_AS\) or its memory cgroup would be exceeded \(RLIMIT_AS is 65536 kB and the target maps [0-9]+ kB\)$'
	# one page fits
	pvrun 0 copy "$SRC" "$s" 4K --to "$(fx_pid small)" --at any -n --json
}

@test "a hugetlb mapping cannot be cut inside a huge page: refused, exit 1" {
	# munmap and mmap of hugetlb memory work in whole huge pages only, so a
	# 4 KiB piece of a 2 MiB page can be neither taken out of the source nor
	# mapped in the target: "ok" would promise what cannot be done.
	fx_hugepages 1
	start_mapper huge hugetlb-shared
	fx_require huge hugetlb-shared
	local h
	h=$(fx_start huge hugetlb-shared)
	pvrun 1 copy "$(fx_pid huge)" "$(hex "$h + 0x1000")" 4K --to "$DST" --at any -n --json
	assert_equal "$(jqo '.vmas[] | "\(.kind) \(.status) \(.method) \(.reason)"')" 'hugetlb refused null huge-page-split'
	# whole huge pages are fine
	pvrun 0 copy "$(fx_pid huge)" "$h" 2M --to "$DST" --at any -n --json
	assert_equal "$(jqo '.vmas[] | "\(.kind) \(.status) \(.method)"')" 'hugetlb ok share'
}

# target-map-count: see reasons.bats (a target with vm.max_map_count
# mappings takes a second to make and to read).

@test "PID == PID2: move within one process is a remap; copy is a copy" {
	local s e
	s=$(fx_start src anon)
	e=$(fx_end src anon)
	unmapped "$SRC" "$e"
	pvrun 0 move "$SRC" "$s" 4K --to "$SRC" --at "$e" -n --json
	assert_equal "$(pieces)" "$s $(hex "$s + 0x1000") $e anon remap ok null 4096 4096"
	assert_equal "$(jqo -c '[.source, .target]')" \
		"[{\"pid\":$SRC,\"comm\":\"mapper\"},{\"pid\":$SRC,\"comm\":\"mapper\"}]"
	pvrun 0 copy "$SRC" "$s" 4K --to "$SRC" --at "$e" -n --json
	assert_equal "$(pieces)" "$s $(hex "$s + 0x1000") $e anon copy ok null 4096 4096"
	run -0 "$PVMMAP" move "$SRC" "$s" 4K --to "$SRC" --at "$e" -n
	assert_line --regexp "^0*${s#0x} rw-p anon +4K +4K remap +\$"
	assert_line '1 VMA, 4K mapped, 4K resident: 1 can be moved (1 remap), 0 refused, 0 failed.'
}

@test "PID == PID2: a destination overlapping the range itself is target-occupied" {
	local s
	s=$(fx_start src anon)
	pvrun 1 move "$SRC" "$s" 8K --to "$SRC" --at "$(hex "$s + 0x1000")" -n --json
	assert_equal "$(jqo '.vmas[0] | [.reason, .message] | join("|")')" \
		'target-occupied|the destination address range is already mapped in the target (the destination overlaps the range being moved)'
}

@test "in-use applies to move only; shared memory is shared; all ok gives exit 0" {
	local s e
	s=$(fx_start src thread)
	e=$(fx_end src thread)
	pvrun 1 move "$SRC" "$s" 1M --to "$DST" --at any -n --json
	assert_equal "$(pieces | cut -d' ' -f4-7)" 'anon null refused in-use'
	pvrun 0 copy "$SRC" "$s" 1M --to "$DST" --at any -n --json
	assert_equal "$(pieces | cut -d' ' -f1-8)" "$s $e null anon copy ok null 1048576"
	# a shared mapping is shared, and counted as such
	pvrun 0 copy "$SRC" "$(fx_start src memfd)" 1M --to "$DST" --at any -n --json
	assert_equal "$(jqo -c '[.vmas[0].kind, .vmas[0].method, .summary.bytes_shared, .summary.bytes_copied]')" \
		'["shmem","share",1048576,0]'
}

@test "dry-run text: header, rows, summary; nothing on stderr" {
	local s1 e3
	s1=$(fx_start src several-1)
	e3=$(fx_end src several-3)
	run --separate-stderr -0 "$PVMMAP" copy "$SRC" "$s1" 3M --to "$DST" -n
	assert_equal "$stderr" ''
	assert_equal "${#lines[@]}" 6
	assert_line --index 0 "dry run: copy $s1-$e3 of $SRC (mapper) to $DST (mapper) at $s1"
	assert_line --index 1 'ADDRESS          PERM KIND      SIZE    RSS METHOD   NAME'
	assert_line --index 5 '3 VMAs, 3M mapped, 3M resident: 3 can be copied (3 copy), 0 refused, 0 failed.'
	# --quiet: nothing on success
	run --separate-stderr -0 "$PVMMAP" copy "$SRC" "$s1" 3M --to "$DST" -n -q
	assert_equal "$output$stderr" ''
}

@test "--quiet still reports refusals, on stderr" {
	run --separate-stderr -1 "$PVMMAP" copy "$SRC" "$FREE" 4K --to "$DST" -n -q
	assert_equal "$output" ''
	# each refused piece on a line of its own (its hint may follow), then the
	# refused line
	local f
	f=$(printf '%016x-%016x' "$FREE" "$(( FREE + 0x1000 ))")
	[[ ${stderr_lines[0]} == "pvmmap: not-mapped: $f"*': nothing is mapped here in the source process' ]] ||
		fail "stderr: $stderr"
	[[ ${#stderr_lines[@]} == 2 ]] ||
		assert_equal "${stderr_lines[1]}" '  hint: choose a range that /proc/PID/maps (or pvmmap maps PID) shows as mapped'
	assert_regex "${stderr_lines[-1]}" '^pvmmap: refused: '
}

@test "every refused row is followed by its hint, in the table too" {
	run --separate-stderr -1 "$PVMMAP" copy "$SRC" "$(fx_start src anon)" 4K --to "$DST" \
		--at "$(fx_start dst anon)" -n
	assert_regex "$stderr" '^pvmmap: refused: '
	# one line each (stdout is no terminal)
	assert_line --index 3 --regexp '^    target-occupied: the destination address range is already mapped in the target \(.*\)$'
	assert_line --index 4 '      hint: use --at ADDR or --at any to choose another place, or --replace to overwrite what is there'
}

@test "the dry run predicts the real move: glibc's TLS block of the main thread is in use in both" {
	# the anonymous mapping that holds the main thread's TLS (glibc's
	# control block, seen by its robust-futex list)
	pvrun 0 maps "$SRC" --json
	local s e msg
	read -r s e < <(jqo --arg t "thread $SRC's thread-local storage" \
		'first(.vmas[] | select(.reason == "in-use" and (.message | contains($t)))) | "\(.start) \(.end)"')
	[[ -n $s && $s != null ]] || fail "no VMA holds the TLS of thread $SRC"
	pvrun 1 move "$SRC" "$s" $(( e - s )) --to "$DST" --at any -n --json
	msg=$(jqo '.vmas[0] | "\(.status) \(.reason) \(.message)"')
	[[ $msg == "refused in-use "*"(thread $SRC's thread-local storage is in it: its robust-futex list is at 0x"* ]] || fail "$msg"
	# the move stops the process, plans again from the registers, and says the same
	pvrun 1 move "$SRC" "$s" $(( e - s )) --to "$DST" --at any --json
	assert_equal "$(jqo '.vmas[0] | "\(.status) \(.reason) \(.message)"')" "$msg"
	mapped "$SRC" "$s"
}

@test "a dry run that cannot see a running thread: deferred, exit 6, never a silent ok" {
	start_mapper spin spinner:label=t anon:64K:label=a
	local p; p=$(fx_pid spin)
	run --separate-stderr -6 "$PVMMAP" move "$p" "$(fx_start spin a)" 64K --to "$DST" --at any -n
	assert_regex "$stderr" '^pvmmap: deferred: [^'$'\n'']*$'
	assert_line --index 2 --regexp '^[0-9a-f]{16} rw-p anon +64K +[0-9.]+[BKM] deferred +$'
	assert_line --index 3 --regexp '^    in-use-unknown: whether a thread of the source is using this memory'
	assert_output --partial "(thread $(fx_field spin t tid) is running, so its stack and instruction"
	assert_output --partial '      hint: run the move itself'
	[[ $(tr '\n' ' ' <<< "$output") == *'1 VMA, 64K mapped, 64K resident: 0 can be moved, 1 to be checked by the move itself, 0 refused, 0 failed.'* ]] ||
		fail "summary: $output"
	# -q: exit 6, the deferred row on stderr
	run --separate-stderr -6 "$PVMMAP" move "$p" "$(fx_start spin a)" 64K --to "$DST" --at any -n -q
	assert_equal "$output" ''
	[[ $stderr == *deferred* ]] || fail "stderr: $stderr"
	# copy has no in-use rule; the real move decides with the thread stopped
	pvrun 0 copy "$p" "$(fx_start spin a)" 64K --to "$DST" --at any -n
	pvrun 0 move "$p" "$(fx_start spin a)" 64K --to "$DST" --at any --json
	assert_equal "$(jqo '.vmas[0].status')" done
}

@test "a running thread's stack below its TLS: deferred in the dry run, refused by the move, which sees the stack pointer" {
	start_mapper sp spinner:label=t
	local p s e spp r rp
	p=$(fx_pid sp); s=$(fx_start sp t); e=$(fx_end sp t); spp=$(fx_start sp t-sp)
	# glibc's control block of the thread (its TLS) is at the top of its stack
	pvrun 1 move "$p" "$s" $(( e - s )) --to "$DST" --at any -n --json
	r=$(jqo '.vmas[0].message' | sed -n 's/.*robust-futex list is at \(0x[0-9a-f]*\).*/\1/p')
	[[ -n $r ]] || fail "no robust-futex list in: $output"
	rp=$(( r & ~0xfff ))
	(( spp < rp )) || skip "the stack pointer shares a page with the thread's control block"
	# the pages from the stack pointer's up to the control block's
	pvrun 6 move "$p" "$spp" $(( rp - spp )) --to "$DST" --at any -n --json
	assert_equal "$(jqo '.vmas[0] | "\(.status) \(.reason)"')" 'deferred in-use-unknown'
	pvrun 1 move "$p" "$spp" $(( rp - spp )) --to "$DST" --at any --json
	assert_equal "$(jqo '.vmas[0] | "\(.status) \(.reason)"')" 'refused in-use'
	[[ $(jqo '.vmas[0].message') == *"thread $(fx_field sp t tid)'s stack pointer 0x"* ]] ||
		fail "$(jqo '.vmas[0].message')"
	mapped "$p" "$spp"
}

@test "--force: a move of [heap] is refused without it" {
	start_mapper h heap:1M:label=h
	local p s e; p=$(fx_pid h); s=$(fx_start h h); e=$(fx_end h h)
	pvrun 1 move "$p" "$s" $(( e - s )) --to "$DST" --at any -n --json
	assert_equal "$(jqo '.vmas[0] | "\(.kind) \(.status) \(.reason)"')" 'heap refused in-use'
	pvrun 0 move "$p" "$s" $(( e - s )) --to "$DST" --at any -n --force --json
	assert_equal "$(jqo '.vmas[0] | "\(.kind) \(.status) \(.method)"')" 'heap ok copy'
	# copy takes --force and is not changed by it
	pvrun 0 copy "$p" "$s" $(( e - s )) --to "$DST" --at any -n --force --json
}

# ---- per-process refusals: exit 3, error.code in JSON -----------------------

# process_error CODE MESSAGE-REGEX ARGS...: pvmmap ARGS --json exits 3 with
# error CODE whose message matches, and lists no VMA.
process_error() {
	local code=$1 re=$2
	shift 2
	pvrun 3 "$@" --json
	assert_equal "$stderr" ''
	local got
	got=$(jqo '"\(.error.code) \(.vmas | length)|\(.error.message)"')
	assert_equal "${got%%|*}" "$code 0"
	assert_regex "${got#*|}" "$re"
}

@test "no-such-process: a pid that was reaped (source or target)" {
	local gone
	true &
	gone=$!
	wait "$gone"
	[[ ! -e /proc/$gone ]]
	process_error no-such-process "^there is no process with this id \(or it exited\) \(process $gone\)\$" \
		move "$gone" 0x10000 4K --to "$DST" -n
	process_error no-such-process "\(process $gone\)\$" copy "$SRC" 0x10000 4K --to "$gone" -n
}

@test "not-a-process: a thread id, a kernel thread, pvmmap itself" {
	local tid
	tid=$(fx_field src thread tid)
	process_error not-a-process "\($tid is a thread of process $SRC\)\$" copy "$tid" 0x10000 4K --to "$DST" -n
	process_error not-a-process "\($tid is a thread of process $SRC\)\$" copy "$SRC" 0x10000 4K --to "$tid" -n
	[[ "$(< /proc/2/comm)" == kthreadd ]] || skip "pid 2 is not kthreadd here"
	process_error not-a-process '\(2 \(kthreadd\) is a kernel thread\)$' move 2 0x10000 4K --to "$DST" -n
	# exec keeps the pid: the shell's $$ becomes pvmmap's own
	run -3 bash -c 'exec "$0" move "$1" 0x10000 4K --to $$ -n --json' "$PVMMAP" "$SRC"
	assert_regex "$(jqo '[.error.code, .error.message] | join("|")')" \
		'^not-a-process\|.* \([0-9]+ is pvmmap itself\)$'
	# each with a remedy of its own
	assert_equal "$(jqo '.error.hint')" 'pvmmap cannot stop itself to change its own memory: give the id of another process'
	pvrun 3 copy "$tid" 0x10000 4K --to "$DST" -n --json
	assert_equal "$(jqo '.error.hint')" "give $SRC, the id of the whole process"
}

@test "zombie: a child that exited and was not reaped" {
	local z
	start_bg zparent bash -c 'sleep 0 & echo $! > "$1"; exec sleep 30' zparent "$BATS_TEST_TMPDIR/zpid"
	wait_until 5 test -s "$BATS_TEST_TMPDIR/zpid"
	z=$(< "$BATS_TEST_TMPDIR/zpid")
	wait_until 5 grep -q '^State:[[:space:]]*Z' "/proc/$z/status"
	process_error zombie "\($z \(sleep\) is a zombie\)\$" copy "$SRC" 0x10000 4K --to "$z" -n
}

@test "already-traced: the target is under strace; the message names the tracer" {
	local tracer
	start_bg strace strace -o /dev/null -p "$DST"
	tracer=$(fx_bgpid strace)
	wait_until 5 grep -q "^TracerPid:[[:space:]]*$tracer\$" "/proc/$DST/status"
	process_error already-traced "\(it is traced by process $tracer \(strace\)\)\$" \
		copy "$SRC" "$(fx_start src anon)" 4K --to "$DST" -n
}

@test "seccomp-blocks: a seccomp'd target, and pvmmap without CAP_SYS_ADMIN" {
	start_mapper_via sec "$FX_PY" "$(fx_seccomp_wrapper)" -- anon:4K
	grep -q '^Seccomp:[[:space:]]*2$' "/proc/$(fx_pid sec)/status"
	run --separate-stderr -3 setpriv --bounding-set=-sys_admin "$PVMMAP" copy "$SRC" \
		"$(fx_start src anon)" 4K --to "$(fx_pid sec)" -n --json
	assert_equal "$(jqo '[.error.code, .error.message] | join("|")')" \
		'seccomp-blocks|the process runs under a seccomp filter that could refuse the system calls pvmmap must run inside it, or kill the process for them (it runs in seccomp filter mode and pvmmap lacks CAP_SYS_ADMIN)'
	# as root, with CAP_SYS_ADMIN, pvmmap may suspend the filter
	pvrun 0 copy "$SRC" "$(fx_start src anon)" 4K --to "$(fx_pid sec)" --at any -n --json
}

@test "cross-user: a target of another user; --allow-cross-user lifts it" {
	start_mapper_via nobody setpriv --reuid=65534 --regid=65534 --clear-groups -- anon:4K
	local n
	n=$(fx_pid nobody)
	process_error cross-user "\(process $SRC runs as uid 0 and process $n as uid 65534\)\$" \
		copy "$SRC" "$(fx_start src anon)" 4K --to "$n" --at any -n
	pvrun 0 copy "$SRC" "$(fx_start src anon)" 4K --to "$n" --at any --allow-cross-user -n --json
	assert_equal "$(jqo -c '[.error, .vmas[0].status]')" '[null,"ok"]'
}

@test "ptrace-denied: pvmmap run as nobody against root's processes" {
	run -3 setpriv --reuid=65534 --regid=65534 --clear-groups \
		"$PVMMAP" copy "$SRC" "$(fx_start src anon)" 4K --to "$DST" -n --json
	assert_equal "$(jqo '[.error.code, .error.message, .error.hint] | join("|")')" \
		"ptrace-denied|the kernel's ptrace access rules do not let pvmmap read or attach to this process (reading /proc/$SRC/smaps was refused: process $SRC belongs to uid 0 and pvmmap runs as uid 65534, without CAP_SYS_PTRACE)|run pvmmap as uid 0, the process's owner, or as root"
}
