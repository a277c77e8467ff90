#!/usr/bin/env bats
# pvmmap maps on ordinary processes nobody made for it: the test's shell, a
# sleep, a python3, and the bats processes running this test.

bats_require_minimum_version 1.5.0

setup_file() {
	load helpers
	load fixture
	fx_share
}

setup() {
	declare -F fx_share >/dev/null || { load helpers; load fixture; }
}

teardown() {
	kill_fixtures
}

# sane PID: `maps PID --json` (kept in DOC) exits 0 with a valid document of PID, whose
# refused VMAs all say why, whose ok VMAs all say how, and whose [vdso] is
# refused as a special mapping; the test ends with all_valid (schema).
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
		(.vmas[] | select(.status != "ok" and .status != "refused") | "status \(.status): \(.start)"),
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
	assert_line '    special-mapping: this is a page the kernel provides to every process (such'
}
