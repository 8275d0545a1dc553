# pileup - see README.md.  `make` builds ./pileup; `make check` runs the tests.
PREFIX ?= /usr/local
CC ?= cc
PKGS := libdw libelf ncursesw libzstd liblzma liblz4 zlib
VERSION := 0.1.0

CFLAGS ?= -O2 -g
WARN := -Wall -Wextra -Werror -Wno-unused-parameter
PKG_CFLAGS = $(shell pkg-config --cflags $(PKGS) 2>/dev/null)
PKG_LIBS = $(shell pkg-config --libs $(PKGS) 2>/dev/null)
ALL_CFLAGS = -std=gnu11 $(WARN) $(CFLAGS) $(PKG_CFLAGS) -D_GNU_SOURCE -DPILEUP_VERSION='"$(VERSION)"' -DPILEUP_LIBDIR='"$(PREFIX)/lib/pileup"' -Iinspector -Itui -MMD -MP
CURL_LIBS = $(shell pkg-config --libs libcurl 2>/dev/null)
LIBS = $(PKG_LIBS) $(CURL_LIBS) -lstdc++
# The release binary is linked statically, glibc included: a run on a
# small core is mostly process start, and loading shared libraries (a
# dozen for libdw's neighbours, then glibc alone) was a third of it, and
# the shared glibc's pages counted in pileup's memory.  pileup uses none of
# glibc's name services (user names come from /etc/passwd), and
# inspector/static/nodlopen.c makes libdwfl's dlopen of libdebuginfod load
# nothing; so the linker's warnings about dlopen and getpwnam in static
# programs are filtered out.  The sanitizer and fuzz builds link the
# shared libraries.
STATIC_LIBS = -static -ldw -lelf -lncursesw -ltinfo -lzstd -llzma -llz4 -lbz2 -lz -lstdc++ -lpthread -ldl -lm

