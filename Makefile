# pvmmap — GNU make.  `make`, `make check`, `make install`, `make bench`.
# The user's CPPFLAGS/CFLAGS/LDFLAGS/LDLIBS are added to, never replaced.

PREFIX      ?= /usr/local
BINDIR      ?= $(PREFIX)/bin
LIBDIR      ?= $(PREFIX)/lib
INCLUDEDIR  ?= $(PREFIX)/include
PKGCONFIGDIR ?= $(LIBDIR)/pkgconfig
DATADIR     ?= $(PREFIX)/share
MANDIR      ?= $(DATADIR)/man
BASHCOMPDIR ?= $(DATADIR)/bash-completion/completions
ZSHCOMPDIR  ?= $(DATADIR)/zsh/site-functions
FISHCOMPDIR ?= $(DATADIR)/fish/vendor_completions.d
DESTDIR     ?=

CC          ?= cc
FUZZ_CC     ?= clang
PKG_CONFIG  ?= pkg-config
INSTALL     ?= install

VERSION     := 0.1.0
# libpvmmap's soname: the major number changes only when the interface of
# include/pvmmap.h breaks (src/libpvmmap.map versions its names).
SOVERSION   := 1
# The architecture built for: the compiler's own (`make CC=aarch64-linux-gnu-gcc`),
# or ARCH=aarch64, which picks Debian's cross compiler aarch64-linux-gnu-gcc
# when CC was not given.  A build for another architecture than this machine's
# goes to build/ARCH (build/ARCH-asan with SANITIZE=1), its fixtures and
# examples inside it, and finds its libraries with the multiarch pkg-config
# files (dpkg --add-architecture arm64; apt-get install libproc2-dev:arm64
# libcmocka-dev:arm64).
HOST_ARCH   := $(shell uname -m)
ifeq ($(origin ARCH),undefined)
ARCH        := $(firstword $(subst -, ,$(shell $(CC) -dumpmachine 2>/dev/null)) $(HOST_ARCH))
endif
ifneq ($(ARCH),$(HOST_ARCH))
CROSS       := $(ARCH)-linux-gnu
ifeq ($(origin CC),default)
CC          := $(CROSS)-gcc
endif
ifeq ($(origin AR),default)
AR          := $(CROSS)-ar
endif
PKG_CONFIG  := PKG_CONFIG_LIBDIR=/usr/lib/$(CROSS)/pkgconfig:/usr/share/pkgconfig $(PKG_CONFIG)
endif
# Where the unit tests look for tests/data and the fixtures when they run:
# this tree, unless the tests run elsewhere (a guest that mounts it).
TESTDIR     ?= $(CURDIR)

# SANITIZE=1 builds with AddressSanitizer and UndefinedBehaviorSanitizer into
# build/asan; the default build goes to build/release.  WERROR=1 (CI) turns
# warnings into errors.
SANITIZE    ?= 0
WERROR      ?= 0

WARNINGS := -Wall -Wextra -Wshadow -Wformat=2 -Wformat-overflow=2 -Wstrict-prototypes \
	-Wmissing-prototypes -Wpointer-arith -Wwrite-strings -Wundef -Wvla \
	-Wimplicit-fallthrough -Wcast-qual -Wmissing-declarations -Wold-style-definition \
	-Wnull-dereference -Wduplicated-cond -Wlogical-op
ifeq ($(WERROR),1)
WARNINGS += -Werror
endif

ifeq ($(SANITIZE),1)
B        := build/asan
OPTFLAGS := -O1 -g -fno-omit-frame-pointer -fsanitize=address,undefined -fno-sanitize-recover=undefined
else
B        := build/release
OPTFLAGS := -O2 -g -D_FORTIFY_SOURCE=2
endif
ifdef CROSS
B        := build/$(ARCH)$(if $(filter 1,$(SANITIZE)),-asan)
FIXDIR   := $(B)/fixtures
EXDIR    := $(B)/examples
else
FIXDIR   := build/fixtures
EXDIR    := build/examples
endif

PROC2_CFLAGS := $(shell $(PKG_CONFIG) --cflags libproc2 2>/dev/null)
PROC2_LIBS   := $(shell $(PKG_CONFIG) --libs libproc2 2>/dev/null)
CMOCKA_LIBS  := $(shell $(PKG_CONFIG) --libs cmocka 2>/dev/null || echo -lcmocka)

