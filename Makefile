# pileup - see README.md.  `make` builds ./pileup; `make check` runs the tests.
PREFIX ?= /usr/local
CC ?= cc
PKGS := libdw libelf ncursesw libzstd liblzma liblz4 zlib
VERSION := 0.1.0

CFLAGS ?= -O2 -g
WARN := -Wall -Wextra -Werror -Wno-unused-parameter
PKG_CFLAGS = $(shell pkg-config --cflags $(PKGS) 2>/dev/null)
PKG_LIBS = $(shell pkg-config --libs $(PKGS) 2>/dev/null)
# pileup's helper programs (pileup-http, pileup-debuginfod) are looked for
# beside the pileup binary, then here.
LIBEXECDIR ?= $(PREFIX)/libexec/pileup
ALL_CFLAGS = -std=gnu11 $(WARN) $(CFLAGS) $(PKG_CFLAGS) -D_GNU_SOURCE -DPILEUP_VERSION='"$(VERSION)"' \
	-DPILEUP_LIBEXECDIR='"$(LIBEXECDIR)"' -Iinspector -Itui -MMD -MP
CURL_LIBS = $(shell pkg-config --libs libcurl 2>/dev/null)
# libunwind-x86_64 holds the remote unwinder (libunwind-generic is its
# alias); libiberty (a static archive only) demangles C++ and Rust.
LIBS = $(PKG_LIBS) $(CURL_LIBS) -lunwind-x86_64 -lunwind-generic -liberty -lstdc++
# The release binary is linked statically, glibc included: a run on a
# small core is mostly process start, and loading shared libraries (a
# dozen for libdw's neighbours, then glibc alone) was a third of it, and
# the shared glibc's pages counted in pileup's memory.  pileup uses none of
# glibc's name services (user names come from /etc/passwd), and
# inspector/static/nodlopen.c makes libdwfl's dlopen of libdebuginfod load
# nothing; so the linker's warnings about dlopen and getpwnam in static
# programs are filtered out.  The sanitizer and fuzz builds link the
# shared libraries.  libdebuginfod (and libcurl under it) come as shared
# libraries only, so --debuginfod runs pileup-debuginfod, a small
# dynamically linked helper built beside pileup (debuginfod.h).
STATIC_LIBS = -static -ldw -lelf -lunwind-x86_64 -lunwind -liberty -lncursesw -ltinfo -lzstd -llzma -llz4 -lbz2 -lz -lstdc++ -lpthread -ldl -lm

