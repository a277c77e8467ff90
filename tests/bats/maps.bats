#!/usr/bin/env bats
# pvmmap maps: one mapper holding every kind of mapping, and the verdict
# pvmmap gives each (kind, method, status, reason), in JSON and as a table.

bats_require_minimum_version 1.5.0

ALL_KINDS=(anon anon-sparse thp heap thread file-private file-shared file-deleted memfd
	shmem devzero devzero-private sysv mlock mlock-onfault prot-none readonly exec guard
	mseal uffd aio hugetlb hugetlb-shared pkey anon-name dontfork wipeonfork dontdump
	mergeable nohugepage sequential random several shadow-stack threads:3)

setup_file() {
	load fixture; fx_setup_file
	# two huge pages for hugetlb and hugetlb-shared, given back in teardown_file
	fx_hugepages 2
	start_mapper all "${ALL_KINDS[@]}"
	local pid d=$BATS_FILE_TMPDIR for
	pid=$(fx_pid all)
	for for in move copy; do
		"$PVMMAP" maps "$pid" --for "$for" --json > "$d/$for.json"
		echo $? > "$d/$for.status"
		vma_tsv < "$d/$for.json" > "$d/$for.tsv"
		# the same lines, each after the label of mapper's item starting there
		awk -F'\t' 'NR == FNR { row[$1] = $0; next }
			$1 != "ready" && $2 in row { print $1 "\t" $3 "\t" row[$2] }' \
			"$d/$for.tsv" FS=' ' "$(fx_list all)" > "$d/items.$for.tsv"
	done
}

teardown_file() { fx_teardown; }

setup() { load fixture; fx_setup; }

teardown() { fx_teardown; }

# One line per VMA: start end kind method status reason perms size rss message name.
vma_tsv() {
	jq -r '.vmas[] | [.start, .end, .kind, .method, .status, .reason, .perms, .size, .rss,
		.message, .name] | map(if . == null then "null" else tostring end) | @tsv'
}

# row FOR START: the TSV line of the VMA starting at START (--for FOR).
row() { awk -F'\t' -v s="$2" '$1 == s' "$BATS_FILE_TMPDIR/$1.tsv"; }

# The lines of items.FOR.tsv by label, read without a fork: ITEM[FOR/LABEL]
# is "item_end start end kind method status reason perms size rss message
# name", item_end being where mapper says LABEL ends.
declare -gA ITEM
load_items() {
	local for label rest
	for for in move copy; do
		while IFS=$'\t' read -r label rest; do
			ITEM[$for/$label]=$rest
		done < "$BATS_FILE_TMPDIR/items.$for.tsv"
	done
}

