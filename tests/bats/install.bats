#!/usr/bin/env bats
# libpvmmap as installed: the export list is the header's, the soname is
# versioned, and a program built outside the tree against the *installed*
# library (pkg-config in a temporary DESTDIR) runs; make uninstall removes
# what make install put there.  The section-3 pages lint clean.
# check-aarch64: left out: it builds a program against the installed library, and the guest has no compiler (the cross build links the library; the x86_64 run installs it)

bats_require_minimum_version 1.5.0

setup() {
	load helpers
	LIB=$TOP/build/release/libpvmmap.so.1
	[[ -e $LIB ]] || fail "no $LIB: make lib"
}

# The functions include/pvmmap.h declares.
# (A typedef of a callback's type is no function.)
header_names() {
	grep -v '^typedef' "$TOP/include/pvmmap.h" |
		grep -oE '\b(pvmmap_[a-z_]+|process_vm_mmap) ?\(' | tr -d ' (' | sort -u
}

# NAME@@NODE for every name of src/libpvmmap.map: the node that added it.
map_versions() {
	awk '/^PVMMAP_[0-9.]+ *\{/ { node = $1 }
	     /^[ \t]+(pvmmap_[a-z_]+|process_vm_mmap);/ { gsub(/[ \t;]/, ""); print $0 "@@" node }' \
		"$TOP/src/libpvmmap.map" | sort -u
}

@test "nm -D: libpvmmap.so exports exactly the functions of pvmmap.h, each at its node of src/libpvmmap.map" {
	run -0 bash -c "nm -D --defined-only '$LIB' | awk '\$2 == \"T\" {print \$3}' | sort -u"
	assert_output "$(map_versions)"
	# and the version script lists the same names
	assert_equal "$(grep -oE '^\s+(pvmmap_[a-z_]+|process_vm_mmap);' "$TOP/src/libpvmmap.map" | tr -d ' \t;' | sort)" \
		"$(header_names)"
}

@test "the soname is libpvmmap.so.1, and libpvmmap.so points at it" {
	run -0 readelf -d "$LIB"
	assert_line --regexp 'SONAME.*\[libpvmmap\.so\.1\]'
	assert_equal "$(readlink "$TOP/build/release/libpvmmap.so")" libpvmmap.so.1
}

@test "a program built against the installed library via pkg-config runs; uninstall removes it all" {
	local d=$BATS_TEST_TMPDIR/root
	run -0 make -s -C "$TOP" install DESTDIR="$d" PREFIX=/opt/pv LIBDIR=/opt/pv/lib64
	[[ -f $d/opt/pv/lib64/libpvmmap.so.1 && -L $d/opt/pv/lib64/libpvmmap.so && -f $d/opt/pv/lib64/libpvmmap.a ]]
	[[ -f $d/opt/pv/include/pvmmap.h && -f $d/opt/pv/share/man/man3/process_vm_mmap.3 ]]
	[[ -L $d/opt/pv/share/man/man3/pvmmap_transfer.3 ]]
	export PKG_CONFIG_PATH=$d/opt/pv/lib64/pkgconfig PKG_CONFIG_SYSROOT_DIR=$d
	run -0 pkg-config --modversion pvmmap
	assert_output "$(sed -n 's/^VERSION *:= *//p' "$TOP/Makefile")"
	run -0 pkg-config --variable=libdir pvmmap
	assert_output "$d/opt/pv/lib64"
	# the header stands alone, in strict C99 and in C++
	printf '#include <pvmmap.h>\nint main(void) { pvmmap *h; return pvmmap_open(&h); }\n' > "$BATS_TEST_TMPDIR/h.c"
	run -0 bash -c 'cc -std=c99 -pedantic -Wall -Wextra -Werror $(pkg-config --cflags pvmmap) -c -o /dev/null "$1"' _ "$BATS_TEST_TMPDIR/h.c"
	if command -v g++ >/dev/null; then
		run -0 bash -c 'g++ -x c++ -Wall -Wextra -Werror $(pkg-config --cflags pvmmap) -c -o /dev/null "$1"' _ "$BATS_TEST_TMPDIR/h.c"
	fi
	# built outside the tree, with nothing of it on the command line
	cp "$TOP/examples/pull.c" "$BATS_TEST_TMPDIR/"
	cd "$BATS_TEST_TMPDIR"
	run -0 bash -c 'cc -o pull pull.c $(pkg-config --cflags --libs pvmmap)'
	run -0 env LD_LIBRARY_PATH="$d/opt/pv/lib64" ldd ./pull
	assert_line --regexp "libpvmmap\.so\.1 => $d/opt/pv/lib64/libpvmmap\.so\.1"
	run -0 env LD_LIBRARY_PATH="$d/opt/pv/lib64" ./pull
	assert_output --partial "(0 bytes differ), shared page shared"
	# and against libpvmmap.a: its own dependencies come from --static
	run -0 bash -c 'cc -o pull-a pull.c $(pkg-config --cflags pvmmap) -L"$1" -Wl,-Bstatic -lpvmmap -Wl,-Bdynamic \
		$(pkg-config --static --libs-only-l pvmmap | sed "s/-lpvmmap//")' _ "$d/opt/pv/lib64"
	run -0 ldd ./pull-a
	refute_line --partial libpvmmap
	run -0 ./pull-a
	assert_output --partial "(0 bytes differ), shared page shared"
	run -0 make -s -C "$TOP" uninstall DESTDIR="$d" PREFIX=/opt/pv LIBDIR=/opt/pv/lib64
	run -0 find "$d" -not -type d
	assert_output ""
}

@test "man/man3: mandoc -T lint -W warning is silent, and every public function has a page" {
	run -0 mandoc -T lint -W warning "$TOP"/man/man3/*.3
	assert_output ""
	local n
	for n in $(header_names); do
		grep -qx "\.Nm $n\( ,\)\?" "$TOP"/man/man3/*.3 || fail "no page names $n"
	done
}
