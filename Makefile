# vllm-eval — build, test, install.
#
#   make            build every tool into bin/ (objects in build/)
#   make check      install missing Debian packages, then run the bats suite
#                   three times: normal build, ASan+UBSan build, tools under valgrind
#   make bench      benchmarks under tests/bench/ (they print figures; nothing is timed as a test)
#   make lint       clang-format check, banned functions, mandoc -Tlint
#   make fuzz       libFuzzer targets of tests/fuzz/, FUZZ_SECONDS (600) each
#   make fuzz-smoke the same targets over their seeds and 2000 more runs (in check)
#   make install    PREFIX=/usr/local DESTDIR= BINDIR= MANDIR=
#   make demo       the main job against vllm-sim on loopback
#   make screenshots README's card and report pictures (docs/), from the demo's runs

VERSION  = 0.1.0
PREFIX  ?= /usr/local
BINDIR  ?= $(PREFIX)/bin
MANDIR  ?= $(PREFIX)/share/man
SHAREDIR ?= $(PREFIX)/share/vllm-eval

CC      ?= cc
PKGS     = libcurl libarchive libxxhash libutf8proc libcrypto zlib yaml-0.1 libmicrohttpd libpcre2-8 \
           libseccomp
# Debian 12's libjq-dev ships no pkg-config file.
JQ_LIBS  = -ljq -lonig
WARN     = -Wall -Wextra -Wshadow -Wstrict-prototypes -Wmissing-prototypes
ifeq ($(CI),true)
WARN    += -Werror
endif
OPT     ?= -O2 -g
CFLAGS  ?=
CPPFLAGS += -D_GNU_SOURCE -DVE_VERSION='"$(VERSION)"' -Ilib
ALL_CFLAGS = -std=c11 $(OPT) $(WARN) $(shell pkg-config --cflags $(PKGS) 2>/dev/null) $(CFLAGS)
LDLIBS  = $(shell pkg-config --libs $(PKGS) 2>/dev/null) $(JQ_LIBS) -lm -lpthread

# BUILD is where objects go; BIN where programs go. The sanitizer tier reuses
# the rules with its own directories and flags.
BUILD   ?= build
BIN     ?= bin

