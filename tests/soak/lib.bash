# Kill pvmmap (or one of its processes) in the middle of a move or copy
# between two sentinels (tests/fixtures/sentinel.c), then ask both whether
# they noticed and judge the outcome.  Shared by tests/soak/run (random
# instants) and tests/bats/death.bats (every step, PVMMAP_DIE_AT).
#
#   sn_init DIR                  scratch directory; sets the wait scale
#   sn_pair OP KIND SIZE         fresh source and target sentinels
#   sn_round OP MODE [ARG...]    one transfer of the source's region to the
#                                target, then the verdict.  MODE:
#                                  none           let it run
#                                  die K          PVMMAP_DIE_AT=K
#                                  kill WHO SECS  SIGKILL WHO (pvmmap, src
#                                                 or dst) SECS after start
#   sn_cleanup                   stop whatever is still running
#
# After sn_round:
#   R_STATUS   pvmmap's exit status (137: killed), or "hung"
#   R_ERR      its standard error, on one line
#   R_TIME     how long it ran, in seconds
#   R_OUTCOME  rolled-back, done, move-ended-as-copy, peer-killed (fine);
#              data-lost, corrupted, leftover, misreported, exit-5,
#              bad-exit, bad-message, hung (failures; see sn_judge)
#   R_WHY      the evidence: exit status, both sentinels' replies, stderr
#   R_CLASSES  the kinds of damage seen, one word each (sigmask, anomaly,
#              stalled, leftover-fd, dead, feed, signal...), for statistics
#   R_REUSE    1 when both sentinels are as they started (rolled back)
#
# Every wait is bounded and scaled by PVMMAP_WAIT_SCALE (default 1, or 4
# when $PVMMAP is a sanitized build): small CI machines must not race a
# clock.  The sentinels get the same factor as SENTINEL_SLACK.  Everything
# here is safe under `set -e` (Bats).

: "${TOP:=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)}"
: "${PVMMAP:=$TOP/pvmmap}"
: "${FIXTURES:=$TOP/build/fixtures}"

declare -gA SN_PID SN_IN SN_OUT         # per sentinel (src, dst)
declare -gA CHECK STATE EXACT CLASSES   # per sentinel, set by sn_inspect
SN_START='' SN_END='' SN_KIND=''        # the region

# NOW_MS: the time in milliseconds (no fork: the loops poll often).
now_ms() { local t=${EPOCHREALTIME/./}; NOW_MS=$(( t / 1000 )); }

sn_init() {
	SN_DIR=$1
	mkdir -p "$SN_DIR"
	# tests/run already sets PVMMAP_WAIT_SCALE for the build it runs (4
	# under ASan); only a bare run (make soak) picks its own factor here, so
	# that the factor is never applied twice.
	if [[ -n ${PVMMAP_WAIT_SCALE:-} ]]; then
		SCALE=$PVMMAP_WAIT_SCALE
	elif [[ $PVMMAP == *asan* ]]; then
		SCALE=4
	else
		SCALE=1
	fi
	export SENTINEL_SLACK=$SCALE
	# milliseconds
	read -r T_READY T_CHECK T_QUIT T_SIGNAL T_PVMMAP T_AFTER_PEER < <(awk -v s="$SCALE" \
		'BEGIN { printf "%d %d %d %d %d %d\n", 10e3 * s, 20e3 * s, 2e3 * s, 2e3 * s, 60e3 * s, 10e3 * s }')
	# T_READY: a listing (256 MiB to fill); T_CHECK: `check` waits up to
	# 5 s x slack itself; T_PVMMAP: a transfer that never ends is hung;
	# T_AFTER_PEER: pvmmap's grace once a peer is killed.
}

# pid_alive PID: running, not gone nor a zombie waiting to be reaped.
pid_alive() {
	local st=
	[[ -n $1 ]] && { read -r _ _ st _ < "/proc/$1/stat"; } 2>/dev/null
	[[ -n $st && $st != Z && $st != X ]]
}

sn_alive() { pid_alive "${SN_PID[$1]:-}"; }

