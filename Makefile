# ustack - a user-space TCP/IP stack for Linux
#
#   make            build everything into build/
#   make check      every test: unit (also under ASan+UBSan), clang build,
#                   a short fuzz run, integration in network namespaces,
#                   the wire test against the kernel (needs root)
#   make fuzz       run each libFuzzer target for FUZZ_SECONDS (default 60)
#   make demo       install what is missing, build, run the demo
#   make deps       apt-get install what the build and tests need
#   make install    PREFIX=/usr/local DESTDIR=
#   make clean

# builds use every core (CI has two: a full make check took 29 minutes of
# its 30 compiling one file at a time); test phases still run one at a time
NPROC := $(shell nproc 2>/dev/null || echo 1)
MAKEFLAGS += -j$(NPROC)

PREFIX ?= /usr/local
SYSCONFDIR ?= /etc
UNITDIR ?= $(PREFIX)/lib/systemd/system
DESTDIR ?=
BUILD ?= build
CC ?= cc

WARN := -Wall -Wextra -Werror -Wshadow -Wformat=2 -Wstrict-prototypes \
	-Wmissing-prototypes -Wno-unused-parameter
# snprintf truncation is intended where we use it; clang has no such warning
ifneq ($(findstring clang,$(shell $(CC) --version 2>/dev/null | head -n1)),clang)
WARN += -Wno-format-truncation
endif
CFLAGS ?= -O2 -g
ifdef SAN
CFLAGS := -O1 -g -fno-omit-frame-pointer -fsanitize=address,undefined \
	-fno-sanitize-recover=all
LDFLAGS += -fsanitize=address,undefined
endif
# libFuzzer targets: clang instruments everything it builds for coverage
ifdef FUZZ
CFLAGS := -O1 -g -fno-omit-frame-pointer \
	-fsanitize=fuzzer-no-link,address,undefined -fno-sanitize-recover=all \
	-fsanitize-coverage-ignorelist=test/fuzz/nocov.txt
LDFLAGS += -fsanitize=fuzzer,address,undefined
endif
ALL_CFLAGS := -std=gnu11 $(WARN) $(CFLAGS) -fPIC -D_GNU_SOURCE \
	-D_FORTIFY_SOURCE=2 -fstack-protector-strong -MMD -MP
CPPFLAGS += -Idaemon/stack -Idaemon -Iproto

