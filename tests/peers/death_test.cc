// googletest death tests, the way real C++ projects write them: each
// statement dies (or survives) in a child, and the parent checks how.
// scripts/test-peers.sh runs this in both styles (fast: fork and run the
// statement; threadsafe: re-execute this binary for the one test), plainly
// and under the shim, and compares every case's result.
#include <gtest/gtest.h>

#include <csignal>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <cerrno>
#include <sys/mman.h>
#include <sys/wait.h>
#include <unistd.h>

namespace {

volatile int *volatile null_pointer = nullptr;
volatile int zero = 0;

[[noreturn]] void store_null() {
	*null_pointer = 1;
	abort();
}

// GCC's way: a SIGSEGV handler installed with signal() reports an internal
// compiler error and exits 4.
void ice_handler(int) {
	static const char msg[] = "internal compiler error: Segmentation fault\n";
	ssize_t r = write(2, msg, sizeof msg - 1);
	(void)r;
	_exit(4);
}

// LLVM's way: print, put the previous action back, return, and the fault
// strikes again with it.
struct sigaction llvm_previous;
void llvm_handler(int sig) {
	static const char msg[] = "Stack dump:\n0.\tProgram arguments: clang\n";
	ssize_t r = write(2, msg, sizeof msg - 1);
	(void)r;
	sigaction(sig, &llvm_previous, nullptr);
}

// The JVM's way: the handler makes the page usable, the store runs again.
char *guarded;
void fixup_handler(int, siginfo_t *si, void *) {
	if (static_cast<char *>(si->si_addr) == guarded)
		mprotect(guarded, 4096, PROT_READ | PROT_WRITE);
}

void overflow_handler(int) {
	static const char msg[] = "stack overflow caught\n";
	ssize_t r = write(2, msg, sizeof msg - 1);
	(void)r;
	_exit(7);
}

volatile int depth_limit = 1 << 30;  // never reached: the stack ends first
__attribute__((noinline)) int recurse(int n) {
	volatile char pad[512];
	pad[0] = static_cast<char>(n);
	if (n >= depth_limit)
		return 0;
	return recurse(n + 1) + pad[0];
}

void exit9_handler(int) { _exit(9); }

void alt_stack_handler(int) {
	static const char msg[] = "handled on an 8 KiB alternate stack\n";
	ssize_t r = write(2, msg, sizeof msg - 1);
	(void)r;
	_exit(8);
}

void nothing_handler(int) {}

}  // namespace

TEST(Death, AbortDies) { EXPECT_DEATH(abort(), ""); }

TEST(Death, AbortKilledBySigabrt) { EXPECT_EXIT(abort(), testing::KilledBySignal(SIGABRT), ""); }

TEST(Death, NullStoreKilledBySigsegv) { EXPECT_EXIT(store_null(), testing::KilledBySignal(SIGSEGV), ""); }

TEST(Death, DivideByZeroKilledBySigfpe) {
	EXPECT_EXIT(std::printf("%d\n", 100 / zero), testing::KilledBySignal(SIGFPE), "");
}

TEST(Death, TrapKilledBySigill) { EXPECT_EXIT(__builtin_trap(), testing::KilledBySignal(SIGILL), ""); }

TEST(Death, RaiseSigtrap) { EXPECT_EXIT(raise(SIGTRAP), testing::KilledBySignal(SIGTRAP), ""); }

TEST(Death, RaiseSigterm) { EXPECT_EXIT(raise(SIGTERM), testing::KilledBySignal(SIGTERM), ""); }

TEST(Death, MessageMatched) {
	EXPECT_DEATH(
		{
			std::fprintf(stderr, "fatal: broken invariant 42\n");
			abort();
		},
		"broken invariant [0-9]+");
}

TEST(Death, ExitCode) { EXPECT_EXIT(exit(3), testing::ExitedWithCode(3), ""); }

TEST(Death, GccStyleHandlerExits4) {
	EXPECT_EXIT(
		{
			signal(SIGSEGV, ice_handler);
			store_null();
		},
		testing::ExitedWithCode(4), "internal compiler error");
}

