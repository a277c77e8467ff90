# Fixture processes for the end-to-end tests: start them, read their
# listings, stop them.  `load fixture` loads helpers.bash too.
#
# Loading bats-assert costs about 0.2 s per test (bats traces every line it
# sources), so a file loads both once, in setup_file, and shares them.  Bats
# wants setup_file, setup and teardown defined in the .bats file itself, so
# each is one line there (more lines after it when the file needs them):
#
#   setup_file() { load fixture; fx_setup_file; }
#   setup() { load fixture; fx_setup src dst; }     # SRC, DST: their pids
#   teardown() { fx_teardown; }                     # and teardown_file
#
#   start_cmd NAME SPEC...               a mapper answering commands (ask,
#                                        sum, cpid, cstart, cend, cfield)
#
# Every process started here is recorded; kill_fixtures (call it from
# teardown, and from teardown_file when setup_file started some) stops all
# the ones of the current scope, even when the test failed.  The scope is the
# test (BATS_TEST_TMPDIR) inside a test, the file (BATS_FILE_TMPDIR) in
# setup_file/teardown_file.
#
#   start_mapper NAME SPEC...            build/fixtures/mapper -w -o FILE SPEC...
#   start_mapper_via NAME CMD... -- SPEC...
#                                        the same under a wrapper (prlimit,
#                                        setpriv...); the listing goes through
#                                        stdout, so the wrapper may change uid
#   start_python NAME < SCRIPT           /usr/bin/python3 with fx_prelude: the
#                                        script calls emit() and then ready()
#   start_bg NAME CMD...                 any other background process
#   fx_pid NAME                          the fixture's pid ("ready PID")
#   fx_start/fx_end NAME LABEL           0x... bounds of an item
#   fx_field NAME LABEL KEY              the value of KEY=... on its line
#   fx_require NAME LABEL...             skip when this machine cannot make it
#   pvrun STATUS ARGS...                 run pvmmap, check its exit status
#   jqo FILTER                           jq -r FILTER on $output
#   keep; all_valid                      validate the kept $outputs (schema)
#   wait_until SECONDS CMD...            poll CMD every 50 ms, for SECONDS
#                                        times PVMMAP_WAIT_SCALE at most
#                                        (helpers.bash; the other bounds
#                                        here are scaled the same way)
#   fx_hugepages N                       N free 2 MiB huge pages, if the
#                                        pool can grow; restored by kill_fixtures
#   kill_fixtures                        stop what this scope started

# Loaded already: setup_file's fx_share exported every function to this test.
declare -F fx_share >/dev/null && return 0
declare -F pvmmap >/dev/null || load helpers

export FX_PY=/usr/bin/python3

# Exports the functions of helpers.bash, bats-support, bats-assert and this
# file, so that every test of the file (a child of setup_file's shell) has
# them without sourcing them again.  (One command: bats traces each one.)
fx_share() {
	# shellcheck disable=SC2046
	export -f $(compgen -A function | grep -E \
		'^(assert|refute|batslib_|fail$|pvmmap$|fx_|_fx_|start_|kill_fixtures$|wait_until$|hex$|pvrun$|jqo$|keep$|all_valid$|cpid$|cstart$|cend$|cfield$|ask$|sum$|more_lines$|maps_has$|usage_error$|usage_match$|_usage_lines$|ranges$|pvmmap_signalled$|on_tty$)')
}

# The set-up of a file whose tests start fixtures (see the top of this file).
fx_setup_file() { fx_share; }
# NAME...: each fixture's pid in the variable named NAME in capitals (src: SRC).
fx_setup() { local n p; for n; do p=$(fx_pid "$n") || return; printf -v "${n^^}" '%s' "$p"; done; }
fx_teardown() { kill_fixtures; }

fx_dir() { printf '%s\n' "${BATS_TEST_TMPDIR:-$BATS_FILE_TMPDIR}"; }

# The listing file of NAME: this test's, else the one setup_file started.
fx_list() {
	local d
	for d in ${BATS_TEST_TMPDIR:+"$BATS_TEST_TMPDIR"} "$BATS_FILE_TMPDIR"; do
		if [[ -s "$d/fx.$1" ]]; then
			printf '%s\n' "$d/fx.$1"
			return 0
		fi
	done
	echo "fixture '$1' was not started" >&2
	return 1
}

fx_register() { echo "$1" >> "$(fx_dir)/fx.pids"; }

