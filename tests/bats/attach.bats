#!/usr/bin/env bats
# Refusals at attach time (per-process reasons, exit 3): a process another
# tracer holds, a zombie, a pid nobody has, a seccomp filter pvmmap cannot
# suspend.  Each names its cause in error.code and in a message, and changes
# nothing.  And where pvmmap can suspend seccomp (root, CAP_SYS_ADMIN), a
# process whose filter kills it on mmap survives a transfer.
#
# Not covered: a process that exits between the plan and the attach (no way
# to time that deterministically from outside).

bats_require_minimum_version 1.5.0

FREE=0x100000000000

setup_file() { load fixture; fx_setup_file; }

setup() { load fixture; fx_setup; }

teardown() { fx_teardown; }


# need_strace: skip without strace
need_strace() {
	command -v strace >/dev/null || skip "no strace on this machine"
}

# traced_by_strace NAME PID: strace attached to PID (job NAME: fx_bgpid).
# Not in $(...): the command substitution would wait for strace's stdout.
traced_by_strace() {
	start_bg "$1" strace -q -o /dev/null -p "$2"
	local st; st=$(fx_bgpid "$1")
	wait_until 10 eval '[[ $(fx_tracer '"$2"') == '"$st"' ]]' ||
		fail "strace ($st) did not attach to $2: TracerPid $(fx_tracer "$2")"
}

# a_zombie NAME: ZOMBIE is the pid of a child that exited and that its
# parent (a `sleep 1000`, job NAME) never reaps
a_zombie() {
	local f
	f="$(fx_dir)/zombie.$1"
	start_bg "$1" sh -c 'sleep 0.2 & echo $! > "$1"; exec sleep 1000' sh "$f"
	wait_until 5 test -s "$f" || fail "no zombie made"
	ZOMBIE=$(< "$f")
	wait_until 5 eval '[[ $(fx_state '"$ZOMBIE"') == Z ]]' ||
		fail "$ZOMBIE is not a zombie: $(fx_state "$ZOMBIE")"
}

# unchanged PID MAPS: PID still alive with the same maps
unchanged() {
	fx_alive "$1"
	assert_equal "$(cat "/proc/$1/maps")" "$2"
}

@test "already-traced source (strace -p): exit 3, the message names strace's pid and comm" {
	need_strace
	start_cmd src anon:1M:label=a
	start_cmd dst anon:64K:label=x
	local sp dp st smaps dmaps
	sp=$(cpid src)
	dp=$(cpid dst)
	traced_by_strace st "$sp"
	st=$(fx_bgpid st)
	smaps=$(cat "/proc/$sp/maps")
	dmaps=$(cat "/proc/$dp/maps")
	pvrun 3 move "$sp" "$(cstart src a)" 1M --to "$dp" --at $FREE --json
	keep
	assert_equal "$(jqo '.error.code')" already-traced
	[[ $(jqo '.error.message') == *"$st"*strace* ]] || fail "message: $(jqo '.error.message')"
	# strace is still the tracer, nothing changed
	assert_equal "$(fx_tracer "$sp")" "$st"
	unchanged "$sp" "$smaps"
	unchanged "$dp" "$dmaps"
	# people get the same on stderr, nothing on stdout
	pvrun 3 move "$sp" "$(cstart src a)" 1M --to "$dp" --at $FREE
	assert_equal "$output" ""
	[[ $stderr == *already-traced* && $stderr == *"$st"* && $stderr == *strace* ]] ||
		fail "stderr: $stderr"
	all_valid
}

