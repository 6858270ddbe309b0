#include "dates.h"

int64_t date_period(int64_t week_end)
{
	int64_t middle = week_end - 4; /* the 4th of the 7 covered days */
	int64_t since_monday = ((middle + 3) % 7 + 7) % 7; /* 1970-01-01 was a Thursday */
	return middle - since_monday;
}
