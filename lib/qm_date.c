/* Calendar arithmetic for qm_date.h. Trusts nothing about t: every time_t, negative
 * or near its limits, gives a valid date without overflow, because the day count is
 * at most about 1.1e14 and all work is done in long long on it. Never calls gmtime,
 * which fails for far years and may consult the environment. */
#include "qm_date.h"

static char const month_names[12][4] = {
  "Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"
};

#define SECS_PER_DAY 86400LL
#define DAYS_PER_ERA 146097LL   /* 400 Gregorian years */

void qm_date_split(qm_date *d, time_t t)
{
  long long secs = (long long)t;
  long long days = secs / SECS_PER_DAY;
  long long rem = secs % SECS_PER_DAY;
  long long era, doe, yoe, doy, mp, y;
  if (rem < 0) { rem += SECS_PER_DAY; days--; }
  d->hour = (unsigned)(rem / 3600);
  d->minute = (unsigned)(rem / 60 % 60);
  d->second = (unsigned)(rem % 60);
  /* Count from 1 March 0000 so that the leap day ends each 4-, 100- and 400-year
   * cycle; 719468 days lie between that day and 1 January 1970. */
  days += 719468;
  era = (days >= 0 ? days : days - (DAYS_PER_ERA - 1)) / DAYS_PER_ERA;
  doe = days - era * DAYS_PER_ERA;                                  /* 0..146096 */
  yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;      /* 0..399 */
  doy = doe - (365 * yoe + yoe / 4 - yoe / 100);                    /* 0..365 */
  mp = (5 * doy + 2) / 153;                                         /* 0 = March */
  d->day = (unsigned)(doy - (153 * mp + 2) / 5 + 1);
  d->month = (unsigned)(mp < 10 ? mp + 3 : mp - 9);
  y = yoe + era * 400;
  d->year = d->month <= 2 ? y + 1 : y;
}

static size_t put_uint(char *s, unsigned long long n, unsigned width)
{
  char tmp[24];
  size_t len = 0, i;
  do { tmp[len++] = (char)('0' + n % 10); n /= 10; } while (n);
  while (len < width) tmp[len++] = '0';
  for (i = 0; i < len; i++) s[i] = tmp[len - 1 - i];
  return len;
}

static size_t put_year(char *s, long long y)
{
  /* -y cannot overflow: |year| stays far below LLONG_MAX for any time_t. */
  if (y < 0) { s[0] = '-'; return 1 + put_uint(s + 1, (unsigned long long)-y, 1); }
  return put_uint(s, (unsigned long long)y, 1);
}

size_t qm_date_fmt822(char *s, time_t t)
{
  qm_date d;
  size_t n = 0;
  qm_date_split(&d, t);
  n += put_uint(s + n, d.day, 1);
  s[n++] = ' ';
  s[n++] = month_names[d.month - 1][0];
  s[n++] = month_names[d.month - 1][1];
  s[n++] = month_names[d.month - 1][2];
  s[n++] = ' ';
  n += put_year(s + n, d.year);
  s[n++] = ' ';
  n += put_uint(s + n, d.hour, 2);
  s[n++] = ':';
  n += put_uint(s + n, d.minute, 2);
  s[n++] = ':';
  n += put_uint(s + n, d.second, 2);
  s[n++] = ' '; s[n++] = '-'; s[n++] = '0'; s[n++] = '0'; s[n++] = '0'; s[n++] = '0';
  s[n] = 0;
  return n;
}

size_t qm_date_fmtstamp(char *s, time_t t)
{
  qm_date d;
  size_t n = 0;
  qm_date_split(&d, t);
  if (d.year < 0) s[n++] = '-';
  n += put_uint(s + n, (unsigned long long)(d.year < 0 ? -d.year : d.year), 4);
  n += put_uint(s + n, d.month, 2);
  n += put_uint(s + n, d.day, 2);
  n += put_uint(s + n, d.hour, 2);
  n += put_uint(s + n, d.minute, 2);
  n += put_uint(s + n, d.second, 2);
  s[n] = 0;
  return n;
}
