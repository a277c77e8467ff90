#!/usr/bin/env bats
# Every reason code this machine can produce, each in one test: the code, the
# exact sentence of src/reasons.c (in JSON and in the text report), and the
# exit status.
#
# Codes the end-to-end tests cannot produce here, covered by the planner's
# unit tests on recorded facts (tests/unit/test_plan.c):
#   shadow-stack     needs a CPU and kernel with user shadow stacks (CET);
#                    tried below with mapper's shadow-stack, skipped without
#   protection-key   needs memory protection keys (PKU); tried, skipped without
#   arch-mismatch    needs a 32-bit process; tried below with a hand-made
#                    i386 ELF, skipped when IA32 emulation is off
#   timeout          a process in uninterruptible sleep cannot be made here
#                    on demand (a vfork parent is tried in test_inject.c, and
#                    its message in cli.bats)
#   memory-tagged    needs an arm64 CPU and kernel with MTE (PROT_MTE):
#                    tests/unit/test_plan.c on recorded facts
#   unrecognised     every mapping this machine can make has a code of its
#                    own (MAP_DROPPABLE, which was unrecognised, is now
#                    droppable; perf and io_uring rings are io-mapping)
#
# in-use-unknown and all-or-nothing are not refusals: they come with the
# statuses deferred and skipped (vma_status below).

bats_require_minimum_version 1.5.0

# The sentences of src/reasons.c, code by code.
declare -gA SENTENCE=(
	[not-mapped]='nothing is mapped here in the source process'
	[special-mapping]='this is a page the kernel provides to every process (such as [vdso] or [vvar]): it exists once per process and cannot be recreated by mmap'
	[io-mapping]='this maps device or physical (PFN) memory set up by a driver, not ordinary pages that can be copied or shared'
	[device-mapping]='this maps a device file whose driver keeps state for the source process, which cannot follow the mapping to another process'
	[aio-ring]="this is the source's AIO completion ring (io_setup): it belongs to the source's AIO context and the kernel writes into it"
	[uffd-registered]='the source handles page faults on this memory itself with userfaultfd, so reading it while the source is stopped could wait forever'
	[shadow-stack]='this is a CET shadow stack, which only the kernel and the thread that owns it may create and write'
	[sealed]='this mapping is sealed with mseal(), so the source can never unmap it; it can be copied, not moved'
	[in-use]='the source is still using this memory: moving it away would crash the process, as unmapping it would'
	[protection-key]="this memory carries a memory protection key (pkey_mprotect), whose access rights live in the source's registers and do not exist in the target"
	[hugetlb-unavailable]="this is hugetlb memory and the system's pool does not have enough free huge pages of this size for the target's copy"
	[target-occupied]='the destination address range is already mapped in the target'
	[target-out-of-range]='the destination lies outside the addresses the target process can map'
	[target-map-count]='the target would have more mappings than the system allows (vm.max_map_count)'
	[target-memory-limit]='the target cannot take this much more memory: its address-space limit (RLIMIT_AS) or its memory cgroup would be exceeded'
	[target-memlock-limit]='this memory is locked in RAM (mlock) and the target may not lock that much more (RLIMIT_MEMLOCK)'
	[file-unreachable]='the file behind this mapping cannot be opened to hand it to the target'
	[unrecognised]='pvmmap does not know how to recreate this kind of mapping faithfully, and refuses rather than guess'
	[huge-page-split]='the range or its destination cuts this hugetlb mapping inside one of its huge pages, which can only be mapped and unmapped whole'
	[droppable]='this memory was mapped with MAP_DROPPABLE: the kernel may drop its pages at any time, and pvmmap cannot recreate such a mapping in the target'
	[memory-tagged]="this memory is tagged by the Memory Tagging Extension (MTE): every 16 bytes carry a tag the source's pointers must match, and pvmmap copies the bytes but not the tags"
	[in-use-unknown]='whether a thread of the source is using this memory (as its stack, its code or its thread-local storage) can only be seen once the threads are stopped: the move checks it then, and refuses the memory if a thread is using it'
	[all-or-nothing]='this memory is left as it is because another part of the range is refused, and without --partial pvmmap changes all of the range or nothing'
	[no-such-process]='there is no process with this id (or it exited)'
	[not-a-process]='this id is not a user process pvmmap can work on (a thread of another process, a kernel thread, or pvmmap itself)'
	[zombie]='the process has exited and only waits for its parent to reap it: it has no memory left'
	[already-traced]='another program (a debugger or strace) is attached to the process, and a process can have only one tracer'
	[ptrace-denied]="the kernel's ptrace access rules do not let pvmmap read or attach to this process"
	[seccomp-blocks]='the process runs under a seccomp filter that could refuse the system calls pvmmap must run inside it, or kill the process for them'
	[cross-user]='the source and the target belong to different users, so memory would cross a trust boundary'
	[arch-mismatch]='the process runs in a mode pvmmap does not support (a 32-bit process, or another architecture)'
	[timeout]='the process did not stop within the time allowed (it may be stuck in uninterruptible sleep, state D)'
	[leader-exited]="the process's main thread has exited (pthread_exit) while other threads run on: /proc and ptrace reach the memory through the main thread, which pvmmap cannot use"
)