PV_CPPFLAGS := -D_GNU_SOURCE -DPVMMAP_VERSION='"$(VERSION)"' -Iinclude -Isrc -Isrc/arch $(PROC2_CFLAGS)
# Hidden by default: only include/pvmmap.h's names are visible (it says so
# with a pragma), so that no engine name can leak out of libpvmmap.so.
PV_CFLAGS   := -std=gnu11 $(OPTFLAGS) $(WARNINGS) -fvisibility=hidden -MMD -MP
ALL_CPPFLAGS = $(PV_CPPFLAGS) $(CPPFLAGS)
ALL_CFLAGS   = $(PV_CFLAGS) $(CFLAGS)
ALL_LDFLAGS  = $(OPTFLAGS) $(LDFLAGS)

# An architecture is src/arch/ARCH.c, its register layout src/arch/ARCH.h (included
# by src/arch/ only) and its rescue code src/arch/ARCH-rescue.S: files added, none edited.
ARCH_SRC  := $(wildcard src/arch/$(ARCH).c)
ARCH_ASM  := $(wildcard src/arch/$(ARCH)-rescue.S)
# The command line's own files (src/main.c, src/cli_*.c); everything else is
# the library.
CLI_SRCS  := src/main.c $(wildcard src/cli_*.c)
LIB_SRCS  := $(filter-out $(CLI_SRCS),$(wildcard src/*.c)) $(ARCH_SRC)
LIB_OBJS  := $(LIB_SRCS:%.c=$(B)/%.o) $(ARCH_ASM:%.S=$(B)/%.o)
PIC_OBJS  := $(LIB_SRCS:%.c=$(B)/pic/%.o) $(ARCH_ASM:%.S=$(B)/pic/%.o)
CLI_OBJS  := $(CLI_SRCS:%.c=$(B)/%.o)
BIN       := $(B)/pvmmap
SONAME    := libpvmmap.so.$(SOVERSION)
SHLIB     := $(B)/$(SONAME)
STLIB     := $(B)/libpvmmap.a
LIBMAP    := src/libpvmmap.map
MAN3      := $(wildcard man/man3/*.3)
# Every name a page's NAME section lists (.Nm) is installed as a link to it.
MAN3_LINKS = $(foreach p,$(MAN3),$(foreach n,$(shell sed -n 's/^\.Nm \([A-Za-z_0-9]*\).*/\1/p' $(p)),\
	$(if $(filter $(n).3,$(notdir $(p))),,$(n).3:$(notdir $(p)))))
EXAMPLES  := $(patsubst examples/%.c,$(EXDIR)/%,$(wildcard examples/*.c))

UNIT_SRCS := $(wildcard tests/unit/test_*.c)
UNIT_BINS := $(UNIT_SRCS:tests/unit/%.c=$(B)/tests/unit/%)
UNIT_SUPPORT := $(filter-out $(UNIT_SRCS),$(wildcard tests/unit/*.c))

FIXTURE_SRCS := $(wildcard tests/fixtures/*.c)
FIXTURES     := $(FIXTURE_SRCS:tests/fixtures/%.c=$(FIXDIR)/%)

FUZZ_SRCS := $(wildcard tests/fuzz/fuzz_*.c)
FUZZ_BINS := $(FUZZ_SRCS:tests/fuzz/%.c=build/fuzz/%)

.PHONY: all lib examples libtests check check-aarch64 check-aarch64-smoke check-deps unit fixtures fuzz bench soak install uninstall clean
.DEFAULT_GOAL := all

# `make` builds the release binary, ./pvmmap; `make SANITIZE=1` builds
# build/asan/pvmmap as well ($(BIN)), and ./pvmmap stays the release build.
# A build for another architecture makes no ./pvmmap: it does not run here.
all: check-deps $(if $(CROSS),,pvmmap) $(BIN) lib

lib: $(SHLIB) $(B)/libpvmmap.so $(STLIB) build/pvmmap.pc

# The top-level ./pvmmap is always the release build, so README commands work.
pvmmap: build/release/pvmmap
	cp $< $@

ifneq ($(B),build/release)
build/release/pvmmap: FORCE
	$(MAKE) SANITIZE=0 build/release/pvmmap
endif
.PHONY: FORCE
FORCE:

check-deps:
	@$(PKG_CONFIG) --exists libproc2 || { \
	  echo "pvmmap needs libproc2 (procps-ng 4) and pkg-config:" >&2; \
	  echo "  apt-get install pkg-config libproc2-dev$(if $(CROSS),:$(subst aarch64,arm64,$(ARCH)))" >&2; exit 1; }

# The command links libpvmmap.a, not the shared library: ./pvmmap stays one
# self-contained file that runs from the source tree and survives `make
# uninstall` of the library, and a program that ptraces other processes
# loads no code from the run-time linker's search path (LD_LIBRARY_PATH).
# It still reaches the engine only through include/pvmmap.h.
$(BIN): $(CLI_OBJS) $(STLIB)
	$(CC) $(ALL_LDFLAGS) -o $@ $(CLI_OBJS) $(STLIB) $(PROC2_LIBS) $(LDLIBS)

$(STLIB): $(LIB_OBJS)
	@rm -f $@
	$(AR) rcs $@ $^

# -z defs: every name the library uses is in it or in the libraries it
# links; the version script exports include/pvmmap.h's names only.
$(SHLIB): $(PIC_OBJS) $(LIBMAP)
	$(CC) $(ALL_LDFLAGS) -shared -fPIC -Wl,-soname,$(SONAME) -Wl,--version-script=$(LIBMAP) \
	  -Wl,-z,defs -o $@ $(PIC_OBJS) $(PROC2_LIBS) $(LDLIBS)

$(B)/libpvmmap.so: $(SHLIB)
	ln -sf $(SONAME) $@

# Made anew each time: PREFIX and LIBDIR may differ between `make` and
# `make install`.
build/pvmmap.pc: pvmmap.pc.in FORCE
	@mkdir -p $(@D)
	sed -e 's|@PREFIX@|$(PREFIX)|' -e 's|@LIBDIR@|$(LIBDIR)|' -e 's|@INCLUDEDIR@|$(INCLUDEDIR)|' \
	  -e 's|@VERSION@|$(VERSION)|' $< > $@

$(B)/%.o: %.c
	@mkdir -p $(@D)
	$(CC) $(ALL_CPPFLAGS) $(ALL_CFLAGS) -c -o $@ $<

$(B)/%.o: %.S
	@mkdir -p $(@D)
	$(CC) $(ALL_CPPFLAGS) -MMD -MP -c -o $@ $<

$(B)/pic/%.o: %.c
	@mkdir -p $(@D)
	$(CC) $(ALL_CPPFLAGS) $(ALL_CFLAGS) -fPIC -c -o $@ $<

$(B)/pic/%.o: %.S
	@mkdir -p $(@D)
	$(CC) $(ALL_CPPFLAGS) -fPIC -MMD -MP -c -o $@ $<

# The examples, built against the tree's header and static library.
$(EXDIR)/%: examples/%.c include/pvmmap.h $(STLIB)
	@mkdir -p $(@D)
	$(CC) -std=gnu11 -O1 -g $(WARNINGS) -Iinclude $(CFLAGS) -o $@ $< \
	  $(STLIB) $(ALL_LDFLAGS) $(PROC2_LIBS) $(LDLIBS)

examples: $(EXAMPLES)

# A second client of the library for the end-to-end tests
# (tests/bats/library.bats), linked with the shared library of this build.
LIBTESTS := $(B)/tests/lib/pvjson
$(B)/tests/lib/%: tests/lib/%.c include/pvmmap.h $(SHLIB) $(B)/libpvmmap.so
	@mkdir -p $(@D)
	$(CC) $(ALL_CFLAGS) -Iinclude -o $@ $< $(ALL_LDFLAGS) -L$(B) -lpvmmap -Wl,-rpath,$(TESTDIR)/$(B)

libtests: $(LIBTESTS)

$(B)/tests/unit/%: tests/unit/%.c $(UNIT_SUPPORT) $(LIB_OBJS)
	@mkdir -p $(@D)
	$(CC) $(ALL_CPPFLAGS) $(ALL_CFLAGS) -DPVMMAP_SRCDIR='"$(TESTDIR)"' \
	  -DPVMMAP_FIXTURES='"$(TESTDIR)/$(FIXDIR)"' -o $@ $< $(UNIT_SUPPORT) \
	  $(LIB_OBJS) $(ALL_LDFLAGS) $(PROC2_LIBS) $(CMOCKA_LIBS) $(LDLIBS)

# Fixtures are the processes the tests drive: plain, never sanitized (ASan's
# shadow memory would be one more mapping kind in every listing).
$(FIXDIR)/%: tests/fixtures/%.c tests/fixtures/fixture_size.h
	@mkdir -p $(@D)
	$(CC) -std=gnu11 -D_GNU_SOURCE -O1 -g -Wall -Wextra $(CFLAGS) -pthread -o $@ $< $(LDFLAGS) -lrt

build/fuzz/%: tests/fuzz/%.c $(filter-out src/main.c src/proc.c,$(LIB_SRCS))
	@mkdir -p $(@D)
	$(FUZZ_CC) -std=gnu11 -D_GNU_SOURCE -Isrc -Isrc/arch -g -O1 -fsanitize=fuzzer,address,undefined \
	  -o $@ $< src/maps_parse.c src/procfs.c

unit: $(UNIT_BINS)
fixtures: $(FIXTURES)
fuzz: $(FUZZ_BINS)

# Every test: unit tests and the end-to-end suite against the sanitized build,
# the end-to-end suite again against the release build, and a bounded fuzz
# smoke.  tests/run prints the closing "N passed, N failed" line.
check: check-deps pvmmap lib libtests fixtures fuzz examples
	$(MAKE) SANITIZE=1 build/asan/pvmmap unit-asan libtests
	tests/run

unit-asan:
	$(MAKE) SANITIZE=1 unit

# The aarch64 build's unit tests and end-to-end suite on Debian's arm64 kernel
# under qemu-system-aarch64 (tests/aarch64/run; the guest's kernel and root
# filesystem are made once, from Debian packages, into build/aarch64-guest).
check-aarch64:
	$(MAKE) ARCH=aarch64 all unit fixtures libtests examples
	tests/aarch64/run build/aarch64

# The same with a smaller end-to-end part (CI's, for time): the unit tests and
# the files of AARCH64_SMOKE.
AARCH64_SMOKE ?= transfer.bats kinds.bats invisible.bats
check-aarch64-smoke:
	$(MAKE) ARCH=aarch64 all unit fixtures libtests examples
	TEST_ONLY="$(AARCH64_SMOKE)" tests/aarch64/run build/aarch64

bench: pvmmap fixtures
	tests/bench/run

soak: pvmmap fixtures
	tests/soak/run

install: pvmmap lib
	$(INSTALL) -d $(DESTDIR)$(BINDIR) $(DESTDIR)$(MANDIR)/man1 $(DESTDIR)$(BASHCOMPDIR) \
	  $(DESTDIR)$(ZSHCOMPDIR) $(DESTDIR)$(FISHCOMPDIR) $(DESTDIR)$(LIBDIR) \
	  $(DESTDIR)$(INCLUDEDIR) $(DESTDIR)$(PKGCONFIGDIR) $(DESTDIR)$(MANDIR)/man3
	$(INSTALL) -m 0755 pvmmap $(DESTDIR)$(BINDIR)/pvmmap
	$(INSTALL) -m 0644 pvmmap.1 $(DESTDIR)$(MANDIR)/man1/pvmmap.1
	$(INSTALL) -m 0644 completions/pvmmap $(DESTDIR)$(BASHCOMPDIR)/pvmmap
	$(INSTALL) -m 0644 completions/_pvmmap $(DESTDIR)$(ZSHCOMPDIR)/_pvmmap
	$(INSTALL) -m 0644 completions/pvmmap.fish $(DESTDIR)$(FISHCOMPDIR)/pvmmap.fish
	$(INSTALL) -m 0755 $(SHLIB) $(DESTDIR)$(LIBDIR)/$(SONAME)
	ln -sf $(SONAME) $(DESTDIR)$(LIBDIR)/libpvmmap.so
	$(INSTALL) -m 0644 $(STLIB) $(DESTDIR)$(LIBDIR)/libpvmmap.a
	$(INSTALL) -m 0644 include/pvmmap.h $(DESTDIR)$(INCLUDEDIR)/pvmmap.h
	$(INSTALL) -m 0644 build/pvmmap.pc $(DESTDIR)$(PKGCONFIGDIR)/pvmmap.pc
	$(INSTALL) -m 0644 $(MAN3) $(DESTDIR)$(MANDIR)/man3/
	@# the run-time linker's cache, for a real install (not a staged one)
	[ -n "$(DESTDIR)" ] || ldconfig 2>/dev/null || true
	$(foreach l,$(MAN3_LINKS),ln -sf $(word 2,$(subst :, ,$(l))) $(DESTDIR)$(MANDIR)/man3/$(word 1,$(subst :, ,$(l)));)

uninstall:
	rm -f $(DESTDIR)$(BINDIR)/pvmmap $(DESTDIR)$(MANDIR)/man1/pvmmap.1 \
	  $(DESTDIR)$(BASHCOMPDIR)/pvmmap $(DESTDIR)$(ZSHCOMPDIR)/_pvmmap \
	  $(DESTDIR)$(FISHCOMPDIR)/pvmmap.fish \
	  $(DESTDIR)$(LIBDIR)/$(SONAME) $(DESTDIR)$(LIBDIR)/libpvmmap.so $(DESTDIR)$(LIBDIR)/libpvmmap.a \
	  $(DESTDIR)$(INCLUDEDIR)/pvmmap.h $(DESTDIR)$(PKGCONFIGDIR)/pvmmap.pc \
	  $(addprefix $(DESTDIR)$(MANDIR)/man3/,$(notdir $(MAN3)) $(foreach l,$(MAN3_LINKS),$(word 1,$(subst :, ,$(l)))))

clean:
	rm -rf build pvmmap

-include $(LIB_OBJS:.o=.d) $(PIC_OBJS:.o=.d) $(CLI_OBJS:.o=.d)
