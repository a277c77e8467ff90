#!/usr/bin/env bats
# --json: every kind of document validates against the schema of the
# contract (tests/schema/pvmmap-v1.schema.json), stdout holds that document
# and nothing else, and mapping names of any bytes survive the trip.
# check-aarch64: left out: the JSON documents against the schema, written by src/report.c the same on every architecture (the x86_64 run tests it; library.bats compares the library's documents with the command's on arm64)

bats_require_minimum_version 1.5.0

setup_file() {
	load fixture; fx_setup_file
	start_mapper src anon several file-private file-deleted memfd mseal thread aio uffd
	start_mapper dst anon
}

teardown_file() { fx_teardown; }

setup() { load fixture; fx_setup src dst; }

teardown() { fx_teardown; }

@test "the schema is a valid JSON Schema, and the validator rejects what it should" {
	pvrun 0 maps "$SRC" "$(fx_start src anon)" --json
	keep
	output='{"pvmmap": 1} trailing'
	keep
	run -2 "$TOP/tests/schema/validate" "$BATS_TEST_TMPDIR/doc.2.json"
	# documents each broken in one way: every one is refused, each for its fault
	run -1 "$FX_PY" - "$TOP/tests/schema/pvmmap-v1.schema.json" "$BATS_TEST_TMPDIR/doc.1.json" <<'PY'
import copy, json, sys, jsonschema
schema = json.load(open(sys.argv[1]))
jsonschema.validators.validator_for(schema).check_schema(schema)
good = json.load(open(sys.argv[2]))
v = jsonschema.validators.validator_for(schema)(schema)
assert not list(v.iter_errors(good)), list(v.iter_errors(good))
def vma(**kw):
    return lambda d: d["vmas"][0].update(kw)
breaks = {
    "unknown reason": vma(status="refused", reason="made-up", message="x", method=None),
    "upper-case address": vma(start="0x7F00"),
    "address without 0x": vma(end="7f00"),
    "extra top-level key": lambda d: d.update(extra=1),
    "extra vma key": vma(extra=1),
    "schema version 2": lambda d: d.update(pvmmap=2),
    "refused without reason": vma(status="refused", method=None),
    "ok without method": vma(method=None),
    "unknown kind": vma(kind="weird"),
    "no summary": lambda d: d.pop("summary"),
    "unknown error code": lambda d: d.update(error={"code": "oops", "message": "m"}),
    "size as a string": vma(size="4096"),
    "skipped without its reason": vma(status="skipped", reason=None, message=None),
    "skipped with a refusal's code": vma(status="skipped", reason="sealed", message="x"),
    "deferred without method": vma(status="deferred", reason="in-use-unknown", message="x", method=None),
    "deferred for all or nothing": vma(status="deferred", reason="all-or-nothing", message="x"),
    "refused for all or nothing": vma(status="refused", reason="all-or-nothing", message="x", method=None),
    "ok with a reason": vma(reason="in-use-unknown", message="x"),
    "unknown status": vma(status="maybe"),
    "summary without skipped": lambda d: d["summary"].pop("skipped"),
    "operation clean": lambda d: d.update(operation="clean"),
}
for what, change in breaks.items():
    d = copy.deepcopy(good)
    change(d)
    if not list(v.iter_errors(d)):
        print("accepted:", what)
sys.exit(1)
PY
	assert_output ''
}

@test "maps --json: valid, stdout is the document only, nothing on stderr" {
	pvrun 0 maps "$SRC" --json
	assert_equal "$stderr" ''
	keep
	pvrun 0 maps "$SRC" --for copy --to "$DST" --json
	keep
	pvrun 0 maps "$SRC" "$(fx_start src several)" 3M --json
	keep
	all_valid
}

@test "move --dry-run --json with refusals and a gap: valid" {
	local s e
	s=$(fx_start src anon)
	e=$(fx_end src anon)
	pvrun 1 move "$SRC" "$(hex "$s - 0x1000")" "$(( e - s + 0x2000 ))" --to "$DST" -n --json
	assert_equal "$stderr" ''
	assert_equal "$(jqo -c '[.vmas[] | .kind]')" '[null,"anon",null]'
	keep
	pvrun 1 move "$SRC" "$(fx_start src thread)" 1M --to "$DST" -n --at any --json
	keep
	all_valid
}

@test "copy --dry-run --json, with --at ADDR2 and with --at any: valid" {
	pvrun 0 copy "$SRC" "$(fx_start src several)" 3M --to "$DST" --at 0x100000000000 -n --json
	keep
	pvrun 0 copy "$SRC" "$(fx_start src memfd)" 1M --to "$DST" --at any -n --json
	assert_equal "$(jqo -c '[.dest, .vmas[0].dest_start, .vmas[0].method]')" '[null,null,"share"]'
	keep
	all_valid
}

@test "an error document (a per-process refusal): valid, exit 3" {
	local gone
	true &
	gone=$!
	wait "$gone"
	pvrun 3 copy "$SRC" 0x10000 4K --to "$gone" -n --json
	assert_equal "$stderr" ''
	assert_equal "$(jqo -c '[.error.code, .vmas]')" '["no-such-process",[]]'
	keep
	pvrun 3 maps "$(fx_field src thread tid)" --json
	keep
	all_valid
}

@test "a usage-error document: valid, error.code usage, exit 2" {
	pvrun 2 maps "$SRC" 0x1001 --json
	assert_equal "$stderr" "pvmmap maps: address '0x1001' is not page aligned (pages are 4096 bytes)
Try 'pvmmap maps --help' for more information."
	assert_equal "$(jqo '.error | "\(.code)|\(.message)"')" "usage|${stderr%%$'\n'*}"
	keep
	pvrun 2 move 12x 0x1000 4K --to "$DST" --json
	keep
	pvrun 2 copy "$SRC" 0x1000 4K --json
	keep
	all_valid
}