# wait_until SECONDS CMD...: true as soon as CMD succeeds, false after
# SECONDS (a whole number) times PVMMAP_WAIT_SCALE.
wait_until() {
	local limit=$(( ($1 * 20 * ${FX_WAIT_PCT:-100} + 99) / 100 )) i
	shift
	for (( i = 0; i < limit; i++ )); do
		"$@" && return 0
		sleep 0.05
	done
	"$@"
}

fx_alive() { # PID: running (not gone, not a zombie)
	local st
	st=$(cut -d' ' -f3 "/proc/$1/stat" 2>/dev/null) || return 1
	[[ -n "$st" && "$st" != Z && "$st" != X ]]
}

_fx_has_ready() { grep -q '^ready [0-9][0-9]*$' "$1" 2>/dev/null; }

# Waits (5 s times PVMMAP_WAIT_SCALE at most) for the listing of NAME
# written by background job PID.
_fx_wait_ready() {
	local file=$1 pid=$2 i secs
	secs=$(fx_secs 5)
	for (( i = 0; i < secs * 20; i++ )); do
		_fx_has_ready "$file" && break
		if ! fx_alive "$pid"; then
			echo "fixture $pid exited before it was ready:" >&2
			cat "$file" "$file.err" >&2 2>/dev/null
			return 1
		fi
		sleep 0.05
	done
	if ! _fx_has_ready "$file"; then
		echo "fixture $pid not ready within $secs s" >&2
		return 1
	fi
	fx_register "$(awk '/^ready /{print $2}' "$file")"
}

start_mapper() {
	local name=$1 dir
	shift
	dir=$(fx_dir)
	TMPDIR=$dir "$FIXTURES/mapper" -w -o "$dir/fx.$name" "$@" 3>&- 2>"$dir/fx.$name.err" &
	fx_register $!
	_fx_wait_ready "$dir/fx.$name" $!
}

