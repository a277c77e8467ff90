#!/usr/bin/env bats
# Invisibility (guarantee 3 of the contract): a process pvmmap takes memory
# from or puts memory into observes nothing but the mapping change.  A thread
# blocked in a syscall carries on: no EINTR, no early or lost wake-up, its
# data arrive, a sleep lasts as long as asked; threads writing elsewhere keep
# consistent data and keep running; a stopped process stays stopped; a signal
# sent meanwhile is delivered exactly once.
#
# The subjects are build/fixtures/blocker (one thread per blocking syscall,
# `wake`, `stats`, `writers`, `sum` commands; see the comment at its top) and
# build/fixtures/mapper.

bats_require_minimum_version 1.5.0

FREE=0x100000000000
FREE2=0x100010000000
MiB4=4194304

setup_file() { load fixture; fx_setup_file; }

setup() { load fixture; fx_setup; SLEEP_S=$(( (3 * FX_WAIT_PCT + 99) / 100 )); }

teardown() { fx_teardown; }


# restart_syscall: where a thread interrupted in a sleep (or poll) resumes.
case $(uname -m) in
x86_64) RESTART_NR=219 ;;
aarch64) RESTART_NR=128 ;;
*) RESTART_NR=-1 ;;
esac

send() { echo "$2" >&"$(< "$(fx_dir)/fd.$1")"; }

# tfield NAME THREAD KEY: KEY=... on a thread's line of a blocker's listing
# (those lines have no addresses, so cfield does not apply).
tfield() {
	awk -v l="$2" -v k="$3=" '$1 == l && $2 ~ /^tid=/ {
		for (i = 2; i <= NF; i++) if (index($i, k) == 1) print substr($i, length(k) + 1)
	}' "$(fx_dir)/cmd.$1"
}

# How long a sleeping thread of the blocker sleeps (-s): long enough that
# pvmmap runs inside the first sleep, which starts before the listing.
# Scaled (in setup, once helpers.bash has read PVMMAP_WAIT_SCALE): on a
# loaded machine, or under emulation (the arm64 guest), the steps before
# pvmmap's run took more than 3 s and the sleep ended first.
SLEEP_S=3

# blocker_for NAME: the blocker `b` with the one thread NAME, and with MEM
# (-m) when given as $2.
blocker_for() {
	local secs=30
	[[ $1 == *nanosleep ]] && secs=$SLEEP_S
	start_blocker b -s "$secs" ${2:+-m "$2"} "$1"
	[[ $(tfield b "$1" tid) =~ ^[1-9][0-9]*$ ]] || fail "the blocker has no $1 thread"
	[[ $(tfield b "$1" blocked) != no ]] || fail "the $1 thread never blocked"
}

