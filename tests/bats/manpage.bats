#!/usr/bin/env bats
# pvmmap.1 against src/reasons.c and the contract (docs/interface.md),
# and the completions against the contract's options.  Needs mandoc, not the
# pvmmap binary.
# check-aarch64: left out: pvmmap.1 and the completions against the sources, text the same on every architecture (the x86_64 run tests them); mandoc and fish are not in the guest

load helpers

# The options of the contract's synopsis.  When the contract is at hand, a
# test below checks that this list is still exactly the contract's.
LONG_OPTS=(--to --for --json --at --replace --partial --dry-run --timeout
	--allow-cross-user --progress --no-progress --quiet --help --usage --version)
SHORT_OPTS=(-h -n -q)
# What src/main.c adds to the contract (a test below keeps this list honest).
EXTRA_OPTS=(-t -V --force --frozen)

setup() {
	MAN=$TOP/pvmmap.1
	CONTRACT=$TOP/docs/interface.md
	COMPLETIONS=("$TOP/completions/pvmmap" "$TOP/completions/_pvmmap" "$TOP/completions/pvmmap.fish")
}

# The contract travels with the code (docs/interface.md): these tests run
# in every clone, and fail rather than skip when it is missing.
need_contract() {
	[[ -f $CONTRACT ]] || fail "the contract is not at $CONTRACT"
}

# The reason codes of src/reasons.c: the strings of `{ "code", SCOPE_...`.
# $1: VMA or PROCESS for one scope only.
reason_codes() {
	local scope=${1:-[A-Z]*}
	sed -n "s/.*{ *\"\([a-z0-9-]*\)\", *SCOPE_${scope},.*/\1/p" "$TOP/src/reasons.c"
}

# The lines of the man page source from `.Sh NAME` up to the next .Sh.
man_section() {
	awk -v s="$1" '/^\.Sh /{ on = (substr($0, 5) == s) } on' "$MAN"
}

# The lines from `.Ss NAME` up to the next .Ss or .Sh.
man_subsection() {
	awk -v s="$1" '/^\.S[hs] /{ on = ($1 == ".Ss" && substr($0, 5) == s) } on' "$MAN"
}

# The page as text, one paragraph a line (wide, so no option is broken).
man_text() {
	mandoc -T ascii -O width=1000 "$MAN" | sed 's/.\x08//g'
}

# The text of one section of the rendered page (its heading excluded).
man_text_section() {
	man_text | awk -v s="$1" '/^[A-Z]/{ on = ($0 == s); next } on'
}

# The codes of the contract's reason tables.
contract_codes() {
	sed -n '/^## Reasons/,/^## /p' "$CONTRACT" |
		sed -n 's/^| *\([a-z][a-z0-9-]*\) *|.*/\1/p' | grep -vx code
}

# The long options of the contract's synopsis (its "## Commands" block).
contract_long_opts() {
	sed -n '/^## Commands/,/^###/p' "$CONTRACT" | grep '^    ' |
		grep -oE -- '--[a-z][a-z-]*' | LC_ALL=C sort -u
}

# The options of the argp tables of src/main.c: `{ "name", 'k', ARG, ...`
# gives --name and -k, `{ "name", OPT_X, ARG, ...` gives --name (ARG: NULL
# or a string, which tells them from other tables of names).
main_c_opts() {
	sed -n "s/^[[:space:]]*{ \"\([a-z][a-z-]*\)\", *\('.'\|[A-Z_][A-Z0-9_]*\), *\(NULL\|\"[^\"]*\"\),.*/\1 \2/p" "$TOP/src/main.c" |
		while read -r name key; do
			printf '%s\n' "--$name"
			[[ $key != "'"?"'" ]] || printf '%s\n' "-${key:1:1}"
		done | LC_ALL=C sort -u
}

# Is $2 (an option) in completion file $1?  Fish spells them -l NAME, -s N.
completion_has() {
	local file=$1 opt=$2
	if [[ $file == *.fish ]]; then
		if [[ $opt == --* ]]; then
			grep -qE -- "(^|[[:space:]])-l ${opt#--}([[:space:]]|$)" "$file"
		else
			grep -qE -- "(^|[[:space:]])-s ${opt#-}([[:space:]]|$)" "$file"
		fi
	else
		grep -qE -- "(^|[^[:alnum:]-])${opt}([^[:alnum:]-]|$)" "$file"
	fi
}