@test "already-traced target (strace -p): exit 3, the message names strace's pid and comm" {
	need_strace
	start_cmd src anon:1M:label=a
	start_cmd dst anon:64K:label=x
	local sp dp st smaps dmaps
	sp=$(cpid src)
	dp=$(cpid dst)
	traced_by_strace st "$dp"
	st=$(fx_bgpid st)
	smaps=$(cat "/proc/$sp/maps")
	dmaps=$(cat "/proc/$dp/maps")
	pvrun 3 copy "$sp" "$(cstart src a)" 1M --to "$dp" --at $FREE --json
	keep
	assert_equal "$(jqo '.error.code')" already-traced
	[[ $(jqo '.error.message') == *"$st"*strace* ]] || fail "message: $(jqo '.error.message')"
	assert_equal "$(fx_tracer "$dp")" "$st"
	assert_equal "$(fx_tracer "$sp")" 0
	unchanged "$sp" "$smaps"
	unchanged "$dp" "$dmaps"
	all_valid
}

@test "zombie source: exit 3, zombie, the message names the pid" {
	start_cmd dst anon:64K:label=x
	local z dmaps
	a_zombie zp
	z=$ZOMBIE
	dmaps=$(cat "/proc/$(cpid dst)/maps")
	pvrun 3 copy "$z" 0x400000 4K --to "$(cpid dst)" --json
	keep
	assert_equal "$(jqo '.error.code')" zombie
	[[ $(jqo '.error.message') == *"$z"* ]] || fail "message: $(jqo '.error.message')"
	[[ $(jqo '.error.message') == *zombie* || $(jqo '.error.message') == *exited* ]] ||
		fail "message: $(jqo '.error.message')"
	unchanged "$(cpid dst)" "$dmaps"
	all_valid
}

@test "zombie target: exit 3, zombie, the source unchanged" {
	start_cmd src anon:1M:label=a
	local z smaps sp
	sp=$(cpid src)
	a_zombie zp
	z=$ZOMBIE
	smaps=$(cat "/proc/$sp/maps")
	pvrun 3 move "$sp" "$(cstart src a)" 1M --to "$z" --json
	keep
	assert_equal "$(jqo '.error.code')" zombie
	[[ $(jqo '.error.message') == *"$z"* ]] || fail "message: $(jqo '.error.message')"
	unchanged "$sp" "$smaps"
	assert_equal "$(fx_tracer "$sp")" 0
	all_valid
}

@test "no such process (source, then target): exit 3, no-such-process, the message names the pid" {
	start_cmd src anon:1M:label=a
	local gone sp smaps
	sp=$(cpid src)
	gone=$(fx_free_pid) || skip "no free pid"
	smaps=$(cat "/proc/$sp/maps")
	pvrun 3 copy "$gone" 0x400000 4K --to "$sp" --json
	keep
	assert_equal "$(jqo '.error.code')" no-such-process
	[[ $(jqo '.error.message') == *"$gone"* ]] || fail "message: $(jqo '.error.message')"
	pvrun 3 move "$sp" "$(cstart src a)" 1M --to "$gone" --json
	keep
	assert_equal "$(jqo '.error.code')" no-such-process
	[[ $(jqo '.error.message') == *"$gone"* ]] || fail "message: $(jqo '.error.message')"
	unchanged "$sp" "$smaps"
	all_valid
}

@test "a process whose seccomp filter kills it on mmap survives a copy into it (root suspends the filter)" {
	start_blocker k -K read
	start_cmd src anon:1M:label=a
	local kp s e want
	kp=$(cpid k)
	assert_equal "$(fx_wait_line k '^seccomp ' 1)" "seccomp mode=2 kills=mmap"
	grep -q '^Seccomp:[[:space:]]*2$' "/proc/$kp/status"
	s=$(cstart src a)
	e=$(cend src a)
	want=$(sum src "$s" "$e")
	pvrun 0 copy "$(cpid src)" "$s" 1M --to "$kp" --at $FREE --json
	assert_equal "$(jqo '.vmas[0].status')" "done"
	fx_alive "$kp"
	local end; end=$(hex $(( FREE + 1048576 )))
	assert_equal "$(fx_reply k "sum $FREE-$end")" "sum $FREE-$end $want"
	assert_equal "$(fx_reply k "stats read")" "stats read returns=0 eintr=0"
	# the filter is still there and still kills on mmap
	grep -q '^Seccomp:[[:space:]]*2$' "/proc/$kp/status"
	echo mmap >&"$(< "$(fx_dir)/fd.k")"
	local st=0
	wait "$(fx_bgpid k)" || st=$?
	assert_equal "$st" $(( 128 + $(kill -l SYS) ))
}

