#!/usr/bin/env bats
# Real programs as peers, not fixtures written for pvmmap: a python3 blocked
# in input() and a coreutils `sleep 1000`.  pvmmap copies memory from a
# mapper into them and moves memory of theirs (an anonymous mmap python
# made, [heap]) to a mapper; the bytes arrive (read back through
# /proc/PID/mem, or by python itself) and the programs carry on: python
# answers its next line correctly, sleep is still asleep.

bats_require_minimum_version 1.5.0

FREE=0x100000000000

setup_file() { load fixture; fx_setup_file; }

setup() { load fixture; fx_setup; }

teardown() { fx_teardown; }


case $(uname -m) in
x86_64) NR_READ=0 NR_CLOCK_NANOSLEEP=230 NR_RESTART=219 ;;
aarch64) NR_READ=63 NR_CLOCK_NANOSLEEP=115 NR_RESTART=128 ;;
*) NR_READ=-1 NR_CLOCK_NANOSLEEP=-1 NR_RESTART=-1 ;;
esac

# The python peer: a private anonymous mmap of 1 MiB filled with
# bytes(range(256)) * 4096 ("region"), then one line per line of input:
#   rev TEXT         -> rev TEXT-reversed
#   sha 0xADDR LEN   -> sha SHA256 of LEN bytes at ADDR, read by python
#                       itself (ctypes.string_at)
PEER_PY='
import ctypes, hashlib, mmap, os, sys
m = mmap.mmap(-1, 1 << 20, flags=mmap.MAP_PRIVATE, prot=mmap.PROT_READ | mmap.PROT_WRITE)
m.write(bytes(range(256)) * 4096)
a = ctypes.addressof(ctypes.c_char.from_buffer(m))
print("region 0x%x 0x%x" % (a, a + len(m)))
print("ready %d" % os.getpid(), flush=True)
while True:
    words = input().split()
    if words[0] == "rev":
        print("rev", words[1][::-1], flush=True)
    elif words[0] == "sha":
        data = ctypes.string_at(int(words[1], 16), int(words[2]))
        print("sha", hashlib.sha256(data).hexdigest(), flush=True)
    else:
        print("error", words[0], flush=True)
'
REGION_SHA=$(/usr/bin/python3 -c 'import hashlib; print(hashlib.sha256(bytes(range(256)) * 4096).hexdigest())')

start_peer_python() {
	start_cmd_prog py /usr/bin/python3 -c "$PEER_PY"
	# blocked in input(): read(2) on its stdin
	wait_until 5 fx_in_syscall "$(cpid py)" "$(cpid py)" "$NR_READ" ||
		fail "python is not blocked in read: $(cat "/proc/$(cpid py)/syscall")"
}

# answers PID: python in its read again, and answering a line correctly
python_answers() {
	wait_until 5 fx_in_syscall "$(cpid py)" "$(cpid py)" "$NR_READ" ||
		fail "python is not back in read: $(cat "/proc/$(cpid py)/syscall")"
	assert_equal "$(fx_reply py "rev pvmmap-$1")" "rev $(rev <<< "pvmmap-$1")"
	fx_alive "$(cpid py)"
}

