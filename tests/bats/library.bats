#!/usr/bin/env bats
# libpvmmap from a program of its own (tests/lib/pvjson.c, linked with the
# shared library of the build under test): the same requests give the CLI's
# JSON document byte for byte (but for the times, and the address a
# placement anywhere chose) and its exit status; process_vm_mmap() pulls a
# buffer from another process (examples/pull.c).

bats_require_minimum_version 1.5.0

setup() {
	load helpers
	load fixture
	PVJSON=$(dirname "$PVMMAP")/tests/lib/pvjson
	[[ -x $PVJSON ]] || PVJSON=$TOP/build/release/tests/lib/pvjson
	[[ -x $PVJSON ]] || fail "no $PVJSON: make libtests"
}

teardown() {
	kill_fixtures
}

# What may differ between two runs of one request: how long it took, and
# the rss of a [vdso] the process touched in between.
NORM='del(.summary.elapsed_s, .summary.source_paused_s) | .vmas |= map(if .kind == "special" then del(.rss) else . end)'

# same_json "CLI ARGS" "PVJSON ARGS" [JQ]: both documents, normalised, equal;
# both exit statuses equal.
same_json() {
	local a b sa=0 sb=0 jqf="$NORM${3:+ | $3}"
	a=$("$PVMMAP" $1 --json) || sa=$?
	b=$("$PVJSON" $2) || sb=$?
	assert_equal "$sb" "$sa"
	assert_equal "$(jq -r .pvmmap <<< "$a")" 1
	assert_equal "$(jq -r .pvmmap <<< "$b")" 1
	assert_equal "$(jq -S "$jqf" <<< "$b")" "$(jq -S "$jqf" <<< "$a")"
}

@test "maps: the library's document is the CLI's" {
	start_cmd src anon:4M:label=a
	local p; p=$(cpid src)
	same_json "maps $p" "maps $p"
	same_json "maps $p $(cstart src a) 4M" "maps $p $(cstart src a) 4194304"
}

@test "dry runs, a refusal and a per-process error: the library's documents and statuses are the CLI's" {
	start_cmd src anon:4M:label=a
	start_cmd dst anon:64K:label=x
	local s d a; s=$(cpid src); d=$(cpid dst); a=$(cstart src a)
	same_json "copy $s $a 4M --to $d --dry-run" "dry-copy $s $a 4194304 $d"
	same_json "move $s $a 4M --to $d --dry-run --at any" "dry-move $s $a 4194304 $d any"
	# a range past the end of the mapping: not-mapped, all or nothing, exit 1
	same_json "copy $s $a 8M --to $d --dry-run" "dry-copy $s $a 8388608 $d"
	run -1 "$PVJSON" dry-copy "$s" "$a" 8388608 "$d"
	# no such process: exit 3
	same_json "maps 999999999" "maps 999999999"
}

@test "a real copy: the library's document is the CLI's, but for where the kernel placed it" {
	start_cmd src anon:4M:label=a
	start_cmd d1 anon:64K:label=x
	start_cmd d2 anon:64K:label=x
	local s a; s=$(cpid src); a=$(cstart src a)
	local one two
	one=$("$PVMMAP" copy "$s" "$a" 4M --to "$(cpid d1)" --at any --json)
	two=$("$PVJSON" copy "$s" "$a" 4194304 "$(cpid d2)" any)
	local placed='del(.target, .dest, .vmas[].dest_start)'
	assert_equal "$(jq -S "$NORM | $placed" <<< "$two")" "$(jq -S "$NORM | $placed" <<< "$one")"
	assert_equal "$(jq -r '.vmas[0].status' <<< "$two")" done
	local d2s; d2s=$(jq -r '.dest.start' <<< "$two")
	assert_equal "$(sum d2 "$d2s" "$(printf '0x%x' $(( d2s + 4194304 )))")" "$(sum src "$a" "$(cend src a)")"
}

@test "process_vm_mmap: examples/pull takes a buffer and a shared page from its child" {
	local pull=$TOP/build/examples/pull
	[[ -x $pull ]] || fail "no $pull: make examples"
	run -0 "$pull"
	assert_output --partial "(0 bytes differ), shared page shared"
}