# item FOR LABEL: the fields of LABEL's VMA into the array F (fails when
# no VMA starts where mapper put LABEL).
item() {
	[[ ${#ITEM[@]} -gt 0 ]] || load_items
	[[ -n "${ITEM[$1/$2]:-}" ]] || fail "no VMA starts where mapper put '$2' (maps --for $1)"
	IFS=$'\t' read -r -a F <<< "${ITEM[$1/$2]}"
}

# expect LABEL FOR 'KIND METHOD STATUS REASON [PERMS]': the VMA of mapper item
# LABEL is listed with exactly its bounds and these fields.
expect() {
	local label=$1 for=$2 want=$3
	item "$for" "$label"
	assert_equal "$label ends at ${F[2]}" "$label ends at ${F[0]}"
	local got="${F[3]} ${F[4]} ${F[5]} ${F[6]}"
	[[ $want == *' '*' '*' '*' '* ]] && got+=" ${F[7]}"
	assert_equal "$label --for $for: $got" "$label --for $for: $want"
}

# vmflags_of LABEL: the VmFlags smaps prints for mapper item LABEL.
vmflags_of() {
	awk -v a="$(fx_start all "$1")" 'BEGIN { sub(/^0x/, "", a) }
		index($1, a "-") == 1 { on = 1; next }
		on && /^VmFlags:/ { sub(/^VmFlags: */, ""); print; exit }' "/proc/$(fx_pid all)/smaps"
}

# name LABEL: the name maps gives the VMA of LABEL.
name() { item move "$1"; printf '%s\n' "${F[11]}"; }

# message FOR LABEL: the JSON message of LABEL's VMA.
message() { item "$1" "$2"; printf '%s\n' "${F[10]}"; }

@test "maps exits 0 and lists the mapper's process" {
	assert_equal "$(cat "$BATS_FILE_TMPDIR/move.status")" 0
	assert_equal "$(cat "$BATS_FILE_TMPDIR/copy.status")" 0
	run -0 jq -c '[.operation, .dry_run, .source, .target, .range, .dest, .error, .blockers]' \
		"$BATS_FILE_TMPDIR/move.json"
	assert_output "[\"maps\",true,{\"pid\":$(fx_pid all),\"comm\":\"mapper\"},null,null,null,null,[]]"
}

@test "private anonymous kinds: anon, copy, ok (mlock, PROT_NONE and guard pages too)" {
	local l
	for l in anon anon-sparse thp mlock mlock-onfault guard dontfork wipeonfork dontdump \
		mergeable nohugepage sequential random; do
		# what this kernel cannot make, mapper lists at 0x0 (guard
		# regions before 6.13, mergeable without KSM)
		[[ $(fx_start all "$l") != 0x0 ]] || continue
		# a kernel with no name for a flag prints '??' (VM_LOCKONFAULT
		# on Debian 12's 6.1, the arm64 guest; 'lf' on 6.18): pvmmap
		# cannot tell what the destination would need, and refuses it
		if [[ " $(vmflags_of "$l") " == *' ?? '* ]]; then
			expect "$l" move 'anon null refused unrecognised rw-p'
			expect "$l" copy 'anon null refused unrecognised rw-p'
			continue
		fi
		expect "$l" move 'anon copy ok null rw-p'
		expect "$l" copy 'anon copy ok null rw-p'
	done
	expect prot-none move 'anon copy ok null ---p'
	expect readonly move 'anon copy ok null r--p'
	expect exec move 'anon copy ok null r-xp'
	expect several-1 move 'anon copy ok null rw-p'
	expect several-2 move 'anon copy ok null r--p'
	expect several-3 move 'anon copy ok null ---p'
	assert_equal "$(name anon)" ''
}

@test "a private mapping of /dev/zero is anonymous memory: anon, copy" {
	expect devzero-private move 'anon copy ok null rw-p'
	assert_equal "$(name devzero-private)" /dev/zero
}

@test "heap: heap; refused 'in-use' for move (malloc's brk heap), copy for copy" {
	expect heap move 'heap null refused in-use rw-p'
	expect heap copy 'heap copy ok null rw-p'
	assert_equal "$(name heap)" '[heap]'
	assert_equal "$(message move heap)" "the source is still using this memory: moving it away would crash the process, as unmapping it would (it is the brk heap, where malloc keeps the memory it has handed out; --force moves it all the same)"
}

@test "the main thread's thread-local storage: refused 'in-use' for move, seen without stopping it" {
	local pid
	pid=$(fx_pid all)
	run -0 jq -r --arg t "(thread $pid's thread-local storage is in it: its robust-futex list is at 0x" \
		'[.vmas[] | select(.status == "refused" and .reason == "in-use" and (.message | contains($t)))
		 | "\(.kind) \(.perms) \(.name)"] | join(",")' "$BATS_FILE_TMPDIR/move.json"
	assert_output 'anon rw-p '
}

@test "private file: file, file-cow" {
	expect file-private move 'file file-cow ok null rw-p'
	expect file-private copy 'file file-cow ok null rw-p'
	assert_equal "$(name file-private)" "$(fx_field all file-private path)"
}

@test "shared file, also deleted: file, share; the name says (deleted)" {
	expect file-shared move 'file share ok null rw-s'
	assert_equal "$(name file-shared)" "$(fx_field all file-shared path)"
	expect file-deleted move 'file share ok null rw-s'
	assert_equal "$(name file-deleted)" "$(fx_field all file-deleted path) (deleted)"
}

@test "memfd, shared anonymous and shared /dev/zero: shmem, share" {
	expect memfd move 'shmem share ok null rw-s'
	assert_equal "$(name memfd)" '/memfd:pvmmap-test (deleted)'
	expect shmem move 'shmem share ok null rw-s'
	assert_equal "$(name shmem)" '/dev/zero (deleted)'
	expect devzero move 'shmem share ok null rw-s'
	assert_equal "$(name devzero)" '/dev/zero (deleted)'
}

@test "SysV shared memory: sysv, share" {
	expect sysv move 'sysv share ok null rw-s'
	assert_regex "$(name sysv)" '^/SYSV[0-9a-f]{8} \(deleted\)$'
}

@test "hugetlb: private copy, shared share" {
	fx_require all hugetlb hugetlb-shared
	expect hugetlb move 'hugetlb copy ok null rw-p'
	expect hugetlb-shared move 'hugetlb share ok null rw-s'
	assert_equal "$(name hugetlb)" '/anon_hugepage (deleted)'
}

@test "mseal: refused 'sealed' for move, copy for copy" {
	fx_require all mseal
	expect mseal move 'anon null refused sealed'
	assert_equal "$(message move mseal)" \
		'this mapping is sealed with mseal(), so the source can never unmap it; it can be copied, not moved'
	expect mseal copy 'anon copy ok null'
}

@test "userfaultfd-registered memory: refused 'uffd-registered' for move and copy" {
	expect uffd move 'anon null refused uffd-registered'
	expect uffd copy 'anon null refused uffd-registered'
	assert_equal "$(message copy uffd)" \
		'the source handles page faults on this memory itself with userfaultfd, so reading it while the source is stopped could wait forever'
}

@test "the AIO ring: special, refused 'aio-ring'" {
	expect aio move 'special null refused aio-ring'
	expect aio copy 'special null refused aio-ring'
	assert_equal "$(name aio)" '/[aio] (deleted)'
}

@test "a memory protection key: refused 'protection-key'" {
	fx_require all pkey
	expect pkey move 'anon null refused protection-key'
	expect pkey copy 'anon null refused protection-key'
}

@test "a named anonymous mapping: anon, copy" {
	fx_require all anon-name
	expect anon-name move 'anon copy ok null rw-p'
	assert_equal "$(name anon-name)" '[anon:pvmmap-test]'
}

@test "a shadow stack: refused 'shadow-stack'" {
	fx_require all shadow-stack
	expect shadow-stack move 'anon null refused shadow-stack'
	expect shadow-stack copy 'anon null refused shadow-stack'
}

@test "the stack of a blocked thread: refused 'in-use' for move, copy for copy" {
	local l tid
	for l in thread threads-1 threads-2 threads-3; do
		expect "$l" move 'anon null refused in-use'
		expect "$l" copy 'anon copy ok null rw-p'
		tid=$(fx_field all "$l" tid)
		assert_regex "$(message move "$l")" \
			"^the source is still using this memory: moving it away would crash the process, as unmapping it would \(thread $tid's stack pointer 0x[0-9a-f]+ is in it\)$"
	done
	# the stack pointer the kernel reports is the one mapper saw
	assert_equal "$(message move thread | grep -o '0x[0-9a-f]*')" "$(fx_field all thread-sp sp)"
}

@test "[stack]: refused 'in-use' for move, copy for copy" {
	run -0 jq -r '.vmas[] | select(.name == "[stack]") | [.kind, .method, .status, .reason,
		.message] | map(tostring) | join("|")' "$BATS_FILE_TMPDIR/move.json"
	assert_output 'stack|null|refused|in-use|the source is still using this memory: moving it away would crash the process, as unmapping it would (it is the main thread'"'"'s stack)'
	run -0 jq -r '.vmas[] | select(.name == "[stack]") | [.kind, .method, .status]
		| join(" ")' "$BATS_FILE_TMPDIR/copy.json"
	assert_output 'stack copy ok'
}

@test "[vdso], [vvar], [vsyscall]: special, refused 'special-mapping' for move and copy" {
	local for n
	for for in move copy; do
		for n in '[vdso]' '[vvar]' '[vsyscall]'; do
			run -0 jq -r --arg n "$n" '[.vmas[] | select(.name == $n)] | length' \
				"$BATS_FILE_TMPDIR/$for.json"
			# [vsyscall] is x86_64's alone
			if [[ $n == '[vsyscall]' && $(uname -m) != x86_64 ]]; then
				assert_output 0
			else
				assert_output 1
			fi
		done
		# and whatever else the kernel provides ([vvar_vclock] on 6.15+)
		run -0 jq -r '.vmas[] | select(.name | test("^\\[(vdso|vvar.*|vsyscall)\\]$"))
			| [.name, .kind, .method, .status, .reason, .message] | map(tostring) | join("|")' \
			"$BATS_FILE_TMPDIR/$for.json"
		local line
		for line in "${lines[@]}"; do
			assert_regex "$line" '^\[[a-z_]+\]\|special\|null\|refused\|special-mapping\|this is a page the kernel provides to every process \(such as \[vdso\] or \[vvar\]\): it exists once per process and cannot be recreated by mmap$'
		done
	done
}

@test "every ok VMA has a method and no reason; every refused one a reason, message and no method" {
	local for
	for for in move copy; do
		run -0 jq -r '.vmas[] | select((.status == "ok" and (.method == null or .reason != null
			or .message != null)) or (.status == "refused" and (.method != null or
			.reason == null or .message == null)) or (.status != "ok" and .status != "refused"))
			| .start' "$BATS_FILE_TMPDIR/$for.json"
		assert_output ''
	done
	# and the copy verdicts are the move verdicts without in-use and sealed
	run -0 jq -r '[.vmas[] | select(.status == "refused") | .reason] | unique | join(" ")' \
		"$BATS_FILE_TMPDIR/copy.json"
	refute_output --partial in-use
	refute_output --partial sealed
	assert_output --partial special-mapping
}