# The engine and the pure parts of the daemon: everything the unit tests
# and the simulator link against. No libevent, no libpcap here.
CORE_SRC := $(wildcard daemon/stack/*.c) daemon/link/impair.c \
	daemon/link/offload.c daemon/rpc/rxlog.c daemon/rpc/ackmark.c \
	$(wildcard proto/*.c)
DAEMON_SRC := $(filter-out daemon/link/impair.c daemon/link/offload.c \
	daemon/rpc/rxlog.c daemon/rpc/ackmark.c, \
	$(wildcard daemon/*.c daemon/link/*.c daemon/rpc/*.c))
UNIT_SRC := $(wildcard test/unit/*.c)
# libustack.so (the ustack_* calls) and libustack-preload.so (libc's names)
CLIENT_SRC := libclient/client.c libclient/dgram.c libclient/errq.c \
	libclient/epoll.c libclient/fdtab.c \
	libclient/ifaddr.c libclient/names.c libclient/rawsys.c
PRELOAD_SRC := libclient/preload.c libclient/trap.c libclient/trapbpf.c
SOCKTEST_SRC := $(wildcard test/sockets/*.c)
SOCKTEST_BIN := $(SOCKTEST_SRC:%.c=$(BUILD)/%)
# test/integration's own programs (70-scale's churn client and server)
ITEST_SRC := $(wildcard test/integration/*/*.c)
ITEST_BIN := $(ITEST_SRC:%.c=$(BUILD)/%)
CLIENT_OBJ := $(CLIENT_SRC:%.c=$(BUILD)/%.o) $(BUILD)/libclient/proto.o
PRELOAD_OBJ := $(PRELOAD_SRC:%.c=$(BUILD)/%.o)
CLIENT_LIBS := $(BUILD)/libustack.so $(BUILD)/libustack-preload.so
SIM_SRC := $(wildcard test/sim/*.c)

CORE_OBJ := $(CORE_SRC:%.c=$(BUILD)/%.o)
DAEMON_OBJ := $(DAEMON_SRC:%.c=$(BUILD)/%.o)
UNIT_OBJ := $(UNIT_SRC:%.c=$(BUILD)/%.o)
SIM_OBJ := $(SIM_SRC:%.c=$(BUILD)/%.o)

LIBS_DAEMON := -levent -lpcap
LIBS_UNIT := -lcriterion

.PHONY: all check check-unit check-asan check-clang check-integration \
	check-integration-nooffload \
	check-sim check-man check-install check-service check-wire deps demo \
	install clean

all: $(BUILD)/ustackd $(BUILD)/ustackctl $(CLIENT_LIBS) $(BUILD)/ustack-run \
	$(SOCKTEST_BIN) $(ITEST_BIN) $(BUILD)/test/libustack/api

$(BUILD)/%.o: %.c
	@mkdir -p $(dir $@)
	$(CC) $(CPPFLAGS) $(ALL_CFLAGS) -c $< -o $@

# the client libraries export only their API: everything else is hidden
$(BUILD)/libclient/%.o: libclient/%.c
	@mkdir -p $(dir $@)
	$(CC) $(CPPFLAGS) -Ilibclient $(ALL_CFLAGS) -fvisibility=hidden -c $< -o $@

$(BUILD)/libclient/proto.o: proto/proto.c
	@mkdir -p $(dir $@)
	$(CC) $(CPPFLAGS) $(ALL_CFLAGS) -fvisibility=hidden -c $< -o $@

$(BUILD)/libustack.so: $(CLIENT_OBJ)
	$(CC) $(LDFLAGS) -shared -Wl,-soname,libustack.so -Wl,-z,defs -o $@ $^ -ldl -lpthread

$(BUILD)/libustack-preload.so: $(CLIENT_OBJ) $(PRELOAD_OBJ)
	$(CC) $(LDFLAGS) -shared -Wl,-soname,libustack-preload.so -Wl,-z,defs -o $@ $^ -ldl -lpthread

# ustack-run carries the supervisor (libclient/supervise.c) and the client
$(BUILD)/ustack-run: tools/ustack-run.c $(BUILD)/libclient/trapbpf.o \
		$(BUILD)/libclient/supervise.o $(CLIENT_OBJ) $(BUILD)/libcore.a
	@mkdir -p $(dir $@)
	$(CC) $(CPPFLAGS) $(ALL_CFLAGS) -Ilibclient -DUSTACK_LIBDIR='"$(PREFIX)/lib"' $(LDFLAGS) -o $@ $< $(BUILD)/libclient/trapbpf.o $(BUILD)/libclient/supervise.o $(CLIENT_OBJ) $(BUILD)/libcore.a -ldl -lpthread

# socket test programs: plain programs, run under ustack-run and on the kernel
$(BUILD)/test/sockets/%: test/sockets/%.c test/sockets/common.h
	@mkdir -p $(dir $@)
	$(CC) $(CPPFLAGS) $(ALL_CFLAGS) $(LDFLAGS) -o $@ $< -lpthread

$(BUILD)/test/integration/%: test/integration/%.c
	@mkdir -p $(dir $@)
	$(CC) $(CPPFLAGS) $(ALL_CFLAGS) $(LDFLAGS) -o $@ $<

# the explicit API, linked against libustack.so (found next to the build)
$(BUILD)/test/libustack/api: test/libustack/api.c $(BUILD)/libustack.so
	@mkdir -p $(dir $@)
	$(CC) -Ilibclient $(ALL_CFLAGS) $(LDFLAGS) -o $@ $< -L$(BUILD) -lustack \
		-Wl,-rpath,'$$ORIGIN/../..'

$(BUILD)/libcore.a: $(CORE_OBJ)
	@rm -f $@
	ar rcs $@ $^

$(BUILD)/ustackd: $(DAEMON_OBJ) $(BUILD)/libcore.a
	$(CC) $(LDFLAGS) -o $@ $^ $(LIBS_DAEMON)

$(BUILD)/ustackctl: $(BUILD)/tools/ustackctl.o $(BUILD)/libcore.a
	$(CC) $(LDFLAGS) -o $@ $^

# the unit tests also run the libc trap's seccomp filter (libclient/trapbpf.c)
$(BUILD)/unit-tests: $(UNIT_OBJ) $(BUILD)/libclient/trapbpf.o $(BUILD)/libcore.a
	$(CC) $(LDFLAGS) -o $@ $^ $(LIBS_UNIT)

# the deterministic network simulator (test/sim): plain and ASan+UBSan
$(BUILD)/sim-tests: $(SIM_OBJ) $(BUILD)/libcore.a
	$(CC) $(LDFLAGS) -o $@ $^

CHECK_PHASES = check-unit check-asan check-clang check-sim check-fuzz \
	check-man check-install check-service check-integration \
	check-integration-nooffload check-wire
# each phase in turn, stopping at the first that fails; how long each took
# is printed as it ends (CI has 30 minutes for all of them)
check: deps
	@for p in $(CHECK_PHASES); do \
		t0=$$(date +%s); \
		$(MAKE) $$p; rc=$$?; \
		echo "=== make $$p: $$(( $$(date +%s) - t0 )) s, exit $$rc"; \
		[ $$rc -eq 0 ] || exit $$rc; \
	done

check-unit: $(BUILD)/unit-tests
	bash test/unit/run.sh $(BUILD)/unit-tests

check-asan:
	$(MAKE) BUILD=build/asan CC=clang SAN=1 build/asan/unit-tests
	ASAN_OPTIONS=detect_leaks=1 UBSAN_OPTIONS=print_stacktrace=1 \
		bash test/unit/run.sh build/asan/unit-tests

check-clang:
	$(MAKE) BUILD=build/clang CC=clang all build/clang/unit-tests \
		build/clang/sim-tests

# every seed of every profile over both families; under ASan+UBSan (six
# times slower) the first 300 seeds of the 1000-seed profiles (500 took
# four minutes of CI's thirty)
check-sim: $(BUILD)/sim-tests
	$(BUILD)/sim-tests
	$(MAKE) BUILD=build/asan CC=clang SAN=1 build/asan/sim-tests
	SIM_SEEDS=300 SIM_SCALE=10000 ASAN_OPTIONS=detect_leaks=1:quarantine_size_mb=8 \
		UBSAN_OPTIONS=print_stacktrace=1 build/asan/sim-tests

# Fuzzing (test/fuzz): libFuzzer targets built by clang with ASan and
# UBSan into build/fuzz. make fuzz runs each for FUZZ_SECONDS and keeps what
# it finds in build/fuzz/corpus/TARGET; check-fuzz runs each for
# FUZZ_CHECK_SECONDS (fuzz_proto, fuzz_dhcp and fuzz_dns, small, 5 s) from the generated seeds
# alone, after replaying the seeds through a gcc build of the same targets
# (build/fuzz-replay).
FUZZ_TARGETS := fuzz_frames fuzz_proto fuzz_dhcp fuzz_dns
FUZZ_BUILD := build/fuzz
FUZZ_SECONDS ?= 60
FUZZ_CHECK_SECONDS ?= 20

$(FUZZ_TARGETS:%=$(BUILD)/%): $(BUILD)/%: $(BUILD)/test/fuzz/%.o \
		$(BUILD)/libcore.a
	$(CC) $(LDFLAGS) -o $@ $^

$(FUZZ_TARGETS:%=$(BUILD)/%-replay): $(BUILD)/%-replay: \
		$(BUILD)/test/fuzz/%.o $(BUILD)/test/fuzz/replay.o $(BUILD)/libcore.a
	$(CC) $(LDFLAGS) -o $@ $^

# seeds are written at build time, never committed: test/fuzz/seeds.c
$(BUILD)/fuzz-seeds: test/fuzz/seeds.c test/fuzz/fuzz_frames.h proto/proto.c \
		$(wildcard proto/*.h)
	@mkdir -p $(dir $@)
	$(CC) -std=gnu11 $(WARN) -O1 -g -Iproto -o $@ test/fuzz/seeds.c proto/proto.c

$(BUILD)/seeds/.stamp: $(BUILD)/fuzz-seeds
	rm -rf $(BUILD)/seeds
	$(BUILD)/fuzz-seeds $(BUILD)/seeds
	touch $@

fuzz-build: $(FUZZ_TARGETS:%=$(BUILD)/%) $(BUILD)/seeds/.stamp

fuzz-replay: $(FUZZ_TARGETS:%=$(BUILD)/%-replay)

fuzz:
	$(MAKE) BUILD=$(FUZZ_BUILD) CC=clang FUZZ=1 fuzz-build
	bash test/fuzz/run.sh $(FUZZ_BUILD) $(FUZZ_SECONDS) corpus $(FUZZ_TARGETS)

check-fuzz:
	$(MAKE) BUILD=$(FUZZ_BUILD) CC=clang FUZZ=1 fuzz-build
	$(MAKE) BUILD=build/fuzz-replay SAN=1 fuzz-replay
	for t in $(FUZZ_TARGETS); do \
		build/fuzz-replay/$$t-replay $(FUZZ_BUILD)/seeds/$$t || exit 1; done
	bash test/fuzz/run.sh $(FUZZ_BUILD) $(FUZZ_CHECK_SECONDS) check \
		fuzz_frames fuzz_proto:5 fuzz_dhcp:5 fuzz_dns:5

MAN := $(wildcard man/*.[1-8])

check-man:
	mandoc -Tlint -W warning $(MAN)
	@echo "man: $(words $(MAN)) pages lint-clean"

# install into a scratch root and check that every file landed
check-install:
	rm -rf $(BUILD)/inst
	$(MAKE) install DESTDIR=$(CURDIR)/$(BUILD)/inst PREFIX=/usr
	test -x $(BUILD)/inst/usr/sbin/ustackd
	test -x $(BUILD)/inst/usr/bin/ustackctl
	test -x $(BUILD)/inst/usr/bin/ustack-run
	test -f $(BUILD)/inst/usr/lib/libustack.so
	test -f $(BUILD)/inst/usr/lib/libustack-preload.so
	test -f $(BUILD)/inst/usr/include/ustack.h
	test -f $(BUILD)/inst/usr/lib/systemd/system/ustackd.service
	test -f $(BUILD)/inst/etc/ustack/ustackd.conf
	$(BUILD)/inst/usr/sbin/ustackd --config $(BUILD)/inst/etc/ustack/ustackd.conf \
		--print-config >/dev/null
	for m in $(MAN); do s=$${m##*.}; \
		test -f $(BUILD)/inst/usr/share/man/man$$s/$${m##*/} || exit 1; done
	$(BUILD)/inst/usr/sbin/ustackd --version
	@echo "install: ok"

