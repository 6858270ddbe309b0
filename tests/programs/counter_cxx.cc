// The C++ side of include/telem/counter.h (tests/integration/25-counter-api.t):
//   counter_cxx threads   8 std::threads x 100,000 telem_counter_inc("api:hits")
//   counter_cxx bug       a 10-deep chain of chain::Walker::step<N> ending in
//                         telem_stack_inc("bug:impossible")
#include <cstdio>
#include <cstring>
#include <thread>
#include <vector>

#include "telem/counter.h"

namespace chain {

volatile int seen;

struct Walker {
	template <int N> __attribute__((noinline)) static int step(int x)
	{
		int r = step<N - 1>(x + 1);
		seen = seen + 1;
		return r + 1;
	}
};

template <> __attribute__((noinline)) int Walker::step<0>(int x)
{
	if (x >= 0) // "impossible"
		telem_stack_inc("bug:impossible");
	seen = seen + 1;
	return x;
}

} // namespace chain

int main(int argc, char **argv)
{
	const char *mode = argc > 1 ? argv[1] : "";
	if (std::strcmp(mode, "threads") == 0) {
		std::vector<std::thread> t;
		for (int i = 0; i < 8; i++)
			t.emplace_back([] {
				for (int j = 0; j < 100000; j++)
					telem_counter_inc("api:hits");
			});
		for (auto &x : t)
			x.join();
		std::printf("threads: %d increments\n", 8 * 100000);
		return 0;
	}
	if (std::strcmp(mode, "bug") == 0) {
		int sum = 0;
		for (int i = 0; i < 3; i++)
			sum += chain::Walker::step<9>(0);
		std::printf("bug: 3 passes, depth %d\n", sum / 3);
		return 0;
	}
	std::fprintf(stderr, "usage: counter_cxx threads|bug\n");
	return 2;
}
