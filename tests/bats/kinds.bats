#!/usr/bin/env bats
# Every mapping kind between two mapper processes: shared memory is shared
# (no page copied, writes seen both ways), private file mappings carry only
# their changed pages, and the VMA attributes hold in the target's smaps.

bats_require_minimum_version 1.5.0

FREE=0x100000000000

setup_file() { load fixture; fx_setup_file; }

setup() { load fixture; fx_setup; }

teardown() {
	fx_teardown
	if [[ -f $BATS_TEST_TMPDIR/swapfile ]]; then
		swapoff "$BATS_TEST_TMPDIR/swapfile" 2>/dev/null
		rm -f "$BATS_TEST_TMPDIR/swapfile"
	fi
}

fds() { ls "/proc/$1/fd" | sort -n | tr '\n' ' '; }
# smaps_field PID START FIELD: the value of FIELD (VmFlags: the flags) of the VMA at START
smaps_field() {
	awk -v a="${2#0x}-" -v k="$3:" 'index($1, a) == 1 {f = 1; next}
		f && /^[0-9a-f]+-[0-9a-f]+ / {exit}
		f && $1 == k {$1 = ""; sub(/^ /, ""); print; exit}' "/proc/$1/smaps"
}
# byte NAME ADDR: the byte at ADDR as the fixture reads it
byte() { local r; r=$(ask "$1" "read $2-$(hex $(( $2 + 4096 ))) 0") || return 1; echo "${r##* }"; }
poke() { ask "$1" "write $2-$(hex $(( $2 + 4096 ))) 0 $3" >/dev/null; }

# share_both_ways SRC DST ADDR: a write by either is seen by the other
share_both_ways() {
	poke "$2" "$3" 0x5a
	assert_equal "$(byte "$1" "$3")" 0x5a
	poke "$1" "$3" 0xa5
	assert_equal "$(byte "$2" "$3")" 0xa5
}

@test "copy of shared memory shares it: method share, 0 bytes copied, writes seen both ways, no fd left" {
	start_cmd src memfd:1M:label=m shmem:1M:label=s devzero:1M:label=z file-shared:1M:label=f \
		file-deleted:1M:label=d sysv:1M:label=v
	start_cmd dst anon:64K:label=x
	local dp; dp=$(cpid dst)
	local fdt; fdt=$(fds "$dp")
	local l s e want
	for l in m s z f d v; do
		s=$(cstart src $l); e=$(cend src $l)
		want=$(sum src "$s" "$e")
		pvrun 0 copy "$(cpid src)" "$s" $(( e - s )) --to "$dp" --json
		assert_equal "$(jqo '.vmas[0].method')" share
		assert_equal "$(jqo '.vmas[0].status')" done
		assert_equal "$(jqo '.summary.bytes_copied')" 0
		assert_equal "$(jqo '.summary.bytes_shared')" $(( e - s ))
		assert_equal "$(sum dst "$s" "$e")" "$want"
		share_both_ways src dst "$s"
		assert_equal "$(fds "$dp")" "$fdt"
	done
}

@test "move of shared memory: the target alone keeps the object, the source no longer maps it" {
	start_cmd src memfd:1M:label=m file-deleted:1M:label=d sysv:1M:label=v
	start_cmd dst anon:64K:label=x
	local l s e want
	for l in m d v; do
		s=$(cstart src $l); e=$(cend src $l)
		want=$(sum src "$s" "$e")
		pvrun 0 move "$(cpid src)" "$s" $(( e - s )) --to "$(cpid dst)" --json
		assert_equal "$(jqo '.vmas[0].method')" share
		assert_equal "$(sum dst "$s" "$e")" "$want"
		! maps_has "$(cpid src)" "$s"
		poke dst "$s" 0x77
		assert_equal "$(byte dst "$s")" 0x77
	done
}

@test "SysV: the target attaches the same segment (shm_nattch grows), even one marked for removal" {
	start_cmd src sysv:1M:label=v
	start_cmd dst anon:64K:label=x
	local id; id=$(cfield src v shmid)
	local n0; n0=$(awk -v id="$id" '$2 == id {print $7}' /proc/sysvipc/shm)
	pvrun 0 copy "$(cpid src)" "$(cstart src v)" 1M --to "$(cpid dst)"
	assert_equal "$(awk -v id="$id" '$2 == id {print $7}' /proc/sysvipc/shm)" $(( n0 + 1 ))
	maps_has "$(cpid dst)" "$(cstart src v)"
	share_both_ways src dst "$(cstart src v)"
}

