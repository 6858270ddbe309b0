# telem: the preloaded shim (libc only), the telem tools, and their tests.
PREFIX ?= /usr/local
DESTDIR ?=
CC ?= cc
WARN = -Wall -Wextra -Werror
CFLAGS ?= -O2 -g
STD = -std=gnu11

# The shim: position independent, hidden by default, and no compiler-made
# calls to memcpy/memset (each libc function costs a binding in every host).
SHIM_CFLAGS = $(STD) $(WARN) $(CFLAGS) -fPIC -fvisibility=hidden \
	-fno-tree-loop-distribute-patterns -fno-stack-protector
SHIM_SHARED = shim/counterfile.c shim/counterparse.c shim/week.c shim/mode.c \
	shim/identity.c shim/names.c
SHIM_SRC = $(filter-out shim/counterparse.c,$(SHIM_SHARED)) shim/libc.c shim/today.c shim/signals.c shim/crashcapture.c shim/threads.c shim/trigger.c shim/start.c
SHIM_SRC += shim/crashpath.c shim/faultguard.c shim/deliver_x86_64.c shim/deliver_aarch64.c
SHIM_HDR = $(wildcard shim/*.h)

TOOLS_LIBS = -ljansson -ldw -lelf -lcurl
TOOLS_CFLAGS = $(STD) $(WARN) $(CFLAGS) -Ishim
TOOLS_SRC = $(wildcard tools/*.c)
TOOLS_HDR = $(wildcard tools/*.h)

# The collector: a server of its own (libmicrohttpd, SQLite), not linked into telem;
# it shares the upload config parser and the shim's calendar dates with it.
COLLECTOR_SRC = $(wildcard tools/collector/*.c) tools/config.c tools/jsontext.c shim/week.c
COLLECTOR_HDR = $(wildcard tools/collector/*.h) tools/config.h tools/jsontext.h shim/week.h shim/bytes.h shim/sys.h
COLLECTOR_LIBS = -lmicrohttpd -lsqlite3 -ljansson -lpthread -lm

UNIT_SRC = $(wildcard tests/unit/test_*.c)
UNIT_BIN = $(UNIT_SRC:tests/unit/%.c=build/unit/%)
PROG_SRC = $(wildcard tests/programs/*.c)
PROG_BIN = $(PROG_SRC:tests/programs/%.c=build/programs/%)

all: shim/libtelem.so tools/telem tools/telem-collector $(PROG_BIN)

shim/libtelem.so: $(SHIM_SRC) $(SHIM_HDR) shim/libtelem.map
	$(CC) $(SHIM_CFLAGS) -shared -Wl,--version-script=shim/libtelem.map \
		-Wl,-z,relro -Wl,-z,noseparate-code -ffunction-sections -fdata-sections -Wl,--gc-sections -nostartfiles -o $@ $(SHIM_SRC)

tools/telem: $(TOOLS_SRC) $(TOOLS_HDR) $(SHIM_SHARED) $(SHIM_HDR)
	$(CC) $(TOOLS_CFLAGS) -o $@ $(TOOLS_SRC) $(SHIM_SHARED) $(TOOLS_LIBS)

tools/telem-collector: $(COLLECTOR_SRC) $(COLLECTOR_HDR)
	$(CC) $(TOOLS_CFLAGS) -o $@ $(COLLECTOR_SRC) $(COLLECTOR_LIBS)

build/programs/%: tests/programs/%.c $(SHIM_HDR)
	@mkdir -p $(@D)
	$(CC) $(STD) -Wall -Wextra -O2 -fomit-frame-pointer -g -o $@ $< -lpthread

build/unit/%: tests/unit/%.c $(SHIM_SHARED) $(SHIM_HDR)
	@mkdir -p $(@D)
	$(CC) $(STD) $(WARN) -O1 -g -Ishim -o $@ $< $(SHIM_SHARED) -lcmocka

test: all $(UNIT_BIN)
	@tests/run.sh $(UNIT_BIN)

bench: all
	scripts/bench.sh

install: all
	install -d $(DESTDIR)$(PREFIX)/bin $(DESTDIR)$(PREFIX)/lib/telem
	install -m 755 tools/telem $(DESTDIR)$(PREFIX)/bin/telem
	install -m 755 tools/telem-collector $(DESTDIR)$(PREFIX)/bin/telem-collector
	install -m 644 shim/libtelem.so $(DESTDIR)$(PREFIX)/lib/telem/libtelem.so
	install -d $(DESTDIR)$(PREFIX)/share/man/man1 $(DESTDIR)$(PREFIX)/share/man/man7
	install -m 644 man/telem.1 $(DESTDIR)$(PREFIX)/share/man/man1/telem.1
	install -m 644 man/libtelem.7 $(DESTDIR)$(PREFIX)/share/man/man7/libtelem.7

clean:
	rm -rf build shim/libtelem.so tools/telem tools/telem-collector

.PHONY: all test bench install clean
