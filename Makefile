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
SHIM_SRC += shim/crashpath.c shim/faultguard.c shim/deliver_x86_64.c shim/deliver_aarch64.c shim/deliver_i386.c
SHIM_SRC += shim/musl.c
SHIM_SRC += shim/sanitizers.c
SHIM_SRC += shim/children.c
SHIM_SRC += shim/arch/builtins.c
# Opening beneath the telem directory (shared: the tools walk it the same way).
SHIM_SHARED += shim/beneath.c
SHIM_SHARED += shim/countername.c
SHIM_SRC += shim/counter_api.c shim/callsite_x86_64.c shim/callsite_aarch64.c shim/callsite_i386.c
SHIM_HDR = $(wildcard shim/*.h)
SHIM_HDR += $(wildcard shim/arch/*.h)

TOOLS_LIBS = -ljansson -ldw -lelf -lcurl
TOOLS_CFLAGS = $(STD) $(WARN) $(CFLAGS) -Ishim
TOOLS_SRC = $(wildcard tools/*.c)
TOOLS_HDR = $(wildcard tools/*.h)

# The collector: a server of its own (libmicrohttpd, SQLite or PostgreSQL), not linked into telem;
# it shares the upload config parser and the shim's calendar dates with it.
COLLECTOR_SRC = $(wildcard tools/collector/*.c) tools/config.c tools/jsontext.c shim/week.c
COLLECTOR_HDR = $(wildcard tools/collector/*.h) tools/config.h tools/jsontext.h shim/week.h shim/bytes.h shim/sys.h
COLLECTOR_SRC += shim/beneath.c
COLLECTOR_SRC += $(wildcard tools/collector/db/*.c)
COLLECTOR_HDR += $(wildcard tools/collector/db/*.h)
COLLECTOR_LIBS = -lmicrohttpd -lsqlite3 -lpq -ljansson -lpthread -lm

UNIT_SRC = $(wildcard tests/unit/test_*.c)
UNIT_BIN = $(UNIT_SRC:tests/unit/%.c=build/unit/%)
PROG_SRC = $(wildcard tests/programs/*.c)
PROG_BIN = $(PROG_SRC:tests/programs/%.c=build/programs/%)

all: shim/libtelem.so tools/telem tools/telem-collector $(PROG_BIN)

shim/libtelem.so: $(SHIM_SRC) $(SHIM_HDR) shim/libtelem.map shim/zeros.ld
	$(CC) $(SHIM_CFLAGS) -shared -Wl,--version-script=shim/libtelem.map \
		-Wl,-z,norelro -Wl,-z,noseparate-code -Wl,-T,shim/zeros.ld -ffunction-sections -fdata-sections -Wl,--gc-sections -nostartfiles -o $@ $(SHIM_SRC)

tools/telem: $(TOOLS_SRC) $(TOOLS_HDR) $(SHIM_SHARED) $(SHIM_HDR)
	$(CC) $(TOOLS_CFLAGS) -o $@ $(TOOLS_SRC) $(SHIM_SHARED) $(TOOLS_LIBS)

tools/telem-collector: $(COLLECTOR_SRC) $(COLLECTOR_HDR)
	$(CC) $(TOOLS_CFLAGS) -Itools/collector -I/usr/include/postgresql -o $@ $(COLLECTOR_SRC) $(COLLECTOR_LIBS)

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
	$(MAKE) --no-print-directory install-shims
	install -d $(DESTDIR)$(PREFIX)/share/man/man1 $(DESTDIR)$(PREFIX)/share/man/man7
	install -m 644 man/telem.1 $(DESTDIR)$(PREFIX)/share/man/man1/telem.1
	install -m 644 man/libtelem.7 $(DESTDIR)$(PREFIX)/share/man/man7/libtelem.7

clean:
	rm -rf build shim/libtelem.so shim/i386 shim/aarch64 tools/telem tools/telem-collector

# Rebuilt programs' counters (include/telem/counter.h): the public header,
# installed; the C++ test program beside the C ones.
all: build/programs/counter_cxx
build/programs/counter_cxx: tests/programs/counter_cxx.cc include/telem/counter.h
	@mkdir -p $(@D)
	$(CXX) -std=c++17 -Wall -Wextra -Werror -O2 -g -Iinclude -o $@ $< -lpthread
build/programs/counter_c: tests/programs/counter_c.c include/telem/counter.h
	@mkdir -p $(@D)
	$(CC) $(STD) -Wall -Wextra -Werror -O2 -fomit-frame-pointer -g -Iinclude -o $@ $< -lpthread
install: install-counter-header
install-counter-header: all
	install -d $(DESTDIR)$(PREFIX)/include/telem $(DESTDIR)$(PREFIX)/share/man/man3
	install -m 644 include/telem/counter.h $(DESTDIR)$(PREFIX)/include/telem/counter.h
	install -m 644 man/telem_counter.3 $(DESTDIR)$(PREFIX)/share/man/man3/telem_counter.3
.PHONY: install-counter-header

.PHONY: all test bench install clean

# ---- the shim for other CPUs, and where each one's ld.so looks for it ----
# One exported line serves every process: LD_PRELOAD='$(PREFIX)/$LIB/telem/libtelem.so'
# (quoted: $LIB is ld.so's token, which it expands to its own library
# directory: lib/x86_64-linux-gnu, lib32 for gcc-multilib's i386 ld.so,
# lib/i386-linux-gnu for Debian's libc6:i386, lib/aarch64-linux-gnu).
# musl's ld.so does not expand it, so a directory literally named $LIB
# points at the host's.
SHIM_LINK = -shared -Wl,--version-script=shim/libtelem.map -Wl,-z,norelro -Wl,-T,shim/zeros.ld -ffunction-sections \
	-fdata-sections -Wl,--gc-sections -nostartfiles
HOST_MULTIARCH := $(shell $(CC) -print-multiarch 2>/dev/null)
HOST_LIB = lib/$(or $(HOST_MULTIARCH),x86_64-linux-gnu)
# i386 where gcc -m32 can build against a 32-bit libc (gcc-multilib).
HAVE_I386 := $(shell echo 'int main(void){return 0;}' | \
	$(CC) -m32 -include signal.h -x c -o /dev/null - 2>/dev/null && echo yes)
# aarch64 with clang, lld and Debian's cross libc headers (libc6-dev-arm64-cross).
AARCH64_ROOT ?= /usr/aarch64-linux-gnu
HAVE_AARCH64 := $(shell command -v clang >/dev/null && command -v ld.lld >/dev/null && \
	test -f $(AARCH64_ROOT)/include/signal.h && echo yes)
SHIM_MULTI = $(if $(HAVE_I386),shim/i386/libtelem.so) $(if $(HAVE_AARCH64),shim/aarch64/libtelem.so)
all: $(SHIM_MULTI)

shim-i386: shim/i386/libtelem.so
shim/i386/libtelem.so: $(SHIM_SRC) $(SHIM_HDR) shim/libtelem.map shim/zeros.ld
	@mkdir -p $(@D)
	$(CC) -m32 -D_FILE_OFFSET_BITS=64 $(SHIM_CFLAGS) $(SHIM_LINK) -o $@ $(SHIM_SRC)

AARCH64_CC = clang --target=aarch64-linux-gnu --sysroot=$(AARCH64_ROOT) -fuse-ld=lld
shim-aarch64: shim/aarch64/libtelem.so
shim/aarch64/libtelem.so: $(SHIM_SRC) $(SHIM_HDR) shim/libtelem.map shim/zeros.ld
	@mkdir -p $(@D)
	$(AARCH64_CC) $(STD) $(WARN) $(CFLAGS) -Wno-unknown-warning-option -fPIC -fvisibility=hidden \
		-fno-stack-protector -mno-outline-atomics -nostdlib $(SHIM_LINK) -o $@ $(SHIM_SRC)

# Test programs for the other CPUs (tests/integration/60-fleet.t); clang
# finds Debian's cross libc by itself (a --sysroot would make lld look for
# the absolute paths in its libc.so script inside the sysroot).
build/i386/%: tests/programs/%.c
	@mkdir -p $(@D)
	$(CC) -m32 $(STD) -Wall -Wextra -O2 -fomit-frame-pointer -g -o $@ $< -lpthread
build/aarch64/%: tests/programs/%.c
	@mkdir -p $(@D)
	clang --target=aarch64-linux-gnu -fuse-ld=lld $(STD) -Wall -Wextra -O2 -fomit-frame-pointer -g \
		-Wl,--build-id=sha1 -o $@ $< -lpthread

install-shims:
	install -d $(DESTDIR)$(PREFIX)/$(HOST_LIB)/telem
	install -m 644 shim/libtelem.so $(DESTDIR)$(PREFIX)/$(HOST_LIB)/telem/libtelem.so
	ln -sfn $(HOST_LIB) '$(DESTDIR)$(PREFIX)/$$LIB'
	$(if $(HAVE_I386),for d in lib32 lib/i386-linux-gnu; do \
		install -d $(DESTDIR)$(PREFIX)/$$d/telem && \
		install -m 644 shim/i386/libtelem.so $(DESTDIR)$(PREFIX)/$$d/telem/libtelem.so || exit 1; done)
	$(if $(HAVE_AARCH64),install -d $(DESTDIR)$(PREFIX)/lib/aarch64-linux-gnu/telem && \
		install -m 644 shim/aarch64/libtelem.so $(DESTDIR)$(PREFIX)/lib/aarch64-linux-gnu/telem/libtelem.so)

.PHONY: shim-i386 shim-aarch64 install-shims
# Go's upload selection rules (tools/config.c), table-driven: links the tools' config parser.
build/unit/test_upload_rules: tests/unit/test_upload_rules.c tools/config.c tools/jsontext.c tools/config.h tools/jsontext.h
	@mkdir -p $(@D)
	$(CC) $(STD) $(WARN) -O1 -g -Ishim -Itools -o $@ tests/unit/test_upload_rules.c tools/config.c tools/jsontext.c -ljansson -lcmocka
# Code without unwind tables (issue 12, item 7): frame pointers kept, except
# in leaf functions; no .eh_frame, no .debug_frame for its own functions.
build/programs/crash_nocfi: tests/programs/crash_nocfi.c
	@mkdir -p $(@D)
	$(CC) $(STD) -Wall -Wextra -O2 -fno-omit-frame-pointer -momit-leaf-frame-pointer \
		-fno-asynchronous-unwind-tables -fno-unwind-tables -g0 -o $@ $< -lpthread
# ux: bash completion, and uninstall (what install puts, removed again)
BASH_COMPLETION_DIR ?= $(PREFIX)/share/bash-completion/completions
install: install-completion
install-completion:
	install -d $(DESTDIR)$(BASH_COMPLETION_DIR)
	install -m 644 scripts/telem.bash-completion $(DESTDIR)$(BASH_COMPLETION_DIR)/telem
uninstall:
	rm -f $(DESTDIR)$(PREFIX)/bin/telem $(DESTDIR)$(PREFIX)/bin/telem-collector
	rm -f $(DESTDIR)$(PREFIX)/lib/telem/libtelem.so $(DESTDIR)$(PREFIX)/lib/*/telem/libtelem.so $(DESTDIR)$(PREFIX)/lib32/telem/libtelem.so
	rm -f '$(DESTDIR)$(PREFIX)/$$LIB'
	-rmdir $(DESTDIR)$(PREFIX)/lib/*/telem $(DESTDIR)$(PREFIX)/lib32/telem 2>/dev/null
	-rmdir $(DESTDIR)$(PREFIX)/lib/telem 2>/dev/null
	rm -f $(DESTDIR)$(PREFIX)/share/man/man1/telem.1 $(DESTDIR)$(PREFIX)/share/man/man1/telem-collector.1
	rm -f $(DESTDIR)$(PREFIX)/share/man/man7/libtelem.7
	rm -f $(DESTDIR)$(BASH_COMPLETION_DIR)/telem
	rm -f $(DESTDIR)$(PREFIX)/share/man/man8/telem-collector.8 $(DESTDIR)$(PREFIX)/share/man/man3/telem_counter.3
	rm -f $(DESTDIR)$(PREFIX)/share/telem/collector-config.json $(DESTDIR)$(PREFIX)/include/telem/counter.h
	-rmdir $(DESTDIR)$(PREFIX)/share/telem $(DESTDIR)$(PREFIX)/include/telem 2>/dev/null
	rm -rf $(DESTDIR)$(PREFIX)/share/doc/telem
.PHONY: install-completion uninstall
# The collector's man page and example upload config (collector helper).
install: install-collector
install-collector: all
	install -d $(DESTDIR)$(PREFIX)/share/man/man8 $(DESTDIR)$(PREFIX)/share/telem
	install -m 644 man/telem-collector.8 $(DESTDIR)$(PREFIX)/share/man/man8/telem-collector.8
	install -m 644 tools/collector/collector-config.json $(DESTDIR)$(PREFIX)/share/telem/collector-config.json
.PHONY: install-collector
build/unit/test_collector_clients: tools/collector/clients.c tools/collector/clients.h tools/collector/saturate.h
# Peer suites, plainly and under the shim, case by case (issue 18):
# CPython's signal and process tests, googletest death tests in both styles.
# Not part of `make test`; .ci/run runs its fast part.
GTEST_SRC ?= /usr/src/googletest/googletest
build/peers/death_test: tests/peers/death_test.cc
	@mkdir -p $(@D)
	@if echo 'int main(){}' | $(CXX) -x c++ - -o /dev/null -lgtest 2>/dev/null; then \
		echo "$(CXX) ... -o $@ $< -lgtest_main -lgtest"; \
		$(CXX) -std=c++17 -Wall -Wextra -Werror -O1 -g -o $@ $< -lgtest_main -lgtest -lpthread; \
	else \
		echo "$(CXX) ... -o $@ $< $(GTEST_SRC)/src/gtest-all.cc (no installed libgtest)"; \
		$(CXX) -std=c++17 -Wall -Wextra -O1 -g -I$(GTEST_SRC)/include -I$(GTEST_SRC) -o $@ $< \
			$(GTEST_SRC)/src/gtest-all.cc $(GTEST_SRC)/src/gtest_main.cc -lpthread; \
	fi
test-peers: all build/peers/death_test
	scripts/test-peers.sh
test-peers-fast: all build/peers/death_test
	scripts/test-peers.sh --fast
.PHONY: test-peers test-peers-fast