@test "a process whose seccomp filter kills it on mmap survives a move out of it" {
	start_blocker k -K -m 1M read
	start_cmd dst anon:64K:label=x
	local kp s want
	kp=$(cpid k)
	assert_equal "$(fx_wait_line k '^seccomp ' 1)" "seccomp mode=2 kills=mmap"
	s=$(cstart k mem)
	want=$(fx_reply k "sum mem")
	want=${want##* }
	pvrun 0 move "$kp" "$s" 1M --to "$(cpid dst)" --at $FREE --json
	assert_equal "$(jqo '.vmas[0].status')" "done"
	fx_alive "$kp"
	assert_equal "$(sum dst $FREE "$(hex $(( FREE + 1048576 )))")" "$want"
	run fx_reply k "sum mem"
	assert_output --regexp ' unreadable=256$'
	assert_equal "$(fx_reply k "stats read")" "stats read returns=0 eintr=0"
}

@test "without CAP_SYS_ADMIN, a seccomp-filtered target is refused: exit 3, seccomp-blocks, nothing changed" {
	command -v setpriv >/dev/null || skip "no setpriv on this machine"
	local wrap=(setpriv --inh-caps=-all --bounding-set=-sys_admin)
	# the wrapper really takes CAP_SYS_ADMIN (bit 21) away and keeps CAP_SYS_PTRACE (19)
	local eff; eff=$("${wrap[@]}" awk '/^CapEff:/ {print $2}' /proc/self/status)
	(( (0x$eff >> 21 & 1) == 0 && (0x$eff >> 19 & 1) == 1 )) || fail "CapEff under setpriv: $eff"
	start_blocker k -K read
	start_cmd src anon:1M:label=a
	start_cmd plain anon:64K:label=x
	local kp sp kmaps smaps
	kp=$(cpid k)
	sp=$(cpid src)
	kmaps=$(cat "/proc/$kp/maps")
	smaps=$(cat "/proc/$sp/maps")
	PVRUN_WRAP=("${wrap[@]}")
	pvrun 3 copy "$sp" "$(cstart src a)" 1M --to "$kp" --at $FREE --json
	keep
	assert_equal "$(jqo '.error.code')" seccomp-blocks
	[[ $(jqo '.error.message') == *seccomp* && $(jqo '.error.message') == *CAP_SYS_ADMIN* ]] ||
		fail "message: $(jqo '.error.message')"
	unchanged "$kp" "$kmaps"
	unchanged "$sp" "$smaps"
	assert_equal "$(fx_tracer "$kp")" 0
	assert_equal "$(fx_reply k "stats read")" "stats read returns=0 eintr=0"
	# the same pvmmap copies into a process without a filter: the filter is the cause
	pvrun 0 copy "$sp" "$(cstart src a)" 1M --to "$(cpid plain)" --at $FREE --json
	PVRUN_WRAP=()
	all_valid
}

@test "without CAP_SYS_ADMIN, a seccomp-filtered source is refused: exit 3, seccomp-blocks" {
	command -v setpriv >/dev/null || skip "no setpriv on this machine"
	start_blocker k -K -m 1M read
	start_cmd dst anon:64K:label=x
	local kp kmaps
	kp=$(cpid k)
	kmaps=$(cat "/proc/$kp/maps")
	PVRUN_WRAP=(setpriv --inh-caps=-all --bounding-set=-sys_admin)
	pvrun 3 move "$kp" "$(cstart k mem)" 1M --to "$(cpid dst)" --at $FREE --json
	PVRUN_WRAP=()
	keep
	assert_equal "$(jqo '.error.code')" seccomp-blocks
	unchanged "$kp" "$kmaps"
	assert_equal "$(fx_reply k "stats read")" "stats read returns=0 eintr=0"
	all_valid
}
