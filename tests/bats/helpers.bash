# Shared set-up of the end-to-end tests.  `load helpers` in every .bats file.
#
# PVMMAP   the binary under test (tests/run sets it; default: ./pvmmap)
# FIXTURES the directory of the fixture programs (build/fixtures)
# TOP      the project's top directory
# PVMMAP_WAIT_SCALE
#          one factor for every wait of the tests (default 1; a positive
#          number, 1.5 allowed): each bound on how long something may take
#          (wait_until, a fixture getting ready, a fixture stopping) is
#          multiplied by it.  A larger factor costs nothing when the tests
#          pass, since a wait ends as soon as its condition holds; it keeps a
#          loaded or slow machine from failing them.  tests/run sets 4 for the
#          sanitized build and 2 for the release build, unless the
#          environment sets it.  fx_secs SECONDS scales a bound of its own;
#          FX_WAIT_PCT is the factor in hundredths, for other programs (zsh).
#          Measured durations (how long a sleep took) are not scaled.
# PVMMAP_SANITIZED
#          1 when $PVMMAP is built with AddressSanitizer (tests/run sets it;
#          default: whether the binary holds __asan_init), else 0.  A test
#          that fills gigabytes gives a smaller size under it (fx_big_gib),
#          for a loaded machine fills them slowly and ASan moves them slowly.

TOP="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
: "${PVMMAP:=$TOP/pvmmap}"
: "${FIXTURES:=$TOP/build/fixtures}"
: "${PVMMAP_WAIT_SCALE:=1}"
export PVMMAP FIXTURES TOP PVMMAP_WAIT_SCALE

# FX_WAIT_PCT: PVMMAP_WAIT_SCALE in hundredths (1.5: 150).
_fx_wait_pct() {
	local d
	[[ $PVMMAP_WAIT_SCALE =~ ^([0-9]*)(\.([0-9]*))?$ && $PVMMAP_WAIT_SCALE == *[0-9]* ]] || return 1
	d=${BASH_REMATCH[3]}00
	FX_WAIT_PCT=$(( 10#0${BASH_REMATCH[1]} * 100 + 10#${d:0:2} ))
	(( FX_WAIT_PCT > 0 ))
}
if ! _fx_wait_pct; then
	echo "PVMMAP_WAIT_SCALE='$PVMMAP_WAIT_SCALE': expected a positive number such as 1, 4 or 1.5" >&2
	return 1
fi
export FX_WAIT_PCT

# fx_secs SECONDS: SECONDS (a whole number) times PVMMAP_WAIT_SCALE, rounded up.
fx_secs() { echo $(( ($1 * ${FX_WAIT_PCT:-100} + 99) / 100 )); }

if [[ -z ${PVMMAP_SANITIZED:-} ]]; then
	PVMMAP_SANITIZED=0
	LC_ALL=C grep -qa -m1 __asan_init "$PVMMAP" 2>/dev/null && PVMMAP_SANITIZED=1
fi
export PVMMAP_SANITIZED

# fx_big_gib N: the GiB to fill where a test wants N: N, half of it (at least
# 1) under ASan.  The test's name gives both sizes.
fx_big_gib() { if (( PVMMAP_SANITIZED )); then echo $(( $1 > 1 ? $1 / 2 : 1 )); else echo "$1"; fi; }

bats_load_library bats-support
bats_load_library bats-assert

pvmmap() { "$PVMMAP" "$@"; }

# usage_error 'EXPECTED LINE' ARGS...: pvmmap ARGS exits 2, prints nothing on
# stdout and on stderr exactly two lines: EXPECTED, then the Try line of the
# command ARGS start with (`Try 'pvmmap move --help' for more information.`),
# or of pvmmap itself when they start with none (`Try 'pvmmap --help' ...`).
# usage_match 'ERE' ARGS...: the same, with a first line that matches ERE.
# (pvrun is in fixture.bash.)
usage_error() { _usage_lines assert_equal "$@"; }
usage_match() { _usage_lines assert_regex "$@"; }

_usage_lines() {
	local check=$1 want=$2 cmd=''
	shift 2
	case ${1-} in maps|move|copy|clean) cmd="$1 " ;; esac
	pvrun 2 "$@"
	assert_equal "$output" ""
	[[ $stderr == *$'\n'* ]] || fail "one line on stderr, no Try line: $stderr"
	"$check" "${stderr%%$'\n'*}" "$want"
	assert_equal "${stderr#*$'\n'}" "Try 'pvmmap ${cmd}--help' for more information."
}

# ranges 'ADDR LEN'...: the range.end pvmmap makes of each (maps $$ ADDR LEN
# --json), one a line.
ranges() {
	local al docs=''
	for al; do
		# shellcheck disable=SC2086
		pvrun 0 maps $$ $al --json
		docs+=$output
	done
	jq -r '.range.end' <<< "$docs"
}

# pvmmap_signalled SIG ARGS...: pvmmap ARGS started with SIG pending and
# blocked, as if it came in the very first instant (a blocked signal stays
# pending across execve).
pvmmap_signalled() {
	local sig=$1
	shift
	python3 - "$sig" "$PVMMAP" "$@" <<'PY'
import os, signal, sys
sig = getattr(signal, sys.argv[1])
signal.pthread_sigmask(signal.SIG_BLOCK, {sig})
os.kill(os.getpid(), sig)
os.execv(sys.argv[2], sys.argv[2:])
PY
}

# on_tty COLS STATUS [-o FILE] ARGS...: pvmmap ARGS on a terminal COLS
# columns wide (util-linux script(1) makes one): its stderr goes there, and
# its stdout too unless -o FILE takes it.  $tty: the bytes the terminal got,
# raw (it turns each "\n" into "\r\n"); $ttyl: the same without "\r".
# COLUMNS and LINES are unset: the width is the terminal's.  Fails unless
# pvmmap exits STATUS.  (fx_dir is in fixture.bash.)
on_tty() {
	local cols=$1 want=$2 cmd f
	shift 2
	f="$(fx_dir)/tty.out"
	if [[ $1 == -o ]]; then
		printf -v cmd '%q ' "$PVMMAP" "${@:3}"
		cmd+=">$(printf %q "$2")"
	else
		printf -v cmd '%q ' "$PVMMAP" "$@"
	fi
	status=0
	script -qec "stty cols $cols rows 24; exec env -u COLUMNS -u LINES $cmd" /dev/null \
		< /dev/null > "$f" || status=$?
	tty=$(cat "$f"; echo .)
	tty=${tty%.}
	ttyl=${tty//$'\r'/}
	[[ $status == "$want" ]] || fail "pvmmap $* on a terminal exited $status, not $want: $ttyl"
}