@test "a private file mapping copies only its changed pages (file-cow); the rest stays page cache" {
	start_cmd src file-private:1M:label=p
	start_cmd dst anon:64K:label=x
	local s e cow; s=$(cstart src p); e=$(cend src p); cow=$(cfield src p cow)
	local want; want=$(sum src "$s" "$e")
	pvrun 0 copy "$(cpid src)" "$s" 1M --to "$(cpid dst)" --json
	assert_equal "$(jqo '.vmas[0].method')" file-cow
	assert_equal "$(jqo '.summary.bytes_copied')" $(( cow * 4096 ))
	assert_equal "$(sum dst "$s" "$e")" "$want"
	# the changed pages are the target's own; the others are the file's
	assert_equal "$(smaps_field "$(cpid dst)" "$s" Anonymous)" "$(( cow * 4 )) kB"
	pvrun 0 move "$(cpid src)" "$s" 1M --to "$(cpid dst)" --at $FREE
	assert_equal "$(sum dst $FREE "$(hex $(( FREE + 1048576 )))")" "$want"
	! maps_has "$(cpid src)" "$s"
}

@test "the attributes hold in the target's smaps" {
	local specs=(dontfork wipeonfork dontdump nohugepage sequential random mlock mlock-onfault
		readonly exec mergeable)
	local flags=(dc wf dd nh sr rr lo lf "" ex mg)
	local i sp=() l
	for i in "${!specs[@]}"; do sp+=("${specs[$i]}:label=a$i"); done
	start_cmd src "${sp[@]}"
	start_cmd dst anon:64K:label=x
	for i in "${!specs[@]}"; do
		l=a$i
		[[ $(cstart src $l) != 0x0 ]] || continue  # this machine cannot (mergeable without KSM)
		local s; s=$(cstart src $l)
		local want have
		want=$(smaps_field "$(cpid src)" "$s" VmFlags)
		if [[ ${flags[$i]} == lf && " $want " != *" lf "* ]]; then
			# a kernel with no name for VM_LOCKONFAULT shows "??" (Debian's
			# 6.1): a flag pvmmap cannot name is refused, never guessed
			[[ " $want " == *" ?? "* ]] || fail "mlock-onfault: neither lf nor ?? in $want"
			pvrun 1 copy "$(cpid src)" "$s" 1M --to "$(cpid dst)" --json
			assert_equal "$(jqo '.vmas[0].reason')" unrecognised
			continue
		fi
		pvrun 0 copy "$(cpid src)" "$s" 1M --to "$(cpid dst)"
		have=$(smaps_field "$(cpid dst)" "$s" VmFlags)
		assert_equal "${specs[$i]}: $have" "${specs[$i]}: $want"
		assert_equal "$(awk -v a="${s#0x}-" 'index($1, a) == 1 {print $2}' "/proc/$(cpid dst)/maps")" \
			"$(awk -v a="${s#0x}-" 'index($1, a) == 1 {print $2}' "/proc/$(cpid src)/maps")"
		[[ -z ${flags[$i]} ]] || [[ " $have " == *" ${flags[$i]} "* ]]
	done
}

@test "a target in another mount namespace receives a shared file mapping" {
	start_cmd src file-shared:1M:label=f
	local path; path=$(cfield src f path)
	# the target's /tmp is a fresh tmpfs: the file's path does not exist there
	local d; d=$(fx_dir)
	mkfifo "$d/in.ns"
	# mapper runs from fd 9: the new /tmp may hide the tree (a clone in /tmp)
	unshare -m --propagation private sh -c \
		'mount -t tmpfs none /tmp && exec /proc/self/fd/9 anon:64K:label=x' \
		9< "$FIXTURES/mapper" < "$d/in.ns" > "$d/cmd.ns" 3>&- &
	fx_register $!
	local fd; exec {fd}> "$d/in.ns"
	echo "$fd" > "$d/fd.ns"; echo "$fd" >> "$d/fx.fds"
	wait_until 10 grep -q '^ready ' "$d/cmd.ns"
	local tp; tp=$(cpid ns)
	[[ ! -e /proc/$tp/root$path ]]
	local s e; s=$(cstart src f); e=$(cend src f)
	pvrun 0 copy "$(cpid src)" "$s" 1M --to "$tp" --json
	assert_equal "$(jqo '.vmas[0].method')" share
	assert_equal "$(sum ns "$s" "$e")" "$(sum src "$s" "$e")"
	share_both_ways src ns "$s"
}

@test "a 2 GiB memfd (1 GiB under ASan) moves with 0 bytes copied" {
	local g; g=$(fx_big_gib 2)
	start_cmd src memfd:${g}G:label=m
	start_cmd dst anon:64K:label=x
	local s e; s=$(cstart src m); e=$(cend src m)
	local want; want=$(sum src "$s" "$(hex $(( s + 1048576 )))")
	# not at the source's address: arm64 randomizes mmap_base over 1 GiB by
	# default (mmap_rnd_bits 18, x86_64 28), so 2 GiB there meet the
	# target's libraries (the move was refused in the arm64 guest)
	pvrun 0 move "$(cpid src)" "$s" ${g}G --to "$(cpid dst)" --at $FREE --json
	assert_equal "$(jqo '.summary.bytes_copied')" 0
	assert_equal "$(jqo '.summary.bytes_shared')" $(( g << 30 ))
	assert_equal "$(sum dst $FREE "$(hex $(( FREE + 1048576 )))")" "$want"
	! maps_has "$(cpid src)" "$s"
}

@test "hugetlb: private is copied into huge pages, shared is shared" {
	fx_hugepages 4
	start_cmd src hugetlb:2M:label=p hugetlb-shared:2M:label=s
	start_cmd dst anon:64K:label=x
	[[ $(cstart src p) != 0x0 && $(cstart src s) != 0x0 ]] || skip "no huge pages could be reserved"
	local s e
	s=$(cstart src p); e=$(cend src p)
	pvrun 0 copy "$(cpid src)" "$s" 2M --to "$(cpid dst)" --json
	assert_equal "$(jqo '.vmas[0].method')" copy
	assert_equal "$(sum dst "$s" "$e")" "$(sum src "$s" "$e")"
	assert_equal "$(smaps_field "$(cpid dst)" "$s" KernelPageSize)" "2048 kB"
	s=$(cstart src s); e=$(cend src s)
	pvrun 0 copy "$(cpid src)" "$s" 2M --to "$(cpid dst)" --json
	assert_equal "$(jqo '.vmas[0].method')" share
	assert_equal "$(jqo '.summary.bytes_copied')" 0
	share_both_ways src dst "$s"
}

# refused_for_real CODE OP SRCPID ADDR LEN DSTPID: the real (not dry) run
# refuses with CODE, exit 1, and neither process changed
refused_for_real() {
	local code=$1 op=$2 sp=$3 a=$4 len=$5 dp=$6
	local sm dm; sm=$(cat "/proc/$sp/maps"); dm=$(cat "/proc/$dp/maps")
	pvrun 1 "$op" "$sp" "$a" "$len" --to "$dp" --at any --json
	assert_equal "$(jqo '[.vmas[] | select(.reason != null) | .reason] | first')" "$code"
	assert_equal "$(jqo '.summary.done')" 0
	assert_equal "$(cat "/proc/$sp/maps")" "$sm"
	assert_equal "$(cat "/proc/$dp/maps")" "$dm"
	assert_equal "$(awk '/^TracerPid:/{print $2}' "/proc/$sp/status")" 0
}

@test "refusals hold when the transfer is attempted, and change nothing" {
	start_cmd src aio:label=r uffd:1M:label=u mseal:1M:label=s thread:label=t
	start_cmd dst anon:64K:label=x
	local sp dp; sp=$(cpid src); dp=$(cpid dst)
	# The thread's TLS, at the top of its stack, holds its rseq area, where
	# the kernel writes the CPU it runs on whenever that changes (even on
	# the way back into a restarted read).  On one CPU, after one freeze to
	# settle, the bytes stay put and the copy can be compared.
	taskset -a -p -c 0 "$sp" >/dev/null
	# mseal is 6.10's: before it the sealed cases have nothing to seal
	local sealed=s
	[[ $(cstart src s) != 0x0 ]] || sealed=
	pvrun 0 copy "$sp" "$(cstart src "${sealed:-t}")" 4K --to "$sp" --at $FREE
	local vdso vvar
	vdso=0x$(awk '$NF == "[vdso]" { split($1, r, "-"); print r[1] }' "/proc/$sp/maps")
	vvar=0x$(awk '$NF == "[vvar]" { split($1, r, "-"); print r[1] }' "/proc/$sp/maps")
	local op
	for op in move copy; do
		refused_for_real special-mapping $op "$sp" "$vdso" 4K "$dp"
		refused_for_real special-mapping $op "$sp" "$vvar" 4K "$dp"
		refused_for_real aio-ring $op "$sp" "$(cstart src r)" 4K "$dp"
		refused_for_real uffd-registered $op "$sp" "$(cstart src u)" 1M "$dp"
	done
	# sealed and in-use refuse a move only: a copy goes through
	[[ -z $sealed ]] || refused_for_real sealed move "$sp" "$(cstart src s)" 1M "$dp"
	refused_for_real in-use move "$sp" "$(cstart src t)" 1M "$dp"
	local l
	for l in $sealed t; do
		pvrun 0 copy "$sp" "$(cstart src $l)" 1M --to "$dp" --json
		assert_equal "$(jqo '.vmas[0].status')" done
		assert_equal "$(sum dst "$(cstart src $l)" "$(cend src $l)")" \
			"$(sum src "$(cstart src $l)" "$(cend src $l)")"
	done
	# code in use: the main thread waits in read, its ip in libc's text
	local ip text
	ip=$(awk '{print $NF}' "/proc/$sp/syscall")
	text=$("$FX_PY" -c '
import sys
ip = int(sys.argv[1], 16)
for l in open(f"/proc/{sys.argv[2]}/maps"):
    a, b = (int(x, 16) for x in l.split()[0].split("-"))
    if a <= ip < b:
        print(f"{a:#x} {b - a}")' "$ip" "$sp")
	refused_for_real in-use move "$sp" ${text% *} ${text#* } "$dp"
	pvrun 0 copy "$sp" ${text% *} ${text#* } --to "$dp" --at any --json
	assert_equal "$(jqo '.vmas[0].method')" file-cow
	# the thread still sleeps in read, the sealed mapping is still there
	grep -q '^State:.*S (sleeping)' "/proc/$sp/task/$(cfield src t tid)/status"
	[[ -z $sealed ]] || maps_has "$sp" "$(cstart src s)"
}

@test "a NUMA policy of the source's holds in the target (numa_maps)" {
	[[ -e /proc/self/numa_maps ]] || skip "this kernel has no NUMA support (no numa_maps)"
	start_cmd src numa-bind:1M:label=b numa-interleave:1M:label=i anon:1M:label=a
	start_cmd dst anon:64K:label=x
	local l s pol
	for l in b i a; do
		s=$(cstart src $l)
		pvrun 0 copy "$(cpid src)" "$s" 1M --to "$(cpid dst)"
		pol=$(awk -v a="${s#0x}" '$1 == a {print $2}' "/proc/$(cpid src)/numa_maps")
		assert_equal "$(awk -v a="${s#0x}" '$1 == a {print $2}' "/proc/$(cpid dst)/numa_maps")" "$pol"
		assert_equal "$(sum dst "$s" "$(cend src $l)")" "$(sum src "$s" "$(cend src $l)")"
	done
	[[ $(awk -v a="$(cstart src b | sed 's/^0x//')" '$1 == a {print $2}' "/proc/$(cpid dst)/numa_maps") == bind:0 ]]
}

@test "pages the source had swapped out are paged out again in the target" {
	local sw=$BATS_TEST_TMPDIR/swapfile
	{ fallocate -l 64M "$sw" && chmod 600 "$sw" && mkswap "$sw" >/dev/null && swapon "$sw"; } ||
		skip "no swap file can be switched on here"
	start_cmd src swapped:8M:label=w
	start_cmd dst anon:64K:label=x
	(( $(cfield src w swapped) > 0 )) || skip "MADV_PAGEOUT sent nothing to swap"
	local s e; s=$(cstart src w); e=$(cend src w)
	# reading the source would bring its pages back in: the same fill made
	# by another mapper (the pattern depends on the label and page only)
	start_cmd ref anon:8M:label=w
	local want; want=$(sum ref "$(cstart ref w)" "$(cend ref w)")
	pvrun 0 move "$(cpid src)" "$s" 8M --to "$(cpid dst)" --json
	assert_equal "$(jqo '.summary.bytes_copied')" 8388608
	local kb; kb=$(smaps_field "$(cpid dst)" "$s" Swap)
	(( ${kb% kB} > 0 )) || fail "nothing of the target's copy is swapped out: Swap $kb"
	assert_equal "$(sum dst "$s" "$e")" "$want"
}

@test "SysV: a target that may not attach the segment is refused in the plan (file-unreachable)" {
	start_cmd src sysv:1M:label=v
	start_mapper_via nobody setpriv --reuid=65534 --regid=65534 --clear-groups -- anon:4K
	local s; s=$(cstart src v)
	# the segment is mode 0600, owned by root: nobody may not attach it
	pvrun 1 copy "$(cpid src)" "$s" 1M --to "$(fx_pid nobody)" --allow-cross-user --json
	assert_equal "$(jqo '.vmas[0].reason')" file-unreachable
	[[ $(jqo '.vmas[0].message') == *"may not attach SysV segment $(cfield src v shmid) (mode 600, owner 0"* ]]
	# and nothing was stopped or changed: a root target may
	start_cmd dst anon:64K:label=x
	pvrun 0 copy "$(cpid src)" "$s" 1M --to "$(cpid dst)" --json
	assert_equal "$(jqo '.vmas[0].method')" share
}