# sn_start NAME ARGS...: a sentinel talking through two fifos; the shell
# holds both ends read-write, so no open blocks and a dead sentinel shows
# as a read timing out.
sn_start() {
	local name=$1 in out fdi fdo fd
	shift
	in=$SN_DIR/$name.in out=$SN_DIR/$name.out
	rm -f "$in" "$out"
	mkfifo "$in" "$out"
	exec {fdi}<>"$in" {fdo}<>"$out"
	(
		# not the other sentinels' fifos: a sentinel's fd table is its own
		for fd in "${SN_IN[@]}" "${SN_OUT[@]}" "$fdi" "$fdo"; do
			exec {fd}>&-
		done
		TMPDIR=$SN_DIR exec "$FIXTURES/sentinel" "$@" <"$in" >"$out" 2>"$SN_DIR/$name.err" 3>&-
	) &
	SN_PID[$name]=$! SN_IN[$name]=$fdi SN_OUT[$name]=$fdo
}

sn_send() { echo "$2" >&"${SN_IN[$1]}"; }

# sn_read NAME MS: the sentinel's next line in REPLY; false (REPLY "dead"
# or "timeout") if none comes within MS milliseconds.
sn_read() {
	local name=$1 end part='' line
	now_ms
	end=$(( NOW_MS + $2 ))
	while :; do
		# in slices, so that a dead sentinel is noticed at once; a read
		# that times out keeps what it got of the line
		if IFS= read -r -t 0.2 line <&"${SN_OUT[$name]}"; then
			REPLY=$part$line
			return 0
		fi
		part+=$line
		if ! sn_alive "$name"; then
			if IFS= read -r -t 0.05 line <&"${SN_OUT[$name]}"; then
				REPLY=$part$line
				return 0
			fi
			REPLY=dead
			return 1
		fi
		now_ms
		if (( NOW_MS > end )); then
			REPLY=timeout
			return 1
		fi
	done
}

# sn_stop NAMES...: quit, or SIGKILL those that do not (their signals may
# be blocked, their main thread stuck).
sn_stop() {
	local name end fdi fdo
	for name; do
		if sn_alive "$name"; then
			sn_send "$name" quit
		fi
	done
	now_ms
	end=$(( NOW_MS + T_QUIT ))
	for name; do
		while sn_alive "$name" && (( NOW_MS < end )); do
			sleep 0.01
			now_ms
		done
		if sn_alive "$name"; then
			kill -KILL "${SN_PID[$name]}" 2>/dev/null || true
		fi
		if [[ -n ${SN_PID[$name]:-} ]]; then
			{ wait "${SN_PID[$name]}"; } 2>/dev/null || true
			fdi=${SN_IN[$name]} fdo=${SN_OUT[$name]}
			exec {fdi}>&- {fdo}>&-
		fi
		unset "SN_PID[$name]" "SN_IN[$name]" "SN_OUT[$name]"
		rm -f "$SN_DIR/$name.in" "$SN_DIR/$name.out"
	done
}

sn_cleanup() {
	sn_stop src dst
	rm -f "$SN_DIR"/sentinel-*    # filecow files of sentinels that were killed
}