TEST(Death, LlvmStyleHandlerReraises) {
	EXPECT_EXIT(
		{
			struct sigaction sa = {};
			sa.sa_handler = llvm_handler;
			sigemptyset(&sa.sa_mask);
			sigaction(SIGSEGV, &sa, &llvm_previous);
			store_null();
		},
		testing::KilledBySignal(SIGSEGV), "Stack dump:");
}

TEST(Death, ResolvedFaultIsNoDeath) {
	EXPECT_EXIT(
		{
			guarded = static_cast<char *>(
				mmap(nullptr, 4096, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0));
			struct sigaction sa = {};
			sa.sa_sigaction = fixup_handler;
			sa.sa_flags = SA_SIGINFO;
			sigemptyset(&sa.sa_mask);
			sigaction(SIGSEGV, &sa, nullptr);
			for (int i = 0; i < 100; i++) {
				mprotect(guarded, 4096, PROT_NONE);
				*reinterpret_cast<volatile char *>(guarded) = 1;
			}
			std::fprintf(stderr, "resumed 100 times\n");
			exit(0);
		},
		testing::ExitedWithCode(0), "resumed 100 times");
}

TEST(Death, StackOverflowOnAlternateStack) {
	EXPECT_EXIT(
		{
			static char stack[64 * 1024];
			stack_t ss = {};
			ss.ss_sp = stack;
			ss.ss_size = sizeof stack;
			sigaltstack(&ss, nullptr);
			struct sigaction sa = {};
			sa.sa_handler = overflow_handler;
			sa.sa_flags = SA_ONSTACK;
			sigemptyset(&sa.sa_mask);
			sigaction(SIGSEGV, &sa, nullptr);
			recurse(0);
		},
		testing::ExitedWithCode(7), "stack overflow caught");
}

TEST(Death, AbortWithReturningHandlerStillDies) {
	EXPECT_EXIT(
		{
			signal(SIGABRT, [](int) {});
			abort();
		},
		testing::KilledBySignal(SIGABRT), "");
}

TEST(Death, AssertFailureMessage) {
	EXPECT_DEATH(
		{
			volatile bool ok = false;
			if (!ok) {
				std::fprintf(stderr, "death_test.cc: Assertion `ok' failed.\n");
				abort();
			}
		},
		"Assertion `ok' failed");
}

// What a shim that interposes sigaction can get wrong (issue 18); each
// would hang without the alarm, which then fails the case.

// A vfork child that resets a handler leaves the parent's alone (CPython's
// subprocess resets every handler in its vfork child).
TEST(Death, HandlerKeptAfterVforkChildResetsIt) {
	EXPECT_EXIT(
		{
			signal(SIGABRT, exit9_handler);
			pid_t pid = vfork();
			if (pid == 0) {
				signal(SIGABRT, SIG_DFL);
				_exit(0);
			}
			waitpid(pid, nullptr, 0);
			abort();
		},
		testing::ExitedWithCode(9), "");
}

// The classic SIGSTKSZ alternate stack, a guard page below it.
TEST(Death, HandlerRunsOnSmallGuardedAlternateStack) {
	EXPECT_EXIT(
		{
			alarm(20);
			long page = sysconf(_SC_PAGESIZE);
			char *m = static_cast<char *>(
				mmap(nullptr, page + 8192, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0));
			mprotect(m, page, PROT_NONE);
			stack_t ss = {};
			ss.ss_sp = m + page;
			ss.ss_size = 8192;
			sigaltstack(&ss, nullptr);
			struct sigaction sa = {};
			sa.sa_handler = alt_stack_handler;
			sa.sa_flags = SA_ONSTACK;
			sigemptyset(&sa.sa_mask);
			sigaction(SIGSEGV, &sa, nullptr);
			store_null();
		},
		testing::ExitedWithCode(8), "handled on an 8 KiB alternate stack");
}