LIB_SRC := $(wildcard inspector/*.c inspector/go/*.c) inspector/http/curl.c
LIB_SRC := $(filter-out inspector/main.c,$(LIB_SRC))
TUI_SRC := $(wildcard tui/*.c)
SRC := $(LIB_SRC) $(TUI_SRC) inspector/main.c

BUILD ?= build
OBJ := $(SRC:%.c=$(BUILD)/%.o)
# libcurl does not link statically on Debian 12 (HACKING.md): the static
# release binary fetches URLs through the helper pileup-http, a small
# dynamically linked program beside it running the same libcurl code
# (inspector/http/); the sanitizer and fuzz builds link libcurl itself.
STATIC_OBJ := $(filter-out $(BUILD)/inspector/http/curl.o,$(OBJ)) $(BUILD)/inspector/static/nodlopen.o $(BUILD)/inspector/static/http_spawn.o
HELPER_OBJ := $(BUILD)/inspector/http/helper.o $(BUILD)/inspector/http/curl.o $(BUILD)/inspector/error.o

all: pileup pileup-http

.deps-ok: scripts/deps.sh
	@scripts/deps.sh build
	@touch $@

pileup: $(STATIC_OBJ) Makefile
	@echo "$(CC) ... -static -o $@"
	@$(CC) $(CFLAGS) $(LDFLAGS) -o $@ $(STATIC_OBJ) $(STATIC_LIBS) 2>$(BUILD)/link.log || { cat $(BUILD)/link.log; exit 1; }

pileup-http: $(HELPER_OBJ) Makefile
	$(CC) $(CFLAGS) $(LDFLAGS) -o $@ $(HELPER_OBJ) $(CURL_LIBS)
	@grep -v -e 'in statically linked applications requires at runtime' -e ': in function .' $(BUILD)/link.log >&2 || true

$(BUILD)/%.o: %.c | .deps-ok
	@mkdir -p $(dir $@)
	$(CC) $(ALL_CFLAGS) -c -o $@ $<

# The same program built with AddressSanitizer and UBSan, for make check.
pileup-asan:
	$(MAKE) BUILD=build-asan CFLAGS="-O1 -g -fsanitize=address,undefined -fno-omit-frame-pointer -fno-sanitize-recover=all" \
		LDFLAGS="-fsanitize=address,undefined" pileup-asan-link

pileup-asan-link: $(OBJ)
	$(CC) $(CFLAGS) $(LDFLAGS) -o pileup-asan $(OBJ) $(LIBS)

# `make fuzz`: the core reader (and all the analysis after it) under
# libFuzzer with ASan and UBSan, for FUZZ_SECONDS.  An input that crashes
# it is written to fuzz/regressions/, which tests/t_core_bad.sh replays.
FUZZ_SECONDS ?= 300
FUZZ_SRC := $(filter-out inspector/target.c inspector/coredumpctl.c inspector/gcore.c,$(LIB_SRC)) fuzz/core_fuzz.c
FUZZ_SAN := -fsanitize=address,undefined -fno-sanitize-recover=all -fno-omit-frame-pointer

fuzz: fuzz-build
	@scripts/deps.sh test
	fuzz/run.sh build-fuzz/core_fuzz $(FUZZ_SECONDS)

# `make fuzz-dumps`: the readers of Go tracebacks and pprof profiles
# (fuzz/dumps_fuzz.c); findings go to fuzz/dumps-regressions/.
fuzz-dumps: fuzz-build
	@scripts/deps.sh test
	mkdir -p build-fuzz/dumps-corpus fuzz/dumps-regressions
	build-fuzz/dumps_fuzz build-fuzz/dumps-corpus fuzz/dumps-seeds fuzz/dumps-regressions -max_total_time=$(FUZZ_SECONDS) \
		-timeout=20 -rss_limit_mb=2048 -max_len=262144 -artifact_prefix=fuzz/dumps-regressions/ -print_final_stats=1

fuzz-build:
	@scripts/deps.sh test
	$(MAKE) BUILD=build-fuzz CC=clang CFLAGS="-O1 -g -fsanitize=fuzzer-no-link $(FUZZ_SAN)" build-fuzz/core_fuzz build-fuzz/dumps_fuzz

build-fuzz/core_fuzz: $(FUZZ_SRC:%.c=$(BUILD)/%.o)
	$(CC) $(CFLAGS) -fsanitize=fuzzer $(FUZZ_SAN) -o $@ $^ $(LIBS)

build-fuzz/dumps_fuzz: $(filter-out $(BUILD)/fuzz/core_fuzz.o,$(FUZZ_SRC:%.c=$(BUILD)/%.o)) $(BUILD)/fuzz/dumps_fuzz.o
	$(CC) $(CFLAGS) -fsanitize=fuzzer $(FUZZ_SAN) -o $@ $^ $(LIBS)

fixtures:
	$(MAKE) -C fixtures

TEST_HELPERS := tests/helpers/tracer tests/helpers/evilname tests/helpers/pngstat tests/helpers/measure

tests/helpers/%: tests/helpers/%.c
	$(CC) -O2 -Wall -Wextra -Werror -o $@ $<

tests/helpers/pngstat: tests/helpers/pngstat.c
	$(CC) -O2 -Wall -Wextra -Werror -o $@ $< -lz

check: pileup pileup-http pileup-asan fixtures $(TEST_HELPERS) fuzz-build
	@scripts/deps.sh test
	tests/check.sh

bench: pileup fixtures tests/helpers/measure
	@scripts/deps.sh test
	tests/bench/run.sh

demo: pileup fixtures
	@scripts/deps.sh build
	tests/demo.sh

install: pileup pileup-http
	install -D -m 755 pileup $(DESTDIR)$(PREFIX)/bin/pileup
	install -D -m 755 pileup-http $(DESTDIR)$(PREFIX)/lib/pileup/pileup-http

clean:
	rm -rf build build-asan build-fuzz pileup pileup-asan pileup-http .deps-ok
	$(MAKE) -C fixtures clean

-include $(OBJ:.o=.d) $(FUZZ_SRC:%.c=$(BUILD)/%.d) $(HELPER_OBJ:.o=.d) $(BUILD)/fuzz/dumps_fuzz.d
.PHONY: all check bench demo install clean fixtures pileup-asan pileup-asan-link fuzz fuzz-build fuzz-dumps
