#include "dates.h"

#include <stdlib.h>
#include <time.h>

int64_t date_period(int64_t week_end)
{
	int64_t middle = week_end - 4; /* the 4th of the 7 covered days */
	int64_t since_monday = ((middle + 3) % 7 + 7) % 7; /* 1970-01-01 was a Thursday */
	return middle - since_monday;
}

int date_period_partial(int64_t period, int64_t first_end, int64_t last_end, int64_t today)
{
	int64_t last = last_end < today ? last_end : today;
	return first_end > period + 4 || last < period + 10;
}

int64_t date_today(void)
{
	static int64_t fixed = -1; /* set once, before the threads start (main calls this) */
	if (fixed < 0) {
		const char *now = getenv("TELEM_TEST_NOW");
		fixed = now && *now ? strtoll(now, NULL, 10) / 86400 : 0;
	}
	return fixed ? fixed : (int64_t)time(NULL) / 86400;
}
