/* Dates as qmail writes them: RFC 5322 in UTC with the -0000 zone and no weekday
 * ("3 Jan 2024 09:05:07 -0000"), used in Date:, Received: and bounce fields, and the
 * compact stamp of Message-IDs. Pure: takes a time_t, reads no clock or time zone,
 * and is correct for every time_t value, however far from today. */
#ifndef QM_DATE_H
#define QM_DATE_H

#include <stddef.h>
#include <time.h>

/* Longest output of each formatter with its NUL; a 64-bit time_t reaches years of
 * twelve digits and a sign. */
#define QM_DATE_822_MAX 48
#define QM_DATE_STAMP_MAX 40

typedef struct qm_date_s {
  long long year;     /* proleptic Gregorian; 0 is 1 BC */
  unsigned month;     /* 1..12 */
  unsigned day;       /* 1..31 */
  unsigned hour, minute, second;
} qm_date;

/* Splits t (seconds since the epoch, UTC, no leap seconds) into calendar fields. */
void qm_date_split(qm_date *d, time_t t);

/* Writes "3 Jan 2024 09:05:07 -0000" and a NUL to s (at least QM_DATE_822_MAX
 * bytes); returns the length without the NUL. */
size_t qm_date_fmt822(char *s, time_t t);

/* Writes "20240103090507" (year, month, day, hour, minute, second) and a NUL to s
 * (at least QM_DATE_STAMP_MAX bytes); returns the length without the NUL. */
size_t qm_date_fmtstamp(char *s, time_t t);

#endif