# the unit as installed, but pointing at this build so that its
# ExecStart exists; --man=no: the man pages are not installed here
check-service: all
	mkdir -p $(BUILD)/verify
	sed -e 's|@SBINDIR@|$(CURDIR)/$(BUILD)|g' -e 's|@SYSCONFDIR@|$(SYSCONFDIR)|g' \
		daemon/ustackd.service.in >$(BUILD)/verify/ustackd.service
	systemd-analyze verify --man=no $(BUILD)/verify/ustackd.service
	@echo "service: systemd-analyze verify passes"

check-integration: all
	bash test/integration/run.sh $(BUILD)

# the data-path suites again with every daemon's TAP offloads off (issue
# 10: offloads are on by default, and the software path must stay right)
NOOFFLOAD_SCRIPTS = 30-sockets 31-udp-programs 40-tcp-programs 41-servers \
	42-tcp-close 44-ecn 49-fastopen 55-stock-programs 61-inet6-programs
check-integration-nooffload: all
	USTACK_TEST_OFFLOAD=no ITEST_ONLY="$(NOOFFLOAD_SCRIPTS)" \
		bash test/integration/run.sh $(BUILD)

# the differential wire test (test/wire, issue 13): the same scripted TCP
# exchanges against the Linux kernel and against ustack, compared segment
# by segment; WIRE_SCENARIOS="a b" plays only those
check-wire: all
	bash test/wire/run.sh $(BUILD) $(WIRE_SCENARIOS)