// A handler installed without SA_RESTART interrupts a blocking read.
TEST(Death, ReadInterruptedByHandlerWithoutSaRestart) {
	EXPECT_EXIT(
		{
			alarm(20);
			int p[2];
			if (pipe(p) != 0)
				exit(2);
			struct sigaction sa = {};
			sa.sa_handler = nothing_handler;
			sigemptyset(&sa.sa_mask);
			sigaction(SIGTRAP, &sa, nullptr);
			pid_t parent = getpid();
			pid_t child = fork();
			if (child == 0) { /* until the read is interrupted: it may start late */
				for (int i = 0; i < 400; i++) {
					usleep(50 * 1000);
					kill(parent, SIGTRAP);
				}
				_exit(0);
			}
			char c;
			ssize_t r = read(p[0], &c, 1);
			int e = errno;
			kill(child, SIGKILL);
			waitpid(child, nullptr, 0);
			std::fprintf(stderr, "read: %s\n", r < 0 ? strerror(e) : "returned");
			exit(r < 0 && e == EINTR ? 0 : 1);
		},
		testing::ExitedWithCode(0), "read: Interrupted system call");
}

// Telem's seven signals read back exactly as a signal telem leaves alone
// (SIGUSR1) does, for the same action: flags (SA_RESTORER, and the
// SA_UNSUPPORTED probe of sigaction(2) cleared), restorer, mask, handler.
TEST(Signals, ReadBackAsAnUntouchedSignal) {
	static const int sigs[] = {SIGSEGV, SIGBUS, SIGILL, SIGFPE, SIGABRT, SIGTRAP, SIGSYS};
	static const unsigned flag_sets[] = {0, SA_SIGINFO, SA_RESTART | SA_NODEFER, SA_ONSTACK | SA_RESETHAND,
					0x400 /* SA_UNSUPPORTED */};
	for (unsigned flags : flag_sets) {
		for (int sig : sigs) {
			struct sigaction sa = {}, got = {}, want = {};
			sa.sa_handler = nothing_handler;
			sa.sa_flags = static_cast<int>(flags);
			sigemptyset(&sa.sa_mask);
			sigaddset(&sa.sa_mask, SIGUSR2);
			ASSERT_EQ(0, sigaction(sig, &sa, nullptr));
			ASSERT_EQ(0, sigaction(SIGUSR1, &sa, nullptr));
			ASSERT_EQ(0, sigaction(sig, nullptr, &got));
			ASSERT_EQ(0, sigaction(SIGUSR1, nullptr, &want));
			EXPECT_EQ(want.sa_flags, got.sa_flags) << "signal " << sig << ", flags " << flags;
			EXPECT_EQ(reinterpret_cast<void *>(want.sa_restorer), reinterpret_cast<void *>(got.sa_restorer))
				<< "signal " << sig << ", flags " << flags;
			EXPECT_EQ(reinterpret_cast<void *>(want.sa_handler), reinterpret_cast<void *>(got.sa_handler));
			// The 64 signals the kernel keeps: glibc copies the rest of its
			// 1024-bit set from uninitialized stack, which differs anyway.
			for (int s = 1; s < 65; s++)
				EXPECT_EQ(sigismember(&want.sa_mask, s), sigismember(&got.sa_mask, s))
					<< "signal " << sig << ", mask bit " << s;
			signal(sig, SIG_DFL);
		}
	}
	signal(SIGUSR1, SIG_DFL);
}

// Not a death test: the handler the program set is the one it reads back.
TEST(Signals, ReadBackIsWhatWasSet) {
	struct sigaction sa = {}, old = {};
	sa.sa_handler = ice_handler;
	sa.sa_flags = SA_RESTART | SA_NODEFER;
	sigemptyset(&sa.sa_mask);
	sigaddset(&sa.sa_mask, SIGUSR1);
	ASSERT_EQ(0, sigaction(SIGSEGV, &sa, nullptr));
	ASSERT_EQ(0, sigaction(SIGSEGV, nullptr, &old));
	EXPECT_EQ(reinterpret_cast<void *>(old.sa_handler), reinterpret_cast<void *>(ice_handler));
	EXPECT_EQ(SA_RESTART | SA_NODEFER, old.sa_flags & (SA_RESTART | SA_NODEFER | SA_SIGINFO | SA_ONSTACK));
	EXPECT_TRUE(sigismember(&old.sa_mask, SIGUSR1));
	EXPECT_FALSE(sigismember(&old.sa_mask, SIGUSR2));
	signal(SIGSEGV, SIG_DFL);
}

TEST(Signals, DeathAfterReadBack) {
	signal(SIGSEGV, SIG_DFL);
	EXPECT_EXIT(store_null(), testing::KilledBySignal(SIGSEGV), "");
}
