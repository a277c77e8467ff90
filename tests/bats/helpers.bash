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
