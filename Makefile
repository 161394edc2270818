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
ALL_CFLAGS := -std=gnu11 $(WARN) $(CFLAGS) -fPIC -D_GNU_SOURCE \
	-D_FORTIFY_SOURCE=2 -fstack-protector-strong -MMD -MP
CPPFLAGS += -Idaemon/stack -Idaemon -Iproto

# The engine and the pure parts of the daemon: everything the unit tests
# and the simulator link against. No libevent, no libpcap here.
CORE_SRC := $(wildcard daemon/stack/*.c) daemon/link/impair.c \
	$(wildcard proto/*.c)
DAEMON_SRC := $(filter-out daemon/link/impair.c, \
	$(wildcard daemon/*.c daemon/link/*.c daemon/rpc/*.c))
UNIT_SRC := $(wildcard test/unit/*.c)
# libustack.so (the ustack_* calls) and libustack-preload.so (libc's names)
CLIENT_SRC := libclient/client.c
PRELOAD_SRC := libclient/preload.c
SOCKTEST_SRC := $(wildcard test/sockets/*.c)
SOCKTEST_BIN := $(SOCKTEST_SRC:%.c=$(BUILD)/%)
CLIENT_OBJ := $(CLIENT_SRC:%.c=$(BUILD)/%.o) $(BUILD)/libclient/proto.o
PRELOAD_OBJ := $(PRELOAD_SRC:%.c=$(BUILD)/%.o)
CLIENT_LIBS := $(BUILD)/libustack.so $(BUILD)/libustack-preload.so

CORE_OBJ := $(CORE_SRC:%.c=$(BUILD)/%.o)
DAEMON_OBJ := $(DAEMON_SRC:%.c=$(BUILD)/%.o)
UNIT_OBJ := $(UNIT_SRC:%.c=$(BUILD)/%.o)

LIBS_DAEMON := -levent -lpcap
LIBS_UNIT := -lcriterion

.PHONY: all check check-unit check-asan check-clang check-integration \
	deps demo install clean

all: $(BUILD)/ustackd $(CLIENT_LIBS) $(BUILD)/ustack-run $(SOCKTEST_BIN)

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

$(BUILD)/ustack-run: tools/ustack-run.c $(BUILD)/libcore.a
	@mkdir -p $(dir $@)
	$(CC) $(CPPFLAGS) $(ALL_CFLAGS) -DUSTACK_LIBDIR='"$(PREFIX)/lib"' $(LDFLAGS) -o $@ $< $(BUILD)/libcore.a

# socket test programs: plain programs, run under ustack-run and on the kernel
$(BUILD)/test/sockets/%: test/sockets/%.c test/sockets/common.h
	@mkdir -p $(dir $@)
	$(CC) $(CPPFLAGS) $(ALL_CFLAGS) $(LDFLAGS) -o $@ $< -lpthread

$(BUILD)/libcore.a: $(CORE_OBJ)
	@rm -f $@
	ar rcs $@ $^

$(BUILD)/ustackd: $(DAEMON_OBJ) $(BUILD)/libcore.a
	$(CC) $(LDFLAGS) -o $@ $^ $(LIBS_DAEMON)

$(BUILD)/unit-tests: $(UNIT_OBJ) $(BUILD)/libcore.a
	$(CC) $(LDFLAGS) -o $@ $^ $(LIBS_UNIT)

check: deps
	$(MAKE) check-unit
	$(MAKE) check-asan
	$(MAKE) check-clang
	$(MAKE) check-integration

check-unit: $(BUILD)/unit-tests
	$(BUILD)/unit-tests

check-asan:
	$(MAKE) BUILD=build/asan CC=clang SAN=1 build/asan/unit-tests
	ASAN_OPTIONS=detect_leaks=1 UBSAN_OPTIONS=print_stacktrace=1 \
		build/asan/unit-tests

check-clang:
	$(MAKE) BUILD=build/clang CC=clang all build/clang/unit-tests

check-integration: all
	bash test/integration/run.sh $(BUILD)

deps:
	@bash tools/deps.sh

demo: deps
	$(MAKE) all
	bash tools/demo.sh $(BUILD)

install: all
	install -d $(DESTDIR)$(PREFIX)/sbin $(DESTDIR)$(PREFIX)/share/man/man8 \
		$(DESTDIR)$(PREFIX)/share/man/man5 $(DESTDIR)$(PREFIX)/bin \
		$(DESTDIR)$(PREFIX)/lib $(DESTDIR)$(PREFIX)/include \
		$(DESTDIR)$(PREFIX)/share/man/man1 $(DESTDIR)$(PREFIX)/share/man/man3
	install -m 755 $(BUILD)/ustack-run $(DESTDIR)$(PREFIX)/bin/ustack-run
	install -m 755 $(CLIENT_LIBS) $(DESTDIR)$(PREFIX)/lib/
	install -m 644 libclient/ustack.h $(DESTDIR)$(PREFIX)/include/ustack.h
	install -m 644 man/ustack-run.1 $(DESTDIR)$(PREFIX)/share/man/man1/
	install -m 644 man/libustack.3 $(DESTDIR)$(PREFIX)/share/man/man3/
	install -m 755 $(BUILD)/ustackd $(DESTDIR)$(PREFIX)/sbin/ustackd
	install -m 644 man/ustackd.8 $(DESTDIR)$(PREFIX)/share/man/man8/
	install -m 644 man/ustackd.conf.5 $(DESTDIR)$(PREFIX)/share/man/man5/

clean:
	rm -rf build

-include $(shell find $(BUILD) -name '*.d' 2>/dev/null)