@test "deferred and skipped entries, and a document without an operation: valid" {
	start_mapper spin spinner anon:64K:label=a
	# deferred: a thread runs, only the move itself can tell what it uses
	pvrun 6 move "$(fx_pid spin)" "$(fx_start spin a)" 64K --to "$DST" --at any -n --json
	assert_equal "$(jqo -c '[.vmas[0].status, .vmas[0].reason, .vmas[0].method, .summary.deferred]')" \
		'["deferred","in-use-unknown","copy",1]'
	keep
	pvrun 0 maps "$(fx_pid spin)" --json
	keep
	# skipped: another piece is refused, all or nothing
	local s e
	s=$(fx_start src anon)
	e=$(fx_end src anon)
	pvrun 1 copy "$SRC" "$s" "$(( e - s + 0x1000 ))" --to "$DST" -n --json
	assert_equal "$(jqo -c '[.vmas[] | [.status, .reason, .method]]')" \
		'[["skipped","all-or-nothing","copy"],["refused","not-mapped",null]]'
	assert_equal "$(jqo -c '[.summary.skipped, .summary.refused, .summary.done]')" '[1,1,0]'
	keep
	# an unknown command: no operation, not "maps"
	pvrun 2 frob "$SRC" --json
	assert_equal "$(jqo -c '[.operation, .error.code]')" '[null,"usage"]'
	keep
	pvrun 2 --json
	assert_equal "$(jqo -c '.operation')" null
	keep
	all_valid
	# clean's usage error is clean's own document
	pvrun 2 clean "$SRC" 0x1000 --json
	assert_equal "$(jqo -c '[.operation, .source, .removed, .error.code]')" '["clean",null,[],"usage"]'
}

@test "a usage-error document reports no range: the request was not understood" {
	# ADDR was parsed, LEN was not: there is no range to report
	pvrun 2 maps "$SRC" 0x1001 --json
	assert_equal "$(jqo -c '.range')" null
	pvrun 2 maps "$SRC" 0x10000 0 --json
	assert_equal "$(jqo -c '.range')" null
}

@test "names with spaces, quotes, control bytes and invalid UTF-8 round-trip to the exact bytes" {
	local dir=$BATS_TEST_TMPDIR/names
	mkdir -p "$dir"
	NAMES_DIR=$dir start_python names <<'PY'
import mmap
d = os.fsencode(os.environ["NAMES_DIR"])
names = [b'with space "quote" back\\slash', b"tab\there", b"new\nline", b"del\x7f",
         b"ctl \x01\x1b", b"utf8 \xc3\xa9t\xc3\xa9 \xe2\x82\xac \xc2\x85",
         b"bad \xff\xfe utf8", b"overlong \xc0\xaf", b"surrogate \xed\xa0\x80",
         b"four \xf0\x9f\x98\x80 and \xf4\x90\x80\x80"]
keep = []
for i, n in enumerate(names):
    path = d + b"/" + n
    with open(path, "wb") as f:
        f.write(b"x" * PAGE)
    fd = os.open(path, os.O_RDWR)
    a = raw_mmap(PAGE, 1, 0x01, fd)               # PROT_READ, MAP_SHARED
    keep.append(fd)
    emit("name%d" % i, a, a + PAGE, hex=path.hex())
ready()
PY
	local pid
	pid=$(fx_pid names)
	pvrun 0 maps "$pid" --json
	keep
	printf '%s' "$output" > "$BATS_TEST_TMPDIR/doc.json"
	run "$FX_PY" - "$BATS_TEST_TMPDIR/doc.json" "/proc/$pid/maps" "$(fx_list names)" <<'PY'
import json, os, sys
doc = json.loads(open(sys.argv[1], "rb").read().decode("utf-8"))
byname = {v["start"]: v["name"] for v in doc["vmas"]}
# the kernel's bytes for each VMA: /proc/PID/maps escapes only "\n" (as \012)
kernel = {}
for line in open(sys.argv[2], "rb").read().split(b"\n"):
    if not line:
        continue
    fields = line.split(None, 5)
    start = "0x" + fields[0].split(b"-")[0].decode().lstrip("0")
    kernel[start] = fields[5] if len(fields) > 5 else b""
n = 0
for line in open(sys.argv[3]):
    if line.startswith("ready "):
        continue
    label, start, end, *kv = line.split()
    path = bytes.fromhex(kv[0].split("=", 1)[1])
    got = os.fsencode(byname[start])
    want = path.replace(b"\n", b"\\012")
    assert kernel[start] == want, (label, kernel[start], want)
    assert got == want, (label, got, want)
    n += 1
print(n)
PY
	assert_equal "$status $output" '0 10'
	# the text table shows the bytes that are not printable as \xNN (a tab
	# as \t, a newline as \n)
	run -0 "$PVMMAP" maps "$pid"
	assert_line --regexp '/names/bad \\xff\\xfe utf8$'
	assert_line --regexp '/names/tab\\there$'
	assert_line --regexp '/names/ctl \\x01\\x1b$'
	assert_line --regexp '/names/utf8 été € \\xc2\\x85$'
	all_valid
}

@test "JSON strings escape what JSON requires, and nothing is raw below 0x20" {
	pvrun 0 maps "$SRC" --json
	# no raw control byte anywhere in the document (newlines between lines only)
	run -0 "$FX_PY" -c 'import sys
data = sys.stdin.buffer.read()
bad = [b for b in data if b < 0x20 and b != 0x0a]
print(len(bad), data.count(b"\n") > 0)' <<< "$output"
	assert_output '0 True'
}