@test "maps PID ADDR lists the one VMA containing ADDR, whole" {
	local s e
	s=$(fx_start all anon)
	e=$(fx_end all anon)
	run -0 "$PVMMAP" maps "$(fx_pid all)" "$(hex "$s + 0x3000")" --json
	assert_equal "$(jq -c '[.range, [.vmas[] | [.start, .end, .kind, .method]]]' <<< "$output")" \
		"[{\"start\":\"$(hex "$s + 0x3000")\",\"end\":\"$(hex "$s + 0x4000")\"},[[\"$s\",\"$e\",\"anon\",\"copy\"]]]"
}

@test "maps PID ADDR LEN lists every VMA meeting the range, whole, not cut" {
	local s1 e1 s2 e3
	s1=$(fx_start all several-1)
	e1=$(fx_end all several-1)
	s2=$(fx_start all several-2)
	e3=$(fx_end all several-3)
	# from the middle of the first part to the middle of the third
	run -0 "$PVMMAP" maps "$(fx_pid all)" "$(hex "$s1 + 0x80000")" 2M --json
	assert_equal "$(jq -c '[.vmas[] | [.start, .end, .perms, .size]]' <<< "$output")" \
		"[[\"$s1\",\"$e1\",\"rw-p\",1048576],[\"$s2\",\"$(fx_start all several-3)\",\"r--p\",1048576],[\"$(fx_start all several-3)\",\"$e3\",\"---p\",1048576]]"
	# a range from the free page before anon to its first page: anon only, no gap entry
	run -0 "$PVMMAP" maps "$(fx_pid all)" "$(hex "$(fx_start all anon) - 0x1000")" 8K --json
	assert_equal "$(jq -c '[.vmas[] | .start]' <<< "$output")" "[\"$(fx_start all anon)\"]"
}