start_mapper_via() {
	local name=$1 dir wrap=()
	shift
	while (( $# )) && [[ "$1" != -- ]]; do
		wrap+=("$1")
		shift
	done
	shift
	dir=$(fx_dir)
	# TMPDIR=/tmp: a wrapper may change the uid, and the test directory
	# is root's alone; only file kinds use it.
	TMPDIR=/tmp "${wrap[@]}" "$FIXTURES/mapper" -w "$@" >"$dir/fx.$name.out" \
		2>"$dir/fx.$name.err" 3>&- </dev/null &
	fx_register $!
	_fx_wait_ready "$dir/fx.$name.out" $! || return 1
	cp "$dir/fx.$name.out" "$dir/fx.$name"
}

# Helpers for python fixtures: raw mmap through libc, and the listing.
fx_prelude() {
	cat <<'PY'
import ctypes, errno, os, signal, sys
libc = ctypes.CDLL(None, use_errno=True)
libc.mmap.restype = ctypes.c_void_p
libc.mmap.argtypes = [ctypes.c_void_p, ctypes.c_size_t, ctypes.c_int, ctypes.c_int,
                      ctypes.c_int, ctypes.c_long]
libc.mprotect.argtypes = [ctypes.c_void_p, ctypes.c_size_t, ctypes.c_int]
libc.munmap.argtypes = [ctypes.c_void_p, ctypes.c_size_t]
PAGE = os.sysconf("SC_PAGE_SIZE")
OUT = sys.argv[1]
_lines = []

def raw_mmap(length, prot, flags, fd=-1, offset=0):
    a = libc.mmap(None, length, prot, flags, fd, offset)
    if a in (None, ctypes.c_void_p(-1).value):
        raise OSError(ctypes.get_errno(), "mmap")
    return a

def emit(label, start, end, **kv):
    extra = "".join(" %s=%s" % (k, v) for k, v in kv.items())
    _lines.append("%s 0x%x 0x%x%s" % (label, start, end, extra))

def unsupported(label, err):
    _lines.append("%s 0x0 0x0 unsupported=%s" % (label, err))

def ready():
    with open(OUT + ".tmp", "w") as f:
        f.write("".join(l + "\n" for l in _lines))
        f.write("ready %d\n" % os.getpid())
    os.rename(OUT + ".tmp", OUT)
    while True:
        signal.pause()
PY
}

start_python() {
	local name=$1 dir
	dir=$(fx_dir)
	{ fx_prelude; cat; } > "$dir/fx.$name.py"
	"$FX_PY" "$dir/fx.$name.py" "$dir/fx.$name" 3>&- 2>"$dir/fx.$name.err" </dev/null &
	fx_register $!
	_fx_wait_ready "$dir/fx.$name" $!
}

start_bg() {
	local name=$1
	shift
	"$@" 3>&- </dev/null &
	fx_register $!
	echo $! > "$(fx_dir)/fx.$name.bgpid"
}

fx_bgpid() { cat "$(fx_dir)/fx.$1.bgpid"; }

# A wrapper that installs an allow-all seccomp filter (mode 2) and execs
# its arguments: prints the path of the script.
fx_seccomp_wrapper() {
	local f
	f="$(fx_dir)/fx-seccomp-exec.py"
	cat > "$f" <<'PY'
import ctypes, os, sys
libc = ctypes.CDLL(None, use_errno=True)
class sock_filter(ctypes.Structure):
    _fields_ = [("code", ctypes.c_ushort), ("jt", ctypes.c_ubyte),
                ("jf", ctypes.c_ubyte), ("k", ctypes.c_uint)]
class sock_fprog(ctypes.Structure):
    _fields_ = [("len", ctypes.c_ushort), ("filter", ctypes.POINTER(sock_filter))]
insns = (sock_filter * 1)(sock_filter(0x06, 0, 0, 0x7fff0000))  # BPF_RET|BPF_K ALLOW
prog = sock_fprog(1, insns)
if libc.prctl(38, 1, 0, 0, 0) != 0:                               # PR_SET_NO_NEW_PRIVS
    sys.exit("PR_SET_NO_NEW_PRIVS: %s" % os.strerror(ctypes.get_errno()))
if libc.prctl(22, 2, ctypes.byref(prog), 0, 0) != 0:              # PR_SET_SECCOMP, FILTER
    sys.exit("PR_SET_SECCOMP: %s" % os.strerror(ctypes.get_errno()))
os.execv(sys.argv[1], sys.argv[1:])
PY
	printf '%s\n' "$f"
}

fx_pid() { local p; read -r _ p <<< "$(_fx_line "$1" ready)" && [[ -n $p ]] && echo "$p"; }

# The line of item LABEL in NAME's listing, read without a fork.
_fx_line() {
	local file label rest
	file=$(fx_list "$1") || return 1
	while read -r label rest; do
		if [[ $label == "$2" ]]; then
			printf '%s %s\n' "$label" "$rest"
			return 0
		fi
	done < "$file"
	echo "fixture '$1' has no item '$2'" >&2
	return 1
}

fx_start() { local s; read -r _ s _ <<< "$(_fx_line "$1" "$2")" && [[ -n $s ]] && echo "$s"; }
fx_end() { local e; read -r _ _ e _ <<< "$(_fx_line "$1" "$2")" && [[ -n $e ]] && echo "$e"; }
fx_field() {
	local kv
	for kv in $(_fx_line "$1" "$2"); do
		if [[ $kv == "$3="* ]]; then
			echo "${kv#*=}"
			return 0
		fi
	done
	return 1
}

# Skips the test when the fixture says this machine cannot make LABEL.
fx_require() {
	local name=$1 label line
	shift
	for label; do
		line=$(_fx_line "$name" "$label") || return 1
		if [[ "$line" == *" unsupported="* ]]; then
			skip "this machine cannot make '$label' (${line##* unsupported=})"
		fi
	done
}

# pvrun STATUS ARGS...: "$PVMMAP" ARGS, its stdout in $output (not split
# into $lines: `run` costs a traced statement per line), its stderr in
# $stderr; fails the test unless it exits STATUS.  A command in the array
# PVRUN_WRAP (setpriv...) runs pvmmap.
PVRUN_WRAP=()
pvrun() {
	local want=$1 err
	shift
	err="$(fx_dir)/pvrun.err"
	status=0
	output=$(${PVRUN_WRAP[@]+"${PVRUN_WRAP[@]}"} "$PVMMAP" "$@" 2> "$err") || status=$?
	stderr=$(< "$err")
	if [[ $status != "$want" ]]; then
		fail "pvmmap $* exited $status, not $want; stderr: $stderr"
	fi
}

# jqo FILTER [ARGS...]: jq -r FILTER on $output.
jqo() { jq -r "$@" <<< "$output"; }

# keep: $output (pvmmap's whole stdout) is kept to be validated by
# all_valid, which checks each kept output is one document of the schema
# and nothing else (one validator run per test: it takes a while to start).
keep() {
	KEPT=$((${KEPT:-0} + 1))
	printf '%s' "$output" > "$(fx_dir)/doc.$KEPT.json"
}

all_valid() {
	local err
	(( ${KEPT:-0} > 0 )) || fail "no document kept"
	err=$("$TOP/tests/schema/validate" "$(fx_dir)"/doc.*.json 2>&1) ||
		fail "not valid documents: $err"
}

# hex ADDR [+ OFFSET]: arithmetic on addresses, printed as 0x... lower case.
hex() { printf '0x%x\n' "$(( $1 ))"; }

fx_hugepages() {
	local pool=/sys/kernel/mm/hugepages/hugepages-2048kB nr free
	[[ -w $pool/nr_hugepages ]] || return 0
	nr=$(< "$pool/nr_hugepages")
	free=$(< "$pool/free_hugepages")
	(( free >= $1 )) && return 0
	echo "$pool/nr_hugepages $nr" >> "$(fx_dir)/fx.sysctl"
	echo $(( nr + $1 - free )) > "$pool/nr_hugepages" 2>/dev/null
	return 0
}

kill_fixtures() {
	local f pid i fd n
	f="$(fx_dir)/fx.fds"
	if [[ -f "$f" ]]; then
		while read -r fd; do exec {fd}>&-; done < "$f"
		rm -f "$f"
	fi
	f="$(fx_dir)/fx.pids"
	if [[ -f "$f" ]]; then
		while read -r pid; do
			kill -TERM "$pid" 2>/dev/null
		done < "$f"
		# 2 s (scaled) to end on SIGTERM, then SIGKILL
		n=$(( $(fx_secs 2) * 20 ))
		while read -r pid; do
			for (( i = 0; i < n; i++ )); do
				fx_alive "$pid" || break
				sleep 0.05
			done
			fx_alive "$pid" && kill -KILL "$pid" 2>/dev/null
		done < "$f"
		rm -f "$f"
	fi
	# settings changed for the fixtures, back to what they were (last first)
	f="$(fx_dir)/fx.sysctl"
	if [[ -f "$f" ]]; then
		tac "$f" | while read -r path value; do
			echo "$value" > "$path"
		done
		rm -f "$f"
	fi
	return 0
}

# start_cmd NAME SPEC...: a mapper that takes commands on stdin (a fifo kept
# open by this shell in the fd written in $(fx_dir)/fd.NAME) and answers in
# $(fx_dir)/cmd.NAME.
# kill_fixtures closes the fifo.  cpid/cstart/cend/cfield read its listing,
# ask sends one command and prints the reply, sum hashes a range.
start_cmd() {
	local name=$1 d fd
	shift
	d=$(fx_dir)
	mkfifo "$d/in.$name"
	"$FIXTURES/mapper" "$@" < "$d/in.$name" > "$d/cmd.$name" 3>&- &
	fx_register $!
	exec {fd}> "$d/in.$name"
	echo "$fd" > "$d/fd.$name"
	echo "$fd" >> "$d/fx.fds"
	wait_until 10 grep -q '^ready ' "$d/cmd.$name"
}
cpid() { awk '/^ready /{print $2}' "$(fx_dir)/cmd.$1"; }
cstart() { awk -v l="$2" '$1 == l {print $2}' "$(fx_dir)/cmd.$1"; }
cend() { awk -v l="$2" '$1 == l {print $3}' "$(fx_dir)/cmd.$1"; }
cfield() { awk -v l="$2" -v k="$3=" '$1 == l {for (i = 4; i <= NF; i++) if (index($i, k) == 1) print substr($i, length(k) + 1)}' "$(fx_dir)/cmd.$1"; }

more_lines() { (( $(wc -l < "$1") > $2 )); }

# ask NAME COMMAND: the fixture's one-line reply.
ask() {
	local f n
	f="$(fx_dir)/cmd.$1"
	n=$(wc -l < "$f")
	echo "$2" >&"$(< "$(fx_dir)/fd.$1")"
	wait_until 10 more_lines "$f" "$n" || { echo "no reply from $1" >&2; return 1; }
	tail -n 1 "$f"
}

# sum NAME START END
sum() { local r; r=$(ask "$1" "sum $2-$3") || return 1; echo "${r##* }"; }

# ---- blockers, peers and process states (invisible, peers, attach, scale)
#
#   start_blocker NAME ARGS...           build/fixtures/blocker ARGS taking
#                                        commands like start_cmd's mapper
#                                        (cpid, cstart, cend, cfield work)
#   start_cmd_prog NAME PROG ARGS...     the same for any program that prints
#                                        a listing ending in "ready PID"
#   fx_bgpid NAME                        its shell job (for `wait`)
#   fx_reply NAME COMMAND                send COMMAND, print the first new
#                                        line starting with COMMAND's first
#                                        word or "error" (a blocker's reports
#                                        share its stdout with the replies)
#   fx_wait_line NAME ERE [SECS [AFTER]] the first line after line AFTER of
#                                        NAME's output matching ERE, waiting
#                                        up to SECS (default 10)
#   fx_nlines NAME                       how many lines NAME printed so far
#   fx_count NAME ERE                    how many of them match ERE
#   fx_state PID                         the state letter (R S D T t Z...)
#   fx_tracer PID                        TracerPid (0: not traced)
#   fx_traced PID                        true while someone traces PID
#   fx_in_syscall PID TID NR...          true when the thread is in one of
#                                        the syscalls NR (/proc/.../syscall)
#   fx_memsha PID START LEN              sha256 of bytes read via
#                                        /proc/PID/mem (LEN in bytes)
#   fx_free_pid                          a pid no process has

start_cmd_prog() {
	local name=$1 prog=$2 d fd
	shift 2
	d=$(fx_dir)
	mkfifo "$d/in.$name"
	"$prog" "$@" < "$d/in.$name" > "$d/cmd.$name" 2> "$d/cmd.$name.err" 3>&- &
	fx_register $!
	echo $! > "$d/fx.$name.bgpid"
	exec {fd}> "$d/in.$name"
	echo "$fd" > "$d/fd.$name"
	echo "$fd" >> "$d/fx.fds"
	wait_until 10 grep -q '^ready ' "$d/cmd.$name" || {
		echo "$prog did not get ready:" >&2
		cat "$d/cmd.$name" "$d/cmd.$name.err" >&2
		return 1
	}
}

start_blocker() { start_cmd_prog "$1" "$FIXTURES/blocker" "${@:2}"; }

fx_nlines() { wc -l < "$(fx_dir)/cmd.$1"; }

_fx_has_line() { tail -n +"$(( $2 + 1 ))" "$1" | grep -Eq -- "$3"; }

fx_wait_line() {
	local f re=$2 secs=${3:-10} after=${4:-0}
	f="$(fx_dir)/cmd.$1"
	if ! wait_until "$secs" _fx_has_line "$f" "$after" "$re"; then
		echo "no line /$re/ from $1 within ${secs} s; it printed:" >&2
		tail -n +"$(( after + 1 ))" "$f" >&2
		return 1
	fi
	tail -n +"$(( after + 1 ))" "$f" | grep -E -m1 -- "$re"
}

fx_reply() {
	local n
	n=$(fx_nlines "$1")
	echo "$2" >&"$(< "$(fx_dir)/fd.$1")"
	fx_wait_line "$1" "^(${2%% *}( |\$)|error )" 10 "$n"
}

fx_count() { grep -Ec -- "$2" "$(fx_dir)/cmd.$1"; }

fx_state() { local s; s=$(< "/proc/$1/stat") || return 1; s=${s##*) }; echo "${s%% *}"; }
fx_tracer() { awk '/^TracerPid:/ {print $2}' "/proc/$1/status"; }
fx_traced() { local t; t=$(fx_tracer "$1") && [[ -n $t && $t != 0 ]]; }
# PID is stopped by a signal (pvmmap at PVMMAP_STOP_AT: T, not ptrace's t)
fx_stopped() { [[ $(fx_state "$1") == T ]]; }

fx_in_syscall() {
	local nr want
	read -r nr _ < "/proc/$1/task/$2/syscall" 2>/dev/null || return 1
	shift 2
	for want; do [[ $nr == "$want" ]] && return 0; done
	return 1
}

fx_memsha() {
	dd if="/proc/$1/mem" bs=1M iflag=skip_bytes,count_bytes skip=$(( $2 )) count=$(( $3 )) \
		status=none | sha256sum | cut -d' ' -f1
}

fx_free_pid() {
	local p max
	max=$(< /proc/sys/kernel/pid_max)
	for (( p = max - 1; p > 300; p-- )); do
		[[ -e /proc/$p ]] || { echo "$p"; return 0; }
	done
	return 1
}

# maps_has PID 0xADDR: a VMA of PID starts at ADDR
maps_has() { grep -q "^${2#0x}-" "/proc/$1/maps"; }