TOOLS    = $(patsubst tools/%.c,%,$(wildcard tools/*.c))
LIBSRC   = $(wildcard lib/*.c)
LIBOBJ   = $(patsubst lib/%.c,$(BUILD)/lib/%.o,$(LIBSRC))
HDRS     = $(wildcard lib/*.h lib/*.inc)
PROGS    = $(addprefix $(BIN)/,$(TOOLS))
# Test drivers: programs the bats tests run to reach library code no tool
# calls yet. They are built beside the tools, so that every tier (plain,
# ASan, valgrind) runs them, and never installed.
TESTPROGS = $(BIN)/lcbdata-check $(BIN)/answer-check $(BIN)/fmtnum-check

.SECONDARY:
.PHONY: all check test test-asan test-valgrind bench lint install uninstall clean demo deps \
	fuzz fuzz-smoke fuzz-build screenshots
all: $(PROGS) $(TESTPROGS)

$(BUILD)/lib/%.o: lib/%.c $(HDRS)
	@mkdir -p $(@D)
	$(CC) $(CPPFLAGS) $(ALL_CFLAGS) -c -o $@ $<

$(BUILD)/tools/%.o: tools/%.c $(HDRS)
	@mkdir -p $(@D)
	$(CC) $(CPPFLAGS) $(ALL_CFLAGS) -c -o $@ $<

$(BUILD)/libve.a: $(LIBOBJ)
	@rm -f $@
	$(AR) rcs $@ $^

$(BIN)/%: $(BUILD)/tools/%.o $(BUILD)/libve.a
	@mkdir -p $(@D)
	$(CC) $(ALL_CFLAGS) $(LDFLAGS) -o $@ $< $(BUILD)/libve.a $(LDLIBS)

$(BIN)/lcbdata-check: tests/fuzz/lcbdata-check.c $(BUILD)/libve.a $(HDRS)
	@mkdir -p $(@D)
	$(CC) $(CPPFLAGS) $(ALL_CFLAGS) $(LDFLAGS) -o $@ $< $(BUILD)/libve.a $(LDLIBS)

$(BIN)/answer-check: tests/fuzz/answer-check.c tests/fuzz/answer-desc.h $(BUILD)/libve.a $(HDRS)
	@mkdir -p $(@D)
	$(CC) $(CPPFLAGS) $(ALL_CFLAGS) $(LDFLAGS) -o $@ $< $(BUILD)/libve.a $(LDLIBS)

$(BIN)/fmtnum-check: tests/fuzz/fmtnum-check.c $(BUILD)/libve.a $(HDRS)
	@mkdir -p $(@D)
	$(CC) $(CPPFLAGS) $(ALL_CFLAGS) $(LDFLAGS) -o $@ $< $(BUILD)/libve.a $(LDLIBS)

deps:
	@sh pipelines/install-deps.sh

# The three tiers. Each one's TAP goes to build/tap/TIER.tap so .ci/run can count it.
check: deps
	$(MAKE) all
	$(MAKE) lint
	$(MAKE) fuzz-smoke
	$(MAKE) test
	$(MAKE) test-asan
	$(MAKE) test-valgrind

BATS      = bats
BATSFLAGS ?=
test: all
	@mkdir -p build/tap
	VE_BIN=$(CURDIR)/bin VE_TIER=plain sh tests/run-tier.sh plain tests/*.bats

test-asan:
	$(MAKE) BUILD=build/asan BIN=build/asan/bin OPT='-O1 -g -fno-omit-frame-pointer -fsanitize=address,undefined -fno-sanitize-recover=all' LDFLAGS='-fsanitize=address,undefined' all
	@mkdir -p build/tap
	VE_BIN=$(CURDIR)/build/asan/bin VE_TIER=asan \
	ASAN_OPTIONS=detect_leaks=1:abort_on_error=0:exitcode=99 UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1:exitcode=99 \
	sh tests/run-tier.sh asan tests/*.bats

# valgrind runs the per-tool tests (not the pipelines nor the manifests) through wrapper scripts
# that exec each program under memcheck; any error or definite leak makes the
# program exit 99, which the tests see as a wrong exit status. The documentation's
# examples (tests/examples.bats) are integration tests of the same programs, with
# servers and load tests that would take many minutes under memcheck: the plain
# and ASan tiers run them. So do the tests of the pipeline scripts and task
# templates that are not in pipelines*.bats (perf-bench.sh, push-status.sh,
# share/tasks), of the dashboard's SQL (grafana.bats), of the benchmarks' data
# generator (gen-standard.bats), of the HTML report (report.bats, a browser
# run per check), of the card as Teams' renderer draws it (card-render.bats,
# the same) and of a ClickHouse cluster (ch-cluster.bats: ZooKeeper and four
# servers, which are not ours): the programs they call have files of their
# own. As root, the tier hides libc's debugging symbols from memcheck
# (tests/valgrind-tier.sh).
test-valgrind: all
	@mkdir -p build/tap
	sh tests/valgrind-wrap.sh $(CURDIR)/bin $(CURDIR)/build/vg
	VE_BIN=$(CURDIR)/build/vg/bin VE_TIER=valgrind sh tests/valgrind-tier.sh $(CURDIR)/bin $(filter-out tests/pipelines%.bats tests/grafana.bats tests/argo.bats tests/examples.bats tests/perf-bench.bats tests/push-status.bats tests/tasks.bats tests/gen-standard.bats tests/report.bats \
	tests/card-render.bats tests/ch-cluster.bats,$(wildcard tests/*.bats))

# The main job against vllm-sim on loopback, a reasoning model's: a good
# release three times, then a degraded one (it thinks longer and answers
# worse, and its tokens are slower) whose release verdict is regression,
# shown as a card. Results under runs/demo/.
demo: deps
	$(MAKE) all
	sh pipelines/demo.sh

# README's pictures: the degraded release's card as Teams' renderer draws
# it, and its report, from the runs `make demo` leaves (it runs the demo
# when there are none), shrunk into docs/ (docs/screenshots.sh).
screenshots: deps
	$(MAKE) all
	@[ -f runs/demo/demo-4-release-1.5.0/report.html ] || sh pipelines/demo.sh
	sh docs/screenshots.sh

bench: all
	@for b in tests/bench/*.sh; do echo "== $$b"; sh $$b || exit 1; done

lint:
	@sh tests/lint.sh

# Fuzzing (tests/fuzz/README.md). The library is built again with clang's
# coverage instrumentation (fuzzer-no-link) and the sanitizers, and each
# tests/fuzz/NAME.c is linked with libFuzzer's main into build/fuzz/bin/NAME.
FUZZ_CC      ?= clang-14
FUZZ_SECONDS ?= 600
FUZZ_BUILD    = build/fuzz
FUZZ_SAN      = address,undefined
FUZZ_CFLAGS   = -std=c11 -O1 -g -fno-omit-frame-pointer -fno-sanitize-recover=all $(WARN) \
                $(shell pkg-config --cflags $(PKGS) 2>/dev/null)
FUZZ_TARGETS  = input jq record sse manifest canon simreq lcbdata answer fmtnum
FUZZ_LIBOBJ   = $(patsubst lib/%.c,$(FUZZ_BUILD)/lib/%.o,$(LIBSRC))

$(FUZZ_BUILD)/lib/%.o: lib/%.c $(HDRS)
	@mkdir -p $(@D)
	$(FUZZ_CC) $(CPPFLAGS) $(FUZZ_CFLAGS) -fsanitize=fuzzer-no-link,$(FUZZ_SAN) -c -o $@ $<

$(FUZZ_BUILD)/libve.a: $(FUZZ_LIBOBJ)
	@rm -f $@
	$(AR) rcs $@ $^

# jq-leak.c goes into each target; jq.c includes lib/json.c, so it depends on it too.
FUZZ_DEPS     = tests/fuzz/jq-leak.c tests/fuzz/jq-leak.h $(FUZZ_BUILD)/libve.a $(HDRS) lib/json.c \
                tests/fuzz/answer-desc.h
$(FUZZ_BUILD)/bin/%: tests/fuzz/%.c $(FUZZ_DEPS)
	@mkdir -p $(@D)
	$(FUZZ_CC) $(CPPFLAGS) $(FUZZ_CFLAGS) -fsanitize=fuzzer,$(FUZZ_SAN) -o $@ $< \
		tests/fuzz/jq-leak.c $(FUZZ_BUILD)/libve.a $(LDLIBS)

fuzz-build: $(addprefix $(FUZZ_BUILD)/bin/,$(FUZZ_TARGETS))

fuzz: fuzz-build
	sh tests/fuzz/run.sh long $(FUZZ_SECONDS) $(FUZZ_TARGETS)

fuzz-smoke: fuzz-build
	sh tests/fuzz/run.sh smoke 2000 $(FUZZ_TARGETS)

install: all
	install -d $(DESTDIR)$(BINDIR) $(DESTDIR)$(MANDIR)/man1 $(DESTDIR)$(MANDIR)/man7 $(DESTDIR)$(SHAREDIR)
	install -m 755 $(PROGS) $(DESTDIR)$(BINDIR)
	install -m 644 man/*.1 $(DESTDIR)$(MANDIR)/man1
	install -m 644 man/*.7 $(DESTDIR)$(MANDIR)/man7
	cp -R share/. $(DESTDIR)$(SHAREDIR)

uninstall:
	rm -f $(addprefix $(DESTDIR)$(BINDIR)/,$(TOOLS))
	rm -f $(addprefix $(DESTDIR)$(MANDIR)/man1/,$(addsuffix .1,$(TOOLS))) $(DESTDIR)$(MANDIR)/man7/vllm-eval.7
	rm -rf $(DESTDIR)$(SHAREDIR)

clean:
	rm -rf build bin