# overlapping PID START END: the lines of PID's maps that overlap [START, END)
overlapping() {
	local range rest a b
	while read -r range rest; do
		a=0x${range%-*}
		b=0x${range#*-}
		(( a < $3 && b > $2 )) && echo "$range $rest"
	done < "/proc/$1/maps"
	return 0
}

# heap PID: START END of its [heap]
heap_of() { awk '$6 == "[heap]" { split($1, a, "-"); print "0x" a[1], "0x" a[2] }' "/proc/$1/maps"; }

@test "python3 blocked in input(): a copy from a mapper arrives, python reads it, and answers its next line" {
	start_peer_python
	start_cmd src anon:4M:label=a
	local pp s
	pp=$(cpid py)
	s=$(cstart src a)
	pvrun 0 copy "$(cpid src)" "$s" 4M --to "$pp" --at $FREE --json
	assert_equal "$(jqo '.vmas[0].status')" "done"
	local want; want=$(fx_memsha "$(cpid src)" "$s" 4194304)
	assert_equal "$(fx_memsha "$pp" $FREE 4194304)" "$want"
	python_answers 1
	# python itself reads the new mapping
	assert_equal "$(fx_reply py "sha $FREE 4194304")" "sha $want"
}

@test "python3 blocked in input(): its private mmap moves to a mapper with its bytes; python answers after" {
	start_peer_python
	start_cmd dst anon:64K:label=x
	local pp s
	pp=$(cpid py)
	s=$(cstart py region)
	[[ $s == 0x* ]] || fail "python printed no region"
	assert_equal "$(fx_reply py "sha $s 1048576")" "sha $REGION_SHA"
	local e; e=$(hex $(( s + 1048576 )))
	[[ $(overlapping "$pp" "$s" "$e") == *" rw-p "* ]] || fail "not rw-p: $(overlapping "$pp" "$s" "$e")"
	pvrun 0 move "$pp" "$s" 1M --to "$(cpid dst)" --at $FREE --json
	assert_equal "$(jqo '.vmas | map(.status) | unique | join(",")')" "done"
	assert_equal "$(jqo '.summary.bytes_copied')" 1048576
	assert_equal "$(fx_memsha "$(cpid dst)" $FREE 1048576)" "$REGION_SHA"
	# python no longer maps any of it
	assert_equal "$(overlapping "$pp" "$s" "$e")" ""
	run dd if="/proc/$pp/mem" bs=4096 iflag=skip_bytes skip=$(( s )) count=1 status=none
	assert_failure
	python_answers 2
}

@test "python3 blocked in input(): a copy of its [heap] to a mapper holds the heap's bytes" {
	start_peer_python
	start_cmd dst anon:64K:label=x
	local pp hs he len
	pp=$(cpid py)
	read -r hs he <<< "$(heap_of "$pp")"
	[[ -n $hs ]] || skip "this python has no [heap]"
	len=$(( he - hs ))
	# python is blocked: its heap does not change meanwhile
	local want; want=$(fx_memsha "$pp" "$hs" "$len")
	pvrun 0 copy "$pp" "$hs" "$len" --to "$(cpid dst)" --at $FREE --json
	assert_equal "$(jqo '.vmas[0].kind')" heap
	assert_equal "$(jqo '.vmas[0].status')" "done"
	assert_equal "$(fx_memsha "$(cpid dst)" $FREE "$len")" "$want"
	assert_equal "$(fx_memsha "$pp" "$hs" "$len")" "$want"
	python_answers 3
}

asleep() { # PID: sleep is alive, state S, in clock_nanosleep (or its restart)
	assert_equal "$(fx_state "$1")" S
	assert_equal "$(fx_tracer "$1")" 0
	wait_until 5 fx_in_syscall "$1" "$1" "$NR_CLOCK_NANOSLEEP" "$NR_RESTART" ||
		fail "sleep is not in its sleep: $(cat "/proc/$1/syscall")"
}

@test "sleep 1000: a copy from a mapper arrives; sleep is still asleep (S) afterwards" {
	start_bg sl sleep 1000
	start_cmd src anon:4M:label=a
	local sp s
	sp=$(fx_bgpid sl)
	wait_until 5 fx_in_syscall "$sp" "$sp" "$NR_CLOCK_NANOSLEEP" || fail "sleep never slept"
	s=$(cstart src a)
	pvrun 0 copy "$(cpid src)" "$s" 4M --to "$sp" --at $FREE --json
	assert_equal "$(jqo '.vmas[0].status')" "done"
	assert_equal "$(fx_memsha "$sp" $FREE 4194304)" "$(fx_memsha "$(cpid src)" "$s" 4194304)"
	asleep "$sp"
	sleep 0.3
	asleep "$sp"
}

@test "sleep 1000: its [heap] moves to a mapper with its bytes; sleep is still asleep (S) afterwards" {
	start_bg sl sleep 1000
	start_cmd dst anon:64K:label=x
	local sp hs he len
	sp=$(fx_bgpid sl)
	wait_until 5 fx_in_syscall "$sp" "$sp" "$NR_CLOCK_NANOSLEEP" || fail "sleep never slept"
	read -r hs he <<< "$(heap_of "$sp")"
	[[ -n $hs ]] || skip "this sleep has no [heap]"
	len=$(( he - hs ))
	local want; want=$(fx_memsha "$sp" "$hs" "$len")
	# sleep no longer allocates: --force lets its [heap] go (in-use without it)
	pvrun 1 move "$sp" "$hs" "$len" --to "$(cpid dst)" --at $FREE --json
	assert_equal "$(jqo '.vmas[0].reason')" in-use
	pvrun 0 move "$sp" "$hs" "$len" --to "$(cpid dst)" --at $FREE --force --json
	assert_equal "$(jqo '.vmas[0].kind')" heap
	assert_equal "$(jqo '.vmas[0].status')" "done"
	assert_equal "$(fx_memsha "$(cpid dst)" $FREE "$len")" "$want"
	refute grep -q '\[heap\]' "/proc/$sp/maps"
	asleep "$sp"
	sleep 0.3
	asleep "$sp"
}
