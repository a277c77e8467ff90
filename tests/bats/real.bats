#!/usr/bin/env bats
# pvmmap maps on ordinary processes nobody made for it: the test's shell, a
# sleep, a python3, and the bats processes running this test.
# check-aarch64: left out: maps on ordinary processes, minutes per test under emulation (3.6 min for the python3 copy); peers.bats runs real programs as peers on arm64

bats_require_minimum_version 1.5.0

setup_file() { load fixture; fx_setup_file; }

setup() { load fixture; fx_setup; }

teardown() { fx_teardown; }

# sane PID: `maps PID --json` (kept in DOC) exits 0 with a valid document of PID, whose
# refused VMAs all say why, whose ok VMAs all say how, and whose [vdso] is
# refused as a special mapping; the test ends with all_valid (schema).  A
# thread that is running when maps looks (redis's background threads, now
# and then) defers the in-use check of the VMAs it might use to the move.
sane() {
	local pid=$1
	pvrun 0 maps "$pid" --json
	assert_equal "$stderr" ''
	DOC=$output
	keep
	run -0 jq -r '
		"source \(.source.pid) error \(.error)",
		(.vmas[] | select(.status == "refused" and (.reason == null or .message == null))
			| "refused without a reason: \(.start)"),
		(.vmas[] | select(.status == "ok" and .method == null) | "ok without a method: \(.start)"),
		(.vmas[] | select(.status == "deferred" and .reason != "in-use-unknown")
			| "deferred for another reason: \(.start) \(.reason)"),
		(.vmas[] | select(.status != "ok" and .status != "refused" and .status != "deferred")
			| "status \(.status): \(.start)"),
		(.vmas[] | select(.name == "[vdso]") | "[vdso] \(.kind) \(.status) \(.reason)"),
		"\([.vmas[] | select(.status == "ok")] | length > 0) ok VMAs"' <<< "$DOC"
	assert_output "source $pid error null
[vdso] special refused special-mapping
true ok VMAs"
}

@test "the test's shell" {
	sane "$BASHPID"
	all_valid
}

@test "a sleep" {
	start_bg sleep sleep 30
	wait_until 5 grep -q '^Name:[[:space:]]*sleep$' "/proc/$(fx_bgpid sleep)/status"
	sane "$(fx_bgpid sleep)"
	all_valid
}

@test "a python3" {
	start_bg py "$FX_PY" -c 'import time; time.sleep(30)'
	wait_until 5 grep -q 'python3' "/proc/$(fx_bgpid py)/maps"
	sane "$(fx_bgpid py)"
	# libpython or the interpreter itself: a file mapped privately, file-cow
	run -0 jq -r '[.vmas[] | select(.name | test("python3")) | .method] | unique | join(" ")' <<< "$DOC"
	assert_output --partial file-cow
	all_valid
}

