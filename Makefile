# ustack - a user-space TCP/IP stack for Linux
#
#   make            build everything into build/
#   make check      every test: unit (also under ASan+UBSan), clang build,
#                   integration in network namespaces (needs root)
#   make demo       install what is missing, build, run the demo
#   make deps       apt-get install what the build and tests need
#   make install    PREFIX=/usr/local DESTDIR=
#   make clean

PREFIX ?= /usr/local
DESTDIR ?=
BUILD ?= build
CC ?= cc

WARN := -Wall -Wextra -Werror -Wshadow -Wformat=2 -Wstrict-prototypes \
	-Wmissing-prototypes -Wno-unused-parameter
CFLAGS ?= -O2 -g
ifdef SAN
CFLAGS := -O1 -g -fno-omit-frame-pointer -fsanitize=address,undefined \
	-fno-sanitize-recover=all
LDFLAGS += -fsanitize=address,undefined
endif
ALL_CFLAGS := -std=gnu11 $(WARN) $(CFLAGS) -fPIC -D_GNU_SOURCE \
	-D_FORTIFY_SOURCE=2 -fstack-protector-strong -MMD -MP
CPPFLAGS += -Idaemon/stack -Idaemon -Iproto

# The engine and the pure parts of the daemon: everything the unit tests
# and the simulator link against. No libevent, no libpcap here.
CORE_SRC := $(wildcard daemon/stack/*.c) $(wildcard daemon/link/impair.c) \
	$(wildcard proto/*.c)
DAEMON_SRC := $(filter-out daemon/link/impair.c, \
	$(wildcard daemon/*.c daemon/link/*.c daemon/rpc/*.c))
UNIT_SRC := $(wildcard test/unit/*.c)
SIM_SRC := $(wildcard test/sim/*.c)

CORE_OBJ := $(CORE_SRC:%.c=$(BUILD)/%.o)
DAEMON_OBJ := $(DAEMON_SRC:%.c=$(BUILD)/%.o)
UNIT_OBJ := $(UNIT_SRC:%.c=$(BUILD)/%.o)
SIM_OBJ := $(SIM_SRC:%.c=$(BUILD)/%.o)

LIBS_DAEMON := -levent -lpcap
LIBS_UNIT := -lcriterion

.PHONY: all check check-unit check-asan check-clang check-integration check-sim \
	deps demo install clean

all: $(BUILD)/ustackd

$(BUILD)/%.o: %.c
	@mkdir -p $(dir $@)
	$(CC) $(CPPFLAGS) $(ALL_CFLAGS) -c $< -o $@

$(BUILD)/libcore.a: $(CORE_OBJ)
	@rm -f $@
	ar rcs $@ $^

$(BUILD)/ustackd: $(DAEMON_OBJ) $(BUILD)/libcore.a
	$(CC) $(LDFLAGS) -o $@ $^ $(LIBS_DAEMON)

$(BUILD)/unit-tests: $(UNIT_OBJ) $(BUILD)/libcore.a
	$(CC) $(LDFLAGS) -o $@ $^ $(LIBS_UNIT)

# the deterministic network simulator (test/sim): plain and ASan+UBSan
$(BUILD)/sim-tests: $(SIM_OBJ) $(BUILD)/libcore.a
	$(CC) $(LDFLAGS) -o $@ $^

check: deps
	$(MAKE) check-unit
	$(MAKE) check-asan
	$(MAKE) check-clang
	$(MAKE) check-sim
	$(MAKE) check-integration

check-unit: $(BUILD)/unit-tests
	$(BUILD)/unit-tests

check-asan:
	$(MAKE) BUILD=build/asan CC=clang SAN=1 build/asan/unit-tests
	ASAN_OPTIONS=detect_leaks=1 UBSAN_OPTIONS=print_stacktrace=1 \
		build/asan/unit-tests

check-clang:
	$(MAKE) BUILD=build/clang CC=clang all build/clang/unit-tests \
		build/clang/sim-tests

check-sim: $(BUILD)/sim-tests
	$(BUILD)/sim-tests
	$(MAKE) BUILD=build/asan CC=clang SAN=1 build/asan/sim-tests
	ASAN_OPTIONS=detect_leaks=1:quarantine_size_mb=8 \
		UBSAN_OPTIONS=print_stacktrace=1 build/asan/sim-tests

check-integration: all
	bash test/integration/run.sh $(BUILD)

deps:
	@bash tools/deps.sh

demo: deps
	$(MAKE) all
	bash tools/demo.sh $(BUILD)

install: all
	install -d $(DESTDIR)$(PREFIX)/sbin $(DESTDIR)$(PREFIX)/share/man/man8 \
		$(DESTDIR)$(PREFIX)/share/man/man5
	install -m 755 $(BUILD)/ustackd $(DESTDIR)$(PREFIX)/sbin/ustackd
	install -m 644 man/ustackd.8 $(DESTDIR)$(PREFIX)/share/man/man8/
	install -m 644 man/ustackd.conf.5 $(DESTDIR)$(PREFIX)/share/man/man5/

clean:
	rm -rf build

-include $(shell find $(BUILD) -name '*.d' 2>/dev/null)