LIB_SRC := $(wildcard inspector/*.c inspector/go/*.c inspector/unwind/*.c) inspector/http/curl.c
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

all: pileup pileup-http pileup-debuginfod

.deps-ok: scripts/deps.sh
	@scripts/deps.sh build
	@touch $@

pileup: $(STATIC_OBJ) Makefile
	@echo "$(CC) ... -static -o $@"
	@$(CC) $(CFLAGS) $(LDFLAGS) -o $@ $(STATIC_OBJ) $(STATIC_LIBS) 2>$(BUILD)/link.log || { cat $(BUILD)/link.log; exit 1; }
	@grep -v -e 'in statically linked applications requires at runtime' -e ': in function .' $(BUILD)/link.log >&2 || true

pileup-http: $(HELPER_OBJ) Makefile
	$(CC) $(CFLAGS) $(LDFLAGS) -o $@ $(HELPER_OBJ) $(CURL_LIBS)

# --debuginfod's helper (debuginfod.h), linked with the shared libdebuginfod.
pileup-debuginfod: inspector/debuginfod/fetch.c Makefile | .deps-ok
	$(CC) -std=gnu11 $(WARN) $(CFLAGS) $(shell pkg-config --cflags libdebuginfod 2>/dev/null) -o $@ $< \
		$(shell pkg-config --libs libdebuginfod 2>/dev/null) -lpthread

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
	$(MAKE) BUILD=build-fuzz CC=clang CFLAGS="-O1 -g -fsanitize=fuzzer-no-link $(FUZZ_SAN)" build-fuzz/core_fuzz build-fuzz/dumps_fuzz build-fuzz/perfmap_fuzz build-fuzz/json_fuzz

# The perf map reader (perfmap.h) on its own: FUZZ_SECONDS on it with
# `make fuzz-perfmap`; its seeds are replayed by tests/t_native_perfmap.sh.
build-fuzz/perfmap_fuzz: $(BUILD)/inspector/perfmap.o $(BUILD)/inspector/error.o $(BUILD)/fuzz/perfmap_fuzz.o
	$(CC) $(CFLAGS) -fsanitize=fuzzer $(FUZZ_SAN) -o $@ $^

fuzz-perfmap: fuzz-build
	mkdir -p build-fuzz/perfmap-corpus
	build-fuzz/perfmap_fuzz -max_total_time=$(FUZZ_SECONDS) -artifact_prefix=fuzz/regressions/perfmap- build-fuzz/perfmap-corpus fuzz/perfmap-seeds

build-fuzz/core_fuzz: $(FUZZ_SRC:%.c=$(BUILD)/%.o)
	$(CC) $(CFLAGS) -fsanitize=fuzzer $(FUZZ_SAN) -o $@ $^ $(LIBS)

build-fuzz/dumps_fuzz: $(filter-out $(BUILD)/fuzz/core_fuzz.o,$(FUZZ_SRC:%.c=$(BUILD)/%.o)) $(BUILD)/fuzz/dumps_fuzz.o
	$(CC) $(CFLAGS) -fsanitize=fuzzer $(FUZZ_SAN) -o $@ $^ $(LIBS)

# `make fuzz-json`: the saved-report reader (fuzz/json_fuzz.c), versions 1
# and 2; findings go to fuzz/json-regressions/, which tests/t_json2.sh replays.
build-fuzz/json_fuzz: $(filter-out $(BUILD)/fuzz/core_fuzz.o,$(FUZZ_SRC:%.c=$(BUILD)/%.o)) $(BUILD)/fuzz/json_fuzz.o
	$(CC) $(CFLAGS) -fsanitize=fuzzer $(FUZZ_SAN) -o $@ $^ $(LIBS)

fuzz-json: fuzz-build
	mkdir -p build-fuzz/json-corpus fuzz/json-regressions
	build-fuzz/json_fuzz build-fuzz/json-corpus fuzz/json-seeds fuzz/json-regressions -max_total_time=$(FUZZ_SECONDS) \
		-timeout=20 -rss_limit_mb=2048 -max_len=262144 -artifact_prefix=fuzz/json-regressions/ -print_final_stats=1

# The fixtures need the test packages and the Go toolchains (deps.sh test
# installs or fetches them; fixtures/Makefile names each toolchain by path).
fixtures:
	@scripts/deps.sh test
	$(MAKE) -C fixtures

TEST_HELPERS := tests/helpers/tracer tests/helpers/evilname tests/helpers/pngstat tests/helpers/measure \
                tests/helpers/loopport tests/helpers/elfcut

tests/helpers/%: tests/helpers/%.c
	$(CC) -O2 -Wall -Wextra -Werror -o $@ $<

tests/helpers/pngstat: tests/helpers/pngstat.c
	$(CC) -O2 -Wall -Wextra -Werror -o $@ $< -lz

# check and bench: first what they need is installed (deps.sh test), then
# it is built: a sub-make, so that even with -j nothing is built (or
# installed a second time) before deps.sh has run.
check:
	@scripts/deps.sh test
	@$(MAKE) --no-print-directory pileup pileup-http pileup-debuginfod pileup-asan fixtures $(TEST_HELPERS) fuzz-build
	tests/check.sh

bench:
	@scripts/deps.sh test
	@$(MAKE) --no-print-directory pileup fixtures tests/helpers/measure
	scripts/bench-tools.sh
	tests/bench/run.sh
	tests/bench/native.sh
	tests/bench/core.sh
	BENCH_DLV=fixtures/bin/tools/dlv tests/bench/go.sh
	PP=fixtures/bin/tools/pp tests/bench/dumps.sh
	tests/bench/leaks.sh
	tests/bench/scale.sh

# The demo needs only the build packages and libc6-dbg (deps.sh demo), and
# the C service fixture: no Go, nothing else of the tests.
demo:
	@scripts/deps.sh demo
	@$(MAKE) --no-print-directory pileup
	@$(MAKE) --no-print-directory -C fixtures bin/service
	tests/demo.sh

install: pileup pileup-http pileup-debuginfod
	install -D -m 755 pileup $(DESTDIR)$(PREFIX)/bin/pileup
	install -D -m 755 pileup-http $(DESTDIR)$(LIBEXECDIR)/pileup-http
	install -D -m 755 pileup-debuginfod $(DESTDIR)$(LIBEXECDIR)/pileup-debuginfod

clean:
	rm -rf build build-asan build-fuzz pileup pileup-asan pileup-http pileup-debuginfod .deps-ok
	$(MAKE) -C fixtures clean

# clean, and the Go toolchains deps.sh fetched into fixtures/bin/toolchains.
distclean: clean
	$(MAKE) -C fixtures distclean

-include $(OBJ:.o=.d) $(FUZZ_SRC:%.c=$(BUILD)/%.d) $(HELPER_OBJ:.o=.d) $(BUILD)/fuzz/dumps_fuzz.d $(BUILD)/fuzz/perfmap_fuzz.d $(BUILD)/fuzz/json_fuzz.d
.PHONY: all check bench demo install clean distclean fixtures pileup-asan pileup-asan-link fuzz fuzz-build fuzz-dumps fuzz-perfmap fuzz-json