# after_op NAME BUDGET: thread NAME of blocker b, which pvmmap worked on, is
# back in its syscall, saw nothing (no return at all, so no EINTR), and
# wakes on its own trigger with its data.  BUDGET: seconds pvmmap may have
# held the process, from its report; a sleep may end that much late.
after_op() {
	local name=$1 budget=$2 bp tid nr line
	bp=$(cpid b)
	tid=$(tfield b "$name" tid)
	nr=$(tfield b "$name" syscall)
	wait_until 5 fx_in_syscall "$bp" "$tid" "$nr" "$RESTART_NR" ||
		fail "the $name thread is not back in syscall $nr: $(cat "/proc/$bp/task/$tid/syscall")"
	[[ $name == *nanosleep ]] ||
		assert_equal "$(fx_reply b "stats $name")" "stats $name returns=0 eintr=0"
	local n data="pvmmap-$name-$RANDOM"
	n=$(fx_nlines b)
	case $name in
	nanosleep | clock_nanosleep)
		# its own trigger: the time is up.  The first sleep, during which
		# pvmmap ran, may already be over: its line is the first one.
		line=$(fx_wait_line b "^done $name " $(( SLEEP_S + 5 )))
		[[ $line =~ ^done\ $name\ ret=0\ elapsed=([0-9.]+)$ ]] ||
			fail "the sleep did not end normally: $line"
		local el=${BASH_REMATCH[1]}
		# not shorter than asked, and not longer than asked plus the time
		# pvmmap held it plus 0.5 s (a sleep restarted with its full
		# length after 1 s would take 1 s more)
		awk -v e="$el" -v n="$SLEEP_S" -v b="$budget" 'BEGIN { exit !(e >= n && e <= n + b + 0.5) }' ||
			fail "$name($SLEEP_S s) took $el s; pvmmap held the process $budget s"
		;;
	pause)
		# its only trigger is a signal: exactly one EINTR, the one caused here
		send b "wake pause"
		line=$(fx_wait_line b "^done pause " 5 "$n")
		[[ $line == "done pause ret=-1 errno=EINTR elapsed="* ]] || fail "pause: $line"
		;;
	futex)
		send b "wake futex"
		line=$(fx_wait_line b "^done futex " 5 "$n")
		[[ $line == "done futex ret=0 elapsed="* ]] || fail "futex: $line"
		;;
	read)
		send b "wake read $data"
		line=$(fx_wait_line b "^done read " 5 "$n")
		[[ $line =~ ^done\ read\ ret=${#data}\ elapsed=[0-9.]+\ data=$data$ ]] || fail "read: $line"
		;;
	accept)
		send b "wake accept $data"
		line=$(fx_wait_line b "^done accept " 5 "$n")
		[[ $line =~ ^done\ accept\ ret=[0-9]+\ elapsed=[0-9.]+\ data=$data$ ]] || fail "accept: $line"
		;;
	*)      # epoll_wait poll select: the pipe is ready, its bytes are drained
		send b "wake $name $data"
		line=$(fx_wait_line b "^done $name " 5 "$n")
		[[ $line =~ ^done\ $name\ ret=1\ elapsed=[0-9.]+\ data=$data$ ]] || fail "$name: $line"
		;;
	esac
	if [[ $name != *nanosleep ]]; then
		# nothing returned before the wake-up caused here: no EINTR, no
		# spurious or early wake-up
		assert_equal "$(fx_count b "^done $name ")" 1
		[[ $(fx_wait_line b "^done $name " 1) == "$line" ]] || fail "an earlier return: $(fx_wait_line b "^done $name " 1)"
	fi
	local eintr=0
	[[ $name == pause ]] && eintr=1
	assert_equal "$(fx_reply b "stats $name")" "stats $name returns=1 eintr=$eintr"
	assert_equal "$(fx_count b '^(error|corrupt)')" 0
}