@test "src/reasons.c: every entry of the table yields a code" {
	local entries
	entries=$(grep -cE '^[[:space:]]*\[R_[A-Z_]+\] = \{ "' "$TOP/src/reasons.c")
	run reason_codes
	assert_success
	[ "${#lines[@]}" -ge 20 ]
	assert_equal "${#lines[@]}" "$entries"
	assert_equal "$(($(reason_codes VMA | wc -l) + $(reason_codes PROCESS | wc -l)))" "$entries"
}

@test "pvmmap.1: every reason code of src/reasons.c is an entry of REASONS" {
	local code missing=()
	local section
	section=$(man_section REASONS)
	for code in $(reason_codes); do
		grep -qxF ".It Cm $code" <<<"$section" || missing+=("$code")
	done
	assert_equal "${missing[*]}" ""
}

@test "pvmmap.1: per-VMA codes under 'Per mapping', per-process codes under 'Per process'" {
	local code wrong=()
	local vma proc
	vma=$(man_subsection "Per mapping")
	proc=$(man_subsection "Per process")
	[ -n "$vma" ] && [ -n "$proc" ]
	for code in $(reason_codes VMA); do
		grep -qxF ".It Cm $code" <<<"$vma" || wrong+=("$code")
	done
	for code in $(reason_codes PROCESS); do
		grep -qxF ".It Cm $code" <<<"$proc" || wrong+=("$code")
	done
	assert_equal "${wrong[*]}" ""
}

@test "pvmmap.1: REASONS lists no code that src/reasons.c lacks" {
	local code extra=()
	for code in $(man_section REASONS | sed -n 's/^\.It Cm \([^ ]*\)$/\1/p'); do
		reason_codes | grep -qxF "$code" || extra+=("$code")
	done
	assert_equal "${extra[*]}" ""
}

@test "pvmmap.1 and src/reasons.c: every code of the contract's reason tables" {
	need_contract
	local code n=0 missing=()
	local section
	section=$(man_section REASONS)
	for code in $(contract_codes); do
		n=$((n + 1))
		grep -qxF ".It Cm $code" <<<"$section" || missing+=("man:$code")
		reason_codes | grep -qxF "$code" || missing+=("reasons.c:$code")
	done
	[ "$n" -ge 20 ]
	assert_equal "${missing[*]}" ""
}

@test "pvmmap.1: mandoc -T lint -W warning is silent and exits 0" {
	run mandoc -T lint -W warning "$MAN"
	assert_success
	assert_output ""
}

@test "pvmmap.1: groff formats it without warnings" {
	command -v groff >/dev/null || skip "no groff"
	run groff -mdoc -Tutf8 -ww -z "$MAN"
	assert_success
	assert_output ""
}

@test "pvmmap.1: fits in 80 columns" {
	run bash -c 'mandoc -T ascii -O width=78 "$1" | sed "s/.\x08//g" | awk "length > 80"' _ "$MAN"
	assert_success
	assert_output ""
}

@test "pvmmap.1: has the sections of the brief, and .Dd November 26, 2026" {
	local s
	for s in NAME SYNOPSIS DESCRIPTION GUARANTEES "JSON OUTPUT" REASONS ENVIRONMENT \
		"EXIT STATUS" EXAMPLES "SEE ALSO" HISTORY AUTHORS; do
		grep -qxF ".Sh $s" "$MAN" || fail "no section $s"
	done
	grep -qxF '.Dd November 26, 2026' "$MAN"
	grep -qxF '.Dt PVMMAP 1' "$MAN"
}

@test "the option list of these tests is the contract's synopsis" {
	need_contract
	run contract_long_opts
	assert_success
	assert_output "$(printf '%s\n' "${LONG_OPTS[@]}" | LC_ALL=C sort -u)"
}

@test "pvmmap.1: SYNOPSIS shows every option of the contract" {
	local opt missing=()
	local synopsis
	synopsis=$(man_text_section SYNOPSIS)
	[ -n "$synopsis" ]
	for opt in "${LONG_OPTS[@]}" "${SHORT_OPTS[@]}"; do
		grep -qE -- "(^|[^[:alnum:]-])${opt}([^[:alnum:]-]|$)" <<<"$synopsis" || missing+=("$opt")
	done
	assert_equal "${missing[*]}" ""
}

@test "pvmmap.1: every option has its own entry in Options" {
	local opt missing=()
	local options
	options=$(man_subsection Options)
	for opt in "${LONG_OPTS[@]}" "${SHORT_OPTS[@]}" "${EXTRA_OPTS[@]}"; do
		grep -qE -- "^\.It (.* )?Fl ${opt#-}( |$)" <<<"$options" || missing+=("$opt")
	done
	assert_equal "${missing[*]}" ""
}