@test "the bats processes running this test, up to bats itself" {
	local pid=$BASHPID ppid script n=0 argv
	while (( pid > 1 && n < 8 )); do
		mapfile -d '' -t argv < "/proc/$pid/cmdline"
		script=${argv[1]##*/}
		[[ $script == bats || $script == bats-exec-* ]] ||
			fail "process $pid (${argv[*]}) is not one of bats' own"
		sane "$pid"
		n=$((n + 1))
		[[ $script == bats ]] && break
		read -r _ ppid < <(grep '^PPid:' "/proc/$pid/status")
		pid=$ppid
	done
	# bats-exec-test, bats-exec-file, bats-exec-suite (in bats 1.x), bats
	assert_equal "$script" bats
	(( n >= 3 )) || fail "only $n bats processes"
	all_valid
}

@test "the human table of the test's shell: exit 0, [vdso] refused" {
	run -0 "$PVMMAP" maps "$BASHPID"
	assert_line --index 0 --regexp "^$BASHPID: bash  \(verdicts to move; "
	assert_line --regexp '^[0-9a-f]{16} r-xp special +[0-9.]+[BKMGT] +[0-9.]+[BKMGT] refused +\[vdso\]$'
	# through a pipe a reason is one line, never wrapped
	assert_line --regexp '^    special-mapping: this is a page the kernel provides to every process \(such .* cannot be recreated by mmap$'
}

# same_bytes PID1 ADDR1 PID2 ADDR2 LEN: the two ranges hold the same bytes
# (read through /proc/PID/mem, which reaches PROT_NONE pages too)
same_bytes() {
	"$FX_PY" - "$@" <<'PY'
import sys
p1, a1, p2, a2, n = int(sys.argv[1]), int(sys.argv[2], 16), int(sys.argv[3]), int(sys.argv[4], 16), int(sys.argv[5])
with open(f"/proc/{p1}/mem", "rb", 0) as f1, open(f"/proc/{p2}/mem", "rb", 0) as f2:
    off = 0
    while off < n:
        k = min(1 << 20, n - off)
        f1.seek(a1 + off); f2.seek(a2 + off)
        x, y = f1.read(k), f2.read(k)
        if x != y:
            i = next(i for i in range(k) if x[i] != y[i])
            sys.exit(f"differ at {off + i:#x}: {x[i:i + 16].hex()} / {y[i:i + 16].hex()}")
        off += k
PY
}

# copy_all_ok PID: copy every VMA `maps --for copy` approves into a mapper,
# each placed by the kernel; prints "START DEST LEN" per copy
copy_all_ok() {
	local pid=$1 dp=$2 s e
	pvrun 0 maps "$pid" --for copy --json
	local list; list=$(jqo '.vmas[] | select(.status == "ok") | "\(.start) \(.end)"')
	[[ -n $list ]] || fail "no VMA of $pid can be copied"
	while read -r s e; do
		pvrun 0 copy "$pid" "$s" $(( e - s )) --to "$dp" --at any --json
		assert_equal "$(jqo '.summary.done')" 1
		echo "$s $(jqo '.dest.start') $(( e - s ))"
	done <<< "$list"
}

@test "a python3: every VMA pvmmap approves is copied to another process, byte for byte" {
	# on one CPU: the kernel writes the CPU number into the thread's rseq
	# area (glibc 2.35+, in its TLS) whenever it moves, which no copy can
	# follow
	start_bg py taskset -c 0 "$FX_PY" -c 'import time; time.sleep(120)'
	# asleep: done starting up, its memory no longer changes
	wait_until 10 grep -q nanosleep "/proc/$(fx_bgpid py)/wchan"
	start_cmd dst anon:64K:label=x
	local pid; pid=$(fx_bgpid py)
	local copies; copies=$(copy_all_ok "$pid" "$(cpid dst)")
	local s d n
	while read -r s d n; do
		same_bytes "$pid" "$s" "$(cpid dst)" "$d" "$n" || fail "copy of $s: bytes differ: $(grep -A22 "^${s#0x}-" "/proc/$pid/smaps")"
	done <<< "$copies"
	grep -q '^State:.*S (sleeping)' "/proc/$pid/status"
	ask dst "sum x" >/dev/null
}

@test "a redis-server: every VMA pvmmap approves is copied out, and redis still answers" {
	command -v redis-server >/dev/null || skip "redis-server is not installed"
	local port=$(( 20000 + RANDOM % 20000 ))
	start_bg redis redis-server --port "$port" --bind 127.0.0.1 --save '' --appendonly no
	wait_until 10 redis-cli -p "$port" ping
	redis-cli -p "$port" set pvmmap-key hello >/dev/null
	start_cmd dst anon:64K:label=x
	local pid; pid=$(fx_bgpid redis)
	sane "$pid"
	copy_all_ok "$pid" "$(cpid dst)" >/dev/null
	assert_equal "$(redis-cli -p "$port" get pvmmap-key)" hello
	assert_equal "$(redis-cli -p "$port" ping)" PONG
}