# sn_pair OP KIND SIZE: a source with a region of KIND and SIZE, a target
# told where it is to land.  Both fill and settle at the same time.
sn_pair() {
	local kind=$2 size=$3 tag start end k
	sn_stop src dst
	sn_start src -m "$size" "$kind"
	sn_start dst -t
	sn_read src "$T_READY" && read -r tag start end k <<< "$REPLY" && [[ $tag == region ]] ||
		{ echo "source sentinel not ready: $REPLY $(cat "$SN_DIR/src.err")" >&2; return 1; }
	SN_START=$start SN_END=$end SN_KIND=${k#kind=}
	sn_read src "$T_READY" && [[ $REPLY == "ready ${SN_PID[src]}" ]] ||
		{ echo "source sentinel not ready: $REPLY" >&2; return 1; }
	sn_read dst "$T_READY" && [[ $REPLY == "ready ${SN_PID[dst]}" ]] ||
		{ echo "target sentinel not ready: $REPLY $(cat "$SN_DIR/dst.err")" >&2; return 1; }
	sn_send dst "expect $SN_START $SN_END $SN_KIND"
	sn_read dst "$T_CHECK" && [[ $REPLY == expected* ]] ||
		{ echo "target sentinel: expect: $REPLY" >&2; return 1; }
}

# sn_watchdog PID MS: SIGKILL PID if it still runs after MS milliseconds,
# and leave $SN_DIR/hung to say so.  Not waited for: it ends with PID.
sn_watchdog() {
	local pid=$1 end
	now_ms
	end=$(( NOW_MS + $2 ))
	(
		exec 3>&- 1>/dev/null 2>&1
		while pid_alive "$pid"; do
			now_ms
			if (( NOW_MS > end )); then
				touch "$SN_DIR/hung"
				kill -KILL "$pid"
				exit 0
			fi
			sleep 0.1
		done
	) &
}

# sn_transfer OP MODE [ARG...]: runs pvmmap; R_STATUS, R_ERR, R_TIME.  A
# kill comes from a background sleep, waited for together with pvmmap:
# whichever ends first decides.
sn_transfer() {
	local op=$1 mode=$2 t0 pv timer first victim env=()
	local len=$(( SN_END - SN_START ))
	[[ $mode == die ]] && env=("PVMMAP_DIE_AT=$3")
	rm -f "$SN_DIR/hung"
	now_ms
	t0=$NOW_MS
	env ${env[@]+"${env[@]}"} "$PVMMAP" "$op" "${SN_PID[src]}" "$SN_START" "$len" \
		--to "${SN_PID[dst]}" >"$SN_DIR/pvmmap.out" 2>"$SN_DIR/pvmmap.err" 3>&- </dev/null &
	pv=$!
	R_STATUS=0
	if [[ $mode == kill ]]; then
		victim=$pv
		[[ $3 == src || $3 == dst ]] && victim=${SN_PID[$3]}
		sleep "$4" >/dev/null 2>&1 3>&- &
		timer=$!
		{ wait -n -p first "$pv" "$timer"; } 2>/dev/null || R_STATUS=$?
		if [[ $first == "$timer" ]]; then
			kill -KILL "$victim" 2>/dev/null || true
			if [[ $victim != "$pv" ]]; then
				sn_watchdog "$pv" "$T_AFTER_PEER"
			fi
			R_STATUS=0
			{ wait "$pv"; } 2>/dev/null || R_STATUS=$?
		else
			kill "$timer" 2>/dev/null || true
			{ wait "$timer"; } 2>/dev/null || true
			# a peer dies all the same: after the transfer, harmlessly
			if [[ $victim != "$pv" ]]; then
				kill -KILL "$victim" 2>/dev/null || true
			fi
		fi
	else
		sn_watchdog "$pv" "$T_PVMMAP"
		{ wait "$pv"; } 2>/dev/null || R_STATUS=$?
	fi
	now_ms
	printf -v R_TIME '%d.%03d' $(( (NOW_MS - t0) / 1000 )) $(( (NOW_MS - t0) % 1000 ))
	[[ -e $SN_DIR/hung ]] && R_STATUS=hung
	R_ERR=
	IFS= read -r -d '' R_ERR < "$SN_DIR/pvmmap.err" || true
	R_ERR=${R_ERR//$'\n'/ }
}

# sn_inspect NAMES...: asks each live sentinel everything it can tell, all
# of them at once: its check, a read that must return exactly what is fed,
# a SIGUSR1 that must reach its handler, and whether `pvmmap maps` still
# lists it.  Sets, per name: CHECK (the reply to check, with notes of what
# else failed), STATE (present, absent, partial or unknown), EXACT (1: the
# region's bytes are all there) and CLASSES.
sn_inspect() {
	local n r c
	local -A sigs maps_pid
	for n; do
		CLASSES[$n]='' STATE[$n]=unknown EXACT[$n]=0
		sn_send "$n" check
		sn_send "$n" "feed fed-$n-$RANDOM$RANDOM"
		sn_send "$n" sigs
		"$PVMMAP" maps "${SN_PID[$n]}" >/dev/null 2>&1 </dev/null 3>&- &
		maps_pid[$n]=$!
	done
	for n; do
		sn_read "$n" "$T_CHECK" || true
		CHECK[$n]=$REPLY
		case $REPLY in
		"ok region="*)
			r=${REPLY#ok region=}
			STATE[$n]=${r%% *} ;;
		"bad region="*)
			r=${REPLY#bad region=}
			STATE[$n]=${r%% *}
			r=${r#* }
			# each reason is CLASS:details, separated by "; "
			while [[ -n $r ]]; do
				CLASSES[$n]+=" ${r%%:*}"
				[[ $r == *"; "* ]] || break
				r=${r#*"; "}
			done ;;
		*)
			# dead or stuck: nothing more to ask
			CLASSES[$n]+=" dead"
			sigs[$n]=
			continue ;;
		esac
		sn_read "$n" "$T_CHECK" || true
		if [[ $REPLY != fed ]]; then
			CLASSES[$n]+=" feed"
			CHECK[$n]+=" [feed: $REPLY]"
		fi
		sn_read "$n" "$T_CHECK" || true
		sigs[$n]=${REPLY#sigs }
		[[ ${sigs[$n]} =~ ^[0-9]+$ ]] || sigs[$n]=
		if [[ -n ${sigs[$n]} ]]; then
			kill -USR1 "${SN_PID[$n]}" 2>/dev/null || true
		fi
	done
	for n; do
		if [[ ${STATE[$n]} != unknown ]] && ! sn_signalled "$n" "${sigs[$n]}"; then
			CLASSES[$n]+=" signal"
			CHECK[$n]+=" [SIGUSR1 not delivered]"
		fi
		r=0
		{ wait "${maps_pid[$n]}"; } 2>/dev/null || r=$?
		if (( r != 0 )); then
			CLASSES[$n]+=" maps-exit"
			CHECK[$n]+=" [pvmmap maps exited $r]"
		fi
		CLASSES[$n]=${CLASSES[$n]# }
		# the region's bytes are all there only if present and unharmed
		# (region-bytes in a source, leftover-region-bytes in a target)
		c=" ${CLASSES[$n]} "
		if [[ ${STATE[$n]} == present && $c != *"region-bytes "* &&
			$c != *"region-unreadable "* ]]; then
			EXACT[$n]=1
		fi
	done
}

# sn_signalled NAME BEFORE: the SIGUSR1 count grows past BEFORE.
sn_signalled() {
	local n=$1 before=$2 end
	[[ -n $before ]] || return 1
	now_ms
	end=$(( NOW_MS + T_SIGNAL ))
	while (( NOW_MS < end )); do
		sn_send "$n" sigs
		sn_read "$n" "$T_CHECK" || return 1
		[[ ${REPLY#sigs } =~ ^[0-9]+$ ]] || return 1
		(( ${REPLY#sigs } > before )) && return 0
		sleep 0.01
		now_ms
	done
	return 1
}

# sn_judge OP WHO: R_OUTCOME from the sentinels' states and pvmmap's exit
# status.  WHO is the process killed: pvmmap (or none), src or dst.
sn_judge() {
	local op=$1 who=$2 n c bad=() left=() live=(src dst) s d
	[[ $who == src ]] && live=(dst)
	[[ $who == dst ]] && live=(src)
	R_CLASSES=
	for n in "${live[@]}"; do
		for c in ${CLASSES[$n]}; do
			R_CLASSES+=" $c"
			case $c in
			leftover-*) left+=("$n:$c") ;;
			*) bad+=("$n:$c") ;;
			esac
		done
	done
	R_CLASSES=${R_CLASSES# }
	R_WHY="exit $R_STATUS; src: ${CHECK[src]:-killed}; dst: ${CHECK[dst]:-killed}"
	[[ -n $R_ERR ]] && R_WHY+="; pvmmap: $R_ERR"
	s=${EXACT[src]:-0} d=${EXACT[dst]:-0}
	R_REUSE=0

	if [[ $who == src || $who == dst ]]; then
		sn_judge_peer "$op" "$who"
		return 0
	fi
	if (( !s && !d )); then
		R_OUTCOME="data-lost"
	elif (( ${#bad[@]} )); then
		R_OUTCOME="corrupted"
	elif (( ${#left[@]} )); then
		R_OUTCOME="leftover"
	elif [[ $R_STATUS == hung ]]; then
		R_OUTCOME="hung"
	elif (( s && !d )); then
		R_OUTCOME="rolled-back"
		R_REUSE=1
	elif (( !s && d )); then
		R_OUTCOME="done"
		if [[ $op == copy ]]; then
			R_OUTCOME="corrupted"
			R_WHY="the copy removed the source's region; $R_WHY"
		fi
	elif [[ $op == copy ]]; then
		R_OUTCOME="done"
	else
		R_OUTCOME="move-ended-as-copy"
	fi
	# what pvmmap said must match what happened (137: it could say nothing)
	case $R_OUTCOME:$R_STATUS in
	*:137 | "done:0" | rolled-back:[1-4]) ;;
	rolled-back:5 | move-ended-as-copy:5) R_OUTCOME="exit-5" ;;
	rolled-back:* | "done:"* | move-ended-as-copy:*) R_OUTCOME="misreported" ;;
	esac
	return 0
}

# A peer was killed: the survivor must be intact, and pvmmap must have
# ended the transfer (0), or given up saying that the process exited (3,
# 4), with the survivor as it was.
sn_judge_peer() {
	local op=$1 who=$2 other=src
	[[ $who == src ]] && other=dst
	local x=${EXACT[$other]:-0} st=${STATE[$other]:-unknown}
	if [[ $R_STATUS == hung ]]; then
		R_OUTCOME="hung"
	elif (( ${#bad[@]} )); then
		R_OUTCOME="corrupted"
	elif (( ${#left[@]} )); then
		R_OUTCOME="leftover"
	elif [[ $R_STATUS == 5 ]]; then
		R_OUTCOME="exit-5"
	elif [[ $R_STATUS == 0 ]]; then
		# done before the kill: the survivor shows the finished transfer
		R_OUTCOME="peer-killed"
		if [[ $other == dst || $op == copy ]] && (( !x )); then
			R_OUTCOME="data-lost"
		elif [[ $other == src && $op == move && $st != absent ]]; then
			R_OUTCOME="misreported"
		fi
	elif [[ $R_STATUS == 3 || $R_STATUS == 4 ]]; then
		R_OUTCOME="peer-killed"
		if ! [[ $R_ERR =~ (^|[^0-9])$VICTIM_PID([^0-9]|$) && ${R_ERR,,} == *exit* ]]; then
			R_OUTCOME="bad-message"
			R_WHY="the message does not say that $VICTIM_PID exited; $R_WHY"
		fi
		if [[ $other == src ]] && (( !x )); then
			R_OUTCOME="data-lost"
		elif [[ $other == dst && $st != absent ]]; then
			# A source killed inside the commit of a move: the target's
			# journal was already forgotten, so it keeps the whole range,
			# exactly, and pvmmap says so; anything else is a leftover.
			if ! [[ $R_ERR == *"holds the whole range"* ]] || (( !x )); then
				R_OUTCOME="leftover"
			fi
		fi
	else
		R_OUTCOME="bad-exit"
	fi
}

# sn_round OP MODE [ARG...]: transfer, inspect, judge (see the top).
sn_round() {
	local op=$1 mode=$2 who=pvmmap live=(src dst)
	CHECK=() STATE=() EXACT=() CLASSES=()
	VICTIM_PID=
	if [[ $mode == kill && ( $3 == src || $3 == dst ) ]]; then
		who=$3
		VICTIM_PID=${SN_PID[$3]}
		live=(src)
		[[ $who == src ]] && live=(dst)
	fi
	sn_transfer "$@"
	if [[ $who != pvmmap ]]; then
		{ wait "${SN_PID[$who]}"; } 2>/dev/null || true
	fi
	sn_inspect "${live[@]}"
	sn_judge "$op" "$who"
}