deps:
	@bash tools/deps.sh

# ustack against the kernel in the same run; ratios, never pass/fail.
# BENCH_ROUNDS (3), BENCH_SECONDS (5), BENCH_ONLY (names, comma list) and
# BENCH_OUT ($(BUILD)/bench: bench.json, bench.png) come from the environment
bench: deps all
	bash tools/bench/run.sh $(BUILD)

demo: deps
	$(MAKE) all
	bash tools/demo.sh $(BUILD)

$(BUILD)/ustackd.service: daemon/ustackd.service.in
	@mkdir -p $(dir $@)
	sed -e 's|@SBINDIR@|$(PREFIX)/sbin|g' -e 's|@SYSCONFDIR@|$(SYSCONFDIR)|g' $< >$@

install: all $(BUILD)/ustackd.service
	install -d $(DESTDIR)$(PREFIX)/sbin $(DESTDIR)$(PREFIX)/bin $(DESTDIR)$(UNITDIR) \
		$(DESTDIR)$(SYSCONFDIR)/ustack $(DESTDIR)$(PREFIX)/lib \
		$(DESTDIR)$(PREFIX)/include
	install -m 755 $(BUILD)/ustack-run $(DESTDIR)$(PREFIX)/bin/ustack-run
	install -m 755 $(CLIENT_LIBS) $(DESTDIR)$(PREFIX)/lib/
	install -m 644 libclient/ustack.h $(DESTDIR)$(PREFIX)/include/ustack.h
	install -m 755 $(BUILD)/ustackd $(DESTDIR)$(PREFIX)/sbin/ustackd
	install -m 755 $(BUILD)/ustackctl $(DESTDIR)$(PREFIX)/bin/ustackctl
	install -m 644 $(BUILD)/ustackd.service $(DESTDIR)$(UNITDIR)/ustackd.service
	# an existing configuration is the administrator's: never overwritten
	test -e $(DESTDIR)$(SYSCONFDIR)/ustack/ustackd.conf || \
		install -m 644 daemon/ustackd.conf $(DESTDIR)$(SYSCONFDIR)/ustack/ustackd.conf
	for m in $(MAN); do s=$${m##*.}; \
		install -d $(DESTDIR)$(PREFIX)/share/man/man$$s && \
		install -m 644 $$m $(DESTDIR)$(PREFIX)/share/man/man$$s/ || exit 1; \
	done

clean:
	rm -rf build

-include $(shell find $(BUILD) -name '*.d' 2>/dev/null)
