/* The dashboard's weeks. Calendar dates themselves (days since 1970-01-01,
 * "YYYY-MM-DD" both ways) are shim/week.h's. */
#ifndef COLLECTOR_DATES_H
#define COLLECTOR_DATES_H

#include <stdint.h>

#define DATE_LEN 10 /* "YYYY-MM-DD" */

/* The dashboard week of a report: reports are named by their files' TimeEnd,
 * which falls on each machine's own random weekday, so a fleet's reports for
 * one calendar week carry seven different dates. A report is charted in the
 * Monday-to-Sunday week that holds most of the 7 days it covers (the days
 * TimeEnd-7 .. TimeEnd-1), named by that Monday. */
int64_t date_period(int64_t week_end);

/* Whether the dashboard week starting on Monday period is partial: the data
 * begins inside it (first_end, the earliest report's Week, is after the
 * earliest Week charted in it, period + 4), or not every Week charted in it
 * (up to period + 10) has been received yet or even ended (last_end, the
 * latest report's Week; today). Drawn like a full week, a partial one is a
 * false ramp-up or drop. All in days since 1970-01-01. */
int date_period_partial(int64_t period, int64_t first_end, int64_t last_end, int64_t today);

/* Today (days since 1970-01-01, UTC); TELEM_TEST_NOW (Unix seconds), read
 * once, fixes it for tests. */
int64_t date_today(void);

#endif