# source_case NAME: a 4 MiB region moves out of a blocker whose thread NAME
# is blocked.
source_case() {
	local name=$1 bp s want
	blocker_for "$name" 4M
	start_cmd dst anon:64K:label=x
	bp=$(cpid b)
	s=$(cstart b mem)
	want=$(fx_reply b "sum mem")
	want=${want##* }
	[[ $name == *nanosleep ]] && sleep 1      # well inside the first sleep
	assert_equal "$(fx_count b '^done ')" 0
	pvrun 0 move "$bp" "$s" 4M --to "$(cpid dst)" --at $FREE --json
	assert_equal "$(jqo '.vmas[0].status')" "done"
	local paused; paused=$(jqo '.summary.source_paused_s')
	[[ $paused =~ ^[0-9.]+$ ]] || fail "source_paused_s: $paused"
	assert_equal "$(sum dst $FREE "$(hex $(( FREE + MiB4 )))")" "$want"
	# the source no longer maps it
	run fx_reply b "sum mem"
	assert_output --regexp ' unreadable=1024$'
	after_op "$name" "$paused"
}

# target_case NAME: a 4 MiB region is copied into a blocker whose thread
# NAME is blocked.
target_case() {
	local name=$1 bp s e want
	blocker_for "$name"
	start_cmd src anon:4M:label=a
	bp=$(cpid b)
	s=$(cstart src a)
	e=$(cend src a)
	want=$(sum src "$s" "$e")
	[[ $name == *nanosleep ]] && sleep 1
	assert_equal "$(fx_count b '^done ')" 0
	pvrun 0 copy "$(cpid src)" "$s" 4M --to "$bp" --at $FREE --json
	assert_equal "$(jqo '.vmas[0].status')" "done"
	# the target's pause is not reported apart: the whole run bounds it
	local held; held=$(jqo '.summary.elapsed_s')
	[[ $held =~ ^[0-9.]+$ ]] || fail "elapsed_s: $held"
	local end; end=$(hex $(( FREE + MiB4 )))
	assert_equal "$(fx_reply b "sum $FREE-$end")" "sum $FREE-$end $want"
	after_op "$name" "$held"
}

@test "source blocked in read (pipe): move out, no EINTR, the bytes written later arrive" {
	source_case read
}

@test "source blocked in nanosleep: move out, no EINTR, sleeps N s <= t <= N + paused + 0.5 s" {
	source_case nanosleep
}

@test "source blocked in clock_nanosleep: move out, no EINTR, sleeps N s <= t <= N + paused + 0.5 s" {
	source_case clock_nanosleep
}

@test "source blocked in futex wait: move out, no EINTR, FUTEX_WAKE still wakes it" {
	source_case futex
}

@test "source blocked in epoll_wait: move out, no EINTR, the pipe's bytes arrive" {
	source_case epoll_wait
}

@test "source blocked in poll: move out, no EINTR, the pipe's bytes arrive" {
	source_case poll
}

@test "source blocked in select with timeout: move out, no EINTR, the pipe's bytes arrive" {
	source_case select
}

@test "source blocked in accept: move out, no EINTR, a connection's bytes arrive" {
	source_case accept
}

@test "source blocked in pause: move out, no EINTR, SIGUSR1 still ends it once" {
	source_case pause
}

@test "target blocked in read (pipe): copy in, no EINTR, the bytes written later arrive" {
	target_case read
}

@test "target blocked in nanosleep: copy in, no EINTR, sleeps N s <= t <= N + elapsed + 0.5 s" {
	target_case nanosleep
}

@test "target blocked in clock_nanosleep: copy in, no EINTR, sleeps N s <= t <= N + elapsed + 0.5 s" {
	target_case clock_nanosleep
}

@test "target blocked in futex wait: copy in, no EINTR, FUTEX_WAKE still wakes it" {
	target_case futex
}

@test "target blocked in epoll_wait: copy in, no EINTR, the pipe's bytes arrive" {
	target_case epoll_wait
}

@test "target blocked in poll: copy in, no EINTR, the pipe's bytes arrive" {
	target_case poll
}

@test "target blocked in select with timeout: copy in, no EINTR, the pipe's bytes arrive" {
	target_case select
}

@test "target blocked in accept: copy in, no EINTR, a connection's bytes arrive" {
	target_case accept
}

@test "target blocked in pause: copy in, no EINTR, SIGUSR1 still ends it once" {
	target_case pause
}

# writers_grew BEFORE: every writer's count is above its count in the
# `writers` reply BEFORE.
writers_grew() {
	local now a b i
	now=$(fx_reply b writers) || return 1
	IFS=, read -ra a <<< "${1##*counts=}"
	IFS=, read -ra b <<< "${now##*counts=}"
	(( ${#a[@]} == ${#b[@]} )) || return 1
	for i in "${!a[@]}"; do
		(( b[i] > a[i] )) || return 1
	done
}

@test "writer threads of the source keep consistent memory outside the range and keep running" {
	start_blocker b -W 2 -m 64M read
	start_cmd dst anon:64K:label=x
	local bp s want w
	bp=$(cpid b)
	s=$(cstart b mem)
	want=$(fx_reply b "sum mem")
	want=${want##* }
	# two freezes: a copy, then a move of the same range
	pvrun 0 copy "$bp" "$s" 64M --to "$(cpid dst)" --at $FREE
	pvrun 0 move "$bp" "$s" 64M --to "$(cpid dst)" --at $FREE2
	assert_equal "$(sum dst $FREE "$(hex $(( FREE + 64 * 1048576 )))")" "$want"
	assert_equal "$(sum dst $FREE2 "$(hex $(( FREE2 + 64 * 1048576 )))")" "$want"
	w=$(fx_reply b writers)
	[[ $w == "writers n=2 corrupt=0 counts="* ]] || fail "after the move: $w"
	wait_until 5 writers_grew "$w" || fail "the writers stopped: $w, then $(fx_reply b writers)"
	assert_equal "$(fx_reply b writers | cut -d' ' -f1-3)" "writers n=2 corrupt=0"
	# the blocked thread saw nothing either
	assert_equal "$(fx_reply b "stats read")" "stats read returns=0 eintr=0"
	local tasks=("/proc/$bp/task/"*)
	assert_equal "${#tasks[@]}" 4
	assert_equal "$(fx_count b '^(error|corrupt)')" 0
}

@test "writer threads of the target keep consistent memory and keep running through a copy in" {
	start_blocker b -W 2 read
	start_cmd src anon:16M:label=a
	local s e want w
	s=$(cstart src a)
	e=$(cend src a)
	want=$(sum src "$s" "$e")
	pvrun 0 copy "$(cpid src)" "$s" 16M --to "$(cpid b)" --at $FREE
	local end; end=$(hex $(( FREE + 16 * 1048576 )))
	assert_equal "$(fx_reply b "sum $FREE-$end")" "sum $FREE-$end $want"
	w=$(fx_reply b writers)
	[[ $w == "writers n=2 corrupt=0 counts="* ]] || fail "after the copy: $w"
	wait_until 5 writers_grew "$w" || fail "the writers stopped: $w, then $(fx_reply b writers)"
	assert_equal "$(fx_reply b "stats read")" "stats read returns=0 eintr=0"
	assert_equal "$(fx_count b '^(error|corrupt)')" 0
}

still_stopped() { # PID: group-stopped (T), not traced, still after a while
	assert_equal "$(fx_state "$1")" T
	assert_equal "$(fx_tracer "$1")" 0
	sleep 0.3
	assert_equal "$(fx_state "$1")" T
}

@test "a SIGSTOPped source is still stopped (state T) after a move; SIGCONT resumes it" {
	start_cmd src anon:4M:label=a
	start_cmd dst anon:64K:label=x
	local sp s e want
	sp=$(cpid src)
	s=$(cstart src a)
	e=$(cend src a)
	want=$(sum src "$s" "$e")
	kill -STOP "$sp"
	wait_until 5 eval '[[ $(fx_state '"$sp"') == T ]]'
	pvrun 0 move "$sp" "$s" 4M --to "$(cpid dst)" --at $FREE
	still_stopped "$sp"
	assert_equal "$(sum dst $FREE "$(hex $(( FREE + MiB4 )))")" "$want"
	kill -CONT "$sp"
	run ask src "sum $s-$e"
	assert_output --regexp ' unreadable=1024$'
}

@test "a SIGSTOPped target is still stopped (state T) after a copy in; SIGCONT resumes it" {
	start_cmd src anon:4M:label=a
	start_cmd dst anon:64K:label=x
	local dp s e want
	dp=$(cpid dst)
	s=$(cstart src a)
	e=$(cend src a)
	want=$(sum src "$s" "$e")
	kill -STOP "$dp"
	wait_until 5 eval '[[ $(fx_state '"$dp"') == T ]]'
	pvrun 0 copy "$(cpid src)" "$s" 4M --to "$dp" --at $FREE
	still_stopped "$dp"
	kill -CONT "$dp"
	assert_equal "$(sum dst $FREE "$(hex $(( FREE + MiB4 )))")" "$want"
}

@test "source and target both SIGSTOPped: both still stopped after a move" {
	start_cmd src anon:4M:label=a
	start_cmd dst anon:64K:label=x
	local sp dp s e want
	sp=$(cpid src)
	dp=$(cpid dst)
	s=$(cstart src a)
	e=$(cend src a)
	want=$(sum src "$s" "$e")
	kill -STOP "$sp" "$dp"
	wait_until 5 eval '[[ $(fx_state '"$sp"')$(fx_state '"$dp"') == TT ]]'
	pvrun 0 move "$sp" "$s" 4M --to "$dp" --at $FREE
	still_stopped "$sp"
	still_stopped "$dp"
	kill -CONT "$sp" "$dp"
	assert_equal "$(sum dst $FREE "$(hex $(( FREE + MiB4 )))")" "$want"
}

@test "SIGUSR1 sent to the source during a 256 MiB move is handled exactly once, afterwards" {
	start_blocker b -m 256M none
	start_cmd dst anon:64K:label=x
	local bp s pv st=0 during
	bp=$(cpid b)
	s=$(cstart b mem)
	assert_equal "$(fx_reply b stats)" "stats sigusr1=0 returns=0 eintr=0"
	# --frozen: the signal must come while the source is held (a live move
	# holds it only briefly, and lets it go while it copies).  pvmmap stops
	# itself once both are held (PVMMAP_STOP_AT=held: its first step may be
	# in the target alone, issue 10); the
	# signal is sent then, whatever the machine's speed (CI once saw a fast
	# move end before a poll for the trace)
	PVMMAP_STOP_AT=held "$PVMMAP" move "$bp" "$s" 256M --to "$(cpid dst)" --at $FREE --frozen --json \
		> "$(fx_dir)/sig.json" 2> "$(fx_dir)/sig.err" 3>&- &
	pv=$!
	wait_until 30 eval '[[ $(fx_state "$pv") == T ]]' || fail "pvmmap never reached its first step"
	during=$(fx_tracer "$bp")
	kill -USR1 "$bp"
	kill -CONT "$pv"
	wait "$pv" || st=$?
	output=$(< "$(fx_dir)/sig.json")
	assert_equal "$st" 0
	assert_equal "$(jqo '.vmas[0].status')" "done"
	assert_equal "$during" "$pv"
	wait_until 5 eval '[[ $(fx_reply b stats) == "stats sigusr1=1 "* ]]' ||
		fail "the handler ran $(fx_reply b stats) times, not once"
	sleep 0.5
	assert_equal "$(fx_reply b stats)" "stats sigusr1=1 returns=0 eintr=0"
	run fx_reply b "sum mem"
	assert_output --regexp ' unreadable=65536$'
}
