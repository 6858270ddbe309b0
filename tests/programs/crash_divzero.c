/* Integer division by zero: SIGFPE (FPE_INTDIV) from the divide itself.
 * Volatile operands keep the division at run time. */
#include <stdio.h>

static volatile int numerator = 7, denominator = 0;
static volatile int sink;

__attribute__((noinline)) static int divide(int a, int b)
{
	int q = a / b;
	sink = q;
	return q + 1;
}

__attribute__((noinline)) static int average(int total, int count)
{
	int r = divide(total, count);
	sink = r;
	return r - 1;
}

int main(void)
{
	int r = average(numerator, denominator);
	printf("not reached %d\n", r);
	return 0;
}