@test "completions: every option of the contract is in each completion file" {
	local file opt missing=()
	for file in "${COMPLETIONS[@]}"; do
		[[ -f $file ]] || { missing+=("$file"); continue; }
		for opt in "${LONG_OPTS[@]}" "${SHORT_OPTS[@]}" "${EXTRA_OPTS[@]}"; do
			completion_has "$file" "$opt" || missing+=("${file##*/}:$opt")
		done
	done
	assert_equal "${missing[*]}" ""
}

@test "the options of src/main.c are the contract's and EXTRA_OPTS, no more, no fewer" {
	[[ -f $TOP/src/main.c ]] || skip "no src/main.c yet"
	run main_c_opts
	assert_success
	assert_output "$(printf '%s\n' "${LONG_OPTS[@]}" "${SHORT_OPTS[@]}" "${EXTRA_OPTS[@]}" | LC_ALL=C sort -u)"
}

@test "pvmmap.1: EXIT STATUS documents exactly 0 to 5, and 6 and 7 (additions: a dry run's deferred checks, a write error)" {
	run bash -c 'awk "/^\\.Sh /{on = (\$0 == \".Sh EXIT STATUS\")} on" "$1" | sed -n "s/^\\.It \\([0-9]*\\)\$/\\1/p"' _ "$MAN"
	assert_success
	assert_output "$(printf '%s\n' 0 1 2 3 4 5 6 7)"
}

@test "pvmmap.1: EXIT STATUS says what a write error and a terminating signal give" {
	local text
	text=$(man_text_section "EXIT STATUS")
	grep -qE '^ +7 +Standard output could not be written' <<<"$text"
	grep -qF 'pvmmap: write error:' <<<"$text"
	grep -qF '128 plus the signal' <<<"$text"
	grep -qF '143 for SIGTERM' <<<"$text"
	grep -qF '"interrupted"' <<<"$text"
}

@test "pvmmap.1: the exit statuses say what the contract says" {
	local text
	text=$(man_text_section "EXIT STATUS")
	grep -qE '^ +0 +Everything asked was done\.' <<<"$text"
	grep -qE '^ +1 +move or copy: one or more mappings were refused\.' <<<"$text"
	grep -qE '^ +2 +Usage error' <<<"$text"
	grep -qE '^ +3 +A process could not be used' <<<"$text"
	grep -qE '^ +4 +A failure during the transfer; everything was rolled back\.' <<<"$text"
	grep -qE '^ +5 +A failure that could not be fully rolled back' <<<"$text"
}

@test "pvmmap.1: JSON OUTPUT names every key of the contract's schema, and hint, blockers" {
	need_contract
	local key missing=() n=0
	local section
	section=$(man_section "JSON OUTPUT")
	for key in $(sed -n '/^## JSON output/,/^## /p' "$CONTRACT" | grep -oE '"[a-z_]+":' | tr -d '":' | sort -u) hint blockers; do
		n=$((n + 1))
		grep -qE "^\.(It )?Li (.* )?${key}( |$)" <<<"$section" || missing+=("$key")
	done
	[ "$n" -ge 30 ]
	assert_equal "${missing[*]}" ""
}

@test "pvmmap.1: JSON OUTPUT lists every value of operation, kind, method and status" {
	need_contract
	local field value missing=() n=0
	local section
	section=$(man_section "JSON OUTPUT")
	for field in operation kind method status; do
		for value in $(grep -E "^ *\"$field\": " "$CONTRACT" | head -1 | sed 's/^[^:]*://' | grep -oE '"[a-z-]+"' | tr -d '"'); do
			n=$((n + 1))
			grep -qE "^\.Qq ${value}( |$)" <<<"$section" || missing+=("$field=$value")
		done
	done
	[ "$n" -ge 20 ]
	assert_equal "${missing[*]}" ""
}

@test "pvmmap.1: JSON OUTPUT explains the \\udcXX escapes of non-UTF-8 bytes" {
	local text
	text=$(man_text_section "JSON OUTPUT")
	grep -qF '\udcXX' <<<"$text"
	grep -qF 'surrogateescape' <<<"$text"
	grep -qF 'os.fsdecode()' <<<"$text"
}

@test "pvmmap.1: SEE ALSO names the pages of the brief" {
	local text xr missing=()
	text=$(man_text_section "SEE ALSO")
	for xr in 'pmap(1)' 'process_vm_readv(2)' 'ptrace(2)' 'mmap(2)' 'proc(5)'; do
		grep -qF "$xr" <<<"$text" || missing+=("$xr")
	done
	assert_equal "${missing[*]}" ""
}