@test "maps of a range where nothing is mapped: one not-mapped entry, said in words, exit 0" {
	local a
	a=$(fx_end all anon)
	run -0 "$PVMMAP" maps "$(fx_pid all)" "$a" 4K --json
	assert_equal "$(jq -c '[[.vmas[] | [.start, .end, .kind, .status, .reason]], .summary.vmas, .summary.refused, .error]' <<< "$output")" \
		"[[[\"$a\",\"$(hex "$a + 0x1000")\",null,\"refused\",\"not-mapped\"]],1,1,null]"
	# ADDR alone: the page at ADDR
	run --separate-stderr -0 "$PVMMAP" maps "$(fx_pid all)" "$a"
	assert_equal "$stderr" ''
	assert_line --index 2 --regexp "^0*${a#0x} +- +4K +refused +\$"
	assert_line --index 3 '    not-mapped: nothing is mapped here in the source process'
	assert_line "Nothing is mapped at $a-$(hex "$a + 0x1000") in process $(fx_pid all)."
	refute_output --partial 'can be moved'
}

@test "the table: a header, one row per VMA, each refused row followed by its 'code: sentence'" {
	local pid
	pid=$(fx_pid all)
	run --separate-stderr -0 "$PVMMAP" maps "$pid"
	assert_equal "$stderr" ''
	assert_line --index 0 "$pid: mapper  (verdicts to move; add --to PID2 for the target's rules)"
	assert_line --index 1 'ADDRESS          PERM KIND      SIZE    RSS METHOD   NAME'
	# rows, in the order of the JSON, with the JSON's verdicts (the METHOD
	# column: the method, or the status); the reason below a refused row
	# (one line, indented 4: stdout is no terminal) is "code: message",
	# then its remedy (one line, indented 6) "hint: ..."
	local -a json
	mapfile -t json < <(jq -r '.vmas[] | [(.start | ltrimstr("0x")), .perms, .kind,
		(if .status == "ok" then .method else .status end), (.reason // ""), (.message // ""),
		(.hint // "")] | join("|")' "$BATS_FILE_TMPDIR/move.json")
	local i=2 n=0 row start perms kind verdict reason msg hint text htext
	while (( i < ${#lines[@]} )) && [[ ${lines[i]} =~ ^[0-9a-f]{16}\  ]]; do
		IFS='|' read -r start perms kind verdict reason msg hint <<< "${json[n]}"
		row=${lines[i]}
		assert_regex "$row" "^0*$start $perms +$kind +[0-9.]+[BKMGT] +[0-9.]+[BKMGT] $verdict +"
		i=$((i + 1)); n=$((n + 1))
		text= htext=
		if (( i < ${#lines[@]} )) && [[ ${lines[i]} == '    '[!\ ]* ]]; then
			text=${lines[i]#    }
			i=$((i + 1))
		fi
		if (( i < ${#lines[@]} )) && [[ ${lines[i]} == '      '[!\ ]* ]]; then
			htext=${lines[i]#      }
			i=$((i + 1))
		fi
		if [[ -n "$reason" ]]; then
			assert_equal "$text" "$reason: $msg"
			assert_equal "$htext" "${hint:+hint: $hint}"
		else
			assert_equal "$text$htext" ''
		fi
	done
	assert_equal "$n" "${#json[@]}"
	assert_equal "$n" "$(jq -r '.summary.vmas' "$BATS_FILE_TMPDIR/move.json")"
}

@test "the table's summary line counts what the JSON counts" {
	local pid for verb
	pid=$(fx_pid all)
	for for in move copy; do
		verb=moved
		[[ $for == copy ]] && verb=copied
		run -0 "$PVMMAP" maps "$pid" --for "$for"
		# the summary: the lines after the last row or reason
		local summary='' l
		for l in "${lines[@]:2}"; do
			if [[ $l =~ ^[0-9a-f]{16}\  || $l == ' '* ]]; then
				summary=''
			else
				summary+="${summary:+ }$l"
			fi
		done
		local n ok refused failed methods
		read -r n ok refused failed methods < <(jq -r '
			[.vmas[] | select(.status == "ok") | .method] as $m
			| (["copy", "share", "file-cow", "remap"]
				| map(. as $k | [$m[] | select(. == $k)] | length | select(. > 0)
					| "\(.) \($k)") | join(", ")) as $methods
			| "\(.summary.vmas) \($m | length) \(.summary.refused) \(.summary.failed) \($methods)"' \
			"$BATS_FILE_TMPDIR/$for.json")
		[[ $summary == "$n VMAs, "*" mapped, "*" resident: $ok can be $verb ($methods), $refused refused, $failed failed." ]] ||
			fail "summary '$summary' does not count $n VMAs, $ok $verb ($methods), $refused refused, $failed failed"
		assert_equal "$(( ok + refused ))" "$n"
	done
}

@test "on a terminal 80 columns wide every line of the table fits; through a pipe nothing is wrapped" {
	local l long=()
	on_tty 80 0 maps "$(fx_pid all)"
	while IFS= read -r l; do
		(( ${#l} <= 80 )) || long+=("$l")
	done <<< "$ttyl"
	assert_equal "${#long[@]}: ${long[*]}" "0: "
	# there were reason lines and a long summary to fit
	[[ $ttyl == *$'\n    in-use: '* ]] || fail "no reason: $ttyl"
	# through a pipe the same reasons and summary are one line each
	run -0 "$PVMMAP" maps "$(fx_pid all)"
	assert_line --regexp '^    in-use: .{60,}'
	assert_regex "${lines[-1]}" '^[0-9]+ VMAs, .{60,} refused, 0 failed\.$'
}

@test "size and rss in JSON are smaps' Size and Rss of each whole VMA" {
	local pid
	pid=$(fx_pid all)
	run -0 "$PVMMAP" maps "$pid" --json
	local mine theirs
	mine=$(jq -r '.vmas[] | "\(.start) \(.end) \(.size) \(.rss)"' <<< "$output")
	theirs=$(awk '/^[0-9a-f]+-[0-9a-f]+ / { split($1, r, "-"); s = r[1]; e = r[2] }
		/^Size:/ { size = $2 * 1024 }
		/^Rss:/ { printf "0x%s 0x%s %d %d\n", s, e, size, $2 * 1024 }' "/proc/$pid/smaps" |
		sed 's/0x0*\([0-9a-f]\)/0x\1/g')
	assert_equal "$mine" "$theirs"
	# and the figures are the fixture's: anon is filled, prot-none half
	item move anon
	assert_equal "${F[8]} ${F[9]}" '1048576 1048576'
	item move prot-none
	assert_equal "${F[8]} ${F[9]}" '1048576 524288'
}

@test "maps --to PID2: dest_start is each VMA's own address" {
	start_mapper tgt anon
	run -0 "$PVMMAP" maps "$(fx_pid all)" --to "$(fx_pid tgt)" --json
	assert_equal "$(jq -r '.target.pid' <<< "$output")" "$(fx_pid tgt)"
	assert_equal "$(jq -r '[.vmas[] | select(.dest_start != .start)] | length' <<< "$output")" 0
	run -0 "$PVMMAP" maps "$(fx_pid all)" --to "$(fx_pid tgt)"
	assert_line --index 0 "$(fx_pid all): mapper  (verdicts to move into $(fx_pid tgt): mapper)"
}