setup_file() {
	load fixture; fx_setup_file
	# one huge page for the source's private hugetlb mapping, none left over
	fx_hugepages 1
	start_mapper src anon aio uffd mseal thread hugetlb file-deleted memfd mlock pkey \
		shadow-stack anon-sparse:64M heap
	start_mapper dst anon
	# mappings mapper does not make: a block device, a packet socket's ring
	# (VM_MIXEDMAP) and MAP_DROPPABLE memory (6.11)
	start_python odd <<'PY'
import socket, struct
err = None
for dev in ["/dev/loop%d" % i for i in range(8)]:
    try:
        fd = os.open(dev, os.O_RDONLY | os.O_CLOEXEC)
        a = raw_mmap(PAGE, 1, 0x02, fd)                  # PROT_READ, MAP_PRIVATE
        emit("blockdev", a, a + PAGE, path=dev)
        break
    except OSError as e:
        err = e
else:
    unsupported("blockdev", errno.errorcode.get(err.errno, "EIO"))
try:
    s = socket.socket(socket.AF_PACKET, socket.SOCK_RAW, 0)
    s.setsockopt(263, 5, struct.pack("IIII", PAGE, 1, PAGE // 2, 2))   # PACKET_RX_RING
    a = raw_mmap(PAGE, 3, 0x01, s.fileno())             # MAP_SHARED
    emit("packet-ring", a, a + PAGE)
except OSError as e:
    unsupported("packet-ring", errno.errorcode.get(e.errno, "EIO"))
try:
    a = raw_mmap(2 * PAGE, 3, 0x08 | 0x20)              # MAP_DROPPABLE | MAP_ANONYMOUS
    emit("droppable", a, a + 2 * PAGE)
except OSError as e:
    unsupported("droppable", errno.errorcode.get(e.errno, "EIO"))
ready()
PY
}

teardown_file() { fx_teardown; }

setup() { load fixture; fx_setup src dst; }

teardown() { fx_teardown; }

# The first "    CODE: ..." reason line in the text report in $output, without
# its indent.  stdout is no terminal, so nothing is wrapped: a reason is one
# line.
reason_text() {
	local -a ls
	local l
	mapfile -t ls <<< "$output"
	for l in "${ls[@]}"; do
		if [[ $l == "    $1: "* ]]; then
			printf '%s\n' "${l#    }"
			return 0
		fi
	done
	echo
}

# The "      hint: ..." line right after the first "    CODE: ..." reason
# line in the text report in $output, without its indent (one line too).
hint_text() {
	local -a ls
	local l in=0
	mapfile -t ls <<< "$output"
	for l in "${ls[@]}"; do
		if (( in )); then
			[[ $l == '      hint: '* ]] && printf '%s\n' "${l#      }"
			return 0
		fi
		[[ $l == "    $1: "* ]] && in=1
	done
	echo
}

# vma_status CODE STATUS EXIT ARGS...: pvmmap ARGS exits EXIT and gives a
# VMA the status STATUS with CODE, whose message is the sentence (then a
# detail in parentheses) and whose hint is the table's; the text report
# (ARGS without --json) says "CODE: message" below its row, then
# "hint: ...".  A refused VMA has no method, a deferred or skipped one the
# method it would have.
vma_status() {
	local code=$1 want_status=$2 want=$3 msg hint
	shift 3
	pvrun "$want" "$@" --json
	msg=$(jqo --arg c "$code" 'first(.vmas[] | select(.reason == $c) | "\(.status)|\(.method)|\(.hint)|\(.message)") // "none"')
	[[ $msg != none ]] || fail "no VMA with $code: $output"
	assert_equal "${msg%%|*}" "$want_status"
	msg=${msg#*|}
	if [[ $want_status == refused ]]; then
		assert_equal "${msg%%|*}" null
	else
		[[ ${msg%%|*} =~ ^(copy|share|file-cow|remap)$ ]] || fail "$code: method '${msg%%|*}'"
	fi
	msg=${msg#*|}
	hint=${msg%%|*}
	msg=${msg#*|}
	[[ $msg == "${SENTENCE[$code]}" || $msg == "${SENTENCE[$code]} ("*")" ]] ||
		fail "$code: message '$msg' is not the sentence '${SENTENCE[$code]}' (+ detail)"
	pvrun "$want" "$@"
	if [[ $want_status != skipped ]]; then
		assert_equal "$(reason_text "$code")" "$code: $msg"
		if [[ $hint != null ]]; then
			assert_equal "$(hint_text "$code")" "hint: $hint"
		fi
	fi
	MESSAGE=$msg
}

# vma_reason CODE EXIT ARGS...: vma_status for a refusal.
vma_reason() {
	local code=$1 want=$2
	shift 2
	vma_status "$code" refused "$want" "$@"
}

# process_reason CODE ARGS...: pvmmap ARGS exits 3 with error CODE and the
# sentence in JSON; in text, stdout is empty and stderr says
# "pvmmap: CODE: message" on one line, then "  hint: ..." if the code has one.
process_reason() {
	local code=$1 msg
	shift
	pvrun 3 "$@" --json
	msg=$(jqo --arg c "$code" 'if .error.code == $c then .error.message else "wrong: \(.error)" end')
	[[ $msg == "${SENTENCE[$code]} ("*")" ]] ||
		fail "$code: message '$msg' is not the sentence '${SENTENCE[$code]}' (+ detail)"
	pvrun 3 "$@"
	assert_equal "$output" ''
	local -a ls
	mapfile -t ls <<< "$stderr"
	assert_equal "${ls[0]}" "pvmmap: $code: $msg"
	(( ${#ls[@]} == 1 )) || [[ ${#ls[@]} == 2 && ${ls[1]} == '  hint: '?* ]] ||
		fail "$code: more than the message and its hint on stderr: $stderr"
	MESSAGE=$msg
}

@test "the sentences tested here are the ones of src/reasons.c, for every code" {
	run -0 "$FX_PY" - "$TOP/src/reasons.c" <<'PY'
import re, sys
text = open(sys.argv[1]).read()
for code, sentence in re.findall(r'\[R_[A-Z_]+\] = \{ "([a-z-]+)", SCOPE_[A-Z]+,\s*"((?:[^"\\]|\\.)*)"', text):
    print("%s|%s" % (code, sentence))
PY
	local line n=0
	for line in "${lines[@]}"; do
		assert_equal "$line" "${line%%|*}|${SENTENCE[${line%%|*}]:-missing here}"
		n=$((n + 1))
	done
	assert_equal "$n" "${#SENTENCE[@]}"
}

# ---- per VMA -------------------------------------------------------------------

@test "not-mapped (exit 1)" {
	vma_reason not-mapped 1 copy "$SRC" 0x100000000000 4K --to "$DST" -n
	assert_equal "$MESSAGE" "${SENTENCE[not-mapped]}"
}

@test "special-mapping: [vdso] (maps: exit 0)" {
	local vdso
	vdso=0x$(awk '$NF == "[vdso]" { split($1, r, "-"); print r[1] }' "/proc/$SRC/maps")
	vma_reason special-mapping 0 maps "$SRC" "$vdso"
	assert_equal "$MESSAGE" "${SENTENCE[special-mapping]}"
}

@test "io-mapping: a packet socket's ring (VmFlags mm)" {
	fx_require odd packet-ring
	vma_reason io-mapping 0 maps "$(fx_pid odd)" "$(fx_start odd packet-ring)"
	assert_equal "$MESSAGE" "${SENTENCE[io-mapping]} (VmFlags mm)"
}

@test "device-mapping: a block device mapped (exit 1)" {
	fx_require odd blockdev
	vma_reason device-mapping 1 copy "$(fx_pid odd)" "$(fx_start odd blockdev)" 4K --to "$DST" --at any -n
	local dev
	dev=$(stat -c '%t:%T' "$(fx_field odd blockdev path)")
	assert_equal "$MESSAGE" "${SENTENCE[device-mapping]} (device $(( 0x${dev%:*} )):$(( 0x${dev#*:} )))"
}

@test "aio-ring (exit 1)" {
	vma_reason aio-ring 1 move "$SRC" "$(fx_start src aio)" 4K --to "$DST" --at any -n
	assert_equal "$MESSAGE" "${SENTENCE[aio-ring]}"
}

@test "uffd-registered (exit 1)" {
	vma_reason uffd-registered 1 copy "$SRC" "$(fx_start src uffd)" 1M --to "$DST" --at any -n
	assert_equal "$MESSAGE" "${SENTENCE[uffd-registered]}"
}

@test "shadow-stack" {
	fx_require src shadow-stack
	vma_reason shadow-stack 0 maps "$SRC" "$(fx_start src shadow-stack)"
}

@test "sealed: move refused (exit 1), copy fine (exit 0)" {
	fx_require src mseal    # mseal(2) is 6.10's
	vma_reason sealed 1 move "$SRC" "$(fx_start src mseal)" 1M --to "$DST" --at any -n
	assert_equal "$MESSAGE" "${SENTENCE[sealed]}"
	pvrun 0 copy "$SRC" "$(fx_start src mseal)" 1M --to "$DST" --at any -n --json
}

@test "in-use: a blocked thread's stack (exit 1)" {
	vma_reason in-use 1 move "$SRC" "$(fx_start src thread)" 1M --to "$DST" --at any -n
	assert_regex "$MESSAGE" "\(thread $(fx_field src thread tid)'s stack pointer 0x[0-9a-f]+ is in it\)\$"
}

@test "in-use: the main thread's thread-local storage, seen without stopping it (exit 1)" {
	# glibc's block of the main thread: an anonymous mapping of ld.so's
	pvrun 0 maps "$SRC" --json
	local s e
	read -r s e < <(jqo --arg t "thread $SRC's thread-local storage" \
		'first(.vmas[] | select(.reason == "in-use" and (.message | contains($t)))) | "\(.start) \(.end)"')
	[[ -n $s && $s != null ]] || fail "no VMA holds the TLS of thread $SRC: $output"
	vma_reason in-use 1 move "$SRC" "$s" $(( e - s )) --to "$DST" --at any -n
	assert_regex "$MESSAGE" "\(thread $SRC's thread-local storage is in it: its robust-futex list is at 0x[0-9a-f]+\)\$"
	# a copy is fine
	pvrun 0 copy "$SRC" "$s" $(( e - s )) --to "$DST" --at any -n
}

@test "in-use: [heap] (malloc's brk heap), unless --force (exit 1)" {
	local h
	h=0x$(awk '$NF == "[heap]" { split($1, r, "-"); print r[1] }' "/proc/$SRC/maps")
	vma_reason in-use 1 move "$SRC" "$h" 4K --to "$DST" --at any -n
	assert_equal "$MESSAGE" "${SENTENCE[in-use]} (it is the brk heap, where malloc keeps the memory it has handed out; --force moves it all the same)"
	vma_reason in-use 0 maps "$SRC" "$h"
	pvrun 0 move "$SRC" "$h" 4K --to "$DST" --at any -n --force --json
	assert_equal "$(jqo '.vmas[0] | "\(.kind) \(.status) \(.method)"')" 'heap ok copy'
	pvrun 0 copy "$SRC" "$h" 4K --to "$DST" --at any -n
}

@test "protection-key" {
	fx_require src pkey
	vma_reason protection-key 0 maps "$SRC" "$(fx_start src pkey)"
	assert_equal "$MESSAGE" "${SENTENCE[protection-key]} (protection key $(fx_field src pkey pkey))"
}

@test "hugetlb-unavailable: private hugetlb memory with no free huge page (exit 1)" {
	fx_require src hugetlb
	local free
	free=$(< /sys/kernel/mm/hugepages/hugepages-2048kB/free_hugepages)
	(( free == 0 )) || skip "$free huge pages of 2 MiB are still free"
	vma_reason hugetlb-unavailable 1 copy "$SRC" "$(fx_start src hugetlb)" 2M --to "$DST" --at any -n
	assert_equal "$MESSAGE" "${SENTENCE[hugetlb-unavailable]} (1 page of 2048 kB needed, 0 free)"
}

@test "target-occupied (exit 1)" {
	vma_reason target-occupied 1 copy "$SRC" "$(fx_start src anon)" 4K --to "$DST" \
		--at "$(fx_start dst anon)" -n
	assert_equal "$MESSAGE" "${SENTENCE[target-occupied]} ($(fx_start dst anon)-$(fx_end dst anon) (anonymous) is there)"
}

# The end of the target's user space, from the kernel's rules: x86_64's
# 47-bit window ends a page below 2^47 (the guard page); arm64's ends at
# 2^VA_BITS (36-52 bits by page size and levels; above 48 only for a
# process that asked), the smallest that holds its highest mapping.
user_end() {
	local top bits
	case $(uname -m) in
	x86_64) echo 0x7ffffffff000 ;;
	aarch64)
		top=$(awk '{ split($1, r, "-"); e = r[2] } END { print e }' "/proc/$1/maps")
		for bits in 36 39 42 47 48 52; do
			(( 0x$top <= (1 << bits) )) && break
		done
		printf '0x%x\n' $(( 1 << bits )) ;;
	*) skip "no rule for the end of user space on $(uname -m)" ;;
	esac
}

@test "target-out-of-range (exit 1)" {
	local end; end=$(user_end "$DST")
	vma_reason target-out-of-range 1 copy "$SRC" "$(fx_start src anon)" 8K --to "$DST" \
		--at "$(printf '0x%x' $(( end - 4096 )))" -n
	assert_equal "$MESSAGE" "${SENTENCE[target-out-of-range]} (the target can map $(printf '0x%x' "$(< /proc/sys/vm/mmap_min_addr)")-$end)"
}

@test "target-map-count: a target with vm.max_map_count mappings (exit 1)" {
	local max n
	max=$(< /proc/sys/vm/max_map_count)
	(( max <= 262144 )) || skip "vm.max_map_count is $max: too many mappings to make in a test"
	# one reservation split into max_map_count VMAs: every other page readable
	start_python many <<'PY'
count = int(open("/proc/sys/vm/max_map_count").read())
base = raw_mmap(2 * (count + 16) * PAGE, 0, 0x22 | 0x4000)   # PROT_NONE, NORESERVE
i = 0
while libc.mprotect(base + 2 * i * PAGE, PAGE, 1) == 0:
    i += 1
emit("many", base, base + 2 * (count + 16) * PAGE, split=i)
ready()
PY
	n=$(wc -l < "/proc/$(fx_pid many)/maps")
	(( n >= max )) || skip "the kernel let the process make only $n of $max mappings"
	# JSON only: reading 65530 VMAs twice would take long
	pvrun 1 copy "$SRC" "$(fx_start src anon)" 4K --to "$(fx_pid many)" --at any -n --json
	assert_equal "$(jqo '.vmas[] | "\(.status)|\(.reason)|\(.message)"')" \
		"refused|target-map-count|${SENTENCE[target-map-count]} (vm.max_map_count is $max and the target has $n mappings)"
}

@test "target-memory-limit: RLIMIT_AS (exit 1)" {
	start_mapper_via small prlimit --as=33554432 -- anon:4K
	local vm
	vm=$(awk '/^VmSize:/ { print $2 }' "/proc/$(fx_pid small)/status")
	(( vm + 65536 > 32768 )) || fail "the target maps $vm kB"
	vma_reason target-memory-limit 1 copy "$SRC" "$(fx_start src anon-sparse)" 64M \
		--to "$(fx_pid small)" --at any -n
	assert_equal "$MESSAGE" "${SENTENCE[target-memory-limit]} (RLIMIT_AS is 32768 kB and the target maps $vm kB)"
}

@test "target-memlock-limit: RLIMIT_MEMLOCK 0, no CAP_IPC_LOCK (exit 1)" {
	start_mapper_via locked prlimit --memlock=0:0 setpriv --inh-caps=-all --bounding-set=-all -- anon:4K
	vma_reason target-memlock-limit 1 copy "$SRC" "$(fx_start src mlock)" 1M --to "$(fx_pid locked)" --at any -n
	assert_equal "$MESSAGE" "${SENTENCE[target-memlock-limit]} (RLIMIT_MEMLOCK is 0 kB, 0 kB already locked)"
}

@test "file-unreachable: deleted files and memfds, pvmmap without CAP_SYS_ADMIN" {
	PVRUN_WRAP=(setpriv --bounding-set=-sys_admin,-checkpoint_restore)
	vma_reason file-unreachable 0 maps "$SRC" "$(fx_start src file-deleted)"
	assert_equal "$MESSAGE" "${SENTENCE[file-unreachable]} (neither /proc/PID/map_files nor its path leads to it)"
	vma_reason file-unreachable 0 maps "$SRC" "$(fx_start src memfd)"
	# with CAP_SYS_ADMIN, map_files reaches both
	PVRUN_WRAP=()
	pvrun 0 maps "$SRC" "$(fx_start src file-deleted)" --json
	assert_equal "$(jqo '.vmas[0] | "\(.method) \(.reason)"')" 'share null'
}

@test "droppable: MAP_DROPPABLE memory (VmFlags dp), for copy and move (exit 1)" {
	fx_require odd droppable
	vma_reason droppable 0 maps "$(fx_pid odd)" "$(fx_start odd droppable)"
	assert_equal "$MESSAGE" "${SENTENCE[droppable]} (VmFlags dp)"
	vma_reason droppable 1 copy "$(fx_pid odd)" "$(fx_start odd droppable)" 8K --to "$DST" --at any -n
	vma_reason droppable 1 move "$(fx_pid odd)" "$(fx_start odd droppable)" 8K --to "$DST" --at any -n
}

@test "in-use-unknown: a running thread; maps exit 0, dry run exit 6, the move itself decides" {
	start_mapper spin spinner:label=t anon:64K:label=a
	local p; p=$(fx_pid spin)
	vma_status in-use-unknown deferred 0 maps "$p" "$(fx_start spin a)"
	assert_equal "$MESSAGE" "${SENTENCE[in-use-unknown]} (thread $(fx_field spin t tid) is running, so its stack and instruction pointers are not known)"
	vma_status in-use-unknown deferred 6 move "$p" "$(fx_start spin a)" 64K --to "$DST" --at any -n
	pvrun 6 move "$p" "$(fx_start spin a)" 64K --to "$DST" --at any -n --json
	assert_equal "$(jqo '.summary | "\(.deferred) \(.refused)"')" '1 0'
	# not with --for copy, nor for a mapping no thread could use
	pvrun 0 maps "$p" "$(fx_start spin a)" --for copy --json
	assert_equal "$(jqo '.vmas[0].status')" ok
	# the running thread's own stack: its TLS is there, seen without stopping it
	vma_reason in-use 1 move "$p" "$(fx_start spin t)" 1M --to "$DST" --at any -n
	assert_regex "$MESSAGE" "thread $(fx_field spin t tid)'s thread-local storage is in it"
	# the move stops every thread and sees that none uses the memory
	pvrun 0 move "$p" "$(fx_start spin a)" 64K --to "$DST" --at any --json
	assert_equal "$(jqo '.vmas[0] | "\(.status) \(.reason)"')" 'done null'
}

@test "all-or-nothing: without --partial the rest is skipped, and nothing changes (exit 1)" {
	local s; s=$(fx_start src anon)
	# anon, then the unmapped page after it
	vma_status all-or-nothing skipped 1 copy "$SRC" "$s" $(( $(fx_end src anon) - s + 4096 )) --to "$DST" --at any -n
	assert_equal "$MESSAGE" "${SENTENCE[all-or-nothing]} ($(fx_end src anon)-$(hex "$(fx_end src anon) + 0x1000") is refused: not-mapped)"
	# the row says skipped, the summary why
	grep -qE "^0*${s#0x} rw-p anon +1M +1M skipped +\$" <<< "$output" || fail "no skipped row: $output"
	# the summary, one line, the last; stderr says it too
	assert_regex "$(tail -n 1 <<< "$output")" '^[0-9]+ VMAs, .*: nothing would be copied: 1 VMA refused \(all or nothing; --partial would copy the other one\)\.$'
	assert_equal "$stderr" 'pvmmap: refused: nothing would be copied: 1 VMA refused (all or nothing; --partial would copy the other one).'
	[[ $output != *'all-or-nothing:'* ]] || fail "a reason line under a skipped row: $output"
	# for real: the same, and nothing done
	vma_status all-or-nothing skipped 1 copy "$SRC" "$s" $(( $(fx_end src anon) - s + 4096 )) --to "$DST" --at any
	assert_regex "$(tail -n 1 <<< "$output")" '^[0-9]+ VMAs, .*: nothing copied: 1 VMA refused \(all or nothing; --partial would copy the other one\)\.$'
	assert_equal "$stderr" 'pvmmap: refused: nothing copied: 1 VMA refused (all or nothing; --partial would copy the other one).'
	pvrun 1 copy "$SRC" "$s" $(( $(fx_end src anon) - s + 4096 )) --to "$DST" --at any --json
	assert_equal "$(jqo '.summary | "\(.done) \(.skipped) \(.refused) \(.bytes_copied)"')" '0 1 1 0'
	assert_equal "$(jqo '.dest')" null
	# --partial carries out the rest
	pvrun 1 copy "$SRC" "$s" $(( $(fx_end src anon) - s + 4096 )) --to "$DST" --at any --partial --json
	assert_equal "$(jqo '[.vmas[].status] | join(" ")')" 'done refused'
}

# ---- per process: exit 3 ------------------------------------------------------

@test "no-such-process" {
	local gone
	true &
	gone=$!
	wait "$gone"
	[[ ! -e /proc/$gone ]]
	process_reason no-such-process maps "$gone"
	assert_equal "$MESSAGE" "${SENTENCE[no-such-process]} (process $gone)"
}

@test "not-a-process: a thread id" {
	local tid
	tid=$(fx_field src thread tid)
	process_reason not-a-process maps "$tid"
	assert_equal "$MESSAGE" "${SENTENCE[not-a-process]} ($tid is a thread of process $SRC)"
}

@test "zombie" {
	local z
	# A parent that never reaps: bash's own SIGCHLD handling could reap the
	# child before an exec (a race a loaded CI machine once won).
	start_bg zparent "$FX_PY" -c '
import os, sys, time
pid = os.fork()
if pid == 0:
    os._exit(0)
with open(sys.argv[1], "w") as f:
    f.write(str(pid))
time.sleep(30)' "$BATS_TEST_TMPDIR/zpid"
	wait_until 5 test -s "$BATS_TEST_TMPDIR/zpid"
	z=$(< "$BATS_TEST_TMPDIR/zpid")
	wait_until 5 grep -q '^State:[[:space:]]*Z' "/proc/$z/status"
	process_reason zombie maps "$z"
	assert_equal "$MESSAGE" "${SENTENCE[zombie]} ($z (python3) is a zombie)"
}

@test "leader-exited: move/copy refused (exit 3); maps lists the VMAs with it as a blocker" {
	start_bg lx "$FX_PY" -c '
import ctypes, threading, time
threading.Thread(target=time.sleep, args=(60,)).start()
ctypes.CDLL(None).pthread_exit(None)'
	local p; p=$(fx_bgpid lx)
	wait_until 5 grep -q '^State:[[:space:]]*Z' "/proc/$p/task/$p/status"
	process_reason leader-exited copy "$p" 0x400000 4K --to "$DST" --at any
	assert_equal "$MESSAGE" "${SENTENCE[leader-exited]} (thread $p (python3) has exited; process $p lives on in its other threads)"
	pvrun 0 maps "$p" --json
	assert_equal "$(jqo '.blockers[0].code')" leader-exited
	(( $(jqo '.vmas | length') > 10 ))
	# its other thread sleeps on, untouched
	cat /proc/"$p"/task/*/status | grep -q '^State:[[:space:]]*S'
}

@test "already-traced: refuses move/copy (exit 3); maps lists it as a blocker (exit 0)" {
	local tracer
	start_bg strace strace -o /dev/null -p "$DST"
	tracer=$(fx_bgpid strace)
	wait_until 5 grep -q "^TracerPid:[[:space:]]*$tracer\$" "/proc/$DST/status"
	process_reason already-traced copy "$SRC" "$(fx_start src anon)" 4K --to "$DST" -n
	assert_equal "$MESSAGE" "${SENTENCE[already-traced]} (it is traced by process $tracer (strace))"
	pvrun 0 maps "$DST" --json
	assert_equal "$(jqo -c '[.error, [.blockers[] | [.code, .pid, .message, .hint]]]')" \
		"[null,[[\"already-traced\",$DST,\"$MESSAGE\",\"detach the other tracer first\"]]]"
	pvrun 0 maps "$DST"
	[[ $output == *"
Any move would be refused for process $DST:
  already-traced: "* ]] || fail "no blocker paragraph in: $output"
}

@test "ptrace-denied: pvmmap as nobody names the rule, for maps and for a move" {
	PVRUN_WRAP=(setpriv --reuid=65534 --regid=65534 --clear-groups)
	process_reason ptrace-denied maps "$SRC"
	assert_equal "$MESSAGE" "${SENTENCE[ptrace-denied]} (reading /proc/$SRC/smaps was refused: process $SRC belongs to uid 0 and pvmmap runs as uid 65534, without CAP_SYS_PTRACE)"
	pvrun 3 maps "$SRC" --json
	assert_equal "$(jqo '.error.hint')" "run pvmmap as uid 0, the process's owner, or as root"
	process_reason ptrace-denied move "$SRC" "$(fx_start src anon)" 4K --to "$DST" -n
	[[ $MESSAGE == *"process $SRC belongs to uid 0 and pvmmap runs as uid 65534, without CAP_SYS_PTRACE)" ]] ||
		fail "$MESSAGE"
}

@test "seccomp-blocks: a seccomp'd process, pvmmap without CAP_SYS_ADMIN" {
	start_mapper_via sec "$FX_PY" "$(fx_seccomp_wrapper)" -- anon:4K
	PVRUN_WRAP=(setpriv --bounding-set=-sys_admin)
	process_reason seccomp-blocks move "$(fx_pid sec)" "$(fx_start sec anon)" 4K --to "$DST" -n
	assert_equal "$MESSAGE" "${SENTENCE[seccomp-blocks]} (it runs in seccomp filter mode and pvmmap lacks CAP_SYS_ADMIN)"
}

@test "cross-user" {
	start_mapper_via nobody setpriv --reuid=65534 --regid=65534 --clear-groups -- anon:4K
	process_reason cross-user copy "$SRC" "$(fx_start src anon)" 4K --to "$(fx_pid nobody)" --at any -n
	assert_equal "$MESSAGE" "${SENTENCE[cross-user]} (process $SRC runs as uid 0 and process $(fx_pid nobody) as uid 65534)"
}

@test "arch-mismatch: a 32-bit process" {
	local elf=$BATS_TEST_TMPDIR/pause32 machine=$(uname -m)
	# a 32-bit ELF of this machine's compat mode, 84 bytes of headers and
	# then for (;;) pause(); i386 on x86_64, AArch32 (ARM mode, EABI 5)
	# on aarch64
	"$FX_PY" - "$elf" "$machine" <<'PY'
import os, struct, sys
if sys.argv[2] == "aarch64":
    # mov r7, #29 (pause); svc #0; b .-8
    code = struct.pack("<3I", 0xe3a0701d, 0xef000000, 0xeafffffc)
    em, flags = 40, 0x05000000
else:
    code = bytes([0xb8, 29, 0, 0, 0, 0xcd, 0x80, 0xeb, 0xf7])   # mov eax,29; int 0x80; jmp
    em, flags = 3, 0
base = 0x08048000
eh = struct.pack("<16sHHIIIIIHHHHHH", b"\x7fELF\x01\x01\x01" + bytes(9), 2, em, 1,
                 base + 84, 52, 0, flags, 52, 32, 1, 0, 0, 0)
ph = struct.pack("<8I", 1, 0, base, base, 84 + len(code), 84 + len(code), 5, 0x1000)
with open(sys.argv[1], "wb") as f:
    f.write(eh + ph + code)
os.chmod(sys.argv[1], 0o755)
PY
	start_bg p32 "$elf"
	P32=$(fx_bgpid p32)
	# running it, or failing with ENOEXEC (exec format error)
	p32_settled() { ! fx_alive "$P32" || grep -q pause32 "/proc/$P32/maps" 2>/dev/null; }
	wait_until 2 p32_settled
	fx_alive "$P32" || skip "this kernel or CPU does not run 32-bit programs (IA32 emulation or AArch32 off)"
	local p=$P32
	process_reason arch-mismatch copy "$p" 0x8048000 4K --to "$DST" --at any -n
	assert_equal "$MESSAGE" "${SENTENCE[arch-mismatch]} (it is a 32-bit process; pvmmap supports 64-bit $machine processes)"
}
