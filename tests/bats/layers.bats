#!/usr/bin/env bats
# The data flows one way (docs/architecture.md): tests/layers finds no
# #include of a layer above in src/, and finds the ones planted in a copy.
# check-aarch64: left out: the #include lines of src/, text the same on every architecture (the x86_64 run checks them)

bats_require_minimum_version 1.5.0

setup() { load helpers; }

@test "src/ includes only its own layer and the layers below it" {
	run "$TOP/tests/layers"
	[[ $status -eq 0 ]] || fail "$output"
}

@test "tests/layers names each kind of violation" {
	local d=$BATS_TEST_TMPDIR/top
	mkdir -p "$d"
	cp -r "$TOP/src" "$TOP/include" "$d/"
	echo '#include "transfer.h"' >> "$d/src/plan.c"
	echo '#include "plan.h"' >> "$d/src/main.c"
	echo '#include "x86_64.h"' >> "$d/src/proc.c"
	touch "$d/src/unknown.c"
	run "$TOP/tests/layers" "$d"
	[[ $status -eq 1 ]] || fail "status $status: $output"
	[[ $output == *"src/plan.c (plan): includes transfer.h (transfer), a layer above"* ]] || fail "$output"
	[[ $output == *"src/main.c (cli): includes plan.h (plan); the command line uses include/pvmmap.h alone"* ]] || fail "$output"
	[[ $output == *"src/proc.c: includes x86_64.h, the architecture's own"* ]] || fail "$output"
	[[ $output == *"src/unknown.c: in no layer"* ]] || fail "$output"
}
