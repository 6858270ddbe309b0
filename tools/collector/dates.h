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

#endif
