/* telem/counter.h: counters and "impossible condition" stack counters for
 * programs that can be rebuilt, in the manner of Go's golang.org/x/telemetry
 * counter package. See telem_counter(3).
 *
 *   telem_counter_inc("cache:hit");          adds 1 to <program>/cache:hit
 *   telem_counter_add("bytes-in", n);        adds n
 *   if (impossible) telem_stack_inc("bug");  <program>/bug, and once per
 *                                            call site a stack counter
 *                                            "<program>/bug\n<frame>..."
 *
 * No link dependency. The functions below are inline; they call the shim
 * (libtelem.so) through weak references that the dynamic linker resolves
 * only when the shim is loaded (LD_PRELOAD, telem run). Without it each call
 * is a load and a branch, and the program runs exactly as it was.
 *
 * Counts land in the shim's counter files, under the program's identity
 * (the counter file of <program>@<build-id>...), prefixed "<program>/" like
 * the shim's own counters. They count from main on: calls made before main
 * (C++ static constructors) or while telem is off are not counted.
 *
 * Names are constants chosen by the program's authors, never data. The shim
 * refuses (does not count, does not cut) a name that breaks its privacy
 * rules: at most 128 bytes of [A-Za-z0-9] and "-_.+,<>=@", parts separated
 * by '/' or ':' (Go's "chart:bucket"), each part non-empty and at most 40
 * bytes, not starting with '.', at most 4 '/'-separated parts, a '.' only in
 * a bucket (after a ':'), and not one of the shim's own counters
 * (invocations, flag, exit, wall, cpu, maxrss, signal, crash...).
 *
 * telem_counter_add and telem_counter_inc may be called from any thread and
 * from signal handlers. telem_stack_inc may be called from any thread; its
 * count is exact, its stack is recorded at most once per call site and
 * process (a few per process at most), and taken without blocking. */
#ifndef TELEM_COUNTER_H
#define TELEM_COUNTER_H

#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

/* The shim's entry points (ABI 1). Weak: null when the shim is absent. */
extern void telem_abi1_counter_add(const char *name, uint64_t n) __attribute__((weak));
extern void telem_abi1_stack_inc(const char *name) __attribute__((weak));

/* The empty asm makes the compiler call through the pointer it tested (bound
 * at load time) instead of a lazily bound PLT entry. */
static inline void telem_counter_add(const char *name, uint64_t n)
{
	void (*f)(const char *, uint64_t) = telem_abi1_counter_add;
	__asm__("" : "+r"(f));
	if (f)
		f(name, n);
}

static inline void telem_counter_inc(const char *name) { telem_counter_add(name, 1); }

/* Inlined into the caller, so the recorded stack starts at the caller. */
static inline __attribute__((always_inline)) void telem_stack_inc(const char *name)
{
	void (*f)(const char *) = telem_abi1_stack_inc;
	__asm__("" : "+r"(f));
	if (f)
		f(name);
}

#ifdef __cplusplus
}
#endif

#endif
