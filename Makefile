# pvmmap — GNU make.  `make`, `make check`, `make install`, `make bench`.
# The user's CPPFLAGS/CFLAGS/LDFLAGS/LDLIBS are added to, never replaced.

PREFIX      ?= /usr/local
BINDIR      ?= $(PREFIX)/bin
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
ARCH        ?= $(shell uname -m)

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

PROC2_CFLAGS := $(shell $(PKG_CONFIG) --cflags libproc2 2>/dev/null)
PROC2_LIBS   := $(shell $(PKG_CONFIG) --libs libproc2 2>/dev/null)
CMOCKA_LIBS  := $(shell $(PKG_CONFIG) --libs cmocka 2>/dev/null || echo -lcmocka)

PV_CPPFLAGS := -D_GNU_SOURCE -DPVMMAP_VERSION='"$(VERSION)"' -Isrc -Isrc/arch $(PROC2_CFLAGS)
PV_CFLAGS   := -std=gnu11 $(OPTFLAGS) $(WARNINGS) -MMD -MP
ALL_CPPFLAGS = $(PV_CPPFLAGS) $(CPPFLAGS)
ALL_CFLAGS   = $(PV_CFLAGS) $(CFLAGS)
ALL_LDFLAGS  = $(OPTFLAGS) $(LDFLAGS)

# An architecture is src/arch/ARCH.c, its register layout src/arch/ARCH.h (included
# by src/arch/ only) and its rescue code src/arch/ARCH-rescue.S: files added, none edited.
ARCH_SRC  := $(wildcard src/arch/$(ARCH).c)
ARCH_ASM  := $(wildcard src/arch/$(ARCH)-rescue.S)
LIB_SRCS  := $(filter-out src/main.c,$(wildcard src/*.c)) $(ARCH_SRC)
LIB_OBJS  := $(LIB_SRCS:%.c=$(B)/%.o) $(ARCH_ASM:%.S=$(B)/%.o)
MAIN_OBJ  := $(B)/src/main.o
BIN       := $(B)/pvmmap

UNIT_SRCS := $(wildcard tests/unit/test_*.c)
UNIT_BINS := $(UNIT_SRCS:tests/unit/%.c=$(B)/tests/unit/%)
UNIT_SUPPORT := $(filter-out $(UNIT_SRCS),$(wildcard tests/unit/*.c))

FIXTURE_SRCS := $(wildcard tests/fixtures/*.c)
FIXTURES     := $(FIXTURE_SRCS:tests/fixtures/%.c=build/fixtures/%)

FUZZ_SRCS := $(wildcard tests/fuzz/fuzz_*.c)
FUZZ_BINS := $(FUZZ_SRCS:tests/fuzz/%.c=build/fuzz/%)

.PHONY: all check check-deps unit fixtures fuzz bench soak install uninstall clean
.DEFAULT_GOAL := all

# `make` builds the release binary, ./pvmmap; `make SANITIZE=1` builds
# build/asan/pvmmap as well ($(BIN)), and ./pvmmap stays the release build.
all: check-deps pvmmap $(BIN)

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
	  echo "  apt-get install pkg-config libproc2-dev" >&2; exit 1; }

$(BIN): $(LIB_OBJS) $(MAIN_OBJ)
	$(CC) $(ALL_LDFLAGS) -o $@ $^ $(PROC2_LIBS) $(LDLIBS)

$(B)/%.o: %.c
	@mkdir -p $(@D)
	$(CC) $(ALL_CPPFLAGS) $(ALL_CFLAGS) -c -o $@ $<

$(B)/%.o: %.S
	@mkdir -p $(@D)
	$(CC) $(ALL_CPPFLAGS) -MMD -MP -c -o $@ $<

$(B)/tests/unit/%: tests/unit/%.c $(UNIT_SUPPORT) $(LIB_OBJS)
	@mkdir -p $(@D)
	$(CC) $(ALL_CPPFLAGS) $(ALL_CFLAGS) -DPVMMAP_SRCDIR='"$(CURDIR)"' -o $@ $< $(UNIT_SUPPORT) \
	  $(LIB_OBJS) $(ALL_LDFLAGS) $(PROC2_LIBS) $(CMOCKA_LIBS) $(LDLIBS)

# Fixtures are the processes the tests drive: plain, never sanitized (ASan's
# shadow memory would be one more mapping kind in every listing).
build/fixtures/%: tests/fixtures/%.c
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
check: check-deps pvmmap fixtures fuzz
	$(MAKE) SANITIZE=1 build/asan/pvmmap unit-asan
	tests/run

unit-asan:
	$(MAKE) SANITIZE=1 unit

bench: pvmmap fixtures
	tests/bench/run

soak: pvmmap fixtures
	tests/soak/run

install: pvmmap
	$(INSTALL) -d $(DESTDIR)$(BINDIR) $(DESTDIR)$(MANDIR)/man1 $(DESTDIR)$(BASHCOMPDIR) \
	  $(DESTDIR)$(ZSHCOMPDIR) $(DESTDIR)$(FISHCOMPDIR)
	$(INSTALL) -m 0755 pvmmap $(DESTDIR)$(BINDIR)/pvmmap
	$(INSTALL) -m 0644 pvmmap.1 $(DESTDIR)$(MANDIR)/man1/pvmmap.1
	$(INSTALL) -m 0644 completions/pvmmap $(DESTDIR)$(BASHCOMPDIR)/pvmmap
	$(INSTALL) -m 0644 completions/_pvmmap $(DESTDIR)$(ZSHCOMPDIR)/_pvmmap
	$(INSTALL) -m 0644 completions/pvmmap.fish $(DESTDIR)$(FISHCOMPDIR)/pvmmap.fish

uninstall:
	rm -f $(DESTDIR)$(BINDIR)/pvmmap $(DESTDIR)$(MANDIR)/man1/pvmmap.1 \
	  $(DESTDIR)$(BASHCOMPDIR)/pvmmap $(DESTDIR)$(ZSHCOMPDIR)/_pvmmap \
	  $(DESTDIR)$(FISHCOMPDIR)/pvmmap.fish

clean:
	rm -rf build pvmmap

-include $(LIB_OBJS:.o=.d) $(MAIN_OBJ:.o=.d)
